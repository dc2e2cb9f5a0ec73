"""Names matched to the contacts found in the user's caches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import GmailMessage, GoogleAccount, User
from assistant.understanding.contacts import ContactBook, ContactCache, load_contacts
from assistant.understanding.context import ConversationContext
from assistant.understanding.frame import EventSpec, Frame, Message, PersonRef, Selection
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.schema import EVERYONE, Contact
from tests.understanding.conftest import Workspace, add_rows, email


async def test_contacts_come_from_mail_events_and_files(session: AsyncSession, workspace: Workspace) -> None:
    book = await load_contacts(session, workspace.user_id)
    by_email = {c.email: c.name for c in book.contacts}
    assert by_email["sarah.chen@acme.com"] == "Sarah Chen"
    assert by_email["tom.baker@acme.com"] == "Tom Baker"
    assert by_email["olivia@acme.com"] == "Olivia Park"
    assert by_email["priya@acme.com"] == "Priya"  # an address only: a name from it
    assert book.contacts[0].email in {"sarah.chen@acme.com", "me@example.com"}  # most frequent first


async def test_fuzzy_match_to_the_only_close_contact(session: AsyncSession, workspace: Workspace) -> None:
    book = await load_contacts(session, workspace.user_id)
    for typed in ["Sara", "sarah", "sarah chen", "Sarah's", "chen"]:
        match = book.match(typed)
        assert match.contact is not None and match.contact.email == "sarah.chen@acme.com", typed
    assert book.match("tom").contact is not None and book.match("tom").contact.name == "Tom Baker"
    assert book.match("zebediah").contact is None


def test_short_words_match_only_exactly() -> None:
    book = ContactBook.from_rows([("Amy Lee", "amy@acme.com", 3), ("Al Roth", "al@acme.com", 1)])
    assert book.match("my").contact is None and book.match("my").candidates == []
    assert book.match("amy").contact is not None and book.match("amy").contact.email == "amy@acme.com"
    assert book.match("Al").contact is not None and book.match("Al").contact.email == "al@acme.com"


async def test_two_close_contacts_are_both_candidates(session: AsyncSession, workspace: Workspace) -> None:
    # Both are people the user writes to: neither is "the" Sarah.
    miller = email(workspace.user_id, workspace.account_id, 9, "Sarah Miller", "sarah.m@other.org", ["me@example.com"])
    to_miller = email(workspace.user_id, workspace.account_id, 10, "Me", "me@example.com", ["sarah.m@other.org"])
    await add_rows(session, GmailMessage, miller, to_miller)
    await session.commit()
    book = await load_contacts(session, workspace.user_id)
    match = book.match("sarah")
    assert match.contact is None
    assert {c.email for c in match.candidates} >= {"sarah.chen@acme.com", "sarah.m@other.org"}
    assert book.match("sarah miller").contact is not None


def test_of_several_people_with_a_first_name_the_one_the_user_writes_to_is_meant() -> None:
    # "Olivia" is the sister the user writes to, not the recruiters who wrote once each;
    # short names too ("tom"). Two people the user writes to stay a question.
    rows = [
        ("Olivia Rivera", "olivia.rivera@gmail.com", 3, 2),
        ("Olivia Young", "olivia@hunter.co.uk", 1, 0),
        ("Olivia Wilson", "olivia@northstar.co.uk", 1, 0),
        ("Tom Becker", "tom@acme.com", 2, 1),
        ("Tom Dawson", "tom@whitehead.com", 1, 0),
        ("Sam Hill", "sam.hill@acme.com", 4, 2),
        ("Sam Ortiz", "sam.ortiz@acme.com", 4, 2),
    ]
    book = ContactBook.from_rows(rows)
    assert (book.match("olivia").contact or Contact(name="", email="")).email == "olivia.rivera@gmail.com"
    assert (book.match("tom").contact or Contact(name="", email="")).email == "tom@acme.com"
    assert book.match("sam").contact is None


async def test_other_users_contacts_are_never_seen(session: AsyncSession, workspace: Workspace) -> None:
    other = User(email="other@example.com")
    session.add(other)
    await session.flush()
    account = GoogleAccount(user_id=other.id, email="other@example.com")
    session.add(account)
    await session.flush()
    await add_rows(session, GmailMessage, email(other.id, account.id, 1, "Zed Secret", "zed@secret.org", []))
    await session.commit()
    mine = await load_contacts(session, workspace.user_id)
    assert "zed@secret.org" not in {c.email for c in mine.contacts}
    assert mine.match("zed").contact is None
    assert {c.email for c in (await load_contacts(session, other.id)).contacts} == {"zed@secret.org"}


def test_an_address_is_its_own_contact() -> None:
    match = ContactBook([]).match("New.Person@Example.com")
    assert match.contact is not None and match.contact.email == "new.person@example.com"


def test_a_full_name_beats_a_near_namesake() -> None:
    book = ContactBook.from_rows(
        [("Sarah Chen", "sarah.chen@acme.com", 2), ("Sarah Cheng", "sarah.cheng@vendor.io", 2)]
    )
    assert (
        book.match("sarah chen").contact is not None and book.match("sarah chen").contact.email == "sarah.chen@acme.com"
    )
    assert (
        book.match("Sarah Cheng").contact is not None
        and book.match("Sarah Cheng").contact.email == "sarah.cheng@vendor.io"
    )
    assert book.match("sarah").contact is None  # equally close and equally frequent: ask


def test_the_person_the_user_deals_with_most_is_the_one_meant() -> None:
    book = ContactBook.from_rows(
        [("Sarah Chen", "sarah.chen@acme.com", 40), ("Sarah Cheng", "sarah.cheng@vendor.io", 3)]
    )
    match = book.match("sarah")
    assert match.contact is not None and match.contact.email == "sarah.chen@acme.com"
    rare = ContactBook.from_rows(
        [("Sarah Chen", "sarah.chen@acme.com", 4), ("Sarah Cheng", "sarah.cheng@vendor.io", 1)]
    )
    assert rare.match("sarah").contact is None  # too few dealings to be sure


async def test_the_contact_cache_reads_again_only_when_people_were_recorded(
    session: AsyncSession, workspace: Workspace
) -> None:
    cache = ContactCache()
    first = await cache.get(session, workspace.user_id)
    assert await cache.get(session, workspace.user_id) is first  # nothing changed: not read again
    # A new message is synced: its row, and its people as the indexer records them.
    await add_rows(
        session,
        GmailMessage,
        email(workspace.user_id, workspace.account_id, 9, "Sarah Miller", "sarah.m@other.org", ["me@example.com"]),
    )
    await session.execute(
        text(
            "INSERT INTO search_contacts (user_id, email, name, occurrences, exchanges, last_seen_at)"
            " VALUES (:user_id, 'sarah.m@other.org', 'Sarah Miller', 1, 1, now())"
        ),
        {"user_id": workspace.user_id},
    )
    await session.commit()
    again = await cache.get(session, workspace.user_id)
    assert again is not first and again.match("sarah miller").contact is not None


def test_an_organisation_that_sends_mailings_is_found_by_its_name_or_domain() -> None:
    rows = [
        ("Alex Rivera", "alex@northwind.com", 50, 40),
        ("Sarah Chen", "sarah@northwind.com", 40, 30),
        ("Jira", "jira@northwind.atlassian.net", 30, 0),
        ("LinkedIn", "messages-noreply@linkedin.com", 20, 0),
        ("Product Notes Weekly", "hello@productnotes.email", 12, 0),
        ("Mehmet Yilmaz", "mehmet@anadolu.com.tr", 9, 3),
        ("Friend", "someone@gmail.com", 5, 0),
    ]
    book = ContactBook.from_rows(rows)
    assert book.organization("LinkedIn") == "linkedin.com"
    assert book.organization("product notes weekly") == "productnotes.email"
    # The user's own organisation (its tools included), one they correspond with, and mail providers are not senders.
    assert book.organization("northwind") is None and book.organization("Anadolu") is None
    assert book.organization("gmail") is None


def test_a_name_begun_by_the_words_said_is_that_sender_not_a_near_namesake() -> None:
    book = ContactBook.from_rows(
        [("Sarah Chen", "sarah.chen@acme.com", 40), ("Sarah Chenoweth's Strategy Letter", "sarah@chenoweth.news", 30)]
    )
    assert book.match("Sarah Chenoweth").contact.email == "sarah@chenoweth.news"  # type: ignore[union-attr]
    assert book.match("sarah chen").contact.email == "sarah.chen@acme.com"  # type: ignore[union-attr]


ROWS = [
    ("Alex Rivera", "alex@northwind.com", 50, 40),
    ("Sarah Chen", "sarah@northwind.com", 40, 30),
    ("Mehmet Yılmaz", "mehmet@anadolu.com.tr", 9, 3),
    ("Tomasz Nowak", "tomasz@ocado.example", 2, 1),
    ("Mark Evans", "mark@northwind.com", 6, 4),
    ("Brightwave Billing", "billing@brightwave.io", 12, 0),
    ("Sarah Cheng", "sarah.cheng@brightwave.io", 8, 3),
]


def with_rows(
    frame: Frame,
    request_text: str,
    context: ConversationContext | None = None,
    *,
    rows: list[tuple[str, str, int, int]] = ROWS,
    now: datetime = datetime(2026, 11, 18, tzinfo=UTC),
) -> Meaning:
    """`frame` of `request_text` resolved against the contacts of `rows` (ROWS)."""
    return resolve_frame(
        frame,
        text=request_text,
        provider="local",
        now=now,
        contacts=ContactBook.from_rows(rows),
        context=context or ConversationContext(),
    )


@pytest.mark.parametrize(
    ("request_text", "topic", "person", "role"),
    [
        ("wat has mehmet sent me", "wat", "mehmet", "from"),
        ("emails from tomasz about the screen", "screen", "tomasz", "from"),
        ("Mehmet Yılmaz messages about the workshop", "workshop", "Mehmet Yılmaz", "any"),
        ("all the emails Mehmet Yılmaz from Anadolu Retail has sent me", None, "Mehmet Yılmaz", "from"),
    ],
)
def test_a_name_the_tagger_missed_is_the_contact_it_names(
    request_text: str, topic: str | None, person: str, role: str
) -> None:
    """A lookup's word that is no English word but a contact's name is that person; an
    English word that is also a name ("mark") stays a word."""
    from assistant.understanding.frame import PersonRef

    words = " ".join(w for w in request_text.split() if w.lower() not in ("emails", "messages", "all", "the"))
    said = [PersonRef(name="Anadolu Retail", role="from")] if "Anadolu" in request_text else []
    frame = Frame(services=["gmail"], target=Selection(service="gmail", topic=words, people=said))
    meaning = with_rows(frame, request_text)
    target = meaning.frame.target
    assert [(p.name, p.role) for p in target.people] == [(person, role)]
    if topic is not None:
        assert topic in (target.topic or "").split() and person.split()[0] not in (target.topic or "")
    contact = meaning.person(person)
    assert contact is not None and contact.contact is not None
    mark = with_rows(
        Frame(services=["gmail"], target=Selection(service="gmail", topic="mark the invoice")), "mark the invoice"
    )
    assert mark.frame.target.people == []
    # A sender of mailings the user never wrote to is not a person named by a word of the topic.
    renewal = with_rows(
        Frame(services=["gmail"], target=Selection(service="gmail", topic="brightwave renewal")),
        "brightwave renewal emails",
    )
    assert renewal.frame.target.people == [] and renewal.frame.target.topic == "brightwave renewal"


@pytest.mark.parametrize(
    ("picks", "expected"),
    [([], "m1"), ([1], "m1"), ([2], "m1"), ([3], "e2")],
)
def test_it_after_an_answer_of_several_services_is_the_item_the_act_needs(picks: list[int], expected: str) -> None:
    """ "forward it to Daniel" after an answer citing an event first and an email second:
    the email; a position said is the answer's own numbering."""
    from assistant.understanding.context import Turn
    from assistant.understanding.frame import Message
    from assistant.understanding.schema import ItemRef

    shown = [
        ItemRef(service="calendar", id="e1", position=1),
        ItemRef(service="gmail", id="m1", position=2),
        ItemRef(service="calendar", id="e2", position=3),
    ]
    context = ConversationContext(turns=[Turn(role="assistant", text="...", items=shown)])
    frame = Frame(
        act="forward",
        services=["gmail"],
        target=Selection(service="gmail", previous=True, picks=picks),
        message=Message(to=["Daniel"]),
    )
    meaning = with_rows(frame, "forward it to Daniel", context)
    assert [item.id for item in meaning.items] == [expected]


