"""A two-service demo built only from the chassis, for the chassis's own integration tests.

The "notes" side records a note and publishes `note.recorded` through the outbox; the "tally"
side consumes it and keeps a projection. Both have their own database, as real services do.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.api import PrincipalDep, UowDep
from chassis.app import create_service_app
from chassis.db import UnitOfWork, chassis_tables
from chassis.kafka.consumer import Handler
from chassis.problems import ProblemError
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings
from homebed_schemas.envelope import Envelope


class DemoBase(DeclarativeBase):
    pass


DEMO_TABLES = chassis_tables(DemoBase.metadata)


class Note(DemoBase):
    __tablename__ = "demo_notes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Tally(DemoBase):
    __tablename__ = "demo_tally"
    note_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=200)


class NoteRead(BaseModel):
    id: str
    text: str


async def record_note(*, uow: UnitOfWork, text: str, topic: str) -> Note:
    """Use case: store a note and its event in one transaction."""
    async with uow:
        note = Note(id=str(uuid.uuid4()), text=text)
        uow.session.add(note)
        await uow.publish(
            topic=topic,
            key=note.id,
            event=Envelope(
                type="note.recorded",
                source="demo-notes",
                subject=note.id,
                data={"note_id": note.id, "text": text},
            ),
        )
        await uow.commit()
    return note


def tally_handler(*, fail_on: str | None = None) -> Handler:
    """Consumer: project each note once; a note whose text is `fail_on` always fails."""

    async def apply_note(uow: UnitOfWork, event: Envelope) -> None:
        if fail_on is not None and event.data.get("text") == fail_on:
            raise ValueError("poison note")
        uow.session.add(Tally(note_id=event.data["note_id"], text=event.data["text"]))

    return apply_note


async def count_tally(uow: UnitOfWork) -> int:
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Tally)) or 0)


def notes_router(topic: str) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/notes", status_code=201)
    async def create_note(body: NoteCreate, uow: UowDep, principal: PrincipalDep) -> NoteRead:
        if principal.role.value not in ("ops", "provider_admin"):
            raise ProblemError(403, "Forbidden")
        note = await record_note(uow=uow, text=body.text, topic=topic)
        return NoteRead(id=note.id, text=note.text)

    return router


async def create_demo_schema(runtime: ServiceRuntime) -> None:
    assert runtime.engine is not None
    async with runtime.engine.begin() as connection:
        await connection.run_sync(DemoBase.metadata.create_all)


def demo_runtime(
    *,
    name: str,
    database_url: str,
    bootstrap: str,
    handlers: dict[str, Handler] | None = None,
    group: str | None = None,
    **settings: object,
) -> ServiceRuntime:
    service_settings = ServiceSettings.model_validate(
        {
            "service_name": name,
            "database_url": database_url,
            "kafka_bootstrap": bootstrap,
            "auto_migrate": False,
            "consumer_backoff_seconds": 0.05,
            "outbox_poll_seconds": 0.05,
            **settings,
        }
    )
    return ServiceRuntime(
        settings=service_settings,
        tables=DEMO_TABLES,
        migrations=None,
        topic_handlers=handlers or {},
        consumer_group=group,
    )


def demo_app(runtime: ServiceRuntime, topic: str) -> FastAPI:
    async def schema(_app: FastAPI, rt: ServiceRuntime) -> None:
        await create_demo_schema(rt)

    return create_service_app(
        runtime=runtime, title="demo notes", routers=[notes_router(topic)], on_startup=[schema]
    )
