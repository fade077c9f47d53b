"""scripts/run.sh (make run), sourced so its real functions run in a small bash harness.

No services and no broker: a `sleep` stands in for a service, a shadowed `uvicorn` module for a
leftover server. Every wait is for a condition (process gone, harness exited), never a fixed time.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_SH = ROOT / "scripts/run.sh"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _harness(tmp_path: Path, body: str) -> str:
    return f"""
source {RUN_SH}
pidfile={tmp_path}/run.pids
runlog={tmp_path}/run.log
kafka_data={tmp_path}/kafka
{body}
"""


def test_shutdown_completes_when_stdout_and_stderr_are_a_closed_pipe(tmp_path: Path) -> None:
    # `make run 2>&1 | tee run.log`, Ctrl-C: tee is gone before the trap writes its first line.
    # Here the harness is killed with TERM (as `kill <run.sh>` would) with SIGPIPE at its default.
    body = f"""
setsid sleep 600 </dev/null >/dev/null 2>&1 &
pids=("$!")
echo "$!" >{tmp_path}/service.pid
printf '%s run.sh\\n' "$$" >"$pidfile"
arm_shutdown
kill -TERM $$
echo "not reached" >{tmp_path}/after-trap
"""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        harness = subprocess.run(
            ["bash", "-c", _harness(tmp_path, body)],
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=write_end,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)

    service_pid = int((tmp_path / "service.pid").read_text())
    assert _gone_within(service_pid, 5), "the service outlived the shutdown"
    assert harness.returncode == 0
    assert not (tmp_path / "after-trap").exists()
    assert not (tmp_path / "run.pids").exists()
    assert "all stopped." in (tmp_path / "run.log").read_text()


def test_leftovers_are_stopped_and_unrelated_reused_pids_spared(tmp_path: Path) -> None:
    # A "uvicorn" (a shadowing module that only sleeps) with the command line run.sh gives the
    # gateway, left behind by a make run killed with -9.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "uvicorn.py").write_text("import time\ntime.sleep(600)\n")
    leftover = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "gateway.main:app", "--port", "1"],
        env={**os.environ, "PYTHONPATH": str(fake)},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Reap it as soon as it dies, so that `kill -0` in run.sh sees it gone, not a zombie.
    threading.Thread(target=leftover.wait, daemon=True).start()
    # A process that now holds pids the file names for a service, the broker and run.sh itself.
    unrelated = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
    try:
        (tmp_path / "run.pids").write_text(
            f"{unrelated.pid} run.sh\n"
            f"{leftover.pid} gateway.main:app\n"
            f"{unrelated.pid} intake.main:app\n"
        )
        (tmp_path / "kafka").mkdir()
        (tmp_path / "kafka/kafka.pid").write_text(f"{unrelated.pid}\n")

        harness = subprocess.run(
            ["bash", "-c", _harness(tmp_path, "refuse_if_running\nstop_leftovers\n")],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )

        assert harness.returncode == 0, harness.stderr
        assert f"pids {leftover.pid})" in harness.stdout
        assert leftover.wait(timeout=5) is not None
        assert unrelated.poll() is None, "an unrelated process was signalled"
        assert not (tmp_path / "run.pids").exists()
        assert not (tmp_path / "kafka/kafka.pid").exists(), "a stale broker pid file was kept"
    finally:
        for process in (leftover, unrelated):
            if process.poll() is None:
                process.kill()
        unrelated.wait()


def test_a_running_make_run_is_never_taken_for_leftovers(tmp_path: Path) -> None:
    # The other make run's process, as `ps` shows it: "bash scripts/run.sh".
    other = subprocess.Popen(
        ["bash", "-c", "sleep 600; : scripts/run.sh"], stdin=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        (tmp_path / "run.pids").write_text(f"{other.pid} run.sh\n")
        harness = subprocess.run(
            ["bash", "-c", _harness(tmp_path, "refuse_if_running\nstop_leftovers\n")],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert harness.returncode == 1
        assert f"already running here (pid {other.pid})" in harness.stderr
        assert (tmp_path / "run.pids").exists()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
