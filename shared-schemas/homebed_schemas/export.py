"""Write (or check) the checked-in contracts under `shared-schemas/schemas/`.

    python -m homebed_schemas.export            # regenerate the files (make schemas)
    python -m homebed_schemas.export --check    # exit 1 and list what is stale, missing, extra

The output is deterministic (sorted keys, two-space indent, `\\n` line ends, trailing newline),
so a contract change shows up in review as a plain diff and nothing else does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homebed_schemas.asyncapi import ASYNCAPI_FILE, build_asyncapi
from homebed_schemas.json_schemas import build_json_schemas

# The package lives in shared-schemas/homebed_schemas; the files go next to it.
DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
REGENERATE_HINT = "run `make schemas` (python -m homebed_schemas.export) and commit the result"


def render_json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Every generated file's text, by its `/`-separated path relative to the schemas dir."""
    files = {path: render_json(schema) for path, schema in build_json_schemas().items()}
    files[ASYNCAPI_FILE] = render_json(build_asyncapi())
    return dict(sorted(files.items()))


def _existing_files(schemas_dir: Path) -> set[str]:
    if not schemas_dir.is_dir():
        return set()
    return {
        path.relative_to(schemas_dir).as_posix()
        for path in schemas_dir.rglob("*")
        if path.is_file()
    }


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Drift:
    """How the checked-in files differ from what the models produce."""

    stale: list[str]
    missing: list[str]
    extra: list[str]

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.extra)

    def report(self) -> str:
        kinds = {"stale": self.stale, "missing": self.missing, "extra": self.extra}
        return "\n".join(f"{kind}: {path}" for kind, paths in kinds.items() for path in paths)


def _drift(schemas_dir: Path, expected: dict[str, str]) -> Drift:
    existing = _existing_files(schemas_dir)
    return Drift(
        stale=[p for p in expected if p in existing and _read(schemas_dir / p) != expected[p]],
        missing=[p for p in expected if p not in existing],
        extra=sorted(existing - expected.keys()),
    )


def check(schemas_dir: Path = DEFAULT_SCHEMAS_DIR) -> Drift:
    return _drift(schemas_dir, expected_files())


def write(schemas_dir: Path = DEFAULT_SCHEMAS_DIR) -> Drift:
    """Bring the directory in line with the models; returns what had to change."""
    expected = expected_files()
    drift = _drift(schemas_dir, expected)
    for relative in drift.stale + drift.missing:
        target = schemas_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="\n") as out:
            out.write(expected[relative])
    for relative in drift.extra:
        (schemas_dir / relative).unlink()
    _remove_empty_dirs(schemas_dir)
    return drift


def _remove_empty_dirs(schemas_dir: Path) -> None:
    # Deepest first, so a topic dir emptied of its last event type goes too.
    for directory in sorted(schemas_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m homebed_schemas.export",
        description="Export the JSON Schemas and the AsyncAPI document of every event.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 when the files are out of date"
    )
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_SCHEMAS_DIR, help="schemas directory to write/check"
    )
    args = parser.parse_args(argv)
    schemas_dir: Path = args.dir
    if args.check:
        drift = check(schemas_dir)
        if drift.clean:
            print(f"schemas up to date: {schemas_dir}")
            return 0
        print(f"schemas out of date in {schemas_dir}:\n{drift.report()}", file=sys.stderr)
        print(REGENERATE_HINT, file=sys.stderr)
        return 1
    drift = write(schemas_dir)
    print(drift.report() or "nothing changed")
    print(f"schemas written: {schemas_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
