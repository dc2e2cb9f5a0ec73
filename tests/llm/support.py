"""Shared by the LLM and understanding tests: a valid intent draft, and settings that
point the real SDKs at a scripted server."""

from __future__ import annotations

from assistant.core.settings import Settings
from assistant.understanding.schema import DraftStep, IntentDraft
from tests.llm.scripted_server import Reply, ScriptedServer

DRAFT = IntentDraft(
    services=["calendar"],
    operations=["create"],
    steps=[DraftStep(service="calendar", operation="create", description="add the event", depends_on=[])],
    people=["Sarah"],
    when=None,
    new_time="next tuesday at 3pm",
    topic=None,
    subject=None,
    event_title="planning",
    file_name=None,
    body=None,
    place=None,
    item_ordinals=[],
    refers_to_previous=False,
    confidence=0.9,
    clarification=None,
    slots=IntentDraft.slots_from({"person": ["Sarah"], "date": ["next tuesday"], "time": ["3pm"]}),
)


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


def model_reply(provider: str, draft: IntentDraft = DRAFT) -> Reply:
    if provider == "openai":
        return Reply(content=draft.model_dump_json())
    return Reply(tool_input=draft.model_dump(mode="json"))
