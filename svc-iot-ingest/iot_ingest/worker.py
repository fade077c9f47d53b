"""`python -m iot_ingest.worker`: the telemetry consumers (rule engine, storage) and the periodic
loops (escalation, liveness) in a process of their own, no HTTP.

Python runs one thread of bytecode per process: a rule engine chewing a backlog in the API
process would delay the alarm lane's requests. Run the API with
HOMEBED_IOT_INGEST_RULES_ENABLED=false, ..._STORAGE_ENABLED=false, ..._LOOPS_ENABLED=false and
this worker beside it (same settings otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from iot_ingest.bootstrap import create_app
from iot_ingest.settings import Settings


async def run_worker(settings: Settings | None = None) -> None:
    app = create_app(settings or Settings(), http=False)
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
