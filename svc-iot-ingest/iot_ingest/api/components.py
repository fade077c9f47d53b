"""What the routes need besides the unit of work, built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from iot_ingest.settings import Settings
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.telemetry.auth import DeviceAuthenticator
from iot_ingest.telemetry.lane import TelemetryLane


@dataclass
class IotComponents:
    settings: Settings
    authenticator: DeviceAuthenticator
    lane: TelemetryLane
    rule_engine: RuleEngine


def components(request: Request) -> IotComponents:
    found: IotComponents = request.app.state.iot
    return found
