"""Realistic-enough readings for one bed: vitals with slow drift and rare episodes, sleep at
night, activity by day, and now and then a fall or an SOS. Pure: time and randomness passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from iot_ingest.domain.time_windows import DEFAULT_DAYTIME


@dataclass
class BedSimulator:
    bed_id: str
    rng: random.Random
    heart_rate: float = 72.0
    respiration: float = 16.0
    spo2: float = 97.0
    body_temp: float = 36.6
    episode_left: int = 0  # readings left in a tachycardia episode
    seqs: dict[str, int] = field(default_factory=dict)

    def _next_seq(self, device: str) -> int:
        seq = self.seqs.get(device, 0)
        self.seqs[device] = seq + 1
        return seq

    def _reading(self, device: str, ts: datetime, metric: str, value: float) -> dict[str, Any]:
        return {
            "seq": self._next_seq(device),
            "ts": ts.isoformat(),
            "metric": metric,
            "value": round(value, 1),
        }

    def vitals(self, now: datetime, count: int, spacing: timedelta) -> list[dict[str, Any]]:
        """`count` readings of the vital-signs monitor ending at `now`."""
        rng = self.rng
        if self.episode_left == 0 and rng.random() < 0.002:
            self.episode_left = 120
        out: list[dict[str, Any]] = []
        for i in range(count):
            ts = now - spacing * (count - 1 - i)
            target = 128.0 if self.episode_left > 0 else 72.0
            self.episode_left = max(0, self.episode_left - 1)
            self.heart_rate += (target - self.heart_rate) * 0.1 + rng.gauss(0, 1.5)
            self.respiration += (16 - self.respiration) * 0.1 + rng.gauss(0, 0.4)
            self.spo2 = min(100.0, self.spo2 + (97 - self.spo2) * 0.2 + rng.gauss(0, 0.3))
            self.body_temp += (36.6 - self.body_temp) * 0.05 + rng.gauss(0, 0.02)
            metric, value = [
                ("heart_rate", self.heart_rate),
                ("respiration_rate", self.respiration),
                ("spo2", self.spo2),
                ("body_temp", self.body_temp),
            ][i % 4]
            out.append(self._reading("monitor", ts, metric, value))
        return out

    def mattress(self, now: datetime) -> list[dict[str, Any]]:
        night = DEFAULT_DAYTIME.is_night(now)
        in_bed = 1.0 if (night and self.rng.random() > 0.01) or self.rng.random() < 0.1 else 0.0
        readings = [self._reading("mattress", now, "bed_presence", in_bed)]
        if in_bed:
            readings.append(
                self._reading(
                    "mattress",
                    now,
                    "sleep_state",
                    float(self.rng.choice([1, 2, 2, 3])) if night else 0.0,
                )
            )
        return readings

    def motion(self, now: datetime) -> list[dict[str, Any]]:
        chance = 0.05 if DEFAULT_DAYTIME.is_night(now) else 0.6
        return [self._reading("motion", now, "motion", 1.0 if self.rng.random() < chance else 0.0)]

    def maybe_event(self, rate_per_tick: float = 0.0005) -> str | None:
        roll = self.rng.random()
        if roll < rate_per_tick:
            return "fall_detected"
        if roll < 2 * rate_per_tick:
            return "sos_pressed"
        return None
