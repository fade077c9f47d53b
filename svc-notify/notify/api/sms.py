"""Replies from the SMS provider: signed (Standard Webhooks) with the provider's secret, the
one credential of this route (the gateway routes it as public)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from chassis.api import UowDep, clock_of
from chassis.errors import Unprocessable
from chassis.problems import ProblemError, problem_responses
from notify.components import components
from notify.domain import signing
from notify.schemas import SmsInbound, SmsInboundResult
from notify.service import sms_replies

router = APIRouter(tags=["sms"])
MAX_BODY = 4096


@router.post(
    "/v1/sms/inbound",
    responses=problem_responses(400, 401, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": SmsInbound.model_json_schema(by_alias=True)}
            },
        }
    },
)
async def sms_inbound(request: Request, uow: UowDep) -> SmsInboundResult:
    """A reply `1234` (the code of the message) acknowledges that alarm in iot-ingest."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ProblemError(413, "Payload Too Large", f"at most {MAX_BODY} bytes")
    parts = components(request)
    now = int(clock_of(request)().timestamp())
    secret = parts.settings.sms_inbound_secret.get_secret_value()
    if not signing.verify(secret, received=dict(request.headers), body=body, now=now):
        raise ProblemError(401, "Unauthorized", "The SMS provider's signature is not valid.")
    try:
        reply = SmsInbound.model_validate_json(body)
    except ValidationError as exc:
        raise Unprocessable(
            [(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        ) from None
    return await sms_replies.handle_reply(
        uow=uow, reply=reply, index_key=parts.blind_index_key, acknowledger=parts.acknowledger
    )
