from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chassis.testing.ports import free_port as claimed_free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def free_port() -> object:
    """A function returning a free loopback port."""
    return claimed_free_port  # claimed: no other test process is handed it (chassis.testing.ports)


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if not found:
        raise RuntimeError(
            "Prometheus is not installed: `make test` installs it (deploy/prometheus)."
        )
    return found


@pytest.fixture
def spawn() -> Iterator[object]:
    """Start processes for one test; all are terminated afterwards, whatever happens."""
    started: list[subprocess.Popen[bytes]] = []

    def _spawn(
        args: list[str], *, env: dict[str, str] | None = None, log: Path
    ) -> subprocess.Popen[bytes]:
        handle = log.open("wb")
        process = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        started.append(process)
        return process

    yield _spawn
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