@pytest.mark.parametrize(
    ("act", "request_text", "person"),
    [
        ("change", "push the Tomasz 1:1 to 15:00", "Tomasz"),
        ("delete", "cancel the screen with Tomasz Nowak", "Tomasz Nowak"),
    ],
)
def test_an_event_changed_is_named_by_every_word_of_the_request(act: str, request_text: str, person: str) -> None:
    """ "the Tomasz 1:1": the tagger took no name, the title took "1:1"; the contact's name
    among the words says whose."""

    title = "1:1" if "1:1" in request_text else "screen"
    frame = Frame(act=act, services=["calendar"], target=Selection(service="calendar", title=title))  # type: ignore[arg-type]
    meaning = with_rows(frame, request_text)
    assert [p.name for p in meaning.frame.target.people] == [person]
    assert meaning.frame.target.title == title


def test_a_meeting_with_a_shared_first_name_invites_the_colleague() -> None:
    """Three Sarahs: a colleague met often, a colleague on company-wide invites, a vendor
    the user writes to as much as the first. A guest whose free time a new event must fit
    (or whose free time is asked) is the colleague the user deals with most; a message
    still asks which Sarah."""
    rows = [
        ("Alex Rivera", "alex@northwind.com", 300, 250),
        ("Sarah Chen", "sarah.chen@northwind.com", 200, 120),
        ("Sarah Tomlinson", "sarah.t@northwind.com", 80, 40),
        ("Sarah Cheng", "sarah.cheng@brightwave.io", 190, 110),
    ]

    def resolved(frame: Frame) -> Meaning:
        return with_rows(frame, "", rows=rows)

    found = EventSpec(title="Sync", start="next week", when_free=True, attendees=["Sarah"])
    meeting = resolved(Frame(act="create", services=["calendar"], event=found))
    assert meeting.address("Sarah") == "sarah.chen@northwind.com" and meeting.clarification is None
    # "lunch with Sarah at 1" says nothing of her time: no one is guessed.
    at_one = EventSpec(title="Lunch", start="tomorrow at 1", attendees=["Sarah"])
    lunch = resolved(Frame(act="create", services=["calendar"], event=at_one))
    assert lunch.address("Sarah") is None
    free = resolved(
        Frame(act="free_time", services=["calendar"], target=Selection(people=[PersonRef(name="sarah", role="with")]))
    )
    assert free.address("sarah") == "sarah.chen@northwind.com"
    message = resolved(Frame(act="send", services=["gmail"], message=Message(to=["Sarah"], body="hi")))
    assert message.address("Sarah") is None
    assert message.clarification is not None and message.clarification.kind == "person"


