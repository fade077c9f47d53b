"""The no-check-out sweep: a visit checked in and still open 12 hours later gets the
`no_checkout_12h` exception (domain/evv.py), once; its worker may still check out, and a provider
admin resolves it (`forgot_checkout`) or voids the visit."""

from __future__ import annotations

import logging

from chassis.clock import Clock
from chassis.db import UnitOfWorkFactory
from service_records.domain import evv
from service_records.domain.evv import EXCEPTION_DESCRIPTIONS, ExceptionCode
from service_records.repository import VisitRepository
from service_records.tables import VisitExceptionRow

logger = logging.getLogger(__name__)


async def sweep_open_visits(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Open `no_checkout_12h` on every visit open longer than 12 h; returns how many."""
    now = clock()
    uow = uow_factory()
    async with uow:
        visits = uow.repo(VisitRepository)
        stale = await visits.open_without_exception(
            before=now - evv.MAX_VISIT, code=ExceptionCode.NO_CHECKOUT_12H.value
        )
        for visit in stale:
            if not evv.no_checkout(visit.check_in_at, now):
                continue
            visits.add_exception(
                VisitExceptionRow(
                    visit_id=visit.id,
                    code=ExceptionCode.NO_CHECKOUT_12H.value,
                    detail=EXCEPTION_DESCRIPTIONS[ExceptionCode.NO_CHECKOUT_12H],
                    opened_at=now,
                )
            )
            logger.warning("visit without check-out", extra={"visit_id": visit.id})
        await uow.commit()
    return len(stale)
