"""The route table: matching, specificity, and the role matrix of the default table."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chassis.principal import Role
from gateway.edge.routes import Access, RouteRule, RouteTable
from gateway.settings import DEFAULT_ROUTES_FILE, GatewaySettings, load_route_rules


def _rule(path: str, **access: object) -> RouteRule:
    return RouteRule(path=path, upstream="intake", access=access or {"GET": "public"})


@pytest.fixture
def table() -> RouteTable:
    return RouteTable(
        [
            _rule("/v1/applications", GET=["officer"]),
            _rule("/v1/applications/*/decision", POST=["officer"]),
            _rule("/v1/applications/special/decision", POST=["ops"]),
            _rule("/v1/eligibility", POST="public"),
        ]
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/applications", "/v1/applications"),
        ("/v1/applications/", "/v1/applications"),
        ("/v1/applications/42", "/v1/applications"),
        ("/v1/applications/42/decision", "/v1/applications/*/decision"),
        ("/v1/applications/42/decision/extra", "/v1/applications/*/decision"),
        ("/v1/applications/special/decision", "/v1/applications/special/decision"),
        ("/v1/eligibility/check", "/v1/eligibility"),
        ("/v1/applicationsX", None),
        ("/v1/telemetry", None),
        ("/v2/applications", None),
        ("/", None),
        ("/v1/applications/../eligibility", None),
        ("/v1/applications//42", None),
    ],
)
def test_most_specific_rule_matches(table: RouteTable, path: str, expected: str | None) -> None:
    rule = table.match(path)
    assert (rule.path if rule else None) == expected


def test_decide_covers_public_allowed_forbidden_and_unknown_methods(table: RouteTable) -> None:
    applications = table.match("/v1/applications")
    assert applications is not None
    assert applications.decide("GET", Role.OFFICER) is Access.ALLOWED
    assert applications.decide("HEAD", Role.OFFICER) is Access.ALLOWED
    assert applications.decide("GET", Role.ELDER) is Access.FORBIDDEN
    assert applications.decide("GET", None) is Access.FORBIDDEN
    assert applications.decide("DELETE", Role.OFFICER) is Access.METHOD_NOT_ALLOWED
    eligibility = table.match("/v1/eligibility")
    assert eligibility is not None
    assert eligibility.decide("POST", None) is Access.PUBLIC
    assert eligibility.is_public("POST")
    assert not applications.is_public("GET")


def test_rules_are_validated() -> None:
    with pytest.raises(ValidationError):
        RouteRule(path="/admin", upstream="x", access={"GET": "public"})
    with pytest.raises(ValidationError):
        RouteRule(path="/v1/x", upstream="x", access={"FETCH": "public"})
    with pytest.raises(ValidationError):
        RouteRule(path="/v1/x", upstream="x", access={"GET": ["superuser"]})
    with pytest.raises(ValueError, match="two rules"):
        RouteTable([_rule("/v1/x"), _rule("/v1/x")])


# The role matrix of the shipped table: who may do the sensitive things.
ROLE_MATRIX = [
    ("POST", "/v1/applications/A1/review", {Role.OFFICER}),
    ("POST", "/v1/applications/A1/reject", {Role.OFFICER}),
    ("POST", "/v1/beds/B1/accept", {Role.OFFICER}),
    ("POST", "/v1/beds/B1/establish", {Role.PROVIDER_ADMIN}),
    ("POST", "/v1/beds/B1/acceptance", {Role.PROVIDER_ADMIN}),
    ("POST", "/v1/beds/B1/acceptance/inspection", {Role.OFFICER}),
    ("POST", "/v1/beds/B1/acceptance/return", {Role.OFFICER}),
    (
        "POST",
        "/v1/beds/B1/consents",
        {Role.ELDER, Role.FAMILY, Role.CAREGIVER, Role.PROVIDER_ADMIN},
    ),
    (
        "POST",
        "/v1/beds/B1/consents/C1/withdraw",
        {Role.ELDER, Role.FAMILY, Role.CAREGIVER, Role.PROVIDER_ADMIN},
    ),
    ("GET", "/v1/bed-targets", {Role.OFFICER, Role.OPS}),
    ("GET", "/v1/alarms/stream", {Role.CAREGIVER, Role.PROVIDER_ADMIN, Role.OPS}),
    ("PUT", "/v1/beds/B1/rules", {Role.PROVIDER_ADMIN, Role.OPS}),
    ("POST", "/v1/referrals/R1/actions/accept", {Role.PROVIDER_ADMIN, Role.HOSPITAL}),
    ("GET", "/v1/webhooks/deliveries", {Role.HOSPITAL}),
    ("GET", "/v1/fhir/Task/T1", {Role.HOSPITAL, Role.PROVIDER_ADMIN}),
    ("POST", "/v1/settlements/S1/approval", {Role.OFFICER}),
    (
        "POST",
        "/v1/applications",
        {Role.ELDER, Role.FAMILY, Role.CAREGIVER, Role.PROVIDER_ADMIN, Role.OFFICER},
    ),
    ("POST", "/v1/visits", {Role.CAREGIVER, Role.PROVIDER_ADMIN}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROLE_MATRIX)
def test_default_table_role_matrix(method: str, path: str, allowed: set[Role]) -> None:
    table = RouteTable(load_route_rules(DEFAULT_ROUTES_FILE))
    rule = table.match(path)
    assert rule is not None
    for role in Role:
        expected = Access.ALLOWED if role in allowed else Access.FORBIDDEN
        assert rule.decide(method, role) is expected, (role, method, path)


def test_default_table_has_public_eligibility_and_no_device_routes() -> None:
    table = RouteTable(load_route_rules(DEFAULT_ROUTES_FILE))
    eligibility = table.match("/v1/eligibility/check")
    assert eligibility is not None
    assert eligibility.is_public("POST")
    public = [rule.path for rule in table.rules if any(a == "public" for a in rule.access.values())]
    # the policy calculator, the care-plan catalogues (policy data) and the provider register
    # applicants choose from (reads only)
    # /v1/sms/inbound: the SMS provider's reply callback carries no person's token; svc-notify
    # verifies its Standard Webhooks signature (whsec_ secret) before reading it
    assert public == ["/v1/eligibility", "/v1/care-catalogues", "/v1/providers", "/v1/sms/inbound"]
    providers = table.match("/v1/providers/prov-a")
    assert providers is not None
    assert providers.is_public("GET")
    assert not providers.is_public("POST")
    assert not providers.is_public("PATCH")
    for device_path in ("/v1/telemetry", "/v1/device-events", "/v1/device-events/x"):
        assert table.match(device_path) is None
    assert table.upstreams() <= set(GatewaySettings().upstreams)
    rules = table.match("/v1/beds/B1/rules")
    assert rules is not None
    assert rules.upstream == "iot-ingest"
    bed = table.match("/v1/beds/B1")
    assert bed is not None
    assert bed.upstream == "intake"
    stream = table.match("/v1/alarms/stream")
    assert stream is not None
    assert stream.streaming


def test_settings_refuse_routes_to_unknown_upstreams() -> None:
    rule = RouteRule(path="/v1/x", upstream="nowhere", access={"GET": "public"})
    with pytest.raises(ValidationError, match="nowhere"):
        GatewaySettings(routes=(rule,))
