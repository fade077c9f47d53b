"""Gateway overhead: one light backend endpoint called directly, through the gateway, and through
nginx (Debian's package, configured here in a temp dir), in the same run, with the same client.

Two loads per target: a fixed rate (open loop, 500 req/s by default; latency measured from each
request's scheduled time, so queueing is not hidden) and saturation (closed loop, N keep-alive
connections as fast as they go). Through the gateway each request carries a people JWT (EdDSA,
dev issuer), so verification, the route table, the rate limit, the internal principal token and
metrics are all in the path, as in production.

What makes the comparison fair:
- one backend process (uvicorn, httptools + uvloop, raw ASGI) serves all three targets;
- one client (this process, uvloop, raw HTTP/1.1 keep-alive) with the same connection counts
  (`--connections` saturated, rate/50 at the fixed rate) for every target;
- the proxies get the same processes: nginx `worker_processes` = `--gateway-workers`
  (1 by default), both keep upstream connections alive (nginx `keepalive 64`, the gateway's
  pool 200 / 100 idle);
- the gateway runs as deployed: `python -m uvicorn gateway.main:app --loop uvloop --http
  httptools` (also what scripts/run.sh starts; uvicorn picks those two by itself).
On a 2-core machine all three processes and the client share the cores, so saturated rates
say how much CPU each proxy leaves to the rest: nginx stays close to direct because it needs a
tenth of the CPU per request the gateway needs. The `cpu` figures printed per target (CPU
seconds of the target's process tree / requests) are the steadier number when other work runs
on the machine; `direct` there is the backend's own cost.

Last line: `gateway_rps=<n> nginx_rps=<n> direct_rps=<n> ratio_vs_nginx=<r> added_p50_ms=<n>`
(rps from the saturated runs; added p50 = gateway p50 - direct p50 at the fixed rate).
`python bench/gateway_bench.py [--rate 500] [--seconds 10] [--connections 32] [--gateway-workers 1]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BODY = b'{"status":"ok","service":"bench"}'
BENCH_PATH = "/v1/bench"


async def backend_app(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
    """The light endpoint: raw ASGI, a fixed small JSON body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


# ---------------------------------------------------------------- load generator (raw HTTP/1.1)
class Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time; Content-Length bodies only."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        marker = head.find(b"\r\ncontent-length:")
        if marker < 0:
            self.waiter.set_exception(RuntimeError("response without Content-Length"))
            self.waiter = None
            return
        line_end = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) >= total:
            status = int(head[9:12])
            del self.buffer[:total]
            self.waiter.set_result(status)
            self.waiter = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    async def request(self, payload: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(payload)
        return await self.waiter


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _connect(port: int, count: int) -> list[Connection]:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(count):
        _, protocol = await loop.create_connection(Connection, "127.0.0.1", port)
        connections.append(protocol)
    return connections


def _close(connections: list[Connection]) -> None:
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()


class Payloads:
    """Requests to send, taken in turn (many callers: each has its own token and rate limit)."""

    def __init__(self, payloads: list[bytes]) -> None:
        self._payloads = payloads
        self._next = 0

    def take(self) -> bytes:
        payload = self._payloads[self._next]
        self._next = (self._next + 1) % len(self._payloads)
        return payload


async def saturate(port: int, payloads: Payloads, connections: int, seconds: float) -> Result:
    """Closed loop: every connection sends its next request as soon as the last one returns."""
    pool = await _connect(port, connections)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(connection: Connection) -> None:
        nonlocal errors
        while (started := time.perf_counter()) < deadline:
            status = await connection.request(payloads.take())
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in pool))
    elapsed = time.perf_counter() - began
    _close(pool)
    return Result(len(latencies), errors, elapsed, latencies)


async def fixed_rate(port: int, payloads: Payloads, rate: float, seconds: float) -> Result:
    """Open loop: request i is due at start + i/rate; its latency counts from that moment."""
    pool_size = max(8, int(rate / 50))
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    connections = await _connect(port, pool_size)
    for connection in connections:
        idle.put_nowait(connection)
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(due: float) -> None:
        nonlocal errors
        connection = await idle.get()
        status = await connection.request(payloads.take())
        latencies.append((time.perf_counter() - due) * 1000)
        errors += status != 200
        idle.put_nowait(connection)

    tasks = []
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    _close(connections)
    return Result(len(latencies), errors, elapsed, latencies)


# ---------------------------------------------------------------- servers
def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], what: str, within: float = 30) -> None:
    import socket

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before listening")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port} within {within} s")


