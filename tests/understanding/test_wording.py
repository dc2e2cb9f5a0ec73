"""What a request says should be written: quoted text, a message's subject and body, an event's title."""

from __future__ import annotations

import pytest

from assistant.understanding.wording import (
    MessageContent,
    Quoted,
    event_title,
    existing_event_title,
    message_content,
    quoted_spans,
)

# --- quoted_spans ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ('say "the deploy is green"', [Quoted("the deploy is green", 4, 25)]),
        ("say 'the deploy is green'", [Quoted("the deploy is green", 4, 25)]),
        ("say “the deploy is green”", [Quoted("the deploy is green", 4, 25)]),
        ("say ‘the deploy is green’", [Quoted("the deploy is green", 4, 25)]),
        ("say «the deploy is green»", [Quoted("the deploy is green", 4, 25)]),
        ("subject:'Staging'", [Quoted("Staging", 8, 17)]),
        ("(‘draft’)", [Quoted("draft", 1, 8)]),
        (
            "«Budget» and ‘Roadmap’ and “Offsite”",
            [Quoted("Budget", 0, 8), Quoted("Roadmap", 13, 22), Quoted("Offsite", 27, 36)],
        ),
        ("subject 'Staging' saying 'all GREEN'", [Quoted("Staging", 8, 17), Quoted("all GREEN", 25, 36)]),
        ('call it "Q3 Review" - thanks', [Quoted("Q3 Review", 8, 19)]),
    ],
)
def test_quote_marks(text: str, spans: list[Quoted]) -> None:
    assert quoted_spans(text) == spans


@pytest.mark.parametrize(
    "text",
    [
        "forward Sarah's latest notes to Tom",
        "I'll review the numbers",
        "don't book anything on Friday",
        "what were Q4's numbers",
        "it's fine, it’s Sarah’s call",
        "the best of the 90s' music",
        "back in the '90s",
        "wait 'til Friday",
        "rock 'n' roll night",
        "the teams' plans",
        "Tom's 'great idea",  # opened, never closed, no content cue
        "say '' please",
        'a 27" monitor',
    ],
)
def test_apostrophes_are_not_quotes(text: str) -> None:
    assert quoted_spans(text) == []


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("saying 'I'll review Sarah's numbers'", ["I'll review Sarah's numbers"]),
        ("saying ‘don’t wait for Q4’s close’", ["don’t wait for Q4’s close"]),
        ("saying \"she said 'no' to it\"", ["she said 'no' to it"]),
        ("it's Sarah's 'Q3' deck", ["Q3"]),
        ("back in the '90s we said 'hi'", ["hi"]),
        ("the teams' plans and 'X'", ["X"]),
        ("message: 'it's done', thanks", ["it's done"]),
        ("reply 'Sounds GOOD' to Sarah's email", ["Sounds GOOD"]),
    ],
)
def test_apostrophes_inside_and_around_quotes(text: str, inside: list[str]) -> None:
    assert [span.text for span in quoted_spans(text)] == inside


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("email Tom saying 'the deploy is green", ["the deploy is green"]),
        ('email Tom with the subject "Staging', ["Staging"]),
        ("draft to Lena: 'your laptop is ready  ", ["your laptop is ready"]),
        ("put a meeting called 'Budget sync on Friday", ["Budget sync on Friday"]),
        ("rename the standup to “Daily sync", ["Daily sync"]),
        ("subject 'Staging' saying 'all green", ["Staging", "all green"]),
    ],
)
def test_an_unclosed_quote_after_a_content_cue_runs_to_the_end(text: str, inside: list[str]) -> None:
    assert [span.text for span in quoted_spans(text)] == inside


def test_an_unclosed_quote_ends_at_the_end_of_the_text() -> None:
    assert quoted_spans("saying 'ok") == [Quoted("ok", 7, 10)]


@pytest.mark.parametrize("text", ["email Tom 'the deploy is green", "book 'Design Crit on Thursday", "find “Budget"])
def test_an_unclosed_quote_without_a_cue_is_ignored(text: str) -> None:
    assert quoted_spans(text) == []


# --- message_content: subject and body -----------------------------------------------------

STAGING = MessageContent(subject="Staging", body="the deploy is green", quoted=True)


