"""The 18-digit resident ID number (GB 11643-1999): check digit, birth date, region, sex.

python-stdnum's `cn.ric.is_valid` also demands that the region code existed in the birth year;
that rejects most elders (330102 dates from 1983, 341802 from 2000, yet people born in 1946 hold
such numbers because codes were reassigned with their registration). We use stdnum's parts (the
ISO 7064 MOD 11-2 check and the region table) but accept any code the table has ever known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache

from stdnum import numdb
from stdnum.iso7064 import mod_11_2

from intake.domain.dates import age_on
from intake.domain.errors import InvalidResidentId

ID_LENGTH = 18


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class ResidentId:
    """A validated number with what it encodes; `repr` never shows the number itself."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:
        return f"ResidentId(region_code={self.region_code!r}, sex={self.sex.value!r}, ...)"

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)


def normalize(raw: str) -> str:
    """Strip spaces and separators, upper-case the check character `x`."""
    return "".join(ch for ch in raw if ch.isalnum()).upper()


def parse_resident_id(raw: str, *, today: date) -> ResidentId:
    """Validate and decode; `InvalidResidentId` names the failed check, never the number."""
    number = normalize(raw)
    if len(number) != ID_LENGTH:
        raise InvalidResidentId(f"must have {ID_LENGTH} characters")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidResidentId("17 digits followed by a digit or X expected")
    if not mod_11_2.is_valid(number):
        raise InvalidResidentId("check digit does not match (ISO 7064 MOD 11-2)")
    birth = _birth_date(number)
    if birth > today:
        raise InvalidResidentId("birth date lies in the future")
    region = number[:6]
    if not is_known_region(region):
        raise InvalidResidentId("unknown region code")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, region_code=region, birth_date=birth, sex=sex)


def _birth_date(number: str) -> date:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId("birth date is not a real date") from None


@cache
def is_known_region(code: str) -> bool:
    """True when GB/T 2260 has ever assigned the county-level code, whatever the years."""
    if len(code) != 6 or not code.isdigit():
        return False
    parts = numdb.get("cn/loc").info(code)
    found = {key for _prefix, props in parts for key in props}
    return "county" in found
