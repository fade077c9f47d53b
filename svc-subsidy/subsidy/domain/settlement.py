"""The monthly settlement of one provider in one jurisdiction: its lines, its state machine.

States (openIMIS claim batch + maker-checker): draft → submitted → approved → paid; a rejection
sends a submitted settlement back to draft. Lines are deterministic: the same facts give the
same lines in the same order with the same ids, byte for byte (`digest`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from chassis.errors import Forbidden, IllegalTransition
from subsidy.domain.ledger import (
    Entry,
    elder_voucher,
    funder_account,
    provider_payable,
)
from subsidy.domain.lines import FundingLeg, Line


class SettlementStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PAID = "paid"


class SettlementAction(StrEnum):
    RUN = "run"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    CONFIRM_PAYMENT = "confirm_payment"


TRANSITIONS: dict[SettlementStatus, dict[SettlementAction, SettlementStatus]] = {
    SettlementStatus.DRAFT: {
        SettlementAction.RUN: SettlementStatus.DRAFT,
        SettlementAction.SUBMIT: SettlementStatus.SUBMITTED,
    },
    SettlementStatus.SUBMITTED: {
        SettlementAction.APPROVE: SettlementStatus.APPROVED,
        SettlementAction.REJECT: SettlementStatus.DRAFT,
    },
    SettlementStatus.APPROVED: {SettlementAction.CONFIRM_PAYMENT: SettlementStatus.PAID},
    SettlementStatus.PAID: {},
}


def allowed_actions(status: SettlementStatus) -> list[str]:
    return [a.value for a in TRANSITIONS[status]]


def next_status(status: SettlementStatus, action: SettlementAction) -> SettlementStatus:
    """The state after `action`, or IllegalTransition (409) listing what is allowed."""
    target = TRANSITIONS[status].get(action)
    if target is None:
        raise IllegalTransition(
            state=status.value,
            action=action.value,
            allowed_actions=allowed_actions(status),
            entity="settlement",
        )
    return target


def require_checker(*, submitted_by: str | None, approver: str) -> None:
    """Maker-checker: whoever submitted a settlement may not approve or reject it."""
    if submitted_by == approver:
        raise Forbidden("maker-checker: the officer who submitted may not also decide")


def settlement_id(provider_id: str, jurisdiction: str, period: str) -> str:
    """One settlement per provider, jurisdiction and month: its id says which."""
    return f"stl-{jurisdiction}-{period}-{provider_id}"


@dataclass(frozen=True, slots=True)
class SettledLine:
    """A line of a settlement: a calculator line for one elder, for the month it accounts for
    (`for_period` = the settlement's period, or an earlier one for an adjustment)."""

    bed_id: str
    elder_id: str
    for_period: str
    line: Line
    # (elder, month, kind): the line's identity in its settlement, looked up several times a
    # line (uniqueness, order, id) — built once
    key: tuple[str, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.elder_id, self.for_period, self.line.kind))

    def line_id(self, settlement: str) -> str:
        digest = hashlib.sha256("|".join((settlement, *self.key)).encode()).hexdigest()[:24]
        return f"ln-{digest}"

    def canonical(self) -> list[object]:
        line = self.line
        return [
            self.bed_id,
            self.elder_id,
            self.for_period,
            line.kind,
            line.rule,
            line.seed,
            line.payee,
            line.amount_fen,
            funding_text(line.funding),
            line.explanation,
        ]


def funding_text(legs: Sequence[FundingLeg]) -> str:
    if len(legs) == 1:  # most lines: one leg, no join
        leg = legs[0]
        return f"{leg.level}={leg.amount_fen}"
    return ",".join(f"{leg.level}={leg.amount_fen}" for leg in legs)


def parse_funding(text: str) -> tuple[FundingLeg, ...]:
    legs = []
    for part in filter(None, text.split(",")):
        level, amount = part.split("=")
        legs.append(FundingLeg(level, int(amount)))  # type: ignore[arg-type]
    return tuple(legs)


def ordered(lines: Iterable[SettledLine]) -> list[SettledLine]:
    """The one order of a settlement's lines: elder, month, kind."""
    return sorted(lines, key=lambda s: s.key)


def digest(lines: Sequence[SettledLine]) -> str:
    """SHA-256 over the canonical lines: equal digests = byte-for-byte equal settlements.
    Each line is its `canonical()` list as JSON (`json.dumps(…, ensure_ascii=False)`, one line
    each); written here string by string with the JSON encoder's own string escaping and the
    repeated strings (months, kinds, rules, seeds, payees) escaped once — the same bytes as
    encoding the lists (`test_digest_is_the_json_of_the_canonical_lines`), a fraction of the
    CPU for a county month."""
    # the month, kind, rule, seed and payee repeat from line to line: their JSON is built once
    # per combination; beds and elders differ from line to line (escaped directly)
    middles: dict[tuple[str, str, str, str, str], str] = {}
    hasher = hashlib.sha256()
    for settled in lines:
        line = settled.line
        shared = (settled.for_period, line.kind, line.rule, line.seed, line.payee)
        middle = middles.get(shared)
        if middle is None:
            middle = middles[shared] = ", ".join(_quote(value) for value in shared)
        hasher.update(
            (
                f"[{_quote(settled.bed_id)}, {_quote(settled.elder_id)}, {middle}, "
                f"{int(line.amount_fen)}, {_quote(funding_text(line.funding))}, "
                f"{_quote(line.explanation)}]\n"
            ).encode()
        )
    return hasher.hexdigest()


