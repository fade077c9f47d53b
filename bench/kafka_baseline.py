"""Raw aiokafka producer throughput to the local broker: the baseline later benchmarks compare to.

200-byte messages, acks=all, idempotent, counted on broker acknowledgement.
Last line: `kafka_baseline_per_s=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from aiokafka import AIOKafkaProducer

from chassis.kafka.topics import ensure_topics


async def produce(bootstrap: str, topic: str, count: int, size: int, keys: int) -> float:
    """Messages per second acknowledged by the broker."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    payload = os.urandom(size // 2).hex().encode()[:size]
    try:
        await producer.send_and_wait(topic, payload, key=b"warmup")
        started = time.perf_counter()
        pending = []
        for i in range(count):
            pending.append(await producer.send(topic, payload, key=str(i % keys).encode()))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
                print(f"  {i + 1}/{count} acknowledged", file=sys.stderr, flush=True)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return count / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--keys", type=int, default=1000)
    args = parser.parse_args()
    topic = f"bench.baseline.{os.getpid()}"
    await ensure_topics(args.bootstrap, {topic: 12})
    rate = await produce(args.bootstrap, topic, args.messages, args.size, args.keys)
    print(f"kafka_baseline_per_s={rate:.0f}")


if __name__ == "__main__":
    asyncio.run(main())
