"""Property (hypothesis): whatever sequence of verified, corrected and voided visits, late and
repeated deliveries, visits moved to another day, month or bed, the month totals kept on write
(migration 0005: PostgreSQL triggers; SQLite: the repository) equal the aggregate of the visits'
latest versions — what a settlement reads instead of aggregating the visits (004 §二(四)3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from subsidy.repositories.facts import TOTALS, VISITS
from subsidy.testing import feed, visit_event

visit_writes = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # which visit
        st.integers(min_value=1, max_value=4),  # its version (lower ones arrive late)
        st.sampled_from(["visit.verified", "visit.corrected", "visit.voided"]),
        st.sampled_from(["on_site", "video"]),
        st.integers(min_value=0, max_value=45),  # day from 2022-07-01: July or August
        st.one_of(st.none(), st.integers(min_value=1, max_value=90000)),  # its value
        st.sampled_from(["bed-1", "bed-2"]),
    ),
    min_size=1,
    max_size=12,
)
EXAMPLE = [0]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(writes=visit_writes)
async def test_month_totals_equal_the_visits_aggregate(
    app: FastAPI, writes: list[tuple[int, int, str, str, int, int | None, str]]
) -> None:
    EXAMPLE[0] += 1  # each example its own visits (the database outlives an example)
    for n, version, type_, mode, day, value, bed in writes:
        envelope = visit_event(
            visit_id=f"v{EXAMPLE[0]}-{n}",
            bed_id=bed,
            service_date=date(2022, 7, 1) + timedelta(days=day),
            value_fen=value,
            type_=type_,
            version=version,
            mode=mode,
            seconds=600 * (n + 1),
        )
        await feed(app, envelope, "records.visits.v1")
    uow = app.state.runtime.uow()
    async with uow:
        visits = (await uow.session.execute(select(VISITS))).all()
        kept = (await uow.session.execute(select(TOTALS))).all()
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for visit in visits:
        if visit.counted:
            totals = expected[(visit.bed_id, visit.service_date.strftime("%Y-%m"))]
            totals[0] += 1
            totals[1] += visit.value_fen or 0
            totals[2] += visit.value_fen is None
            totals[3] += visit.service_seconds if visit.value_fen is None else 0
    found = {
        (row.bed_id, row.period): [row.visits, row.value_fen, row.unpriced, row.unpriced_seconds]
        for row in kept
        if any((row.visits, row.value_fen, row.unpriced, row.unpriced_seconds))
    }
    assert found == dict(expected)
