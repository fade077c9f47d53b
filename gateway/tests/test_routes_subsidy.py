"""The subsidy routes of the default table (issue 14 item 8): provider admins run, read and
submit; officers approve, reject, pay and claw back; the ledger is for officers and ops."""

from __future__ import annotations

import pytest

from chassis.principal import Role
from gateway.edge.routes import Access, RouteTable
from gateway.settings import DEFAULT_ROUTES_FILE, load_route_rules

BOTH = {Role.PROVIDER_ADMIN, Role.OFFICER}
SUBSIDY_MATRIX = [
    ("POST", "/v1/subsidies/preview", BOTH),
    ("POST", "/v1/subsidies/scale-award/preview", {Role.OFFICER}),
    ("POST", "/v1/settlements", BOTH),
    ("GET", "/v1/settlements", BOTH),
    ("GET", "/v1/settlements/S1/lines", BOTH),
    ("POST", "/v1/settlements/dry-run", BOTH),
    ("POST", "/v1/settlements/S1/submission", BOTH),
    ("POST", "/v1/settlements/S1/approval", {Role.OFFICER}),
    ("POST", "/v1/settlements/S1/rejection", {Role.OFFICER}),
    ("GET", "/v1/settlements/S1/payment-file", {Role.OFFICER}),
    ("POST", "/v1/settlements/S1/payment-confirmation", {Role.OFFICER}),
    ("POST", "/v1/settlements/S1/lines/L1/clawback", {Role.OFFICER}),
    ("POST", "/v1/settlements/S1/lines/L1/recovery", {Role.OFFICER}),
    ("POST", "/v1/payment-suspensions/B1/lifting", {Role.OFFICER}),
    ("POST", "/v1/platform-acceptances", {Role.OFFICER}),
    ("GET", "/v1/ledger/trial-balance", {Role.OFFICER, Role.OPS}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), SUBSIDY_MATRIX)
def test_subsidy_role_matrix(method: str, path: str, allowed: set[Role]) -> None:
    rule = RouteTable(load_route_rules(DEFAULT_ROUTES_FILE)).match(path)
    assert rule is not None
    assert rule.upstream == "subsidy"
    for role in Role:
        expected = Access.ALLOWED if role in allowed else Access.FORBIDDEN
        assert rule.decide(method, role) is expected, (role, method, path)
