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
