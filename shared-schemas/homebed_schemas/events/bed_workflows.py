"""Payloads of `intake.beds.v1` beyond the lifecycle (producer: svc-intake): consents and the
acceptance workflow (验收).

Consents (000 §三(一), §三(三); 004 §三(二)): `bed.consent_recorded` when the elder, the applicant
or a guardian grants or refuses a scope, `bed.consent_withdrawn` when a granted consent is taken
back. `in_force` says whether the scope may be acted on now: iot-ingest registers and streams a
camera only while `video_monitoring` is in force for the bed.

Acceptance (001 §四(五)): the provider applies with the service contract, the construction
investment list (建设投入清单, fen) and the service data list (`bed.acceptance_applied`); street and
community inspect at home together (`bed.acceptance_inspected`); the officer returns it with
reasons (`bed.acceptance_returned`) or accepts it (`bed.acceptance_approved`, followed by the
lifecycle's `bed.accepted`). svc-subsidy reads the investment list from `bed.acceptance_approved`.

No ID or phone number appears here; people are named only by role (the giver's relation).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConsentScope(StrEnum):
    """What a consent covers, and the step it guards."""

    SERVICE_AGREEMENT = "service_agreement"  # 签订服务协议 (000 §三(一))
    VIDEO_MONITORING = "video_monitoring"  # 视频监控 / 联网视频 (000 §三(三))
    HOME_MODIFICATION = "home_modification"  # 适老化改造 (004 §三(二))


class ConsentDecision(StrEnum):
    GRANTED = "granted"  # 同意
    REFUSED = "refused"  # 不同意


class ConsentGiver(StrEnum):
    """Who gave the consent (000 §三(一): 老人或申请人)."""

    ELDER = "elder"  # 老人本人
    APPLICANT = "applicant"  # 申请人 (family member who applied)
    GUARDIAN = "guardian"  # 监护人 / 代理人 (002 §六(三))


class ConsentMethod(StrEnum):
    WRITTEN = "written"  # signed form; the evidence reference names the scan
    ORAL_WITNESSED = "oral_witnessed"  # said aloud before a witness
    ELECTRONIC = "electronic"  # in the app (浙里办 etc.); the evidence reference names the record


class ConsentEvent(_Payload):
    consent_id: str
    bed_id: str
    elder_id: str
    provider_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    region_code: str = Field(pattern=r"^\d{6,12}$")
    scope: ConsentScope
    decision: ConsentDecision
    given_by: ConsentGiver
    relation: str | None = Field(default=None, description="the giver's relation to the elder")
    method: ConsentMethod
    given_at: datetime
    withdrawn_at: datetime | None = None
    in_force: bool = Field(
        description="granted, not withdrawn and the latest record of its scope: act on it"
    )
    occurred_at: datetime


class InvestmentCategory(StrEnum):
    """Lines of the construction investment list (001 §四(七)1: 适老化改造内容、设施设备的安装和维护)."""

    MODIFICATION = "modification"  # 适老化改造
    SMART_DEVICE = "smart_device"  # 智能化设备
    CARE_EQUIPMENT = "care_equipment"  # 护理床、康复器具等设施设备
    INSTALLATION_MAINTENANCE = "installation_maintenance"  # 安装和维护
    OTHER = "other"


class InvestmentLine(_Payload):
    category: InvestmentCategory
    description: str
    amount_fen: int = Field(ge=1)


class ServiceDataLine(_Payload):
    """One line of the service data list: a service item delivered in the period."""

    item: str
    times: int = Field(ge=0)
    total_minutes: int = Field(ge=0)


class AcceptanceEvent(_Payload):
    acceptance_id: str
    bed_id: str
    elder_id: str
    provider_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    region_code: str = Field(pattern=r"^\d{6,12}$")
    attempt: int = Field(ge=1, description="1 for the first application, +1 after each return")
    status: str = Field(description="applied, inspected, returned or accepted")
    contract_id: str
    investment: list[InvestmentLine]
    investment_total_fen: int = Field(ge=0)
    service_period_start: date
    service_period_end: date
    service_data: list[ServiceDataLine]
    applied_on: date
    inspected_on: date | None = None
    findings: str | None = None
    reasons: list[str] = Field(default_factory=list, description="why it was returned")
    accepted_on: date | None = None
    occurred_at: datetime


BED_WORKFLOW_EVENTS: dict[str, type[BaseModel]] = {
    "bed.consent_recorded": ConsentEvent,
    "bed.consent_withdrawn": ConsentEvent,
    "bed.acceptance_applied": AcceptanceEvent,
    "bed.acceptance_inspected": AcceptanceEvent,
    "bed.acceptance_returned": AcceptanceEvent,
    "bed.acceptance_approved": AcceptanceEvent,
}
