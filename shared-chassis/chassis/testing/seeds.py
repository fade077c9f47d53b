"""The policy seeds (../shared/seeds beside the project), for tests that check quotes."""

from __future__ import annotations

import functools
import re
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"


@functools.cache
def seed_text(seed: str) -> str:
    """Seed `001`'s text with all whitespace removed (quotes may wrap differently)."""
    (path,) = SEEDS_DIR.glob(f"{seed}_*.txt")
    return re.sub(r"\s+", "", path.read_text("utf-8"))


def quoted_in_seed(seed: str, quote: str) -> bool:
    """True when `quote` stands verbatim (whitespace aside) in seed `seed`."""
    return re.sub(r"\s+", "", quote) in seed_text(seed)
