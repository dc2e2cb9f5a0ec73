"""The offline reader fills the request frame from requests typed the way people type them:
each family below holds phrasings that must read the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.understanding.frame import Frame
from assistant.understanding.local import local_understanding
from assistant.understanding.reader import FrameReader
from assistant.understanding.schema import EVERYONE


@pytest.fixture(scope="module")
def reader(data_dir: Path) -> FrameReader:
    return FrameReader(local_understanding(get_settings()))


def read(reader: FrameReader, text: str) -> Frame:
    return reader.read(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "when is my next 1:1 with Priya",
        "whens my next 1:1 w priya",
        "Could you tell me when my next one-on-one with Priya is scheduled, please?",
        "next 1-on-1 with Priya?",
    ],
)
def test_the_next_occurrence_of_a_meeting_with_someone(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert (frame.act, frame.target.service, frame.target.order, frame.target.count) == ("find", "calendar", "next", 1)
    assert frame.target.title == "1:1"
    assert [(p.name.lower(), p.role) for p in frame.target.people] == [("priya", "with")]


@pytest.mark.parametrize(
    ("text", "sender", "count"),
    [
        ("Sarah's latest email", "sarah", 1),
        ("Could you show me the most recent email Sarah Chen has sent me, please?", "sarah chen", 1),
        ("show me Tom's most recent email", "tom", 1),
        ("the 3 newest emails from Priya", "priya", 3),
    ],
)
def test_the_newest_mail_from_someone(reader: FrameReader, text: str, sender: str, count: int) -> None:
    frame = read(reader, text)
    assert (frame.act, frame.target.service, frame.target.order, frame.target.count) == (
        "find",
        "gmail",
        "latest",
        count,
    )
    assert [(p.name.lower(), p.role) for p in frame.target.people] == [(sender, "from")]


@pytest.mark.parametrize(
    "text",
    [
        "email Daniel with the subject 'Staging' saying 'the deploy is green'",
        'Could you please send Daniel an email with the subject "Staging" that says "the deploy is green"? Thank you.',
        "Mail Daniel. Subject: Staging. Message: the deploy is green.",
    ],
)
def test_a_message_keeps_its_subject_and_body_as_written(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.message is not None
    assert (frame.message.to, frame.message.subject, frame.message.body) == (
        ["Daniel"],
        "Staging",
        "the deploy is green",
    )


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("tell Daniel I'll be late tomorrow", "I'll be late tomorrow"),
        ("let Sarah know the numbers are in", "the numbers are in"),
        ("tell Sarah Chen I'll review the numbers by Thursday", "I'll review the numbers by Thursday"),
    ],
)
def test_reported_speech_is_a_message_to_send(reader: FrameReader, text: str, body: str) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.services[0] == "gmail" and frame.message is not None
    assert frame.message.body == body and not frame.message.quoted and frame.message.to


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("make the standup 15 minutes earlier tomorrow", -15),
        ("Could you move tomorrow's product standup fifteen minutes earlier, please?", -15),
        ("push my 3pm meeting back by 30 minutes", 30),
    ],
)
def test_a_move_by_a_duration_changes_the_event(reader: FrameReader, text: str, minutes: int) -> None:
    frame = read(reader, text)
    assert frame.act == "change" and frame.event is not None
    assert frame.event.shift_minutes == minutes and frame.event.duration_minutes is None


@pytest.mark.parametrize(
    "text",
    [
        "move Monday's 1:1 with Priya to Tuesday, same time",
        "Could you shift my 1:1 with Priya to Tuesday, keeping the same time?",
    ],
)
def test_a_move_to_another_day_at_the_same_time(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "change" and frame.event is not None and frame.event.keep_time
    assert frame.event.start is not None and "tuesday" in frame.event.start.lower() and frame.event.zone is None


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("book a 90-minute Design Crit on Thursday at 1pm", 90),
        (
            "Could you please put a Design Crit in my calendar for this Thursday at 1pm? "
            "It should run for an hour and a half.",
            90,
        ),
        ("Design Crit, Thursday 13:00, 90 minutes", 90),
    ],
)
def test_a_new_event_keeps_its_title_and_length(reader: FrameReader, text: str, duration: int) -> None:
    frame = read(reader, text)
    assert frame.act == "create" and frame.event is not None
    assert (frame.event.title, frame.event.duration_minutes) == ("Design Crit", duration)


@pytest.mark.parametrize(
    ("text", "person", "access", "role"),
    [
        ("stop sharing the launch plan with Hannah", "Hannah", "revoke", None),
        ("please revoke Marco's access to the roadmap deck", "Marco", "revoke", None),
        ("unshare the Q3 budget spreadsheet from olivia@acme.com", "olivia@acme.com", "revoke", None),
        ("take Tom off the pricing sheet", "Tom", "revoke", None),
        ("remove Priya Shah's permissions on the hiring doc", "Priya Shah", "revoke", None),
        ("make Sarah a viewer on the forecast spreadsheet", "Sarah", "set", "reader"),
        ("change Daniel's access to the API design doc so he can only comment", "Daniel", "set", "commenter"),
        ("Tom should only be able to view the launch deck from now on", "Tom", "set", "reader"),
        ("give hannah edit access to the offsite agenda doc", "hannah", "grant", "writer"),
        ("marco should be able to comment on the roadmap deck", "marco", "grant", "commenter"),
        ("share the itinerary with Lena, she doesn't need to edit it", "Lena", "grant", "reader"),
    ],
)
def test_access_is_given_changed_or_taken_away_as_said(
    reader: FrameReader, text: str, person: str, access: str, role: str | None
) -> None:
    frame = read(reader, text)
    assert frame.act == "share" and frame.share is not None, frame
    assert frame.share.people == [person] and frame.share.access == access
    assert frame.services[0] == "drive" and frame.clarification is None
    if role is not None:
        assert frame.share.role == role


@pytest.mark.parametrize(
    ("text", "item", "name"),
    [
        ("rename 'Offsite agenda' to 'Offsite agenda (final)'", "Offsite agenda", "Offsite agenda (final)"),
        ("please rename the hiring plan doc to Hiring plan 2027 - v2", "hiring plan", "Hiring plan 2027 - v2"),
        (
            'could you rename my "Q3 numbers" sheet to "Q3 numbers - closed", thanks',
            "Q3 numbers",
            "Q3 numbers - closed",
        ),
        ("renmae the launch checklist to Launch checklist 12 Jan", "launch checklist", "Launch checklist 12 Jan"),
        (
            "would you mind renaming the Beacon notes document to Beacon notes (old)?",
            "Beacon notes",
            "Beacon notes (old)",
        ),
    ],
)
def test_a_rename_names_the_item_and_its_new_name_as_written(
    reader: FrameReader, text: str, item: str, name: str
) -> None:
    frame = read(reader, text)
    assert frame.act == "change" and frame.rename == name, frame
    assert frame.target.title == item and frame.target.time is None and not frame.target.people
    assert frame.clarification is None


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("share the budget sheet with Priya so she can edit", "writer"),
        ("let Priya comment on the PRD", "commenter"),
        ("give Marco read-only access to the Beacon PRD", "reader"),
    ],
)
def test_sharing_says_with_whom_and_what_they_may_do(reader: FrameReader, text: str, role: str) -> None:
    frame = read(reader, text)
    assert frame.act == "share" and frame.share is not None
    assert frame.share.role == role and len(frame.share.people) == 1


@pytest.mark.parametrize(
    "text",
    [
        "delete all emails from Tom Becker",
        "Trash everything I've received from Tom Becker.",
        "delte all the emails from tom becker",
    ],
)
def test_all_of_someones_mail_is_every_item_not_one(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "delete" and frame.target.service == "gmail" and frame.target.every
    assert [(p.name.lower(), p.role) for p in frame.target.people] == [("tom becker", "from")]


@pytest.mark.parametrize(
    "text",
    ["who has access to the roadmap deck", "is the pricing one-pager shared with Daniel?", "who can edit the roadmap?"],
)
def test_who_has_access_is_a_question_about_a_file(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.ask == "access" and frame.target.service == "drive" and frame.act == "find"


def test_two_clauses_about_two_services_are_two_selections(reader: FrameReader) -> None:
    frame = read(reader, "emails from Sarah about the budget and my meetings with her next week")
    assert frame.target.service == "gmail" and frame.target.topic == "budget" and frame.target.time is None
    assert [(p.name, p.role) for p in frame.target.people] == [("Sarah", "from")]
    (meetings,) = frame.also
    assert meetings.service == "calendar" and meetings.time == "next week"
    assert [(p.name, p.role) for p in meetings.people] == [("Sarah", "with")]


@pytest.mark.parametrize(
    ("text", "reach"),
    [
        ("show me Sarah Chen's inbox", "other_account"),
        ("whats in daniels mailbx", "other_account"),
        ("Could you log in to Daniel Okafor's account and check his unread emails for me?", "other_account"),
        ("open Priya's calendar account", "other_account"),
        ("send an email from Sarah Chen's account to Priya approving the Q4 numbers", "send_as_other"),
        ("Could you please email Priya as Sarah Chen, from her address, saying it's approved?", "send_as_other"),
        ("what's in my inbox", None),
        ("email Tom as soon as possible saying hi", None),
        ("show me emails from Tom's account manager", None),
        ("emails from Sarah Chen about the account", None),
    ],
)
def test_another_persons_account_is_out_of_reach(reader: FrameReader, text: str, reach: str | None) -> None:
    assert read(reader, text).out_of_reach == reach


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("catch me up on Atlas", "Atlas"),
        ("whats the latest on beacon", "beacon"),
        ("wheres the Istanbul workshop at", "Istanbul workshop"),
        ("I've been away. Could you catch me up on where the pricing project stands now?", "pricing project"),
        ("what do I need to know before the board meeting", "board meeting"),
        ("fill me in on the Greenleaf incident please", "Greenleaf incident"),
    ],
)
def test_a_catch_up_looks_in_mail_files_and_meetings(reader: FrameReader, text: str, subject: str) -> None:
    frame = read(reader, text)
    assert frame.act == "find" and frame.target.topic == subject
    looked = {(s.service, s.topic) for s in [frame.target, *frame.also]}
    assert looked == {("gmail", subject), ("drive", subject), ("calendar", subject)}


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("what does next week look like?", "next week"),
        ("summarise my week", "this week"),
        ("how's my week looking", "this week"),
        ("what's on tomorrow", "tomorrow"),
        ("walk me through next week, the meetings that matter", "next week"),
    ],
)
def test_a_look_at_the_calendar_is_every_event_of_it_in_order(reader: FrameReader, text: str, time: str) -> None:
    target = read(reader, text).target
    assert target.service == "calendar" and target.every and target.order == "earliest"
    assert target.time == time and target.topic is None


@pytest.mark.parametrize("text", ["what meetings do I have with Sarah next week", "when is the offsite next week"])
def test_a_look_for_something_in_a_stretch_is_not_an_agenda(reader: FrameReader, text: str) -> None:
    assert not read(reader, text).target.every


@pytest.mark.parametrize(
    ("text", "to", "cc"),
    [
        ("emial daniel, subject 'Staging', say 'the deploy is green'", ["daniel"], []),
        ("emal tom becker subj 'NRF 2027' text 'count product in, I will go'", ["tom becker"], []),
        ("email Marco, cc Hannah, subject 'Concepts': 'please share the latest Figma link'", ["Marco"], ["Hannah"]),
        (
            "Send Marco Bianchi a note (Hannah Lee in cc) titled 'Concepts': please share the link",
            ["Marco Bianchi"],
            ["Hannah Lee"],
        ),
        ("Write to Mehmet at Anadolu: I want a Beacon pilot session added to the workshop.", ["Mehmet"], []),
        ("let emma know daniel wil join the product analyst interviews", ["emma"], []),
        (
            "email Lena Fischer, cc Marco: subject 'Welcome to Northwind', body 'we look forward to it'",
            ["Lena Fischer"],
            ["Marco"],
        ),
    ],
)
def test_whoever_a_message_opens_by_addressing_receives_it(
    reader: FrameReader, text: str, to: list[str], cc: list[str]
) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.message is not None, frame
    assert frame.message.to == to and frame.message.cc == cc


@pytest.mark.parametrize(
    ("text", "services", "subject"),
    [
        (
            "the Kestrel contract: the emails, the signed PDF and the kickoff meeting",
            ["gmail", "drive", "calendar"],
            "Kestrel",
        ),
        ("Northwind offsite - mails + docs + calendar entry", ["gmail", "drive", "calendar"], "Northwind offsite"),
        (
            "my flight to Berlin, both the confirmation email and the entry in my calendar",
            ["gmail", "calendar"],
            "Berlin",
        ),
        (
            "Could you gather everything on the office move, please: the documents in Drive and the email threads?",
            ["drive", "gmail"],
            "office move",
        ),
        ("hiring plan: the spreadsheet and the review call", ["drive", "calendar"], "hiring plan"),
    ],
)
def test_a_list_of_things_from_several_services_is_one_selection_each(
    reader: FrameReader, text: str, services: list[str], subject: str
) -> None:
    frame = read(reader, text)
    selections = [frame.target, *frame.also]
    assert frame.act == "find" and [s.service for s in selections] == services
    for selection in selections:
        said = f"{selection.title or ''} {selection.topic or ''}".lower()
        assert subject.lower() in said, selection
        assert not {"gather", "please", "both", "entry", "threads"} & set(said.split()), selection


def test_names_in_a_listed_subject_are_what_it_is_about_not_whose() -> None:
    from assistant.understanding import listing

    parts = listing.listed_parts("Priya Shah: her hiring emails and her leaving drinks in my calendar")
    assert [(p.service, p.subject) for p in parts] == [("gmail", "Priya Shah"), ("calendar", "Priya Shah")]


@pytest.mark.parametrize(
    "text",
    [
        "emails about the quarterly report",
        "find the contract Sarah emailed me",
        "delete the report and the emails from Tom",
        "what meetings do I have tomorrow",
    ],
)
def test_one_thing_is_not_a_list(reader: FrameReader, text: str) -> None:
    from assistant.understanding import listing

    assert listing.listed_parts(text) == [] or read(reader, text).act != "find"
    assert not read(reader, text).also


@pytest.mark.parametrize(
    ("text", "to", "file"),
    [
        ("send Marco the link to the Q3 board deck", "Marco", "board"),
        ("email hannah the budget sheet link", "hannah", "budget"),
        ("could you send Emma Walsh a link to the hiring plan doc?", "Emma Walsh", "hiring"),
        ("share the link to the pricing one-pager with Tom Becker by email", "Tom Becker", "pricing"),
    ],
)
def test_a_files_link_is_a_message_carrying_it(reader: FrameReader, text: str, to: str, file: str) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.message is not None and frame.message.link
    assert frame.message.to == [to]
    assert frame.target.service == "drive"
    assert file in f"{frame.target.title or ''} {frame.target.topic or ''}".lower()


@pytest.mark.parametrize(
    ("text", "added", "removed", "title"),
    [
        ("invite Tom Becker to tomorrow's standup", ["Tom Becker"], [], "standup"),
        ("please add Priya and Marco to the offsite planning meeting", ["Priya", "Marco"], [], "offsite planning"),
        ("uninvite Sarah from Friday's pricing review", [], ["Sarah"], "pricing review"),
        ("kick Tom out of the design review", [], ["Tom"], "design review"),
    ],
)
def test_people_added_to_or_taken_off_an_existing_event(
    reader: FrameReader, text: str, added: list[str], removed: list[str], title: str
) -> None:
    frame = read(reader, text)
    assert frame.act == "change" and frame.event is not None
    assert frame.event.attendees == added and frame.event.uninvited == removed
    assert frame.event.start is None and not frame.target.people
    assert title in (frame.target.title or "").lower()


@pytest.mark.parametrize(
    "text",
    [
        "add focus time to Friday",
        "add a session about pricing to the workshop agenda",
        "add lunch with Sarah to my calendar tomorrow at 1",
        "remove Sarah from the budget sheet",
    ],
)
def test_a_thing_added_or_a_file_unshared_is_no_guest_change(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.event is None or (not frame.event.uninvited and frame.act != "change")


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("reply to daniels email about the offsite: 'sounds good'", "daniel"),
        ("fwd toms budget mail to priya", "tom"),
        ("reply to sarah chens latest message: 'on my way'", "sarah chen"),
        ("forward emmas cv email to hannah", "emma"),
    ],
)
def test_a_possessive_typed_without_its_apostrophe_is_whose_mail(reader: FrameReader, text: str, owner: str) -> None:
    frame = read(reader, text)
    assert [(p.name.lower(), p.role) for p in frame.target.people] == [(owner, "from")]
    assert frame.message is not None and not [name for name in frame.message.to if owner in name.lower()]


@pytest.mark.parametrize(
    "text",
    ["pay the bills by friday", "marks and spencer receipts from october", "email thomas about the rooms"],
)
def test_words_ending_in_s_are_left_alone(text: str) -> None:
    from assistant.understanding.people import with_possessives

    assert with_possessives(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "reply all to Priya's latest budget email: 'Works for me'",
        'Could you reply to everyone on the newest offsite thread from Marco with "count me in"?',
        "reply all to Hannah's last email, saying 'Thanks all'",
    ],
)
def test_reply_all_answers_one_email(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "reply" and frame.message is not None and frame.message.reply_all
    assert not frame.target.every


def test_what_a_quoted_reply_says_is_not_done(reader: FrameReader) -> None:
    frame = read(reader, "reply all to Marco's offsite email: 'could we move the dinner to 8pm?'")
    assert frame.act == "reply" and frame.target.service == "gmail"


@pytest.mark.parametrize("text", ["Hannah's emails this week", "delete this month's GitHub notifications"])
def test_this_is_never_a_possessive(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.target.time is not None and frame.target.time.lower().startswith("this")


@pytest.mark.parametrize(
    "text",
    [
        "draft a reply to Priya's offsite email: 'count me in'",
        "Could you write a draft reply to Marco's email about the venue saying \"Looks good\"? I'll send it myself.",
        "prepare a response to daniels deploy email, don't send it yet: 'go ahead'",
    ],
)
def test_a_drafted_reply_answers_the_email_and_is_kept_as_a_draft(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "reply" and frame.message is not None and frame.message.draft
    assert frame.target.service == "gmail" and [p.role for p in frame.target.people] == ["from"]


@pytest.mark.parametrize(
    ("text", "whose"),
    [
        ("reply to daniel saying ok, go ahead", "daniel"),
        ("Reply to Priya: 'sounds good, see you then'", "Priya"),
        ("respond to Marco Bianchi that I'll be there", "Marco Bianchi"),
    ],
)
def test_a_reply_to_someone_answers_their_latest_email(reader: FrameReader, text: str, whose: str) -> None:
    frame = read(reader, text)
    assert frame.act == "reply" and frame.message is not None and frame.message.to == []
    assert [(p.name, p.role) for p in frame.target.people] == [(whose, "from")]
    assert frame.target.order == "latest" and frame.target.count == 1


@pytest.mark.parametrize(
    ("text", "ask", "service"),
    [
        ("could you remind me when my dentist appointment is?", "when", "calendar"),
        ("remind me who organised the offsite", "who", "calendar"),
        ("the vendor contract draft - who's it from?", "who", "gmail"),
        ("Beacon sync: when and who", "when", "calendar"),
        ("board meeting - when + with who", "when", "calendar"),
        ("who sent over the Q3 numbers?", "who", "gmail"),
        ("Could you tell me when the follow-up call with Greenleaf is, please?", "when", "calendar"),
    ],
)
def test_a_question_makes_nothing(reader: FrameReader, text: str, ask: str, service: str) -> None:
    """Nouns such as "draft" or "call", and "remind me when", do not make a question a write."""
    frame = read(reader, text)
    assert (frame.act, frame.ask, frame.target.service) == ("find", ask, service)
    assert frame.clarification is None or frame.clarification.kind != "operation"
    assert "remind" not in (frame.target.topic or "").lower()


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("remind me to call mum at 5", "create"),
        ("book a meeting with Sarah to discuss when we launch", "create"),
        ("tell Daniel when the standup starts", "send"),
        ("draft a reply to Tom asking who's coming", "reply"),
    ],
)
def test_a_verb_that_makes_something_still_does(reader: FrameReader, text: str, act: str) -> None:
    assert read(reader, text).act == act


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("how many emails have I had from Tom so far this month", False),
        ("how many unred emails today", True),
        ("today's unread count", True),
        ("number of messages I've written to Sarah since 1 November", False),
        ("how many times did I meet Priya last month", False),
    ],
)
def test_a_count_searches_no_words_of_the_question(reader: FrameReader, text: str, unread: bool) -> None:
    """ "so far", "had", "written", "times" say how to count, not what about; unread mail is mail."""
    frame = read(reader, text)
    assert frame.ask == "count" and frame.target.topic is None
    assert frame.target.unread == unread
    if unread:
        assert frame.target.service == "gmail" and frame.clarification is None


@pytest.mark.parametrize(
    ("text", "sought"),
    [
        ("when's my dentist appointment", "dentist appointment"),
        ("when is my physio appointment", "physio appointment"),
        ("what time is the board meeting", "board meeting"),
        ("what time am I at the dentist?", "dentist"),
    ],
)
def test_a_question_seeks_the_whole_name_and_not_the_question(reader: FrameReader, text: str, sought: str) -> None:
    """The words right before the tagged name are part of it; "what time" is no part."""
    target = read(reader, text).target
    assert (target.title or target.topic or "").lower() == sought


@pytest.mark.parametrize(
    "text",
    ["who approved the budget increase", "who signed off the offsite budget?", "who sent over the Q3 numbers?"],
)
def test_who_approved_or_sent_something_is_asked_of_mail(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "find" and frame.target.service == "gmail"


@pytest.mark.parametrize(
    ("text", "sender", "to", "cc"),
    [
        ("forward the workshop agenda that Mehmet sent to both Daniel and Marco", "Mehmet", ["Daniel", "Marco"], []),
        ("Could you forward the email where Lena Fischer accepted our offer to Marco?", "Lena Fischer", ["Marco"], []),
        (
            "forward Kestrel Digital's contract extension email to Sarah Chen, copying Daniel",
            "Kestrel Digital",
            ["Sarah Chen"],
            ["Daniel"],
        ),
        ("reply to everyone on Mehmet's email saying 'could we start at 10?'", "Mehmet", [], []),
    ],
)
def test_whose_mail_and_who_gets_it(reader: FrameReader, text: str, sender: str, to: list[str], cc: list[str]) -> None:
    """A sender said by what they did ("that Mehmet sent", "where Lena accepted") or by a
    possessive; recipients after "both" or "copying"; "everyone" is nobody's name."""
    frame = read(reader, text)
    assert [(p.name, p.role) for p in frame.target.people if p.role == "from"] == [(sender, "from")]
    assert all(p.name.lower() != "everyone" for p in frame.target.people)
    assert frame.message is not None and frame.message.to == to and frame.message.cc == cc