@pytest.mark.parametrize(
    "text",
    [
        "email Daniel with the subject 'Staging' saying 'the deploy is green'",
        'Could you please send Daniel an email with the subject "Staging" that says "the deploy is green"? Thank you.',
        "emial daniel, subject 'Staging', say 'the deploy is green'",
        "email Daniel, subject “Staging”, body “the deploy is green”",
        "send daniel an email titled 'Staging' that reads 'the deploy is green'",
        "email Daniel with the subject line «Staging» and the message «the deploy is green»",
        "email dan w/ subj 'Staging' sayin 'the deploy is green'",
        "send an email to Daniel, sbject 'Staging', mesage 'the deploy is green'",
        "shoot Daniel a mail with subjet ‘Staging’ writing ‘the deploy is green’",
        "email Daniel: subject 'Staging', text 'the deploy is green' thanks",
        "email Daniel saying 'the deploy is green' with the subject 'Staging'",
        "pls mail daniel re: 'Staging' - message: 'the deploy is green'",
    ],
)
def test_quoted_subject_and_body(text: str) -> None:
    assert message_content(text) == STAGING


@pytest.mark.parametrize(
    "text",
    [
        "Mail Daniel Okafor. Subject: Staging. Message: the deploy is green.",
        "Email Daniel. Subject - Staging. Text - the deploy is green",
        "email daniel subject: Staging body: the deploy is green",
        "New email to Daniel - subject: Staging - text: the deploy is green",
        "email Daniel, subject: Staging, message: the deploy is green, thanks",
        "write Daniel an email with subject Staging and with the text the deploy is green",
        "Send Daniel a note. Subj: Staging. Msg: the deploy is green!",
    ],
)
def test_labelled_subject_and_body(text: str) -> None:
    assert message_content(text) == STAGING


@pytest.mark.parametrize(
    ("text", "subject", "body"),
    [
        (
            "New email to Priya Shah and Daniel Okafor - subject: Roadmap 2027"
            " - text: self-serve onboarding moves to Q2",
            "Roadmap 2027",
            "self-serve onboarding moves to Q2",
        ),
        (
            "Send Daniel Okafor a message. Subject: Staging. Body: The deploy is GREEN!",
            "Staging",
            "The deploy is GREEN",
        ),
        ("mail Tom re: Q3 numbers. message: see the attached sheet", "Q3 numbers", "see the attached sheet"),
        ("email Tom, subject: v2.1 release, text: shipping at 5pm", "v2.1 release", "shipping at 5pm"),
    ],
)
def test_labels_keep_case_and_inner_punctuation(text: str, subject: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=subject, body=body, quoted=True)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (
            "draft to lena fischr cc marco: 'your laptop will be ready on 5 January'",
            "your laptop will be ready on 5 January",
        ),
        (
            "reply to Sarah Chen's last email saying 'Agenda looks good, see you on Tuesday'",
            "Agenda looks good, see you on Tuesday",
        ),
        (
            "Answer Sarah Chen's newest message: Agenda looks good, see you on Tuesday",
            "Agenda looks good, see you on Tuesday",
        ),
        ("email Tom 'running late'", "running late"),
        ("reply to Tom with 'sounds good'", "sounds good"),
        ("reply to Sarah's email with “ok”", "ok"),
        ("reply to Tom: sounds good", "sounds good"),
        ("let Tom know 'I'm running late'", "I'm running late"),
        ("tell Tom «I'm running late»", "I'm running late"),
        ("email Tom saying 'see you on Friday' and cc Priya", "see you on Friday"),
        ("text: 'Back at 3' to Priya", "Back at 3"),
        ("email Tom saying 'the deploy is green", "the deploy is green"),
    ],
)
def test_word_for_word_body_only(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=True)


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("email Daniel with the subject 'Staging'", "Staging"),
        ("email Daniel subject Staging", "Staging"),
        ("draft an email to Tom titled Q3 budget", "Q3 budget"),
        ("send the team an email with the subject 'Friday'", "Friday"),
        ("mail Priya re: Offsite venues", "Offsite venues"),
        ("new email to Tom, subject line: Travel plans, thanks", "Travel plans"),
        ("email Tom w/ the subjct “Invoice #42”", "Invoice #42"),
        ("draft to Sarah, the subject should be 'Hiring plan'", "Hiring plan"),
    ],
)
def test_subject_only(text: str, subject: str) -> None:
    assert message_content(text) == MessageContent(subject=subject, body=None, quoted=False)


@pytest.mark.parametrize(
    "text",
    [
        "email Sarah",
        "email Sarah about the budget",
        "send Tom the Q3 deck",
        "reply to Tom",
        "forward 'Q3 report' to Daniel",
        "forward the email with subject 'Q3 numbers' to Daniel",
        "forward Sarah's email titled 'Budget' to Tom",
        "reply to the email that Sarah sent",
        "email sarah on the subject of the launch",
        "Draft an email to Sarah's manager",
    ],
)
def test_nothing_to_write(text: str) -> None:
    assert message_content(text) == MessageContent()


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("forward the email with the subject 'Q3' to Daniel saying 'FYI'", "FYI"),
        ("forward Sarah's email titled “Budget” to Tom with the message 'please review'", "please review"),
        ("reply to Sarah's email re: budget saying 'ok'", "ok"),
        ("reply to the thread with subject Offsite saying 'count me in'", "count me in"),
    ],
)
def test_a_subject_that_names_an_existing_message_is_not_the_new_subject(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=True)


