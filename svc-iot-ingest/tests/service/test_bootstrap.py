"""The composition root wires what the settings ask for (nothing connects until started)."""

from iot_ingest.bootstrap import create_app
from iot_ingest.settings import Settings


def test_the_telemetry_consumers_and_loops_are_registered(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, rules_group="r", storage_group="s")
    app = create_app(settings)
    runtime = app.state.runtime
    assert [c.group_id for c in app.state.telemetry_consumers] == ["r", "s"]
    assert [t.__name__ for t in runtime.kafka_background] == [
        "consumer-r",
        "consumer-s",
        "warm_up_with_kafka",
    ]
    assert [t.__name__ for t in runtime.background] == [
        "flush_seen",
        "escalations",
        "connectivity",
        "event_loop_lag",
    ]
    assert [p.name for p in runtime.extra_producers] == ["telemetry"]


def test_the_worker_runs_only_what_is_enabled(sqlite_url: str) -> None:
    settings = Settings(
        database_url=sqlite_url, rules_enabled=False, storage_group="s", loops_enabled=False
    )
    app = create_app(settings, http=False)
    runtime = app.state.runtime
    assert [t.__name__ for t in runtime.kafka_background] == ["consumer-s"]
    assert [t.__name__ for t in runtime.background] == ["event_loop_lag"]


def test_each_process_role_runs_its_part(sqlite_url: str) -> None:
    # README "Running": the alarm lane, the telemetry lane and the worker of one deployment
    alarm_lane = create_app(Settings(database_url=sqlite_url, role="alarm-lane"))
    assert alarm_lane.state.telemetry_consumers == []
    assert [t.__name__ for t in alarm_lane.state.runtime.background] == [
        "flush_seen",
        "escalations",
        "connectivity",
        "event_loop_lag",
    ]
    telemetry_lane = create_app(Settings(database_url=sqlite_url, role="telemetry-lane"))
    assert telemetry_lane.state.telemetry_consumers == []
    assert [t.__name__ for t in telemetry_lane.state.runtime.background] == [
        "flush_seen",
        "event_loop_lag",
    ]
    assert telemetry_lane.state.settings.outbox_poll_seconds == 30.0
    worker = create_app(Settings(database_url=sqlite_url, role="worker"), http=False)
    assert [c.group_id for c in worker.state.telemetry_consumers] == [
        "svc-iot-ingest-rules",
        "svc-iot-ingest-storage",
    ]
    assert [t.__name__ for t in worker.state.runtime.background] == ["event_loop_lag"]


def test_a_setting_given_outright_wins_over_the_role(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, role="worker", outbox_poll_seconds=0.5)
    assert settings.outbox_poll_seconds == 0.5
    assert settings.loops_enabled is False  # the role's, not given
