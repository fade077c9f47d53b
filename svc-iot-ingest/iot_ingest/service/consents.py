"""Consents from intake (`bed.consent_recorded`, `bed.consent_withdrawn`; 000 §三(三)): the
deciding record per bed and scope, and the devices that need it suspended while it is not in
force, resumed when it is again. Registering such a device checks it (`service/devices.py`)."""

from __future__ import annotations

import logging

from chassis.db import UnitOfWork
from homebed_schemas.events.bed_workflows import ConsentEvent
from iot_ingest.domain.consents import (
    WITHDRAWN,
    ScopeConsent,
    after_recorded,
    after_withdrawn,
    device_types_needing,
)
from iot_ingest.repository.consents import ConsentRepository
from iot_ingest.repository.devices import DeviceRepository

logger = logging.getLogger(__name__)


async def consent_changed(*, uow: UnitOfWork, event_type: str, event: ConsentEvent) -> None:
    """Keep the scope's deciding record; suspend or resume the bed's devices that need it.
    Called by the consumer inside the runner's transaction (which commits it)."""
    consents = uow.repo(ConsentRepository)
    stored = (await consents.of_bed(event.bed_id, [event.scope])).get(event.scope)
    incoming = ScopeConsent(
        bed_id=event.bed_id,
        scope=event.scope,
        consent_id=event.consent_id,
        decision=event.decision,
        given_at=event.given_at,
        recorded_at=event.occurred_at,
        in_force=event.in_force,
        withdrawn_at=event.withdrawn_at,
    )
    if event_type == WITHDRAWN:
        decided = after_withdrawn(stored, incoming, at=event.withdrawn_at or event.occurred_at)
    else:
        decided = after_recorded(stored, incoming)
    if decided is None:
        logger.info(
            "consent record does not decide its scope",
            extra={"bed_id": event.bed_id, "scope": event.scope.value},
        )
        return
    await consents.save(decided)
    device_types = device_types_needing(event.scope)
    if not device_types:
        return
    devices = uow.repo(DeviceRepository)
    if decided.in_force:
        changed = await devices.resume_for_consent(event.bed_id, event.scope.value)
    else:
        changed = await devices.suspend_for_consent(
            event.bed_id,
            event.scope.value,
            [t.value for t in device_types],
            at=decided.withdrawn_at or event.occurred_at,
        )
    if changed:
        logger.info(
            "devices suspended" if not decided.in_force else "devices resumed",
            extra={"bed_id": event.bed_id, "scope": event.scope.value, "devices": len(changed)},
        )
