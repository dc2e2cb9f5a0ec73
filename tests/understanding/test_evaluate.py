"""`concierge eval intent`: the JSON it prints and its handling of bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.settings import PROJECT_ROOT

PROJECT_SET = PROJECT_ROOT / "tests" / "data" / "intents_project.jsonl"
MASSIVE_DEV = PROJECT_ROOT.parent / "shared" / "eval" / "intents_dev.jsonl"

ROWS = [
    {
        "text": "any emails from sarah about the budget",
        "service": "gmail",
        "operations": ["search", "read"],
        "slots": {"person": ["sarah"]},
    },
    {
        "text": "cancel my meeting tomorrow",
        "service": "calendar",
        "operations": ["delete"],
        "slots": {"date": ["tomorrow"]},
    },
    {
        "text": "share the roadmap doc with tom",
        "service": "drive",
        "operations": ["share"],
        "slots": {"person": ["tom"]},
    },
    # Labelled wrongly on purpose: the evaluation must count it as a miss.
    {
        "text": "schedule a call with anna on friday",
        "service": "gmail",
        "operations": ["delete"],
        "slots": {"person": ["anna"], "date": ["on friday"]},
    },
    {
        "text": "reply to the second one",
        "service": "gmail",
        "operations": ["reply"],
        "slots": {},
        "context": [
            {
                "text": "emails from tom",
                "items": [{"service": "gmail", "id": "a", "title": "A"}, {"service": "gmail", "id": "b", "title": "B"}],
            }
        ],
    },
]


def run_eval(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> dict:
    assert main(["eval", "intent", "--data", str(path), "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def test_scores_a_labelled_file(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
    result = run_eval(path, capsys)
    assert result["n"] == 5 and result["provider"] == "local" and result["errors"] == 0
    assert result["intent_accuracy"] == 0.8
    assert result["service_accuracy"] == 0.8 and result["operation_accuracy"] == 0.8
    # "on friday" is found as "friday" (containment), but not exactly.
    assert result["slot_recall"] == {"date": 1.0, "person": 1.0}
    assert result["slot_recall_exact"]["date"] == 0.5
    assert result["slot_support"] == {"date": 2, "person": 3}
    assert 0 < result["p50_ms"] <= result["p95_ms"]


def test_a_bad_line_is_reported_with_its_number(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + '{"text": "no service"}\n')
    with pytest.raises(SystemExit, match=r"bad.jsonl:2: needs a text and a service"):
        main(["eval", "intent", "--data", str(path)])
    path.write_text("not json\n")
    with pytest.raises(SystemExit, match=r"bad.jsonl:1:"):
        main(["eval", "intent", "--data", str(path)])
    path.write_text(json.dumps({**ROWS[0], "slots": {"person": "sarah"}}) + "\n")
    with pytest.raises(SystemExit, match=r"bad.jsonl:1: slots must map"):
        main(["eval", "intent", "--data", str(path)])
    with pytest.raises(SystemExit, match=r"missing.jsonl: cannot read"):
        main(["eval", "intent", "--data", str(tmp_path / "missing.jsonl")])


def test_project_set_scores_hold(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A regression floor on the project-owned labelled set (the measured numbers are in
    the README of tests/data)."""
    result = run_eval(PROJECT_SET, capsys)
    assert result["n"] >= 150
    assert result["intent_accuracy"] >= 0.88
    assert result["slot_recall"]["person"] >= 0.9 and result["slot_recall"]["date"] >= 0.85
    assert result["clarification_recall"] >= 0.5


@pytest.mark.skipif(
    not MASSIVE_DEV.exists() and not os.environ.get("CI"),
    reason="../shared/eval is not beside the repository (CI always has it: there this fails instead)",
)
def test_massive_dev_scores_hold(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_eval(MASSIVE_DEV, capsys)
    assert result["intent_accuracy"] >= 0.95
    assert result["slot_recall"]["date"] >= 0.9


def test_evaluates_a_language_model_through_its_sdk(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.understanding.frame import Frame, PersonRef, Selection
    from tests.conftest import reset_settings
    from tests.llm.scripted_server import Reply, ScriptedServer

    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in ROWS[:2]) + "\n")
    gmail = Frame(
        act="find",
        services=["gmail"],
        target=Selection(service="gmail", people=[PersonRef(name="sarah", role="from")]),
        confidence=0.9,
    )
    with ScriptedServer([Reply(content=gmail.model_dump_json())]) as server:
        monkeypatch.setenv("CONCIERGE_OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("CONCIERGE_OPENAI_API_KEY", "sk-test-eval-key")
        reset_settings()
        try:
            result = run_eval(path, capsys, "--provider", "openai")
        finally:
            monkeypatch.undo()
            reset_settings()
    assert result["provider"] == "openai" and result["errors"] == 0
    assert result["intent_accuracy"] == 0.5  # the scripted model says "find in gmail" to both
    assert result["service_accuracy"] == 0.5 and result["operation_accuracy"] == 0.5
    # Spans are the offline tagger's: a language model's frame holds no spans.
    assert result["slot_recall"]["person"] == 1.0
    assert len(server.requests) == 3  # the warm-up and the two requests


def test_a_language_model_that_is_not_configured_is_a_clear_error(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n")
    assert main(["eval", "intent", "--data", str(path), "--provider", "anthropic"]) == 2
    assert "needs ANTHROPIC_API_KEY" in capsys.readouterr().err
