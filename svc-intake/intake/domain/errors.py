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
