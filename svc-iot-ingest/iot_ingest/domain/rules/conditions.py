"""Conditions of a rule, as data (they come from defaults or the care plan and are persisted).

Leaves test one metric against a threshold: `now` (the latest reading), `for` (continuously for
N seconds) or `repeat` (N readings in a row). `all` / `any` compose them (AND / OR). A leaf
keeps a small state, so a tree is evaluated against its states, indexed in pre-order.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Union

import msgspec


class Op(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


class Threshold(msgspec.Struct, frozen=True):
    metric: str
    op: Op
    value: float

    def holds(self, reading: float) -> bool:
        op = self.op
        if op is Op.GT:
            return reading > self.value
        if op is Op.GE:
            return reading >= self.value
        if op is Op.LT:
            return reading < self.value
        if op is Op.LE:
            return reading <= self.value
        if op is Op.EQ:
            return reading == self.value
        return reading != self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op.value} {self.value:g}"


class Now(msgspec.Struct, frozen=True, tag="now"):
    when: Threshold


class Sustained(msgspec.Struct, frozen=True, tag="for"):
    """Holds once the threshold has held for `seconds` without a gap in readings."""

    when: Threshold
    seconds: float
    # a silence longer than this restarts the clock: we cannot vouch for the gap
    max_gap_seconds: float = 120.0


class Repeated(msgspec.Struct, frozen=True, tag="repeat"):
    when: Threshold
    times: int


class AllOf(msgspec.Struct, frozen=True, tag="all"):
    conditions: tuple[Condition, ...]


class AnyOf(msgspec.Struct, frozen=True, tag="any"):
    conditions: tuple[Condition, ...]


Leaf = Union[Now, Sustained, Repeated]  # noqa: UP007 - msgspec resolves these at runtime
Condition = Union[Now, Sustained, Repeated, AllOf, AnyOf]  # noqa: UP007


class LeafState(msgspec.Struct):
    holding: bool = False
    since: datetime | None = None
    streak: int = 0
    updated_at: datetime | None = None


def iter_leaves(condition: Condition) -> Iterator[Leaf]:
    """Leaves in pre-order: the position is the key of the leaf's state."""
    if isinstance(condition, AllOf | AnyOf):
        for child in condition.conditions:
            yield from iter_leaves(child)
    else:
        yield condition


def metrics_of(condition: Condition) -> frozenset[str]:
    return frozenset(leaf.when.metric for leaf in iter_leaves(condition))


IndexedLeaves = dict[str, tuple[tuple[int, Leaf], ...]]


def index_leaves(condition: Condition) -> IndexedLeaves:
    """Leaves (with their pre-order position) per metric, computed once per rule."""
    found: dict[str, list[tuple[int, Leaf]]] = {}
    for index, leaf in enumerate(iter_leaves(condition)):
        found.setdefault(leaf.when.metric, []).append((index, leaf))
    return {metric: tuple(leaves) for metric, leaves in found.items()}


def update_leaves(
    condition: Condition, states: dict[int, LeafState], metric: str, value: float, at: datetime
) -> None:
    """Feed one reading to every leaf that watches its metric."""
    update_indexed(index_leaves(condition).get(metric, ()), states, value, at)


def update_indexed(
    leaves: tuple[tuple[int, Leaf], ...], states: dict[int, LeafState], value: float, at: datetime
) -> None:
    for index, leaf in leaves:
        state = states.get(index)
        if state is None:
            state = states[index] = LeafState()
        if state.updated_at is not None and at < state.updated_at:
            continue  # out-of-order reading: the leaf already saw a later one
        _update_leaf(leaf, state, leaf.when.holds(value), at)


def _update_leaf(leaf: Leaf, state: LeafState, true_now: bool, at: datetime) -> None:
    previous_at = state.updated_at
    state.updated_at = at
    if isinstance(leaf, Now):
        state.holding = true_now
    elif isinstance(leaf, Repeated):
        state.streak = state.streak + 1 if true_now else 0
        state.holding = state.streak >= leaf.times
    else:
        if not true_now:
            state.since = None
        else:
            gap_too_long = previous_at is None or (
                at - previous_at > timedelta(seconds=leaf.max_gap_seconds)
            )
            if state.since is None or gap_too_long:
                state.since = at
        state.holding = state.since is not None and (
            at - state.since >= timedelta(seconds=leaf.seconds)
        )


# --- the compiled form, for the rule engine's hot loop (tens of thousands of readings a second):
# the same updates and evaluation as `update_indexed` and `holds` above, with what a leaf needs
# (its comparison, its durations) computed once per rule instead of once per reading.

_COMPARISONS: dict[Op, Callable[[float, float], bool]] = {
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
}


class LeafKind(IntEnum):
    NOW = 0
    REPEAT = 1
    FOR = 2


