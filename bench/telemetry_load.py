"""The telemetry flood of bench/alarm_bench.py, in a process of its own.

Devices post batches of 100 readings at a fixed rate each, over one keep-alive connection per
device, until stopped (SIGTERM) or `--seconds` passed. A process of its own so that the
benchmark's clock (the falls it posts, the alarms it consumes) never waits behind this load,
and so that its CPU is counted apart. Prints one JSON line a second on stdout:
`{"at": <epoch s>, "readings": <accepted so far>, "requests": <n>, "failures": <n>}`.

`python bench/telemetry_load.py --url http://127.0.0.1:8013 --tokens-file tokens.json
--readings-per-s 20000 [--seconds 300]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))

from ingest_bench import BATCH, LoadResult, telemetry_device  # bench/ is on the path (above)


async def report(result: LoadResult, stop: asyncio.Event) -> None:
    while not stop.is_set():
        line = {
            "at": time.time(),
            "readings": result.readings,
            "requests": result.requests,
            "failures": result.failures,
        }
        sys.stdout.write(orjson.dumps(line).decode() + "\n")
        sys.stdout.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens-file", required=True, type=Path)
    parser.add_argument("--readings-per-s", type=float, default=20_000)
    parser.add_argument("--seconds", type=float, default=3600)
    args = parser.parse_args()
    tokens: list[str] = orjson.loads(args.tokens_file.read_bytes())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    result = LoadResult()
    batches_per_device = args.readings_per_s / BATCH / len(tokens)
    stop_at = time.monotonic() + args.seconds
    devices = [
        asyncio.create_task(telemetry_device(args.url, token, stop_at, result, batches_per_device))
        for token in tokens
    ]
    reporter = asyncio.create_task(report(result, stop))
    finished = asyncio.gather(*devices, return_exceptions=True)
    await asyncio.wait(
        [finished, asyncio.ensure_future(stop.wait())], return_when="FIRST_COMPLETED"
    )
    for device in devices:
        device.cancel()
    await asyncio.gather(*devices, return_exceptions=True)
    stop.set()
    await reporter


if __name__ == "__main__":
    asyncio.run(main())
