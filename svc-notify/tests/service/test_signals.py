"""The inbox notice's payload (notify/signals.py): every announced row comes back, by owner,
whatever the number of rows, each notice under PostgreSQL's 8000-byte limit."""

from __future__ import annotations

from notify.signals import parse, payloads


def test_announced_rows_round_trip_in_notices_under_the_limit() -> None:
    rows = [("cg-1", 10**18 + i) for i in range(1200)] + [("centre:p1", 7), ("cg-2", 8)]
    notices = payloads("instance-a", rows)
    assert len(notices) > 1
    assert all(len(notice.encode()) < 8000 for notice in notices)
    found: dict[str, list[int]] = {}
    for notice in notices:
        writer, announced = parse(notice)
        assert writer == "instance-a"
        for owner, ids in announced.items():
            found.setdefault(owner, []).extend(ids)
    assert found == {
        "cg-1": [10**18 + i for i in range(1200)],
        "centre:p1": [7],
        "cg-2": [8],
    }
    assert payloads("instance-a", []) == []
