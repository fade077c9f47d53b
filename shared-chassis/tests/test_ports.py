"""Claimed test ports: never handed out twice, to this process or to another one."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chassis.testing import ports
from chassis.testing.ports import PORTS, free_port


def test_a_port_is_never_handed_out_twice_in_a_process() -> None:
    ports = [free_port() for _ in range(60)]
    assert len(set(ports)) == 60
    assert all(port in PORTS for port in ports)


def test_another_process_is_never_handed_a_port_this_one_holds() -> None:
    held = {free_port() for _ in range(60)}
    script = "from chassis.testing.ports import free_port; print(*[free_port() for _ in range(60)])"
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    theirs = {int(port) for port in other.stdout.split()}
    assert len(theirs) == 60
    assert not held & theirs


def test_a_port_something_listens_on_is_never_handed_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))  # an ephemeral port: outside every test's claims
        listener.listen()
        busy = listener.getsockname()[1]
        monkeypatch.setattr(ports, "CLAIMS", tmp_path)  # claims of this test only
        monkeypatch.setattr(ports, "PORTS", range(busy, busy + 1))
        with pytest.raises(RuntimeError, match="no free loopback port"):
            ports.free_port()
    assert ports.free_port() == busy  # closed: now it is free (and claimed by this process)