# --- message_content: reported speech --------------------------------------------------------

REVIEW = "I'll review the numbers by Thursday"


@pytest.mark.parametrize(
    "text",
    [
        "tell Sarah Chen I'll review the numbers by Thursday",
        "Let Sarah from finance know I'll review the numbers by Thursday.",
        "Could you drop Sarah Chen a quick email letting her know that I'll review the numbers by Thursday, please?",
        "email Sarah saying that I'll review the numbers by Thursday",
        "message Sarah Chen that I'll review the numbers by Thursday. Thanks!",
        "can you tell Sarah I'll review the numbers by Thursday? thank you",
        "write to Sarah and let her know I'll review the numbers by Thursday",
        "email Sarah telling her I'll review the numbers by Thursday",
        "tell Sarah, I'll review the numbers by Thursday",
        "Email Sarah Chen and say I'll review the numbers by Thursday please",
        "ping sarah lettin her know I'll review the numbers by Thursday",
        "tell Sarah from the finance team that I'll review the numbers by Thursday",
    ],
)
def test_reported_speech_is_kept_as_said(text: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=REVIEW, quoted=False)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("email sarah chen that ill reveiw the numbers by thursday", "ill reveiw the numbers by thursday"),
        ("tell sarah chen ill be late", "ill be late"),
        ("tell Tom, the deploy is green", "the deploy is green"),
        ("tell the team that the deploy is green", "the deploy is green"),
        ("message Tom that we're live. Thanks!", "we're live"),
        ("write to Tom saying that the deploy is green, please", "the deploy is green"),
        ("Can you email Tom and let him know the deploy is green?", "the deploy is green"),
        ("could you tell Tom I'm out tomorrow? thanks", "I'm out tomorrow"),
        ("email Tom saying see you on Friday and cc Priya", "see you on Friday"),
        ("email Sarah to say thanks", "thanks"),
        ("reply to Sarah with ok", "ok"),
        ("tell Tom can we meet at 3?", "can we meet at 3?"),
    ],
)
def test_reported_speech_keeps_words_and_case_as_typed(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=False)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (
            "draft an email to Claire Martin inviting her to the French labels preview in January",
            "inviting her to the French labels preview in January",
        ),
        ("ping Priya asking for the Q3 deck", "asking for the Q3 deck"),
        ("email Tom thanking him for the notes", "thanking him for the notes"),
        ("send Daniel an email confirming the offsite on 12 May, please", "confirming the offsite on 12 May"),
        ("write to the vendor declining their offer.", "declining their offer"),
        ("reply to Sarah accepting the invite", "accepting the invite"),
        ("draft a note to Lena reminding her about the laptop return", "reminding her about the laptop return"),
    ],
)
def test_a_gist_after_a_gerund_is_the_body(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=False)


@pytest.mark.parametrize(
    ("text", "subject", "body"),
    [
        ("email Daniel with the subject Staging saying the deploy is green", "Staging", "the deploy is green"),
        ("mail Daniel re: Staging saying the deploy is green", "Staging", "the deploy is green"),
        ("email Tom saying see you Friday, subject Weekend", "Weekend", "see you Friday"),
        ("email the team with the subject 'Release' saying I'll ship it tonight", "Release", "I'll ship it tonight"),
        ("reply to Sarah's email re: budget saying ok", None, "ok"),
        ("email Tom with the message saying that I'm late", None, "I'm late"),
    ],
)
def test_subject_with_a_reported_body(text: str, subject: str | None, body: str) -> None:
    assert message_content(text) == MessageContent(subject=subject, body=body, quoted=False)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("email Tom saying the subject line is wrong", "the subject line is wrong"),
        ("email Tom saying that I titled it Q3", "I titled it Q3"),
        ("tell Tom the subject of the talk changed", "the subject of the talk changed"),
        ("reply to Tom saying I'll say more tomorrow", "I'll say more tomorrow"),
        ("email Tom saying I renamed the subject 'Q3 plan'", "I renamed the subject 'Q3 plan'"),
        ("forward this to Tom saying FYI", "FYI"),
        ("reply all saying thanks", "thanks"),
    ],
)
def test_cue_words_inside_a_reported_body_are_words_of_the_body(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=False)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("email Tom saying 'the subject line is wrong'", "the subject line is wrong"),
        ('email Tom saying "message: call me"', "message: call me"),
        ("send Tom a message: I'm late", "I'm late"),
        ("reply all: thanks!", "thanks"),
        ("email sarah at 10:30: I'm in", "I'm in"),
    ],
)
def test_cue_words_inside_quotes_or_after_a_colon_are_words_of_the_body(text: str, body: str) -> None:
    assert message_content(text) == MessageContent(subject=None, body=body, quoted=True)


