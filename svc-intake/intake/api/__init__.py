"""Thin HTTP adapters: parse, call one use case, answer with an explicit DTO."""

from __future__ import annotations

from fastapi import APIRouter

from intake.api.acceptance import router as acceptance_router
from intake.api.applications import router as applications_router
from intake.api.bed_changes import providers_router as provider_beds_router
from intake.api.bed_changes import router as bed_changes_router
from intake.api.beds import router as beds_router
from intake.api.care_catalogue import router as care_catalogue_router
from intake.api.consents import router as consents_router
from intake.api.discharge_applications import router as discharge_applications_router
from intake.api.elders import router as elders_router
from intake.api.eligibility import router as eligibility_router
from intake.api.internal_city_report import router as internal_city_report_router
from intake.api.internal_referral_archive import router as internal_referral_archive_router
from intake.api.providers import router as providers_router
from intake.api.targets import router as targets_router

ROUTERS: tuple[APIRouter, ...] = (
    eligibility_router,
    providers_router,
    applications_router,
    beds_router,
    bed_changes_router,
    provider_beds_router,
    consents_router,
    acceptance_router,
    care_catalogue_router,
    targets_router,
    elders_router,
    internal_city_report_router,
    discharge_applications_router,
    internal_referral_archive_router,
)
