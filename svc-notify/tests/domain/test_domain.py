"""Pure rules: rotations and overrides, quiet hours across midnight, masking, templates, the
flood and retry decisions, and the rule book (with its seed quotes, verbatim)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from chassis.errors import Unprocessable
from chassis.testing.seeds import quoted_in_seed
from notify.domain.delivery import Decision, DeliveryStatus, FloodPolicy, after_failure, decide
from notify.domain.recipients import QuietHours, mask_phone, normalise_phone
from notify.domain.schedules import Override, Rotation, on_call
from notify.domain.templates import minutes_left
from notify.policies.loader import load_rules, load_templates, rule_file

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 Shanghai


def test_rotation_turns_and_the_latest_override_wins() -> None:
    rotation = Rotation(members=("a", "b", "c"), starts_at=T0, shift=timedelta(hours=8))
    assert [rotation.holder(T0 + timedelta(hours=h)) for h in (0, 7, 8, 16, 24)] == [
        "a",
        "a",
        "b",
        "c",
        "a",
    ]
    assert rotation.holder(T0 - timedelta(hours=1)) == "c"  # before the start counts backwards
    overrides = [
        Override("x", T0, T0 + timedelta(hours=4)),
        Override("y", T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
    ]
    assert on_call(rotation, overrides, T0 + timedelta(minutes=90)) == "y"
    assert on_call(rotation, overrides, T0 + timedelta(hours=3)) == "x"
    assert on_call(rotation, overrides, T0 + timedelta(hours=4)) == "a"
    with pytest.raises(Unprocessable):
        Rotation(members=(), starts_at=T0, shift=timedelta(hours=8))
    with pytest.raises(Unprocessable):
        Override("x", T0, T0)


def test_quiet_hours_wrap_midnight_in_shanghai() -> None:
    quiet = QuietHours(time(22, 0), time(7, 0))
    at_2330 = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert quiet.covers(at_2330)
    assert quiet.ends_after(at_2330) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert not quiet.covers(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # 07:00
    assert not quiet.covers(T0)


def test_phones() -> None:
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert mask_phone("13812345678") == "138****5678"
    with pytest.raises(Unprocessable):
        normalise_phone("0571-8888888")


def test_safety_goes_out_through_quiet_hours_and_floods() -> None:
    quiet = QuietHours(time(22, 0), time(7, 0))
    night = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    flood = FloodPolicy(threshold=3, window=timedelta(seconds=60))
    kwargs = {
        "quiet_hours": quiet,
        "now": night,
        "sent_in_window": 10,
        "window_started": night,
        "flood": flood,
    }
    assert decide(safety=True, **kwargs).decision is Decision.SEND  # type: ignore[arg-type]
    assert decide(safety=False, **kwargs).decision is Decision.QUIET  # type: ignore[arg-type]
    day = kwargs | {"quiet_hours": None}
    held = decide(safety=False, **day)  # type: ignore[arg-type]
    assert (held.decision, held.until) == (Decision.HOLD, night + timedelta(seconds=60))


def test_retries_double_then_fail() -> None:
    backoff = timedelta(seconds=30)
    assert after_failure(attempts=1, max_attempts=3, now=T0, backoff=backoff) == (
        DeliveryStatus.PENDING,
        T0 + backoff,
    )
    assert after_failure(attempts=2, max_attempts=3, now=T0, backoff=backoff) == (
        DeliveryStatus.PENDING,
        T0 + 2 * backoff,
    )
    assert after_failure(attempts=3, max_attempts=3, now=T0, backoff=backoff) == (
        DeliveryStatus.FAILED,
        None,
    )


def test_templates_fill_every_variable() -> None:
    templates = load_templates()
    title, body = templates["alarm_raised"].render({"alarm_type": "跌倒", "elder": "张**"})
    assert title == "【家床告警】跌倒"
    assert "{" not in body
    assert "—" in body
    assert minutes_left(T0 + timedelta(minutes=15), T0 + timedelta(seconds=130)) == "12"
    assert minutes_left(T0, T0 + timedelta(minutes=1)) == "0"


def test_rule_book_and_its_seed_quotes() -> None:
    rules = load_rules()
    assert {r.id for r in rules.matching("iot.alarms.v1", "alarm.raised", {})} == {"alarm-raised"}
    assert rules.is_safety("fall_detected")
    assert not rules.is_safety("bed_exit")
    for spec in rule_file().rules:
        if spec.basis == "explicit":
            assert spec.seed
            assert spec.quote
            assert quoted_in_seed(spec.seed, spec.quote), spec.id
