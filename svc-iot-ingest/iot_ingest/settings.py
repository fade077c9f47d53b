"""Settings of svc-iot-ingest (env prefix HOMEBED_IOT_INGEST_)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings

ProcessRole = Literal["all", "alarm-lane", "telemetry-lane", "worker"]

# What each process of the production layout runs (README "Running"), unless its own settings
# say otherwise. The alarm lane answers device events and people and runs the alarm loops; the
# telemetry lane takes the devices' readings; the worker runs the telemetry consumers. Relays
# other than the alarm lane's poll rarely: their own events wake them at once, and each poll
# takes the one-relay-per-database lock (see worker.py).
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "all": {},
    "alarm-lane": {"rules_enabled": False, "storage_enabled": False, "outbox_poll_seconds": 1.0},
    "telemetry-lane": {
        "rules_enabled": False,
        "storage_enabled": False,
        "loops_enabled": False,
        "outbox_poll_seconds": 30.0,
        "warm_connections": 1,
    },
    "worker": {"loops_enabled": False, "outbox_poll_seconds": 30.0, "warm_connections": 0},
}


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_IOT_INGEST_", extra="ignore")

    service_name: str = "svc-iot-ingest"
    database_url: str = "sqlite+aiosqlite:///var/svc-iot-ingest.db"
    # which part of the service this process runs (ROLE_DEFAULTS); `all`: everything, one process
    role: ProcessRole = "all"
    # the processes share one outbox, and alarm events go express (sent by the process that
    # committed them): a relay's poll leaves them alone for this long (its own commits' rounds
    # take everything), else each poll would publish the ones in flight elsewhere a second time
    outbox_poll_min_age_seconds: float = Field(default=5.0, ge=0)
    # the query ping is three round trips per transaction, a third of a fall's (chassis.db)
    database_ping: Literal["query", "socket"] = "socket"

    # telemetry lane caps and per-device rate limit (requests per second, burst)
    telemetry_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    telemetry_max_readings: int = Field(default=1000, ge=1)
    telemetry_rate_per_device: float = Field(default=20.0, gt=0)
    telemetry_burst_per_device: float = Field(default=40.0, ge=1)
    telemetry_ack_timeout_seconds: float = Field(default=10.0, gt=0)
    telemetry_linger_ms: int = Field(default=5, ge=0)
    telemetry_fast_path: bool = True  # raw ASGI for POST /v1/telemetry (see api/fast_path.py)
    device_cache_seconds: float = Field(default=30.0, ge=0)

    # background loops
    beds_group: str = "svc-iot-ingest"
    rules_group: str = "svc-iot-ingest-rules"
    storage_group: str = "svc-iot-ingest-storage"
    # a brand-new consumer group starts at the end: alerting on old telemetry helps nobody
    telemetry_start_latest: bool = True
    rules_enabled: bool = True
    loops_enabled: bool = True  # escalation and liveness loops
    storage_enabled: bool = True
    monitor_tick_seconds: float = Field(default=30.0, gt=0)
    escalation_poll_seconds: float = Field(default=1.0, gt=0)
    liveness_poll_seconds: float = Field(default=15.0, gt=0)
    seq_flush_seconds: float = Field(default=1.0, gt=0)
    stream_poll_seconds: float = Field(default=0.5, gt=0)
    # the alarm lane answers with a Server-Timing header (api/server_timing.py): benchmarks
    server_timing: bool = False
    # before serving, open this many database connections and prepare the alarm lane's
    # queries on each (a cold connection costs the first falls tens of milliseconds)
    warm_connections: int = Field(default=5, ge=0, le=50)
    # freeze the import-time heap and enlarge the young generation once started (gc_tuning.py);
    # off for in-process test apps, which share the interpreter with the test runner
    gc_tuning: bool = True

    @model_validator(mode="after")
    def _role_defaults(self) -> Settings:
        for name, value in ROLE_DEFAULTS[self.role].items():
            if name not in self.model_fields_set:
                setattr(self, name, value)
        return self
