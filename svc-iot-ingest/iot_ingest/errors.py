"""Service-level errors; the API maps them to problem responses."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class Unprocessable(ServiceError):
    status = 422
    title = "Invalid request"
