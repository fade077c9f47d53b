"""Routers of svc-notify, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

from notify.api import deliveries, inbox, recipients, schedules, sms

ROUTERS: list[APIRouter] = [
    inbox.router,
    recipients.router,
    schedules.router,
    deliveries.router,
    sms.router,
]
