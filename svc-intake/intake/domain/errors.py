"""Errors of the intake domain: each is one of the chassis errors, so every service answers alike.

State machines and rules raise the chassis `IllegalTransition` and `PreconditionFailed`; the
errors here are intake's kinds of invalid input (422), each naming the request field it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence

from chassis.errors import Unprocessable


class _FieldProblem(Unprocessable):
    """An `Unprocessable` whose text (`str(error)`) says what is wrong, not only where."""

    def __init__(self, errors: Sequence[tuple[str, str]], message: str) -> None:
        super().__init__(errors)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnknownJurisdiction(_FieldProblem):
    """No policy profile exists for this GB/T 2260 code."""

    def __init__(self, code: str, known: Sequence[str]) -> None:
        self.code = code
        self.known = tuple(known)
        message = f"unknown jurisdiction; known: {', '.join(self.known)}"
        super().__init__(
            [("body.jurisdiction", message)],
            f"no policy profile for jurisdiction {code!r}; known: {', '.join(self.known)}",
        )


class InvalidResidentId(_FieldProblem):
    """The resident ID number fails a structural check (never echoes the number itself)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__([("body.id_number", problem)], f"invalid resident ID number: {problem}")


class IdentityMismatch(_FieldProblem):
    """A declared fact (birth date, sex) contradicts what the ID number encodes."""

    def __init__(self, declared_field: str) -> None:
        self.fields = (declared_field, "id_number")
        message = f"{declared_field} does not match the one encoded in id_number"
        super().__init__([(f"body.{name}", message) for name in self.fields], message)


class ContractViolation(_FieldProblem):
    """A contract breaks the profile's contract rules; `problems` lists each broken rule."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        # (field, message) pairs, so the answer names the offending fields
        self.problems = tuple(problems)
        super().__init__(
            [(f"body.{field}", message) for field, message in self.problems],
            "; ".join(f"{field}: {message}" for field, message in self.problems),
        )


class EventDateOutOfRange(_FieldProblem):
    """A change dated before the bed existed or after today (terminate, transfer)."""

    def __init__(self, problem: str) -> None:
        super().__init__([("body.event_date", problem)], f"event_date {problem}")


class UnusableProvider(_FieldProblem):
    """The provider named is unknown, suspended, or does not serve the elder's region."""

    def __init__(self, problems: Sequence[str], field: str = "body.provider_id") -> None:
        self.problems = tuple(problems)
        message = "; ".join(self.problems)
        super().__init__([(field, message)], message)


class PilotAreaContradiction(_FieldProblem):
    """The declared `in_pilot_area` contradicts the street code of the current address."""

    def __init__(self, *, street_code: str, in_pilot: bool, pilot_streets: str) -> None:
        where = "a pilot street" if in_pilot else "not a pilot street"
        message = (
            f"contradicts current_address.region_code: street {street_code} is {where}; "
            f"pilot streets: {pilot_streets}"
        )
        super().__init__(
            [("body.in_pilot_area", message), ("body.current_address.region_code", message)],
            f"in_pilot_area {message}",
        )


class _BodyFields(_FieldProblem):
    """Problems of several body fields at once; `problems` are (field, message) pairs."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            [(f"body.{field}", message) for field, message in self.problems],
            "; ".join(f"{field}: {message}" for field, message in self.problems),
        )


class CarePlanViolation(_BodyFields):
    """A care plan item outside the catalogue, a worker role it does not allow, or a plan that
    cannot meet the jurisdiction's service minimums."""


class InvalidConsent(_BodyFields):
    """A consent record missing what its giver or method needs (relation, evidence, witness)."""


class InvalidAcceptance(_BodyFields):
    """An acceptance application or inspection whose figures or dates do not hold together."""
