"""What the reporter reads from the data owners, behind small interfaces (fakes in tests, HTTP
clients in bootstrap), and the outbound city platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


class SourceUnavailable(Exception):
    """An owner did not answer; the batch is retried later. The message is a code, never data."""


@dataclass(frozen=True)
class Address:
    region_code: str
    detail: str


@dataclass(frozen=True)
class Installation:
    name: str
    kind: str  # modification (适老化) | smart_device
    count: int


@dataclass(frozen=True)
class AgreementFacts:
    reference: str
    text_sha256: str
    signed_on: date


@dataclass(frozen=True)
class BedFacts:
    """One bed as intake holds it for a report day (name and ID in full: never stored here)."""

    bed_id: str
    provider_id: str
    region_code: str
    name: str
    id_number: str = field(repr=False)
    hukou_address: Address = field(repr=False)
    bed_address: Address = field(repr=False)
    ability_level: str | None
    economic_status: str
    established_on: date
    ended_on: date | None = None
    end_reason: str | None = None
    installations: tuple[Installation, ...] = ()
    agreement: AgreementFacts | None = None
    monthly_visits: int = 0
    monthly_fee_fen: int | None = None

    def __repr__(self) -> str:  # PII stays out of logs and tracebacks
        return f"BedFacts(bed_id={self.bed_id!r}, provider_id={self.provider_id!r})"


@dataclass(frozen=True)
class DeviceCount:
    bed_id: str
    device_type: str
    count: int


@dataclass(frozen=True)
class VisitFacts:
    visit_id: str
    bed_id: str
    worker_name: str
    categories: tuple[str, ...]
    start: datetime
    end: datetime


class BedSource(Protocol):
    async def beds(self, provider_id: str, day: date) -> list[BedFacts]: ...


class DeviceSource(Protocol):
    async def devices(self, provider_id: str, day: date) -> list[DeviceCount]: ...


class VisitSource(Protocol):
    async def visits(self, provider_id: str, day: date) -> list[VisitFacts]: ...


@dataclass(frozen=True)
class Sources:
    beds: BedSource
    devices: DeviceSource
    visits: VisitSource


@dataclass(frozen=True)
class Delivery:
    """The platform's answer: acknowledged (with a receipt), sent (taken, not yet acknowledged)
    or failed (with an error code and, when the platform said so, when to retry)."""

    outcome: str
    receipt_id: str | None = None
    error: str | None = None
    retry_after_seconds: float | None = None


class CityPlatform(Protocol):
    async def deliver(self, *, batch_id: str, body: bytes, now: datetime) -> Delivery: ...
