"""Test doubles of the owners (like iot_ingest.testing): two providers, their beds, devices and visits on T."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from homebed_schemas.envelope import Envelope
from reporting.service.sources import (
    Address,
    AgreementFacts,
    BedFacts,
    DeviceCount,
    Installation,
    Sources,
    SourceUnavailable,
    VisitFacts,
)

T = date(2024, 3, 1)
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"  # legacy: fails the GB 11643 check digit


def bed(
    bed_id: str, provider_id: str, region: str, id_number: str = GOOD_ID, **extra: object
) -> BedFacts:
    values: dict[str, object] = {
        "bed_id": bed_id,
        "provider_id": provider_id,
        "region_code": region,
        "name": f"老人{bed_id}",
        "id_number": id_number,
        "hukou_address": Address(region_code=region, detail="解放路1号"),
        "bed_address": Address(region_code=region, detail="解放路1号101室"),
        "ability_level": "moderate",
        "economic_status": "dibao",
        "established_on": T,
        "installations": (
            Installation(name="扶手", kind="modification", count=2),
            Installation(name="紧急呼叫", kind="smart_device", count=1),
        ),
        "agreement": AgreementFacts(reference=f"c-{bed_id}", text_sha256="a" * 64, signed_on=T),
        "monthly_visits": 30,
        "monthly_fee_fen": 80000,
    }
    values.update(extra)
    return BedFacts(**values)  # type: ignore[arg-type]


@dataclass
class FakeOwners:
    beds_by_provider: dict[str, list[BedFacts]] = field(default_factory=dict)
    devices_by_provider: dict[str, list[DeviceCount]] = field(default_factory=dict)
    visits_by_provider: dict[str, list[VisitFacts]] = field(default_factory=dict)
    intake_down: bool = False

    async def beds(self, provider_id: str, day: date) -> list[BedFacts]:
        if self.intake_down:
            raise SourceUnavailable("beds_unreachable")
        return [b for b in self.beds_by_provider.get(provider_id, []) if b.established_on <= day]

    async def devices(self, provider_id: str, day: date) -> list[DeviceCount]:
        return self.devices_by_provider.get(provider_id, [])

    async def visits(self, provider_id: str, day: date) -> list[VisitFacts]:
        return [v for v in self.visits_by_provider.get(provider_id, []) if v.start.date() <= day]

    def sources(self) -> Sources:
        return Sources(beds=self, devices=self, visits=self)


def two_providers() -> FakeOwners:
    return FakeOwners(
        beds_by_provider={
            "prov-a": [bed("a1", "prov-a", "330102"), bed("a2", "prov-a", "330102", BAD_ID)],
            "prov-b": [bed("b1", "prov-b", "341802")],
        },
        devices_by_provider={
            "prov-a": [DeviceCount("a1", "emergency_button", 1), DeviceCount("a1", "smoke", 2)],
            "prov-b": [DeviceCount("b1", "fall_detector", 1)],
        },
        visits_by_provider={
            "prov-a": [
                VisitFacts(
                    visit_id="v1",
                    bed_id="a1",
                    worker_name="张护工",
                    categories=("daily_care", "health_management"),
                    start=datetime(2024, 3, 1, 1, 15, 12, tzinfo=UTC),
                    end=datetime(2024, 3, 1, 2, 15, 12, tzinfo=UTC),
                )
            ],
            "prov-b": [],
        },
    )


def bed_event(
    bed_id: str, provider_id: str, region: str, *, status: str = "established"
) -> Envelope:
    return Envelope(
        type=f"bed.{status}",
        source="svc-intake",
        subject=bed_id,
        data={
            "bed_id": bed_id,
            "application_id": f"app-{bed_id}",
            "elder_id": f"el-{bed_id}",
            "provider_id": provider_id,
            "jurisdiction": region[:4] + "00",
            "region_code": region,
            "status": status,
            "economic_status": "dibao",
            "package_fee_fen": 80000,
            "contract_start": T.isoformat(),
            "contract_end": "2024-09-01",
            "established_on": T.isoformat(),
            "occurred_at": datetime(2024, 3, 1, 2, 0, tzinfo=UTC).isoformat(),
        },
    )
