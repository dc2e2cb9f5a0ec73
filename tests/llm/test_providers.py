"""OpenAI and Anthropic through their real SDKs against a scripted local server:
structured output, malformed output, timeouts, 429 retries, circuit breaking, streaming
and the fallback chain down to the offline provider."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.llm.base import ChatMessage, LLMRequest
from assistant.llm.chain import AllProvidersFailed, FallbackChain
from assistant.llm.factory import build_chain, language_model, provider_order
from assistant.understanding.context import ConversationContext
from assistant.understanding.frame import Frame
from assistant.understanding.service import IntentTask, intent_request, local_intent_provider
from tests.llm.scripted_server import Reply, ScriptedServer
from tests.llm.support import EVERY_FIELD, FRAME, every_field, fields_set, frame_models, model_reply, settings_for

PROVIDERS = ["openai", "anthropic"]


@pytest.fixture(autouse=True)
def _clean_environment(data_dir: Path) -> None:
    """Depend on the session's data dir: nothing configured from outside leaks in."""


def request_for(text: str) -> LLMRequest:
    from datetime import UTC, datetime

    return intent_request(IntentTask(text, ConversationContext(), datetime(2026, 11, 29, 9, tzinfo=UTC)))


def assert_strict(schema: object) -> None:
    """What OpenAI's strict structured outputs accept: closed objects whose properties are
    all required, and none of the keywords strict mode rejects."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            assert schema.get("additionalProperties") is False, schema
            assert set(schema.get("required", [])) == set(schema.get("properties", {})), schema
        assert not {"default", "minimum", "maximum", "patternProperties"} & set(schema), schema
        for value in schema.values():
            assert_strict(value)
    elif isinstance(schema, list):
        for value in schema:
            assert_strict(value)


def chain_for(settings: Settings) -> FallbackChain:
    return build_chain(settings, local_intent_provider(settings))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_structured_output_is_parsed_into_the_model(provider: str) -> None:
    with ScriptedServer([model_reply(provider)]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(request_for("plan it"), Frame)
    assert answer.provider == provider
    assert answer.value == FRAME
    assert answer.failures == []
    body = server.requests[0]["body"]
    if provider == "openai":
        assert server.requests[0]["path"] == "/v1/chat/completions"
        schema = body["response_format"]["json_schema"]
        assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
        assert set(schema["schema"]["required"]) >= {"act", "ask", "services", "target", "clarification"}
        assert_strict(schema["schema"])
        assert body["messages"][0]["role"] == "system"
    else:
        assert server.requests[0]["path"] == "/v1/messages"
        assert body["tool_choice"] == {"type": "tool", "name": "record_request_frame"}
        assert {"act", "target", "message", "event"} <= set(body["tools"][0]["input_schema"]["properties"])
    assert "plan it" in str(body["messages"])


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_malformed_output_falls_back_to_local_without_retrying(provider: str) -> None:
    broken = (
        Reply(content='{"act": "create", "services": ["calendar"], "tar')
        if provider == "openai"
        else Reply(tool_input={"act": "create", "services": "calendar"})
    )
    with ScriptedServer([broken]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(
            request_for("schedule a meeting with sarah tomorrow at 3pm"), Frame
        )
    assert answer.provider == "local"
    assert answer.value.services[0] == "calendar" and answer.value.act == "create"
    assert answer.value.event is not None and answer.value.event.start is not None
    assert [name for name, _ in answer.failures] == [provider]
    assert "fit Frame" in answer.failures[0][1]
    assert len(server.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_timeout_falls_back_to_local(provider: str) -> None:
    slow = model_reply(provider)
    slow.delay = 3.0
    with ScriptedServer([slow]) as server:
        settings = settings_for(provider, server, llm_timeout_seconds=0.3)
        started = time.monotonic()
        answer = await chain_for(settings).generate(request_for("any emails from tom"), Frame)
        elapsed = time.monotonic() - started
    assert answer.provider == "local"
    assert (answer.value.services[0], answer.value.act) == ("gmail", "find")
    assert "timed out" in answer.failures[0][1]
    assert elapsed < 2.0  # one attempt: a timeout is not retried
    assert len(server.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_is_retried_with_backoff(provider: str) -> None:
    with ScriptedServer([Reply(status=429), Reply(status=429), model_reply(provider)]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(request_for("plan it"), Frame)
    assert answer.provider == provider and answer.value == FRAME
    assert len(server.requests) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_on_every_attempt_falls_back(provider: str) -> None:
    with ScriptedServer([Reply(status=429)]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(request_for("emails from tom"), Frame)
    assert answer.provider == "local"
    assert "429" in answer.failures[0][1]
    assert len(server.requests) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_circuit_opens_after_repeated_failures(provider: str) -> None:
    with ScriptedServer([Reply(status=500)]) as server:
        settings = settings_for(provider, server, llm_max_attempts=1, llm_circuit_failures=2)
        chain = chain_for(settings)
        for _ in range(2):
            answer = await chain.generate(request_for("emails from tom"), Frame)
            assert answer.provider == "local"
        assert len(server.requests) == 2
        assert language_model(settings, provider).breaker.state == "open"
        answer = await chain.generate(request_for("emails from tom"), Frame)
    assert answer.provider == "local"
    assert "circuit open" in answer.failures[0][1]
    assert len(server.requests) == 2  # the open circuit sent nothing


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_answers_stream_piece_by_piece(provider: str) -> None:
    request = LLMRequest(system="Answer briefly.", messages=[ChatMessage("user", "hi")])
    with ScriptedServer([Reply(pieces=["Hel", "lo ", "there"])]) as server:
        streamed = await chain_for(settings_for(provider, server)).stream(request)
        pieces = [piece async for piece in streamed.pieces]
    assert streamed.provider == provider
    assert pieces == ["Hel", "lo ", "there"]
    assert server.requests[0]["body"]["stream"] is True


async def test_secondary_answers_when_primary_fails() -> None:
    with ScriptedServer([Reply(status=503)]) as broken, ScriptedServer([model_reply("anthropic")]) as working:
        settings = settings_for(
            "openai",
            broken,
            llm_max_attempts=2,
            anthropic_api_key="sk-ant-test-key",
            anthropic_base_url=working.url,
        )
        assert provider_order(settings) == ["openai", "anthropic", "local"]
        answer = await chain_for(settings).generate(request_for("plan it"), Frame)
        request = LLMRequest(system="Answer briefly.", messages=[ChatMessage("user", "hi")])
        working.script = [Reply(pieces=["fine"])]
        streamed = await chain_for(settings).stream(request)
        pieces = [piece async for piece in streamed.pieces]
    assert answer.provider == "anthropic" and answer.value == FRAME
    assert [name for name, _ in answer.failures] == ["openai"]
    assert len(broken.requests) >= 2
    assert streamed.provider == "anthropic" and pieces == ["fine"]


async def test_streaming_with_no_provider_left_is_a_clear_error() -> None:
    with ScriptedServer([Reply(status=500)]) as server:
        settings = settings_for("openai", server, llm_max_attempts=1)
        request = LLMRequest(system="Answer.", messages=[ChatMessage("user", "hi")], task=None)
        with pytest.raises(AllProvidersFailed) as failure:
            await chain_for(settings).stream(request)
    assert [name for name, _ in failure.value.failures] == ["openai", "local"]


def test_provider_order_follows_the_configuration() -> None:
    assert provider_order(Settings()) == ["local"]
    both = Settings(openai_api_key="sk-a-key-for-tests", anthropic_api_key="sk-ant-key-for-tests")
    assert provider_order(both) == ["openai", "anthropic", "local"]
    assert provider_order(both.model_copy(update={"llm_provider": "anthropic"})) == ["anthropic", "openai", "local"]
    assert provider_order(both.model_copy(update={"llm_provider": "local"})) == ["local"]
    # An OpenAI-compatible server (Ollama, vLLM) may need no key: naming the provider is enough.
    compatible = Settings(llm_provider="openai", openai_base_url="http://127.0.0.1:11434/v1")
    assert provider_order(compatible) == ["openai", "local"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_model_sees_the_conversation(provider: str) -> None:
    from datetime import UTC, datetime

    from assistant.understanding.context import Turn
    from assistant.understanding.frame import Selection
    from assistant.understanding.schema import ItemRef

    context = ConversationContext(
        turns=[
            Turn(
                role="user",
                text="emails about the budget",
                frame=Frame(services=["gmail"], target=Selection(service="gmail", topic="budget")),
            ),
            Turn(
                role="assistant",
                text="",
                items=[
                    ItemRef(service="gmail", id="m1", title="Budget draft", position=1),
                    ItemRef(service="gmail", id="m2", title="Re: numbers", position=2),
                ],
            ),
        ]
    )
    task = IntentTask("reply to the second one", context, datetime(2026, 11, 29, 9, tzinfo=UTC))
    with ScriptedServer([model_reply(provider)]) as server:
        await chain_for(settings_for(provider, server)).generate(intent_request(task), Frame)
    prompt = prompt_of(server.requests[0]["body"])
    assert "user: emails about the budget" in prompt
    # The earlier request as it was understood: its frame, without the defaults.
    assert 'understood as {"services":["gmail"],"target":{"service":"gmail","topic":"budget"}}' in prompt
    assert "item 2: [gmail] Re: numbers (id m2)" in prompt
    assert "Request: reply to the second one" in prompt
    assert "2026-11-29T09:00:00+00:00" in prompt


def prompt_of(body: dict) -> str:
    """The text of the user's message as the SDK sent it."""
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n".join(block.get("text", "") for block in content)


