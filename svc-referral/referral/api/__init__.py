"""Routers of svc-referral, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

from referral.api.archive import router as archive_router
from referral.api.consents import router as consents_router
from referral.api.fhir import router as fhir_router
from referral.api.referrals import router as referrals_router
from referral.api.webhooks import router as webhooks_router

ROUTERS: list[APIRouter] = [
    referrals_router,
    archive_router,
    consents_router,
    webhooks_router,
    fhir_router,
]
