"""HTTP adapters to other services, with a service principal (built by the composition root)."""

from __future__ import annotations

import httpx

from chassis.errors import Unavailable
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token

ACK_SCOPE = "alarm_ack"
# Services have no role of their own: notify calls as OPS with the `alarm_ack` scope, which
# iot-ingest's internal route also requires.
SERVICE_PRINCIPAL = Principal(sub="svc-notify", role=Role.OPS, scopes=(ACK_SCOPE,))


class IotAlarms:
    def __init__(self, client: httpx.AsyncClient, base_url: str, key: str) -> None:
        self.client, self.base_url, self.key = client, base_url.rstrip("/"), key

    async def acknowledge(self, *, alarm_id: str, by: str) -> str:
        try:
            answer = await self.client.post(
                f"{self.base_url}/internal/v1/alarms/{alarm_id}/acknowledge",
                json={"by": by},
                headers={PRINCIPAL_HEADER: mint_internal_token(SERVICE_PRINCIPAL, self.key)},
            )
        except httpx.HTTPError as exc:
            raise Unavailable("iot-ingest is not reachable", retry_after_seconds=5) from exc
        if answer.status_code == 200:
            return "acknowledged"
        if answer.status_code == 409:
            return "already_acknowledged"
        if answer.status_code == 404:
            return "no_open_alarm"
        raise Unavailable(f"iot-ingest answered {answer.status_code}", retry_after_seconds=5)
