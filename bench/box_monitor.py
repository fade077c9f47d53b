"""What the box did during a benchmark run, from /proc: CPU of each process of the stack, of
everything else on the machine, steal, and how long each process waited for a CPU.

A thread samples once a second (it does not depend on the benchmark's event loop):
- the box: /proc/stat (busy = user + nice + system + irq + softirq; steal apart);
- each group of processes (the alarm API, the worker, Kafka, PostgreSQL, the load generator...):
  utime + stime of /proc/<pid>/stat (PostgreSQL: the postmaster with the children it reaped, and
  its live backends), and the run-queue wait of all their threads (/proc/<pid>/task/*/schedstat,
  second field: time spent runnable but not running, i.e. waiting for a CPU);
- everything else = box busy - the groups; at the end, the other processes that used the most
  CPU during the window are named (processes that exited meanwhile count in the total only).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may hold spaces: split after its closing one
    close = raw.rfind(")")
    return [raw[raw.find("(") + 1 : close], *raw[close + 2 :].split()]


def process_cpu_seconds(pid: int, *, with_reaped_children: bool = False) -> float | None:
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # fields[0] = comm, [1] = state; utime, stime, cutime, cstime are stat fields 14..17
    ticks = int(fields[12]) + int(fields[13])
    if with_reaped_children:
        ticks += int(fields[14]) + int(fields[15])
    return ticks / TICK


def run_queue_wait_seconds(pid: int) -> float:
    """Time the process's threads spent runnable, waiting for a CPU (schedstat)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[2]) == parent:
                found.append(int(entry))
    return found


def descendants_of(parent: int) -> list[int]:
    """Every process below `parent` (children, their children, ...)."""
    found, frontier = [], [parent]
    while frontier:
        children = [child for pid in frontier for child in children_of(pid)]
        found.extend(children)
        frontier = children
    return found


def thread_nice_levels(pid: int) -> set[int]:
    """The nice levels of the process's threads (nice is per thread on Linux)."""
    levels = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return levels
    for task in tasks:
        try:
            stat = Path(f"/proc/{pid}/task/{task}/stat").read_text()
        except OSError:
            continue
        levels.add(int(stat[stat.rfind(")") + 2 :].split()[16]))
    return levels


def box_ticks() -> tuple[float, float, float]:
    """(busy, steal, total) CPU seconds of the whole box since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy / TICK, steal / TICK, (busy + idle + iowait + steal) / TICK


def all_process_cpu() -> dict[int, tuple[str, float]]:
    """Every process: (command name, CPU seconds so far)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                found[int(entry)] = (fields[0], (int(fields[12]) + int(fields[13])) / TICK)
    return found


def describe(pid: int, name: str) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        args = ""
    return (args or name)[:70]


@dataclass
class Group:
    """Processes counted together; `pids()` is asked at every sample (backends come and go)."""

    name: str
    pids: Callable[[], list[int]]
    reaps_children: bool = False  # PostgreSQL: the postmaster reaps its backends
    # run-queue wait of processes that ended (a backend's is gone with it from /proc):
    # kept as last seen, so the group's total never goes back
    _last_wait: dict[int, float] = field(default_factory=dict)
    _ended_wait: float = 0.0

    def cpu_seconds(self) -> float:
        total = 0.0
        for index, pid in enumerate(self.pids()):
            seconds = process_cpu_seconds(
                pid, with_reaped_children=self.reaps_children and not index
            )
            total += seconds or 0.0
        return total

    def wait_seconds(self) -> float:
        now = {pid: run_queue_wait_seconds(pid) for pid in self.pids()}
        for pid, last in self._last_wait.items():
            if pid not in now or now[pid] < last:  # ended (or its pid taken by a new one)
                self._ended_wait += last
        self._last_wait = now
        return self._ended_wait + sum(now.values())

    def nice_levels(self) -> str:
        """The group's threads' nice levels: "-5", or "-5..0" when they differ."""
        levels = set().union(*(thread_nice_levels(pid) for pid in self.pids()))
        if not levels:
            return "-"
        low, high = min(levels), max(levels)
        return str(low) if low == high else f"{low}..{high}"


