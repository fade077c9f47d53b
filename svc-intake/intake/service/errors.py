"""Errors of the service layer (the domain has its own): mapped to 404, 403, 409 by the API."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    """Missing, or not visible to this principal: the two answer alike."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} not found")


class Forbidden(ServiceError):
    """Visible, but this role may not do this."""


class Conflict(ServiceError):
    def __init__(self, detail: str, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail)
