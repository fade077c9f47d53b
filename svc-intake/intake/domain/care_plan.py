"""The personalised care plan: catalogue items with a frequency (001 §四(四)2, 002 §六(二))."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chassis.errors import PreconditionFailed


class ServiceCategory(StrEnum):
    """The six reporting categories of 000 Annex 1."""

    DAILY_LIFE_CARE = "daily_life_care"  # 生活照料
    PERSONAL_CARE = "personal_care"  # 生活护理
    ELECTRONIC_INFORMATION = "electronic_information"  # 电子信息
    HEALTH_MANAGEMENT = "health_management"  # 健康管理
    REHAB_NURSING = "rehab_nursing"  # 康复护理
    EMOTIONAL_SUPPORT = "emotional_support"  # 精神慰藉


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class CarePlanItem:
    name: str  # e.g. 助浴, 上门巡诊 (002 Annex 2 / 001 Annex 3 items)
    category: ServiceCategory
    times: int
    per: Period
    minutes_per_visit: int


def check_care_plan(items: tuple[CarePlanItem, ...]) -> None:
    problems = []
    if not items:
        problems.append("a care plan lists at least one item")
    for index, item in enumerate(items):
        if item.times < 1:
            problems.append(f"item {index}: times must be at least 1")
        if item.minutes_per_visit < 1:
            problems.append(f"item {index}: minutes_per_visit must be at least 1")
    if problems:
        raise PreconditionFailed(action="record_care_plan", problems=problems)
