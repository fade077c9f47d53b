"""Dependencies of svc-subsidy's routes: the configured profile of a jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from subsidy.domain.policy import SubsidyProfile
from subsidy.policies.loader import configured_profile


class ProfileSource:
    """Profiles with the amounts the deployment configured (settings.rule_configuration)."""

    def __init__(self, configuration: dict[str, dict[str, dict[str, int]]]) -> None:
        self.configuration = configuration

    def __call__(self, code: str) -> SubsidyProfile:
        return configured_profile(code, self.configuration)


def profiles(request: Request) -> ProfileSource:
    return ProfileSource(request.app.state.settings.rule_configuration)


ProfilesDep = Annotated[ProfileSource, Depends(profiles)]
