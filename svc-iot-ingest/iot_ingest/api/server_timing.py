"""`Server-Timing` of the alarm lane's answer (setting `server_timing`, off by default).

Where a device event's time went inside the handler: `parse` (token, body, decoding), `db` (the
use case's transaction, begin to commit), of which `commit` (the COMMIT round trip) and
`handoff` (the alarm event given to the Kafka producer right after it, chassis express), and
`committed` (when the commit returned, epoch seconds in `desc`) so that a benchmark can line the
commit up with the event's Kafka timestamp.
"""

from __future__ import annotations

from chassis.db import CommitTiming


def alarm_lane_timing(*, parse: float, db: float, commit: CommitTiming | None) -> str:
    metrics = [f"parse;dur={parse * 1000:.3f}", f"db;dur={db * 1000:.3f}"]
    if commit is not None:
        metrics += [
            f"commit;dur={commit.commit_seconds * 1000:.3f}",
            f"handoff;dur={commit.handoff_seconds * 1000:.3f}",
            f'committed;desc="{commit.committed_at:.6f}"',
            f'express;desc="{commit.express_events}"',
        ]
    return ", ".join(metrics)
