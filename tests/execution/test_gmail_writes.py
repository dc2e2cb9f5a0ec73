"""Gmail writes driven by step params and inputs, as the request frame's planner passes
them: bulk trash (`messages`), reply all (`reply_all`), verbatim content (`quoted`) and a
forward to several recipients. Each step runs through the orchestrator with the test
world's real agents and context, is recorded and confirmed through the ActionDesk, and is
checked at the sandbox through the real Google client."""

from __future__ import annotations

import base64
import dataclasses
import email
import uuid
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from assistant.agents.base import SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.orchestrator import Orchestrator, StepResult
from assistant.plan import Binding, ExecutionPlan, PlanStep
from assistant.writes import PendingAction, ProposedAction, TrashPayload
from tests.execution.conftest import ALEX, NOW, SARAH, World, google

DANIEL = "daniel.okafor@northwindlabs.com"
TOM = "tom.becker@northwindlabs.com"


def marker() -> str:
    """Words no demo mailbox contains, to find exactly the messages a test made."""
    return "marker" + uuid.uuid4().hex[:10]


async def run_steps(
    world: World, *steps: PlanStep, context: AgentContext | None = None
) -> tuple[dict[str, StepResult], list[PendingAction]]:
    """Run the steps through the orchestrator; proposed writes are recorded at the desk."""
    context = context or await world.concierge.context_for(world.alex, NOW)
    desk = await world.concierge.actions(world.alex)
    recorded: list[PendingAction] = []

    async def record(step: PlanStep, proposed: ProposedAction) -> PendingAction:
        action = await desk.record(world.alex, proposed)
        recorded.append(action)
        return action

    results: dict[str, StepResult] = {}
    async for _ in Orchestrator(world.concierge.agents, record).run(ExecutionPlan(steps=list(steps)), context, results):
        pass
    return results, recorded


def search_from(sender: str) -> PlanStep:
    return PlanStep(
        id="find",
        service="gmail",
        operation="search",
        description=f"Find every email from {sender}",
        params={"text": "", "filters": {"senders": [sender]}, "filters_required": True, "limit": 100, "every": True},
    )


def trash_them(total: bool = False) -> PlanStep:
    """A trash of every email the search step found (and, with `total`, told how many matched)."""
    inputs = {"messages": Binding(step="find", output="items")}
    if total:
        inputs["total"] = Binding(step="find", output="total")
    return PlanStep(id="trash", service="gmail", operation="trash", description="Move them to the trash", inputs=inputs)


def read(message_id: str) -> PlanStep:
    return PlanStep(id="open", service="gmail", operation="read", description="Open it", params={"id": message_id})


def ids_at_sandbox(world: World, account: str, query: str) -> set[str]:
    gmail = google(world.sandbox, account, "gmail")
    found = gmail.users().messages().list(userId="me", q=query, maxResults=500).execute()
    return {m["id"] for m in found.get("messages", [])}


def labels(world: World, message_id: str) -> list[str]:
    gmail = google(world.sandbox, ALEX, "gmail")
    return list(gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"])


def received(world: World, account: str, query: str) -> list[email.message.EmailMessage]:
    """The messages matching `query` in `account`'s mailbox, parsed from their raw form."""
    gmail = google(world.sandbox, account, "gmail")
    messages = []
    for found in gmail.users().messages().list(userId="me", q=query).execute().get("messages", []):
        raw = gmail.users().messages().get(userId="me", id=found["id"], format="raw").execute()["raw"]
        messages.append(email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=default_policy))
    return messages  # type: ignore[return-value]


def addresses(message: email.message.EmailMessage, header: str) -> list[str]:
    return [address.addr_spec for address in message[header].addresses] if message[header] else []


async def cached_from(world: World, sender: str) -> set[str]:
    results, _ = await run_steps(world, search_from(sender))
    return {item.id for item in results["find"].outputs.get("items") or []}