def ensure_nginx() -> str | None:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("nginx not found: installing Debian's nginx package ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=False, env=env)
        return shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
    print(
        "nginx is not installed (run `apt-get install -y nginx` as root); skipping it.",
        file=sys.stderr,
    )
    return None


def nginx_config(directory: Path, listen: int, backend: int, workers: int) -> Path:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {name}_temp_path {directory / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = directory / "nginx.conf"
    config.write_text(
        f"""{user}worker_processes {workers};
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
{temp}
  upstream backend {{ server 127.0.0.1:{backend}; keepalive 64; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{listen};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
    )
    return config


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(command, env={**os.environ, **env}, stdout=output, stderr=output)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def gateway_command(port: int, workers: int) -> list[str]:
    """The gateway as deployed (uvicorn with httptools and uvloop, named explicitly)."""
    return [
        *(sys.executable, "-m", "uvicorn", "gateway.main:app", "--loop", "uvloop"),
        *("--http", "httptools", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(workers), "--no-access-log", "--log-level", "warning"),
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending, seen = 0.0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


# ---------------------------------------------------------------- the run
def request_bytes(port: int, token: str | None) -> bytes:
    lines = [f"GET {BENCH_PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: homebed-bench"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def measure(
    targets: dict[str, tuple[int, Payloads]], pids: dict[str, int], args: argparse.Namespace
) -> dict[str, dict[str, Result]]:
    results: dict[str, dict[str, Result]] = {name: {} for name in targets}
    for name, (port, payload) in targets.items():
        await saturate(port, payload, args.connections, args.warmup)
        fixed = await fixed_rate(port, payload, args.rate, args.seconds)
        results[name]["fixed"] = fixed
        print(
            f"  {name:8s} fixed {args.rate:.0f}/s: p50 {fixed.percentile(0.5):.2f} ms  "
            f"p99 {fixed.percentile(0.99):.2f} ms  errors {fixed.errors}",
            file=sys.stderr,
        )
    for name, (port, payload) in targets.items():
        cpu_before = cpu_seconds(pids[name])
        saturated = await saturate(port, payload, args.connections, args.seconds)
        cpu_per_request = (cpu_seconds(pids[name]) - cpu_before) / max(1, saturated.requests)
        results[name]["saturated"] = saturated
        print(
            f"  {name:8s} saturated: {saturated.rps:.0f} req/s  p50 {saturated.percentile(0.5):.2f} ms"
            f"  p99 {saturated.percentile(0.99):.2f} ms  errors {saturated.errors}"
            f"  cpu {cpu_per_request * 1e6:.0f} us/req",
            file=sys.stderr,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--callers", type=int, default=1000, help="distinct people tokens")
    parser.add_argument("--gateway-workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--serve-backend", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help="ignored (scripts/bench.sh passes a Kafka address)")
    args = parser.parse_args()
    if args.serve_backend:
        import uvicorn

        uvicorn.run(
            backend_app,
            host="127.0.0.1",
            port=args.serve_backend,
            log_level="warning",
            access_log=False,
        )
        return

    import uvloop

    from gateway.auth import dev_issuer

    workdir = Path(tempfile.mkdtemp(prefix="homebed-gateway-bench-"))
    ports = {"backend": free_port(), "gateway": free_port(), "nginx": free_port()}
    issuer = dev_issuer.load_or_create(workdir / "issuer")
    # Many callers, as in production: each has its own token and its own (default) rate limit.
    tokens = [
        issuer.mint(sub=f"bench-ops-{n}", role="ops", ttl_seconds=3600) for n in range(args.callers)
    ]
    gateway_env = {
        "HOMEBED_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/gateway.db",
        "HOMEBED_GATEWAY_DEV_ISSUER_DIR": str(workdir / "issuer"),
        "HOMEBED_GATEWAY_UPSTREAMS": json.dumps(
            {"bench": {"url": f"http://127.0.0.1:{ports['backend']}"}}
        ),
        "HOMEBED_GATEWAY_ROUTES": json.dumps(
            [{"path": BENCH_PATH, "upstream": "bench", "access": {"GET": ["ops"]}}]
        ),
        "HOMEBED_GATEWAY_LOG_LEVEL": "WARNING",
        "HOMEBED_ENV": "dev",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        backend = start(
            [sys.executable, __file__, "--serve-backend", str(ports["backend"])],
            {},
            workdir / "backend.log",
        )
        processes.append(backend)
        wait_for(ports["backend"], backend, "backend")
        gateway = start(
            gateway_command(ports["gateway"], args.gateway_workers),
            gateway_env,
            workdir / "gateway.log",
        )
        processes.append(gateway)
        wait_for(ports["gateway"], gateway, "gateway")
        targets = {
            "direct": (ports["backend"], Payloads([request_bytes(ports["backend"], None)])),
            "gateway": (
                ports["gateway"],
                Payloads([request_bytes(ports["gateway"], token) for token in tokens]),
            ),
        }
        nginx_binary = ensure_nginx()
        if nginx_binary:
            config = nginx_config(workdir, ports["nginx"], ports["backend"], args.gateway_workers)
            nginx = start(
                [nginx_binary, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"],
                {},
                workdir / "nginx.log",
            )
            processes.append(nginx)
            wait_for(ports["nginx"], nginx, "nginx")
            targets["nginx"] = (ports["nginx"], Payloads([request_bytes(ports["nginx"], None)]))
        print(
            f"backend, gateway{', nginx' if nginx_binary else ''} up (logs in {workdir}); "
            f"{args.seconds:.0f} s per run",
            file=sys.stderr,
        )
        pids = {"direct": backend.pid, "gateway": gateway.pid}
        if nginx_binary:
            pids["nginx"] = processes[-1].pid
        results = uvloop.run(measure(targets, pids, args))
    finally:
        for process in reversed(processes):
            stop(process)
    gateway_rps = results["gateway"]["saturated"].rps
    direct_rps = results["direct"]["saturated"].rps
    nginx_rps = results["nginx"]["saturated"].rps if "nginx" in results else float("nan")
    added_p50 = results["gateway"]["fixed"].percentile(0.5) - results["direct"]["fixed"].percentile(
        0.5
    )
    print(
        f"gateway_rps={gateway_rps:.0f} nginx_rps={nginx_rps:.0f} direct_rps={direct_rps:.0f} "
        f"ratio_vs_nginx={gateway_rps / nginx_rps:.2f} added_p50_ms={added_p50:.2f}"
    )


if __name__ == "__main__":
    main()
