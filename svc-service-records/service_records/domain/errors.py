"""Domain errors of service records, on the chassis error model (rendered as problem+json)."""

from __future__ import annotations

from collections.abc import Sequence

from chassis.errors import Unprocessable


class UnknownJurisdiction(Unprocessable):
    """No service-records profile exists for this GB/T 2260 code (422 on `body.jurisdiction`)."""

    def __init__(self, code: str, known: Sequence[str]) -> None:
        self.code = code
        self.known = tuple(known)
        super().__init__(
            [
                (
                    "body.jurisdiction",
                    f"no service-records profile for jurisdiction {code!r}; "
                    f"known: {', '.join(self.known)}",
                )
            ]
        )