def test_names_run_together_are_each_a_contact() -> None:
    frame = Frame(
        act="free_time", services=["calendar"], target=Selection(people=[PersonRef(name="sarah mehmet", role="with")])
    )
    meaning = with_rows(frame, "when r sarah mehmet and me free")
    assert [p.name for p in meaning.frame.target.people] == ["sarah", "mehmet"]
    kept = with_rows(Frame(target=Selection(people=[PersonRef(name="sarah chen")])), "sarah chen's emails")
    assert [p.name for p in kept.frame.target.people] == ["sarah chen"]  # one person, by full name


def test_a_colleague_named_beside_an_event_title_takes_part_in_it() -> None:
    frame = Frame(
        services=["calendar"], ask="count", target=Selection(service="calendar", title="1:1", time="last month")
    )
    meaning = with_rows(frame, "number of Mehmet 1:1s last month")
    assert [(p.name, p.role) for p in meaning.frame.target.people] == [("Mehmet", "any")]
    assert meaning.address("Mehmet") == "mehmet@anadolu.com.tr"


def test_everyone_at_the_company_is_its_all_staff_address() -> None:
    rows = [*ROWS, ("Everyone at Northwind", "all@northwind.com", 30, 10), ("Design", "design@northwind.com", 5, 2)]
    frame = Frame(act="send", services=["gmail"], message=Message(to=[EVERYONE], subject="Hi", body="thanks"))
    meaning = with_rows(frame, "email everyone at Northwind saying 'thanks'", rows=rows)
    assert meaning.address(EVERYONE) == "all@northwind.com" and meaning.clarification is None
    nobody = with_rows(frame, "email the whole company saying 'thanks'")  # no all-staff address known
    assert nobody.address(EVERYONE) is None


