"""Create the registry's topics (and their dead-letter topics) with the registry's partitions.

`python -m chassis.kafka.topics --bootstrap 127.0.0.1:9092` is what `make run` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from homebed_schemas.topics import TOPICS, TopicSpec

logger = logging.getLogger(__name__)


def topic_names_with_partitions(specs: Iterable[TopicSpec]) -> dict[str, int]:
    names: dict[str, int] = {}
    for spec in specs:
        names[spec.name] = spec.partitions
        names[spec.dlq] = spec.partitions  # same keys, same partitioning: order kept
    return names


async def ensure_topics(bootstrap: str, topics: dict[str, int], *, timeout_s: float = 30) -> None:
    """Create missing topics; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if missing:
            # created concurrently by another process: the goal is met all the same
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            logger.info("created topics", extra={"topics": [t.name for t in missing]})
    finally:
        await admin.close()


async def ensure_registry_topics(bootstrap: str) -> None:
    await ensure_topics(bootstrap, topic_names_with_partitions(TOPICS))


def main() -> None:
    parser = argparse.ArgumentParser(description="Create HomeBed's Kafka topics.")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    args = parser.parse_args()
    asyncio.run(ensure_registry_topics(args.bootstrap))
    for name, partitions in sorted(topic_names_with_partitions(TOPICS).items()):
        print(f"{name}\t{partitions} partition(s)")


if __name__ == "__main__":
    main()
