"""Refresh the `homebed_subsidy_*` gauges from the database (periodic jobs of the service).

Settlements, the waiting submissions, the latest month's amounts and the trial balance are cheap
aggregates and refresh often; the anomalies rerun the reconciliation's checks over a whole
jurisdiction's beds, so they refresh on a slower job of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from chassis.clock import Clock
from chassis.db import UnitOfWork
from subsidy import metrics
from subsidy.domain.ledger import trial_balance
from subsidy.domain.periods import Period
from subsidy.domain.policy import SubsidyProfile
from subsidy.domain.settlement import SettlementStatus
from subsidy.repositories.ledger import LedgerRepository
from subsidy.repositories.metrics import MetricsRepository
from subsidy.service.reports import period_anomalies


async def refresh_settlement_metrics(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    kinds_by_jurisdiction: Mapping[str, Iterable[str]],
) -> None:
    now = clock()
    async with uow_factory() as uow:
        repo = uow.repo(MetricsRepository)
        counts = {(j, s): n for j, s, n in await repo.settlement_counts()}
        waiting = dict(await repo.oldest_submissions())
        amounts = {
            jurisdiction: {(k, s): fen for k, s, fen in await repo.amounts_by_kind(jurisdiction, p)}
            for jurisdiction, p in await repo.latest_periods()
        }
        balance = trial_balance(await uow.repo(LedgerRepository).posted_balances())
    statuses = [s.value for s in SettlementStatus]
    # every known series is set, at 0 too: a status no settlement has any more falls back to 0
    for jurisdiction in {*kinds_by_jurisdiction, *(j for j, _ in counts)}:
        for status in statuses:
            metrics.SETTLEMENTS.labels(jurisdiction, status).set(
                counts.get((jurisdiction, status), 0)
            )
        submitted_at = waiting.get(jurisdiction)
        age = 0.0 if submitted_at is None else max((now - submitted_at).total_seconds(), 0.0)
        metrics.OLDEST_SUBMISSION_AGE.labels(jurisdiction).set(age)
    for jurisdiction, month in amounts.items():
        kinds = {*kinds_by_jurisdiction.get(jurisdiction, ()), *(k for k, _ in month)}
        for kind in kinds:
            for status in statuses:
                fen = month.get((kind, status), 0)
                metrics.LATEST_MONTH_FEN.labels(jurisdiction, kind, status).set(fen)
    metrics.LEDGER_DEBITS.set(balance.debits_fen)
    metrics.LEDGER_CREDITS.set(balance.credits_fen)
    metrics.LEDGER_BALANCED.set(1 if balance.balanced else 0)


async def refresh_anomaly_metrics(
    *, uow_factory: Callable[[], UnitOfWork], profiles: Mapping[str, SubsidyProfile]
) -> None:
    """The reconciliation's anomalies of each jurisdiction's latest settlement month."""
    async with uow_factory() as uow:
        latest = dict(await uow.repo(MetricsRepository).latest_periods())
        found = {
            jurisdiction: await period_anomalies(uow, profile, Period.parse(latest[jurisdiction]))
            for jurisdiction, profile in profiles.items()
            if jurisdiction in latest
        }
    for jurisdiction, anomalies in found.items():
        counts = dict.fromkeys(metrics.ANOMALY_KINDS, 0)
        for anomaly in anomalies:
            counts[anomaly.kind] = counts.get(anomaly.kind, 0) + 1
        for kind, count in counts.items():
            metrics.ANOMALIES.labels(jurisdiction, kind).set(count)
