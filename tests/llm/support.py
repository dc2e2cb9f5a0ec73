"""Shared by the LLM and understanding tests: valid request frames (what a language model's
structured output is), and settings that point the real SDKs at a scripted server."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from assistant.core.settings import Settings
from assistant.understanding.frame import (
    Condition,
    EventSpec,
    Frame,
    Message,
    PersonRef,
    Refinement,
    Selection,
    Share,
)
from assistant.understanding.schema import Clarification
from tests.llm.scripted_server import Reply, ScriptedServer

#: "plan the planning meeting with Sarah next tuesday at 3pm", as a model fills it.
FRAME = Frame(
    act="create",
    services=["calendar"],
    target=Selection(service="calendar"),
    event=EventSpec(title="planning", start="next tuesday at 3pm", attendees=["Sarah"]),
    confidence=0.9,
)
#: The name tests written before frames import (the scripted model's answer).
DRAFT = FRAME

#: A frame with every field of every part set to something other than its default: what
#: goes through an SDK's structured output must come back unchanged, field for field.
EVERY_FIELD = Frame(
    act="reply",
    ask="summary",
    services=["gmail", "calendar", "drive"],
    target=Selection(
        service="gmail",
        kinds=["email", "invoice"],
        title="Q4 Financial Review",
        topic="the \u201cbudget\u201d numbers, r\u00e9sum\u00e9 included",
        people=[
            PersonRef(name="Sarah", role="from"),
            PersonRef(name="tom@acme.com", role="to"),
            PersonRef(name="my manager", role="cc"),
            PersonRef(name="Priya", role="with"),
        ],
        time="last week",
        order="latest",
        count=3,
        every=True,
        unread=True,
        starred=True,
        has_attachment=True,
        sent_by_me=True,
        received=True,
        labels=["Finance", "To do"],
        picks=[2, -1],
        previous=True,
        series="following",
    ),
    also=[
        Selection(
            service="calendar",
            kinds=["event"],
            title="1:1",
            people=[PersonRef(name="Sarah", role="with")],
            time="next week",
            order="next",
            count=1,
            series="all",
        ),
        Selection(service="drive", kinds=["spreadsheet", "pdf"], topic="forecast", order="earliest"),
    ],
    message=Message(
        to=["Sarah", "daniel@acme.com"],
        cc=["Tom"],
        subject="Re: Q4 'numbers'",
        body='Thanks \u2014 the deploy is "green".\nSee you Thursday.',
        quoted=True,
        reply_all=True,
        draft=True,
        link=True,
    ),
    event=EventSpec(
        title="Design Crit",
        start="Thursday at 1pm",
        keep_time=True,
        when_free=True,
        duration_minutes=90,
        shift_minutes=-15,
        all_day=True,
        attendees=["Priya", "olivia@acme.com"],
        uninvited=["Daniel"],
        location="Room 4",
        zone="London",
        recurrence="every Monday",
    ),
    share=Share(
        people=["Tom", "olivia@acme.com"], role="commenter", access="set", message="Comments by Friday, please"
    ),
    rename="Design Crit v2",
    refine=Refinement(kind="narrow"),
    condition=Condition(
        kind="no_meeting_with",
        people=["Sarah"],
        time="that day",
        other=Selection(service="calendar", title="Q4 review"),
    ),
    out_of_reach="send_as_other",
    clarification=Clarification(kind="person", question="Which Sarah do you mean?", options=["Sarah Chen", "Sarah Li"]),
    confidence=0.75,
)


def fields_set(model: BaseModel) -> set[str]:
    """Every field ("Model.field") that holds something other than its default in `model`
    or in a part inside it, at any depth."""
    found: set[str] = set()
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if field.is_required() or value != field.get_default(call_default_factory=True):
            found.add(f"{type(model).__name__}.{name}")
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, BaseModel):
                found |= fields_set(part)
    return found


def every_field() -> set[str]:
    """Every field ("Model.field") of the frame and of each of its parts."""
    return {f"{name}.{field}" for name, model in frame_models().items() for field in model.model_fields}


def frame_models(model: type[BaseModel] = Frame) -> dict[str, type[BaseModel]]:
    """The frame's model and every model its fields hold, by name."""
    found = {model.__name__: model}
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            if inner.__name__ not in found:
                found |= frame_models(inner)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in getattr(annotation, "__args__", ()) for model in _models_in(argument)]


def settings_for(provider: str, server: ScriptedServer, **overrides: object) -> Settings:
    keys: dict[str, object] = (
        {"openai_api_key": "sk-test-openai-key", "openai_base_url": f"{server.url}/v1"}
        if provider == "openai"
        else {"anthropic_api_key": "sk-ant-test-key", "anthropic_base_url": server.url}
    )
    values = {
        "llm_provider": provider,
        "llm_timeout_seconds": 2.0,
        "llm_max_attempts": 3,
        "llm_retry_backoff_seconds": 0.01,
        "llm_circuit_failures": 3,
        "llm_circuit_reset_seconds": 60.0,
        **keys,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def model_reply(provider: str, frame: Frame = FRAME) -> Reply:
    """A model's structured answer: JSON text for OpenAI, a tool call's input for Anthropic.
    Every field is in it, as strict structured output gives them."""
    if provider == "openai":
        return Reply(content=frame.model_dump_json())
    return Reply(tool_input=frame.model_dump(mode="json"))
