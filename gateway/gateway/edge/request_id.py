"""X-Request-ID: keep the caller's when it is sane, mint one otherwise.

The rule is the chassis's, so the id the gateway echoes is the id every service logs.
"""

from __future__ import annotations

from chassis.observability.context import REQUEST_ID_HEADER, sane_request_id

__all__ = ["REQUEST_ID_HEADER", "is_sane", "request_id_from"]


def request_id_from(header_value: str | None) -> str:
    return sane_request_id(header_value)


def is_sane(value: str) -> bool:
    return sane_request_id(value) == value
