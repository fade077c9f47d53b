"""Test hook for the crash tests: a consumer that kills its own process at a chosen point.

`HOMEBED_TEST_CRASH_AFTER_APPLIED=N` makes `ConsumerRunner` and `BatchConsumer` SIGKILL their
process right after the database commit that brings the number of messages they applied to N or
more, before the offset is committed (to Kafka, or to the next batch's transaction). A real
process kill at the one moment that matters, deterministically, instead of a cancelled task.
Ignored when `HOMEBED_ENV=prod`.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "HOMEBED_TEST_CRASH_AFTER_APPLIED"


class CrashAfter:
    def __init__(self, applied: int) -> None:
        self.limit = applied
        self.applied = 0

    def tick(self, applied: int = 1) -> None:
        """`applied` more messages are committed in the database; die when the limit is hit."""
        self.applied += applied
        if self.applied >= self.limit:
            os.kill(os.getpid(), signal.SIGKILL)


def crash_after_applied() -> CrashAfter | None:
    value = os.environ.get(CRASH_ENV, "").strip()
    if not value or os.environ.get("HOMEBED_ENV", "").lower() == "prod":
        return None
    return CrashAfter(int(value))
