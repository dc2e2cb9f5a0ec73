"""Confirm (with edits), cancel and undo over HTTP, checked in the sandbox's mailboxes."""

from __future__ import annotations

import httpx

from tests.api.conftest import DANIEL, ApiUser, ask, done_of, unique_words
from tests.execution.conftest import ALEX, World, google


def _only_action(api_url: str, user: ApiUser, text: str, operation: str) -> dict:
    events, _ = ask(api_url, user, text)
    actions = done_of(events)["actions"]
    assert [a["operation"] for a in actions] == [operation], actions
    return actions[0]


def _inbox(world: World, email: str, words: str) -> list[dict]:
    gmail = google(world.sandbox, email, "gmail")
    found = gmail.users().messages().list(userId="me", q=words).execute().get("messages", [])
    return [gmail.users().messages().get(userId="me", id=m["id"], format="metadata").execute() for m in found]


def _subject(message: dict) -> str:
    return next(h["value"] for h in message["payload"]["headers"] if h["name"].lower() == "subject")


def test_confirm_with_edits_sends_the_edited_email(api_url: str, alex: ApiUser, world: World) -> None:
    action = _only_action(api_url, alex, "send an email to Daniel saying the staging deploy is green", "send")
    words = unique_words()
    edits = {"subject": f"Staging deploy ({words})", "body": f"The staging deploy is green. {words}"}
    assert _inbox(world, DANIEL, words) == []

    response = httpx.post(
        f"{api_url}/actions/{action['id']}/confirm", json={"edits": edits}, headers=alex.headers, timeout=60
    )
    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "done" and confirmed["fields"]["subject"] == edits["subject"]
    received = _inbox(world, DANIEL, words)
    assert [_subject(m) for m in received] == [edits["subject"]]

    again = httpx.post(f"{api_url}/actions/{action['id']}/confirm", headers=alex.headers, timeout=60)
    assert again.status_code == 200 and again.json()["status"] == "done"
    assert len(_inbox(world, DANIEL, words)) == 1  # a second confirmation sends nothing


def test_an_edit_the_action_does_not_take_is_422(api_url: str, alex: ApiUser) -> None:
    action = _only_action(api_url, alex, "send an email to Daniel saying the invoices are filed", "send")
    response = httpx.post(
        f"{api_url}/actions/{action['id']}/confirm", json={"edits": {"role": "writer"}}, headers=alex.headers
    )
    assert response.status_code == 422 and "role" in response.json()["error"]["message"]
    response = httpx.post(
        f"{api_url}/actions/{action['id']}/confirm", json={"edits": {"to": ["not an address"]}}, headers=alex.headers
    )
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "edits.to.0"
    assert httpx.get(f"{api_url}/actions/{action['id']}", headers=alex.headers).json()["status"] == "pending"


def test_cancel_sends_nothing_and_cannot_then_be_confirmed(api_url: str, alex: ApiUser, world: World) -> None:
    action = _only_action(api_url, alex, "send an email to Daniel saying the office is closed on Monday", "send")
    words = unique_words()
    response = httpx.post(f"{api_url}/actions/{action['id']}/cancel", headers=alex.headers)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    refused = httpx.post(
        f"{api_url}/actions/{action['id']}/confirm", json={"edits": {"body": words}}, headers=alex.headers
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "action_conflict"
    assert _inbox(world, DANIEL, words) == []
    assert _inbox(world, DANIEL, '"office is closed on Monday"') == []


def test_undo_puts_a_trashed_email_back(api_url: str, alex: ApiUser, world: World) -> None:
    action = _only_action(api_url, alex, "delete the email about the council tax bill", "trash")
    gmail = google(world.sandbox, ALEX, "gmail")
    message_id = action["fields"]["message_id"]

    def labels() -> list[str]:
        return gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"]

    confirmed = httpx.post(f"{api_url}/actions/{action['id']}/confirm", headers=alex.headers, timeout=60).json()
    assert confirmed["status"] == "done" and confirmed["undo_until"] is not None
    assert "TRASH" in labels()
    undone = httpx.post(f"{api_url}/actions/{action['id']}/undo", headers=alex.headers, timeout=60)
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert "TRASH" not in labels()


def test_an_unknown_action_is_404(api_url: str, alex: ApiUser) -> None:
    for verb in ("confirm", "cancel", "undo"):
        response = httpx.post(f"{api_url}/actions/00000000-0000-4000-8000-000000000000/{verb}", headers=alex.headers)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
