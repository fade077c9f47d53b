"""Coarse role checks for use cases; object visibility stays with each service's own rules."""

from __future__ import annotations

from chassis.errors import Forbidden
from chassis.principal import Principal, Role


def require_role(principal: Principal, *roles: Role) -> None:
    """`Forbidden` naming the roles that may act, unless the principal has one of them."""
    if principal.role not in roles:
        raise Forbidden(
            f"role {principal.role.value} may not do this; needs one of: "
            + ", ".join(sorted(r.value for r in roles)),
            required_roles=[r.value for r in roles],
        )
