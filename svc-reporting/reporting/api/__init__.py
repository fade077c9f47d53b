"""Routers of svc-reporting, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

from reporting.api.reports import router as reports_router
from reporting.api.supervision import router as supervision_router

ROUTERS: list[APIRouter] = [reports_router, supervision_router]
