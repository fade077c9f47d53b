"""The ops dashboards as code (grafana-foundation-sdk): golden signals per service, IoT and
alarms, the event backbone, service levels. `python deploy/grafana/dashboards.py` writes
deploy/grafana/dashboards/*.json; `--check` fails when the checked-in files differ (make test).

Why grafana-foundation-sdk and not grafanalib: it is Grafana Labs' own SDK, generated from
Grafana's schemas for each Grafana release (10.x, 11.x, 12.x) and released with them, with typed
builders for every panel kind; grafanalib is a community project whose last release (0.7.1) is
from January 2024 and trails Grafana's panel model.

Services need no line for their golden signals: that dashboard takes its `$service` choices from
the `service` label of the chassis metrics, so every service Prometheus scrapes
(deploy/prometheus/prometheus.yml) appears there. A service's own metrics get panels of their
own: IoT in `iot()`, svc-notify in `notify()`, the service levels, subsidies (svc-subsidy) and
referrals (svc-referral) in `business()`.

Gauges a service computes from its database (beds, reports, settlements, referrals) are the same
in every replica: their panels take `max by`, never `sum by`, so two replicas do not double them.

Queries on counters that only exist once something happened (an alarm, a dead letter, a missed
day) end in `or vector(0)`: the panel shows 0 instead of "No data", and tests/test_prometheus_scrape
checks that each such metric is known to the real Prometheus (its metadata), so a typo still fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="homebed-prometheus")
SERVICE = '{service=~"$service"}'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    # a counter or gauge that exists only after an event: show 0 rather than no data
    zero_when_absent: bool = False

    @property
    def promql(self) -> str:
        return f"({self.expr}) or vector(0)" if self.zero_when_absent else self.expr


def _targets(queries: tuple[Query, ...]) -> list[prometheus.Dataquery]:
    return [
        prometheus.Dataquery()
        .expr(q.promql)
        .legend_format(q.legend or "__auto")
        .ref_id(chr(ord("A") + i))
        .datasource(DATASOURCE)
        for i, q in enumerate(queries)
    ]


def graph(
    title: str, *queries: Query, unit: str = "short", description: str = "", width: int = 12
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(8)
        .span(width)
        .fill_opacity(10)
    )
    if description:
        panel = panel.description(description)
    for target in _targets(queries):
        panel = panel.with_target(target)
    return panel


def single(
    title: str, query: Query, *, unit: str = "short", description: str = "", width: int = 6
) -> stat.Panel:
    panel = stat.Panel().title(title).unit(unit).datasource(DATASOURCE).height(5).span(width)
    if description:
        panel = panel.description(description)
    return panel.with_target(_targets((query,))[0])


def _base(uid: str, title: str, description: str) -> db.Dashboard:
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["homebed"])
        .timezone("Asia/Shanghai")
        .time("now-6h", "now")
        .refresh("30s")
        .readonly()
    )


def rate(metric: str, by: str, selector: str = "", window: str = "5m") -> str:
    return f"sum by ({by}) (rate({metric}{selector}[{window}]))"


def increase(metric: str, by: str, window: str, selector: str = "") -> str:
    return f"sum by ({by}) (increase({metric}{selector}[{window}]))"


def quantile(q: float, metric: str, by: str, selector: str = "", window: str = "5m") -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{selector}[{window}])))"


def golden_signals() -> db.Dashboard:
    five_xx = 'service=~"$service", status=~"5.."'
    requests = rate("homebed_http_requests_total", "service", SERVICE)
    return (
        _base(
            "homebed-golden-signals",
            "HomeBed · Golden signals",
            "Rate, errors, latency and saturation of every service (chassis metrics), and the "
            "gateway's view of its upstreams. Runbooks: docs/runbooks/.",
        )
        .with_variable(
            db.QueryVariable("service")
            .label("service")
            .datasource(DATASOURCE)
            .query("label_values(homebed_http_requests_total, service)")
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(model.VariableSort.ALPHABETICAL_ASC)
        )
        .with_row(db.Row("Up and dependencies"))
        .with_panel(
            graph(
                "Scrape up (1 = answering /metrics)",
                Query('up{job="homebed"}', "{{app}}"),
                description="Alert HomeBedServiceDown.",
            )
        )
        .with_panel(
            graph(
                "Dependencies reachable (readiness)",
                Query(f"homebed_dependency_up{SERVICE}", "{{service}} → {{dependency}}"),
                description="Alert HomeBedDependencyDown.",
            )
        )
        .with_row(db.Row("Rate and errors"))
        .with_panel(graph("Requests per second", Query(requests, "{{service}}"), unit="reqps"))
        .with_panel(
            graph(
                "5xx share of requests",
                Query(
                    f"(sum by (service) (rate(homebed_http_requests_total{{{five_xx}}}[5m]))"
                    f" or {requests} * 0) / {requests}",
                    "{{service}}",
                ),
                unit="percentunit",
                description="Alert HomeBedHighErrorRate at 5%.",
            )
        )
        .with_row(db.Row("Latency"))
        .with_panel(
            graph(
                "p50 latency",
                Query(
                    quantile(0.5, "homebed_http_request_duration_seconds", "service", SERVICE),
                    "{{service}}",
                ),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "p99 latency",
                Query(
                    quantile(0.99, "homebed_http_request_duration_seconds", "service", SERVICE),
                    "{{service}}",
                ),
                unit="s",
                description="Alert HomeBedHighLatency above 1 s.",
            )
        )
        .with_row(db.Row("Saturation"))
        .with_panel(
            graph(
                "Requests in flight",
                Query(
                    f"sum by (service) (homebed_http_requests_in_flight{SERVICE})", "{{service}}"
                ),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Event-loop lag p99",
                Query(
                    quantile(0.99, "homebed_event_loop_lag_seconds", "service", SERVICE),
                    "{{service}}",
                ),
                unit="s",
                width=8,
                description="How late the event loop's timers fire: a starved or blocked "
                "process. Alert HomeBedEventLoopStalled above 100 ms.",
            )
        )
        .with_panel(
            graph(
                "GC pauses per second",
                Query(
                    rate("homebed_gc_pause_seconds_count", "service, generation", SERVICE),
                    "{{service}} gen {{generation}}",
                ),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Database pool: connections in use / pool size",
                Query(
                    f"sum by (service) (homebed_db_pool_in_use{SERVICE})"
                    f" / sum by (service) (homebed_db_pool_size{SERVICE})",
                    "{{service}}",
                ),
                unit="percentunit",
                width=24,
                description="Above 100% the pool runs on overflow connections (as many again); "
                "requests then wait for a connection.",
            )
        )
        .with_row(db.Row("Gateway → upstreams"))
        .with_panel(
            graph(
                "Gateway requests by upstream and status",
                Query(
                    rate("homebed_gateway_requests_total", "upstream, status"),
                    "{{upstream}} {{status}}",
                    zero_when_absent=True,
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Gateway p99 by upstream",
                Query(
                    quantile(0.99, "homebed_gateway_request_duration_seconds", "upstream"),
                    "{{upstream}}",
                    zero_when_absent=True,
                ),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Circuit breakers (0 closed, 1 half-open, 2 open)",
                Query("max by (upstream) (homebed_gateway_breaker_state)", "{{upstream}}"),
                description="Alert HomeBedGatewayUpstreamOpen.",
            )
        )
        .with_panel(
            graph(
                "Upstream failures, rate-limited and refused credentials",
                Query(
                    rate("homebed_gateway_upstream_failures_total", "upstream, kind"),
                    "failure {{upstream}} {{kind}}",
                ),
                Query(
                    rate("homebed_gateway_rate_limited_total", "kind"),
                    "429 {{kind}}",
                ),
                Query(
                    rate("homebed_gateway_auth_failures_total", "scheme, reason"),
                    "401 {{scheme}} {{reason}}",
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Refused by the role rules, retried, refused by an open breaker",
                Query(
                    rate("homebed_gateway_forbidden_total", "route, role"),
                    "403 {{route}} {{role}}",
                ),
                Query(
                    rate("homebed_gateway_upstream_retries_total", "upstream"),
                    "retry {{upstream}}",
                ),
                Query(
                    rate("homebed_gateway_breaker_rejections_total", "upstream"),
                    "503 breaker {{upstream}}",
                ),
                unit="reqps",
                width=24,
                description="403: a role the route table does not let in (the service checks "
                "again); retries: idempotent requests tried again after a failure; 503: "
                "answered at once while the upstream's breaker is open.",
            )
        )
    )


def iot() -> db.Dashboard:
    return (
        _base(
            "homebed-iot",
            "HomeBed · IoT and alarms",
            "Devices, telemetry and the alarm path of svc-iot-ingest: the 15-minute arrival of "
            "001 §四(三)2.",
        )
        .with_row(db.Row("Ingest"))
        .with_panel(
            graph(
                "Readings per second by outcome",
                Query(
                    rate("homebed_iot_readings_total", "outcome"),
                    "{{outcome}}",
                ),
                unit="reqps",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Refused readings by reason",
                Query(
                    rate("homebed_iot_readings_refused_total", "reason"),
                    "{{reason}}",
                ),
                unit="reqps",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Telemetry POSTs by result",
                Query(
                    rate("homebed_iot_telemetry_batches_total", "result"),
                    "{{result}}",
                ),
                unit="reqps",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Devices going offline / coming back (per hour)",
                Query(
                    increase("homebed_iot_device_connectivity_total", "change", "1h"),
                    "{{change}}",
                ),
                description="Alert HomeBedDevicesDroppingOffline: more than 20 in 15 minutes.",
            )
        )
        .with_panel(
            graph(
                "Devices offline now, by provider",
                Query(
                    "max by (provider_id) (homebed_iot_devices_offline)",
                    "{{provider_id}}",
                    zero_when_absent=True,
                ),
                description="Active devices silent past their type's heartbeat, counted by the "
                "connectivity check (iot-ingest's worker loop, not the telemetry or alarm lane).",
            )
        )
        .with_panel(
            graph(
                "Rule-engine signals and failures (per hour)",
                Query(
                    increase("homebed_iot_rule_signals_total", "rule, kind", "1h"),
                    "{{rule}} {{kind}}",
                    zero_when_absent=True,
                ),
                Query(
                    increase("homebed_iot_rule_engine_failures_total", "service", "1h"),
                    "failures",
                ),
                description="Alert HomeBedRuleEngineFailing on any failure.",
            )
        )
        .with_row(db.Row("Alarms (001 §四(三)2: on site within 15 minutes)"))
        .with_panel(
            graph(
                "Alarms raised by type (per hour)",
                Query(
                    increase("homebed_iot_alarms_raised_total", "alarm_type", "1h"),
                    "{{alarm_type}}",
                ),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Time to acknowledge p50 / p90",
                Query(
                    quantile(0.5, "homebed_iot_alarm_time_to_ack_seconds", "alarm_type", "", "1h"),
                    "p50 {{alarm_type}}",
                ),
                Query(
                    quantile(0.9, "homebed_iot_alarm_time_to_ack_seconds", "alarm_type", "", "1h"),
                    "p90 {{alarm_type}}",
                ),
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Time to arrival p50 / p90 (the rule: 900 s)",
                Query(
                    quantile(
                        0.5, "homebed_iot_alarm_time_to_arrival_seconds", "alarm_type", "", "1h"
                    ),
                    "p50 {{alarm_type}}",
                ),
                Query(
                    quantile(
                        0.9, "homebed_iot_alarm_time_to_arrival_seconds", "alarm_type", "", "1h"
                    ),
                    "p90 {{alarm_type}}",
                ),
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "15-minute breaches by provider and type (per hour)",
                Query(
                    increase(
                        "homebed_iot_alarms_sla_breached_total", "provider_id, alarm_type", "1h"
                    ),
                    "{{provider_id}} {{alarm_type}}",
                    zero_when_absent=True,
                ),
                description="Alarms with nobody on site within 15 minutes. Alert "
                "HomeBedAlarmArrivalLate on each; the alarms: GET /v1/alarms?sla_breached=true.",
            )
        )
        .with_panel(
            graph(
                "Alarms resolved by outcome (per hour)",
                Query(
                    increase("homebed_iot_alarms_resolved_total", "alarm_type, outcome", "1h"),
                    "{{alarm_type}} {{outcome}}",
                ),
            )
        )
    )


def backbone() -> db.Dashboard:
    return (
        _base(
            "homebed-backbone",
            "HomeBed · Event backbone",
            "Kafka consumers, the transactional outboxes and the dead-letter topics.",
        )
        .with_row(db.Row("Consumers"))
        .with_panel(
            graph(
                "Consumer lag by group and partition",
                Query(
                    "sum by (group, topic, partition) (homebed_kafka_consumer_lag)",
                    "{{group}} {{topic}}[{{partition}}]",
                ),
                description="Alerts HomeBedConsumerLagHigh, HomeBedConsumerLagGrowing.",
            )
        )
        .with_panel(
            graph(
                "Consumed per second by group and outcome",
                Query(
                    rate("homebed_kafka_consumed_total", "group, outcome"),
                    "{{group}} {{outcome}}",
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Handler time p99 by group",
                Query(
                    quantile(0.99, "homebed_kafka_handle_duration_seconds", "group"),
                    "{{group}}",
                ),
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Dead letters (per hour)",
                Query(
                    increase("homebed_kafka_dlq_total", "service, topic", "1h"),
                    "{{service}} {{topic}}.dlq",
                ),
                description="Alert HomeBedDeadLetters. `python -m chassis.dlq list --topic …`.",
            )
        )
        .with_row(db.Row("Outbox and relay"))
        .with_panel(
            graph(
                "Outbox backlog",
                Query("sum by (service) (homebed_outbox_backlog)", "{{service}}"),
                description="Alert HomeBedOutboxBacklogGrowing.",
            )
        )
        .with_panel(
            graph(
                "Outbox oldest event age",
                Query("max by (service) (homebed_outbox_oldest_age_seconds)", "{{service}}"),
                unit="s",
                description="Alert HomeBedOutboxStale above 60 s.",
            )
        )
        .with_panel(
            graph(
                "Published per second by topic (relay and express)",
                Query(
                    rate("homebed_kafka_produced_total", "service, topic"),
                    "{{service}} → {{topic}}",
                ),
                Query(
                    rate("homebed_outbox_express_total", "service, outcome"),
                    "express {{service}} {{outcome}}",
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Relay errors: failed produce attempts",
                Query(
                    rate("homebed_kafka_produce_errors_total", "service, topic"),
                    "{{service}} → {{topic}}",
                ),
                unit="reqps",
                description="Alert HomeBedKafkaProduceErrors.",
            )
        )
        .with_panel(
            graph(
                "Producers replaced (Kafka refused their sequence)",
                Query(
                    increase("homebed_kafka_producer_replaced_total", "service, producer", "1h"),
                    "{{service}} {{producer}}",
                ),
                description=(
                    "An idempotent producer whose sequence Kafka refused for good (e.g. "
                    "OutOfOrderSequenceNumber after a broker restart) is replaced by a fresh one "
                    "(chassis.kafka.healing). One after a broker restart is expected; a steady "
                    "rate means the producers and the brokers disagree: see the runbook "
                    "HomeBedKafkaProduceErrors."
                ),
            )
        )
    )


def business() -> db.Dashboard:
    return (
        _base(
            "homebed-business",
            "HomeBed · Service levels",
            "What the seeds require of providers and of the platform: the 15-minute arrival "
            "(001 §四(三)2), the daily visit and the monthly minimums (001 §四(三)3), the T+1 "
            "report (000 §三(二)), the platform update of a bed's end (001 §四(六)); beds by county "
            "and status. Subsidies join when svc-subsidy "
            "exports its metrics.",
        )
        .with_row(db.Row("Beds"))
        .with_panel(
            graph(
                "Beds by county and status",
                Query(
                    "max by (region_code, status) (homebed_beds)",
                    "{{region_code}} {{status}}",
                    zero_when_absent=True,
                ),
                width=16,
                description="From svc-reporting's supervision read model (intake.beds.v1), "
                "refreshed by its delivery job; county = the first 6 digits of GB/T 2260.",
            )
        )
        .with_panel(
            graph(
                "Bed ends overdue for the platform update, by provider and county",
                Query(
                    "max by (provider_id, region_code) (homebed_bed_updates_overdue)",
                    "{{provider_id}} {{region_code}}",
                    zero_when_absent=True,
                ),
                width=8,
                description="撤床/转养 past the 5-working-day deadline (001 §四(六)) that no "
                "report taken by the city platform carries yet. Alert HomeBedPlatformUpdateOverdue.",
            )
        )
        .with_row(db.Row("15-minute arrival (001 §四(三)2)"))
        .with_panel(
            single(
                "Alarms on time, last 24 h",
                Query(
                    "1 - sum(increase(homebed_iot_alarms_sla_breached_total[1d]))"
                    " / clamp_min(sum(increase(homebed_iot_alarms_raised_total[1d])), 1)",
                    zero_when_absent=True,
                ),
                unit="percentunit",
                description="Share of the day's alarms with someone on site within 15 "
                "minutes. Alert HomeBedAlarmArrivalBreachRateHigh below 95%.",
            )
        )
        .with_panel(
            single(
                "15-minute breaches, last 24 h",
                Query(
                    "sum(increase(homebed_iot_alarms_sla_breached_total[1d]))",
                    zero_when_absent=True,
                ),
            )
        )
        .with_panel(
            graph(
                "15-minute breaches by provider, last 24 h",
                Query(
                    increase("homebed_iot_alarms_sla_breached_total", "provider_id", "1d"),
                    "{{provider_id}}",
                    zero_when_absent=True,
                ),
            )
        )
        .with_row(db.Row("Visits vs minimums (001 §四(三)3)"))
        .with_panel(
            graph(
                "Bed-days without a verified visit, by provider (per day)",
                Query(
                    increase("homebed_records_missed_days_total", "provider_id", "1d"),
                    "{{provider_id}}",
                    zero_when_absent=True,
                ),
                description="每日上门服务不少于 1 次. Alert HomeBedDailyVisitMissed.",
            )
        )
        .with_panel(
            graph(
                "minimum.breached by rule (per day)",
                Query(
                    increase("homebed_records_minimum_breaches_total", "rule", "1d"),
                    "{{rule}}",
                ),
                description="daily_visit, monthly_hours (30 hours a month, pro-rated), "
                "medic_biweekly. Alert HomeBedServiceMinimumBreached.",
            )
        )
        .with_row(db.Row("T+1 report to the city platform (000 §三(二))"))
        .with_panel(
            graph(
                "Report days late, by provider",
                Query(
                    "max by (provider_id) (homebed_city_reports_late)",
                    "{{provider_id}}",
                    zero_when_absent=True,
                ),
                width=8,
                description="Not acknowledged by 24:00 of T+1. Alert HomeBedCityReportLate.",
            )
        )
        .with_panel(
            graph(
                "Batches failing delivery, by provider",
                Query(
                    "max by (provider_id) (homebed_city_reports_failed)",
                    "{{provider_id}}",
                    zero_when_absent=True,
                ),
                width=8,
                description="Alert HomeBedCityReportFailing after 30 minutes.",
            )
        )
        .with_panel(
            graph(
                "Delivery attempts by outcome (per hour)",
                Query(
                    increase("homebed_city_report_attempts_total", "outcome", "1h"),
                    "{{outcome}}",
                    zero_when_absent=True,
                ),
                width=8,
            )
        )
        .with_row(db.Row("Subsidy settlement (001 §四(七), 002 §八, 004 §二(四)3)"))
        .with_panel(
            graph(
                "Settlements by status",
                Query(
                    "sum by (status) (max by (jurisdiction, status) (homebed_subsidy_settlements))",
                    "{{status}}",
                ),
                width=8,
                description="Every month's settlements of every provider: draft → submitted "
                "(maker) → approved (checker, not the submitter) → paid.",
            )
        )
        .with_panel(
            graph(
                "Waiting for approval, by jurisdiction",
                Query(
                    'max by (jurisdiction) (homebed_subsidy_settlements{status="submitted"})',
                    "{{jurisdiction}}",
                ),
                width=8,
                description="Submitted settlements no second officer approved or rejected yet.",
            )
        )
        .with_panel(
            graph(
                "Oldest submission waiting, by jurisdiction",
                Query(
                    "max by (jurisdiction) (homebed_subsidy_oldest_submission_age_seconds)",
                    "{{jurisdiction}}",
                ),
                unit="s",
                width=8,
                description="Alert HomeBedSettlementAwaitingApproval after 7 days.",
            )
        )
        .with_panel(
            graph(
                "Latest month's subsidy by kind (approved and paid)",
                Query(
                    "sum by (jurisdiction, kind) (max by (jurisdiction, kind, status) "
                    '(homebed_subsidy_latest_month_fen{status=~"approved|paid"})) / 100',
                    "{{jurisdiction}} {{kind}}",
                ),
                unit="currencyCNY",
                width=8,
                description="Lines of each jurisdiction's latest settlement month, in yuan "
                "(the gauge is in fen); adjustments of earlier months count in the month "
                "that settles them.",
            )
        )
        .with_panel(
            graph(
                "Latest month still in draft or submitted, by kind",
                Query(
                    "sum by (jurisdiction, kind) (max by (jurisdiction, kind, status) "
                    '(homebed_subsidy_latest_month_fen{status=~"draft|submitted"})) / 100',
                    "{{jurisdiction}} {{kind}}",
                ),
                unit="currencyCNY",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Anomalies of the latest month, by kind",
                Query(
                    "max by (jurisdiction, kind) (homebed_subsidy_anomalies)",
                    "{{jurisdiction}} {{kind}}",
                ),
                width=8,
                description="duplicate_construction, two_active_beds, suspended_days_paid: "
                "GET /v1/subsidy-reports/reconciliation lists them (refreshed every 15 min).",
            )
        )
        .with_panel(
            single(
                "Ledger balanced (trial balance)",
                Query("min(homebed_subsidy_ledger_balanced)"),
                description="1: posted debits equal credits. Alert HomeBedLedgerUnbalanced on 0.",
            )
        )
        .with_panel(
            graph(
                "Trial balance: debits and credits posted",
                Query("max(homebed_subsidy_ledger_debits_fen) / 100", "debits"),
                Query("max(homebed_subsidy_ledger_credits_fen) / 100", "credits"),
                unit="currencyCNY",
                width=18,
            )
        )
        .with_row(db.Row("Referrals (000 §三(五))"))
        .with_panel(
            graph(
                "Open referrals by path and status",
                Query(
                    "max by (path, status) (homebed_referral_referrals"
                    '{status=~"requested|received|accepted|in_progress|on_hold"})',
                    "{{path}} {{status}}",
                ),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Steps past their deadline, by path and step",
                Query(
                    "max by (path, step) (homebed_referral_steps_overdue)",
                    "{{path}} {{step}}",
                ),
                width=8,
                description="Open referrals whose current step (acknowledge, decide, start, "
                "complete) passed its working-day deadline; the sweep escalates each once "
                "(referral.deadline_missed).",
            )
        )
        .with_panel(
            graph(
                "Partner webhook deliveries by status",
                Query("max by (status) (homebed_referral_webhook_deliveries)", "{{status}}"),
                width=8,
                description="pending: retried with backoff; dead: given up, the partner missed "
                "a referral change.",
            )
        )
    )


def notify() -> db.Dashboard:
    return (
        _base(
            "homebed-notify",
            "HomeBed · Notifications",
            "svc-notify: who was told, by which channel, how fast; the escalation chains of "
            "alarms (001 §四(三)2: on site within 15 minutes) and the flood digests.",
        )
        .with_row(db.Row("Channels"))
        .with_panel(
            graph(
                "Channel attempts per second by channel and outcome",
                Query(
                    rate("homebed_notify_deliveries_total", "channel, outcome"),
                    "{{channel}} {{outcome}}",
                ),
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Failed share of attempts, by channel",
                Query(
                    'sum by (channel) (rate(homebed_notify_deliveries_total{outcome="failed"}[10m]))'
                    " / sum by (channel) (rate(homebed_notify_deliveries_total[10m]))",
                    "{{channel}}",
                ),
                unit="percentunit",
                description="Alert HomeBedNotifyChannelFailing above 20% for 10 minutes.",
            )
        )
        .with_row(db.Row("Deliveries"))
        .with_panel(
            graph(
                "Deliveries settled by status (per hour)",
                Query(
                    increase("homebed_notify_delivery_outcomes_total", "status", "1h"),
                    "{{status}}",
                ),
                width=8,
                description="sent, digested, failed, cancelled (acknowledged first), "
                "unroutable (nobody on call). Alert HomeBedNotificationsUndelivered.",
            )
        )
        .with_panel(
            graph(
                "Folded into flood digests (per hour)",
                Query(
                    'sum(increase(homebed_notify_delivery_outcomes_total{status="digested"}[1h]))',
                    "digested",
                ),
                width=8,
                description="Non-safety notifications of one recipient past the flood "
                "threshold, sent as one digest; falls, SOS and gas are never digested.",
            )
        )
        .with_panel(
            graph(
                "Undelivered (failed or unroutable, per hour)",
                Query(
                    "sum by (status) (increase(homebed_notify_delivery_outcomes_total"
                    '{status=~"failed|unroutable"}[1h]))',
                    "{{status}}",
                ),
                width=8,
            )
        )
        .with_row(db.Row("Speed"))
        .with_panel(
            graph(
                "Event to first delivery p50 / p99, safety and other",
                Query(
                    quantile(0.5, "homebed_notify_event_to_first_delivery_seconds", "safety"),
                    "p50 safety={{safety}}",
                ),
                Query(
                    quantile(0.99, "homebed_notify_event_to_first_delivery_seconds", "safety"),
                    "p99 safety={{safety}}",
                ),
                unit="s",
                description="From the event's time to the first channel that took it.",
            )
        )
        .with_panel(
            graph(
                "Alarm raise to acknowledgement p50 / p90",
                Query(
                    "histogram_quantile(0.5, sum by (le) "
                    "(rate(homebed_notify_time_to_acknowledgement_seconds_bucket[1h])))",
                    "p50",
                ),
                Query(
                    "histogram_quantile(0.9, sum by (le) "
                    "(rate(homebed_notify_time_to_acknowledgement_seconds_bucket[1h])))",
                    "p90",
                ),
                unit="s",
                description="As svc-notify saw it; an acknowledgement ends the escalation chain.",
            )
        )
        .with_row(db.Row("Escalation chains"))
        .with_panel(
            graph(
                "Escalation steps fired by step (per hour)",
                Query(
                    increase("homebed_notify_escalation_steps_total", "step", "1h"),
                    "step {{step}}",
                ),
                description="Step 1 when an alarm is raised (the on-call caregiver), 2 the duty "
                "manager, 3 the street office (iot-ingest's escalation policy). By alarm kind: "
                "sum by (step, kind).",
            )
        )
        .with_panel(
            graph(
                "Chains acknowledged and exhausted (per hour)",
                Query(
                    increase("homebed_notify_escalation_chains_total", "outcome", "1h"),
                    "{{outcome}}",
                ),
                description="exhausted: the chain reached its last step, the street office "
                "(nobody arrived within 15 minutes, 001 §四(三)2). Alert "
                "HomeBedAlarmChainExhausted.",
            )
        )
    )


DASHBOARDS = {
    "homebed-golden-signals": golden_signals,
    "homebed-iot": iot,
    "homebed-backbone": backbone,
    "homebed-business": business,
    "homebed-notify": notify,
}


def render(name: str) -> str:
    built = DASHBOARDS[name]().build()
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args(argv)
    stale = []
    OUT.mkdir(exist_ok=True)
    for name in DASHBOARDS:
        path = OUT / f"{name}.json"
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    expected = {f"{name}.json" for name in DASHBOARDS}
    extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in expected)
    if args.check and (stale or extra):
        print(
            f"stale dashboards {stale}, unknown {extra}: run python deploy/grafana/dashboards.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