def sent_schema(provider: str, body: dict) -> dict:
    """The output schema the SDK sent: OpenAI's response format, Anthropic's tool input."""
    if provider == "openai":
        return body["response_format"]["json_schema"]["schema"]
    return body["tools"][0]["input_schema"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_frame_with_every_field_set_round_trips_through_the_sdk(provider: str) -> None:
    # The frame is the contract with the model: every field of every part (the message, the
    # event, the share, the refinement, the condition, the also-selections, people with their
    # roles, order, count, every, flags, picks, series, the question back) is asked for in
    # the schema the SDK sends, and comes back from the SDK's structured output unchanged.
    assert every_field() - fields_set(EVERY_FIELD) == set()  # the frame below sets them all
    with ScriptedServer([model_reply(provider, EVERY_FIELD)]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(
            request_for("reply to Sarah's latest about the budget"), Frame
        )
    assert (answer.provider, answer.failures) == (provider, [])
    assert answer.value == EVERY_FIELD
    assert answer.value.model_dump(mode="json") == EVERY_FIELD.model_dump(mode="json")

    schema = sent_schema(provider, server.requests[0]["body"])
    parts = {part["title"]: part for part in [schema, *schema.get("$defs", {}).values()]}
    for name, model in frame_models().items():
        assert set(parts[name]["properties"]) == set(model.model_fields), name
        if provider == "openai":
            assert set(parts[name]["required"]) == set(model.model_fields), name


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_answer_outside_the_frame_falls_back_to_local(provider: str) -> None:
    # Values the frame does not allow are malformed output, not a frame with guesses in it.
    wrong = EVERY_FIELD.model_dump(mode="json")
    wrong["target"]["order"] = "newest"
    wrong["target"]["people"][0]["role"] = "sender"
    reply = Reply(content=json.dumps(wrong)) if provider == "openai" else Reply(tool_input=wrong)
    with ScriptedServer([reply]) as server:
        answer = await chain_for(settings_for(provider, server)).generate(request_for("emails from tom"), Frame)
    assert answer.provider == "local"
    assert "fit Frame" in answer.failures[0][1]
    assert len(server.requests) == 1