@pytest.mark.parametrize(
    ("text", "to"),
    [
        ("draft emma an email asking her to book screens", ["emma"]),
        ("draft an email to Mehmet, subject 'Beacon pilot', proposing a pilot", ["Mehmet"]),
        ("send an email to Mehmet saying the pilot is on", ["Mehmet"]),
        ("write a quick note to Hannah that the deck is ready", ["Hannah"]),
    ],
)
def test_whom_a_message_is_to_after_its_noun(reader: FrameReader, text: str, to: list[str]) -> None:
    frame = read(reader, text)
    assert frame.act in ("send", "draft") and frame.message is not None and frame.message.to == to


@pytest.mark.parametrize(
    ("text", "topic", "sender"),
    [
        ("Could you please trash all the CloudNest invoice emails dated before September?", "CloudNest invoice", None),
        ("Bin every CloudNest invoice older than 1 September.", "CloudNest invoice", None),
        (
            "get rid of every issue of Sarah Chenoweth's Strategy Letter in my mailbox",
            "Strategy Letter",
            "Sarah Chenoweth",
        ),
        ("delete linkedin mails from octobr pls", "linkedin", None),
        ("clear out all the emails from Turkish Airlines? Keep the rest.", None, "Turkish Airlines"),
    ],
)
def test_a_bulk_delete_searches_only_what_names_the_mail(
    reader: FrameReader, text: str, topic: str | None, sender: str | None
) -> None:
    """Words that say how to delete ("bin", "dated", "older than", "every issue of", "clear
    out") are no topic, a month typed one slip off is no sender, and a sentence ends a name."""
    target = read(reader, text).target
    assert target.every and (target.topic or None) == topic
    assert [p.name for p in target.people if p.role == "from"] == ([sender] if sender else [])
    assert all(p.role == "from" for p in target.people)


