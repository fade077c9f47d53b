"""The service's `homebed_subsidy_*` gauges (panels in deploy/grafana, alerts in
deploy/prometheus), refreshed from the database by `subsidy.service.metrics`. Labels are
jurisdictions (GB/T 2260), statuses and kinds: never a provider, an elder or an amount's owner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import Gauge

from subsidy.domain.settlement import SettlementStatus

SETTLEMENTS = Gauge(
    "homebed_subsidy_settlements",
    "Settlements by jurisdiction and status, every month",
    ["jurisdiction", "status"],
)
OLDEST_SUBMISSION_AGE = Gauge(
    "homebed_subsidy_oldest_submission_age_seconds",
    "Age of the oldest settlement submitted and neither approved nor rejected yet, by "
    "jurisdiction (0: none waiting for a checker)",
    ["jurisdiction"],
)
LATEST_MONTH_FEN = Gauge(
    "homebed_subsidy_latest_month_fen",
    "Line amounts (fen) of the jurisdiction's latest settlement month, by kind and status",
    ["jurisdiction", "kind", "status"],
)
LEDGER_DEBITS = Gauge(
    "homebed_subsidy_ledger_debits_fen", "Trial balance: sum of the debit balances (fen, posted)"
)
LEDGER_CREDITS = Gauge(
    "homebed_subsidy_ledger_credits_fen", "Trial balance: sum of the credit balances (fen, posted)"
)
LEDGER_BALANCED = Gauge(
    "homebed_subsidy_ledger_balanced", "1 when the trial balance's debits equal its credits"
)
ANOMALIES = Gauge(
    "homebed_subsidy_anomalies",
    "Anomalies of the jurisdiction's latest settlement month (the reconciliation report), by kind",
    ["jurisdiction", "kind"],
)

ANOMALY_KINDS = ("duplicate_construction", "two_active_beds", "suspended_days_paid")


def initialise(kinds_by_jurisdiction: Mapping[str, Iterable[str]]) -> None:
    """Every series at 0 from the start (jurisdictions, statuses and kinds are known): the
    dashboards and alerts see them before the first settlement."""
    LEDGER_BALANCED.set(1)  # an empty ledger balances
    for jurisdiction, kinds in kinds_by_jurisdiction.items():
        OLDEST_SUBMISSION_AGE.labels(jurisdiction)
        for status in SettlementStatus:
            SETTLEMENTS.labels(jurisdiction, status.value)
            for kind in kinds:
                LATEST_MONTH_FEN.labels(jurisdiction, kind, status.value)
        for kind in ANOMALY_KINDS:
            ANOMALIES.labels(jurisdiction, kind)