@dataclass(frozen=True, slots=True)
class CompiledLeaf:
    """A leaf at its pre-order `index`, ready to be fed readings."""

    index: int
    kind: LeafKind
    compare: Callable[[float, float], bool]  # compare(reading, threshold): `Threshold.holds`
    threshold: float
    times: int  # `repeat`
    seconds: timedelta  # `for`
    max_gap: timedelta  # `for`

    @classmethod
    def of(cls, index: int, leaf: Leaf) -> CompiledLeaf:
        times, seconds, max_gap = 0, timedelta(0), timedelta(0)
        if isinstance(leaf, Now):
            kind = LeafKind.NOW
        elif isinstance(leaf, Repeated):
            kind, times = LeafKind.REPEAT, leaf.times
        else:
            kind = LeafKind.FOR
            seconds = timedelta(seconds=leaf.seconds)
            max_gap = timedelta(seconds=leaf.max_gap_seconds)
        compare = _COMPARISONS[leaf.when.op]
        return cls(index, kind, compare, leaf.when.value, times, seconds, max_gap)


CompiledLeaves = dict[str, tuple[CompiledLeaf, ...]]
HoldsCheck = Callable[[dict[int, LeafState], datetime, timedelta], bool]


def compile_leaves(condition: Condition) -> CompiledLeaves:
    """`index_leaves`, compiled."""
    return {
        metric: tuple(CompiledLeaf.of(index, leaf) for index, leaf in leaves)
        for metric, leaves in index_leaves(condition).items()
    }


def update_compiled(
    leaves: tuple[CompiledLeaf, ...], states: dict[int, LeafState], value: float, at: datetime
) -> None:
    """`update_indexed` for compiled leaves (the same state changes)."""
    for leaf in leaves:
        state = states.get(leaf.index)
        if state is None:
            state = states[leaf.index] = LeafState()
        previous_at = state.updated_at
        if previous_at is not None and at < previous_at:
            continue  # out-of-order reading: the leaf already saw a later one
        true_now = leaf.compare(value, leaf.threshold)
        state.updated_at = at
        kind = leaf.kind
        if kind is LeafKind.NOW:
            state.holding = true_now
        elif kind is LeafKind.REPEAT:
            state.streak = state.streak + 1 if true_now else 0
            state.holding = state.streak >= leaf.times
        else:
            if not true_now:
                state.since = None
            elif state.since is None or previous_at is None or at - previous_at > leaf.max_gap:
                state.since = at
            since = state.since
            state.holding = since is not None and at - since >= leaf.seconds


def compile_holds(condition: Condition) -> HoldsCheck:
    """`holds(condition, ...)` as a function of the states (the tree walked once, here)."""
    check, _ = _compile_holds(condition, 0)
    return check


def _compile_holds(condition: Condition, index: int) -> tuple[HoldsCheck, int]:
    if isinstance(condition, AllOf | AnyOf):
        children: list[HoldsCheck] = []
        for child in condition.conditions:
            check, index = _compile_holds(child, index)
            children.append(check)
        checks = tuple(children)
        if isinstance(condition, AllOf):

            def all_hold(states: dict[int, LeafState], at: datetime, stale: timedelta) -> bool:
                return all(check(states, at, stale) for check in checks)

            return all_hold, index

        def any_holds(states: dict[int, LeafState], at: datetime, stale: timedelta) -> bool:
            return any(check(states, at, stale) for check in checks)

        return any_holds, index
    position = index

    def leaf_holds(states: dict[int, LeafState], at: datetime, stale: timedelta) -> bool:
        state = states.get(position)
        if state is None or not state.holding:
            return False
        updated_at = state.updated_at
        return updated_at is not None and at - updated_at <= stale

    return leaf_holds, index + 1


def holds(
    condition: Condition, states: dict[int, LeafState], at: datetime, stale_after: timedelta
) -> bool:
    """Evaluate the tree; a leaf whose last reading is older than `stale_after` does not hold."""
    result, _ = _holds(condition, states, 0, at, stale_after)
    return result


def _holds(
    condition: Condition,
    states: dict[int, LeafState],
    index: int,
    at: datetime,
    stale_after: timedelta,
) -> tuple[bool, int]:
    if isinstance(condition, AllOf | AnyOf):
        results = []
        for child in condition.conditions:
            child_holds, index = _holds(child, states, index, at, stale_after)
            results.append(child_holds)
        combined = all(results) if isinstance(condition, AllOf) else any(results)
        return combined, index
    state = states.get(index)
    fresh = (
        state is not None and state.updated_at is not None and at - state.updated_at <= stale_after
    )
    return bool(fresh and state is not None and state.holding), index + 1


def describe(condition: Condition) -> str:
    if isinstance(condition, AllOf | AnyOf):
        joiner = " AND " if isinstance(condition, AllOf) else " OR "
        return "(" + joiner.join(describe(c) for c in condition.conditions) + ")"
    if isinstance(condition, Sustained):
        return f"{condition.when} for {condition.seconds:g} s"
    if isinstance(condition, Repeated):
        return f"{condition.when} {condition.times} readings in a row"
    return str(condition.when)
