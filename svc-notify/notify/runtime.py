"""notify's runtime: the chassis runtime whose units of work run callbacks after their commit
(the consumer's transaction wakes the dispatcher the moment its deliveries are visible)."""

from __future__ import annotations

from collections.abc import Callable

from chassis.db import UnitOfWork
from chassis.observability.context import current_correlation_id
from chassis.runtime import ServiceRuntime


class HookedUnitOfWork(UnitOfWork):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    async def __aenter__(self) -> HookedUnitOfWork:
        await super().__aenter__()
        self._after_commit = []
        return self

    async def commit(self) -> None:
        await super().commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class NotifyRuntime(ServiceRuntime):
    def uow(self) -> UnitOfWork:
        if self.session_factory is None:
            raise RuntimeError("service runtime is not started")
        return HookedUnitOfWork(
            self.session_factory,
            self.tables,
            signal=self.signal,
            correlation_id=current_correlation_id,
            events=self.events,
            express=self.express,
        )
