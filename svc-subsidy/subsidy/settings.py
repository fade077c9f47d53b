"""Settings of svc-subsidy (env prefix HOMEBED_SUBSIDY_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_SUBSIDY_", extra="ignore")

    service_name: str = "svc-subsidy"
    database_url: str = "sqlite+aiosqlite:///var/svc-subsidy.db"
    consumer_group: str = "svc-subsidy"  # intake.beds.v1 and records.visits.v1
    # Amounts the seeds leave open, per jurisdiction and rule kind (JSON in the env), e.g.
    # {"341800": {"operating": {"monthly_rate_fen": 31000}},
    #  "330326": {"voucher_settlement": {"monthly_voucher_fen": 30000, "hourly_value_fen": 6000}}}
    rule_configuration: dict[str, dict[str, dict[str, int]]] = Field(default_factory=dict)
    # the homebed_subsidy_* gauges: settlements and the trial balance, and (a rerun of the
    # reconciliation's checks over every bed of a jurisdiction) the anomalies
    metrics_seconds: float = Field(default=30.0, gt=0)
    anomaly_metrics_seconds: float = Field(default=900.0, gt=0)
