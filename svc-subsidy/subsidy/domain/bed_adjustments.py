"""Per-bed adjustments — a late fact about a month already settled — carried by one settlement.

A late fact (a visit verified or corrected, a suspension, a fee change reported after its month
was settled) re-opens the month for that bed; a later run recomputes it and adds the difference
between what is due now and what the *approved* settlements paid for it as an adjustment line
(`domain/settlement_run.adjustment_candidates`). Several later months may be open at once (drafts,
a submitted month waiting for its checker): each would compute the same difference. So each
adjustment — key (bed, month it accounts for, kind) — is **claimed** by one settlement at a time
(`bed_adjustment_claims`, migration 0009), as the provider-level awards are
(`domain/provider_awards.py`):
- unclaimed, or claimed by this settlement: this settlement carries it;
- claimed by another settlement not yet approved (a draft, a submitted one): that one carries
  it, this one leaves it — whichever is approved first, it is paid once;
- claimed by an approved (or paid) settlement: that line is part of what was paid, the new
  difference is computed against it, and this settlement takes the claim over.
A re-run keeps its claims, releases those no longer due; a crashed run leaves none (the claims
are written in the run's transaction); two runs racing for one claim: the key decides.
"""

from __future__ import annotations

from dataclasses import dataclass

AdjustmentKey = tuple[str, str, str]  # (bed, the month it accounts for, kind)
SETTLED = ("approved", "paid")


@dataclass(frozen=True)
class Holder:
    """The settlement holding an adjustment's claim, and its state."""

    settlement_id: str
    status: str


def may_carry(holder: Holder | None, this: str) -> bool:
    """Whether the settlement `this` may carry the adjustment (and hold its claim)."""
    return holder is None or holder.settlement_id == this or holder.status in SETTLED


def takes_over(holder: Holder | None, this: str) -> bool:
    """Whether carrying it means taking the claim from an approved settlement."""
    return holder is not None and holder.settlement_id != this and holder.status in SETTLED
