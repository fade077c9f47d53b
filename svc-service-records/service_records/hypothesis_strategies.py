"""Hypothesis strategies for beds and visits around one month (a leap February)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import strategies as st

from chassis.clock import SHANGHAI
from service_records.domain.minimums import BedFacts, Suspension, VisitFact

YEAR, MONTH = 2024, 2  # a leap February: 29 days
WINDOW_START = date(2024, 1, 1)

roles = st.sampled_from(["caregiver", "nurse", "doctor", "rehab_therapist", "social_worker"])
modes = st.sampled_from(["on_site", "on_site", "on_site", "video", "phone"])


@st.composite
def visits(draw: st.DrawFn) -> VisitFact:
    start = draw(
        st.datetimes(
            min_value=datetime(2024, 1, 1),
            max_value=datetime(2024, 3, 2),
            timezones=st.just(SHANGHAI),
        )
    )
    return VisitFact(
        start=start,
        end=start + timedelta(seconds=draw(st.integers(0, 30_000))),
        worker_role=draw(roles),
        mode=draw(modes),
        caregiver_present=draw(st.sampled_from([True, False, None])),
        verified=draw(st.booleans()),
    )


@st.composite
def beds(draw: st.DrawFn) -> BedFacts:
    established = WINDOW_START + timedelta(days=draw(st.integers(0, 50)))
    suspensions = []
    for _ in range(draw(st.integers(0, 2))):
        start = established + timedelta(days=draw(st.integers(0, 40)))
        suspensions.append(Suspension(start, start + timedelta(days=draw(st.integers(0, 9)))))
    ended = None
    if draw(st.booleans()):
        ended = established + timedelta(days=draw(st.integers(0, 60)))
    return BedFacts(established, tuple(suspensions), ended)
