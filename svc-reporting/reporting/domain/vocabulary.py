"""Words of 000 附件1 and 附件2 the city platform expects, from HomeBed's codes."""

from __future__ import annotations

ABILITY = {"intact": "完好", "mild": "轻度", "moderate": "中度", "severe": "重度"}
ECONOMIC = {"dibao": "低保", "dibian": "低边", "other": "其他"}

# service-records' reporting categories (000 附件1 六大类)
SERVICE_ITEMS = {
    "daily_care": "生活照料",
    "personal_care": "生活护理",
    "electronic_info": "电子信息",
    "health_management": "健康管理",
    "rehab_care": "康复护理",
    "emotional_support": "精神慰藉",
}

# iot-ingest's device types, named as 000 附件2 (家庭养老床位设备清单) names them
SMART_DEVICES = {
    "emergency_button": "紧急呼叫设备（按键报警器）",
    "pir_motion": "活动监测设备（人体红外探测器）",
    "door_contact": "活动监测设备（门磁报警器）",
    "fall_detector": "活动监测设备（跌倒报警器）",
    "smoke": "烟雾感应器",
    "gas": "燃气报警器",
    "water_leak": "水浸报警器",
    "camera": "视频监控设备",
    "vital_signs_monitor": "生命体征监测设备",
    "smart_mattress": "智能床垫",
    "location_tag": "防走失定位设备",
    "network_gateway": "网络连接设备",  # 001 附件2 (000 附件2 does not list it)
    "smart_wearable": "智能穿戴设备",  # 000 §三(三)
}


def three_levels(region_code: str) -> tuple[str, str, str]:
    """GB/T 2260: province, city and county codes of a county (or finer) code."""
    county = region_code[:6].ljust(6, "0")
    return county[:2] + "0000", county[:4] + "00", county


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