@pytest.mark.parametrize(
    ("text", "month"), [("emails from novmber", 11), ("invoices since septmber", 9), ("mail from octobr", 10)]
)
def test_a_month_typed_one_slip_off_is_that_month(text: str, month: int) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from assistant.understanding.dates import resolve_when
    from assistant.understanding.when import for_resolver, time_phrases

    phrases = time_phrases(text)
    assert len(phrases) == 1
    window = resolve_when(for_resolver(phrases[0].text), datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("Europe/London")))
    assert window is not None and window.start.month == month


@pytest.mark.parametrize(
    ("text", "promotions"),
    [
        ("Could you please trash every promotional email from easyJet? I never fly with them.", True),
        ("delete all promos from this month", True),
        ("marketing emails from Turkish Airlines", True),
        ("emails about the marketing plan", False),
        ("Sarah's email about the promotion", False),
    ],
)
def test_promotional_mail_is_gmails_promotions_category(reader: FrameReader, text: str, promotions: bool) -> None:
    target = read(reader, text).target
    assert (target.labels == ["CATEGORY_PROMOTIONS"]) == promotions
    if promotions:
        assert not re.search(r"promo|marketing", target.topic or "")


@pytest.mark.parametrize(
    ("text", "start", "minutes"),
    [
        ("if nothing's booked on Monday at 11, put 'Hiring plan' there for an hour", "on monday at 11", 60),
        ("if mon 11am is free add 'Hiring plan' 1h", "mon 11am", 60),
        ("if I'm available Friday at 2, book 'Budget sync' for 45 min", "friday at 2", 45),
    ],
)
def test_a_new_event_only_if_its_time_is_free(reader: FrameReader, text: str, start: str, minutes: int) -> None:
    """The time the condition names is the event's; a quoted title does not make "1h" an
    hour added to something."""
    frame = read(reader, text)
    assert frame.act == "create" and frame.condition is not None and frame.condition.kind == "free"
    assert frame.event is not None and (frame.event.start or "").lower() == start
    assert frame.event.duration_minutes == minutes


