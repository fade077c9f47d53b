"""Device connectivity: the telemetry lane notes when each device was heard from (flushed in
bulk), and a periodic check publishes device.offline / device.online (heartbeat per type)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from chassis.db import UnitOfWork
from chassis.write_lock import serialized_writes
from iot_ingest.domain.connectivity import Connectivity, DeviceLiveness, reconcile
from iot_ingest.prometheus_metrics import DEVICE_CONNECTIVITY, DEVICES_OFFLINE, SERVICE
from iot_ingest.repository.devices import DeviceRepository
from iot_ingest.service.events import emit_device_event


async def record_heard(
    *, uow: UnitOfWork, seen: Mapping[str, datetime], seq_marks: Mapping[str, int]
) -> None:
    """Store when devices were last heard from and their seq high-water marks (two statements)."""
    if not seen and not seq_marks:
        return
    async with uow, serialized_writes(uow):
        await uow.repo(DeviceRepository).record_heard(seen=seen, seq_marks=seq_marks)
        await uow.commit()


async def check_connectivity(*, uow: UnitOfWork, now: datetime) -> list[tuple[str, str]]:
    """Publish offline/online changes; returns (device_id, change) pairs. Also counts the devices
    offline now per provider (the gauge) from the rows this check reads anyway: no query of its
    own, nothing on the telemetry or alarm lanes."""
    changes: list[tuple[str, str]] = []
    offline: Counter[str] = Counter()
    async with uow, serialized_writes(uow):
        devices = uow.repo(DeviceRepository)
        for device, last_heard in await devices.active_with_last_heard():
            offline[device.provider_id] += 0  # every provider with devices shows, at 0 too
            state = DeviceLiveness(
                device_id=device.device_id,
                bed_id=device.bed_id,
                device_type=device.device_type,
                last_seen=last_heard,
                online=device.online,
            )
            change = reconcile(state, now)
            online = device.online if change is None else change.change is Connectivity.ONLINE
            offline[device.provider_id] += 0 if online else 1
            if change is None:
                continue
            await devices.set_online(device.device_id, change.change is Connectivity.ONLINE)
            await emit_device_event(
                uow, device, change.change.value, now, last_seen_at=change.last_seen
            )
            changes.append((device.device_id, change.change.value))
        await uow.commit()
    for _, change_name in changes:
        DEVICE_CONNECTIVITY.labels(SERVICE, change_name).inc()
    DEVICES_OFFLINE.clear()  # a provider without active devices any more leaves the gauge
    for provider_id, count in offline.items():
        DEVICES_OFFLINE.labels(SERVICE, provider_id).set(count)
    return changes
