"""intake.beds.v1 also carries consents and the acceptance workflow (`bed.consent_recorded`,
`bed.acceptance_applied`, …) with payloads of their own: the supervision read model takes the
lifecycle events only and ignores the rest instead of treating them as poison."""

from __future__ import annotations

from pathlib import Path

from chassis.testing.apps import app_client
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import BED_WORKFLOW_EVENTS
from reporting.bootstrap import create_app
from reporting.consumers import handle_bed_event
from reporting.settings import Settings
from reporting.tables import SupervisedBedRow
from reporting.testing import bed_event


async def test_workflow_events_are_ignored_and_lifecycle_events_kept(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings)
    async with app_client(app):
        async with app.state.runtime.uow() as uow:
            for event_type in BED_WORKFLOW_EVENTS:
                consent = Envelope(
                    type=event_type,
                    source="svc-intake",
                    subject="b-1",
                    data={"consent_id": "c-1", "bed_id": "b-1", "scope": "video_monitoring"},
                )
                await handle_bed_event(uow, consent)  # no PoisonMessage
            await handle_bed_event(uow, bed_event("b-1", "prov-a", "341802"))
            await uow.commit()
        async with app.state.runtime.uow() as uow:
            assert await uow.session.get(SupervisedBedRow, "b-1") is not None


async def test_a_provider_change_moves_the_bed_to_the_new_provider(tmp_path: Path) -> None:
    """bed.provider_changed (001 §四(六)) is a BedEvent: decoded, never poison; the bed counts
    for the provider it moved to."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings)
    async with app_client(app):
        async with app.state.runtime.uow() as uow:
            await handle_bed_event(uow, bed_event("b-1", "prov-a", "341802"))
            moved = bed_event("b-1", "prov-b", "341802")
            data = {
                **moved.data,
                "previous_provider_id": "prov-a",
                "occurred_at": "2024-03-02T02:00:00+00:00",
            }
            await handle_bed_event(
                uow, moved.model_copy(update={"type": "bed.provider_changed", "data": data})
            )
            await uow.commit()
        async with app.state.runtime.uow() as uow:
            row = await uow.session.get(SupervisedBedRow, "b-1")
            assert row is not None
            assert (row.provider_id, row.status) == ("prov-b", "established")
