"""Does the elder live in a pilot street? Changning pilots in 江苏路街道 and 天山路街道 (002 §二:
"主动申请并实际居住在试点街道"). Where the current address carries a street code (the 3 digits
after the county code), the code settles it; the applicant's yes/no is only the fallback for an
address without one, and a declaration the code contradicts is refused (422)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from intake.domain.errors import PilotAreaContradiction
from intake.domain.profile_sections import PilotStreets

STREET_CODE_LENGTH = 9  # GB/T 2260 county (6) + street (3)

Source = Literal["street_code", "declared"]


@dataclass(frozen=True)
class PilotAreaFact:
    value: bool | None
    source: Source | None  # None: nothing known
    street_code: str | None = None


def street_code_of(region_code: str) -> str | None:
    return region_code[:STREET_CODE_LENGTH] if len(region_code) >= STREET_CODE_LENGTH else None


def pilot_area_fact(
    streets: PilotStreets | None, *, region_code: str, declared: bool | None
) -> PilotAreaFact:
    """`in_pilot_area` from the street code where the profile lists pilot streets and the
    address has one; otherwise the declaration. `PilotAreaContradiction` if the two disagree."""
    street = street_code_of(region_code)
    if streets is None or street is None:
        return PilotAreaFact(declared, "declared" if declared is not None else None)
    in_pilot = street in streets.codes
    if declared is not None and declared != in_pilot:
        raise PilotAreaContradiction(
            street_code=street, in_pilot=in_pilot, pilot_streets=streets.described()
        )
    return PilotAreaFact(in_pilot, "street_code", street)
