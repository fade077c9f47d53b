"""Who sees which referral, and as which party (item 9 of issue 13).

Provider staff see their own elders' referrals (the provider of the home bed) and those sent to
their organisation; partner organisations (role `hospital`, their partner id is the token's `sub`)
only referrals they sent or received; officers their regions, read-only; the elder and family
their own (intake's `applicant_sub` of the bed). Anything else is 404, like a missing referral.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from chassis.errors import NotFound
from chassis.principal import Principal, Role
from referral.domain.referral import Party
from referral.repository import ReferralRepository, any_of
from referral.tables import ReferralRow

STAFF = (Role.PROVIDER_ADMIN, Role.CAREGIVER)


def acting_organisation(principal: Principal) -> str | None:
    """The organisation the caller acts for: its provider, or the partner id of a partner key."""
    if principal.role in STAFF:
        return principal.provider_id
    if principal.role is Role.HOSPITAL:
        return principal.sub
    return None


def party_of(row: ReferralRow, principal: Principal) -> Party | None:
    """requester or receiver when the caller may act for that side (provider admins, partners)."""
    if principal.role not in (Role.PROVIDER_ADMIN, Role.HOSPITAL):
        return None
    org = acting_organisation(principal)
    if org is None:
        return None
    if org == row.requester_id:
        return Party.REQUESTER
    if org == row.receiver_id:
        return Party.RECEIVER
    return None


def visibility(principal: Principal, applicant_beds: list[str]) -> ColumnElement[bool]:
    """The SQL condition of the referrals the caller may read."""
    role = principal.role
    org = acting_organisation(principal)
    if role in STAFF and org:
        return any_of(
            ReferralRow.provider_id == org,
            ReferralRow.requester_id == org,
            ReferralRow.receiver_id == org,
        )
    if role is Role.HOSPITAL:
        return any_of(
            ReferralRow.requester_id == principal.sub, ReferralRow.receiver_id == principal.sub
        )
    if role is Role.OFFICER:
        return any_of(
            *(ReferralRow.region_code.startswith(_prefix(c)) for c in principal.region_codes)
        )
    if role in (Role.ELDER, Role.FAMILY) and applicant_beds:
        return ReferralRow.bed_id.in_(applicant_beds)
    return any_of()


def can_see(row: ReferralRow, principal: Principal, applicant_beds: list[str]) -> bool:
    role = principal.role
    org = acting_organisation(principal)
    if role in STAFF and org:
        return org in (row.provider_id, row.requester_id, row.receiver_id)
    if role is Role.HOSPITAL:
        return principal.sub in (row.requester_id, row.receiver_id)
    if role is Role.OFFICER:
        return principal.in_region(row.region_code)
    if role in (Role.ELDER, Role.FAMILY):
        return row.bed_id is not None and row.bed_id in applicant_beds
    return False


async def visible_referral(
    referrals: ReferralRepository, principal: Principal, referral_id: str
) -> ReferralRow:
    """The referral, or 404 when it is missing or the caller may not see it."""
    row = await referrals.get(referral_id)
    beds = await _applicant_beds(referrals, principal)
    if row is None or not can_see(row, principal, beds):
        raise NotFound("referral")
    return row


async def _applicant_beds(referrals: ReferralRepository, principal: Principal) -> list[str]:
    if principal.role in (Role.ELDER, Role.FAMILY):
        return await referrals.beds_of_applicant(principal.sub)
    return []


async def applicant_beds(referrals: ReferralRepository, principal: Principal) -> list[str]:
    return await _applicant_beds(referrals, principal)


def _prefix(code: str) -> str:
    # GB/T 2260, as chassis.principal: 330000 province, 330100 city, 330102 district
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
