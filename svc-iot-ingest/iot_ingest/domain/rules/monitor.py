"""Everything watched per bed: threshold rules, daytime inactivity and night bed-exit.

The state is a msgspec Struct, so the service can persist it as JSON and pick up after a restart.
`observe` takes readings (device time); `tick` takes the controlled `now` and fires the rules that
depend on time passing without readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec

from iot_ingest.domain.alarm_types import ALARM_TYPES, AlarmType
from iot_ingest.domain.metric_ranges import Metric
from iot_ingest.domain.rules.rule import (
    BedRuleOverrides,
    CompiledRule,
    RuleSignal,
    RuleState,
    SignalKind,
)
from iot_ingest.domain.time_windows import DEFAULT_DAYTIME, DaytimeWindow

INACTIVITY_RULE_ID = "inactivity"
NIGHT_BED_EXIT_RULE_ID = "night_bed_exit_no_return"
_ACTIVITY_METRICS = frozenset({Metric.MOTION.value, Metric.DOOR_OPEN.value})
_BED_PRESENCE = Metric.BED_PRESENCE.value


@dataclass(frozen=True)
class MonitorSettings:
    inactivity_after: timedelta = timedelta(hours=4)  # of daytime without any activity
    bed_exit_return_within: timedelta = timedelta(minutes=30)
    daytime: DaytimeWindow = field(default=DEFAULT_DAYTIME)
    stale_after: timedelta = timedelta(minutes=5)  # a reading older than this no longer counts

    def for_bed(self, overrides: BedRuleOverrides | None) -> MonitorSettings:
        if overrides is None:
            return self
        inactivity = self.inactivity_after
        if overrides.inactivity_hours is not None:
            inactivity = timedelta(hours=overrides.inactivity_hours)
        bed_exit = self.bed_exit_return_within
        if overrides.bed_exit_return_minutes is not None:
            bed_exit = timedelta(minutes=overrides.bed_exit_return_minutes)
        return MonitorSettings(inactivity, bed_exit, self.daytime, self.stale_after)


class BedMonitorState(msgspec.Struct):
    bed_id: str
    rules: dict[str, RuleState] = msgspec.field(default_factory=dict)
    # inactivity: the watch starts with the first activity-sensor reading of the bed
    last_activity_at: datetime | None = None
    inactivity_active: bool = False
    # night bed-exit
    in_bed: bool | None = None
    bed_exit_at: datetime | None = None
    bed_exit_active: bool = False
    # highest seq applied per device: a re-delivered batch must not count twice
    device_seqs: dict[str, int] = msgspec.field(default_factory=dict)


class BedMonitor:
    """Applies rules and settings to one bed's state; holds no state of its own."""

    def __init__(self, rules: Sequence[CompiledRule], settings: MonitorSettings) -> None:
        self._rules = tuple(rules)
        self._settings = settings
        by_metric: dict[str, list[CompiledRule]] = {}
        for compiled in self._rules:
            for metric in compiled.metrics:
                by_metric.setdefault(metric, []).append(compiled)
        self._by_metric = {
            metric: tuple((compiled.rule.rule_id, compiled) for compiled in found)
            for metric, found in by_metric.items()
        }
        self._stale_after = settings.stale_after

    def observe(
        self, state: BedMonitorState, metric: str, value: float, at: datetime
    ) -> list[RuleSignal]:
        signals: list[RuleSignal] = []
        self.observe_into(signals, state, metric, value, at)
        return signals

    def observe_into(
        self,
        signals: list[RuleSignal],
        state: BedMonitorState,
        metric: str,
        value: float,
        at: datetime,
    ) -> None:
        """`observe`, appending the signals to the caller's list (the engine's hot loop: no
        list per reading)."""
        rules = state.rules
        for rule_id, compiled in self._by_metric.get(metric, ()):
            rule_state = rules.get(rule_id)
            if rule_state is None:
                rule_state = rules[rule_id] = RuleState()
            signal = compiled.observe(
                rule_state, state.bed_id, metric, value, at, self._stale_after
            )
            if signal is not None:
                signals.append(signal)
        if metric in _ACTIVITY_METRICS:
            self._observe_activity(state, value, at, signals)
        elif metric == _BED_PRESENCE:
            self._observe_presence(state, value, at, signals)
        if state.bed_exit_at is not None:
            self._check_bed_exit(state, at, signals)

    def tick(self, state: BedMonitorState, now: datetime) -> list[RuleSignal]:
        signals: list[RuleSignal] = []
        self._check_inactivity(state, now, signals)
        self._check_bed_exit(state, now, signals)
        return signals

    def _observe_activity(
        self, state: BedMonitorState, value: float, at: datetime, signals: list[RuleSignal]
    ) -> None:
        if state.last_activity_at is not None and at < state.last_activity_at:
            return
        if value >= 1:
            state.last_activity_at = at
            if state.inactivity_active:
                state.inactivity_active = False
                signals.append(
                    _signal(SignalKind.CLEAR, state, AlarmType.INACTIVITY, at, "activity seen")
                )
        elif state.last_activity_at is None:
            state.last_activity_at = at  # the watch starts: no activity since this reading

    def _check_inactivity(
        self, state: BedMonitorState, now: datetime, signals: list[RuleSignal]
    ) -> None:
        if state.inactivity_active or state.last_activity_at is None:
            return
        quiet = self._settings.daytime.daytime_between(state.last_activity_at, now)
        if quiet >= self._settings.inactivity_after:
            state.inactivity_active = True
            hours = self._settings.inactivity_after.total_seconds() / 3600
            signals.append(
                _signal(
                    SignalKind.RAISE,
                    state,
                    AlarmType.INACTIVITY,
                    now,
                    f"no motion for {hours:g} daytime hours",
                )
            )

    def _observe_presence(
        self, state: BedMonitorState, value: float, at: datetime, signals: list[RuleSignal]
    ) -> None:
        present = value >= 1
        if present:
            state.bed_exit_at = None
            if state.bed_exit_active:
                state.bed_exit_active = False
                signals.append(
                    _signal(
                        SignalKind.CLEAR,
                        state,
                        AlarmType.NIGHT_BED_EXIT_NO_RETURN,
                        at,
                        "back in bed",
                    )
                )
        elif state.in_bed and self._settings.daytime.is_night(at):
            state.bed_exit_at = at
        state.in_bed = present

    def _check_bed_exit(
        self, state: BedMonitorState, now: datetime, signals: list[RuleSignal]
    ) -> None:
        if state.bed_exit_active or state.bed_exit_at is None:
            return
        window = self._settings.bed_exit_return_within
        if now - state.bed_exit_at >= window:
            state.bed_exit_active = True
            minutes = window.total_seconds() / 60
            signals.append(
                _signal(
                    SignalKind.RAISE,
                    state,
                    AlarmType.NIGHT_BED_EXIT_NO_RETURN,
                    now,
                    f"left the bed at night and not back within {minutes:g} min",
                )
            )


def _signal(
    kind: SignalKind, state: BedMonitorState, alarm_type: AlarmType, at: datetime, detail: str
) -> RuleSignal:
    spec = ALARM_TYPES[alarm_type]
    rule_id = INACTIVITY_RULE_ID if alarm_type is AlarmType.INACTIVITY else NIGHT_BED_EXIT_RULE_ID
    return RuleSignal(
        kind=kind,
        bed_id=state.bed_id,
        rule_id=rule_id,
        alarm_type=alarm_type,
        severity=spec.severity,
        at=at,
        citation=spec.citation,
        detail=detail,
    )
