"""Devices offline *now*, per provider (`homebed_iot_devices_offline`): set by the connectivity
check from the rows it reads anyway, so the telemetry and alarm lanes never pay for it."""

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from iot_ingest.prometheus_metrics import SERVICE
from iot_ingest.service.device_connectivity import check_connectivity, record_heard

T = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)  # after every registration: the heartbeat counts from it


def offline(provider_id: str) -> float | None:
    return REGISTRY.get_sample_value(
        "homebed_iot_devices_offline", {"service": SERVICE, "provider_id": provider_id}
    )


async def test_offline_now_per_provider(iot) -> None:
    a1 = await iot.add_device(await iot.add_bed(provider_id="pa"), provider_id="pa")
    a2 = await iot.add_device(await iot.add_bed(provider_id="pa"), provider_id="pa")
    b1 = await iot.add_device(await iot.add_bed(provider_id="pb"), provider_id="pb")
    heard = {d["device_id"]: T for d in (a1, a2, b1)}
    await record_heard(uow=iot.runtime.uow(), seen=heard, seq_marks={})

    await check_connectivity(uow=iot.runtime.uow(), now=T + timedelta(minutes=1))
    assert (offline("pa"), offline("pb")) == (0, 0)  # known at zero before anything goes wrong

    await record_heard(
        uow=iot.runtime.uow(), seen={a2["device_id"]: T + timedelta(minutes=5)}, seq_marks={}
    )
    await check_connectivity(uow=iot.runtime.uow(), now=T + timedelta(minutes=6))
    assert (offline("pa"), offline("pb")) == (1, 1)  # a1 and b1 silent past the heartbeat

    # the next check changes nothing, and the gauge still says how many are offline now
    assert await check_connectivity(uow=iot.runtime.uow(), now=T + timedelta(minutes=7)) == []
    assert (offline("pa"), offline("pb")) == (1, 1)

    await record_heard(
        uow=iot.runtime.uow(), seen={b1["device_id"]: T + timedelta(minutes=8)}, seq_marks={}
    )
    await check_connectivity(uow=iot.runtime.uow(), now=T + timedelta(minutes=9))
    assert (offline("pa"), offline("pb")) == (1, 0)
