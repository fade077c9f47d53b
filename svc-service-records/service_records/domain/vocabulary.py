"""The words of a visit: reporting categories, worker roles, contact modes.

The six categories are the ones every service item is reported under (000 附件1:
"服务项目（对应：生活照料、生活护理、电子信息、健康管理、康复护理、精神慰藉六大类）").
"""

from __future__ import annotations

from enum import StrEnum


class ServiceCategory(StrEnum):
    """The six reporting categories of 000 附件1."""

    DAILY_CARE = "daily_care"  # 生活照料
    PERSONAL_CARE = "personal_care"  # 生活护理
    ELECTRONIC_INFO = "electronic_info"  # 电子信息
    HEALTH_MANAGEMENT = "health_management"  # 健康管理
    REHAB_CARE = "rehab_care"  # 康复护理
    EMOTIONAL_SUPPORT = "emotional_support"  # 精神慰藉


CATEGORY_NAMES: dict[ServiceCategory, str] = {
    ServiceCategory.DAILY_CARE: "生活照料",
    ServiceCategory.PERSONAL_CARE: "生活护理",
    ServiceCategory.ELECTRONIC_INFO: "电子信息",
    ServiceCategory.HEALTH_MANAGEMENT: "健康管理",
    ServiceCategory.REHAB_CARE: "康复护理",
    ServiceCategory.EMOTIONAL_SUPPORT: "精神慰藉",
}


class WorkerRole(StrEnum):
    """Who delivers a visit (001 §四(二)3 and 002 §四2 name the teams)."""

    CAREGIVER = "caregiver"  # 护理员
    NURSE = "nurse"  # 护士
    DOCTOR = "doctor"  # 医生
    REHAB_THERAPIST = "rehab_therapist"  # 康复师
    SOCIAL_WORKER = "social_worker"  # 社工


MEDIC_ROLES: frozenset[str] = frozenset({WorkerRole.NURSE.value, WorkerRole.DOCTOR.value})
"""医护人员 of 001 §四(三)3: a nurse or a doctor."""


class VisitMode(StrEnum):
    """How a contact happened; only on-site visits count toward the minimums."""

    ON_SITE = "on_site"  # 上门
    VIDEO = "video"  # 视频查房 (001 附件3), recorded, not counted
    PHONE = "phone"  # 电话巡访 (001 附件3), recorded, not counted
