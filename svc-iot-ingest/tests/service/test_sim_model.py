import random
from datetime import UTC, datetime, timedelta

import msgspec

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.catalogue import spec_of
from iot_ingest.domain.validation import ReadingIn, validate_readings
from iot_ingest.sim.model import BedSimulator

NIGHT = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai


def _valid(device_type: DeviceType, readings: list[dict], now: datetime) -> bool:
    parsed = msgspec.convert(readings, list[ReadingIn], strict=False)
    return validate_readings(spec_of(device_type), parsed, now=now).refused == []


def test_simulated_readings_pass_validation_and_number_seqs_per_device() -> None:
    sim = BedSimulator("b1", random.Random(7))
    vitals = [r for _ in range(50) for r in sim.vitals(NIGHT, 4, timedelta(milliseconds=250))]
    assert _valid(DeviceType.VITAL_SIGNS_MONITOR, vitals, NIGHT)
    assert [r["seq"] for r in vitals] == list(range(200))
    assert _valid(DeviceType.SMART_MATTRESS, sim.mattress(NIGHT), NIGHT)
    assert _valid(DeviceType.PIR_MOTION, sim.motion(NIGHT), NIGHT)


def test_falls_and_sos_happen_at_about_the_given_rate() -> None:
    sim = BedSimulator("b1", random.Random(1))
    kinds = [sim.maybe_event(0.01) for _ in range(10_000)]
    assert 50 < kinds.count("fall_detected") < 160
    assert 50 < kinds.count("sos_pressed") < 160
