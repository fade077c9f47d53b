"""Routers of svc-subsidy, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

from subsidy.api import batches, ledger, platform, previews, reports, settlements, suspensions

ROUTERS: list[APIRouter] = [
    previews.router,
    settlements.router,
    batches.router,
    suspensions.router,
    platform.router,
    ledger.router,
    reports.router,
]
