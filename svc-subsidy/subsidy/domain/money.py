"""Money is integer fen; a percentage or a pro-rating that yields a fraction rounds half up
(shared/domain.md: "rounding half up where a percentage gives a fraction of a fen")."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

FEN_PER_YUAN = 100


def round_half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (amounts here are never negative)."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return sign * whole


def percent_of(amount_fen: int, percent: Fraction | int) -> int:
    """`percent` % of an amount in fen, half up: 10 % of 55555 fen is 5556 fen."""
    return round_half_up(Fraction(amount_fen) * Fraction(percent) / 100)


def prorate(amount_fen: int, part: int, whole: int) -> int:
    """`amount × part / whole` in fen, half up (a month's amount for its active days)."""
    if whole <= 0:
        raise ValueError("cannot pro-rate over an empty whole")
    return round_half_up(Fraction(amount_fen * part, whole))


@lru_cache(maxsize=1 << 16)  # a county month formats ~10⁵ amounts, most of them again and again
def yuan(amount_fen: int) -> str:
    """`12345` → `"123.45"`: the two-decimal yuan of payment files and explanations."""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{fen:02d}"
