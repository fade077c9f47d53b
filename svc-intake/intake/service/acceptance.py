"""Acceptance use cases (验收, 001 §四(五)): the provider applies with the service contract, the
construction investment list and the service data list; the officer records the joint
inspection at home by street and community, then returns the application with reasons (the
provider applies again) or accepts the bed. Each step is published on `intake.beds.v1`
(`bed.acceptance_*`); the acceptance itself also publishes the lifecycle's `bed.accepted`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, PreconditionFailed
from chassis.principal import Role
from homebed_schemas.events.bed_workflows import (
    AcceptanceEvent,
    InvestmentCategory,
    InvestmentLine,
    ServiceDataLine,
)
from intake.domain.acceptance import (
    AcceptanceStatus,
    AcceptanceStep,
    InvestmentItem,
    check_application,
    check_inspection,
    next_status,
)
from intake.domain.bed import accept_problems
from intake.domain.errors import InvalidAcceptance
from intake.domain.lifecycle import BedStatus
from intake.policies.loader import load_profile
from intake.repository import AcceptanceRepository, SqlRepository
from intake.schemas.acceptance import (
    AcceptanceApply,
    AcceptanceRead,
    AcceptIn,
    InspectionIn,
    InspectionRead,
    InvestmentLineRead,
    InvestmentRead,
    ReturnIn,
    ServiceDataLineRead,
    ServiceDataRead,
)
from intake.schemas.beds import BedRead
from intake.service.beds import bed_answer, visible_bed
from intake.service.context import IntakeContext
from intake.service.events import BEDS_TOPIC, emit_bed_event
from intake.tables import AcceptanceRow, BedRow

ONE_OPEN = "an acceptance application of this bed is already open"


async def apply_for_acceptance(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: AcceptanceApply
) -> AcceptanceRead:
    """The provider applies after the month of service; publishes bed.acceptance_applied."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        repo = uow.repo(AcceptanceRepository)
        latest = await repo.latest(bed.id)
        status = next_status(BedStatus(bed.status), _status(latest), AcceptanceStep.APPLY)
        assert bed.established_on is not None, "an established bed has its date"
        waiting = accept_problems(
            load_profile(bed.jurisdiction), established_on=bed.established_on, on=ctx.today
        )
        if waiting:
            raise PreconditionFailed(action=AcceptanceStep.APPLY.value, problems=waiting)
        check_application(
            investment=[
                InvestmentItem(line.category.value, line.description, line.amount_fen)
                for line in cmd.investment.lines
            ],
            total_fen=cmd.investment.total_fen,
            period_start=cmd.service_data.period_start,
            period_end=cmd.service_data.period_end,
            established_on=bed.established_on,
            today=ctx.today,
        )
        if await repo.contract_of_bed(bed.id, cmd.contract_id) is None:
            raise InvalidAcceptance([("contract_id", "not a service contract of this bed")])
        row = AcceptanceRow(
            id=str(uuid.uuid4()),
            bed_id=bed.id,
            open_bed_id=bed.id,
            attempt=(latest.attempt + 1) if latest else 1,
            status=status.value,
            contract_id=cmd.contract_id,
            investment=[line.model_dump(mode="json") for line in cmd.investment.lines],
            investment_total_fen=cmd.investment.total_fen,
            service_period_start=cmd.service_data.period_start,
            service_period_end=cmd.service_data.period_end,
            service_data=[line.model_dump(mode="json") for line in cmd.service_data.lines],
            applied_by=ctx.principal.sub,
            applied_on=ctx.today,
            reasons=[],
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        repo.add(row)
        try:
            await repo.flush()  # one open application per bed, even under races
        except IntegrityError:
            raise Conflict(ONE_OPEN) from None
        await _announce(uow, ctx, bed, row, "acceptance_applied")
        await uow.commit()
        return acceptance_read(row)


async def record_inspection(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: InspectionIn
) -> AcceptanceRead:
    """The joint inspection at home by street and community; publishes bed.acceptance_inspected."""
    async with uow:
        bed, row, status = await _officer_step(uow, ctx, bed_id, AcceptanceStep.INSPECT)
        check_inspection(inspected_on=cmd.inspected_on, applied_on=row.applied_on, today=ctx.today)
        inspection: dict[str, Any] = {
            "inspected_on": cmd.inspected_on.isoformat(),
            "street_inspectors": list(cmd.street_inspectors),
            "community_inspectors": list(cmd.community_inspectors),
            "findings": cmd.findings,
            "recorded_by": ctx.principal.sub,
        }
        row.status = status.value
        row.inspection = inspection
        row.inspected_by = ctx.principal.sub
        row.updated_at = bed.updated_at = ctx.now
        bed.inspections = [*bed.inspections, {"attempt": row.attempt, **inspection}]
        await _announce(uow, ctx, bed, row, "acceptance_inspected")
        await uow.commit()
        return acceptance_read(row)


async def return_acceptance(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: ReturnIn
) -> AcceptanceRead:
    """The officer returns the application with reasons; the provider may apply again."""
    async with uow:
        bed, row, status = await _officer_step(uow, ctx, bed_id, AcceptanceStep.RETURN)
        row.status = status.value
        row.reasons = list(cmd.reasons)
        _decided(row, ctx)
        await _announce(uow, ctx, bed, row, "acceptance_returned")
        await uow.commit()
        return acceptance_read(row)


async def accept_bed(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: AcceptIn) -> BedRead:
    """The officer accepts the inspected application: the bed is accepted (bed.accepted) and the
    application's investment list goes out with bed.acceptance_approved (svc-subsidy)."""
    async with uow:
        bed, row, status = await _officer_step(uow, ctx, bed_id, AcceptanceStep.ACCEPT)
        row.status = status.value
        row.decision_note = cmd.note
        _decided(row, ctx)
        bed.status = BedStatus.ACCEPTED.value
        bed.accepted_on = ctx.today
        bed.updated_at = ctx.now
        await _announce(uow, ctx, bed, row, "acceptance_approved")
        contract = await uow.repo(SqlRepository).latest_contract(bed.id)
        assert contract is not None, "an established bed has a contract"
        await emit_bed_event(uow, bed, contract, "accepted", now=ctx.now)
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


async def list_acceptances(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, limit: int, offset: int
) -> Page[AcceptanceRead]:
    """The bed's acceptance applications, latest attempt first."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        rows, total = await uow.repo(AcceptanceRepository).page(bed.id, limit=limit, offset=offset)
        return Page[AcceptanceRead](
            items=[acceptance_read(r) for r in rows], total=total, limit=limit, offset=offset
        )


def acceptance_read(row: AcceptanceRow) -> AcceptanceRead:
    inspection = row.inspection
    return AcceptanceRead(
        id=row.id,
        bed_id=row.bed_id,
        attempt=row.attempt,
        status=row.status,
        contract_id=row.contract_id,
        investment=InvestmentRead(
            lines=[InvestmentLineRead.model_validate(line) for line in row.investment],
            total_fen=row.investment_total_fen,
        ),
        service_data=ServiceDataRead(
            period_start=row.service_period_start,
            period_end=row.service_period_end,
            lines=[ServiceDataLineRead.model_validate(line) for line in row.service_data],
        ),
        applied_by=row.applied_by,
        applied_on=row.applied_on,
        inspection=InspectionRead.model_validate(inspection) if inspection else None,
        reasons=list(row.reasons),
        decision_note=row.decision_note,
        decided_by=row.decided_by,
        decided_on=row.decided_on,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _officer_step(
    uow: UnitOfWork, ctx: IntakeContext, bed_id: str, step: AcceptanceStep
) -> tuple[BedRow, AcceptanceRow, AcceptanceStatus]:
    """The bed, its open application and the status `step` moves it to (409 if it may not)."""
    bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
    require_role(ctx.principal, Role.OFFICER)
    row = await uow.repo(AcceptanceRepository).latest(bed.id)
    status = next_status(BedStatus(bed.status), _status(row), step)
    assert row is not None, "only applying starts without an application"
    return bed, row, status


def _decided(row: AcceptanceRow, ctx: IntakeContext) -> None:
    row.decided_by = ctx.principal.sub
    row.decided_on = ctx.today
    row.open_bed_id = None
    row.updated_at = ctx.now


def _status(row: AcceptanceRow | None) -> AcceptanceStatus | None:
    return AcceptanceStatus(row.status) if row is not None else None


async def _announce(
    uow: UnitOfWork, ctx: IntakeContext, bed: BedRow, row: AcceptanceRow, name: str
) -> None:
    """Stage `bed.<name>` with the whole application; the use case commits."""
    inspection = row.inspection or {}
    event = AcceptanceEvent(
        acceptance_id=row.id,
        bed_id=bed.id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        attempt=row.attempt,
        status=row.status,
        contract_id=row.contract_id,
        investment=[
            InvestmentLine(
                category=InvestmentCategory(line["category"]),
                description=line["description"],
                amount_fen=line["amount_fen"],
            )
            for line in row.investment
        ],
        investment_total_fen=row.investment_total_fen,
        service_period_start=row.service_period_start,
        service_period_end=row.service_period_end,
        service_data=[ServiceDataLine.model_validate(line) for line in row.service_data],
        applied_on=row.applied_on,
        inspected_on=inspection.get("inspected_on"),
        findings=inspection.get("findings"),
        reasons=list(row.reasons),
        accepted_on=bed.accepted_on if row.status == AcceptanceStatus.ACCEPTED else None,
        occurred_at=ctx.now,
    )
    await uow.emit(topic=BEDS_TOPIC, key=bed.id, type_=f"bed.{name}", subject=bed.id, data=event)
