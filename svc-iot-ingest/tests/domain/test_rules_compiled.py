"""The rule engine's compiled form (issue 16, CPU per reading) decides exactly as the reference
walk of the condition tree (`update_indexed` + `holds`): same leaf states, same signals, for
every default rule and custom trees of every leaf kind and operator, over random readings
(out of order, gaps past `max_gap`, stale leaves, values on the thresholds)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec

from iot_ingest.domain.alarm_types import AlarmType
from iot_ingest.domain.rules.conditions import (
    AllOf,
    AnyOf,
    Condition,
    LeafState,
    Now,
    Op,
    Repeated,
    Sustained,
    Threshold,
    holds,
    index_leaves,
    update_indexed,
)
from iot_ingest.domain.rules.defaults import DEFAULT_RULES
from iot_ingest.domain.rules.rule import CompiledRule, Rule, RuleState

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STALE = timedelta(minutes=5)


def _reference_holds(
    condition: Condition, states: dict[int, LeafState], metric: str, value: float, at: datetime
) -> bool:
    update_indexed(index_leaves(condition).get(metric, ()), states, value, at)
    return holds(condition, states, at, STALE)


def _custom_rules() -> list[Rule]:
    def t(op: Op, value: float) -> Threshold:
        return Threshold(metric="heart_rate", op=op, value=value)

    rules = []
    for n, op in enumerate(Op):
        rules.append(
            Rule(
                rule_id=f"custom_{n}",
                alarm_type=AlarmType.HEART_RATE_HIGH,
                raise_when=AllOf(
                    conditions=(
                        Sustained(when=t(op, 80), seconds=20, max_gap_seconds=15),
                        AnyOf(
                            conditions=(
                                Repeated(when=t(op, 90), times=2),
                                Now(when=Threshold(metric="spo2", op=op, value=92)),
                            )
                        ),
                    )
                ),
                clear_when=None if n % 2 else Now(when=t(Op.LT, 70)),
            )
        )
    return rules


def _readings(seed: int, count: int) -> list[tuple[str, float, datetime]]:
    rng = random.Random(seed)
    at = T0
    made = []
    for _ in range(count):
        step = rng.choice([1, 5, 10, 30, 200, 400, -20])  # gaps, stale leaves, out of order
        at += timedelta(seconds=step)
        metric = rng.choice(["heart_rate", "heart_rate", "spo2", "respiration_rate"])
        value = float(rng.choice([40, 45, 50, 70, 80, 90, 110, 120, 130, 85, 92, 93, 8, 10, 30]))
        made.append((metric, value, at))
    return made


def test_compiled_rules_decide_as_the_reference_walk() -> None:
    encoder = msgspec.json.Encoder()
    for rule in (*DEFAULT_RULES, *_custom_rules()):
        compiled = CompiledRule.of(rule)
        for seed in range(8):
            state = RuleState()
            raise_states: dict[int, LeafState] = {}
            clear_states: dict[int, LeafState] = {}
            active = False
            for metric, value, at in _readings(seed, 300):
                signal = compiled.observe(state, "bed-1", metric, value, at, STALE)
                if metric not in compiled.metrics:
                    assert signal is None
                    continue
                raise_holds = _reference_holds(rule.raise_when, raise_states, metric, value, at)
                if rule.clear_when is not None:
                    clear_holds = _reference_holds(rule.clear_when, clear_states, metric, value, at)
                else:
                    clear_holds = not raise_holds
                expected = None
                if not active and raise_holds:
                    active, expected = True, "raise"
                elif active and clear_holds:
                    active, expected = False, "clear"
                    raise_states.clear()
                assert (signal.kind.value if signal else None) == expected, (rule.rule_id, at)
                assert state.active is active
                assert encoder.encode(state.raise_leaves) == encoder.encode(raise_states)
                assert encoder.encode(state.clear_leaves) == encoder.encode(clear_states)