# --- event_title -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "book a 90-minute Design Crit on Thursday at 1pm",
        "Book a Design Crit on Thursday at 1pm",
        "book 90 min Design Crit thursday 1pm",
        "can you please schedule a 1-hour Design Crit next Thursday from 1 to 2:30?",
        "add Design Crit to my calendar on Thursday at 1",
        "put Design Crit in on thurs at 1pm pls",
        "create a Design Crit for Thursday 1pm",
        "set up an hour-long Design Crit on the 14th at 1",
        "schedule a Design Crit at the office on Thursday",
        "book a Design Crit for an hour and a half on 14 March",
        "Design Crit tomorrow 1-2pm",
    ],
)
def test_a_capitalised_name_between_verb_and_time(text: str) -> None:
    assert event_title(text) == "Design Crit"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("schedule a Beacon budget check with Sarah and Daniel tomorrow", "Beacon budget check"),
        ("schedule a Beacon budget check w/ Sarah & Daniel tmrw", "Beacon budget check"),
        ("book Q3 Planning with Priya on Monday", "Q3 Planning"),
        ("add Dentist appointment on the 14th at 9", "Dentist appointment"),
        ("put Board prep on my calendar for Friday 2-4pm", "Board prep"),
        ("schedule team standup weekdays at 9:30", "Team standup"),
        ("book the Beacon kickoff for 2 hours on Monday at 10", "Beacon kickoff"),
        ("set up Morning run tomorrow at 7am", "Morning run"),
        ("add Out of office on Friday", "Out of office"),
        ("set up a quick sync with Tom tomorrow", "Quick sync"),
        ("new event: Board prep friday 3pm", "Board prep"),
        ("add my daughter's recital on May 3 at 6pm", "Daughter's recital"),
        ("schedule Sarah's farewell lunch on Friday", "Sarah's farewell lunch"),
        ("put Design Crit (weekly) on Thursdays at 1", "Design Crit"),
        ("schedule weekly 1:1 with Priya every monday at 10", "Weekly 1:1"),
    ],
)
def test_a_named_event_drops_its_times_and_people(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("lunch with Sarah tomorrow at 1", "Lunch with Sarah"),
        ("Lunch with Sarah tomorrow at 1", "Lunch with Sarah"),
        ("coffee with Tom tomorrow", "Coffee with Tom"),
        ("add dinner with mom saturday 7pm", "Dinner with mom"),
        ("set up a call with Tom next Thursday from 2 to 3", "Call with Tom"),
        ("book lunch w/ sarah at noon", "Lunch with sarah"),
        ("schedule a 1:1 with Priya next Monday", "1:1 with Priya"),
        ("schedule a meeting with Sarah and Daniel on Friday", "Meeting with Sarah and Daniel"),
    ],
)
def test_a_plain_activity_keeps_its_people(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("block Friday afternoon for focus", "Focus"),
        ("block off tomorrow morning for deep work", "Deep work"),
        ("hold 2 hours tomorrow for the quarterly report", "Quarterly report"),
        ("block out 3-5pm today for writing", "Writing"),
        ("block time for focus tomorrow", "Focus"),
        ("reserve friday morning for Beacon planning", "Beacon planning"),
        ("hold 2 hours on Wednesday for the quarterly report", "Quarterly report"),
        ("book a room for the Beacon offsite on Monday", "Beacon offsite"),
        ("schedule a meeting for the budget review tomorrow", "Budget review"),
    ],
)
def test_a_purpose_after_only_time_names_the_block(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("put a meeting called 'Budget sync' on Friday", "Budget sync"),
        ("book a meeting called “Budget sync” with Sarah on Friday", "Budget sync"),
        ("add an event titled «Offsite prep» tomorrow", "Offsite prep"),
        ("schedule a call named ‘vendor review’ at 4", "vendor review"),
        ("put a meeting called Budget sync on Friday", "Budget sync"),
        ("create an event titled Board prep on March 3", "Board prep"),
        ("book a meeting named quarterly review next Tuesday", "Quarterly review"),
        ("add 'Dentist' tomorrow at 9", "Dentist"),
        ("put a meeting called 'Budget sync on Friday", "Budget sync on Friday"),
        ("schedule an event called 'Sarah's farewell' on Friday", "Sarah's farewell"),
    ],
)
def test_a_called_name_wins(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("rename the standup to 'Daily sync'", "Daily sync"),
        ("rename tomorrow's standup to Daily sync", "Daily sync"),
        ("change the name of the 3pm meeting to “Budget review”", "Budget review"),
        ("call it 'Roadmap review' instead", "Roadmap review"),
        ("retitle Design Crit as Design Review", "Design Review"),
        ("change the title of Friday's event to offsite planning please", "Offsite planning"),
        ("rename it Offsite", "Offsite"),
        ("rename the 1:1 with Priya to Priya / Sarah sync", "Priya / Sarah sync"),
        ("rename 'Standup' to 'Daily sync'", "Daily sync"),
        ("rename the meeting to 'Daily sync", "Daily sync"),
    ],
)
def test_the_new_name_in_a_rename(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    "text",
    [
        "find 30 minutes with Sarah next week",
        "find time with Sarah and Daniel",
        "book an hour with Priya on Monday",
        "schedule a meeting tomorrow at 3",
        "add an event on Friday",
        "put something on my calendar for Friday",
        "block Friday afternoon",
        "find a slot for Sarah and me on Thursday",
        "block Friday afternoon for Sarah",
        "block 9-11am tomorrow",
        "put a slot for the team on Friday",
        "rename the standup Daily sync",
    ],
)
def test_nothing_to_name_it_by(text: str) -> None:
    assert event_title(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Would you mind adding lunch with Sarah to my calendar for tomorrow at one o'clock? Thanks!",
        "would you mind putting lunch with Sarah in my calendar tomorrow at 1",
        "Could you add lunch with Sarah tomorrow at 1pm?",
        "can you please book lunch with Sarah tomorrow at 1",
        "I'd like you to schedule lunch with Sarah tomorrow at 1",
        "I’d like you to put lunch with Sarah on my calendar tomorrow",
        "Could you possibly set up lunch with Sarah for tomorrow at 1?",
        "would u mind booking lunch with Sarah tmrw at 1",
        "Would you be able to add lunch with Sarah tomorrow at 1, please?",
        "do you mind scheduling lunch with Sarah tomorrow at 1",
        "hi, could you please pencil in lunch with Sarah tomorrow at 1",
        "wuold you mind adding lunch with Sarah tomorrow",
        "cuold you add lunch with Sarah on friday",
        "could you plese schedule lunch with Sarah at noon",
        "how about scheduling lunch with Sarah on Friday?",
        "Hi Daniel, book lunch with Sarah on Friday",
        "As discussed, book lunch with Sarah on Friday",
    ],
)
def test_politeness_and_a_gerund_verb_are_not_title_words(text: str) -> None:
    assert event_title(text) == "Lunch with Sarah"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("book the planning meeting with Sarah", "Planning meeting"),
        ("hosting provider review meeting", "Hosting provider review meeting"),
        ("schedule a booking review on Friday", "Booking review"),
        ("Plan the planning meeting with Sarah", "Planning meeting"),
    ],
)
def test_a_gerund_is_a_verb_only_after_would_you_mind_or_how_about(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("invite Sarah Chen to lunch tomorrow at 1, an hour", "Lunch with Sarah Chen"),
        ("Invite Sarah Chen to lunch tomorrow at 1pm", "Lunch with Sarah Chen"),
        ("could you invite Sarah Chen to lunch tomorrow at 1?", "Lunch with Sarah Chen"),
        ("Can you invite Sarah Chen for lunch tomorrow at 1?", "Lunch with Sarah Chen"),
        ("invte Sarah Chen to lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("I'd like to invite Sarah Chen to lunch tomorrow at 1.", "Lunch with Sarah Chen"),
        ("invite Sarah Chen to a lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("pls invite sarah chen to lunch tmrw at 1", "Lunch"),
        ("invite him to lunch tomorrow", "Lunch"),
        ("invite everyone to drinks on Friday at 6", "Drinks"),
        ("invite Sarah Chen and Tom to lunch tomorrow at 1", "Lunch with Sarah Chen and Tom"),
        ("invite Sarah to join us for lunch tomorrow at 1", "Lunch with Sarah"),
        ("could you invite Tom for coffee tomorrow morning?", "Coffee with Tom"),
        ("invite the team to the Q3 offsite on Friday", "Q3 offsite"),
        ("invite Sarah to Design Crit on Thursday", "Design Crit"),
        ("invite julia to the planning meeting", "Planning meeting"),
        ("INVITE SARAH CHEN TO LUNCH TOMORROW", "LUNCH with SARAH CHEN"),
    ],
)
def test_invite_people_to_an_event_names_the_event(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Could you send Sarah Chen an invitation for lunch tomorrow at 1pm? Let's say an hour.",
            "Lunch with Sarah Chen",
        ),
        ("Could you send Sarah Chen an invitation to lunch tomorrow at 1pm?", "Lunch with Sarah Chen"),
        ("send Sarah Chen an invite for lunch tomorrow at 1pm please", "Lunch with Sarah Chen"),
        ("send Sarah Chen an invitaton for lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("please send Sarah Chen a calendar invite for lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("send Sarah Chen a meeting invite for a lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("email Sarah Chen an invite for lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("shoot Sarah Chen an invite for lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("send Sarah Chen an invite: lunch tomorrow at 1", "Lunch with Sarah Chen"),
        ("send an invite to Sarah Chen for lunch tomorrow", "Lunch with Sarah Chen"),
        ("send Sarah an invite tomorrow at 1 for lunch", "Lunch with Sarah"),
        ("send Sarah an invite to lunch tomorrow at 1 for an hour", "Lunch with Sarah"),
        ("send sarah chen an invitation to lunch tmrw at 1pm", "Lunch"),
        ("send invites for the Q3 offsite on Friday", "Q3 offsite"),
        ("send out an invite to the Q3 offsite on Friday", "Q3 offsite"),
        ("Can you send the team an invitation for the Beacon kickoff on Monday at 10?", "Beacon kickoff"),
    ],
)
def test_send_people_an_invitation_for_an_event_names_the_event(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    "text",
    [
        "send an invite to Sarah",
        "send an invite to Sarah and Tom for Friday at 2",
        "send the team an invite",
        "invite Sarah to a meeting tomorrow",
        "invite him to an event on Friday",
        "schedule time with Lena next week",
        "block all day friday",
        "in the afternoon",
    ],
)
def test_an_invitation_or_block_that_names_nothing(text: str) -> None:
    assert event_title(text) is None


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("book lunch with Sarah, invite Tom to it", "Lunch with Sarah"),
        ("lunch with Sarah to celebrate her promotion", "Lunch with Sarah"),
        ("go to the gym tomorrow at 7", "Go to the gym"),
        ("block from noon to midnight on Friday for focus", "Focus"),
        ("book full team offsite on Friday", "Full team offsite"),
    ],
)
def test_invite_and_to_do_not_take_over_other_titles(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    "text",
    [
        "block Friday as a focus day",
        "Could you block out the whole of this Friday as a focus day for me, please?",
        "blck friday as a focus day",
        "Block this Friday as a Focus day.",
        "could you block off the entire day on Friday as a focus day?",
        "block out Friday as a focus day pls",
        "please block Friday as a focus day, thanks",
        "i'd like you to block friday as a focus day",
        "block all of Friday as a focus day",
        "can you block the whole day on Friday as a focus day",
        "block Friday for a focus day",
    ],
)
def test_block_time_as_a_name(text: str) -> None:
    assert event_title(text) == "Focus day"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("block out friday as focus time", "Focus time"),
        ("block off Friday afternoon as deep work", "Deep work"),
        ("block the entire afternoon tomorrow as Heads-down time", "Heads-down time"),
        ("block next Monday as an offsite day", "Offsite day"),
        ("hold Thursday morning as a writing block", "Writing block"),
        ("block the rest of the day as focus", "Focus"),
    ],
)
def test_block_time_as_other_names(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.parametrize(
    "text",
    [
        "schedule time with Lena to review the PRD",
        "schedule time w/ Lena to review the PRD",
        "Could you find some time with Lena next week to review the PRD?",
        "set up 30 min with lena tmrw to review the PRD",
        "book an hour with Lena on Thursday so we can review the PRD",
        "can you put time in with Lena to review the PRD, thanks",
        "schedual time with Lena to review the PRD",
        "find a slot with Lena and Tom to review the PRD",
        "block 2 hours tomorrow morning to review the PRD",
        "hold an hour on Friday in order to review the PRD",
        "schedule a meeting with Lena to review the PRD",
    ],
)
def test_an_infinitive_after_people_or_time_names_the_event(text: str) -> None:
    assert event_title(text) == "Review the PRD"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("set up a catch-up with Daniel on Friday", "Catch-up with Daniel"),
        (
            "book a 30-minute catch-up with Sarah on Monday unless we already have something together that day",
            "Catch-up with Sarah",
        ),
        ("put 'Dentist' in my calendar tomorrow at 9", "Dentist"),
        ("add my dentist appointment on the 14th at 9am", "Dentist appointment"),
        ("every Monday at 10 with Priya, call it Pricing sync", "Pricing sync"),
        ("book an hour with Priya on Monday to go over pricing", "Go over pricing"),
        ("set up time with Sarah and Tom to plan the offsite", "Plan the offsite"),
        ("block 2-4pm on Friday to focus", "Focus"),
    ],
)
def test_more_new_event_titles(text: str, title: str) -> None:
    assert event_title(text) == title


