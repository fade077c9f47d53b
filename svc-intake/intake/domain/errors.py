"""Domain errors: each names what went wrong in terms the API can map to a 4xx."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base of every rule violation the domain reports."""


class UnknownJurisdiction(DomainError):
    """No policy profile exists for this GB/T 2260 code."""

    def __init__(self, code: str, known: Sequence[str]) -> None:
        self.code = code
        self.known = tuple(known)
        super().__init__(f"no policy profile for jurisdiction {code!r}; known: {', '.join(known)}")


class InvalidResidentId(DomainError):
    """The resident ID number fails a structural check (never echoes the number itself)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"invalid resident ID number: {problem}")


class IdentityMismatch(DomainError):
    """A declared fact (birth date, sex) contradicts what the ID number encodes."""

    def __init__(self, declared_field: str) -> None:
        self.fields = (declared_field, "id_number")
        super().__init__(f"{declared_field} does not match the one encoded in id_number")


class IllegalTransition(DomainError):
    """An action that the entity's current state does not allow."""

    def __init__(self, entity: str, state: str, action: str, allowed: Sequence[str]) -> None:
        self.entity = entity
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) or "none (final state)"
        super().__init__(f"cannot {action} a {entity} that is {state}; allowed: {allowed_text}")


class PreconditionFailed(DomainError):
    """The transition is legal in this state, but a business precondition is not met."""

    def __init__(self, action: str, problems: Sequence[str]) -> None:
        self.action = action
        self.problems = tuple(problems)
        super().__init__(f"cannot {action}: " + "; ".join(self.problems))


class ContractViolation(DomainError):
    """A contract breaks the profile's contract rules; `problems` lists each broken rule."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        # (field, message) pairs, so the API can name the offending fields
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))
