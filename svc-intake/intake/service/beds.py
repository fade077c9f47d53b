"""Bed preparation use cases: read, list, guidance list, care plan, contract, installation."""

from __future__ import annotations

import uuid

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, PreconditionFailed
from chassis.principal import Role
from homebed_schemas.events.bed_workflows import ConsentScope
from intake.domain.actions import BED_ROLES, split_actions
from intake.domain.bed import (
    Installation,
    establish_problems,
    missing_devices,
)
from intake.domain.bed_steps import STEP_ROLES
from intake.domain.consent import installation_scopes
from intake.domain.contract import ContractTerms, PersonalItem, check_contract
from intake.domain.errors import ContractViolation
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.domain.provider import ProviderStatus, fee_problem
from intake.domain.tenancy import PROVIDER_STAFF, can_view
from intake.policies.loader import load_catalogue, load_profile
from intake.repository import ListFilter, ProviderRepository, SqlRepository
from intake.schemas.beds import (
    BedRead,
    BedSummary,
    CarePlanIn,
    ContractIn,
    GuidanceRead,
    InstallationIn,
)
from intake.service.bed_steps import bed_steps
from intake.service.care_plans import planned_items
from intake.service.consent_checks import require_consents_for
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event
from intake.service.providers import filed_packages
from intake.service.views import ActionView, bed_read, bed_summary, installation_views
from intake.tables import BedRow, ContractRow, InstallationRow


async def visible_bed(repo: SqlRepository, ctx: IntakeContext, bed_id: str) -> BedRow:
    bed = await repo.bed(bed_id)
    if bed is None or not can_view(
        ctx.principal,
        applicant_sub=bed.applicant_sub,
        provider_id=bed.provider_id,
        region_code=bed.region_code,
    ):
        raise NotFound("bed")
    return bed


async def bed_state(
    repo: SqlRepository, bed: BedRow
) -> tuple[ContractRow | None, list[Installation], list[str]]:
    """The latest contract, the installation checklist (with confirmations), what is missing."""
    contract = await repo.latest_contract(bed.id)
    installed = installation_views(
        await repo.installations(bed.id), await repo.live_device_types(bed.id)
    )
    return contract, installed, missing_devices(load_profile(bed.jurisdiction), installed)


async def get_bed(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str) -> BedRead:
    """One bed: its contract, installation checklist and the devices still missing."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        return await bed_answer(uow, ctx, bed)


async def bed_answer(uow: UnitOfWork, ctx: IntakeContext, bed: BedRow) -> BedRead:
    """The bed as this caller sees it, read in the use case's own transaction."""
    contract, installed, missing = await bed_state(uow.repo(SqlRepository), bed)
    profile = load_profile(bed.jurisdiction)
    steps = await bed_steps(uow, ctx, bed, profile)  # consents, acceptance (issue 11)
    unmet = {
        **steps.unmet,
        BedAction.ESTABLISH.value: establish_problems(
            profile=profile,
            has_care_plan=bool(bed.care_plan),
            has_signed_contract=contract is not None,
            installed=installed,
        ),
    }
    allowed, blocked = split_actions(
        steps.actions,
        role=ctx.principal.role,
        roles_of={**BED_ROLES, **STEP_ROLES},
        unmet=unmet,
    )
    return bed_read(bed, contract, installed, missing, ActionView(allowed, blocked))


async def list_beds(
    *, uow: UnitOfWork, ctx: IntakeContext, query: ListFilter, limit: int, offset: int
) -> Page[BedSummary]:
    """The beds the caller may see, newest first."""
    async with uow:
        beds = uow.repo(SqlRepository)
        rows, total = await beds.beds(ctx.principal, query, limit=limit, offset=offset)
        return Page[BedSummary](
            items=[bed_summary(r) for r in rows], total=total, limit=limit, offset=offset
        )