@dataclass
class Sample:
    at: float  # wall clock
    busy: float  # box CPU seconds (cumulative)
    steal: float
    total: float
    cpu: dict[str, float]  # per group, cumulative
    wait: dict[str, float]


@dataclass
class Usage:
    """CPU over a window; shares in percent of ONE core unless named `box`."""

    seconds: float
    box_busy_pct: float  # of all CPUs
    steal_pct: float  # of all CPUs
    cores_busy: float
    group_pct: dict[str, float]  # of one core
    group_peak_pct: dict[str, float]  # the busiest one-second sample, of one core
    group_wait_ms_per_s: dict[str, float]  # run-queue wait
    others_pct: float  # of one core: box busy minus the groups
    top_others: list[tuple[str, float]] = field(default_factory=list)  # (process, % of a core)


class BoxMonitor:
    def __init__(self, groups: list[Group], every: float = 1.0) -> None:
        self.groups = groups
        self.every = every
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="box-monitor", daemon=True)
        self._start_processes: dict[int, tuple[str, float]] = {}
        self._end_processes: dict[int, tuple[str, float]] = {}
        self.nice_levels: dict[str, str] = {}  # per group, as the kernel had them at the end

    def start(self) -> None:
        self._start_processes = all_process_cpu()
        self.samples.append(self._sample())
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self._sample())
        self.nice_levels = {group.name: group.nice_levels() for group in self.groups}
        self._end_processes = all_process_cpu()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(self._sample())

    def _sample(self) -> Sample:
        busy, steal, total = box_ticks()
        return Sample(
            at=time.time(),
            busy=busy,
            steal=steal,
            total=total,
            cpu={g.name: g.cpu_seconds() for g in self.groups},
            wait={g.name: g.wait_seconds() for g in self.groups},
        )

    def usage(self, start: float | None = None, end: float | None = None) -> Usage | None:
        """CPU between two wall-clock instants (default: the whole monitored time)."""
        inside = [
            s
            for s in self.samples
            if (start is None or s.at >= start - self.every / 2)
            and (end is None or s.at <= end + self.every / 2)
        ]
        if len(inside) < 2:
            return None
        first, last = inside[0], inside[-1]
        seconds = last.at - first.at
        if seconds <= 0:
            return None
        capacity = last.total - first.total or seconds * CPUS
        ours = 0.0
        group_pct, peak, wait = {}, {}, {}
        for group in self.groups:
            used = last.cpu[group.name] - first.cpu[group.name]
            ours += used
            group_pct[group.name] = 100 * used / seconds
            wait[group.name] = 1000 * (last.wait[group.name] - first.wait[group.name]) / seconds
            peak[group.name] = max(
                (
                    100 * (b.cpu[group.name] - a.cpu[group.name]) / (b.at - a.at)
                    for a, b in itertools.pairwise(inside)
                    if b.at > a.at
                ),
                default=0.0,
            )
        busy = last.busy - first.busy
        usage = Usage(
            seconds=seconds,
            box_busy_pct=100 * busy / capacity,
            steal_pct=100 * (last.steal - first.steal) / capacity,
            cores_busy=busy / seconds,
            group_pct=group_pct,
            group_peak_pct=peak,
            group_wait_ms_per_s=wait,
            others_pct=max(0.0, 100 * (busy - ours) / seconds),
        )
        if start is None and end is None and self._end_processes:
            usage.top_others = self._top_others(seconds)
        return usage

    def _top_others(self, seconds: float, count: int = 5) -> list[tuple[str, float]]:
        ours = {pid for group in self.groups for pid in group.pids()}
        ours.add(os.getpid())
        used = []
        for pid, (name, cpu) in self._end_processes.items():
            if pid in ours:
                continue
            before = self._start_processes.get(pid)
            # a pid reused by another program: count the new one from its start
            spent = cpu - before[1] if before is not None and before[0] == name else cpu
            if spent > 0:
                used.append((describe(pid, name), 100 * spent / seconds))
        return sorted(used, key=lambda item: item[1], reverse=True)[:count]
