"""Referral use cases: send, act on (the Task's status), read, list, the deadline sweep."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from chassis.access import require_role
from chassis.clock import Clock
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import (
    Forbidden,
    IllegalTransition,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
from chassis.principal import Role
from homebed_schemas.events.referral import OrganisationKind, ReferralPath, ReferralStatus
from referral.domain.consent import ACTIVE
from referral.domain.paths import PATHS, Starter
from referral.domain.referral import Action, Command, Organisation, Referral
from referral.policies.loader import load_deadlines, load_reasons
from referral.repository import BedRepository, ConsentRepository, ReferralRepository
from referral.schemas.referrals import (
    HistoryRead,
    ReferralAction,
    ReferralCreate,
    ReferralRead,
    ReferralSummary,
)
from referral.service import idempotency
from referral.service.access import (
    acting_organisation,
    applicant_beds,
    party_of,
    visibility,
    visible_referral,
)
from referral.service.events import publish_changes
from referral.service.idempotency import KeyTaken, Outcome
from referral.service.mapping import referral_read, referral_summary, to_domain, to_row, update_row
from referral.tables import BedRow, ReferralHistoryRow, ReferralRow

logger = logging.getLogger(__name__)
ENDED_BEDS = frozenset({"terminated", "transferred"})
LIST_STATUSES = frozenset(s.value for s in ReferralStatus)


async def create_referral(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: ReferralCreate, idempotency_key: str | None
) -> Outcome[ReferralRead]:
    """Send a referral on one of the five paths; publishes referral.requested."""
    request = idempotency.idempotent_request(
        ctx.principal, "POST /v1/referrals", idempotency_key, cmd.model_dump(mode="json")
    )
    try:
        async with uow:
            await idempotency.claim(uow, request, now=ctx.now)
            row, referral = await _new_referral(uow, ctx, cmd)
            uow.repo(ReferralRepository).add(row)
            _history(uow, referral, actor=ctx.principal.sub, party="requester")
            await publish_changes(uow, referral, load_deadlines(referral.jurisdiction))
            answer = referral_read(row, party_of(row, ctx.principal))
            await idempotency.remember(uow, request, 201, answer)
            await uow.commit()
            return Outcome(answer, 201)
    except KeyTaken:
        assert request is not None
        return await idempotency.replay(uow, request, ReferralRead)


async def act_on_referral(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    referral_id: str,
    action: str,
    cmd: ReferralAction,
    idempotency_key: str | None,
) -> Outcome[ReferralRead]:
    """One step of the Task by the requester or the receiver; publishes the status reached."""
    request = idempotency.idempotent_request(
        ctx.principal,
        f"POST /v1/referrals/{referral_id}/actions/{action}",
        idempotency_key,
        cmd.model_dump(mode="json"),
    )
    try:
        async with uow:
            await idempotency.claim(uow, request, now=ctx.now)
            answer = await _act(uow, ctx, referral_id, action, cmd)
            await idempotency.remember(uow, request, 200, answer)
            await uow.commit()
            return Outcome(answer, 200)
    except KeyTaken:
        assert request is not None
        return await idempotency.replay(uow, request, ReferralRead)


async def get_referral(*, uow: UnitOfWork, ctx: RequestContext, referral_id: str) -> ReferralRead:
    async with uow:
        row = await visible_referral(uow.repo(ReferralRepository), ctx.principal, referral_id)
        return referral_read(row, party_of(row, ctx.principal))


async def referral_history(
    *, uow: UnitOfWork, ctx: RequestContext, referral_id: str
) -> list[HistoryRead]:
    async with uow:
        referrals = uow.repo(ReferralRepository)
        await visible_referral(referrals, ctx.principal, referral_id)
        return [
            HistoryRead(
                event_type=h.event_type,
                status=h.status,
                business_status=h.business_status,
                reason_code=h.reason_code,
                actor=h.actor,
                party=h.party,
                at=h.at,
            )
            for h in await referrals.history(referral_id)
        ]


async def list_referrals(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    status: str | None,
    path: str | None,
    role: str | None,
    updated_after: datetime | None,
    limit: int,
    offset: int,
) -> Page[ReferralSummary]:
    """The referrals the caller may see, newest change first; `role=inbound|outbound` narrows
    to those its organisation receives or sent."""
    if status is not None and status not in LIST_STATUSES:
        raise Unprocessable([("query.status", f"one of {', '.join(sorted(LIST_STATUSES))}")])
    if path is not None and path not in {p.value for p in ReferralPath}:
        raise Unprocessable([("query.path", f"one of {', '.join(p.value for p in ReferralPath)}")])
    if role is not None and role not in ("inbound", "outbound"):
        raise Unprocessable([("query.role", "inbound | outbound")])
    async with uow:
        referrals = uow.repo(ReferralRepository)
        where = [visibility(ctx.principal, await applicant_beds(referrals, ctx.principal))]
        if status:
            where.append(ReferralRow.status == status)
        if path:
            where.append(ReferralRow.path == path)
        if updated_after:
            where.append(ReferralRow.updated_at > updated_after)
        org = acting_organisation(ctx.principal)
        if role == "inbound":
            where.append(ReferralRow.receiver_id == (org or ""))
        elif role == "outbound":
            where.append(ReferralRow.requester_id == (org or ""))
        rows, total = await referrals.page(where, limit=limit, offset=offset)
        return Page(
            items=[referral_summary(r) for r in rows], total=total, limit=limit, offset=offset
        )


async def sweep_deadlines(*, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> int:
    """Escalate every step whose deadline passed (once per step): referral.deadline_missed."""
    uow = uow_factory()
    async with uow:
        now = clock()
        rows = await uow.repo(ReferralRepository).overdue(now)
        for row in rows:
            referral = to_domain(row)
            referral.escalate(now)
            update_row(row, referral)
            _history(uow, referral, actor="svc-referral", party="system")
            await publish_changes(uow, referral, load_deadlines(referral.jurisdiction))
        await uow.commit()
    if rows:
        logger.info("referral deadlines escalated", extra={"count": len(rows)})
    return len(rows)


async def _act(
    uow: UnitOfWork, ctx: RequestContext, referral_id: str, action_name: str, cmd: ReferralAction
) -> ReferralRead:
    referrals = uow.repo(ReferralRepository)
    row = await visible_referral(referrals, ctx.principal, referral_id)
    party = party_of(row, ctx.principal)
    referral = to_domain(row)
    if party is None:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.HOSPITAL)
        raise Forbidden("only the requester or the receiver acts on a referral; yours is read-only")
    try:
        action = Action(action_name)
    except ValueError:
        raise IllegalTransition(
            state=referral.status.value,
            action=action_name,
            allowed_actions=referral.allowed_actions(party),
            entity="referral",
            detail=f"unknown action {action_name!r}",
        ) from None
    deadlines = load_deadlines(referral.jurisdiction)
    referral.act(
        Command(action, cmd.reason_code, cmd.reason, cmd.business_status, cmd.day),
        party=party,
        at=ctx.now,
        reasons=load_reasons(),
        deadlines=deadlines,
    )
    if action is Action.COMPLETE and cmd.day is not None and cmd.day > ctx.today:
        raise Unprocessable([("body.day", f"lies after today ({ctx.today})")])
    update_row(row, referral)
    _history(uow, referral, actor=ctx.principal.sub, party=party.value)
    await publish_changes(uow, referral, deadlines)
    return referral_read(row, party)


async def _new_referral(
    uow: UnitOfWork, ctx: RequestContext, cmd: ReferralCreate
) -> tuple[ReferralRow, Referral]:
    principal = ctx.principal
    starts = _paths_started_by(principal.role)
    try:
        path = ReferralPath(cmd.path)
    except ValueError:
        raise _unknown(cmd.path, "path", starts) from None
    rule = PATHS[path]
    if path.value not in starts:
        require_role(principal, Role.PROVIDER_ADMIN, Role.HOSPITAL)
        raise _unknown(
            cmd.path,
            "path",
            starts,
            detail=f"a {principal.role.value} cannot start a {path.value} referral",
        )
    if cmd.receiver.kind is not None and cmd.receiver.kind != rule.receiver_kind.value:
        raise _unknown(
            cmd.receiver.kind,
            "receiver kind",
            [rule.receiver_kind.value],
            detail=f"a {path.value} referral goes to a {rule.receiver_kind.value}",
        )
    org = acting_organisation(principal)
    if not org:
        raise Forbidden("the caller acts for no organisation (provider_id or partner id)")
    receiver = Organisation(cmd.receiver.organisation_id, rule.receiver_kind, cmd.receiver.name)
    if receiver.organisation_id == org:
        raise Unprocessable(
            [("body.receiver.organisation_id", "a referral goes to another organisation")]
        )
    referral_id = str(uuid.uuid4())
    if rule.starter is Starter.PARTNER_HOSPITAL:
        discharge = cmd.discharge
        if discharge is None:
            raise Unprocessable([("body.discharge", "required on the home_bed path")])
        if cmd.bed_id is not None:
            raise Unprocessable(
                [("body.bed_id", "the home_bed path brings an elder with no bed yet")]
            )
        if principal.region_codes and not principal.in_region(discharge.region_code):
            raise Unprocessable([("body.discharge.region_code", "outside the partner's regions")])
        load_deadlines(discharge.jurisdiction)  # 422 for an unknown jurisdiction
        referral = Referral.request(
            id=referral_id,
            path=path,
            requester=Organisation(org, OrganisationKind.HOSPITAL, None),
            receiver=receiver,
            jurisdiction=discharge.jurisdiction,
            region_code=discharge.region_code,
            at=ctx.now,
            deadlines=load_deadlines(discharge.jurisdiction),
            provider_id=receiver.organisation_id,
            discharge=discharge.model_dump(mode="json"),
        )
        row = to_row(referral, created_by=principal.sub)
        row.note = cmd.note
        return row, referral
    if cmd.discharge is not None:
        raise Unprocessable([("body.discharge", "only on the home_bed path")])
    if cmd.bed_id is None:
        raise Unprocessable([("body.bed_id", f"required on the {path.value} path")])
    bed = await uow.repo(BedRepository).get(cmd.bed_id)
    if bed is None or bed.provider_id != org:
        raise NotFound("bed")  # another provider's elder is as unknown as a missing one
    if bed.status in ENDED_BEDS:
        raise PreconditionFailed(
            action="refer", problems=[f"needs: a running bed (it is {bed.status})"]
        )
    if rule.needs_family_consent:
        await _check_consent_to_refer(uow, ctx, cmd.consent_id, bed, receiver.organisation_id)
    elif cmd.consent_id is not None:
        await _check_consent_exists(uow, cmd.consent_id, bed)
    deadlines = load_deadlines(bed.jurisdiction)
    referral = Referral.request(
        id=referral_id,
        path=path,
        requester=Organisation(org, OrganisationKind.HOME_BED_PROVIDER, None),
        receiver=receiver,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        at=ctx.now,
        deadlines=deadlines,
        bed_id=bed.bed_id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        consent_id=cmd.consent_id,
    )
    row = to_row(referral, created_by=principal.sub)
    row.note = cmd.note
    return row, referral


async def _check_consent_to_refer(
    uow: UnitOfWork, ctx: RequestContext, consent_id: str | None, bed: BedRow, receiver_id: str
) -> None:
    """004 §二(四)1: back to hospital only after the family agrees, so a consent in force for
    this elder and this hospital must be recorded first."""
    if consent_id is None:
        raise PreconditionFailed(
            action="refer", problems=["needs: the family's consent to this hospital (consent_id)"]
        )
    consent = await uow.repo(ConsentRepository).get(consent_id)
    if consent is None or consent.elder_id != bed.elder_id:
        raise Unprocessable([("body.consent_id", "no consent of this elder")])
    in_force = (
        consent.status == ACTIVE
        and consent.receiver_id == receiver_id
        and consent.valid_from <= ctx.now < consent.valid_until
    )
    if not in_force:
        raise PreconditionFailed(
            action="refer",
            problems=[f"needs: a consent in force for {receiver_id} (it is {consent.status})"],
        )


async def _check_consent_exists(uow: UnitOfWork, consent_id: str, bed: BedRow) -> None:
    consent = await uow.repo(ConsentRepository).get(consent_id)
    if consent is None or consent.elder_id != bed.elder_id:
        raise Unprocessable([("body.consent_id", "no consent of this elder")])


def _paths_started_by(role: Role) -> list[str]:
    starter = {
        Role.PROVIDER_ADMIN: Starter.HOME_BED_PROVIDER,
        Role.HOSPITAL: Starter.PARTNER_HOSPITAL,
    }.get(role)
    return [p.value for p, rule in PATHS.items() if rule.starter is starter]


def _unknown(
    value: str, what: str, allowed: list[str], *, detail: str | None = None
) -> IllegalTransition:
    return IllegalTransition(
        state="new",
        action=f"refer:{value}"[:80],
        allowed_actions=allowed,
        entity="referral",
        detail=detail or f"unknown {what} {value!r}; allowed: {', '.join(allowed) or 'none'}",
    )


def _history(uow: UnitOfWork, referral: Referral, *, actor: str, party: str) -> None:
    for change in referral.changes:
        uow.repo(ReferralRepository).add(
            ReferralHistoryRow(
                referral_id=referral.id,
                event_type=change.event_type,
                status=change.status.value,
                business_status=referral.business_status,
                reason_code=referral.reason_code,
                actor=actor,
                party=party,
                at=change.at,
            )
        )
