"""POST /query over HTTP: the event stream, follow-ups, and inputs refused in one shape."""

from __future__ import annotations

import httpx

from tests.api.conftest import ApiUser, ask, done_of


def test_cross_service_query_streams_intent_plan_steps_tokens_done(api_url: str, alex: ApiUser) -> None:
    events, _ = ask(api_url, alex, "emails about the budget from Sarah and my meetings with her next week")
    names = [e.name for e in events]
    assert names[:2] == ["intent", "plan"]
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert set(events[0].data["intent"]["frame"]["services"]) == {"gmail", "calendar"}
    plan = events[1].data
    assert {s["service"] for s in plan["steps"]} == {"gmail", "calendar"}
    assert len(plan["levels"]) == 1  # both searches run at once

    # Each step starts, then finishes; all steps end before the first token; done is last.
    step_ids = {s["id"] for s in plan["steps"]}
    started = [e.data["step"]["id"] for e in events if e.name == "step_started"]
    finished = [e.data["step"]["id"] for e in events if e.name == "step_finished"]
    assert set(started) == set(finished) == step_ids
    for step_id in step_ids:
        assert names.index("step_started") <= min(
            i for i, e in enumerate(events) if e.data.get("step", {}).get("id") == step_id
        )
    first_token = names.index("token")
    last_step = max(i for i, name in enumerate(names) if name.startswith("step_"))
    assert last_step < first_token
    assert names[-1] == "done" and names.count("done") == 1
    assert set(names[first_token:-1]) == {"token"}

    done = done_of(events)
    assert "".join(e.data["text"] for e in events if e.name == "token").strip() == done["answer"]
    assert any("Q4 Financial Review" in s["title"] for s in done["sources"] if s["service"] == "gmail")
    assert [s["number"] for s in done["sources"]] == list(range(1, len(done["sources"]) + 1))
    gmail_step = next(e for e in events if e.name == "step_finished" and e.data["step"]["service"] == "gmail")
    assert gmail_step.data["status"] == "ok" and gmail_step.data["items"]


def test_follow_up_by_conversation_id(api_url: str, alex: ApiUser) -> None:
    first, _ = ask(api_url, alex, "emails from Tom Becker")
    shown = done_of(first)
    conversation_id = shown["conversation_id"]
    assert len(shown["sources"]) >= 2
    second = shown["sources"][1]

    events, _ = ask(api_url, alex, "reply to the second one saying thanks", conversation_id=conversation_id)
    done = done_of(events)
    assert done["conversation_id"] == conversation_id
    required = [e for e in events if e.name == "action_required"]
    assert len(required) == 1
    action = required[0].data["action"]
    assert action["operation"] == "reply" and action["status"] == "pending"
    assert action["target_id"] == second["id"]
    assert [a["id"] for a in done["actions"]] == [action["id"]]
    assert "undo_data" not in action and "user_id" not in action

    history = httpx.get(f"{api_url}/conversations/{conversation_id}", headers=alex.headers).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "user", "assistant"]
    assert history["messages"][1]["sources"][1]["id"] == second["id"]
    listed = httpx.get(f"{api_url}/conversations", headers=alex.headers).json()["conversations"]
    assert listed[0]["id"] == conversation_id  # the most recently updated first


def test_an_unknown_conversation_is_404_before_anything_runs(api_url: str, alex: ApiUser) -> None:
    response = httpx.post(
        f"{api_url}/query",
        json={"text": "and Drive?", "conversation_id": "00000000-0000-4000-8000-000000000000"},
        headers=alex.headers,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def _post(api_url: str, user: ApiUser, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(f"{api_url}/query", content=content, headers=user.headers | {"Content-Type": content_type})


def test_bad_input_gets_a_clear_4xx_in_one_shape(api_url: str, alex: ApiUser) -> None:
    cases = {
        b'{"text": "emails from Sarah"': (400, "invalid_json", None),
        b'{"text": "emails from Sarah", "verbose": true}': (422, "validation_error", "verbose"),
        b'{"text": "emails\\u0000 from Sarah"}': (422, "validation_error", "text"),
        b'{"text": "   "}': (422, "validation_error", "text"),
        b'{"text": "' + b"a" * 4001 + b'"}': (422, "validation_error", "text"),
        b'{"text": 42}': (422, "validation_error", "text"),
        b'{"conversation_id": "not-a-uuid", "text": "hi"}': (422, "validation_error", "conversation_id"),
        b'{"text": "' + b"a" * 40_000 + b'"}': (413, "body_too_large", None),
    }
    for body, (status, code, field) in cases.items():
        response = _post(api_url, alex, body)
        assert response.status_code == status, (body[:60], response.text)
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"} and error["code"] == code and error["message"], error
        if field is not None:
            assert [d["field"] for d in error["details"]] == [field], error


def test_get_routes_are_not_shadowed_by_the_chat_ui_and_the_spec_lists_them(api_url: str) -> None:
    spec = httpx.get(f"{api_url}/openapi.json").json()
    for path in (
        "/query",
        "/actions/{action_id}/confirm",
        "/conversations",
        "/conversations/{conversation_id}",
        "/sync",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path
    response = httpx.get(f"{api_url}/conversations")
    assert response.status_code == 401 and response.headers["content-type"] == "application/json"
    assert "swagger" in httpx.get(f"{api_url}/docs").text.lower()
