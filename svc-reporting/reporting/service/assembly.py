"""Assemble one provider's day into the 000 附件1 document from the owners' facts."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime

from homebed_schemas.reports.city_report import (
    Address,
    Agreement,
    BasicInfo,
    BedChange,
    BedDevices,
    BedOperation,
    CityReportV1,
    InstalledDevice,
    Operations,
    ServiceDetail,
)
from reporting.domain.delivery import SHANGHAI
from reporting.domain.resident_id import CHECKSUM_PROBLEM, valid_resident_id
from reporting.domain.vocabulary import (
    ABILITY,
    ECONOMIC,
    SERVICE_ITEMS,
    SMART_DEVICES,
    fen_to_yuan,
    three_levels,
)
from reporting.service.sources import Address as SourceAddress
from reporting.service.sources import BedFacts, DeviceCount, VisitFacts

logger = logging.getLogger(__name__)


def _address(address: SourceAddress) -> Address:
    province, city, county = three_levels(address.region_code)
    return Address(
        province_code=province, city_code=city, county_code=county, detail=address.detail
    )


def _second(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _basic(bed: BedFacts) -> BasicInfo:
    problems = [] if valid_resident_id(bed.id_number) else [CHECKSUM_PROBLEM]
    return BasicInfo(
        bed_ref=bed.bed_id,
        name=bed.name,
        id_number=bed.id_number,
        hukou_address=_address(bed.hukou_address),
        bed_address=_address(bed.bed_address),
        ability_result=ABILITY.get(bed.ability_level or ""),
        economic_situation=ECONOMIC.get(bed.economic_status, "其他"),
        established_on=bed.established_on,
        problems=problems,
    )


def _smart(beds: list[BedFacts], devices: list[DeviceCount]) -> list[BedDevices]:
    known = {bed.bed_id for bed in beds}
    by_bed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for device in devices:
        if device.bed_id in known:
            name = SMART_DEVICES.get(device.device_type, device.device_type)
            by_bed[device.bed_id][name] += device.count
    return [
        BedDevices(
            bed_ref=bed_id,
            devices=[InstalledDevice(name=n, count=c) for n, c in sorted(counts.items())],
        )
        for bed_id, counts in sorted(by_bed.items())
    ]


def _aging_friendly(beds: list[BedFacts]) -> list[BedDevices]:
    answer = []
    for bed in beds:
        items = [
            InstalledDevice(name=i.name, count=i.count)
            for i in bed.installations
            if i.kind == "modification" and i.count > 0
        ]
        if items:
            answer.append(BedDevices(bed_ref=bed.bed_id, devices=items))
    return answer


def _details(beds: list[BedFacts], visits: list[VisitFacts]) -> list[ServiceDetail]:
    names = {bed.bed_id: bed.name for bed in beds}
    answer = []
    for visit in visits:
        if visit.bed_id not in names:
            logger.warning("visit of a bed intake did not report", extra={"bed_id": visit.bed_id})
        for category in visit.categories:
            item = SERVICE_ITEMS.get(category)
            if item is None:
                logger.warning("visit category not in 附件1", extra={"category": category})
                continue
            answer.append(
                ServiceDetail(
                    record_ref=f"{visit.visit_id}:{category}",
                    bed_ref=visit.bed_id,
                    elder_name=names.get(visit.bed_id, ""),
                    worker_name=visit.worker_name,
                    service_item=item,
                    start_time=_second(visit.start),
                    end_time=_second(visit.end),
                )
            )
    return answer


def _changes(beds: list[BedFacts], day: date) -> list[BedChange]:
    changes = [
        BedChange(bed_ref=b.bed_id, change="建床", on=day) for b in beds if b.established_on == day
    ]
    changes += [
        BedChange(bed_ref=b.bed_id, change="撤床", on=day, reason=b.end_reason)
        for b in beds
        if b.ended_on == day
    ]
    return changes


def _agreements(beds: list[BedFacts], day: date) -> list[Agreement]:
    return [
        Agreement(
            bed_ref=b.bed_id,
            reference=b.agreement.reference,
            text_sha256=b.agreement.text_sha256,
            signed_on=b.agreement.signed_on,
        )
        for b in beds
        if b.agreement is not None and (b.agreement.signed_on == day or b.established_on == day)
    ]


def assemble(
    *,
    provider_id: str,
    day: date,
    batch_id: str,
    kind: str,
    corrects_batch_id: str | None,
    provider_name: str,
    medical_partner: str | None,
    beds: list[BedFacts],
    devices: list[DeviceCount],
    visits: list[VisitFacts],
    now: datetime,
) -> CityReportV1:
    """The document for one provider and day; a bed with a bad ID is flagged, never dropped."""
    operating = [b for b in beds if b.ended_on is None or b.ended_on > day]
    return CityReportV1(
        batch_id=batch_id,
        kind=kind,
        corrects_batch_id=corrects_batch_id,
        provider_id=provider_id,
        report_date=day,
        generated_at=now,
        basic_info=[_basic(bed) for bed in beds],
        smart_devices=_smart(beds, devices),
        aging_friendly_devices=_aging_friendly(beds),
        operations=Operations(
            provider_name=provider_name,
            operating_beds=len(operating),
            medical_partner=medical_partner,
            beds=[
                BedOperation(
                    bed_ref=b.bed_id,
                    monthly_visits=b.monthly_visits,
                    monthly_fee_yuan=fen_to_yuan(b.monthly_fee_fen or 0),
                )
                for b in operating
            ],
        ),
        service_details=_details(beds, visits),
        bed_changes=_changes(beds, day),
        agreements=_agreements(beds, day),
    )
