"""Small raw-ASGI helpers: header access, bounded body reading, problem+json answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.types import Receive, Send

from chassis.errors import problem_type
from chassis.fhir_outcome import FHIR_JSON, is_fhir_path, operation_outcome
from chassis.problems import STATUS_TYPES
from homebed_schemas.problem import PROBLEM_MEDIA_TYPE

RawHeaders = list[tuple[bytes, bytes]]
PROBLEM_CONTENT_TYPE = PROBLEM_MEDIA_TYPE.encode()
FHIR_CONTENT_TYPE = FHIR_JSON.encode()


class BodyTooLarge(Exception):
    """The request body exceeds the gateway's limit."""


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """First value of a header (names in ASGI scopes are lower-case)."""
    for key, value in headers:
        if key == name:
            return value
    return None


async def read_body(receive: Receive, limit: int, content_length: bytes | None) -> bytes:
    """The whole request body, refusing more than `limit` bytes (early on Content-Length)."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            declared = -1
        if declared > limit:
            raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def problem_body(
    status: int,
    title: str,
    *,
    detail: str | None,
    instance: str,
    request_id: str,
    extra: dict[str, Any] | None = None,
) -> bytes:
    kind = STATUS_TYPES.get(status, problem_type("error"))
    problem: dict[str, Any] = {"type": kind, "title": title, "status": status}
    if detail:
        problem["detail"] = detail
    problem["instance"] = instance
    problem["request_id"] = request_id
    if extra:
        problem.update(extra)
    return orjson.dumps(problem)


async def send_problem(
    send: Send,
    status: int,
    title: str,
    *,
    instance: str,
    request_id: str,
    detail: str | None = None,
    headers: RawHeaders | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    body = problem_body(
        status, title, detail=detail, instance=instance, request_id=request_id, extra=extra
    )
    content_type = PROBLEM_CONTENT_TYPE
    if is_fhir_path(instance):  # a FHIR client reads every failure as an OperationOutcome
        body = orjson.dumps(operation_outcome(orjson.loads(body)))
        content_type = FHIR_CONTENT_TYPE
    response_headers: RawHeaders = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})