@pytest.mark.xfail(strict=True, reason="an infinitive after an invited activity stays in the title")
def test_known_miss_an_infinitive_after_an_invited_activity() -> None:
    assert event_title("invite Sarah for lunch to celebrate her promotion") == "Lunch with Sarah"


# --- existing_event_title ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "make the standup 15 minutes earlier tomorrow",
        "can u make the standup 15 min earlier tmrw",
        "mvoe the standup 15 minutes earlier tomorrow",
        "push the standup back half an hour",
        "bring the standup forward by 15 mins",
        "bring forward the standup by 15 minutes",
        "move up tomorrow’s standup by a quarter of an hour",
        "shift standup to 10am tomorrow",
        "Could you please move the standup to 10, thanks",
        "the standup tomorrow - can you make it 15 minutes earlier?",
        "the standup tomorrow, could you move it 15 minutes earlier please",
        "rename the standup to 'Daily sync'",
        "skip tomorrow's standup",
        "cancel standup",
        "move the 9:30 standup to 10",
        "I can't make the standup tomorrow, cancel it",
        "delete all future occurrences of the standup",
        "take Sarah off the standup invite",
    ],
)
def test_the_standup(text: str) -> None:
    assert existing_event_title(text) == "standup"


@pytest.mark.parametrize(
    "text",
    [
        "Could you move tomorrow's product standup fifteen minutes earlier, please?",
        "move tomorrow's product standup 15 min earlier",
        "pls push the product standup back 15 minutes",
        "can u make tmrws product standup fifteen minutes earlier",
        "shift the product standup by 15 mins",
        "move the product standup on Thursday to 9:15",
        "would you mind moving Monday’s product standup to 10?",
        "reschedle the product standup to Friday",
    ],
)
def test_a_name_of_two_words(text: str) -> None:
    assert existing_event_title(text) == "product standup"


