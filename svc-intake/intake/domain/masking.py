"""What other services may show of an elder: the name and the home address, masked.

A caregiver answering an alarm needs to recognise the elder and the home among their provider's
beds (issue 10 item 15) without the platform spreading the plain values: intake publishes these
masked forms on `intake.beds.v1` and iot-ingest shows them on alarms. The plain values never
leave intake.
"""

from __future__ import annotations

MASK = "*"


def mask_name(name: str) -> str:
    """The surname stays, the given name is masked: `张桂英` -> `张**`, `王五` -> `王*`; a name of
    one character is masked whole. Spaces of a Latin name are kept (`Li Na` -> `L* **`)."""
    name = name.strip()
    if len(name) <= 1:
        return MASK * len(name)
    return name[0] + "".join(ch if ch.isspace() else MASK for ch in name[1:])


def mask_address(detail: str) -> str:
    """The road and community stay, every number and letter of the door is masked:
    `梅园路 5 号 302 室` -> `梅园路 * 号 *** 室` (digits, full-width digits, Chinese numerals and
    letters such as a building's `A座`). An address with nothing to mask keeps only its first
    half, so the plain value is never shown."""
    detail = detail.strip()
    masked = "".join(MASK if _is_door_mark(ch) else ch for ch in detail)
    if masked != detail or not detail:
        return masked
    keep = len(detail) // 2
    return detail[:keep] + MASK * (len(detail) - keep)


def _is_door_mark(ch: str) -> bool:
    return ch.isnumeric() or ("A" <= ch.upper() <= "Z") or ch in "两"
