"""Entitlement facts from intake's bed events and records' visits, with their history.

Each event is kept in `fact_history`; the bed's latest snapshot feeds the settlement run. When a
fact lands in a month this provider already settled, that month is re-opened: the next run
adds an adjustment line instead of editing the approved settlement.
"""

from __future__ import annotations

from datetime import date, datetime

import orjson

from chassis.clock import SHANGHAI
from chassis.db import UnitOfWork
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import AcceptanceEvent, ConsentEvent, ConsentScope
from homebed_schemas.events.bed_workflows import InvestmentCategory as Category
from homebed_schemas.events.intake import BedEvent
from homebed_schemas.events.records import VisitEvent, VisitMode
from subsidy.domain.periods import Period
from subsidy.repositories.facts import FactsRepository
from subsidy.tables import BedFactRow

ENDINGS = ("bed.terminated", "bed.transferred")
NOT_YET = datetime(1970, 1, 1, tzinfo=SHANGHAI)  # a placeholder row yields to any snapshot


def _local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


async def _history(
    facts: FactsRepository,
    envelope: Envelope,
    bed_id: str,
    effective_on: date | None,
    now: datetime,
) -> None:
    await facts.record_history(
        bed_id=bed_id,
        event_id=str(envelope.id),
        event_type=envelope.type,
        effective_on=effective_on,
        occurred_at=envelope.time,
        recorded_at=now,
        data=orjson.dumps(envelope.data).decode(),
    )


async def _reopen(
    facts: FactsRepository, bed: BedFactRow | None, since: date | None, reason: str, now: datetime
) -> None:
    if bed is None or since is None:
        return
    await facts.reopen_settled_months(
        bed_id=bed.bed_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        since=Period.of(since),
        reason=reason,
        now=now,
    )


async def bed_changed(
    *, uow: UnitOfWork, envelope: Envelope, event: BedEvent, now: datetime
) -> None:
    """A lifecycle event: the snapshot, suspensions, the end of service."""
    facts = uow.repo(FactsRepository)
    day = event.event_date or _local_day(event.occurred_at)
    effective = {
        "bed.established": event.established_on,
        "bed.accepted": event.accepted_on,
    }.get(envelope.type, day)
    await _history(facts, envelope, event.bed_id, effective, now)
    values: dict[str, object] = {
        "bed_id": event.bed_id,
        "elder_id": event.elder_id,
        "provider_id": event.provider_id,
        "jurisdiction": event.jurisdiction,
        "region_code": event.region_code,
        "status": event.status,
        "ability_level": event.ability_level.value if event.ability_level else None,
        "economic_status": event.economic_status.value,
        "package_fee_fen": event.package_fee_fen,
        "contract_start": event.contract_start,
        "contract_end": event.contract_end,
        "established_on": event.established_on,
        "accepted_on": event.accepted_on,
        "last_event_at": event.occurred_at,
    }
    if event.elder_birth_date is not None:
        values["birth_date"] = event.elder_birth_date
    if envelope.type in ENDINGS:
        values["terminated_on"] = event.contract_dissolved_on or day
    elif envelope.type in ("bed.contract_renewed", "bed.resumed"):
        values["terminated_on"] = None
    before = await facts.bed(event.bed_id)
    if before is None:
        values.setdefault("payments_suspended", False)
    await facts.put_snapshot(values)
    if envelope.type == "bed.suspended":
        await facts.start_suspension(event.bed_id, day)
    elif envelope.type == "bed.resumed":
        await facts.end_suspension(event.bed_id, day)
    await _reopen(facts, await facts.bed(event.bed_id), effective, envelope.type, now)


async def _bed_or_placeholder(
    facts: FactsRepository,
    *,
    bed_id: str,
    elder_id: str,
    provider_id: str,
    jurisdiction: str,
    region_code: str,
) -> BedFactRow:
    """The bed's row; a workflow event arriving before the lifecycle one makes a placeholder
    that the first snapshot overwrites."""
    bed = await facts.bed(bed_id)
    if bed is None:
        await facts.put_snapshot(
            {
                "bed_id": bed_id,
                "elder_id": elder_id,
                "provider_id": provider_id,
                "jurisdiction": jurisdiction,
                "region_code": region_code,
                "status": "unknown",
                "payments_suspended": False,
                "last_event_at": NOT_YET,
            }
        )
        bed = await facts.bed(bed_id)
    assert bed is not None
    return bed


async def acceptance_approved(
    *, uow: UnitOfWork, envelope: Envelope, event: AcceptanceEvent, now: datetime
) -> None:
    """The construction investment list (001 §四(五)): its total, and its modification part."""
    facts = uow.repo(FactsRepository)
    await _history(facts, envelope, event.bed_id, event.accepted_on, now)
    bed = await _bed_or_placeholder(
        facts,
        bed_id=event.bed_id,
        elder_id=event.elder_id,
        provider_id=event.provider_id,
        jurisdiction=event.jurisdiction,
        region_code=event.region_code,
    )
    modification = sum(
        line.amount_fen for line in event.investment if line.category == Category.MODIFICATION
    )
    await facts.set_bed_fields(
        bed.bed_id,
        {
            "construction_investment_fen": event.investment_total_fen,
            "modification_cost_fen": modification,
        },
    )
    await _reopen(facts, bed, event.accepted_on, envelope.type, now)


async def consent_changed(
    *, uow: UnitOfWork, envelope: Envelope, event: ConsentEvent, now: datetime
) -> None:
    """The home-modification consent (004 §三(二)): granted and in force, refused, withdrawn."""
    if event.scope != ConsentScope.HOME_MODIFICATION:
        return
    facts = uow.repo(FactsRepository)
    day = _local_day(event.occurred_at)
    await _history(facts, envelope, event.bed_id, day, now)
    bed = await _bed_or_placeholder(
        facts,
        bed_id=event.bed_id,
        elder_id=event.elder_id,
        provider_id=event.provider_id,
        jurisdiction=event.jurisdiction,
        region_code=event.region_code,
    )
    consent = True if event.in_force else (False if event.decision == "refused" else None)
    await facts.set_bed_fields(bed.bed_id, {"modification_consent": consent})
    await _reopen(facts, bed, bed.accepted_on, envelope.type, now)


async def visit_changed(
    *, uow: UnitOfWork, envelope: Envelope, event: VisitEvent, now: datetime
) -> None:
    """A verified, corrected or voided visit: counted when verified and on site."""
    facts = uow.repo(FactsRepository)
    await _history(facts, envelope, event.bed_id, event.service_date, now)
    counted = envelope.type != "visit.voided" and event.mode == VisitMode.ON_SITE
    await facts.put_visit(
        {
            "visit_id": event.visit_id,
            "version": event.version,
            "bed_id": event.bed_id,
            "provider_id": event.provider_id,
            "service_date": event.service_date,
            "service_seconds": event.service_seconds,
            "value_fen": event.value_fen,
            "counted": counted,
        }
    )
    await _reopen(facts, await facts.bed(event.bed_id), event.service_date, envelope.type, now)