@pytest.mark.parametrize(
    ("text", "act", "target", "other"),
    [
        ("cancel tomorrow's standup if it clashes with the Q4 review", "delete", "standup", "q4 review"),
        (
            "If Friday's sprint review overlaps with the board meeting, could you cancel the sprint review?",
            "delete",
            "sprint review",
            "board meeting",
        ),
        (
            "if the offsite conflicts with next week's design review, move the design review to Friday at 3",
            "change",
            "design review",
            "offsite",
        ),
        ("delete my 1:1 with Priya next week if it clashes with anything", "delete", "1:1", None),
        (
            "check whether next week's retro overlaps another meeting and, if it does, cancel the retro",
            "delete",
            "retro",
            None,
        ),
    ],
)
def test_an_act_only_if_an_event_clashes(
    reader: FrameReader, text: str, act: str, target: str, other: str | None
) -> None:
    """The event acted on is the one named outside the condition (or by "it"); the other is
    what it must clash with, or any event ("anything", "another meeting")."""
    frame = read(reader, text)
    assert frame.act == act and frame.condition is not None and frame.condition.kind == "overlaps"
    assert target in (frame.target.title or frame.target.topic or "").lower()
    said_other = frame.condition.other
    if other is None:
        assert said_other is None
    else:  # the words that name it ("board" of "the board meeting")
        assert said_other is not None
        words = (said_other.title or said_other.topic or "").lower().split()
        assert words and set(words) <= set(other.split())
    assert frame.clarification is None or frame.clarification.kind not in ("operation", "service")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Daniel and I have agreed to drop our weekly one-on-ones. Could you cancel all the future ones?", "1:1"),
        ("end the recurring 1:1 with Daniel", "1:1"),
        ("we're dropping the weekly design review, cancel it going forward", "design review"),
        ("cancel the standup, all future ones", "standup"),
        ("stop our weekly syncs with Marco", None),
    ],
)
def test_ending_a_series_cancels_it_from_its_next_occurrence(reader: FrameReader, text: str, title: str | None) -> None:
    """Not every occurrence found one by one: the series, from the next one on."""
    target = read(reader, text).target
    assert read(reader, text).act == "delete" and target.series == "following"
    assert not target.every and target.order == "next" and target.count == 1
    if title:
        assert (target.title or "").lower() == title


