"""An application's `in_pilot_area` (002 §二: Changning's pilot streets 江苏路 / 天山路): the
current address's street code settles it where the profile lists pilot streets by code; the
applicant's declaration is kept in the form and stands only where no code says."""

from __future__ import annotations

from typing import Literal

from intake.domain.errors import PilotAreaContradiction
from intake.domain.pilot_area import pilot_area_fact, street_code_of
from intake.policies.loader import load_profile
from intake.tables import ApplicationRow

DECLARED = "in_pilot_area_declared"  # form key: the applicant's yes/no as declared


def settle_pilot_area(row: ApplicationRow, *, declared: bool | None, sent_now: bool) -> None:
    """Set `row.in_pilot_area` for `row.region_code`. A declaration sent with this request that
    the street code contradicts is a 422 (`body.in_pilot_area`); a stored one that a new address
    contradicts is dropped: the code decides."""
    streets = load_profile(row.jurisdiction).pilot_streets
    try:
        fact = pilot_area_fact(streets, region_code=row.region_code, declared=declared)
    except PilotAreaContradiction:
        if sent_now:
            raise
        declared = None
        fact = pilot_area_fact(streets, region_code=row.region_code, declared=None)
    row.in_pilot_area = fact.value
    row.form = {**row.form, DECLARED: declared}


def stored_declaration(row: ApplicationRow) -> bool | None:
    """The declaration on file (older applications kept it in `in_pilot_area` only)."""
    declared = row.form.get(DECLARED, row.in_pilot_area)
    return declared if isinstance(declared, bool) else None


def pilot_area_source(row: ApplicationRow) -> Literal["street_code", "declared"] | None:
    streets = load_profile(row.jurisdiction).pilot_streets
    if streets is not None and street_code_of(row.region_code) is not None:
        return "street_code"
    return "declared" if row.in_pilot_area is not None else None
