"""Consent use cases (000 §三(一), §三(三); 004 §三(二)): record a consent or a refusal, withdraw
one, read a bed's consents; and the guard the steps they protect call.

The elder or family account records its own consent in the app (electronic); provider staff
record what the elder or family gave them (a signed form, an oral consent before a witness).
Officers and the elder or family read the whole history. Every record and withdrawal is
published on `intake.beds.v1` (`bed.consent_recorded`, `bed.consent_withdrawn`): iot-ingest
registers or streams a camera only while `video_monitoring` is in force. The checks the
guarded steps call are `intake.service.consent_checks`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import IllegalTransition, NotFound
from chassis.principal import Role
from homebed_schemas.events.bed_workflows import (
    ConsentEvent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
)
from intake.domain.consent import (
    GUARDED_STEP,
    ConsentRecord,
    ConsentStatus,
    check_consent,
    check_withdrawal,
    latest_by_scope,
)
from intake.domain.lifecycle import ACTIVE_BED_STATUSES, BED_ACTIONS, BedStatus
from intake.domain.policy import PolicyProfile
from intake.policies.loader import load_profile
from intake.repository import ConsentRepository, SqlRepository
from intake.schemas.consents import ConsentCreate, ConsentRead, ConsentWithdraw
from intake.service.beds import visible_bed
from intake.service.consent_checks import record_of
from intake.service.context import IntakeContext
from intake.service.events import BEDS_TOPIC
from intake.tables import BedRow, ConsentRow

GIVERS = (Role.ELDER, Role.FAMILY, Role.PROVIDER_ADMIN, Role.CAREGIVER)
RECORD = "record_consent"


async def record_consent(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: ConsentCreate
) -> ConsentRead:
    """Record a consent or refusal of one scope for a live bed; publishes bed.consent_recorded."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        require_role(ctx.principal, *GIVERS)
        status = BedStatus(bed.status)
        if status not in ACTIVE_BED_STATUSES:
            raise IllegalTransition(
                entity="bed",
                state=status.value,
                action=RECORD,
                allowed_actions=[a.value for a in BED_ACTIONS[status]],
            )
        check_consent(
            role=ctx.principal.role,
            given_by=cmd.given_by,
            relation=cmd.relation,
            method=cmd.method,
            evidence_ref=cmd.evidence_ref,
            witness_name=cmd.witness_name,
            given_at=cmd.given_at,
            now=ctx.now,
        )
        repo = uow.repo(ConsentRepository)
        earlier = list(await repo.of_bed(bed.id))
        row = ConsentRow(
            id=str(uuid.uuid4()),
            bed_id=bed.id,
            elder_id=bed.elder_id,
            scope=cmd.scope.value,
            decision=cmd.decision.value,
            given_by=cmd.given_by.value,
            giver_name=cmd.giver_name,
            relation=cmd.relation,
            method=cmd.method.value,
            given_at=cmd.given_at,
            evidence_ref=cmd.evidence_ref,
            witness_name=cmd.witness_name,
            note=cmd.note,
            recorded_by=ctx.principal.sub,
            recorded_role=ctx.principal.role.value,
            recorded_at=ctx.now,
        )
        repo.add(row)
        answer = await _announced(uow, ctx, bed, row, [*earlier, row], "consent_recorded")
        await uow.commit()
        return answer


async def withdraw_consent(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, consent_id: str, cmd: ConsentWithdraw
) -> ConsentRead:
    """Withdraw the consent in force for its scope; publishes bed.consent_withdrawn."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        repo = uow.repo(ConsentRepository)
        row = await repo.get(consent_id)
        if row is None or row.bed_id != bed.id:
            raise NotFound("consent")
        require_role(ctx.principal, *GIVERS)
        rows = list(await repo.of_bed(bed.id))
        latest = latest_by_scope([record_of(r) for r in rows])
        check_withdrawal(record_of(row), latest[ConsentScope(row.scope)])
        row.withdrawn_at = ctx.now
        row.withdrawn_by = ctx.principal.sub
        row.withdrawn_role = ctx.principal.role.value
        row.withdrawal_method = cmd.method.value
        row.withdrawal_reason = cmd.reason
        row.withdrawal_evidence_ref = cmd.evidence_ref
        answer = await _announced(uow, ctx, bed, row, rows, "consent_withdrawn")
        await uow.commit()
        return answer


async def list_consents(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, limit: int, offset: int
) -> Page[ConsentRead]:
    """Every consent record of the bed, newest first, with the one in force per scope."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        rows = list(await uow.repo(ConsentRepository).of_bed(bed.id))
        latest = latest_by_scope([record_of(r) for r in rows])
        profile = load_profile(bed.jurisdiction)
        newest_first = rows[::-1]
        return Page[ConsentRead](
            items=[
                consent_read(r, profile, latest_id=_latest_id(latest, r))
                for r in newest_first[offset : offset + limit]
            ],
            total=len(rows),
            limit=limit,
            offset=offset,
        )


def consent_read(row: ConsentRow, profile: PolicyProfile, *, latest_id: str | None) -> ConsentRead:
    record = record_of(row)
    requirement = profile.consent_for(row.scope)
    return ConsentRead(
        id=row.id,
        bed_id=row.bed_id,
        scope=row.scope,
        guards=GUARDED_STEP[record.scope],
        required=requirement is not None,
        citation=requirement.citation.text if requirement else None,
        decision=row.decision,
        status=record.status.value,
        in_force=_in_force(record, latest_id),
        given_by=row.given_by,
        giver_name=row.giver_name,
        relation=row.relation,
        method=row.method,
        given_at=row.given_at,
        evidence_ref=row.evidence_ref,
        witness_name=row.witness_name,
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_role=row.recorded_role,
        recorded_at=row.recorded_at,
        withdrawn_at=row.withdrawn_at,
        withdrawn_by=row.withdrawn_by,
        withdrawn_role=row.withdrawn_role,
        withdrawal_method=row.withdrawal_method,
        withdrawal_reason=row.withdrawal_reason,
        withdrawal_evidence_ref=row.withdrawal_evidence_ref,
    )


async def _announced(
    uow: UnitOfWork,
    ctx: IntakeContext,
    bed: BedRow,
    row: ConsentRow,
    rows: Sequence[ConsentRow],
    name: str,
) -> ConsentRead:
    """Stage `bed.<name>` for the consent and answer it; the caller commits."""
    latest = latest_by_scope([record_of(r) for r in rows])
    latest_id = _latest_id(latest, row)
    record = record_of(row)
    event = ConsentEvent(
        consent_id=row.id,
        bed_id=bed.id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        scope=record.scope,
        decision=record.decision,
        given_by=ConsentGiver(row.given_by),
        relation=row.relation,
        method=ConsentMethod(row.method),
        given_at=row.given_at,
        withdrawn_at=row.withdrawn_at,
        in_force=_in_force(record, latest_id),
        occurred_at=ctx.now,
    )
    await uow.emit(topic=BEDS_TOPIC, key=bed.id, type_=f"bed.{name}", subject=bed.id, data=event)
    return consent_read(row, load_profile(bed.jurisdiction), latest_id=latest_id)


def _latest_id(latest: dict[ConsentScope, ConsentRecord], row: ConsentRow) -> str | None:
    found = latest.get(ConsentScope(row.scope))
    return found.id if found else None


def _in_force(record: ConsentRecord, latest_id: str | None) -> bool:
    return record.id == latest_id and record.status is ConsentStatus.GRANTED