@pytest.mark.parametrize(
    ("text", "order", "ask"),
    [
        ("my previous 1:1 with Daniel, when was it?", "latest", "when"),
        ("my previous meeting with Sarah from finance", "latest", "list"),
        ("the prior email from Tom", "latest", "list"),
        ("date of the next all-hands?", "next", "when"),
    ],
)
def test_previous_is_the_latest_and_a_trailing_when_asks_when(
    reader: FrameReader, text: str, order: str, ask: str
) -> None:
    frame = read(reader, text)
    assert (frame.target.order, frame.ask) == (order, ask)
    assert "'" not in (frame.target.title or "") and "previous" not in (frame.target.topic or "")


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("Could you check whether the pricing one-pager PDF has been shared with Daniel, please?", ["Daniel"]),
        ("could you check whether Marco has access to the Beacon PRD?", ["Marco"]),
        ("what access does Sarah have to the vendor contracts sheet?", ["Sarah"]),
        ("is Sarah Chen an editor on the vendor contracts spreadsheet?", ["Sarah Chen"]),
        ("check whether the itinerary doc is shared with anybody", []),
    ],
)
def test_who_has_access_asked_politely_or_by_role(reader: FrameReader, text: str, about: list[str]) -> None:
    frame = read(reader, text)
    assert frame.ask == "access" and frame.target.service == "drive"
    assert (frame.share.people if frame.share else []) == about
    assert "been" not in (frame.target.topic or "")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Could you please share the 'Q4 Financial Review - Product' spreadsheet with Priya so she can read it "
            "before Tuesday?",
            "Q4 Financial Review - Product",
        ),
        ("delete the event called 'Team sync' tomorrow", "Team sync"),
        (
            'give Tom edit access to the "Atlas pricing model" sheet so he can update it by Friday',
            "Atlas pricing model",
        ),
    ],
)
def test_a_quoted_name_is_the_name_and_a_purpose_selects_nothing(reader: FrameReader, text: str, title: str) -> None:
    """The name as quoted (not run on into "spreadsheet'"); "so she can read it before
    Tuesday" says why, not which file."""
    target = read(reader, text).target
    assert target.title == title
    assert target.time is None or "tomorrow" in text


