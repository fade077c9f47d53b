"""Chinese message templates (data in `notify/policies/templates.yaml`) and their variables."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from notify.domain.recipients import SHANGHAI

ALARM_TYPE_LABELS = {
    "sos_pressed": "紧急呼叫",
    "fall_detected": "跌倒",
    "smoke": "烟雾",
    "gas": "燃气泄漏",
    "water_leak": "水浸",
    "bed_exit": "离床",
    "left_safe_zone": "离开安全区域",
    "heart_rate_high": "心率过高",
    "heart_rate_low": "心率过低",
    "respiration_abnormal": "呼吸异常",
    "spo2_low": "血氧偏低",
    "blood_pressure_high": "血压偏高",
    "fever": "体温偏高",
    "blood_glucose_low": "血糖偏低",
    "inactivity": "长时间无活动",
    "night_bed_exit_no_return": "夜间离床未归",
    "custom_rule": "自定义规则",
}
ADDRESS_HIDDEN = "（地址仅对处置人员显示）"
UNKNOWN = "—"
# svc-referral's steps (referral.deadline_missed)
REFERRAL_STEPS = {
    "acknowledge": "确认接收",
    "decide": "作出接收决定",
    "start": "开始服务",
    "complete": "完成转介",
}
# a late T+1 batch's state (city_report.late)
REPORT_STATUSES = {"pending": "尚未发出", "sent": "已发出未获确认", "failed": "发送失败"}


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    body: str

    def fields(self) -> frozenset[str]:
        return self._fields

    @cached_property
    def _fields(self) -> frozenset[str]:  # parsed once per template, not per message
        parsed = string.Formatter().parse(self.title + self.body)
        return frozenset(name for _, name, _, _ in parsed if name)

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """Title and body with every `{name}` filled; a missing value shows as `—`."""
        filled = {name: values.get(name) or UNKNOWN for name in self._fields}
        return self.title.format_map(filled), self.body.format_map(filled)


def alarm_type_label(alarm_type: str | None) -> str:
    if alarm_type is None:
        return UNKNOWN
    return ALARM_TYPE_LABELS.get(alarm_type, alarm_type)


def minutes_left(deadline: datetime | None, now: datetime) -> str:
    """Whole minutes left before the 15-minute arrival deadline (001 §四(三)2); 0 once past."""
    if deadline is None:
        return UNKNOWN
    seconds = (deadline - now).total_seconds()
    return str(max(0, int(seconds // 60)))


def shanghai_clock(moment: datetime | None) -> str:
    if moment is None:
        return UNKNOWN
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def yuan(fen: object) -> str:
    """Integer fen as yuan for a message: 210000 → 2,100.00."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        return UNKNOWN
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"
