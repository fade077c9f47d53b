"""Which telemetry partition a bed's readings land in, as the producer's partitioner picks it.

iot.telemetry.v1 is keyed by bed_id, so a rule-engine instance owns exactly the beds whose key
hashes to one of its assigned partitions; time-based rules (inactivity, night bed-exit) must only
tick those beds, or two instances would both write the same bed's state.
"""

from __future__ import annotations

from aiokafka.partitioner import murmur2


def partition_of(bed_id: str, partitions: int) -> int:
    """Kafka's default partitioner (murmur2, as the Java client and aiokafka compute it)."""
    hashed: int = murmur2(bed_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions


class PartitionOwnership:
    """The partitions this instance holds: none until the first assignment, unless `owns_all`
    (a single engine fed by hand, as in tests)."""

    def __init__(self, *, owns_all: bool = False) -> None:
        self._owns_all = owns_all
        self._owned: frozenset[int] = frozenset()
        self._count = 0

    def assign(self, partitions: set[int], partition_count: int) -> None:
        self._owns_all = False
        self._owned = frozenset(partitions)
        self._count = partition_count

    @property
    def partitions(self) -> frozenset[int]:
        """The partitions assigned (empty when `owns_all`: fed by hand)."""
        return self._owned

    @property
    def owns_any(self) -> bool:
        return self._owns_all or bool(self._owned)

    def owns(self, bed_id: str) -> bool:
        if self._owns_all:
            return True
        return self._count > 0 and partition_of(bed_id, self._count) in self._owned