@pytest.mark.parametrize(
    ("text", "files"),
    [
        ("share the Beacon PRD and the interview synthesis with Hannah as a commenter", 2),
        ("give Priya edit access to both the roadmap deck and the pricing sheet, please", 2),
        ("hannah should be able to comment on the beacon prd + the synthesis", 2),
        ("share the research and development plan with Daniel", 1),
        ("share the pricing deck with Tom and Sarah", 1),
    ],
)
def test_a_share_of_several_files_shares_each(reader: FrameReader, text: str, files: int) -> None:
    frame = read(reader, text)
    assert frame.act == "share" and 1 + len(frame.also) == files
    assert all(selection.service == "drive" for selection in [frame.target, *frame.also])


@pytest.mark.parametrize(
    ("text", "received"),
    [
        ("how many emails with attachments did I get this month", True),
        ("count the emails that came in with files attached in November", True),
        ("invoices I've received since September", True),
        ("emails I sent to Tom", False),
        ("emails about the budget", False),
    ],
)
def test_mail_received_is_not_mail_sent(reader: FrameReader, text: str, received: bool) -> None:
    target = read(reader, text).target
    assert target.received == received and not (target.received and target.sent_by_me)


@pytest.mark.parametrize(
    ("text", "act"),
    [("mvoe my 1:1 w priya to 3pm", "change"), ("sned Tom the deck", "send"), ("dleete the draft", "delete")],
)
def test_a_leading_verb_with_two_letters_swapped_is_that_verb(reader: FrameReader, text: str, act: str) -> None:
    assert read(reader, text).act == act


