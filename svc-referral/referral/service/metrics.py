"""Refresh the `homebed_referral_*` gauges from the database (a periodic job of the service)."""

from __future__ import annotations

from collections.abc import Callable

from chassis.clock import Clock
from chassis.db import UnitOfWork
from homebed_schemas.events.referral import ReferralPath, ReferralStatus
from referral import metrics
from referral.domain.deadlines import STEP_OF_STATUS, Step
from referral.metrics_repository import MetricsRepository


async def refresh_metrics(*, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
    now = clock()
    async with uow_factory() as uow:
        repo = uow.repo(MetricsRepository)
        counts = {(p, s): n for p, s, n in await repo.referral_counts()}
        overdue_by_status = await repo.overdue_counts(now, [s.value for s in STEP_OF_STATUS])
        webhooks = dict(await repo.webhook_counts())
    overdue: dict[tuple[str, str], int] = {}
    for path, status, count in overdue_by_status:
        step = STEP_OF_STATUS[ReferralStatus(status)].value
        overdue[(path, step)] = overdue.get((path, step), 0) + count
    # every known series is set, at 0 too: a status no referral has any more falls back to 0
    for path in {*(p.value for p in ReferralPath), *(p for p, _ in counts)}:
        for status in {*(s.value for s in ReferralStatus), *(s for p, s in counts if p == path)}:
            metrics.REFERRALS.labels(path, status).set(counts.get((path, status), 0))
        for step in Step:
            metrics.OVERDUE.labels(path, step.value).set(overdue.get((path, step.value), 0))
    for status in {*metrics.WEBHOOK_STATUSES, *webhooks}:
        metrics.WEBHOOK_DELIVERIES.labels(status).set(webhooks.get(status, 0))
