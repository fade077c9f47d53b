"""Routes of iot-ingest; `ROUTERS` in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from iot_ingest.api import (
    alarms,
    device_lanes,
    devices,
    internal,
    internal_alarm_ack,
    internal_city_report,
    internal_referral_archive,
    monitoring,
    stream,
    workers,
)

ROUTERS: list[APIRouter] = [
    device_lanes.router,
    devices.router,
    stream.router,  # before alarms: /v1/alarms/stream is not an alarm id
    alarms.router,
    monitoring.router,
    workers.router,
    internal.router,
    internal_city_report.router,
    internal_referral_archive.router,
    internal_alarm_ack.router,
]
