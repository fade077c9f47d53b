"""scripts/test.sh collects the `exclusive` step from the files that contain `mark.exclusive`;
the collection guard fails a run where a test is marked some way the grep would miss."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from chassis.testing.fixtures import pytest_collection_modifyitems_exclusive_by_text as guard


@dataclass
class FakeItem:
    path: Path
    nodeid: str
    exclusive: bool

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "exclusive" and self.exclusive else None


def test_a_test_marked_in_a_file_with_the_text_passes(tmp_path: Path) -> None:
    source = tmp_path / "test_a.py"
    source.write_text("@pytest.mark.exclusive\ndef test_a(): ...\n")
    guard([FakeItem(source, "test_a.py::test_a", exclusive=True)])  # type: ignore[list-item]


def test_a_test_marked_without_the_text_fails_the_collection(tmp_path: Path) -> None:
    plain = tmp_path / "test_b.py"
    plain.write_text('@getattr(pytest.mark, "exclu" + "sive")\ndef test_b(): ...\n')
    items = [
        FakeItem(plain, "test_b.py::test_other", exclusive=False),
        FakeItem(plain, "test_b.py::test_b", exclusive=True),
    ]
    with pytest.raises(pytest.UsageError, match=r"test_b.py::test_b is marked exclusive"):
        guard(items)  # type: ignore[arg-type]
