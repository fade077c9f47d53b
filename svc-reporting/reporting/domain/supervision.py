"""Supervision rates (DHIS2 style): completeness = received / expected, timeliness = on time /
expected; alarm compliance = arrived within 15 minutes / alarms (001 §四(三)2)."""

from __future__ import annotations


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