@pytest.mark.parametrize(
    "text",
    [
        "cancel the Brightwave renewal call",
        "could you cancel the Brightwave renewal call, please?",
        "delete the Brightwave renewal call from my calendar",
        "cancel teh Brightwave renewal call on Friday",
        "call off the Brightwave renewal call",
        "scrap my Brightwave renewal call on Friday",
        "I need to cancel the Brightwave renewal call",
        "would you mind cancelling the Brightwave renewal call?",
        "can you cancle the Brightwave renewal call",
        "the Brightwave renewal call is off, please cancel it",
    ],
)
def test_a_cancelled_event_keeps_its_case(text: str) -> None:
    assert existing_event_title(text) == "Brightwave renewal call"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("cancle the brightwave renewal call", "brightwave renewal call"),
        ("pls cancel brightwave renewal call tmrw", "brightwave renewal call"),
        ("CANCEL THE BRIGHTWAVE RENEWAL CALL", "BRIGHTWAVE RENEWAL CALL"),
        ("MOVE LUNCH TO 1PM TOMORROW", "LUNCH"),
    ],
)
def test_lower_and_upper_case_are_kept(text: str, name: str) -> None:
    assert existing_event_title(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "move the design review to Friday at 2pm",
        "Could you move the design review to Friday at 2pm, please?",
        "mvoe the design review to friday 2pm",
        "push the design review to Fri at 2",
        "can you reschedule the design review for Friday at 2pm",
        "shift our design review to Friday",
        "move Thursday's design review to Friday 2pm",
        "the design review - move it to Friday at 2pm",
        "change the time of the design review to 3pm",
        "change the design review's time to 3pm",
        "extend the design review by 30 minutes",
        "make the design review 30 minutes longer",
        "add Tom to the design review",
    ],
)
def test_a_destination_and_a_shift_are_not_the_name(text: str) -> None:
    assert existing_event_title(text) == "design review"


