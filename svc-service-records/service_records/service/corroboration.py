"""Device corroboration at check-out: did the home's sensors see activity during the visit?

iot-ingest has no internal activity endpoint yet, so the default probe answers `unavailable`;
`HttpActivityProbe` calls `GET {iot}/internal/v1/beds/{bed_id}/activity?from=&to=` with a short
timeout once it exists. iot being down never blocks a check-out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import httpx

from chassis.http import outbound_client

logger = logging.getLogger(__name__)


class Corroboration(StrEnum):
    CORROBORATED = "corroborated"
    NO_ACTIVITY = "no_activity"
    NO_SENSOR = "no_sensor"
    UNAVAILABLE = "unavailable"


class ActivityProbe(Protocol):
    async def corroborate(self, bed_id: str, start: datetime, end: datetime) -> Corroboration: ...


class NoActivityEndpoint:
    """Used while iot-ingest offers no activity endpoint: every answer is `unavailable`."""

    async def corroborate(self, bed_id: str, start: datetime, end: datetime) -> Corroboration:
        return Corroboration.UNAVAILABLE


class HttpActivityProbe:
    def __init__(self, base_url: str, *, timeout_seconds: float, token: str | None = None) -> None:
        self._client = outbound_client(base_url=base_url, timeout=timeout_seconds)
        self._token = token

    async def corroborate(self, bed_id: str, start: datetime, end: datetime) -> Corroboration:
        try:
            response = await self._client.get(
                f"/internal/v1/beds/{bed_id}/activity",
                params={"from": start.isoformat(), "to": end.isoformat()},
            )
            if response.status_code == 404:
                return Corroboration.NO_SENSOR
            response.raise_for_status()
            return Corroboration(response.json()["result"])
        except (httpx.HTTPError, KeyError, ValueError):
            logger.warning("device corroboration unavailable", extra={"bed_id": bed_id})
            return Corroboration.UNAVAILABLE

    async def close(self) -> None:
        await self._client.aclose()
