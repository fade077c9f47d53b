"""Application use cases: create (online or offline), update, submit, withdraw, read, list."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.principal import Role
from intake.domain.actions import APPLICATION_ROLES, split_actions
from intake.domain.application import verify_identity
from intake.domain.errors import UnusableProvider
from intake.domain.lifecycle import (
    APPLICATION_ACTIONS,
    ApplicationAction,
    ApplicationStatus,
    application_target,
    check_application_action,
)
from intake.domain.tenancy import OWNERS, PROVIDER_STAFF, can_view
from intake.policies.loader import load_profile
from intake.repository import ListFilter, ProviderRepository, SqlRepository
from intake.schemas.applications import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationSummary,
    ApplicationUpdate,
    ContactIn,
    ProviderChoice,
)
from intake.service.context import (
    CAREGIVER_PHONE,
    EMERGENCY_PHONE,
    ID_NUMBER,
    SOCIAL_SECURITY_NO,
    IntakeContext,
)
from intake.service.discharge_applications import link_to_application
from intake.service.events import emit_application_event
from intake.service.facts import eligibility_snapshot, evaluate_application
from intake.service.pilot_area import settle_pilot_area, stored_declaration
from intake.service.providers import provider_problems_for
from intake.service.views import ActionView, application_read, application_summary
from intake.tables import ApplicationRow, ElderRow

ACTORS = (Role.ELDER, Role.FAMILY, Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER)
ONE_ACTIVE = "this elder already has an active application or bed (one per elder)"
ONE_EACH = f"{ONE_ACTIVE}, and one application per discharge referral"
SAME_OFFICER = "each review level needs a different officer"


async def visible_application(
    repo: SqlRepository, ctx: IntakeContext, application_id: str
) -> tuple[ApplicationRow, ElderRow]:
    """The application and its elder, or NotFound when missing or not visible to the caller."""
    row = await repo.application(application_id)
    if row is None or not can_view(
        ctx.principal,
        applicant_sub=row.applicant_sub,
        provider_id=row.provider_id,
        region_code=row.region_code,
    ):
        raise NotFound("application")
    elder = await repo.elder(row.elder_id)
    assert elder is not None  # foreign key
    return row, elder


async def create_application(
    *, uow: UnitOfWork, ctx: IntakeContext, cmd: ApplicationCreate
) -> ApplicationRead:
    """Create a draft; provider staff and officers key in offline applications (000 §三(一))."""
    principal = ctx.principal
    require_role(principal, *ACTORS)
    profile = load_profile(cmd.jurisdiction)
    resident = verify_identity(
        cmd.id_number, today=ctx.today, declared_birth_date=cmd.birth_date, declared_sex=cmd.sex
    )
    provider_id = cmd.provider_id
    if principal.role in PROVIDER_STAFF:
        if provider_id not in (None, principal.provider_id):
            raise Forbidden("provider staff enter applications for their own provider only")
        provider_id = principal.provider_id
    if principal.role is Role.OFFICER and not principal.in_region(cmd.current_address.region_code):
        raise Forbidden("officers enter applications of their own region only")
    async with uow:
        repo = uow.repo(SqlRepository)
        if provider_id is not None:
            await require_usable_provider(uow, provider_id, cmd.current_address.region_code)
        index = ctx.pii.index(resident.number, context=ID_NUMBER)
        elder = await repo.elder_by_index(index)
        duplicate_of = None
        if elder is None:
            elder = _new_elder(ctx, cmd, resident.number, index)
            repo.add(elder)
            await repo.flush()
        else:
            duplicate_of = await _hidden_duplicate(repo, ctx, elder.id)
        row = ApplicationRow(
            id=str(uuid.uuid4()),
            elder_id=elder.id,
            active_elder_id=None if duplicate_of else elder.id,
            duplicate_of=duplicate_of,
            name=cmd.name,
            jurisdiction=profile.jurisdiction,
            region_code=cmd.current_address.region_code,
            provider_id=provider_id,
            status=ApplicationStatus.DRAFT.value,
            channel="online" if principal.role in OWNERS else "offline",
            # offline applications have no owner account yet: "" matches no principal's sub
            applicant_sub=principal.sub if principal.role in OWNERS else "",
            entered_by=None if principal.role in OWNERS else principal.sub,
            form=_form(ctx, cmd.model_dump(mode="json", exclude_unset=False)),
            in_pilot_area=cmd.in_pilot_area,
            has_stable_caregiver=cmd.has_stable_caregiver,
            is_renter=cmd.is_renter,
            economic_status=cmd.economic_status.value if cmd.economic_status else None,
            reviews=[],
            discharge_referral_id=cmd.discharge_referral_id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        if cmd.discharge_referral_id is not None:
            await link_to_application(
                uow=uow,
                referral_id=cmd.discharge_referral_id,
                application_id=row.id,
                provider_id=provider_id,
                jurisdiction=profile.jurisdiction,
                now=ctx.now,
            )
        settle_pilot_area(row, declared=cmd.in_pilot_area, sent_now=True)
        _seal_contacts(ctx, row, cmd.caregiver, cmd.emergency_contact)
        repo.add(row)
        try:
            await repo.flush()  # the one-active-per-elder constraint answers here
        except IntegrityError:
            raise Conflict(ONE_ACTIVE if cmd.discharge_referral_id is None else ONE_EACH) from None
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def _hidden_duplicate(repo: SqlRepository, ctx: IntakeContext, elder_id: str) -> str | None:
    """The elder's active application or bed: 409 for a caller who may see it; for anyone else
    its id, so the new application is accepted without revealing that the elder has one."""
    existing = await repo.active_of(elder_id)
    if existing is None:
        return None
    if can_view(
        ctx.principal,
        applicant_sub=existing.applicant_sub,
        provider_id=existing.provider_id,
        region_code=existing.region_code,
    ):
        raise Conflict(ONE_ACTIVE)
    return existing.id


async def update_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: ApplicationUpdate
) -> ApplicationRead:
    """Edit a draft; only the fields sent change."""
    async with uow:
        row, elder = await _actionable(uow, ctx, application_id)
        application_target(ApplicationStatus(row.status), ApplicationAction.UPDATE)
        changes = cmd.model_dump(mode="json", exclude_unset=True)
        declared_now = "in_pilot_area" in changes
        declared = changes.get("in_pilot_area") if declared_now else stored_declaration(row)
        if "provider_id" in changes and ctx.principal.role in PROVIDER_STAFF:
            raise Forbidden("provider staff cannot move an application to another provider")
        for name in ("in_pilot_area", "has_stable_caregiver", "is_renter", "economic_status"):
            if name in changes:
                setattr(row, name, changes.pop(name))
        recheck_provider = bool({"provider_id", "current_address"} & changes.keys())
        if "provider_id" in changes:
            row.provider_id = changes.pop("provider_id")
        if cmd.current_address is not None:
            row.region_code = cmd.current_address.region_code
        if row.provider_id is not None and recheck_provider:
            await require_usable_provider(uow, row.provider_id, row.region_code)
        if cmd.caregiver is not None or cmd.emergency_contact is not None:
            _seal_contacts(ctx, row, cmd.caregiver, cmd.emergency_contact)
        row.form = {**row.form, **_form(ctx, changes)}
        if declared_now or cmd.current_address is not None:
            settle_pilot_area(row, declared=declared, sent_now=declared_now)
        row.updated_at = ctx.now
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def choose_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: ProviderChoice
) -> ApplicationRead:
    """The applicant or the reviewing officer sets or changes the provider before approval."""
    async with uow:
        row, elder = await visible_application(uow.repo(SqlRepository), ctx, application_id)
        require_role(ctx.principal, Role.ELDER, Role.FAMILY, Role.OFFICER)
        check_application_action(ApplicationStatus(row.status), ApplicationAction.CHOOSE_PROVIDER)
        await require_usable_provider(uow, cmd.provider_id, row.region_code)
        row.provider_id = cmd.provider_id
        row.updated_at = ctx.now
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def require_usable_provider(uow: UnitOfWork, provider_id: str, region_code: str) -> None:
    """422 naming `body.provider_id` unless the provider is registered, active and serves here."""
    problems = await provider_problems_for(
        uow.repo(ProviderRepository), provider_id, region_code=region_code
    )
    if problems:
        raise UnusableProvider(problems)


async def submit_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> ApplicationRead:
    """Submit a draft for assessment; eligibility is evaluated and published with it."""
    async with uow:
        row, elder = await _actionable(uow, ctx, application_id)
        row.status = application_target(ApplicationStatus(row.status), ApplicationAction.SUBMIT)
        snapshot = eligibility_snapshot(row, elder, as_of=ctx.today)
        row.eligibility = snapshot
        row.submitted_at = row.updated_at = ctx.now
        await emit_application_event(uow, row, "submitted", priority=bool(snapshot["priority"]))
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def withdraw_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> ApplicationRead:
    """Withdraw the application; it frees the elder for a new one."""
    async with uow:
        row, elder = await _actionable(uow, ctx, application_id)
        row.status = application_target(ApplicationStatus(row.status), ApplicationAction.WITHDRAW)
        row.active_elder_id = None
        row.decided_at = row.updated_at = ctx.now
        if row.submitted_at is not None:  # a draft was never announced
            await emit_application_event(uow, row, "withdrawn")
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def get_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> ApplicationRead:
    """One application, with its bed once approved."""
    async with uow:
        row, elder = await visible_application(uow.repo(SqlRepository), ctx, application_id)
        return await application_answer(uow, ctx, row, elder)


async def list_applications(
    *, uow: UnitOfWork, ctx: IntakeContext, query: ListFilter, limit: int, offset: int
) -> Page[ApplicationSummary]:
    """The applications the caller may see, newest first."""
    async with uow:
        repo = uow.repo(SqlRepository)
        rows, total = await repo.applications(ctx.principal, query, limit=limit, offset=offset)
        items = []
        for row in rows:
            elder = await repo.elder(row.elder_id)
            assert elder is not None
            items.append(application_summary(row, elder))
        return Page[ApplicationSummary](items=items, total=total, limit=limit, offset=offset)


async def application_answer(
    uow: UnitOfWork, ctx: IntakeContext, row: ApplicationRow, elder: ElderRow
) -> ApplicationRead:
    """The application as this caller sees it, read in the use case's own transaction."""
    repo = uow.repo(SqlRepository)
    bed = await repo.bed_for_application(row.id)
    state_actions = [a.value for a in APPLICATION_ACTIONS[ApplicationStatus(row.status)]]
    unmet: dict[str, list[str]] = {}
    if ApplicationAction.APPROVE.value in state_actions:
        unmet[ApplicationAction.APPROVE.value] = await approval_problems(uow, ctx, row, elder)
    allowed, blocked = split_actions(
        state_actions, role=ctx.principal.role, roles_of=APPLICATION_ROLES, unmet=unmet
    )
    officer = ctx.principal.role is Role.OFFICER
    view = ActionView(allowed, blocked, row.duplicate_of if officer else None)
    return application_read(row, elder, bed.id if bed else None, view)


