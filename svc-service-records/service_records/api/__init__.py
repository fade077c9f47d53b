"""Thin routers (one module per resource): parse, call one use case, return its answer."""

from __future__ import annotations

from fastapi import APIRouter

from service_records.api.archive import router as archive_router
from service_records.api.internal_city_report import router as internal_city_report_router
from service_records.api.minimums import router as minimums_router
from service_records.api.roster import router as roster_router
from service_records.api.surveys import router as surveys_router
from service_records.api.tasks import router as tasks_router
from service_records.api.visits import router as visits_router
from service_records.api.workers import router as workers_router

ROUTERS: list[APIRouter] = [
    roster_router,
    workers_router,
    visits_router,
    minimums_router,
    tasks_router,
    surveys_router,
    archive_router,
    internal_city_report_router,
]
