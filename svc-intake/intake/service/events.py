"""Events of `intake.applications.v1` and `intake.beds.v1`, keyed by application/bed id.

Staged with `uow.emit`, so the envelope's source is the service's name (`svc-intake`) and the
event is sent only if the use case commits. Payloads carry the pseudonymous `elder_id`, never an
ID or phone number; bed events carry the elder's name and address masked (`domain/masking.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import (
    AbilityLevel,
    ApplicationEvent,
    BedEvent,
    EconomicStatus,
)
from homebed_schemas.topics import INTAKE_APPLICATIONS, INTAKE_BEDS
from intake.domain.masking import mask_address, mask_name
from intake.repository import SqlRepository
from intake.tables import ApplicationRow, BedRow, ContractRow, ElderRow

APPLICATIONS_TOPIC = INTAKE_APPLICATIONS.name
BEDS_TOPIC = INTAKE_BEDS.name


def application_payload(row: ApplicationRow, *, priority: bool = False) -> ApplicationEvent:
    return ApplicationEvent(
        application_id=row.id,
        elder_id=row.elder_id,
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        provider_id=row.provider_id,
        status=row.status,
        reason=row.decision_reason,
        ability_level=AbilityLevel(row.ability_level) if row.ability_level else None,
        care_needs_level=row.care_needs_level,
        priority=priority,
    )


@dataclass(frozen=True)
class MaskedElder:
    """The elder as other services may show them (issue 10 item 15): masked name and address."""

    name: str | None = None
    address: str | None = None


def masked_elder(application: ApplicationRow | None, elder: ElderRow | None) -> MaskedElder:
    """From the application's form (the name as entered, the current address's detail)."""
    name = (application.name if application else None) or (elder.name if elder else None)
    address = (application.form.get("current_address") or {}) if application else {}
    detail = address.get("detail") if isinstance(address, dict) else None
    return MaskedElder(
        name=mask_name(name) if name else None,
        address=mask_address(detail) if isinstance(detail, str) and detail else None,
    )


ENDINGS = ("terminated", "transferred")


def bed_payload(
    bed: BedRow,
    contract: ContractRow,
    name: str,
    *,
    now: datetime,
    masked: MaskedElder | None = None,
    details: dict[str, Any] | None = None,
) -> BedEvent:
    """The bed's state with the change; `details` adds what only this event type carries
    (previous provider or level, the assessment day)."""
    masked = masked or MaskedElder()
    ended = name in ENDINGS
    return BedEvent(
        bed_id=bed.id,
        application_id=bed.application_id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        status=bed.status,
        ability_level=AbilityLevel(bed.ability_level) if bed.ability_level else None,
        care_needs_level=bed.care_needs_level,
        economic_status=EconomicStatus(bed.economic_status),
        package_fee_fen=contract.base_package_fee_fen,
        contract_start=contract.start,
        contract_end=contract.end,
        established_on=bed.established_on,
        accepted_on=bed.accepted_on,
        event_date=bed.event_date if ended else None,
        reason=bed.end_reason or (bed.suspension_reason if name == "suspended" else None),
        transfer_target=bed.transfer_target,
        occurred_at=now,
        applicant_sub=bed.applicant_sub or None,  # "" = keyed in offline, nobody linked yet
        elder_name_masked=masked.name,
        address_masked=masked.address,
        contract_id=contract.id,
        contract_dissolved_on=bed.contract_dissolved_on if ended else None,
        update_deadline=bed.update_deadline if ended else None,
        family_sickbed_referral_id=bed.family_sickbed_referral_id,
        **(details or {}),
    )


async def emit_application_event(
    uow: UnitOfWork, row: ApplicationRow, name: str, *, priority: bool = False
) -> None:
    """Stage `application.<name>`; the use case commits it with its rows."""
    await uow.emit(
        topic=APPLICATIONS_TOPIC,
        key=row.id,
        type_=f"application.{name}",
        subject=row.id,
        data=application_payload(row, priority=priority),
    )


async def emit_bed_event(
    uow: UnitOfWork,
    bed: BedRow,
    contract: ContractRow,
    name: str,
    *,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Stage `bed.<name>`, with the elder's masked name and address; the use case commits it
    with its rows."""
    repo = uow.repo(SqlRepository)
    elder = await repo.elder(bed.elder_id)
    masked = masked_elder(await repo.application(bed.application_id), elder)
    # svc-subsidy needs the age in a given month (001 §四(七)2); the ID number never leaves
    facts: dict[str, Any] = {"elder_birth_date": elder.birth_date} if elder else {}
    await uow.emit(
        topic=BEDS_TOPIC,
        key=bed.id,
        type_=f"bed.{name}",
        subject=bed.id,
        data=bed_payload(
            bed, contract, name, now=now, masked=masked, details={**facts, **(details or {})}
        ),
    )
