"""HTTP adapters to the archive's owners (internal routes, a service principal). Built only by
the composition root; tests hand in an httpx client with a mock transport."""

from __future__ import annotations

from typing import Any

import httpx

from chassis.errors import Unavailable
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token

# Services have no role of their own: referral calls as OPS with the `referral_archive` scope,
# which intake's and iot-ingest's internal routes require (service-records' asks for OPS).
SERVICE_PRINCIPAL = Principal(sub="svc-referral", role=Role.OPS, scopes=("referral_archive",))


class ArchiveSources:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        intake_url: str,
        service_records_url: str,
        iot_ingest_url: str,
        key: str,
    ) -> None:
        self.client = client
        self.urls = {
            "intake": intake_url.rstrip("/"),
            "service-records": service_records_url.rstrip("/"),
            "iot-ingest": iot_ingest_url.rstrip("/"),
        }
        self.key = key

    async def intake(self, bed_id: str, categories: list[str]) -> dict[str, Any]:
        return await self._get(
            "intake",
            f"/internal/v1/referral-archive/beds/{bed_id}",
            {"categories": ",".join(categories)},
        )

    async def visits(self, bed_id: str) -> dict[str, Any]:
        return await self._get(
            "service-records", f"/internal/v1/archive/{bed_id}", {"kind": "visit", "limit": "100"}
        )

    async def iot(self, bed_id: str, categories: list[str]) -> dict[str, Any]:
        return await self._get(
            "iot-ingest",
            f"/internal/v1/referral-archive/beds/{bed_id}",
            {"categories": ",".join(categories), "days": "30"},
        )

    async def _get(self, source: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        headers = {PRINCIPAL_HEADER: mint_internal_token(SERVICE_PRINCIPAL, self.key)}
        try:
            answer = await self.client.get(
                self.urls[source] + path, params=params, headers=headers, timeout=10.0
            )
        except httpx.HTTPError:
            raise Unavailable(f"the archive's source {source} is unreachable") from None
        if answer.status_code != 200:
            raise Unavailable(f"the archive's source {source} answered {answer.status_code}")
        body: dict[str, Any] = answer.json()
        return body
