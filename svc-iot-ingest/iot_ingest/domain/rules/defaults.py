"""Default rules per metric: "abnormal values alert automatically" (001 Annex 2 item 5) and
"at least one early-warning function" (001 §四(三)2). A care plan may override any of them."""

from __future__ import annotations

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
from iot_ingest.domain.rules.rule import Rule, RuleBook

_VITALS = "001 §四(三)2; 001 Annex 2 item 5"


def _t(metric: str, op: str, value: float) -> Threshold:
    return Threshold(metric=metric, op=Op(op), value=value)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        rule_id="heart_rate_high",
        alarm_type=AlarmType.HEART_RATE_HIGH,
        raise_when=Sustained(when=_t("heart_rate", ">", 120), seconds=60),
        clear_when=Sustained(when=_t("heart_rate", "<=", 110), seconds=60),
        citation=_VITALS,
    ),
    Rule(
        rule_id="heart_rate_low",
        alarm_type=AlarmType.HEART_RATE_LOW,
        raise_when=Sustained(when=_t("heart_rate", "<", 45), seconds=60),
        clear_when=Now(when=_t("heart_rate", ">=", 50)),
        citation=_VITALS,
    ),
    Rule(
        rule_id="respiration_abnormal",
        alarm_type=AlarmType.RESPIRATION_ABNORMAL,
        raise_when=AnyOf(
            conditions=(
                Sustained(when=_t("respiration_rate", ">", 30), seconds=60),
                Sustained(when=_t("respiration_rate", "<", 8), seconds=60),
            )
        ),
        clear_when=AllOf(
            conditions=(
                Now(when=_t("respiration_rate", ">=", 10)),
                Now(when=_t("respiration_rate", "<=", 26)),
            )
        ),
        citation=_VITALS,
    ),
    Rule(
        rule_id="spo2_low",
        alarm_type=AlarmType.SPO2_LOW,
        raise_when=Repeated(when=_t("spo2", "<", 90), times=3),
        clear_when=Repeated(when=_t("spo2", ">=", 93), times=2),
        citation=_VITALS,
    ),
    Rule(
        rule_id="blood_pressure_high",
        alarm_type=AlarmType.BLOOD_PRESSURE_HIGH,
        raise_when=AnyOf(
            conditions=(
                Repeated(when=_t("systolic", ">=", 180), times=2),
                Repeated(when=_t("diastolic", ">=", 110), times=2),
            )
        ),
        clear_when=AllOf(
            conditions=(
                Now(when=_t("systolic", "<", 160)),
                Now(when=_t("diastolic", "<", 100)),
            )
        ),
        citation=_VITALS,
    ),
    Rule(
        rule_id="fever",
        alarm_type=AlarmType.FEVER,
        raise_when=Repeated(when=_t("body_temp", ">=", 38.5), times=2),
        clear_when=Now(when=_t("body_temp", "<", 37.8)),
        citation=_VITALS,
    ),
    Rule(
        rule_id="blood_glucose_low",
        alarm_type=AlarmType.BLOOD_GLUCOSE_LOW,
        raise_when=Now(when=_t("blood_glucose", "<", 3.9)),
        clear_when=Now(when=_t("blood_glucose", ">=", 4.4)),
        citation=_VITALS,
    ),
)

DEFAULT_RULE_BOOK = RuleBook(defaults=DEFAULT_RULES)
