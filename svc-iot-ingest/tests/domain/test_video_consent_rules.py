"""Video consent (000 §三(三) "经老年人及其家属同意，可根据需要联网视频通话并提供紧急援助"): iot-ingest
keeps intake's deciding record per bed and scope (latest given, then latest recorded; only that
one can be withdrawn) and a camera needs `video_monitoring` in force."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.bed_workflows import ConsentDecision, ConsentScope
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.consents import (
    VIDEO_MONITORING,
    ConsentRequired,
    ScopeConsent,
    after_recorded,
    after_withdrawn,
    device_types_needing,
    require_consents,
    requirement_of_scope,
    requirements_of,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
VIDEO = ConsentScope.VIDEO_MONITORING


def _consent(
    consent_id: str, given: int, recorded: int, decision: str = "granted", in_force: bool = True
) -> ScopeConsent:
    return ScopeConsent(
        bed_id="bed-1",
        scope=VIDEO,
        consent_id=consent_id,
        decision=ConsentDecision(decision),
        given_at=T0 + timedelta(days=given),
        recorded_at=T0 + timedelta(days=recorded),
        in_force=in_force,
    )


def test_the_requirement_quotes_the_seed() -> None:
    assert VIDEO_MONITORING.citation == "000 §三(三)"
    assert quoted_in_seed("000", VIDEO_MONITORING.quote)


def test_only_cameras_need_video_consent() -> None:
    assert requirements_of(DeviceType.CAMERA) == (VIDEO_MONITORING,)
    assert device_types_needing(VIDEO) == {DeviceType.CAMERA}
    assert device_types_needing(ConsentScope.HOME_MODIFICATION) == set()
    assert requirement_of_scope("video_monitoring") is VIDEO_MONITORING
    assert requirement_of_scope("home_modification") is None
    for device_type in DeviceType:
        if device_type is not DeviceType.CAMERA:
            assert requirements_of(device_type) == ()


def test_the_latest_given_decides_a_back_dated_record_does_not() -> None:
    granted = _consent("c-1", given=5, recorded=5)
    assert after_recorded(None, granted) == granted
    back_dated_refusal = _consent("c-2", given=3, recorded=6, decision="refused", in_force=False)
    assert after_recorded(granted, back_dated_refusal) is None
    later_refusal = _consent("c-3", given=7, recorded=7, decision="refused", in_force=False)
    assert after_recorded(granted, later_refusal) == later_refusal
    same_day_later = _consent("c-4", given=5, recorded=8)
    assert after_recorded(granted, same_day_later) == same_day_later


def test_a_withdrawal_ends_the_consent_and_a_replay_changes_nothing() -> None:
    granted = _consent("c-1", given=5, recorded=5)
    withdrawn = after_withdrawn(granted, granted, at=T0 + timedelta(days=9))
    assert withdrawn is not None
    assert (withdrawn.in_force, withdrawn.withdrawn_at) == (False, T0 + timedelta(days=9))
    assert withdrawn.recorded_at == granted.recorded_at
    # the withdrawn record replayed does not decide again
    assert after_recorded(withdrawn, granted) is None
    # a grant given later decides; an old withdrawal replayed after it is ignored
    again = _consent("c-2", given=10, recorded=10)
    assert after_recorded(withdrawn, again) == again
    assert after_withdrawn(again, granted, at=T0 + timedelta(days=9)) is None
    # a withdrawal of a record iot-ingest never saw still ends the scope
    unknown = after_withdrawn(None, _consent("c-0", given=1, recorded=1), at=T0)
    assert unknown is not None
    assert not unknown.in_force


@pytest.mark.parametrize(
    ("decided", "why"),
    [
        (None, "none recorded"),
        (_consent("c-1", 1, 1, "refused", in_force=False), "refused on 2026-03-03"),
        (
            replace(_consent("c-1", 1, 1), in_force=False, withdrawn_at=T0 + timedelta(days=4)),
            "withdrawn on 2026-03-06",
        ),
    ],
)
def test_a_missing_consent_is_a_409_naming_scope_seed_and_why(
    decided: ScopeConsent | None, why: str
) -> None:
    with pytest.raises(ConsentRequired) as raised:
        require_consents(
            action="register_camera",
            needed=[VIDEO_MONITORING],
            decided={} if decided is None else {VIDEO: decided},
        )
    problem = raised.value
    assert problem.status == 409
    assert problem.type_uri == "urn:homebed:problem:precondition-failed"
    assert problem.extra["missing_consents"] == ["video_monitoring"]
    assert problem.extra["action"] == "register_camera"
    [text] = problem.extra["problems"]
    assert "000 §三(三)" in text
    assert VIDEO_MONITORING.quote in text
    assert text.endswith(why)


def test_consent_in_force_lets_the_camera_in() -> None:
    require_consents(
        action="register_camera",
        needed=[VIDEO_MONITORING],
        decided={VIDEO: _consent("c-1", 1, 1)},
    )
