"""Supervision rates (DHIS2 style): completeness = received / expected, timeliness = on time /
expected; alarm compliance = arrived within 15 minutes / alarms (001 §四(三)2)."""

from __future__ import annotations


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def within_region(code: str, region: str) -> bool:
    """GB/T 2260: `code` lies in `region` (province xx0000, city xxxx00, a county itself; a
    12-digit town code xxxxxxxxx000 or village code). Zeros are not stripped blindly: 330110
    (余杭区) does not contain 330111 (富阳区). Other lengths are plain prefixes."""
    return code.startswith(_prefix(region))


def _prefix(region: str) -> str:
    if len(region) == 12:
        if region[6:] != "000000":
            return region[:9] if region.endswith("000") else region
        region = region[:6]
    if len(region) != 6:
        return region
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region