# --- Bulk trash ------------------------------------------------------------------------


async def test_bulk_trash_of_every_email_from_tom_then_undo(world: World) -> None:
    toms = ids_at_sandbox(world, ALEX, f"from:{TOM}")
    assert len(toms) >= 3, toms
    assert await cached_from(world, TOM) == toms

    results, recorded = await run_steps(world, search_from(TOM), trash_them())
    assert results["trash"].status == "awaiting_confirmation", results["trash"].error
    (action,) = recorded
    assert action.preview.startswith(f"Move {len(toms)} emails to the trash:\n- \u201c")
    assert f"and {len(toms) - 3} more" in action.preview
    assert action.undoable
    assert all("TRASH" not in labels(world, message_id) for message_id in toms)  # nothing before confirming

    desk = await world.concierge.actions(world.alex)
    try:
        done = await desk.confirm(world.alex, action.id)
        assert done.status == "done" and done.result is not None
        assert done.result["summary"] == f"Moved {len(toms)} emails to the trash"
        assert await desk.confirm(world.alex, action.id) == done  # a second confirmation changes nothing
        assert all("TRASH" in labels(world, message_id) for message_id in toms)
        assert ids_at_sandbox(world, ALEX, f"from:{TOM}") == set()
        assert await cached_from(world, TOM) == set()  # gone from the cache too

        undone = await desk.undo(world.alex, action.id)
        assert undone.status == "undone" and undone.result is not None
        assert undone.result["undone"] == f"Restored {len(toms)} emails from the trash"
    finally:  # the other tests need Tom's emails back, whatever happened here
        gmail = google(world.sandbox, ALEX, "gmail")
        for message_id in toms:
            if "TRASH" in labels(world, message_id):
                gmail.users().messages().untrash(userId="me", id=message_id).execute()
    assert all("TRASH" not in labels(world, message_id) for message_id in toms)
    assert "INBOX" in labels(world, next(iter(toms)))
    assert await cached_from(world, TOM) == toms  # written back to the cache


