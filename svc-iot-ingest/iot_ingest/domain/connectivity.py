"""Device offline / online: a device silent longer than its type's heartbeat timeout is offline
(001 Annex 2: data must reach the monitoring centre in real time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import msgspec

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.catalogue import spec_of


class Connectivity(StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"


class DeviceLiveness(msgspec.Struct):
    device_id: str
    bed_id: str
    device_type: DeviceType
    last_seen: datetime
    online: bool = True


@dataclass(frozen=True)
class ConnectivityChange:
    device_id: str
    bed_id: str
    change: Connectivity
    at: datetime
    last_seen: datetime


def observe_seen(state: DeviceLiveness, seen_at: datetime) -> ConnectivityChange | None:
    """Anything received from the device (`seen_at` is our receive time, not the device clock)."""
    if seen_at > state.last_seen:
        state.last_seen = seen_at
    if state.online:
        return None
    state.online = True
    return ConnectivityChange(
        state.device_id, state.bed_id, Connectivity.ONLINE, seen_at, state.last_seen
    )


def check_silence(state: DeviceLiveness, now: datetime) -> ConnectivityChange | None:
    if not state.online:
        return None
    if now - state.last_seen <= spec_of(state.device_type).heartbeat_timeout:
        return None
    state.online = False
    return ConnectivityChange(
        state.device_id, state.bed_id, Connectivity.OFFLINE, now, state.last_seen
    )


def reconcile(state: DeviceLiveness, now: datetime) -> ConnectivityChange | None:
    """Periodic check from stored `last_seen`: offline when silent too long, online when heard
    from again within the timeout."""
    if state.online:
        return check_silence(state, now)
    if now - state.last_seen > spec_of(state.device_type).heartbeat_timeout:
        return None
    state.online = True
    return ConnectivityChange(
        state.device_id, state.bed_id, Connectivity.ONLINE, now, state.last_seen
    )
