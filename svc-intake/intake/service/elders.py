"""Staff and officers find an elder (issue 10 item 16): by ID number through the blind index
(exact match, never a pattern on encrypted data) or by name, within what the caller may see."""

from __future__ import annotations

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.principal import Role
from intake.repository import SqlRepository
from intake.schemas.applications import ApplicationSummary
from intake.service.context import ID_NUMBER, IntakeContext
from intake.service.views import application_summary
from intake.tables import PiiAccessRow

SEARCH_ROLES = (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER)
ID_NUMBER_SEARCH = "id_number_search"  # the audit's field for a look-up by full ID number
LOOKUP = "lookup"  # the audit's purpose for a look-up


async def search_elders(
    *,
    uow: UnitOfWork,
    ctx: IntakeContext,
    id_number: str | None,
    name: str | None,
    limit: int,
    offset: int,
) -> Page[ApplicationSummary]:
    """Applications of the elders found (masked); a look-up by ID number is audited per elder."""
    require_role(ctx.principal, *SEARCH_ROLES)
    index = ctx.pii.index(id_number, context=ID_NUMBER) if id_number is not None else None
    async with uow:
        repo = uow.repo(SqlRepository)
        rows, total = await repo.search_applications(
            ctx.principal, id_number_index=index, name=name, limit=limit, offset=offset
        )
        answer = Page[ApplicationSummary](
            items=[application_summary(app, elder) for app, elder in rows],
            total=total,
            limit=limit,
            offset=offset,
        )
        if index is not None:
            for elder_id in sorted({elder.id for _, elder in rows}):
                repo.add(
                    PiiAccessRow(
                        actor_sub=ctx.principal.sub,
                        actor_role=ctx.principal.role.value,
                        actor_provider_id=ctx.principal.provider_id,
                        elder_id=elder_id,
                        application_id=None,
                        field=ID_NUMBER_SEARCH,
                        purpose=LOOKUP,
                        request_id=ctx.request_id,
                        accessed_at=ctx.now,
                    )
                )
            await uow.commit()
        return answer
