import json
from pathlib import Path
from typing import Any

import pytest

from homebed_schemas.asyncapi import ASYNCAPI_FILE, json_pointer
from homebed_schemas.export import DEFAULT_SCHEMAS_DIR
from homebed_schemas.topics import TOPICS

JsonObject = dict[str, Any]


def _load(path: Path) -> JsonObject:
    document: JsonObject = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def doc() -> JsonObject:
    return _load(DEFAULT_SCHEMAS_DIR / ASYNCAPI_FILE)


def _resolve_pointer(document: Any, fragment: str) -> Any:
    """Follow an RFC 6901 pointer (`/a/b`); KeyError when a step is missing."""
    node = document
    for raw in fragment.removeprefix("/").split("/") if fragment else []:
        step = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(ref: str, document: JsonObject, base_dir: Path) -> Any:
    file_part, _, fragment = ref.partition("#")
    if file_part:
        target = base_dir / file_part
        assert target.is_file(), f"$ref {ref!r} names a missing file"
        document = _load(target)
    return _resolve_pointer(document, fragment)


def test_version_and_info(doc: JsonObject) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    assert doc["defaultContentType"] == "application/json"


def test_every_topic_and_its_dlq_is_a_channel_with_partitions(doc: JsonObject) -> None:
    channels = doc["channels"]
    assert set(channels) == {spec.name for spec in TOPICS} | {spec.dlq for spec in TOPICS}
    for spec in TOPICS:
        for address in (spec.name, spec.dlq):
            assert channels[address]["address"] == address
            assert channels[address]["bindings"]["kafka"]["partitions"] == spec.partitions


def test_every_channel_has_messages(doc: JsonObject) -> None:
    for name, channel in doc["channels"].items():
        assert channel["messages"], f"channel {name} has no messages"


def test_channels_carry_one_message_per_event_type(doc: JsonObject) -> None:
    for spec in TOPICS:
        if spec.events:
            assert set(doc["channels"][spec.name]["messages"]) == set(spec.events)
        # A DLQ carries whatever its source topic carries.
        assert doc["channels"][spec.dlq]["messages"] == doc["channels"][spec.name]["messages"]


def test_messages_describe_the_key_and_point_at_their_schema(doc: JsonObject) -> None:
    for spec in TOPICS:
        for event_type, ref in doc["channels"][spec.name]["messages"].items():
            message = _resolve(ref["$ref"], doc, DEFAULT_SCHEMAS_DIR)
            assert message["name"] == event_type
            assert spec.key in message["bindings"]["kafka"]["key"]["description"]
            payload = _resolve(message["payload"]["$ref"], doc, DEFAULT_SCHEMAS_DIR)
            if spec.events:
                assert payload["properties"]["type"]["const"] == event_type


def test_the_producer_sends_on_its_topic(doc: JsonObject) -> None:
    operations = doc["operations"]
    for spec in TOPICS:
        sends = [
            op
            for op in operations.values()
            if op["channel"]["$ref"] == json_pointer("channels", spec.name)
        ]
        assert len(sends) == 1, spec.name
        (send,) = sends
        assert send["action"] == "send"
        assert send["tags"] == [{"name": spec.producer}]
        assert send["bindings"]["kafka"]["clientId"]["enum"] == [spec.producer]


def test_operation_messages_belong_to_the_operation_channel(doc: JsonObject) -> None:
    for name, operation in doc["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        assert operation["messages"], name
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), name


def test_every_ref_resolves(doc: JsonObject) -> None:
    refs = _refs(doc)
    assert refs
    for ref in refs:
        assert _resolve(ref, doc, DEFAULT_SCHEMAS_DIR) is not None, ref


def test_every_ref_inside_the_schema_files_resolves() -> None:
    schema_files = sorted(DEFAULT_SCHEMAS_DIR.rglob("*.json"))
    assert len(schema_files) > 3
    for path in schema_files:
        schema = _load(path)
        for ref in _refs(schema):
            assert _resolve(ref, schema, path.parent) is not None, f"{path}: {ref}"


def test_json_pointer_escapes_slash_and_tilde() -> None:
    assert json_pointer("channels", "a/b~c") == "#/channels/a~1b~0c"
    assert _resolve_pointer({"a/b~c": 1}, json_pointer("a/b~c").removeprefix("#")) == 1
