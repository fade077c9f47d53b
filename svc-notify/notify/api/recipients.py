"""Recipients: people, their channels and quiet hours (provider admins, ops)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from notify.components import NotifyContextDep, components
from notify.schemas import RecipientRead, RecipientUpsert
from notify.service import recipients

router = APIRouter(prefix="/v1/recipients", tags=["recipients"])
PersonPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]


@router.put("/{person_id}", responses=problem_responses(401, 403, 404, 422))
async def put_recipient(
    person_id: PersonPath,
    body: RecipientUpsert,
    uow: UowDep,
    ctx: NotifyContextDep,
    request: Request,
) -> RecipientRead:
    parts = components(request)
    done = await recipients.put_recipient(
        uow=uow, ctx=ctx, person_id=person_id, cmd=body, webhook_guard=parts.webhook_guard
    )
    parts.on_call.clear()  # who is on call may have changed
    return done


@router.get("/{person_id}", responses=problem_responses(401, 403, 404, 422))
async def get_recipient(person_id: PersonPath, uow: UowDep, ctx: NotifyContextDep) -> RecipientRead:
    return await recipients.get_recipient(uow=uow, ctx=ctx, person_id=person_id)


@router.get("", responses=problem_responses(401, 403, 422))
async def list_recipients(
    uow: UowDep,
    ctx: NotifyContextDep,
    page: PageDep,
    provider_id: Annotated[str | None, Query(max_length=64, description="ops only")] = None,
) -> Page[RecipientRead]:
    return await recipients.list_recipients(
        uow=uow, ctx=ctx, provider_id=provider_id, limit=page.limit, offset=page.offset
    )
