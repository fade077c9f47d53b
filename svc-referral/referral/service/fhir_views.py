"""The FHIR R4 view for hospitals and providers: the same visibility as the REST API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from referral.fhir import resources
from referral.policies.loader import load_reasons
from referral.repository import ReferralRepository
from referral.service.access import applicant_beds, visibility, visible_referral
from referral.service.consents import visible_consent
from referral.tables import ReferralRow

PREFIXED = re.compile(r"^(gt|ge|lt|le|eq)?(\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?)$")
STATUSES = {
    "requested": "requested",
    "received": "received",
    "accepted": "accepted",
    "rejected": "rejected",
    "in-progress": "in_progress",
    "on-hold": "on_hold",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


async def task(*, uow: UnitOfWork, ctx: RequestContext, task_id: str) -> dict[str, Any]:
    async with uow:
        row = await visible_referral(uow.repo(ReferralRepository), ctx.principal, task_id)
        return resources.task(row, load_reasons())


async def service_request(
    *, uow: UnitOfWork, ctx: RequestContext, request_id: str
) -> dict[str, Any]:
    async with uow:
        row = await visible_referral(uow.repo(ReferralRepository), ctx.principal, request_id)
        return resources.service_request(row)


async def consent(*, uow: UnitOfWork, ctx: RequestContext, consent_id: str) -> dict[str, Any]:
    async with uow:
        return resources.consent(await visible_consent(uow, ctx.principal, consent_id))


async def search_tasks(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    owner: str | None,
    requester: str | None,
    status: str | None,
    last_updated: str | None,
    count: int,
    offset: int,
    self_url: str,
) -> dict[str, Any]:
    """`GET Task?owner=Organization/x&_lastUpdated=gt…`: the polling the SDOH IG describes."""
    async with uow:
        referrals = uow.repo(ReferralRepository)
        where = [visibility(ctx.principal, await applicant_beds(referrals, ctx.principal))]
        if owner:
            where.append(ReferralRow.receiver_id == _organisation_id(owner))
        if requester:
            where.append(ReferralRow.requester_id == _organisation_id(requester))
        if status:
            if status not in STATUSES:
                raise Unprocessable([("query.status", f"one of {', '.join(STATUSES)}")])
            where.append(ReferralRow.status == STATUSES[status])
        if last_updated:
            where.append(_last_updated(last_updated))
        rows, total = await referrals.page(where, limit=count, offset=offset)
        reasons = load_reasons()
        return resources.searchset(
            [resources.task(r, reasons) for r in rows], total=total, self_url=self_url
        )


def _organisation_id(reference: str) -> str:
    return reference.removeprefix("Organization/")


def _last_updated(value: str) -> Any:
    match = PREFIXED.match(value)
    if match is None:
        raise Unprocessable([("query._lastUpdated", "[gt|ge|lt|le|eq]YYYY-MM-DD[Thh:mm:ss+zz:zz]")])
    prefix, text = match.group(1) or "ge", match.group(2)
    try:  # a bare date is midnight UTC
        moment = datetime.fromisoformat(
            text.replace("Z", "+00:00") if "T" in text else f"{text}T00:00:00+00:00"
        )
    except ValueError:
        raise Unprocessable([("query._lastUpdated", "not a valid date or time")]) from None
    column = ReferralRow.updated_at
    return {
        "gt": column > moment,
        "ge": column >= moment,
        "lt": column < moment,
        "le": column <= moment,
        "eq": column == moment,
    }[prefix]
