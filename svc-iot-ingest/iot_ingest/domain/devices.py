"""Devices and beds as iot-ingest knows them (pure values; rows map to these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from homebed_schemas.events.iot import DeviceType


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    REMOVED = "removed"


@dataclass(frozen=True)
class Device:
    device_id: str
    provider_id: str
    bed_id: str
    device_type: DeviceType
    serial: str
    status: DeviceStatus
    registered_at: datetime
    registered_by: str
    last_seen_at: datetime | None
    online: bool
    location_label: str | None = None
    lat: float | None = None
    lon: float | None = None
    # a consent the device needs is not in force (withdrawn or refused): nothing is accepted
    # from it until the consent is given again (`domain/consents.py`)
    suspended_at: datetime | None = None
    suspended_for: str | None = None  # the consent scope missing

    @property
    def suspended(self) -> bool:
        return self.suspended_for is not None


@dataclass(frozen=True)
class KnownBed:
    """A bed from `intake.beds.v1`: devices may only join an active bed. The elder's name and
    address come masked from intake (alarms show them to the caregiver); None: not told yet."""

    bed_id: str
    provider_id: str
    region_code: str
    status: str
    active: bool
    elder_name_masked: str | None = None
    address_masked: str | None = None


# A signed contract opens installation (001 §四(四)): devices may join before establishment.
ACTIVE_AFTER: dict[str, bool] = {
    "bed.contracted": True,
    "bed.established": True,
    "bed.accepted": True,
    "bed.resumed": True,
    "bed.suspended": False,
    "bed.terminated": False,
    "bed.transferred": False,
}


# A bed that ended: its open alarms are closed with outcome `closed_bed_ended`.
ENDED = frozenset({"bed.terminated", "bed.transferred"})


# Civil affairs moved the bed to another provider (001 §四(六) "重新选定服务机构"): its devices,
# open alarms and their dispatch follow the bed (`service/bed_handover.py`).
PROVIDER_CHANGED = "bed.provider_changed"

# A bed in these states takes devices: a contract is signed (intake's `preparing` bed is only
# published from its contract on), established or accepted.
IN_SERVICE_STATUSES = frozenset({"preparing", "established", "accepted"})


def active_in(status: str) -> bool:
    """Whether a bed in this state (as intake publishes it) accepts devices."""
    return status in IN_SERVICE_STATUSES


def active_after(event_type: str) -> bool | None:
    """Whether a bed accepts devices after this event; None: the event says nothing about it."""
    return ACTIVE_AFTER.get(event_type)
