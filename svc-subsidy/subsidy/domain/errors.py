"""Domain errors of svc-subsidy (rendered as problem+json by the chassis)."""

from __future__ import annotations

from chassis.errors import Unprocessable


class UnknownJurisdiction(Unprocessable):
    """No subsidy profile for this GB/T 2260 code."""

    def __init__(self, code: str, known: tuple[str, ...]) -> None:
        super().__init__([("jurisdiction", f"no subsidy profile for {code}; known: {list(known)}")])
        self.code = code
        self.known = known
