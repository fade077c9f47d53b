"""Routers of svc-referral, in the order they are mounted (see docs/service-template.md)."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
