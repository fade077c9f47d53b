"""Simulate N beds against a running stack.

1. publishes `bed.established` for each bed on intake.beds.v1 (as intake would),
2. registers a vital-signs monitor, smart mattress, PIR sensor, fall detector and emergency
   button per bed through the API (as a provider admin, with a token minted by the internal key),
3. then every second posts each bed's readings and, rarely, a fall or an SOS.

`python -m iot_ingest.sim --url http://127.0.0.1:8003 --bootstrap 127.0.0.1:9092 --beds 20`
(`make run` serves the telemetry lane apart, on 8013: `--telemetry-url http://127.0.0.1:8013`)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from chassis.principal import Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from homebed_schemas.topics import INTAKE_BEDS
from iot_ingest.sim.model import BedSimulator
from iot_ingest.testing import bed_envelope

DEVICES = (
    "vital_signs_monitor",
    "smart_mattress",
    "pir_motion",
    "fall_detector",
    "emergency_button",
)


async def publish_beds(bootstrap: str, bed_ids: list[str], provider_id: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for bed_id in bed_ids:
            envelope = bed_envelope(bed_id, provider_id)
            await producer.send_and_wait(
                INTAKE_BEDS.name,
                orjson.dumps(envelope.model_dump(mode="json")),
                key=bed_id.encode(),
            )
    finally:
        await producer.stop()


async def register(client: httpx.AsyncClient, admin: dict[str, str], bed_id: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for device_type in DEVICES:
        for _ in range(120):  # the bed reaches iot-ingest through Kafka: wait for it
            response = await client.post(
                "/v1/devices",
                json={
                    "bed_id": bed_id,
                    "device_type": device_type,
                    "serial": f"SIM-{uuid.uuid4().hex[:10]}",
                },
                headers=admin,
            )
            if response.status_code == 201:
                tokens[device_type] = response.json()["token"]
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit(f"could not register {device_type} on {bed_id}: {response.text}")
    return tokens


async def run(args: argparse.Namespace) -> None:
    provider_id = args.provider
    bed_ids = [f"sim-{uuid.uuid4().hex[:8]}" for _ in range(args.beds)]
    await publish_beds(args.bootstrap, bed_ids, provider_id)
    admin_principal = Principal(sub="sim-admin", role=Role.PROVIDER_ADMIN, provider_id=provider_id)
    key = os.environ.get("HOMEBED_INTERNAL_TOKEN_KEY", DEV_INTERNAL_TOKEN_KEY)
    async with (
        httpx.AsyncClient(base_url=args.url, timeout=10) as client,
        httpx.AsyncClient(base_url=args.telemetry_url or args.url, timeout=10) as telemetry,
    ):
        admin = {"X-HomeBed-Principal": mint_internal_token(admin_principal, key, ttl_seconds=3600)}
        tokens = {bed: await register(client, admin, bed) for bed in bed_ids}
        sims = {bed: BedSimulator(bed, random.Random(hash(bed))) for bed in bed_ids}
        print(f"simulating {len(bed_ids)} beds for provider {provider_id}", flush=True)
        stop_at = asyncio.get_running_loop().time() + args.seconds
        sent = events = 0
        while asyncio.get_running_loop().time() < stop_at:
            now = datetime.now(UTC)
            posts = []
            for bed, sim in sims.items():
                bed_tokens = tokens[bed]
                for device, readings in (
                    ("vital_signs_monitor", sim.vitals(now, 4, timedelta(milliseconds=250))),
                    ("smart_mattress", sim.mattress(now)),
                    ("pir_motion", sim.motion(now)),
                ):
                    posts.append(
                        telemetry.post(
                            "/v1/telemetry",
                            json={"readings": readings},
                            headers={"Authorization": f"Bearer {bed_tokens[device]}"},
                        )
                    )
                    sent += len(readings)
                kind = sim.maybe_event(args.event_rate)
                if kind is not None:
                    device = "fall_detector" if kind == "fall_detected" else "emergency_button"
                    posts.append(
                        client.post(
                            "/v1/device-events",
                            json={
                                "seq": sim._next_seq(device),
                                "ts": now.isoformat(),
                                "kind": kind,
                            },
                            headers={"Authorization": f"Bearer {bed_tokens[device]}"},
                        )
                    )
                    events += 1
            await asyncio.gather(*posts)
            await asyncio.sleep(max(0.0, 1.0 - (datetime.now(UTC) - now).total_seconds()))
        print(f"sent {sent} readings and {events} alarm events", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8003")
    parser.add_argument(
        "--telemetry-url",
        default=None,
        help="where readings go: the telemetry lane's process (default: --url)",
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--beds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--provider", default="sim-provider")
    parser.add_argument(
        "--event-rate",
        type=float,
        default=0.0005,
        help="chance per bed per second of a fall (and the same of an SOS)",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
