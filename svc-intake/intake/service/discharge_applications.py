"""hospital → home bed (004 §二(四)1 "经合作医院复诊达到返家护理条件的康复对象"): a partner
hospital's discharge referral, once the receiving provider accepts it, opens a pre-filled
application here (the region, jurisdiction, expected discharge, follow-up visit and care summary
the hospital sent). The provider completes it with the family through the usual application
(the elder's identity is entered here, never carried by the event), so eligibility runs as usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.referral import ReferralEvent, ReferralStatus
from intake.schemas.discharge_applications import DischargeApplicationRead
from intake.service.context import IntakeContext
from intake.tables import DischargeApplicationRow

OPENS = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED})
CLOSES = frozenset({ReferralStatus.REJECTED, ReferralStatus.CANCELLED, ReferralStatus.FAILED})
OPEN, LINKED, CLOSED = "open", "linked", "closed"
STATUSES = (OPEN, LINKED, CLOSED)


async def discharge_referral_changed(
    *, uow: UnitOfWork, event: ReferralEvent, now: datetime
) -> str:
    """Open the pre-filled application when the provider accepts, follow the referral after;
    returns what it did (the referral record's outcome). Never commits."""
    row = await uow.session.get(DischargeApplicationRow, event.referral_id)
    if row is None:
        if event.status not in OPENS:
            return "recorded: no application before the provider accepts"
        if event.discharge is None or event.provider_id is None:
            return "no-op: the discharge referral carries no pre-filled data"
        discharge = event.discharge
        row = DischargeApplicationRow(
            referral_id=event.referral_id,
            provider_id=event.provider_id,
            hospital_id=event.requester.organisation_id,
            hospital_name=event.requester.name,
            jurisdiction=discharge.jurisdiction,
            region_code=discharge.region_code,
            expected_discharge_on=discharge.expected_discharge_on,
            follow_up_visit_on=discharge.follow_up_visit_on,
            summary=discharge.summary,
            referral_status=event.status.value,
            status=OPEN,
            last_event_at=event.occurred_at,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        return "application opened: pre-filled from the hospital's discharge"
    row.referral_status = event.status.value
    # a linked one has become a real application, which lives on by its own rules
    row.status = CLOSED if event.status in CLOSES and row.status == OPEN else row.status
    row.last_event_at, row.updated_at = event.occurred_at, now
    return f"application {row.status}: the referral is {event.status.value}"


async def list_discharge_applications(
    *, uow: UnitOfWork, ctx: IntakeContext, status: str | None, limit: int, offset: int
) -> Page[DischargeApplicationRead]:
    """The receiving provider's pre-filled applications (officers: their regions)."""
    principal = ctx.principal
    require_role(principal, Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER)
    if status is not None and status not in STATUSES:
        raise Unprocessable([("query.status", " | ".join(STATUSES))])
    table = DischargeApplicationRow
    where: list[ColumnElement[bool]] = []
    if principal.role is Role.OFFICER:
        prefixes = [_region_prefix(code) for code in principal.region_codes]
        where.append(
            or_(*(table.region_code.startswith(p) for p in prefixes)) if prefixes else false()
        )
    else:
        where.append(table.provider_id == (principal.provider_id or ""))
    if status:
        where.append(table.status == status)
    async with uow:
        total = await uow.session.scalar(select(func.count()).select_from(table).where(*where))
        rows = await uow.session.scalars(
            select(table)
            .where(*where)
            .order_by(table.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [
            DischargeApplicationRead(
                referral_id=r.referral_id,
                provider_id=r.provider_id,
                hospital_id=r.hospital_id,
                hospital_name=r.hospital_name,
                jurisdiction=r.jurisdiction,
                region_code=r.region_code,
                expected_discharge_on=r.expected_discharge_on,
                follow_up_visit_on=r.follow_up_visit_on,
                summary=r.summary,
                referral_status=r.referral_status,
                status=r.status,
                application_id=r.application_id,
                created_at=r.created_at,
            )
            for r in rows
        ]
        return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


async def link_to_application(
    *,
    uow: UnitOfWork,
    referral_id: str,
    application_id: str,
    provider_id: str | None,
    jurisdiction: str,
    now: datetime,
) -> None:
    """The application completing a discharge referral's pre-filled one (004 §二(四)1): the
    receiving provider's own, same jurisdiction, while it is open; marks it linked. Never
    commits: the application's transaction does."""
    field = "body.discharge_referral_id"
    row = await uow.session.get(DischargeApplicationRow, referral_id)
    if row is None or provider_id is None or row.provider_id != provider_id:
        # another provider's referral answers like a missing one
        raise Unprocessable([(field, "no pre-filled discharge application of this provider")])
    if row.jurisdiction != jurisdiction:
        raise Unprocessable(
            [("body.jurisdiction", f"the discharge referral is in {row.jurisdiction}")]
        )
    if row.status == LINKED:
        raise Conflict(f"discharge referral {referral_id} is already completed by an application")
    if row.status == CLOSED:
        raise Conflict(f"discharge referral {referral_id} was {row.referral_status}: closed")
    row.status, row.application_id, row.updated_at = LINKED, application_id, now


def _region_prefix(code: str) -> str:
    # GB/T 2260 as chassis.principal reads it: 330000 province, 330100 city, 330102 district
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
