from datetime import UTC, datetime, timedelta

from iot_ingest.domain.time_windows import SHANGHAI, DaytimeWindow

WINDOW = DaytimeWindow()


def test_daytime_is_judged_in_shanghai_time() -> None:
    # 23:30 UTC is 07:30 the next morning in Shanghai
    assert WINDOW.is_daytime(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    assert WINDOW.is_night(datetime(2026, 3, 1, 14, 0, tzinfo=UTC))  # 22:00 local


def test_daytime_between_skips_the_night() -> None:
    start = datetime(2026, 3, 1, 20, 0, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert WINDOW.daytime_between(start, end) == timedelta(hours=3)  # 20-21 and 07-09


def test_daytime_between_empty_interval() -> None:
    at = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    assert WINDOW.daytime_between(at, at) == timedelta(0)
    assert WINDOW.daytime_between(at, at - timedelta(hours=1)) == timedelta(0)
