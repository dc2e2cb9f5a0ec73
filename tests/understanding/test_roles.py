"""A person's part in a request comes from the words around their name."""

from __future__ import annotations

import pytest

from assistant.understanding.roles import person_roles


def roles(text: str, *mentions: str) -> list[tuple[str, str]]:
    return [(person.name, person.role) for person in person_roles(text, list(mentions))]


@pytest.mark.parametrize(
    ("text", "mentions", "expected"),
    [
        # senders: "from", "by", and the possessive
        ("unread emails from Sarah Chen", ["Sarah Chen"], [("Sarah Chen", "from")]),
        ("anything unread from sarah chen", ["sarah chen"], [("sarah chen", "from")]),
        ("Sarah's latest email", ["Sarah"], [("Sarah", "from")]),
        ("what did Hannah ask me about the Beacon name?", ["Hannah"], [("Hannah", "from")]),
        ("what does Tom want from me", ["Tom"], [("Tom", "from")]),
        # a quantity's "of" is no sender's
        ("number of Priya 1:1s last month", ["Priya"], [("Priya", "any")]),
        ("how many of Tom's emails are unread", ["Tom"], [("Tom", "from")]),
        ("reply all to Sarah Chen's latest Q4 review email", ["Sarah Chen"], [("Sarah Chen", "from")]),
        ("the deck made by Priya", ["Priya"], [("Priya", "from")]),
        (
            "delete all emails from Tom Becker and Daniel",
            ["Tom Becker", "Daniel"],
            [("Tom Becker", "from"), ("Daniel", "from")],
        ),
        # recipients: "to", "for", and the verbs that address someone
        ("last email I sent to Sarah", ["Sarah"], [("Sarah", "to")]),
        ("email Priya and Daniel, subject 'Roadmap 2027'", ["Priya", "Daniel"], [("Priya", "to"), ("Daniel", "to")]),
        ("tell Sarah Chen I'll review the numbers", ["Sarah Chen"], [("Sarah Chen", "to")]),
        ("Let Sarah from finance know", ["Sarah"], [("Sarah", "to")]),
        ("draft a mail for claire martin", ["claire martin"], [("claire martin", "to")]),
        ("send priya and danial a mail", ["priya", "danial"], [("priya", "to"), ("danial", "to")]),
        ("forward the invoice to my colleague Tom", ["Tom"], [("Tom", "to")]),
        # copies
        (
            "draft an email to Lena Fischer, cc Marco",
            ["Lena Fischer", "Marco"],
            [("Lena Fischer", "to"), ("Marco", "cc")],
        ),
        (
            "a note to Lena Fischer with Marco copied in",
            ["Lena Fischer", "Marco"],
            [("Lena Fischer", "to"), ("Marco", "cc")],
        ),
        # taking part
        ("my next 1:1 with Priya", ["Priya"], [("Priya", "with")]),
        ("cancle next 1:1 w priya", ["priya"], [("priya", "with")]),
        (
            "find 30 minutes with Sarah and Daniel tomorrow",
            ["Sarah", "Daniel"],
            [("Sarah", "with"), ("Daniel", "with")],
        ),
        ("book 30 min w/ sarah + daniel", ["sarah", "daniel"], [("sarah", "with"), ("daniel", "with")]),
        # nothing says
        ("Priya", ["Priya"], [("Priya", "any")]),
        ("is Daniel free on Friday", ["Daniel"], [("Daniel", "any")]),
    ],
)
def test_the_word_before_a_name_gives_its_part(text: str, mentions: list[str], expected: list[tuple[str, str]]) -> None:
    assert roles(text, *mentions) == expected


def test_a_name_inside_another_word_or_address_is_not_that_person() -> None:
    assert roles("email from tomasz", "tom") == [("tom", "any")]
    assert roles("mail to tom.becker@northwindlabs.com", "tom") == [("tom", "any")]
