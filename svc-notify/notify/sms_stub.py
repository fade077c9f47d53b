"""`make run` and tests: a local SMS/voice provider that records what it got (no message
leaves the machine). It speaks notify's provider protocol (channels/sms.py):

- `POST /v1/messages` `{"kind", "to", "text", "out_id"}` (bearer key): recorded once per
  `out_id` (a retried send is not a second message); 503 while failing is switched on;
- `GET /v1/messages?to=` what it recorded; `PUT /v1/failing` `{"failing": true}` to simulate an
  outage; `POST /v1/replies` `{"from", "text"}` forwards a reply to notify's
  `/v1/sms/inbound`, signed as a real provider would (Standard Webhooks).

Development only: it refuses to start with HOMEBED_ENV=prod.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from notify.domain import signing
from notify.settings import Settings


class StubMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^(sms|voice)$")
    to: str = Field(min_length=5, max_length=20)
    text: str = Field(min_length=1, max_length=1000)
    out_id: str = Field(min_length=1, max_length=100)


class Failing(BaseModel):
    failing: StrictBool


class Reply(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    text: str


@dataclass
class StubState:
    messages: list[dict[str, Any]] = field(default_factory=list)
    out_ids: set[str] = field(default_factory=set)
    failing: bool = False
    refused: int = 0


def create_stub(
    settings: Settings | None = None,
    *,
    state: StubState | None = None,
    notify_url: str = "http://127.0.0.1:8006",
) -> FastAPI:
    settings = settings or Settings()
    if settings.env == "prod":
        raise RuntimeError("the SMS stub is for development and tests only")
    state = state or StubState()
    key = settings.sms_gateway_key.get_secret_value()
    app = FastAPI(title="HomeBed SMS provider stub (development)")
    app.state.stub = state

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/messages", status_code=202)
    async def send(message: StubMessage, authorization: str = Header("")) -> dict[str, Any]:
        if authorization != f"Bearer {key}":
            raise HTTPException(401, "bad key")
        if state.failing:
            state.refused += 1
            raise HTTPException(503, "provider outage (simulated)")
        if message.out_id not in state.out_ids:
            state.out_ids.add(message.out_id)
            state.messages.append(message.model_dump() | {"received_at": time.time()})
        return {"accepted": True, "out_id": message.out_id}

    @app.get("/v1/messages")
    async def messages(to: str | None = None) -> list[dict[str, Any]]:
        return [m for m in state.messages if to is None or m["to"] == to]

    @app.put("/v1/failing")
    async def set_failing(body: Failing) -> dict[str, bool]:
        state.failing = body.failing
        return {"failing": state.failing}

    @app.post("/v1/replies")
    async def reply(body: Reply) -> Any:
        raw = orjson.dumps({"from": body.from_, "text": body.text})
        headers = signing.headers(
            settings.sms_inbound_secret.get_secret_value(),
            msg_id=f"msg_{uuid.uuid4().hex}",
            timestamp=int(time.time()),
            body=raw,
        )
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{notify_url.rstrip('/')}/v1/sms/inbound",
                content=raw,
                headers=headers | {"content-type": "application/json"},
            )
        return answer.json()

    return app


app = create_stub(notify_url=os.environ.get("HOMEBED_SMS_STUB_NOTIFY_URL", "http://127.0.0.1:8006"))
