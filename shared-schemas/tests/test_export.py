import json
from functools import cache
from pathlib import Path

import pytest

from homebed_schemas.asyncapi import ASYNCAPI_FILE
from homebed_schemas.contracts import iter_event_types
from homebed_schemas.export import (
    DEFAULT_SCHEMAS_DIR,
    REGENERATE_HINT,
    check,
    expected_files,
    main,
    render_json,
    write,
)
from homebed_schemas.json_schemas import ENVELOPE_FILE, PROBLEM_FILE, event_schema_file
from homebed_schemas.reports.city_report import SCHEMA_FILE as CITY_REPORT_FILE


@cache
def generated() -> dict[str, str]:
    """The export's files, built once per test process: each build renders every contract
    (about a second), and the per-event tests below only read it."""
    return expected_files()


def test_checked_in_schemas_are_up_to_date() -> None:
    drift = check()
    assert drift.clean, (
        f"The checked-in contracts in {DEFAULT_SCHEMAS_DIR} differ from the models:\n"
        f"{drift.report()}\nFix: {REGENERATE_HINT}."
    )


def test_regenerate_hint_names_make_schemas() -> None:
    assert "make schemas" in REGENERATE_HINT


def test_export_is_deterministic_and_stably_formatted() -> None:
    first, second = expected_files(), expected_files()
    assert first == second
    assert list(first) == sorted(first)
    for path, text in first.items():
        assert text.endswith("}\n"), path
        assert "\r" not in text, path
        assert render_json(json.loads(text)) == text, f"{path} is not in canonical form"


def test_one_file_per_event_plus_envelope_problem_and_asyncapi() -> None:
    event_files = {event_schema_file(spec.name, e) for spec, e in iter_event_types()}
    reports = {CITY_REPORT_FILE}
    assert set(generated()) == event_files | reports | {
        ENVELOPE_FILE,
        PROBLEM_FILE,
        ASYNCAPI_FILE,
    }


@pytest.mark.parametrize(("topic", "event_type"), [(s.name, e) for s, e in iter_event_types()])
def test_event_schema_fixes_the_type_and_types_the_payload(topic: str, event_type: str) -> None:
    schema = json.loads(generated()[event_schema_file(topic, event_type)])
    properties = schema["properties"]
    assert properties["type"]["const"] == event_type
    payload_ref = properties["data"]["$ref"]
    assert payload_ref.startswith("#/$defs/")
    assert schema["$defs"][payload_ref.removeprefix("#/$defs/")]["type"] == "object"
    assert schema["additionalProperties"] is False
    # Producers always write every envelope field, so consumers may rely on them.
    assert {"id", "type", "version", "source", "subject", "time", "data"} <= set(schema["required"])


def test_check_reports_stale_missing_and_extra_files(tmp_path: Path) -> None:
    assert write(tmp_path).missing == list(expected_files())
    assert check(tmp_path).clean

    envelope = tmp_path / ENVELOPE_FILE
    envelope.write_text(envelope.read_text().replace('"title"', '"name"', 1))
    (tmp_path / PROBLEM_FILE).unlink()
    (tmp_path / "retired.v1").mkdir()
    (tmp_path / "retired.v1" / "thing.gone.json").write_text("{}\n")

    drift = check(tmp_path)
    assert drift.stale == [ENVELOPE_FILE]
    assert drift.missing == [PROBLEM_FILE]
    assert drift.extra == ["retired.v1/thing.gone.json"]
    assert drift.report().splitlines() == [
        f"stale: {ENVELOPE_FILE}",
        f"missing: {PROBLEM_FILE}",
        "extra: retired.v1/thing.gone.json",
    ]

    write(tmp_path)
    assert check(tmp_path).clean
    assert not (tmp_path / "retired.v1").exists()


def test_cli_check_fails_with_the_list_and_the_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"missing: {ENVELOPE_FILE}" in err
    assert "make schemas" in err

    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out
