"""GB 11643 resident ID check (ISO 7064 MOD 11-2): legacy data failing it is flagged, not dropped."""

from __future__ import annotations

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
CHECKSUM_PROBLEM = "id_number_checksum"


def valid_resident_id(number: str) -> bool:
    """True for an 18-character ID whose last character is its MOD 11-2 check character."""
    text = number.strip().upper()
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], WEIGHTS, strict=True))
    return CHECK[total % 11] == text[17]