async def get_guidance(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str) -> GuidanceRead:
    """The bed-setup guidance list issued at approval (建床指导清单)."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        return GuidanceRead.model_validate(bed.guidance)


async def record_care_plan(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: CarePlanIn
) -> BedRead:
    """Record (or replace) the care plan (服务计划) of a bed."""
    async with uow:
        bed = await _for_provider(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.CAREGIVER)
        check_bed_action(BedStatus(bed.status), BedAction.RECORD_CARE_PLAN)
        bed.care_plan = planned_items(bed.jurisdiction, cmd)
        bed.care_plan_revision_due_since = None  # a re-assessment's revision is done
        bed.updated_at = ctx.now
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


async def sign_contract(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: ContractIn
) -> BedRead:
    """Record the signed contract; the first one of an elder lasts ≥ 6 months where required."""
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await _for_provider(uow, ctx, bed_id, Role.PROVIDER_ADMIN)
        check_bed_action(BedStatus(bed.status), BedAction.SIGN_CONTRACT)
        await require_consents_for(  # 000 §三(一): 取得老人或申请人同意后签订服务协议
            uow, bed, action=BedAction.SIGN_CONTRACT.value, scopes=[ConsentScope.SERVICE_AGREEMENT]
        )
        terms = ContractTerms(
            start=cmd.start,
            end=cmd.end,
            base_package_fee_fen=cmd.base_package_fee_fen,
            personal_items=tuple(
                PersonalItem(i.name, i.monthly_fee_fen) for i in cmd.personal_items
            ),
            bed_fee_fen=cmd.bed_fee_fen,
        )
        is_first = await repo.contracts_elsewhere(bed.elder_id, bed.id) == 0
        check_contract(terms, load_profile(bed.jurisdiction), is_first=is_first)
        await _check_provider_terms(uow, bed, cmd)
        contract = ContractRow(
            id=str(uuid.uuid4()),
            bed_id=bed.id,
            elder_id=bed.elder_id,
            provider_id=bed.provider_id,
            start=cmd.start,
            end=cmd.end,
            base_package_fee_fen=cmd.base_package_fee_fen,
            personal_items=[i.model_dump() for i in cmd.personal_items],
            is_first=is_first,
            signed_on=ctx.today,
            signed_by=ctx.principal.sub,
            created_at=ctx.now,
        )
        repo.add(contract)
        bed.updated_at = ctx.now
        # iot-ingest registers devices only for beds it knows: installation follows signing.
        await emit_bed_event(uow, bed, contract, "contracted", now=ctx.now)
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


async def record_installation(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: InstallationIn
) -> BedRead:
    """Set counts on the checklist; smart devices count as confirmed once iot-ingest registers one."""
    catalogue = {item.id: item for item in load_catalogue().items}
    unknown = [
        (f"items.{i}.item_id", "not in the catalogue")
        for i, it in enumerate(cmd.items)
        if it.item_id not in catalogue
    ]
    if unknown:
        raise ContractViolation(unknown)
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await _for_provider(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.CAREGIVER)
        check_bed_action(BedStatus(bed.status), BedAction.RECORD_INSTALLATION)
        lines = [
            (catalogue[e.item_id].kind, catalogue[e.item_id].device_type, e.count)
            for e in cmd.items
        ]
        await require_consents_for(  # a camera: video consent; a modification: its consent
            uow, bed, action=BedAction.RECORD_INSTALLATION.value, scopes=installation_scopes(lines)
        )
        existing = {row.item_id: row for row in await repo.installations(bed.id)}
        for entry in cmd.items:
            item = catalogue[entry.item_id]
            row = existing.get(entry.item_id)
            if row is None:
                row = InstallationRow(
                    id=str(uuid.uuid4()),
                    bed_id=bed.id,
                    item_id=item.id,
                    kind=item.kind,
                    device_type=item.device_type,
                )
                repo.add(row)
            row.count = entry.count
            row.recorded_by = ctx.principal.sub
            row.updated_at = ctx.now
        bed.updated_at = ctx.now
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


async def _check_provider_terms(uow: UnitOfWork, bed: BedRow, cmd: ContractIn) -> None:
    """The provider is registered and active; the fee is one of its filed prices (002 §四)."""
    provider = await uow.repo(ProviderRepository).get(bed.provider_id)
    if provider is None or provider.status != ProviderStatus.ACTIVE:
        raise PreconditionFailed(
            action=BedAction.SIGN_CONTRACT.value,
            problems=[f"provider {bed.provider_id!r} is registered and active"],
        )
    problem = fee_problem(cmd.base_package_fee_fen, filed_packages(provider), cmd.package_code)
    if problem:
        field = "package_code" if cmd.package_code else "base_package_fee_fen"
        raise ContractViolation([(field, problem)])


async def _for_provider(uow: UnitOfWork, ctx: IntakeContext, bed_id: str, *roles: Role) -> BedRow:
    bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
    require_role(ctx.principal, *roles)
    assert ctx.principal.role in PROVIDER_STAFF  # visible to staff means their provider's bed
    return bed
