"""Routers of svc-subsidy, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

from subsidy.api import ledger, previews, reports, settlements, suspensions

ROUTERS: list[APIRouter] = [
    previews.router,
    settlements.router,
    suspensions.router,
    ledger.router,
    reports.router,
]