async def test_a_bulk_trash_above_the_cap_proposes_nothing(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    # `bulk_cap` in the settings (assistant/core/settings.py); a small one here.
    capped = dataclasses.replace(context, settings=context.settings.model_copy(update={"bulk_cap": 2}))
    toms = len(ids_at_sandbox(world, ALEX, f"from:{TOM}"))
    assert toms > 2
    # The search lists every email up to the cap and counts them all in `total`.
    results, recorded = await run_steps(world, search_from(TOM), trash_them(total=True), context=capped)
    assert results["find"].outputs["total"] == toms
    assert results["trash"].status == "failed" and recorded == []
    assert results["trash"].error == (
        f"That is {toms} emails; I can move at most 2 at once: narrow it down (a sender, a period)"
    )
    # Given more emails than the cap (without a total), the same; each email counts once.
    found = results["find"].outputs["items"]
    many = [item.model_copy(update={"id": f"{item.id}-{n}"}) for n in range(2) for item in found]
    with pytest.raises(StepFailed, match=f"^That is {len(many)} emails; I can move at most 2 at once"):
        await world.concierge.agents["gmail"].propose(trash_them(), {"messages": many + [many[0]]}, capped)


async def test_the_cap_counts_with_thousands_separators(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    many = [
        SourceItem(service="gmail", id=f"m{n}", account_id=str((await context.primary_account()).id), title=f"n{n}")
        for n in range(5061)
    ]
    step = trash_them()
    with pytest.raises(StepFailed, match="^That is 5,061 emails; I can move at most 200 at once: narrow it down"):
        await world.concierge.agents["gmail"].propose(step, {"messages": many}, context)


async def test_an_empty_set_is_no_emails(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    with pytest.raises(StepFailed, match="^no emails match$"):
        await world.concierge.agents["gmail"].propose(trash_them(), {"messages": []}, context)


async def test_a_retried_bulk_trash_continues_where_it_stopped(world: World) -> None:
    """Progress is remembered in the action: a retry skips what was trashed already."""
    words = marker()
    with world.control() as control:
        made = [
            control.post(
                f"/accounts/{ALEX}/messages", json={"from": "news@partner.test", "subject": f"Digest {n} {words}"}
            ).json()["id"]
            for n in range(4)
        ]
    context = await world.concierge.context_for(world.alex, NOW)
    for message_id in made:  # into the cache, as a search would have found them
        await world.concierge.agents["gmail"].cached_item(context, message_id)
    results, recorded = await run_steps(
        world,
        PlanStep(
            id="find",
            service="gmail",
            operation="search",
            description="Find the digests",
            params={"text": words, "filters": {"senders": ["news@partner.test"]}, "filters_required": True},
        ),
        trash_them(),
    )
    (action,) = recorded
    assert TrashPayload.model_validate(action.fields).messages[0].subject.startswith("Digest")
    assert len(action.fields["messages"]) == 4
    # As if a first attempt had trashed the first message and crashed after remembering it
    # (it is left out of the trash here, so that skipping it shows).
    desk = await world.concierge.actions(world.alex)
    first = action.fields["messages"][0]["id"]
    retried = await desk.record(
        world.alex,
        ProposedAction(
            service="gmail",
            operation="trash",
            account_id=str(action.account_id),
            fields=action.fields | {"trashed": [first]},
            preview=action.preview,
            undoable=True,
        ),
    )
    done = await desk.confirm(world.alex, retried.id)
    assert done.status == "done" and sorted(done.fields["trashed"]) == sorted(made)
    assert "TRASH" not in labels(world, first)
    assert all("TRASH" in labels(world, message_id) for message_id in made if message_id != first)
    await desk.undo(world.alex, retried.id)
    assert all("TRASH" not in labels(world, message_id) for message_id in made)


async def test_a_bulk_trash_card_and_emails_from_several_accounts(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    primary = str((await context.primary_account()).id)
    other = str(uuid.uuid4())  # a second linked account's email, as a search over both finds it
    items = [
        SourceItem(service="gmail", id=f"m{n}", account_id=primary if n != 2 else other, title=f"Note {n}")
        for n in range(4)
    ]
    for n, item in enumerate(items):
        item.details["from"] = f"Sender {n} <s{n}@partner.test>"
    proposed = await world.concierge.agents["gmail"].propose(trash_them(), {"messages": [*items, items[0]]}, context)
    assert proposed.account_id == primary and proposed.target_id is None
    assert [m.get("account_id") for m in proposed.fields["messages"]] == [None, None, other, None]
    assert proposed.preview == (  # four are all shown: "and 1 more" would hide no more than a line
        "Move 4 emails to the trash:\n"
        + "\n".join(f"- \u201cNote {n}\u201d from Sender {n} <s{n}@partner.test>" for n in range(4))
    )
    one = await world.concierge.agents["gmail"].propose(trash_them(), {"messages": items[:1]}, context)
    assert one.fields == {"message_id": "m0", "subject": "Note 0", "from": "Sender 0 <s0@partner.test>"}
    assert one.preview == "Move to trash: \u201cNote 0\u201d from Sender 0 <s0@partner.test>" and one.target_id == "m0"


def test_an_old_single_message_trash_row_still_reads() -> None:
    old = {"message_id": "abc", "subject": "Council tax", "from": "Council <c@council.test>"}
    payload = TrashPayload.model_validate(old)
    assert [(m.id, m.subject, m.sender) for m in payload.messages] == [("abc", "Council tax", old["from"])]
    assert payload.stored() == old  # one message is stored as it always was


# --- Reply all -------------------------------------------------------------------------


async def test_reply_all_goes_to_the_author_and_ccs_everyone_else(world: World) -> None:
    words = marker()
    original = EmailMessage()
    original["From"] = f"Daniel Okafor <{DANIEL}>"
    original["To"] = f"{ALEX}, {SARAH}"
    original["Cc"] = f"{TOM}, Alex <{ALEX.upper()}>"
    original["Subject"] = f"On-call handover {words}"
    original.set_content("Who takes the pager this weekend?")
    google(world.sandbox, DANIEL, "gmail").users().messages().send(
        userId="me", body={"raw": base64.urlsafe_b64encode(original.as_bytes()).decode()}
    ).execute()
    (alex_copy,) = ids_at_sandbox(world, ALEX, f"in:inbox {words}")

    reply = PlanStep(
        id="reply",
        service="gmail",
        operation="reply",
        description="Reply to everyone",
        params={"body": f"I will take it. {words} answer", "reply_all": True},
        inputs={"message": Binding(step="open", output="item")},
    )
    results, recorded = await run_steps(world, read(alex_copy), reply)
    assert results["reply"].status == "awaiting_confirmation", results["reply"].error
    (action,) = recorded
    assert action.fields["to"] == [DANIEL]
    assert action.fields["cc"] == [SARAH, TOM]
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)

    (sent,) = received(world, ALEX, f"in:sent {words} answer")
    assert addresses(sent, "To") == [DANIEL] and addresses(sent, "Cc") == [SARAH, TOM]
    assert len(received(world, DANIEL, f"{words} answer")) == 1
    assert len(received(world, SARAH, f"{words} answer")) == 1


async def test_reply_all_to_my_own_message_goes_to_whom_it_went_to(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    account_id = str((await context.primary_account()).id)
    mine = SourceItem(
        service="gmail",
        id="own-message",
        account_id=account_id,
        title="Roadmap",
        details={
            "from": ALEX,
            "from_email": ALEX,
            "to": [SARAH, DANIEL],
            "cc": [ALEX, TOM],
            "thread_id": "t1",
            "rfc822_message_id": "<x@y>",
        },
    )
    step = PlanStep(
        id="reply",
        service="gmail",
        operation="reply",
        description="Reply all",
        params={"body": "ok", "reply_all": True},
    )
    proposed = await world.concierge.agents["gmail"].propose(step, {"message": mine}, context)
    assert proposed.fields["to"] == [SARAH, DANIEL] and proposed.fields["cc"] == [TOM]
    assert proposed.fields["subject"] == "Re: Roadmap"
    plain = step.model_copy(update={"params": {"body": "ok"}})
    without = await world.concierge.agents["gmail"].propose(plain, {"message": mine}, context)
    assert without.fields["to"] == [SARAH, DANIEL] and without.fields["cc"] == []  # as before


# --- Verbatim content ------------------------------------------------------------------


async def test_a_quoted_body_arrives_byte_for_byte(world: World) -> None:
    words = marker()
    subject = f"stAging: green  light \u2014 v2 {words}"
    body = f"the deploy is green\n\nno rollback needed -- ok?  {words}\nthanks, caf\u00e9 team"
    step = PlanStep(
        id="send",
        service="gmail",
        operation="send",
        description="Send the message",
        params={"to": [SARAH], "subject": subject, "body": body, "quoted": True},
    )
    results, recorded = await run_steps(world, step)
    (action,) = recorded
    assert action.fields["subject"] == subject and action.fields["body"] == body
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)

    (arrived,) = received(world, SARAH, words)
    assert arrived["Subject"] == subject
    text = arrived.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text in (body, body + "\n")  # MIME ends the text with a line break


async def test_a_quoted_body_without_a_subject_keeps_its_words(world: World) -> None:
    context = await world.concierge.context_for(world.alex, NOW)
    body = "the deploy is green"
    step = PlanStep(
        id="send",
        service="gmail",
        operation="send",
        description="Send it",
        params={"to": [SARAH], "body": body, "quoted": True},
    )
    proposed = await world.concierge.agents["gmail"].propose(step, {}, context)
    assert proposed.fields["body"] == body and proposed.fields["subject"] == "the deploy is green"
    reported = step.model_copy(update={"params": {"to": [SARAH], "body": body}})
    letter = await world.concierge.agents["gmail"].propose(reported, {}, context)
    assert letter.fields["body"].startswith("Hi,\n\nThe deploy is green.")  # not quoted: a short letter, as before


# --- Forward to several ----------------------------------------------------------------


async def test_forward_arrives_at_two_recipients(world: World) -> None:
    words = marker()
    with world.control() as control:
        original = control.post(
            f"/accounts/{ALEX}/messages",
            json={"from": "Anna <anna@partner.test>", "subject": f"Signed order {words}", "text": "Signed, attached."},
        ).json()
    forward = PlanStep(
        id="forward",
        service="gmail",
        operation="forward",
        description="Forward it",
        params={"to": [SARAH, DANIEL], "body": "FYI"},
        inputs={"message": Binding(step="open", output="item")},
    )
    results, recorded = await run_steps(world, read(original["id"]), forward)
    (action,) = recorded
    assert action.fields["to"] == [SARAH, DANIEL]
    assert action.preview.startswith(f"Forward to {SARAH}, {DANIEL}\n")
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    for recipient in (SARAH, DANIEL):
        (arrived,) = received(world, recipient, f"Signed order {words}")
        assert arrived["Subject"] == f"Fwd: Signed order {words}"
        assert addresses(arrived, "To") == [SARAH, DANIEL]
        assert "Signed, attached." in arrived.get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "request_text",
    ["email Daniel Okafor the link to the roadmap deck", "send daniel the 2027 roadmap slides link"],
)
async def test_a_files_link_is_sent_to_the_person_named(world: World, request_text: str) -> None:
    """ "send Daniel the link to the pricing model": the file is found in Drive, and the
    email to Daniel carries its link (not a share, not a search of the mail)."""
    _, done = await world.ask(request_text)
    (action,) = [a for a in done.actions if a.operation == "send"]
    assert action.fields["to"] == [DANIEL]
    assert action.fields["subject"] == "Product roadmap 2027"
    drive = google(world.sandbox, ALEX, "drive")
    (file,) = drive.files().list(q="name = 'Product roadmap 2027'", fields="files(id,webViewLink)").execute()["files"]
    assert file["webViewLink"] in action.fields["body"]
    # Not confirmed here: a sent email would join the shared world's mail that other tests
    # rank (test_rerank); sending a proposed message is covered by the tests above.
    assert action.fields["body"].startswith("Hi Daniel,\n\nHere's the link to \u201cProduct roadmap 2027\u201d:")


@pytest.mark.parametrize(
    "request_text",
    [
        "draft a reply to Tom Becker's events budget email: 'Yes to NRF, I will go myself'",
        "could you write a draft reply to toms events budget mail saying 'Yes to NRF, I will go myself'?",
    ],
)
async def test_a_drafted_reply_is_a_reply_saved_as_a_draft(world: World, request_text: str) -> None:
    # Not a new email to no one: the answer to Tom's email, in its thread, kept as a draft.
    _, done = await world.ask(request_text)
    (action,) = done.actions
    assert action.operation == "draft"
    assert action.fields["to"] == [TOM] and action.fields["subject"].startswith("Re: ")
    assert action.fields["thread_id"] and action.fields["body"] == "Yes to NRF, I will go myself"
    gmail = google(world.sandbox, ALEX, "gmail")
    before = len(gmail.users().drafts().list(userId="me").execute().get("drafts", []))
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    drafts = gmail.users().drafts().list(userId="me").execute().get("drafts", [])
    assert len(drafts) == before + 1
    newest = gmail.users().drafts().get(userId="me", id=drafts[-1]["id"]).execute()
    assert newest["message"]["threadId"] == action.fields["thread_id"]
