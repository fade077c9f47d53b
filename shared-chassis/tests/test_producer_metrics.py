"""A service's produce counters exist from its start, for every topic the registry says it owns
(the backbone dashboard's "Published" and "Relay errors" panels need no `or vector(0)`)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from chassis.db import chassis_tables
from chassis.observability.metrics import EXPRESS_OUTCOMES
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings
from homebed_schemas.topics import TOPICS


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_the_owned_topics_and_express_outcomes_start_at_zero(tmp_path: Path) -> None:
    service = "svc-referral"
    settings = ServiceSettings(
        service_name=service,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/runtime.db",
        kafka_enabled=False,
    )
    runtime = ServiceRuntime(
        settings=settings, tables=chassis_tables(MetaData()), migrations=None, topic_handlers={}
    )
    await runtime.start()
    try:
        owned = [t.name for t in TOPICS if t.producer == service]
        assert owned == ["referral.referrals.v1"]
        for topic in owned:
            for name in ("homebed_kafka_produced_total", "homebed_kafka_produce_errors_total"):
                assert sample(name, service=service, topic=topic) is not None, name
        others = [t.name for t in TOPICS if t.producer != service]
        assert sample("homebed_kafka_produced_total", service=service, topic=others[0]) is None
        for outcome in EXPRESS_OUTCOMES:
            assert (
                sample("homebed_outbox_express_total", service=service, outcome=outcome) is not None
            )
    finally:
        await runtime.stop()
