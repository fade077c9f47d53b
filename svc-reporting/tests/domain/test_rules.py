"""Pure rules: ID checksum, T+1 schedule and deadline, backoff, signatures, vocabulary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reporting.domain import signing
from reporting.domain.delivery import (
    backoff,
    deadline,
    displayed_status,
    due_days,
    latest_due_day,
    original_batch_id,
)
from reporting.domain.resident_id import valid_resident_id
from reporting.domain.vocabulary import fen_to_yuan, three_levels


def test_resident_id_checksum() -> None:
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")
    assert not valid_resident_id("12345")


def test_day_t_is_due_from_0100_shanghai_of_t_plus_1() -> None:
    # 2024-03-02 00:59 Shanghai = 2024-03-01 16:59 UTC
    assert latest_due_day(datetime(2024, 3, 1, 16, 59, tzinfo=UTC)) == date(2024, 2, 29)
    assert latest_due_day(datetime(2024, 3, 1, 17, 0, tzinfo=UTC)) == date(2024, 3, 1)


def test_late_after_2400_of_t_plus_1() -> None:
    day = date(2024, 3, 1)
    assert deadline(day) == datetime(2024, 3, 2, 16, 0, tzinfo=UTC)
    assert displayed_status("failed", day, deadline(day) - timedelta(seconds=1)) == "failed"
    assert displayed_status("failed", day, deadline(day)) == "late"
    assert displayed_status("acknowledged", day, deadline(day)) == "acknowledged"


def test_due_days_and_backoff_and_batch_ids() -> None:
    assert due_days(date(2024, 3, 1), date(2024, 3, 3), backfill_days=7) == [
        date(2024, 3, 1),
        date(2024, 3, 2),
        date(2024, 3, 3),
    ]
    assert due_days(date(2024, 1, 1), date(2024, 3, 3), backfill_days=2)[0] == date(2024, 3, 2)
    assert backoff(1, base_seconds=60, max_seconds=600) == timedelta(seconds=60)
    assert backoff(10, base_seconds=60, max_seconds=600) == timedelta(seconds=600)
    assert original_batch_id("p1", date(2024, 3, 1)) == original_batch_id("p1", date(2024, 3, 1))
    assert original_batch_id("p1", date(2024, 3, 1)) != original_batch_id("p2", date(2024, 3, 1))


def test_standard_webhooks_signature_round_trip() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = signing.headers(secret, msg_id="msg_1", timestamp=1_700_000_000, body=b"{}")
    assert signing.verify(secret, received=headers, body=b"{}", now=1_700_000_010)
    assert not signing.verify(secret, received=headers, body=b"{ }", now=1_700_000_010)
    assert not signing.verify(secret, received=headers, body=b"{}", now=1_700_000_400)
    assert not signing.verify("whsec_AAAA", received=headers, body=b"{}", now=1_700_000_010)


def test_spec_example_signature() -> None:
    # the example of the Standard Webhooks specification
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert (
        signing.sign(secret, msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body)
        == expected
    )


def test_vocabulary() -> None:
    assert three_levels("330102") == ("330000", "330100", "330102")
    assert three_levels("330102001") == ("330000", "330100", "330102")
    assert fen_to_yuan(80000) == "800.00"
    assert fen_to_yuan(5) == "0.05"


def test_within_region_reads_gb_t_2260_levels() -> None:
    from reporting.domain.supervision import within_region

    assert within_region("330111", "330100")
    assert within_region("330111", "330000")
    assert within_region("330110", "330110")
    assert not within_region("330111", "330110")  # 富阳 is not in 余杭
    assert not within_region("341802", "330000")
    assert within_region("330110001001", "330110001000")  # a village in its town
    assert not within_region("330110002001", "330110001000")
    assert within_region("330110001001", "330110000000")
    assert not within_region("330111001001", "330110000000")
