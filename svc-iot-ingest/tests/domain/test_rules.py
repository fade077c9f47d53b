from datetime import UTC, datetime, timedelta

import msgspec

from iot_ingest.domain.alarm_types import AlarmType
from iot_ingest.domain.rules.conditions import (
    AllOf,
    AnyOf,
    Now,
    Op,
    Repeated,
    Sustained,
    Threshold,
)
from iot_ingest.domain.rules.defaults import DEFAULT_RULE_BOOK, DEFAULT_RULES
from iot_ingest.domain.rules.monitor import BedMonitor, BedMonitorState, MonitorSettings
from iot_ingest.domain.rules.rule import BedRuleOverrides, Rule, RuleSignal, SignalKind

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _t(metric: str, op: str, value: float) -> Threshold:
    return Threshold(metric=metric, op=Op(op), value=value)


def _monitor(*rules: Rule) -> BedMonitor:
    book = DEFAULT_RULE_BOOK if not rules else None
    compiled = book.rules_for() if book else [r for r in _compile(rules)]
    return BedMonitor(compiled, MonitorSettings())


def _compile(rules: tuple[Rule, ...]):  # type: ignore[no-untyped-def]
    from iot_ingest.domain.rules.rule import CompiledRule

    return [CompiledRule.of(r) for r in rules]


def _feed(
    monitor: BedMonitor, state: BedMonitorState, metric: str, values: list[float], step_s: int = 10
) -> list[tuple[int, RuleSignal]]:
    """Feed values `step_s` apart from T0; return (seconds after T0, signal)."""
    out = []
    for i, value in enumerate(values):
        for signal in monitor.observe(state, metric, value, T0 + timedelta(seconds=i * step_s)):
            out.append((i * step_s, signal))
    return out


def test_every_default_rule_cites_a_seed_clause() -> None:
    assert all(rule.effective_citation.startswith("001") for rule in DEFAULT_RULES)


def test_duration_rule_raises_only_after_sixty_seconds_above() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    signals = _feed(monitor, state, "heart_rate", [125] * 7)  # t = 0 .. 60 s
    assert [(t, s.kind, s.alarm_type) for t, s in signals] == [
        (60, SignalKind.RAISE, AlarmType.HEART_RATE_HIGH)
    ]
    assert signals[0][1].rule_id == "heart_rate_high"
    assert "heart_rate > 120 for 60 s" in signals[0][1].detail


def test_duration_rule_restarts_when_the_value_dips() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    signals = _feed(monitor, state, "heart_rate", [125, 125, 125, 100, 125, 125, 125, 125])
    assert signals == []


def test_duration_rule_restarts_after_a_gap_in_readings() -> None:
    rule = Rule(
        rule_id="hr",
        alarm_type=AlarmType.HEART_RATE_HIGH,
        raise_when=Sustained(when=_t("heart_rate", ">", 120), seconds=60, max_gap_seconds=30),
    )
    monitor, state = _monitor(rule), BedMonitorState(bed_id="b1")
    assert monitor.observe(state, "heart_rate", 130, T0) == []
    # 10 minutes of silence: the second reading cannot prove 60 s above threshold
    assert monitor.observe(state, "heart_rate", 130, T0 + timedelta(minutes=10)) == []
    assert monitor.observe(state, "heart_rate", 130, T0 + timedelta(minutes=10, seconds=30)) == []
    assert monitor.observe(state, "heart_rate", 130, T0 + timedelta(minutes=11))


def test_hysteresis_keeps_the_alarm_until_the_clear_condition_holds() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    # 60 s above 120 raises; 115 is below 120 but not <= 110, so no clear
    values = [125] * 7 + [115] * 10 + [105] * 7
    signals = _feed(monitor, state, "heart_rate", values)
    kinds = [(t, s.kind) for t, s in signals]
    assert kinds == [(60, SignalKind.RAISE), (230, SignalKind.CLEAR)]  # 105 from 170 s + 60 s


def test_repeat_rule_needs_consecutive_readings() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    assert _feed(monitor, state, "spo2", [88, 88, 95, 88, 88]) == []
    state2 = BedMonitorState(bed_id="b1")
    signals = _feed(monitor, state2, "spo2", [88, 89, 87])
    assert [(t, s.kind, s.alarm_type) for t, s in signals] == [
        (20, SignalKind.RAISE, AlarmType.SPO2_LOW)
    ]


def test_or_rule_fires_on_either_branch() -> None:
    monitor = _monitor()
    fast, slow = BedMonitorState(bed_id="fast"), BedMonitorState(bed_id="slow")
    assert _feed(monitor, fast, "respiration_rate", [35] * 7)[0][1].kind is SignalKind.RAISE
    assert _feed(monitor, slow, "respiration_rate", [6] * 7)[0][1].kind is SignalKind.RAISE
    normal = BedMonitorState(bed_id="normal")
    assert _feed(monitor, normal, "respiration_rate", [16] * 20) == []


