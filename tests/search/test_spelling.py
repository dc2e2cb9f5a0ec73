"""Typo correction against the user's items, on the real embedded PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.core.items import EmailItem, Person
from search import spelling
from search.query import SearchQuery
from tests.search.conftest import Workspace

TOM = Person("tom.baker@acme.com", "Tom Baker")
ALICE = Person("alice@example.com", "Alice")


def _mail(message_id: str, subject: str, body: str) -> EmailItem:
    return EmailItem(
        message_id=message_id,
        thread_id=message_id,
        subject=subject,
        sender=TOM,
        internal_date=datetime(2026, 10, 1, tzinfo=UTC),
        body_text=body,
        to=(ALICE,),
    )


def test_only_words_that_are_no_english_word_are_suspects() -> None:
    assert spelling.suspects("Enron confrences and the Geroge memo about hosting churn") == ["confrences", "geroge"]
    assert spelling.suspects("emails about the budget") == []  # no database round trip for these
    assert spelling.candidates("confrences")["conferences"] == 1
    assert "enron" in spelling.candidates("erons")  # two edits: a word of five letters may take two
    assert spelling.candidates("eron")["enron"] == 1
    assert max(spelling.candidates("eron").values()) == 1  # four letters: one edit at most


async def test_a_typo_is_corrected_towards_the_words_the_users_items_hold(workspace: Workspace) -> None:
    user_id, account_id = workspace.alice
    items = [_mail(f"m-enron-{n}", f"Enron update {n}", "Enron's trading desk, weekly numbers.") for n in range(50)]
    items += [
        # One message with the rare spelling: fifty times fewer than one edit away loses to it.
        _mail("m-eron", "Note from Eron", "Eron says hello."),
        _mail("m-conf", "Speaking at two conferences", "The energy conferences in Houston and Austin."),
        _mail("m-iron", "Iron ore", "Iron prices."),
        _mail("m-anadolu", "Anadolu Retail", "Anadolu signed."),
    ]
    await workspace.indexer.index(user_id, account_id, items)
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        fixed = await spelling.correct(connection, user_id, ("gmail",), "Eron confrences", ["eron", "confrences"])
        assert fixed.corrections == {"eron": "enron", "confrences": "conferences"}
        assert fixed.text == "enron conferences"
        kept = await spelling.correct(connection, user_id, ("gmail",), "Anadolu deal", ["anadolu"])
        assert kept.corrections == {} and kept.text == "Anadolu deal"  # a name the items hold
        unknown = await spelling.correct(connection, user_id, ("gmail",), "zxqwv plans", ["zxqwv"])
        assert unknown.text == "zxqwv plans"  # nothing near: as typed

    response = await workspace.search.search(SearchQuery(user_id=user_id, text="confrences", services=("gmail",)))
    assert response.corrections == {"confrences": "conferences"}
    assert response.results[0].google_id == "m-conf"


async def test_a_misspelt_name_is_corrected_towards_the_words_of_the_users_titles(workspace: Workspace) -> None:
    user_id, account_id = workspace.alice
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            _mail("m-bw", "Brightwave renewal - 2027 pricing", "Their renewal quote is in."),
            _mail("m-gl", "Greenleaf Grocers - follow-up call", "Notes from the call."),
        ],
    )
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]

        async def fixed(request: str) -> dict[str, str]:
            found = await spelling.correct(connection, user_id, ("gmail",), request, spelling.suspects(request))
            return found.corrections

        # No English word is near these; the titles hold the names, whatever the first letter.
        assert await fixed("brightwve renewal") == {"brightwve": "brightwave"}
        assert await fixed("Vrightwave pricing") == {"vrightwave": "brightwave"}
        assert await fixed("greanleaf call") == {"greanleaf": "greenleaf"}
        assert await fixed("Greenleaf call") == {}  # held: as typed
        assert await fixed("brightwxyzq") == {}  # nothing within two edits
        # Another user's titles are no vocabulary.
        other = await spelling.correct(connection, workspace.bob[0], ("gmail",), "brightwve", ["brightwve"])
        assert other.corrections == {}

    response = await workspace.search.search(
        SearchQuery(user_id=user_id, text="brightwve pricing", services=("gmail",))
    )
    assert response.corrections == {"brightwve": "brightwave"}
    assert response.results[0].google_id == "m-bw"
