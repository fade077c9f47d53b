"""The service's `homebed_referral_*` gauges (panels in deploy/grafana), refreshed from the
database by `referral.service.metrics`. Labels are paths, statuses and steps: never a person or
an organisation."""

from __future__ import annotations

from prometheus_client import Gauge

from homebed_schemas.events.referral import ReferralPath, ReferralStatus
from referral.domain.deadlines import Step

REFERRALS = Gauge(
    "homebed_referral_referrals",
    "Referrals by path and status (FHIR Task.status)",
    ["path", "status"],
)
OVERDUE = Gauge(
    "homebed_referral_steps_overdue",
    "Open referrals past the deadline of their current step (acknowledge, decide, start, "
    "complete), by path and step",
    ["path", "step"],
)
WEBHOOK_DELIVERIES = Gauge(
    "homebed_referral_webhook_deliveries",
    "Partner webhook deliveries by status (pending: retried with backoff; dead: given up)",
    ["status"],
)
WEBHOOK_STATUSES = ("pending", "delivered", "dead")

# every path, status and step shows from the start, at 0: the dashboard needs no `or vector(0)`
for _path in ReferralPath:
    for _status in ReferralStatus:
        REFERRALS.labels(_path.value, _status.value)
    for _step in Step:
        OVERDUE.labels(_path.value, _step.value)
for _delivery in WEBHOOK_STATUSES:
    WEBHOOK_DELIVERIES.labels(_delivery)
