"""GB/T 2260 region containment: 330000 holds 330100 holds 330102 holds 330102001 (street)."""

from __future__ import annotations


def region_prefix(code: str) -> str:
    """The prefix every code inside `code` starts with."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def region_within(region_code: str, container: str) -> bool:
    return region_code.startswith(region_prefix(container))
