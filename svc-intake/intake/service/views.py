"""Rows to response DTOs, field by field; PII appears masked only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from intake.domain.actions import Blocked
from intake.domain.application import Channel
from intake.domain.bed import Installation
from intake.policies.loader import load_catalogue
from intake.schemas.applications import (
    ApplicationRead,
    ApplicationSummary,
    AssessmentRead,
    ReviewRead,
)
from intake.schemas.beds import BedRead, BedSummary, ContractRead, InstallationRead
from intake.schemas.common import BlockedActionRead
from intake.schemas.providers import FiledPackageRead, ProviderContactRead, ProviderRead
from intake.service.pilot_area import pilot_area_source
from intake.tables import (
    ApplicationRow,
    BedRow,
    ContractRow,
    ElderRow,
    InstallationRow,
    ProviderRow,
)

ID_LENGTH = 18
PHONE_LENGTH = 11


def masked(tail: str | None, length: int) -> str | None:
    return None if tail is None else "*" * (length - len(tail)) + tail


def application_summary(row: ApplicationRow, elder: ElderRow) -> ApplicationSummary:
    return ApplicationSummary(
        id=row.id,
        elder_id=row.elder_id,
        name=row.name or elder.name,
        id_number_masked=masked(elder.id_number_tail, ID_LENGTH) or "",
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        provider_id=row.provider_id,
        status=row.status,
        channel=Channel(row.channel),
        created_at=row.created_at,
    )


@dataclass(frozen=True)
class ActionView:
    """What the caller can do now, what is blocked and why, and officer-only facts."""

    allowed: list[str]
    blocked: list[Blocked]
    duplicate_of: str | None = None


def blocked_reads(blocked: Sequence[Blocked]) -> list[BlockedActionRead]:
    return [BlockedActionRead(action=b.action, unmet=list(b.unmet)) for b in blocked]


def application_read(
    row: ApplicationRow, elder: ElderRow, bed_id: str | None, actions: ActionView
) -> ApplicationRead:
    assessment = row.assessment
    eligibility = row.eligibility or {}
    return ApplicationRead(
        id=row.id,
        elder_id=row.elder_id,
        name=row.name or elder.name,
        sex=elder.sex,
        birth_date=elder.birth_date,
        id_number_masked=masked(elder.id_number_tail, ID_LENGTH) or "",
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        provider_id=row.provider_id,
        status=row.status,
        allowed_actions=actions.allowed,
        blocked_actions=blocked_reads(actions.blocked),
        channel=Channel(row.channel),
        entered_by=row.entered_by,
        form={k: v for k, v in row.form.items() if not k.endswith("_sealed")},
        caregiver_phone_masked=masked(row.caregiver_phone_tail, PHONE_LENGTH),
        emergency_phone_masked=masked(row.emergency_phone_tail, PHONE_LENGTH),
        in_pilot_area=row.in_pilot_area,
        in_pilot_area_source=pilot_area_source(row),
        has_stable_caregiver=row.has_stable_caregiver,
        is_renter=row.is_renter,
        economic_status=row.economic_status,
        assessment=AssessmentRead.model_validate(assessment) if assessment else None,
        reviews=[ReviewRead.model_validate(r) for r in row.reviews],
        decision_reason=row.decision_reason,
        eligible=eligibility.get("eligible"),
        eligibility_status=eligibility.get("status"),
        unmet=list(eligibility.get("unmet", [])),
        pending=list(eligibility.get("pending", [])),
        bed_id=bed_id,
        duplicate_of=actions.duplicate_of,
        discharge_referral_id=row.discharge_referral_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def installation_views(rows: Sequence[InstallationRow], live_types: set[str]) -> list[Installation]:
    return [
        Installation(
            item_id=r.item_id,
            kind=r.kind,
            device_type=r.device_type,
            count=r.count,
            confirmed=r.kind == "smart_device" and r.device_type in live_types,
        )
        for r in rows
    ]


def bed_summary(bed: BedRow) -> BedSummary:
    return BedSummary(
        id=bed.id,
        application_id=bed.application_id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        status=bed.status,
        established_on=bed.established_on,
        update_deadline=bed.update_deadline,
        late_update=bed.late_update,
        contract_dissolved_on=bed.contract_dissolved_on,
    )


def bed_read(
    bed: BedRow,
    contract: ContractRow | None,
    installed: Sequence[Installation],
    missing: list[str],
    actions: ActionView,
) -> BedRead:
    names = {item.id: item.name for item in load_catalogue().items}
    return BedRead(
        id=bed.id,
        application_id=bed.application_id,
        elder_id=bed.elder_id,
        provider_id=bed.provider_id,
        jurisdiction=bed.jurisdiction,
        region_code=bed.region_code,
        status=bed.status,
        allowed_actions=actions.allowed,
        blocked_actions=blocked_reads(actions.blocked),
        ability_level=bed.ability_level,
        care_needs_level=bed.care_needs_level,
        economic_status=bed.economic_status,
        care_plan=bed.care_plan,
        contract=_contract_read(contract) if contract else None,
        installations=[
            InstallationRead(
                item_id=i.item_id,
                name=names.get(i.item_id, i.item_id),
                kind=i.kind,
                device_type=i.device_type,
                count=i.count,
                confirmed=i.confirmed,
            )
            for i in installed
        ],
        missing_devices=missing,
        established_on=bed.established_on,
        accepted_on=bed.accepted_on,
        inspections=bed.inspections,
        suspended_on=bed.suspended_on,
        end_reason=bed.end_reason,
        event_date=bed.event_date,
        update_deadline=bed.update_deadline,
        deadline_estimated=bed.deadline_estimated,
        late_update=bed.late_update,
        transfer_target=bed.transfer_target,
        contract_dissolved_on=bed.contract_dissolved_on,
        contract_dissolved_by=bed.contract_dissolved_by,
        family_sickbed_referral_id=bed.family_sickbed_referral_id,
        family_sickbed_since=bed.family_sickbed_since,
        care_plan_revision_due=bed.care_plan_revision_due_since is not None,
        care_plan_revision_due_since=bed.care_plan_revision_due_since,
        new_contract_needed=new_contract_needed(bed, contract),
        created_at=bed.created_at,
        updated_at=bed.updated_at,
    )


def _contract_read(contract: ContractRow) -> ContractRead:
    return ContractRead(
        id=contract.id,
        start=contract.start,
        end=contract.end,
        base_package_fee_fen=contract.base_package_fee_fen,
        personal_items=contract.personal_items,
        is_first=contract.is_first,
        signed_on=contract.signed_on,
        provider_id=contract.provider_id,
        dissolved_on=contract.dissolved_on,
    )


def new_contract_needed(bed: BedRow, contract: ContractRow | None) -> bool:
    """The bed changed provider since its latest contract: the new provider must sign one."""
    return contract is not None and contract.provider_id not in (None, bed.provider_id)


def provider_read(row: ProviderRow) -> ProviderRead:
    return ProviderRead(
        id=row.id,
        name=row.name,
        licence_no=row.licence_no,
        jurisdiction=row.jurisdiction,
        service_area=list(row.service_area),
        contact=ProviderContactRead(
            name=row.contact["name"],
            phone=row.contact["phone"],
            address=row.contact.get("address"),
        ),
        packages=[FiledPackageRead.model_validate(p) for p in row.packages],
        status=row.status,
        status_reason=row.status_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
