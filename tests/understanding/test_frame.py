"""The request frame's JSON schema is what a language model fills: strict structured output
needs every field listed as required and no defaults, at every level."""

from __future__ import annotations

from typing import Any

from openai.lib._pydantic import to_strict_json_schema

from assistant.understanding.frame import Frame, PersonRef, Selection


def objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema inside `schema` (the frame and each of its parts)."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema)
        for value in schema.values():
            found += objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += objects(value)
    return found


def test_every_part_of_the_frame_lists_every_field_as_required_without_defaults() -> None:
    parts = objects(Frame.model_json_schema())
    assert len(parts) >= 9  # the frame, selection, person, message, event, share, refinement, condition, question
    for part in parts:
        assert set(part["required"]) == set(part["properties"]), part.get("title")
        assert not [name for name, field in part["properties"].items() if "default" in field], part.get("title")


def test_the_openai_sdk_accepts_the_frame_as_a_strict_schema() -> None:
    strict = to_strict_json_schema(Frame)
    assert all(part.get("additionalProperties") is False for part in objects(strict))


def test_a_frame_round_trips_through_json() -> None:
    frame = Frame(
        act="delete",
        services=["calendar"],
        target=Selection(
            service="calendar", title="1:1", order="next", count=1, people=[PersonRef(name="Priya", role="with")]
        ),
    )
    assert Frame.model_validate_json(frame.model_dump_json()) == frame
