"""HTTP adapters: the owners' internal routes (with a service principal) and the city platform
(Standard Webhooks signed POST). Built only by the composition root."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from reporting.domain import signing
from reporting.service.sources import (
    Address,
    AgreementFacts,
    BedFacts,
    Delivery,
    DeviceCount,
    Installation,
    SourceUnavailable,
    VisitFacts,
)

# Services have no role of their own in chassis.principal.Role: the reporter calls as OPS with
# the `city_report` scope, which each internal route also requires.
SERVICE_PRINCIPAL = Principal(sub="svc-reporting", role=Role.OPS, scopes=("city_report",))


class _Internal:
    def __init__(self, client: httpx.AsyncClient, base_url: str, key: str) -> None:
        self.client, self.base_url, self.key = client, base_url.rstrip("/"), key

    def headers(self) -> dict[str, str]:
        return {PRINCIPAL_HEADER: mint_internal_token(SERVICE_PRINCIPAL, self.key)}

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await self.client.request(
                method,
                self.base_url + path,
                headers=self.headers(),
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{path.split('/')[-1]}_unreachable") from exc
        if answer.status_code != 200:
            raise SourceUnavailable(f"{path.split('/')[-1]}_{answer.status_code}")
        body: dict[str, Any] = answer.json()
        return body


class IntakeBeds(_Internal):
    async def beds(self, provider_id: str, day: date) -> list[BedFacts]:
        body = await self.call(
            "POST",
            "/internal/v1/city-report/beds",
            json={"provider_id": provider_id, "day": day.isoformat(), "purpose": "city_report"},
        )
        beds: list[dict[str, Any]] = body["beds"]
        return [_bed(b) for b in beds]


def _bed(b: dict[str, Any]) -> BedFacts:
    agreement: dict[str, Any] | None = b.get("agreement")
    installs: list[dict[str, Any]] = b["installations"]
    return BedFacts(
        bed_id=str(b["bed_id"]),
        provider_id=str(b["provider_id"]),
        region_code=str(b["region_code"]),
        name=str(b["name"]),
        id_number=str(b["id_number"]),
        hukou_address=Address(**b["hukou_address"]),
        bed_address=Address(**b["bed_address"]),
        ability_level=b.get("ability_level"),
        economic_status=str(b["economic_status"]),
        established_on=date.fromisoformat(str(b["established_on"])),
        ended_on=date.fromisoformat(str(b["ended_on"])) if b.get("ended_on") else None,
        end_reason=b.get("end_reason"),
        installations=tuple(
            Installation(name=str(i["name"]), kind=str(i["kind"]), count=int(i["count"]))
            for i in installs
        ),
        agreement=AgreementFacts(
            reference=agreement["reference"],
            text_sha256=agreement["text_sha256"],
            signed_on=date.fromisoformat(agreement["signed_on"]),
        )
        if agreement
        else None,
        monthly_visits=int(b["monthly_visits"]),
        monthly_fee_fen=b.get("monthly_fee_fen"),
    )


class IotDevices(_Internal):
    async def devices(self, provider_id: str, day: date) -> list[DeviceCount]:
        body = await self.call(
            "GET",
            "/internal/v1/city-report/devices",
            params={"provider_id": provider_id, "day": day.isoformat()},
        )
        rows: list[dict[str, Any]] = body["devices"]
        return [
            DeviceCount(
                bed_id=str(r["bed_id"]), device_type=str(r["device_type"]), count=int(r["count"])
            )
            for r in rows
        ]


class RecordsVisits(_Internal):
    async def visits(self, provider_id: str, day: date) -> list[VisitFacts]:
        body = await self.call(
            "GET",
            "/internal/v1/city-report/visits",
            params={"provider_id": provider_id, "day": day.isoformat()},
        )
        rows: list[dict[str, Any]] = body["visits"]
        return [
            VisitFacts(
                visit_id=str(r["visit_id"]),
                bed_id=str(r["bed_id"]),
                worker_name=str(r["worker_name"]),
                categories=tuple(r["categories"]),
                start=datetime.fromisoformat(str(r["start"])),
                end=datetime.fromisoformat(str(r["end"])),
            )
            for r in rows
        ]


class HttpCityPlatform:
    """POSTs a signed report. 200/201 with a receipt is the acknowledgement; 202 means taken but
    not yet acknowledged; anything else (or no answer) fails and is retried."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        secret: str,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.client, self.url, self.secret, self.wall = client, url, secret, wall

    async def deliver(self, *, batch_id: str, body: bytes, now: datetime) -> Delivery:
        # The signature's timestamp is transport, like a JWT's exp: the wall clock, which the
        # receiver checks against its own (5 minutes). `now` is the business clock (a demo
        # clock runs hours a second: a stamp from it is off by the request's latency × rate).
        headers = signing.headers(
            self.secret, msg_id=batch_id, timestamp=int(self.wall()), body=body
        )
        headers["content-type"] = "application/json"
        try:
            answer = await self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return Delivery(outcome="failed", error="timeout")
        except httpx.HTTPError:
            return Delivery(outcome="failed", error="unreachable")
        if answer.status_code in (200, 201):
            try:
                document = answer.json()
            except ValueError:  # a proxy's page, not the platform's answer: not taken
                return Delivery(outcome="failed", error=f"http_{answer.status_code}_not_json")
            receipt = document.get("receipt_id") if isinstance(document, dict) else None
            if receipt:
                return Delivery(outcome="acknowledged", receipt_id=str(receipt))
            return Delivery(outcome="sent")
        if answer.status_code == 202:
            return Delivery(outcome="sent")
        retry_after = answer.headers.get("retry-after")
        return Delivery(
            outcome="failed",
            error=f"http_{answer.status_code}",
            retry_after_seconds=float(retry_after)
            if retry_after and retry_after.isdigit()
            else None,
        )
