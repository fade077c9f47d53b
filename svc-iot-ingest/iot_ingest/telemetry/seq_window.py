"""Duplicate detection by (device, seq) without a database round trip per reading.

Devices number readings with an increasing `seq` and retry a failed batch with the same numbers.
Per device we keep the highest seq seen and the set of seqs within a window below it; anything
older than the window counts as a replay. The high-water marks are persisted periodically, so a
restarted instance still recognises old replays; downstream consumers dedupe on (device, seq) too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_WINDOW = 4096


@dataclass
class _DeviceSeqs:
    high: int = -1
    recent: set[int] = field(default_factory=set)
    known_from: int = 0  # `recent` is complete from here on; below is a replay


class SeqWindows:
    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self._window = window
        self._devices: dict[str, _DeviceSeqs] = {}
        self._dirty: set[str] = set()

    def seed(self, device_id: str, high: int) -> None:
        """Start from a persisted high-water mark (after a restart)."""
        seqs = self._devices.setdefault(device_id, _DeviceSeqs())
        if high > seqs.high:
            seqs.high = high
            seqs.known_from = max(seqs.known_from, high + 1)

    def forget(self, device_id: str) -> None:
        """A rotated or removed device starts numbering afresh."""
        self._devices.pop(device_id, None)
        self._dirty.discard(device_id)

    def fresh(self, device_id: str, seqs: Iterable[int]) -> list[bool]:
        """For each seq: True when new (and now remembered), False when a duplicate."""
        state = self._devices.get(device_id)
        if state is None:
            state = self._devices[device_id] = _DeviceSeqs()
        recent, window = state.recent, self._window
        result: list[bool] = []
        high = state.high
        for seq in seqs:
            if seq < state.known_from or seq <= high - window or seq in recent:
                result.append(False)
                continue
            recent.add(seq)
            if seq > high:
                high = seq
            result.append(True)
        if high != state.high:
            state.high = high
            self._dirty.add(device_id)
        if len(recent) > 2 * window:
            floor = high - window
            state.recent = {s for s in recent if s > floor}
        return result

    def release(self, device_id: str, seqs: Iterable[int], previous_high: int) -> None:
        """Forget seqs whose publish failed, so the device's retry is accepted."""
        state = self._devices.get(device_id)
        if state is None:
            return
        state.recent.difference_update(seqs)
        state.high = max(previous_high, max(state.recent, default=-1))

    def take_dirty(self) -> dict[str, int]:
        """High-water marks changed since the last call (to persist)."""
        marks = {d: self._devices[d].high for d in self._dirty if d in self._devices}
        self._dirty.clear()
        return marks

    def high(self, device_id: str) -> int:
        state = self._devices.get(device_id)
        return -1 if state is None else state.high
