"""`python -m iot_ingest.worker`: the telemetry consumers (rule engine, storage) in a process of
their own, no HTTP.

Python runs one thread of bytecode per process: a rule engine chewing a backlog in the API
process would delay the alarm lane's requests. Run the API with
HOMEBED_IOT_INGEST_RULES_ENABLED=false and ..._STORAGE_ENABLED=false, and this worker beside it
with ..._LOOPS_ENABLED=false (same settings otherwise): the escalation and liveness loops belong
with the alarm lane, whose relay and rows they share (see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from iot_ingest.bootstrap import create_app
from iot_ingest.settings import Settings

# One outbox relay runs at a time per database (a transaction-scoped advisory lock keeps per-key
# order), and every poll takes that lock. In a busy, lower-priority worker a poll can hold it for
# hundreds of milliseconds (descheduled, or in a GC pause), and meanwhile the API's relay cannot
# publish the device alarms it was just woken for: with a 0.2 s poll here, make bench-alarm
# showed a commit-to-send p99 of 1.2 s. The worker's own events (rule alarms, escalations) wake
# its relay at once through the in-process signal, and the API's relay publishes everyone's rows
# on its own 0.2 s poll, so this poll is only a fallback.
# HOMEBED_IOT_INGEST_OUTBOX_POLL_SECONDS overrides it.
WORKER_OUTBOX_POLL_SECONDS = 30.0


def worker_settings(settings: Settings | None = None) -> Settings:
    settings = settings or Settings()
    if "outbox_poll_seconds" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"outbox_poll_seconds": WORKER_OUTBOX_POLL_SECONDS})


async def run_worker(settings: Settings | None = None) -> None:
    app = create_app(worker_settings(settings), http=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()


def main() -> None:
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
