"""Request-scoped ids carried into logs and event envelopes."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")


def sane_request_id(candidate: str | None) -> str:
    """Keep the caller's id when it is sane; generate one otherwise (no log injection)."""
    if candidate and _SANE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    return correlation_id_var.get() or request_id_var.get()