# the JSON encoder's string escaping with ensure_ascii=False (its C version when available)
_quote = json.encoder.encode_basestring
# one encoder for every line (json.dumps with options builds a new one per call): same bytes
_CANONICAL = json.JSONEncoder(ensure_ascii=False)


def canonical_text(lines: Sequence[SettledLine]) -> str:
    """The text `digest` hashes, by the general JSON encoder (the reference of the fast path)."""
    return "".join(_CANONICAL.encode(line.canonical()) + "\n" for line in lines)


class LineAmount(NamedTuple):
    """What the ledger and the payment need of a stored line: a plain tuple, no explanation."""

    elder_id: str
    kind: str
    amount_fen: int
    funding: str  # funding_text of the legs


def line_amounts(lines: Iterable[SettledLine]) -> list[LineAmount]:
    return [
        LineAmount(s.elder_id, s.line.kind, s.line.amount_fen, funding_text(s.line.funding))
        for s in lines
    ]


class PostingSums(NamedTuple):
    """What a settlement's pending transfer needs of its lines, summed: per funding level its
    legs' fen, per elder its voucher settlements' fen, the lines' total. On PostgreSQL the
    database sums them (`SettlementRepository.posting_sums_of`: no funding text parsed in
    Python); `posting_sums` is the same in Python (SQLite, and the reference of the tests)."""

    levels: dict[str, int]
    vouchers: dict[str, int]
    total_fen: int


NO_LINES = PostingSums({}, {}, 0)


def posting_sums(lines: Iterable[LineAmount]) -> PostingSums:
    levels: dict[str, int] = defaultdict(int)
    vouchers: dict[str, int] = defaultdict(int)
    total_fen = 0
    for elder_id, kind, amount, funding in lines:
        for level, leg_fen in funding_legs(funding):
            levels[level] += leg_fen
        if kind == "voucher_settlement":
            vouchers[elder_id] += amount
        total_fen += amount
    return PostingSums(dict(levels), dict(vouchers), total_fen)


def posting_entries(
    provider_id: str, jurisdiction: str, lines: Iterable[LineAmount]
) -> tuple[Entry, ...]:
    """The settlement's ledger entries of these lines (`entries_of` their sums)."""
    return entries_of(provider_id, jurisdiction, posting_sums(lines))


def entries_of(provider_id: str, jurisdiction: str, sums: PostingSums) -> tuple[Entry, ...]:
    """The settlement's ledger entries, one per account and direction: each funding level's
    funder is debited its legs' sum, the provider's payable is credited the lines' sum; vouchers
    pass through the elder's service account (credited, then spent on delivered services: 004
    §二(四)3, the account shows both). Why aggregated: a county month is ~10⁵ lines; the lines
    keep each amount's explanation and the transfer references the settlement."""
    funders: dict[str, int] = defaultdict(int)
    for level, leg_fen in sums.levels.items():
        funders[funder_account(level, jurisdiction)] += leg_fen
    entries = [Entry(account, amount) for account, amount in sorted(funders.items()) if amount]
    for elder_id, amount in sorted(sums.vouchers.items()):
        if amount:
            account = elder_voucher(elder_id)
            entries.append(Entry(account, -amount))  # credited to the service account
            entries.append(Entry(account, amount))  # spent on delivered services
    if sums.total_fen:
        entries.append(Entry(provider_payable(provider_id), -sums.total_fen))
    return tuple(entries)


def funding_legs(text: str) -> list[tuple[str, int]]:
    """(level, fen) pairs of a stored funding text, without building FundingLeg objects."""
    legs = []
    for part in text.split(","):
        if part:
            level, _, amount = part.partition("=")
            legs.append((level, int(amount)))
    return legs


def per_level(lines: Iterable[LineAmount]) -> dict[str, int]:
    """What each funding level pays for these lines."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        for level, amount in funding_legs(line.funding):
            totals[level] += amount
    return dict(totals)


@dataclass(frozen=True)
class LineChange:
    key: tuple[str, str, str]
    before_fen: int | None
    after_fen: int | None


def diff(before: Iterable[SettledLine], after: Iterable[SettledLine]) -> list[LineChange]:
    """What a new run would change against the stored lines (added, removed, amount changed)."""
    old = {s.key: s.line.amount_fen for s in before}
    new = {s.key: s.line.amount_fen for s in after}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            changes.append(LineChange(key, old.get(key), new.get(key)))
    return changes
