"""The route table: which upstream serves a public path, and who may call it with which method.

A rule's `path` is a segment pattern: literal segments and `*` (exactly one segment). A rule
covers its path and everything below it; the most specific matching rule wins (more segments
first, then fewer wildcards). `access` maps a method to "public" or to the roles allowed; a method
not listed is refused. Paths no rule covers do not exist at the edge (404): devices' ingestion
routes, for one, are simply absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chassis.principal import Role

PUBLIC: Literal["public"] = "public"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Access(Enum):
    """The edge's verdict for one (rule, method, caller)."""

    PUBLIC = "public"
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    METHOD_NOT_ALLOWED = "method_not_allowed"


class RouteRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str = Field(pattern=r"^/v1(/[^/\s]+)+$")
    upstream: str = Field(min_length=1)
    access: dict[str, Literal["public"] | tuple[Role, ...]]
    timeout_seconds: float | None = Field(default=None, gt=0)
    streaming: bool = False
    rate_limit: str | None = None

    @field_validator("access")
    @classmethod
    def _known_methods(
        cls, access: dict[str, Literal["public"] | tuple[Role, ...]]
    ) -> dict[str, Literal["public"] | tuple[Role, ...]]:
        upper = {method.upper(): rule for method, rule in access.items()}
        unknown = set(upper) - HTTP_METHODS
        if unknown:
            raise ValueError(f"unknown HTTP methods {sorted(unknown)}")
        return upper

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    def is_public(self, method: str) -> bool:
        return self.access.get(_access_method(method)) == PUBLIC

    def decide(self, method: str, role: Role | None) -> Access:
        """Public, allowed for this role, forbidden, or a method the route does not have."""
        rule = self.access.get(_access_method(method))
        if rule is None:
            return Access.METHOD_NOT_ALLOWED
        if rule == PUBLIC:
            return Access.PUBLIC
        if role is not None and role in rule:
            return Access.ALLOWED
        return Access.FORBIDDEN

    def roles_for(self, method: str) -> list[str]:
        """The roles that may call this method (empty for public or absent methods)."""
        rule = self.access.get(_access_method(method))
        if rule is None or rule == PUBLIC:
            return []
        return sorted(role.value for role in rule)

    def allowed_methods(self) -> list[str]:
        methods = set(self.access)
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)


def _access_method(method: str) -> str:
    # HEAD is a GET without a body: whoever may GET may HEAD.
    return "GET" if method == "HEAD" else method


MATCH_CACHE_SIZE = 10_000


class RouteTable:
    """Finds the most specific rule covering a request path."""

    def __init__(self, rules: Iterable[RouteRule]) -> None:
        self.rules = tuple(rules)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.path in seen:
                raise ValueError(f"two rules for {rule.path}")
            seen.add(rule.path)
        self._ordered = sorted(
            ((rule.segments, rule) for rule in self.rules),
            key=lambda item: (-len(item[0]), item[0].count("*")),
        )
        self._matched: dict[str, RouteRule | None] = {}

    def match(self, path: str) -> RouteRule | None:
        # Hot paths repeat: remember answers (bounded; paths carry ids, so start over when full).
        try:
            return self._matched[path]
        except KeyError:
            pass
        rule = self._match(path)
        if len(self._matched) >= MATCH_CACHE_SIZE:
            self._matched.clear()
        self._matched[path] = rule
        return rule

    def _match(self, path: str) -> RouteRule | None:
        parts = path.strip("/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        for segments, rule in self._ordered:
            if len(segments) <= len(parts) and all(
                pattern in ("*", part) for pattern, part in zip(segments, parts, strict=False)
            ):
                return rule
        return None

    def upstreams(self) -> set[str]:
        return {rule.upstream for rule in self.rules}
