"""The archive follows the elder ("床随人走", 000 §三(五)): on acceptance the receiver fetches a
time-limited, consent-scoped package assembled as a FHIR Bundle from the owners' internal routes.

Nothing leaves without a consent in force that covers the receiver and the category; the check
runs again just before the disclosure is logged, so a withdrawal stops the next fetch at once.
Every disclosure is logged (who, what, when, under which consent). Nothing of the package is
stored here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, PreconditionFailed, Unprocessable
from referral.clients import ArchiveSources
from referral.domain.consent import ACTIVE, Category, ConsentTerms, Purpose
from referral.domain.referral import Party
from referral.fhir.archive import archive_bundle
from referral.repository import ConsentRepository, ReferralRepository
from referral.service.access import party_of, visible_referral
from referral.tables import ConsentRow, DisclosureRow, ReferralRow

OPEN_FOR_ARCHIVE = frozenset({"accepted", "in_progress", "completed"})
AFTER_COMPLETION = timedelta(days=30)
INTAKE_CATEGORIES = (
    Category.BASIC_INFO,
    Category.IDENTITY,
    Category.ASSESSMENT,
    Category.CARE_PLAN,
)
IOT_CATEGORIES = (Category.VITALS, Category.ALARMS)


async def archive_package(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    sources: ArchiveSources,
    referral_id: str,
    categories: str | None,
    ttl: timedelta,
) -> dict[str, Any]:
    """The receiver's package for this referral (FHIR Bundle, collection)."""
    wanted = _wanted(categories)
    async with uow:
        row = await visible_referral(uow.repo(ReferralRepository), ctx.principal, referral_id)
        _check_receiver_may_fetch(row, ctx)
        assert row.bed_id is not None
        assert row.elder_id is not None
        bed_id, elder_id, receiver_id = row.bed_id, row.elder_id, row.receiver_id
        granted = _granted(
            await uow.repo(ConsentRepository).of_elder(elder_id), receiver_id, ctx.now
        )
    covered = {c: granted[c] for c in wanted if c in granted}
    if not covered:
        raise Forbidden(f"no consent in force covers {receiver_id} for {', '.join(sorted(wanted))}")
    names = sorted(c.value for c in covered)
    intake_part = [c.value for c in INTAKE_CATEGORIES if c in covered]
    iot_part = [c.value for c in IOT_CATEGORIES if c in covered]
    intake = await sources.intake(bed_id, intake_part) if intake_part else None
    visits = await sources.visits(bed_id) if Category.VISITS in covered else None
    iot = await sources.iot(bed_id, iot_part) if iot_part else None
    async with uow:  # withdrawal takes effect at once: check again, then log the disclosure
        consents = uow.repo(ConsentRepository)
        still = _granted(await consents.of_elder(elder_id), receiver_id, ctx.now)
        if any(covered[c] != still.get(c) for c in covered):
            raise Forbidden("the consent was withdrawn or changed while the package was assembled")
        for consent_id in sorted(set(covered.values())):
            consents.add(
                DisclosureRow(
                    id=str(uuid.uuid4()),
                    referral_id=referral_id,
                    consent_id=consent_id,
                    elder_id=elder_id,
                    receiver_id=receiver_id,
                    accessed_by=ctx.principal.sub,
                    categories=sorted(c.value for c, used in covered.items() if used == consent_id),
                    at=ctx.now,
                )
            )
        await uow.commit()
    return archive_bundle(
        referral_id=referral_id,
        elder_id=elder_id,
        categories=names,
        intake=intake,
        visits=visits,
        iot=iot,
        now=ctx.now,
        expires_at=ctx.now + ttl,
    )


def _wanted(categories: str | None) -> set[Category]:
    if not categories:
        return set(Category)
    wanted: set[Category] = set()
    for name in categories.split(","):
        try:
            wanted.add(Category(name))
        except ValueError:
            raise Unprocessable(
                [("query.categories", f"one of {', '.join(c.value for c in Category)}")]
            ) from None
    return wanted


def _check_receiver_may_fetch(row: ReferralRow, ctx: RequestContext) -> None:
    if party_of(row, ctx.principal) is not Party.RECEIVER:
        raise Forbidden("only the receiving organisation fetches the archive package")
    if row.bed_id is None or row.elder_id is None:
        raise PreconditionFailed(
            action="fetch_archive", problems=["needs: a home bed's archive (this elder has none)"]
        )
    if row.status not in OPEN_FOR_ARCHIVE:
        raise PreconditionFailed(
            action="fetch_archive", problems=[f"needs: the referral accepted (it is {row.status})"]
        )
    if row.status == "completed" and ctx.now > row.updated_at + AFTER_COMPLETION:
        raise PreconditionFailed(
            action="fetch_archive", problems=["needs: completed less than 30 days ago"]
        )


def _granted(rows: list[ConsentRow], receiver_id: str, now: datetime) -> dict[Category, str]:
    """Category → the consent (id) in force that grants it to this receiver."""
    granted: dict[Category, str] = {}
    for row in rows:
        terms = ConsentTerms(
            receiver_id=row.receiver_id,
            purpose=Purpose(row.purpose),
            categories=frozenset(Category(c) for c in row.categories),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            status=row.status,
        )
        if row.status == ACTIVE and terms.covers(receiver_id=receiver_id, at=now):
            for category in terms.categories:
                granted.setdefault(category, row.id)
    return granted
