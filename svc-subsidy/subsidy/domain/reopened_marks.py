"""Which re-opened marks a settlement run accounts for — the marks its approval closes.

A late fact marks each month of the bed the provider already has a settlement of (`reopened_
periods`: one open mark per bed and month; a new fact on an open mark bumps its revision). A run
reads the open marks of its months **before** any fact (and on PostgreSQL locks them: a fact on
one of them waits for the run's commit), then decides which of them it accounted for; it
records those at the revision it read, and its approval closes exactly those (migration 0010).
A mark the run did not read — a fact committed after its read, whatever its timestamp — or read
at an older revision stays open: a later run recomputes the month and adjusts it. Leaving a mark
open costs a recomputation that finds nothing to adjust; closing one too early loses a fact.

A run of month P for a provider accounts for a mark of:
- P itself: the month's own lines are computed from facts read after the mark;
- an earlier month approved (or paid) when the run read it: the run recomputed the bed's month
  against what was approved — unless an adjustment of that bed and month is held by another
  settlement not yet approved (that one carries it, on facts that may be older) or this run lost
  the claim of one of its adjustments to a concurrent run; a bed that is no longer the
  provider's has nothing this provider's runs could recompute: accounted, as before;
- an earlier month still open (a draft, or submitted and waiting for its checker): not — it is
  adjusted once approved.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from subsidy.domain.bed_adjustments import SETTLED


class Mark(NamedTuple):
    """An open re-opened mark as a run read it."""

    id: int
    revision: int
    provider_id: str
    bed_id: str
    period: str


MarkRead = tuple[int, int]  # (mark id, the revision the run read)
BedMonth = tuple[str, str, str]  # (provider, bed, month)


def accounted_marks(
    marks: Sequence[Mark],
    period: str,
    statuses: Mapping[str, Mapping[str, str]],
    blocked: Collection[BedMonth],
) -> dict[str, list[MarkRead]]:
    """Per provider, the marks this run of `period` accounts for, at the revision it read.
    `statuses`: per provider, each month's settlement status as the run read it; `blocked`: the
    (provider, bed, month) whose adjustments another open settlement holds or this run lost."""
    found: dict[str, list[MarkRead]] = {}
    for mark in marks:
        if mark.period > period:
            continue
        if mark.period < period:
            if statuses.get(mark.provider_id, {}).get(mark.period) not in SETTLED:
                continue
            if (mark.provider_id, mark.bed_id, mark.period) in blocked:
                continue
        found.setdefault(mark.provider_id, []).append((mark.id, mark.revision))
    return found
