"""The one error model of every service: domain and use-case errors, free of any web framework.

Domain code and use cases raise these; `chassis.problems` renders each as an RFC 9457
`application/problem+json` answer with a stable `type` URI that clients branch on. A service
never builds an HTTP problem in its domain or service layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from homebed_schemas.problem import FieldError

PROBLEM_TYPE_BASE = "urn:homebed:problem:"


def problem_type(slug: str) -> str:
    """The stable URI of a problem kind, e.g. `urn:homebed:problem:illegal-transition`."""
    return f"{PROBLEM_TYPE_BASE}{slug}"


class DomainError(Exception):
    """Base of every error a use case may raise on purpose; carries its HTTP status and type."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def type_uri(self) -> str:
        return problem_type(self.slug)

    @property
    def field_errors(self) -> list[FieldError]:
        return []

    @property
    def headers(self) -> dict[str, str]:
        return {}


class NotFound(DomainError):
    """Missing, or someone else's: another tenant's object answers exactly like a missing one."""

    status = 404
    slug = "not-found"
    title = "Not found"

    def __init__(self, what: str = "Resource") -> None:
        super().__init__(f"{what} not found.")
        self.what = what


class Forbidden(DomainError):
    """The caller is known but may not do this; names the roles that may."""

    status = 403
    slug = "forbidden"
    title = "Forbidden"

    def __init__(self, detail: str, *, required_roles: Iterable[str] = ()) -> None:
        roles = sorted(str(role) for role in required_roles)
        super().__init__(detail, extra={"required_roles": roles} if roles else None)
        self.required_roles = roles


class Conflict(DomainError):
    """The request is valid but clashes with the current state of the data."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    """An action the object's state machine does not allow now; lists what it does allow."""

    slug = "illegal-transition"
    title = "Illegal transition"

    def __init__(
        self,
        *,
        state: str,
        action: str,
        allowed_actions: Iterable[str],
        entity: str = "record",
        detail: str | None = None,
    ) -> None:
        allowed = list(allowed_actions)
        allowed_text = ", ".join(allowed) or "none (final state)"
        article = "an" if entity[:1].lower() in "aeiou" else "a"
        text = detail or (
            f"cannot {action} {article} {entity} that is {state}; allowed: {allowed_text}"
        )
        super().__init__(text, extra={"state": state, "action": action, "allowed_actions": allowed})
        self.entity = entity
        self.state = state
        self.action = action
        self.allowed_actions = tuple(allowed)


class PreconditionFailed(Conflict):
    """The state allows the action but a rule of the domain is not met yet; lists which."""

    slug = "precondition-failed"
    title = "Precondition failed"

    def __init__(self, *, action: str, problems: Sequence[str]) -> None:
        super().__init__(
            f"cannot {action}: {'; '.join(problems)}",
            extra={"action": action, "problems": list(problems)},
        )
        self.action = action
        self.problems = tuple(problems)


class Unprocessable(DomainError):
    """Input that is well-formed but wrong; each problem names its field (`body.birth_date`)."""

    status = 422
    slug = "invalid-request"
    title = "Invalid request"

    def __init__(self, errors: Sequence[FieldError | tuple[str, str]]) -> None:
        found = [
            e if isinstance(e, FieldError) else FieldError(field=e[0], message=e[1]) for e in errors
        ]
        if not found:
            raise ValueError("Unprocessable needs at least one field error")
        super().__init__(f"Invalid fields: {', '.join(e.field for e in found)}")
        self.errors = found

    @property
    def field_errors(self) -> list[FieldError]:
        return list(self.errors)

    @classmethod
    def field(cls, field: str, message: str) -> Unprocessable:
        return cls([FieldError(field=field, message=message)])


class Unavailable(DomainError):
    """A dependency the request needs is down; the caller may retry after a while."""

    status = 503
    slug = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}