@pytest.mark.parametrize(
    ("text", "new_name"),
    [
        (
            "Could you change the title of the Brightwave call tomorrow to 'Brightwave - final terms'?",
            "Brightwave - final terms",
        ),
        ("rename brightwave call tmrw -> 'Brightwave - final terms'", "Brightwave - final terms"),
    ],
)
def test_a_rename_keeps_the_time_for_choosing_the_event(reader: FrameReader, text: str, new_name: str) -> None:
    frame = read(reader, text)
    assert frame.act == "change" and frame.rename == new_name
    assert frame.target.time is not None and (frame.event is None or frame.event.start is None)


@pytest.mark.parametrize(
    ("text", "title", "attendees", "minutes", "start"),
    [
        (
            "find 45 minutes with Priya on Thursday when we're both free to review the roadmap",
            "Review the roadmap",
            ["priya"],
            45,
            "on Thursday",
        ),
        (
            "set up an hour w tom + marco next wk wherever we're all free for the pricing sync",
            "Pricing sync",
            ["tom", "marco"],
            60,
            "next wk",
        ),
        (
            "Pricing sync with Tom and Marco on Wednesday afternoon, 45 mins, whenever we're all free",
            "Pricing sync",
            ["tom", "marco"],
            45,
            "on Wednesday afternoon",
        ),
        (
            "Could you find 20 minutes tomorrow morning when Hannah and I are both free and book a hiring "
            "debrief with her?",
            "Hiring debrief",
            ["hannah"],
            20,
            "tomorrow morning",
        ),
        ("get me 30 min w priya thurs when shes free", None, ["priya"], 30, "thurs"),
    ],
)
def test_time_found_when_people_are_free_is_a_new_event_with_them(
    reader: FrameReader, text: str, title: str | None, attendees: list[str], minutes: int, start: str
) -> None:
    frame = read(reader, text)
    assert frame.act == "create" and frame.event is not None
    assert frame.event.title == title  # the "when we're free" clause is no part of it
    assert [name.lower() for name in frame.event.attendees] == attendees
    assert frame.event.duration_minutes == minutes and frame.event.start == start