async def approval_problems(
    uow: UnitOfWork, ctx: IntakeContext, row: ApplicationRow, elder: ElderRow
) -> list[str]:
    """What keeps this officer from passing the next review level now (empty: nothing)."""
    problems = []
    if any(r["officer"] == ctx.principal.sub for r in row.reviews):
        problems.append(SAME_OFFICER)
    unmet_rules = evaluate_application(row, elder, as_of=ctx.today).unmet
    if unmet_rules:
        problems.append("eligibility rules unmet: " + ", ".join(unmet_rules))
    return problems + await bed_problems(uow, row)


async def bed_problems(uow: UnitOfWork, row: ApplicationRow) -> list[str]:
    """What opening the bed needs: a usable provider, the economic status, no other live bed."""
    problems = []
    if row.provider_id is None:
        problems.append("a provider is chosen (provider_id)")
    else:
        usable = await provider_problems_for(
            uow.repo(ProviderRepository), row.provider_id, region_code=row.region_code
        )
        problems += [f"a usable provider ({p}; choose another)" for p in usable]
    if row.economic_status is None:
        problems.append("economic_status is known (reported to the platform, 000 附件1)")
    if row.duplicate_of and await uow.repo(SqlRepository).has_active(row.elder_id):
        problems.append("the elder has no other active application or bed (duplicate)")
    return [f"needs: {p}" for p in problems]


