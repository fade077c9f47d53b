"""Care workers of a provider and family-caregiver trainings."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chassis.dto import Input, Output
from service_records.domain.vocabulary import WorkerRole


class WorkerCreate(Input):
    name: str = Field(min_length=1, max_length=64)
    role: WorkerRole
    certificates: list[str] = Field(
        default_factory=list, max_length=20, description="qualification certificate numbers"
    )
    user_sub: str | None = Field(
        default=None, max_length=128, description="the worker's login subject (token `sub`)"
    )
    provider_id: str | None = Field(
        default=None, max_length=64, description="defaults to the admin's provider"
    )


class WorkerUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    certificates: list[str] | None = Field(default=None, max_length=20)
    user_sub: str | None = Field(default=None, max_length=128)
    active: bool | None = None


class WorkerSummary(Output):
    id: str
    provider_id: str
    name: str
    role: WorkerRole
    active: bool


class WorkerRead(WorkerSummary):
    certificates: list[str]
    user_sub: str | None
    created_at: datetime
    updated_at: datetime


class TrainingCreate(Input):
    """A family-caregiver training (000 §四(三)); the first of a bed period is the free one."""

    trainee_name: str = Field(min_length=1, max_length=64)
    topic: str = Field(min_length=1, max_length=200)
    trained_on: date
    trainer_worker_id: str | None = Field(default=None, max_length=36)


class TrainingRead(Output):
    id: str
    bed_id: str
    trainee_name: str
    topic: str
    trained_on: date
    free: bool
    trainer_worker_id: str | None
    recorded_by: str
    created_at: datetime