@pytest.mark.parametrize(
    ("text", "people", "minutes", "first"),
    [
        ("when are Tom, Marco and I all free on Friday?", ["tom", "marco"], None, False),
        ("when r me and priya both free for 2h next week", ["priya"], 120, False),
        ("is there a time on thursday when hannah and i are both free?", ["hannah"], None, False),
        ("my earliest free half hour on Friday", [], 30, True),
        ("Could you tell me when I first have a free hour on Monday?", [], 60, True),
    ],
)
def test_a_question_about_free_time_names_whose_time_and_how_long(
    reader: FrameReader, text: str, people: list[str], minutes: int | None, first: bool
) -> None:
    frame = read(reader, text)
    assert frame.act == "free_time"
    assert [p.name.lower() for p in frame.target.people] == people
    assert (frame.event.duration_minutes if frame.event else None) == minutes
    assert (frame.target.order == "earliest") == first


@pytest.mark.parametrize(
    "text", ["email Sarah asking when she's free next week", "tell Daniel I'm free tomorrow afternoon"]
)
def test_free_time_in_a_message_is_what_it_says(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.message is not None and "free" in (frame.message.body or "")


@pytest.mark.parametrize(
    ("text", "person", "start", "title"),
    [
        (
            "if Priya's free at 11 on Thursday, book 45 minutes with her about the launch plan",
            "Priya",
            "at 11 on Thursday",
            "Launch plan",
        ),
        (
            "Could you see whether Marco is free at 4pm tomorrow and, if so, set up half an hour with him to go "
            "through the demo?",
            "Marco",
            "at 4pm tomorrow",
            "Go through the demo",
        ),
        ("if hannah free mon 10am book 30 min w her re hiring", "hannah", "mon 10am", "Hiring"),
    ],
)
def test_a_booking_on_condition_that_someone_is_free_then(
    reader: FrameReader, text: str, person: str, start: str, title: str
) -> None:
    frame = read(reader, text)
    assert frame.act == "create" and frame.event is not None and frame.condition is not None
    assert frame.condition.kind == "free" and frame.condition.people == [person]
    assert frame.event.start == start and frame.event.attendees == [person]
    assert frame.event.title == title


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("Could you check how many flights are on my calendar for December, please?", "for December"),
        ("how many invoices for october?", "for october"),
    ],
)
def test_for_a_month_at_the_end_of_a_request_is_its_time(reader: FrameReader, text: str, time: str) -> None:
    frame = read(reader, text)
    assert frame.target.time == time and "december" not in (frame.target.topic or "").lower()
    named = read(reader, "set up 30 minutes with Sarah at 3 for the December forecast")
    assert named.event is not None and named.event.start == "at 3"  # "December forecast" names it


@pytest.mark.parametrize(
    "text",
    [
        "what did Hannah ask me about the Beacon name?",
        "what did marco say about the venue",
        "what was the Atlas NPS after one month?",
        "what's our churn rate this quarter",
    ],
)
def test_what_someone_said_or_a_figure_is_asked_of_mail_first(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "find" and frame.target.service == "gmail", frame


@pytest.mark.parametrize(
    "text",
    [
        "email everyone at Northwind with the subject 'Launch' saying 'we are live'",
        "send the whole company an email, subject 'Launch', text 'we are live'",
    ],
)
def test_the_whole_organisation_as_recipients(reader: FrameReader, text: str) -> None:
    frame = read(reader, text)
    assert frame.act == "send" and frame.message is not None and frame.message.to == [EVERYONE]


def test_a_name_before_its_team_in_let_know_is_the_recipient(reader: FrameReader) -> None:
    frame = read(reader, "Let Priya from product know I'll send the deck on Monday.")
    assert frame.act == "send" and frame.message is not None and frame.message.to == ["Priya"]
    assert "deck" in (frame.message.body or "")


@pytest.mark.parametrize(
    ("text", "to"),
    [
        ("draft a mail to marco subjet 'Venue' body 'the Shoreditch room is booked'", ["marco"]),
        ('Could you draft an email to my brother Sam, subject "Sunday", that says "lunch at 1?"', ["Sam"]),
        ("draft the release notes to all of acme, subject 'v2', text 'v2 is out'", [EVERYONE]),
    ],
)
def test_a_message_s_recipient_after_a_relation_or_a_misspelt_subject(
    reader: FrameReader, text: str, to: list[str]
) -> None:
    frame = read(reader, text)
    assert frame.act == "draft" and frame.message is not None and frame.message.to == to


@pytest.mark.parametrize(
    ("text", "service"),
    [("what was modified in Drive on Tuesday?", "drive"), ("anything new in my inbox about the offsite", "gmail")],
)
def test_a_place_said_is_where_to_look_first(reader: FrameReader, text: str, service: str) -> None:
    assert read(reader, text).target.service == service


def test_a_free_time_question_inside_a_longer_request_books_nothing(reader: FrameReader) -> None:
    frame = read(reader, "emails about the Istanbul trip and when am I free next week")
    assert frame.act == "free_time" and frame.event is None
    assert [s.service for s in [frame.target, *frame.also]] == ["gmail", "calendar"]