def test_or_rule_across_two_metrics() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    assert monitor.observe(state, "systolic", 150, T0) == []
    assert monitor.observe(state, "diastolic", 112, T0) == []
    raised = monitor.observe(state, "diastolic", 115, T0 + timedelta(minutes=1))
    assert [s.alarm_type for s in raised] == [AlarmType.BLOOD_PRESSURE_HIGH]
    # clear needs both metrics back under their limits
    assert monitor.observe(state, "systolic", 140, T0 + timedelta(minutes=2)) == []
    cleared = monitor.observe(state, "diastolic", 90, T0 + timedelta(minutes=2))
    assert [s.kind for s in cleared] == [SignalKind.CLEAR]


def test_and_rule_needs_both_metrics_and_fresh_values() -> None:
    rule = Rule(
        rule_id="tachy_in_bed",
        alarm_type=AlarmType.CUSTOM_RULE,
        raise_when=AllOf(
            conditions=(
                Now(when=_t("heart_rate", ">", 110)),
                Now(when=_t("bed_presence", "==", 1)),
            )
        ),
    )
    monitor, state = _monitor(rule), BedMonitorState(bed_id="b1")
    assert monitor.observe(state, "heart_rate", 115, T0) == []
    signals = monitor.observe(state, "bed_presence", 1, T0 + timedelta(seconds=5))
    assert [s.kind for s in signals] == [SignalKind.RAISE]
    # no clear condition: clears as soon as the AND stops holding
    assert [
        s.kind for s in monitor.observe(state, "heart_rate", 90, T0 + timedelta(seconds=9))
    ] == [SignalKind.CLEAR]
    # a stale half does not count
    other = BedMonitorState(bed_id="b2")
    monitor.observe(other, "bed_presence", 1, T0)
    assert monitor.observe(other, "heart_rate", 130, T0 + timedelta(minutes=6)) == []


def test_out_of_order_reading_is_ignored_by_the_rule() -> None:
    rule = Rule(
        rule_id="r",
        alarm_type=AlarmType.CUSTOM_RULE,
        raise_when=Repeated(when=_t("spo2", "<", 90), times=2),
    )
    monitor, state = _monitor(rule), BedMonitorState(bed_id="b1")
    monitor.observe(state, "spo2", 85, T0 + timedelta(seconds=20))
    assert monitor.observe(state, "spo2", 85, T0) == []  # older than what the rule saw


def test_per_bed_override_replaces_disables_and_adds() -> None:
    stricter = Rule(
        rule_id="heart_rate_high",
        alarm_type=AlarmType.HEART_RATE_HIGH,
        raise_when=Now(when=_t("heart_rate", ">", 100)),
    )
    extra = Rule(
        rule_id="glucose_high",
        alarm_type=AlarmType.CUSTOM_RULE,
        raise_when=Now(when=_t("blood_glucose", ">", 15)),
    )
    overrides = BedRuleOverrides(rules=(stricter, extra), disabled=("fever",))
    compiled = DEFAULT_RULE_BOOK.rules_for(overrides)
    ids = {c.rule.rule_id for c in compiled}
    assert "fever" not in ids
    assert "glucose_high" in ids
    monitor, state = BedMonitor(compiled, MonitorSettings()), BedMonitorState(bed_id="b1")
    assert [s.rule_id for s in monitor.observe(state, "heart_rate", 105, T0)] == ["heart_rate_high"]
    assert monitor.observe(state, "body_temp", 39.5, T0) == []
    assert monitor.observe(state, "body_temp", 39.5, T0 + timedelta(seconds=5)) == []


def test_overrides_round_trip_as_json() -> None:
    overrides = BedRuleOverrides(rules=DEFAULT_RULES[:3], disabled=("fever",), inactivity_hours=3)
    decoded = msgspec.json.decode(msgspec.json.encode(overrides), type=BedRuleOverrides)
    assert decoded == overrides


def test_rule_state_survives_a_restart_mid_duration() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    assert _feed(monitor, state, "heart_rate", [125] * 4) == []  # 0..30 s
    restored = msgspec.json.decode(msgspec.json.encode(state), type=BedMonitorState)
    fresh_monitor = _monitor()
    later = [T0 + timedelta(seconds=s) for s in (40, 50, 60)]
    signals = [s for at in later for s in fresh_monitor.observe(restored, "heart_rate", 125, at)]
    assert [(s.at, s.kind) for s in signals] == [(later[-1], SignalKind.RAISE)]


def test_rule_raises_once_while_active() -> None:
    monitor, state = _monitor(), BedMonitorState(bed_id="b1")
    signals = _feed(monitor, state, "blood_glucose", [3.0, 3.1, 3.2, 3.0])
    assert [s.kind for _, s in signals] == [SignalKind.RAISE]


def test_any_of_with_nested_all_of_describes_itself() -> None:
    from iot_ingest.domain.rules.conditions import describe

    condition = AnyOf(
        conditions=(
            Now(when=_t("spo2", "<", 88)),
            AllOf(conditions=(Repeated(when=_t("heart_rate", ">", 130), times=3),)),
        )
    )
    assert describe(condition) == "(spo2 < 88 OR (heart_rate > 130 3 readings in a row))"
