"""Real servers for tests and the bench: uvicorn in a subprocess (killable) or in this loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

from chassis.http import shared_tls_context
from chassis.testing.ports import free_port as chassis_free_port


def free_port() -> int:
    return chassis_free_port()  # claimed: no other test process is handed it


def wait_until_serving(
    url: str, *, within: float = 90.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll `url` until it answers (any status); fail early if the process died."""
    deadline = time.monotonic() + within
    # one client for the whole wait: each `httpx.get` would build a TLS context (CA bundle
    # loaded) every 50 ms, taking CPU from the very process being waited for
    with httpx.Client(verify=shared_tls_context(), timeout=1.0) as client:
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode} before serving {url}")
            try:
                client.get(url)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class UvicornProcess:
    """`uvicorn <app>` in a subprocess on a fixed port: start, kill, start again."""

    def __init__(
        self,
        app: str,
        *,
        port: int | None = None,
        factory: bool = False,
        env: dict[str, str] | None = None,
        extra_args: Sequence[str] = (),
        health_path: str = "/healthz",
        log_file: Path | None = None,
    ) -> None:
        self.app = app
        self.port = port or free_port()
        self.factory = factory
        self.env = env or {}
        self.extra_args = list(extra_args)
        self.health_path = health_path
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> UvicornProcess:
        command = [sys.executable, "-m", "uvicorn", self.app, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", "warning", *self.extra_args]
        if self.factory:
            command.append("--factory")
        with contextlib.ExitStack() as files:
            output = (
                files.enter_context(self.log_file.open("ab"))
                if self.log_file
                else subprocess.DEVNULL
            )
            # Our own interpreter and arguments: nothing here comes from outside input.
            self.process = subprocess.Popen(  # noqa: S603
                command, env={**os.environ, **self.env}, stdout=output, stderr=output
            )
        try:
            wait_until_serving(self.url + self.health_path, process=self.process)
        except BaseException:
            self.kill()  # never leave a half-started server behind a failed test
            raise
        return self

    def kill(self) -> None:
        """SIGKILL: the upstream vanishes mid-flight, as a crashed service does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@contextlib.asynccontextmanager
async def serving_in_loop(app: ASGIApp, *, port: int | None = None) -> AsyncIterator[str]:
    """Serve `app` with uvicorn inside the running event loop; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port or free_port(), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task
