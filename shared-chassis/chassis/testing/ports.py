"""Loopback ports for the servers a test starts, claimed so that no two processes of the
machine's test runs are handed the same one.

`bind(("127.0.0.1", 0))` draws from the kernel's ephemeral range, where every outgoing
connection also takes its local port, and it releases the port before the server binds it: two
test processes probing at once could be handed the same port. Under `make test-stress` that sent
the demo's requests to another test's service (404 on `POST /v1/providers`). Ports here come from
below the ephemeral range, each is claimed by an advisory lock on a file (the kernel releases
it when the process ends, however it ends) and then probed by a bind. A process keeps its claims
until it exits, so a port is never handed out twice during a test session."""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

PORTS = range(20000, 32000)  # below Linux's ephemeral range (32768–60999)
CLAIMS = Path(tempfile.gettempdir()) / "homebed-test-ports"
_claimed: list[int] = []  # the claims' file descriptors, open for the process's lifetime


def free_port() -> int:
    """A loopback port nobody listens on, that no other process using this function holds."""
    CLAIMS.mkdir(mode=0o777, exist_ok=True)
    pick = random.Random()  # a random start: parallel workers rarely try the same port first
    for _ in range(500):
        port = pick.choice(PORTS)
        claim = os.open(CLAIMS / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process (or this one) holds it
            os.close(claim)
            continue
        if _nobody_listens(port):
            _claimed.append(claim)
            return port
        os.close(claim)  # something outside the tests has it: leave it
    raise RuntimeError(f"no free loopback port in {PORTS.start}–{PORTS.stop - 1} after 500 tries")


def _nobody_listens(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))  # no SO_REUSEADDR: a lingering socket counts as taken
        except OSError:
            return False
        return True
