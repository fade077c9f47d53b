"""The T+1 report to the city platform, field for field from 000 附件1 (家庭养老床位数据归集规范).

One document per provider and day. JSON names are English; every field's description starts with
the Annex's Chinese label, and enumerated values are the Annex's own words (完好, 低保, 生活照料 …).
Beyond the Annex's four data sets the document carries what 000 §三(二) asks to collect with
them: the day's bed changes (建（撤）床) and the signed agreements (签约服务协议文本).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal["city_report.v1"] = "city_report.v1"
SCHEMA_FILE = "reports/city_report.v1.json"

AbilityResult = Literal["完好", "轻度", "中度", "重度"]
EconomicSituation = Literal["低保", "低边", "其他"]
ServiceItem = Literal["生活照料", "生活护理", "电子信息", "健康管理", "康复护理", "精神慰藉"]
LocalSecond = str  # "2023-06-06 09:15:12", Asia/Shanghai, to the second
LOCAL_SECOND_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Part):
    """三级区划＋详细地址: GB/T 2260 province, city and county codes, then the detail."""

    province_code: str = Field(pattern=r"^\d{6}$", description="省级区划代码")
    city_code: str = Field(pattern=r"^\d{6}$", description="市级区划代码")
    county_code: str = Field(pattern=r"^\d{6}$", description="县（区）级区划代码")
    detail: str = Field(min_length=1, description="详细地址")


class BasicInfo(_Part):
    """基本信息 of one bed."""

    bed_ref: str = Field(description="床位编号 (the provider's bed id on HomeBed)")
    name: str = Field(description="姓名")
    id_number: str = Field(description="身份证")
    hukou_address: Address = Field(description="户籍地址（三级区划＋详细地址）")
    bed_address: Address = Field(description="建床地址（三级区划＋详细地址）")
    ability_result: AbilityResult | None = Field(
        description="身体能力评估结果（完好、轻度、中度、重度）"
    )
    economic_situation: EconomicSituation = Field(description="经济情况（低保、低边、其他）")
    established_on: date = Field(description="建床时间")
    problems: list[str] = Field(
        default_factory=list,
        description="数据问题标记, e.g. id_number_checksum (legacy ID failing GB 11643)",
    )


class InstalledDevice(_Part):
    name: str = Field(description="设备名称（如：紧急呼叫设备、扶手）")
    count: int = Field(ge=1, description="安装数量（XX设备XX个）")


class BedDevices(_Part):
    bed_ref: str = Field(description="床位编号")
    devices: list[InstalledDevice]


class BedOperation(_Part):
    bed_ref: str = Field(description="床位编号")
    monthly_visits: int = Field(ge=0, description="每月上门频次（如：每月XX次）")
    monthly_fee_yuan: str = Field(
        pattern=r"^\d+\.\d{2}$", description="每月收费标准（如：每月XX元）, yuan with 2 decimals"
    )


class Operations(_Part):
    """运营分析 of the provider."""

    provider_name: str = Field(description="家庭养老床位服务商名称")
    operating_beds: int = Field(ge=0, description="服务商实际运营床位数量（XX张）")
    medical_partner: str | None = Field(description="医疗合作机构（如：XXX社区卫生服务中心）")
    beds: list[BedOperation] = Field(description="每月上门频次与每月收费标准, per bed")


class ServiceDetail(_Part):
    """服务详情: one service item of one verified visit."""

    record_ref: str = Field(description="服务记录编号 (<visit id>:<category>)")
    bed_ref: str = Field(description="床位编号")
    elder_name: str = Field(description="服务对象")
    worker_name: str = Field(description="服务人员")
    service_item: ServiceItem = Field(
        description="服务项目（生活照料、生活护理、电子信息、健康管理、康复护理、精神慰藉六大类）"
    )
    start_time: LocalSecond = Field(
        pattern=LOCAL_SECOND_PATTERN, description="服务开始时间（如：2023-6-6 09:15:12）"
    )
    end_time: LocalSecond = Field(
        pattern=LOCAL_SECOND_PATTERN, description="服务结束时间（如：2023-6-6 10:15:12）"
    )


class BedChange(_Part):
    """建（撤）床 of the day."""

    bed_ref: str = Field(description="床位编号")
    change: Literal["建床", "撤床"] = Field(description="建床 or 撤床")
    on: date = Field(description="变更日期")
    reason: str | None = Field(default=None, description="撤床原因")


class Agreement(_Part):
    """签约服务协议文本: a reference to the signed text and its SHA-256."""

    bed_ref: str = Field(description="床位编号")
    reference: str = Field(description="协议编号")
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="协议文本 SHA-256")
    signed_on: date = Field(description="签约日期")


class CityReportV1(_Part):
    """家庭养老床位数据归集 (000 附件1), one provider, one day (T+1)."""

    schema_version: Literal["city_report.v1"] = SCHEMA_VERSION
    batch_id: str = Field(description="批次编号: idempotency key with provider and date")
    kind: Literal["original", "correction"] = Field(description="original or correction")
    corrects_batch_id: str | None = Field(
        default=None, description="the batch a correction replaces"
    )
    provider_id: str = Field(description="服务机构编号")
    report_date: date = Field(description="数据日期 T")
    generated_at: datetime
    basic_info: list[BasicInfo] = Field(description="基本信息")
    smart_devices: list[BedDevices] = Field(description="智能化设备")
    aging_friendly_devices: list[BedDevices] = Field(description="适老化设备")
    operations: Operations = Field(description="运营分析")
    service_details: list[ServiceDetail] = Field(description="服务详情")
    bed_changes: list[BedChange] = Field(description="建（撤）床")
    agreements: list[Agreement] = Field(description="签约服务协议文本")
