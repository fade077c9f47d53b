"""Consent before the steps it guards: signing (000 §三(一) "取得老人或申请人同意后签订服务协议"),
video (000 §三(三) "经老年人及其家属同意"), home modification (004 §三(二) "经康复对象或家属同意后").
Who, when, scope and method; a refusal or a withdrawal blocks like a missing consent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chassis.errors import Conflict, IllegalTransition
from chassis.principal import Role
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.bed_workflows import (
    ConsentDecision,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
)
from intake.domain.consent import (
    GUARDED_STEP,
    ConsentRecord,
    ConsentRequired,
    check_consent,
    check_withdrawal,
    installation_scopes,
    latest_by_scope,
    require_consents,
)
from intake.domain.errors import InvalidConsent
from intake.policies.loader import known_jurisdictions, load_profile

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
EARLIER = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
AGREEMENT = ConsentScope.SERVICE_AGREEMENT
VIDEO = ConsentScope.VIDEO_MONITORING


def record(
    scope: ConsentScope,
    decision: ConsentDecision,
    *,
    given_at: datetime = EARLIER,
    withdrawn_at: datetime | None = None,
    id_: str = "c-1",
) -> ConsentRecord:
    return ConsentRecord(
        id=id_,
        scope=scope,
        decision=decision,
        given_at=given_at,
        recorded_at=given_at,
        withdrawn_at=withdrawn_at,
    )


def test_the_three_scopes_quote_the_seeds() -> None:
    hangzhou = load_profile("330100")
    assert hangzhou.consent_for(AGREEMENT).citation.quote == (  # type: ignore[union-attr]
        "服务机构应取得老人或申请人同意后签订服务协议"
    )
    assert quoted_in_seed("000", "取得老人或申请人同意后签订服务协议")  # 000 §三(一)
    assert hangzhou.consent_for(VIDEO).citation.text == "000 §三(三)"  # type: ignore[union-attr]
    assert quoted_in_seed("000", "经老年人及其家属同意，可根据需要联网视频通话")
    pingyang = load_profile("330326").consent_for(ConsentScope.HOME_MODIFICATION)
    assert pingyang is not None
    assert pingyang.citation.text == "004 §三(二)"
    assert quoted_in_seed("004", "经康复对象或家属同意后,由养老机构提供适老化改造")
    for code in known_jurisdictions():  # every jurisdiction guards all three steps
        assert {c.scope for c in load_profile(code).consents} == set(ConsentScope)
    assert GUARDED_STEP == {
        AGREEMENT: "sign_contract",
        VIDEO: "install_camera",
        ConsentScope.HOME_MODIFICATION: "install_modifications",
    }


def test_no_consent_a_refusal_or_a_withdrawal_blocks_naming_the_scope() -> None:
    needed = {AGREEMENT: "000 §三(一)"}
    with pytest.raises(ConsentRequired) as none:
        require_consents(action="sign_contract", needed=needed, records=[])
    assert none.value.status == 409
    assert none.value.extra["missing_consents"] == ["service_agreement"]
    assert none.value.problems == (
        "needs: consent to service_agreement (000 §三(一)): none recorded",
    )
    refused = record(AGREEMENT, ConsentDecision.REFUSED)
    with pytest.raises(ConsentRequired, match="refused on 2026-03-01"):
        require_consents(action="sign_contract", needed=needed, records=[refused])
    withdrawn = record(AGREEMENT, ConsentDecision.GRANTED, withdrawn_at=NOW)
    with pytest.raises(ConsentRequired, match="withdrawn on 2026-03-02"):
        require_consents(action="sign_contract", needed=needed, records=[withdrawn])
    granted_later = record(AGREEMENT, ConsentDecision.GRANTED, given_at=NOW, id_="c-2")
    require_consents(action="sign_contract", needed=needed, records=[refused, granted_later])


def test_the_latest_record_of_a_scope_decides() -> None:
    granted = record(VIDEO, ConsentDecision.GRANTED, id_="c-1")
    refused = record(VIDEO, ConsentDecision.REFUSED, given_at=NOW, id_="c-2")
    assert latest_by_scope([refused, granted])[VIDEO].id == "c-2"
    with pytest.raises(Conflict, match="c-2"):
        check_withdrawal(granted, refused)
    with pytest.raises(IllegalTransition) as caught:
        check_withdrawal(refused, refused)
    assert caught.value.state == "refused"
    check_withdrawal(granted, granted)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"given_by": ConsentGiver.APPLICANT, "relation": None}, ["body.relation"]),
        ({"given_by": ConsentGiver.ELDER, "relation": "son"}, ["body.relation"]),
        ({"method": ConsentMethod.WRITTEN, "evidence_ref": None}, ["body.evidence_ref"]),
        ({"method": ConsentMethod.ORAL_WITNESSED, "witness_name": None}, ["body.witness_name"]),
        ({"given_at": datetime(2026, 3, 3, tzinfo=UTC)}, ["body.given_at"]),
        ({"role": Role.FAMILY, "method": ConsentMethod.WRITTEN}, ["body.method"]),
        ({"role": Role.ELDER, "method": ConsentMethod.ELECTRONIC}, ["body.given_by"]),
    ],
)
def test_a_record_needs_what_its_giver_and_method_need(
    changes: dict[str, object], fields: list[str]
) -> None:
    values: dict[str, object] = {
        "role": Role.PROVIDER_ADMIN,
        "given_by": ConsentGiver.APPLICANT,
        "relation": "son",
        "method": ConsentMethod.WRITTEN,
        "evidence_ref": "scan-1.pdf",
        "witness_name": None,
        "given_at": EARLIER,
        "now": NOW,
        **changes,
    }
    with pytest.raises(InvalidConsent) as caught:
        check_consent(**values)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.field_errors] == fields


def test_a_camera_or_a_modification_needs_its_consent_and_a_count_of_zero_none() -> None:
    assert installation_scopes([("smart_device", "camera", 1)]) == [VIDEO]
    assert installation_scopes([("modification", None, 3)]) == [ConsentScope.HOME_MODIFICATION]
    assert installation_scopes([("smart_device", "camera", 0), ("modification", None, 0)]) == []
    assert installation_scopes([("smart_device", "emergency_button", 2)]) == []