@pytest.mark.parametrize(
    "text",
    [
        "reschedule the Q4 Financial Review to Thursday",
        "could you please reschedule the Q4 Financial Review to Thursday?",
        "reschedle the Q4 Financial Review to thursday",
        "move my Q4 Financial Review on Monday to Thursday",
        "postpone the Q4 Financial Review until Thursday",
        "push the Q4 Financial Review back a day",
        "Q4 Financial Review: could you move 'Q4 Financial Review' to Thursday",
        "cancel the “Q4 Financial Review” on Monday",
    ],
)
def test_a_capitalised_name(text: str) -> None:
    assert existing_event_title(text) == "Q4 Financial Review"


@pytest.mark.parametrize(
    "text",
    [
        "delete the dinner for Olivia's birthday",
        "can you delete the dinner for Olivia's birthday please",
        "remove the dinner for Olivia's birthday from my calendar",
        "cancel Saturday's dinner for Olivia's birthday",
        "delte the dinner for Olivia's birthday",
        "Could you cancel my dinner for Olivia's birthday on Saturday?",
        "move the dinner for Olivia's birthday to 8pm",
        "push the dinner for Olivia's birthday back an hour",
    ],
)
def test_for_inside_a_name_is_kept(text: str) -> None:
    assert existing_event_title(text) == "dinner for Olivia's birthday"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Could you please cancel my renewal call with Brightwave tomorrow?", "renewal call"),
        ("cancel the screen with Tomasz Nowak", "screen"),
        (
            "Tomasz Nowak withdrew from the Product Analyst process, could you cancel his screening call, please?",
            "screening call",
        ),
        ("move Monday's 1:1 with Priya to Tuesday", "1:1"),
        ("move Monday’s 1:1 with Priya to Tuesday", "1:1"),
        ("Could you please cancel my nxt 1:1, thanks", "1:1"),
        ("remove Sarah from tomorrow's 1:1", "1:1"),
        ("cancel all occurrences of my next 1:1 with Priya", "1:1"),
        ("push the Priya 1:1 to 15:00", "Priya 1:1"),
        ("rename 'Standup' to 'Daily sync'", "Standup"),
        ("cancel the 'Budget sync' meeting", "Budget sync"),
        ("cancel the meeting called 'Budget sync'", "Budget sync"),
        ("move the Budget Sync (weekly) to Tuesday", "Budget Sync"),
        ("invite Sarah Chen to the Beacon kickoff on Monday", "Beacon kickoff"),
        ("cancel the morning standup", "morning standup"),
        ("cut the standup short today", "standup"),
        ("decline the all-hands on Friday", "all-hands"),
        ("postpone the offsite until next month", "offsite"),
        ("move the offsite from Friday to Monday", "offsite"),
        ("update the location of the offsite to Berlin", "offsite"),
        ("can you please push back the catch-up with Daniel to next week?", "catch-up"),
        ("drop the 30-minute check-in with Lena", "check-in"),
        ("cancel the catch-up I have with Daniel", "catch-up"),
        ("reschedule my dentist appointment to next Tuesday", "dentist appointment"),
        ("cancel the weekly sync for me", "weekly sync"),
    ],
)
def test_existing_event_names(text: str, name: str) -> None:
    assert existing_event_title(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "push my 3pm meeting back by 30 minutes",
        "could you push back my 3pm by half an hour?",
        "cancel my meeting tomorrow",
        "cancel the meeting",
        "cancel the call at 4",
        "cancel the 10 o'clock call",
        "delete the event on Friday",
        "move my 10am to 11",
        "cancel all my meetings on Friday",
        "clear my calendar tomorrow",
        "clear my afternoon",
        "cancel everything tomorrow",
        "cancel the zoom call",
        "cancel my meeting with Sarah",
        "cancel my call with Brightwave",
        "remove Sarah from the meeting",
        "move it to 3pm",
        "move this to Friday",
        "delete it",
        "rename it Offsite",
        "cancel this one only",
        "cancel all of them going forward",
        "delete the second one",
        "cancel the whole series",
        "push back an hour",
        "move my 9-11 block to 1-3pm",
        "book lunch with Sarah tomorrow",
        "what's on my calendar tomorrow",
    ],
)
def test_a_generic_noun_or_a_time_names_no_event(text: str) -> None:
    assert existing_event_title(text) is None


@pytest.mark.xfail(strict=True, reason="a name's own 'to'/'on' phrase is cut like a destination or a date")
@pytest.mark.parametrize(
    ("text", "name"),
    [("cancel my trip to Paris", "trip to Paris"), ("cancel the talk on AI safety", "talk on AI safety")],
)
def test_known_miss_to_or_on_inside_a_name(text: str, name: str) -> None:
    assert existing_event_title(text) == name


@pytest.mark.xfail(strict=True, reason="a topic before the verb needs a determiner ('the ...')")
def test_known_miss_a_topic_without_a_determiner() -> None:
    assert existing_event_title("Brightwave renewal call: cancel it please") == "Brightwave renewal call"


@pytest.mark.xfail(strict=True, reason="a rename without 'to'/'as' runs into the new name")
def test_known_miss_a_rename_without_to() -> None:
    assert existing_event_title("rename the standup Daily sync") == "standup"
