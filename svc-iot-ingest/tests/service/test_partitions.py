"""The rule engine's idea of a bed's partition must be the producer's."""

from aiokafka.partitioner import DefaultPartitioner

from iot_ingest.streams.partitions import PartitionOwnership, partition_of


def test_partition_of_matches_the_producers_partitioner() -> None:
    partitions = list(range(12))
    for bed_id in ("bed-1", "bed-2", "b-北京-07", "0f3c9a"):
        assert partition_of(bed_id, 12) == DefaultPartitioner()(bed_id.encode(), partitions, [])


def test_ownership_follows_the_assignment() -> None:
    ownership = PartitionOwnership()
    assert not ownership.owns_any
    assert not ownership.owns("bed-1")
    mine = partition_of("bed-1", 12)
    ownership.assign({mine}, 12)
    assert ownership.owns("bed-1")
    other = next(b for b in (f"bed-{i}" for i in range(100)) if partition_of(b, 12) != mine)
    assert not ownership.owns(other)
    assert PartitionOwnership(owns_all=True).owns(other)