async def _actionable(
    uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> tuple[ApplicationRow, ElderRow]:
    """Visible, and the caller is one who acts on applications (not ops or a hospital)."""
    row, elder = await visible_application(uow.repo(SqlRepository), ctx, application_id)
    require_role(ctx.principal, *ACTORS)
    return row, elder


def _new_elder(ctx: IntakeContext, cmd: ApplicationCreate, number: str, index: str) -> ElderRow:
    sealed = ctx.pii.seal(number, context=ID_NUMBER)
    return ElderRow(
        id=str(uuid.uuid4()),
        id_number_index=index,
        id_number_sealed=sealed.token,
        id_number_key_id=sealed.key_id,
        id_number_tail=number[-4:],
        name=cmd.name,
        sex=cmd.sex.value,
        birth_date=cmd.birth_date,
        created_at=ctx.now,
    )


IDENTITY_FIELDS = {"jurisdiction", "provider_id", "name", "sex", "birth_date", "id_number"}
FACT_FIELDS = {"in_pilot_area", "has_stable_caregiver", "is_renter", "economic_status"}
LINK_FIELDS = {"discharge_referral_id"}  # a column of its own


def _form(ctx: IntakeContext, data: dict[str, Any]) -> dict[str, Any]:
    """The stored form: no ID number, phones sealed apart, social-security number sealed."""
    form = {k: v for k, v in data.items() if k not in IDENTITY_FIELDS | FACT_FIELDS | LINK_FIELDS}
    for contact in ("caregiver", "emergency_contact"):
        if isinstance(form.get(contact), dict):
            form[contact] = {k: v for k, v in form[contact].items() if k != "phone"}
    number = form.pop("social_security_no", None)
    if number:
        sealed = ctx.pii.seal(number, context=SOCIAL_SECURITY_NO)
        form["social_security_no_sealed"] = sealed.token
        form["social_security_no_tail"] = number[-4:]
    return form


def _seal_contacts(
    ctx: IntakeContext,
    row: ApplicationRow,
    caregiver: ContactIn | None,
    emergency: ContactIn | None,
) -> None:
    if caregiver is not None:
        sealed = ctx.pii.seal(caregiver.phone, context=CAREGIVER_PHONE)
        row.caregiver_phone_sealed, row.caregiver_phone_key_id = sealed.token, sealed.key_id
        row.caregiver_phone_tail = caregiver.phone[-4:]
        row.caregiver_phone_index = ctx.pii.index(caregiver.phone, context=CAREGIVER_PHONE)
    if emergency is not None:
        sealed = ctx.pii.seal(emergency.phone, context=EMERGENCY_PHONE)
        row.emergency_phone_sealed, row.emergency_phone_key_id = sealed.token, sealed.key_id
        row.emergency_phone_tail = emergency.phone[-4:]