def test_a_name_with_a_team_of_the_organisation_is_that_colleague() -> None:
    # The vendor Sarah writes nearly as often as Sarah Chen: "Sarah" alone is asked about.
    rows = [
        *(row for row in ROWS if row[0] != "Sarah Cheng"),
        ("Sarah Cheng", "sarah.cheng@brightwave.io", 30, 20),
        ("Sarah Tomlinson", "sarah.t@northwind.com", 5, 1),
    ]
    frame = Frame(act="send", services=["gmail"], message=Message(to=["Sarah"], body="I'll review the numbers"))
    said = "let Sarah from finance know I'll review the numbers"
    meaning = with_rows(frame, said, rows=rows)
    assert meaning.address("Sarah") == "sarah@northwind.com"
    plain = with_rows(frame, "let Sarah know I'll review the numbers", rows=rows)
    assert plain.clarification is not None and plain.clarification.kind == "person"


@pytest.mark.parametrize(("service", "day"), [("drive", 17), ("gmail", 17), ("calendar", 24)])
def test_a_bare_weekday_of_mail_and_files_is_the_one_just_gone(service: str, day: int) -> None:
    # Wednesday 18 November: files modified "on Tuesday" were modified on the 17th; the
    # meetings "on Tuesday" are on the 24th.
    frame = Frame(services=[service], target=Selection(service=service, time="on Tuesday"))
    meaning = with_rows(frame, "what was modified on Tuesday?", now=datetime(2026, 11, 18, 12, tzinfo=UTC))
    assert meaning.target_window is not None and meaning.target_window.start.day == day


def test_whose_message_a_reply_answers_is_looked_up_not_asked_about() -> None:
    rows = [
        *(row for row in ROWS if row[0] != "Sarah Cheng"),
        ("Sarah Cheng", "sarah.cheng@brightwave.io", 30, 20),
    ]

    def resolved(frame: Frame) -> Meaning:
        return with_rows(frame, "", rows=rows)

    sarahs = Selection(service="gmail", people=[PersonRef(name="Sarah", role="from")], order="latest", count=1)
    reply = resolved(Frame(act="reply", services=["gmail"], target=sarahs, message=Message(body="Thanks")))
    assert reply.clarification is None  # search ranks both Sarahs' mail; the card shows whom it answers
    forward = Frame(
        act="forward",
        services=["gmail"],
        target=Selection(service="gmail", topic="invoice"),
        message=Message(to=["Sarah"]),
    )
    asked = resolved(forward).clarification
    assert asked is not None and asked.kind == "person"  # a new recipient is never guessed
