"""The personalised care plan (001 §四(四)2, 002 §六(二)): items of the jurisdiction's service
catalogue (002 附件2, 001 附件3, or the six categories of 000 附件1), each with a frequency and the
worker role that delivers it. The words match svc-service-records' vocabulary, so a plan item
and a visit name the same item, category and role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceCategory(StrEnum):
    """The six reporting categories of 000 附件1."""

    DAILY_CARE = "daily_care"  # 生活照料
    PERSONAL_CARE = "personal_care"  # 生活护理
    ELECTRONIC_INFO = "electronic_info"  # 电子信息
    HEALTH_MANAGEMENT = "health_management"  # 健康管理
    REHAB_CARE = "rehab_care"  # 康复护理
    EMOTIONAL_SUPPORT = "emotional_support"  # 精神慰藉


class WorkerRole(StrEnum):
    """Who delivers an item (001 §四(二)3 and 002 §四2 name the teams)."""

    CAREGIVER = "caregiver"  # 养老护理员 / 护理员
    NURSE = "nurse"  # 护士
    DOCTOR = "doctor"  # 医生
    REHAB_THERAPIST = "rehab_therapist"  # 康复治疗师
    SOCIAL_WORKER = "social_worker"  # 社会工作者 / 社工师


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class CarePlanItem:
    """An item as the provider plans it: the catalogue item, how often, how long, by whom."""

    item_id: str  # the catalogue item's code, e.g. home_rounds (上门巡诊, 001 附件3)
    times: int
    per: Period
    minutes_per_visit: int
    worker_role: WorkerRole


@dataclass(frozen=True)
class PlannedItem:
    """A plan item resolved against the catalogue: what is stored and shown."""

    item_id: str
    catalogue: str
    name: str
    group: str
    category: ServiceCategory
    times: int
    per: Period
    minutes_per_visit: int
    worker_role: WorkerRole
    on_site: bool  # only on-site service counts toward minimums (shared/domain.md)
