"""Hybrid search on the real embedded PostgreSQL with the real embedding model."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import text

from assistant.core.items import Attendee, EmailItem, EventItem, FileItem, Person
from search.fusion import FILTERED_WEIGHT, reciprocal_rank_fusion
from search.hybrid import BULK_WEIGHT
from search.indexing import GMAIL, SERVICE_TABLES
from search.people import UNANSWERED_MIN_OCCURRENCES, resolve_person, unanswered_senders
from search.query import SearchFilters, SearchQuery
from tests.search.conftest import Workspace

SARAH = Person("sarah.chen@acme.com", "Sarah Chen")
TOM = Person("tom.baker@acme.com", "Tom Baker")
MIKE = Person("mike@outdoors.example", "Mike Rivera")
ALICE = Person("alice@example.com", "Alice")


def when(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 30, tzinfo=UTC)


def email(message_id: str, subject: str, sender: Person, body: str, date: datetime, **extra: object) -> EmailItem:
    return EmailItem(
        message_id=message_id,
        thread_id=message_id,
        subject=subject,
        sender=sender,
        internal_date=date,
        body_text=body,
        to=(ALICE,),
        **extra,
    )  # type: ignore[arg-type]


CONTRACT = " ".join(
    f"Clause {n}: the supplier delivers the hardware within {n + 10} days and invoices monthly." for n in range(120)
)

ALICE_ITEMS = [
    email(
        "m-review",
        "Q4 Financial Review",
        SARAH,
        "Attached is the spending forecast and cost plan for the fourth quarter. Revenue is flat.",
        when(10, 5),
        labels=("INBOX", "IMPORTANT"),
    ),
    email(
        "m-offsite",
        "Team offsite logistics",
        TOM,
        "The bus leaves at eight; the hotel has rooms for everyone. Bring walking shoes.",
        when(11, 2),
    ),
    email(
        "m-hike",
        "Photos from the trail",
        MIKE,
        "Here are the pictures from our mountain walk last weekend.",
        when(11, 20),
        labels=("INBOX", "Trips"),
    ),
    email(
        "m-trashed",
        "Budget numbers, old draft",
        SARAH,
        "The old budget spreadsheet with last year's costs.",
        when(9, 1),
        labels=("TRASH",),
    ),
    email("m-contract", "Vendor agreement", TOM, CONTRACT, when(8, 15)),
    EventItem(
        calendar_id="primary",
        event_id="ev-planning",
        summary="Quarterly planning",
        start_at=when(11, 10),
        end_at=when(11, 10).replace(hour=11),
        organizer=ALICE,
        attendees=(Attendee("sarah.chen@acme.com", "Sarah Chen"),),
        description="Budget and hiring.",
    ),
    EventItem(
        calendar_id="primary",
        event_id="ev-cancelled",
        summary="Budget sync",
        start_at=when(11, 12),
        end_at=when(11, 12).replace(hour=10),
        status="cancelled",
    ),
    FileItem(
        file_id="f-forecast",
        name="Q4 forecast",
        mime_type="application/vnd.google-apps.spreadsheet",
        modified_at=when(10, 1),
        owners=(ALICE,),
        content_text="Forecast of costs and revenue by month.",
    ),
    FileItem(
        file_id="f-trashed",
        name="Budget draft",
        mime_type="application/pdf",
        modified_at=when(10, 2),
        owners=(ALICE,),
        content_text="Budget draft",
        trashed=True,
    ),
]


async def _index_alice(workspace: Workspace) -> None:
    await workspace.indexer.index(*workspace.alice, ALICE_ITEMS)


async def _search(workspace: Workspace, query: str, **options: object) -> list[tuple[str, str]]:
    response = await workspace.search.search(SearchQuery(user_id=workspace.alice[0], text=query, **options))  # type: ignore[arg-type]
    return [(r.service, r.google_id) for r in response.results]


def test_rrf_on_the_design_documents_worked_example() -> None:
    fused = reciprocal_rank_fusion(
        {"fulltext": ["A", "C", "B"], "vector": ["B", "A", "D"], "filtered": ["A", "B"]},
        weights={"filtered": FILTERED_WEIGHT},
    )
    assert [entry.key for entry in fused] == ["A", "B", "C", "D"]
    assert [round(entry.score, 4) for entry in fused] == [0.0571, 0.0565, 0.0161, 0.0159]
    a = fused[0]
    assert [(c.method, c.rank) for c in a.contributions] == [("fulltext", 1), ("vector", 2), ("filtered", 1)]
    assert a.contributions[2].rrf == pytest.approx(1.5 / 61)


async def test_a_paraphrase_finds_the_item_and_says_why(workspace: Workspace) -> None:
    await _index_alice(workspace)
    response = await workspace.search.search(
        SearchQuery(user_id=workspace.alice[0], text="find my emails about the budget", services=("gmail",))
    )
    assert response.terms == ["budget"]
    top = response.results[0]
    assert (top.service, top.google_id, top.title) == ("gmail", "m-review", "Q4 Financial Review")
    assert "vector" in top.methods
    vector = next(m for m in top.matches if m.method == "vector")
    assert vector.rank == 1 and 0 < vector.score <= 1
    assert "forecast" in top.snippet
    assert top.score == pytest.approx(sum(1 / (60 + m.rank) for m in top.matches))


async def test_another_users_items_never_appear(workspace: Workspace) -> None:
    await _index_alice(workspace)
    bob_user, bob_account = workspace.bob
    await workspace.indexer.index(
        bob_user,
        bob_account,
        [
            email("m-bob", "Q4 Financial Review", SARAH, "Bob's copy: spending forecast and budget.", when(10, 6)),
        ],
    )
    for query in ("Q4 Financial Review budget forecast", "spending forecast"):
        response = await workspace.search.search(
            SearchQuery(
                user_id=workspace.alice[0],
                text=query,
                filters=SearchFilters(people=("Sarah",)),
                limit=50,
            )
        )
        assert response.results and all(r.account_id == workspace.alice[1] for r in response.results)
        assert "m-bob" not in {r.google_id for r in response.results}
        assert set(response.rankings) == {"fulltext", "vector", "filtered"}
    bobs = await workspace.search.search(SearchQuery(user_id=bob_user, text="budget forecast"))
    assert [r.google_id for r in bobs.results] == ["m-bob"]


async def test_trashed_cancelled_and_removed_items_are_never_returned(workspace: Workspace) -> None:
    await _index_alice(workspace)
    found = await _search(
        workspace, "budget draft old numbers sync", limit=50, filters=SearchFilters(people=("sarah",))
    )
    assert ("gmail", "m-trashed") not in found
    assert ("gcal", "ev-cancelled") not in found
    assert ("gdrive", "f-trashed") not in found
    assert ("gmail", "m-review") in found
    # A file sent to the trash after indexing leaves the cache with its chunks.
    await workspace.indexer.index(
        *workspace.alice,
        [
            FileItem(
                file_id="f-forecast",
                name="Q4 forecast",
                mime_type="application/pdf",
                modified_at=when(10, 1),
                trashed=True,
            )
        ],
    )
    assert ("gdrive", "f-forecast") not in await _search(workspace, "forecast of costs", limit=50)
    await workspace.indexer.remove(workspace.alice[1], GMAIL, [("m-review",)])
    assert ("gmail", "m-review") not in await _search(workspace, "Q4 financial review", limit=50)
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        orphans = await connection.execute(
            text(
                "SELECT count(*) FROM search_chunks c WHERE c.gmail_id IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM gmail_cache g WHERE g.id = c.gmail_id)"
            )
        )
        assert orphans.scalar_one() == 0


async def test_filters_resolve_names_fuzzily_and_constrain_the_results(workspace: Workspace) -> None:
    await _index_alice(workspace)

    async def filtered(query: str, filters: SearchFilters, **options: object) -> list[str]:
        response = await workspace.search.search(
            SearchQuery(user_id=workspace.alice[0], text=query, filters=filters, **options)  # type: ignore[arg-type]
        )
        ids = {r.item_id: r.google_id for r in response.results}
        return [ids[key[1]] for key in response.rankings["filtered"] if key[1] in ids]

    # "Sara" (misspelt) is Sarah Chen: her email and the meeting she attends, nothing else.
    assert set(await filtered("quarter", SearchFilters(people=("Sara",)), limit=50)) == {"m-review", "ev-planning"}
    assert await filtered("quarter", SearchFilters(senders=("sarah chen",)), services=("gmail",)) == ["m-review"]
    assert await filtered("", SearchFilters(after=when(11, 1), before=when(11, 15)), limit=50) == [
        "ev-planning",
        "m-offsite",
    ]
    assert await filtered("numbers", SearchFilters(labels=("important",))) == ["m-review"]
    assert await filtered("pictures", SearchFilters(labels=("trips",))) == ["m-hike"]  # a user label's name
    assert await filtered("costs", SearchFilters(mime_types=("application/vnd.google-apps.",))) == []
    assert await filtered("costs", SearchFilters(mime_types=("application/vnd.google-apps.spreadsheet",))) == [
        "f-forecast"
    ]

    # Filters an item carries (labels, time, type) constrain every method, not only the
    # filtered list: the best text match for "hotel rooms" (m-offsite, full text and
    # vector rank 1) has no IMPORTANT label, is not from October, and is no spreadsheet.
    async def every_method(filters: SearchFilters) -> dict[str, set[str]]:
        response = await workspace.search.search(
            SearchQuery(user_id=workspace.alice[0], text="hotel rooms", filters=filters, limit=50)
        )
        ids = {r.item_id: r.google_id for r in response.results}
        found = {name: {ids[key[1]] for key in ranking} for name, ranking in response.rankings.items()}
        return found | {"hybrid": set(ids.values())}

    unfiltered = await every_method(SearchFilters())
    assert "m-offsite" in unfiltered["fulltext"] and "m-offsite" in unfiltered["vector"]
    important = await every_method(SearchFilters(labels=("important",)))
    assert set(important) == {"fulltext", "vector", "filtered", "hybrid"}
    assert all(found <= {"m-review"} for found in important.values()) and important["hybrid"] == {"m-review"}
    october = await every_method(SearchFilters(after=when(10, 1), before=when(11, 1)))
    assert october["hybrid"] and "m-offsite" not in set().union(*october.values())
    assert october["hybrid"] <= {"m-review", "f-forecast"}
    sheets = await every_method(SearchFilters(mime_types=("application/vnd.google-apps.spreadsheet",)))
    assert sheets["hybrid"] == {"f-forecast"} and set().union(*sheets.values()) == {"f-forecast"}
    # Required filters exclude everything else from every list.
    strict = await _search(
        workspace, "hotel rooms", filters=SearchFilters(senders=("Sarah",)), filters_required=True, limit=50
    )
    assert strict and all(google_id == "m-review" for _, google_id in strict)


async def test_indexing_is_idempotent_and_reuses_vectors(workspace: Workspace) -> None:
    first = await workspace.indexer.index(*workspace.alice, ALICE_ITEMS)
    assert first.items == 8 and first.removed == 0 and first.pieces_reused == 0

    async def counts() -> tuple[int, int, int]:
        async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
            row = (
                await connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM gmail_cache), (SELECT count(*) FROM search_chunks), "
                        "(SELECT occurrences FROM search_contacts WHERE email = 'sarah.chen@acme.com')"
                    )
                )
            ).one()
            return tuple(row)  # type: ignore[return-value]

    before = await counts()
    second = await workspace.indexer.index(*workspace.alice, ALICE_ITEMS)
    assert second.pieces_embedded == 0 and second.pieces_reused == first.pieces_embedded
    assert await counts() == before
    # The long contract is split into many pieces and none of its text is lost.
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        pieces = (
            (
                await connection.execute(
                    text(
                        "SELECT c.content FROM search_chunks c JOIN gmail_cache g ON g.id = c.gmail_id "
                        "WHERE g.message_id = 'm-contract' ORDER BY c.chunk_index"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(pieces) > 5 and all(p.startswith("Vendor agreement\n") for p in pieces)
    assert all(f"Clause {n}:" in "".join(pieces) for n in range(120))
    # A changed body re-embeds that item only.
    changed = [email("m-hike", "Photos from the trail", MIKE, "New photos from the lake.", when(11, 20))]
    third = await workspace.indexer.index(*workspace.alice, changed)
    assert third.pieces_embedded == 1


async def test_a_long_item_appears_once_however_many_chunks_match(workspace: Workspace) -> None:
    await _index_alice(workspace)
    query = "supplier delivers hardware and invoices monthly"
    response = await workspace.search.search(
        SearchQuery(
            user_id=workspace.alice[0],
            text=query,
            limit=50,
            filters=SearchFilters(senders=("Tom",)),
        )
    )
    ids = [r.google_id for r in response.results]
    assert ids[0] == "m-contract" and ids.count("m-contract") == 1
    for method in ("vector", "filtered"):
        assert len(response.rankings[method]) == len(set(response.rankings[method]))
    assert [r.google_id for r in response.results if "filtered" in r.methods] == ["m-contract", "m-offsite"]
    # The item ranks with its best chunk's similarity.
    query_vector = workspace.search.query_embeddings.embedder.embed_query(query)
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        similarities = (
            (
                await connection.execute(
                    text(
                        "SELECT c.embedding::text FROM search_chunks c JOIN gmail_cache g ON g.id = c.gmail_id "
                        "WHERE g.message_id = 'm-contract'"
                    )
                )
            )
            .scalars()
            .all()
        )
    best = max(float(np.array(json.loads(v)) @ query_vector) for v in similarities)
    assert len(similarities) > 5
    vector_match = next(m for m in response.results[0].matches if m.method == "vector")
    # int8 dynamic quantization scales activations per batch, so a text's vector moves a
    # little with the batch it was embedded in (chunks in batches, the query alone).
    assert vector_match.rank == 1 and vector_match.score == pytest.approx(best, abs=0.02)


async def test_reembedding_rebuilds_every_items_chunks_from_the_cache(workspace: Workspace) -> None:
    await _index_alice(workspace)
    async with workspace.engine.begin() as connection:  # type: ignore[attr-defined]
        before = (
            await connection.execute(
                text(
                    "SELECT gmail_id, gcal_id, gdrive_id, chunk_index, content, embedding::text "
                    "FROM search_chunks ORDER BY 1, 2, 3, 4"
                )
            )
        ).all()
        # As after a model change: the stored vectors are no longer the model's.
        await connection.execute(text("UPDATE search_chunks SET embedding = array_fill(0.5, ARRAY[384])::vector"))
    for service in SERVICE_TABLES.values():
        last = None
        while (last := await workspace.indexer.reembed(service, last, batch=3)) is not None:
            pass
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        after = (
            await connection.execute(
                text(
                    "SELECT gmail_id, gcal_id, gdrive_id, chunk_index, content, embedding::text "
                    "FROM search_chunks ORDER BY 1, 2, 3, 4"
                )
            )
        ).all()
    assert [row[:5] for row in after] == [row[:5] for row in before]
    for old, new in zip(before, after, strict=True):
        assert np.allclose(np.array(json.loads(old[5])), np.array(json.loads(new[5])), atol=1e-5)


async def test_term_statistics_stay_exact_through_inserts_updates_and_deletes(workspace: Workspace) -> None:
    async def mismatches() -> list[tuple[object, ...]]:
        async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
            return list(
                (
                    await connection.execute(
                        text(
                            """
                WITH actual AS (
                    SELECT user_id, 'gmail' AS service, lexeme, count(*) AS items
                    FROM gmail_cache, unnest(tsvector_to_array(search_tsv)) AS lexeme GROUP BY 1, 3
                    UNION ALL
                    SELECT user_id, 'gmail', '', count(*) FROM gmail_cache GROUP BY 1
                    UNION ALL
                    SELECT user_id, 'gmail', ' ', sum(length(search_tsv)) FROM gmail_cache GROUP BY 1
                )
                SELECT * FROM actual FULL JOIN (
                    SELECT * FROM search_term_stats WHERE service = 'gmail' AND items <> 0
                ) stored USING (user_id, service, lexeme)
                WHERE actual.items IS DISTINCT FROM stored.items
                """
                        )
                    )
                ).all()
            )

    await _index_alice(workspace)
    assert await mismatches() == []
    # Same item, new text and a label change; then another label-only change; then removal.
    edited = email("m-hike", "Photos from the lake", MIKE, "Kayaks and a picnic.", when(11, 20), labels=("INBOX",))
    await workspace.indexer.index(*workspace.alice, [edited])
    await workspace.indexer.index(*workspace.alice, [replace(edited, labels=("STARRED",))])
    await workspace.indexer.remove(workspace.alice[1], GMAIL, [("m-offsite",)])
    assert await mismatches() == []
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        total, kayak, trail = (
            await connection.execute(
                text(
                    "SELECT max(items) FILTER (WHERE lexeme = ''), max(items) FILTER (WHERE lexeme = 'kayak'), "
                    "max(items) FILTER (WHERE lexeme = 'trail') FROM search_term_stats WHERE service = 'gmail'"
                )
            )
        ).one()
    assert (total, kayak, trail) == (4, 1, 0)


async def test_a_first_name_means_the_person_the_user_deals_with(workspace: Workspace) -> None:
    newsletter = Person("sarah@weekly-letter.example", "Sarah Weekly")
    user_id, account_id = workspace.alice
    items: list[EmailItem | EventItem] = [
        email(f"m-letter-{n}", f"Letter {n}", newsletter, "This week in retail.", when(10, n + 1)) for n in range(6)
    ]
    items.append(
        EmailItem(
            message_id="m-to-sarah",
            thread_id="t",
            subject="Numbers",
            sender=ALICE,
            internal_date=when(11, 3),
            body_text="See attached.",
            to=(SARAH,),
        )
    )
    await workspace.indexer.index(user_id, account_id, items)
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        assert await resolve_person(connection, user_id, "sarah") == ["sarah.chen@acme.com"]
        assert await resolve_person(connection, user_id, "Sarah Weekly") == ["sarah@weekly-letter.example"]


async def test_bulk_mail_ranks_below_the_same_match_from_a_person(workspace: Workspace) -> None:
    user_id, account_id = workspace.alice
    body = "Your flight to Istanbul on Turkish Airlines: booking details and seat."
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            email(
                "m-advert",
                "Flight to Istanbul",
                Person("deals@airline.example"),
                body,
                when(11, 5),
                labels=("INBOX", "CATEGORY_PROMOTIONS"),
            ),
            email("m-booking", "Flight to Istanbul", Person("noreply@thy.example"), body, when(11, 5)),
        ],
    )
    response = await workspace.search.search(SearchQuery(user_id=user_id, text="flight to Istanbul"))
    ids = [r.google_id for r in response.results]
    assert ids.index("m-booking") < ids.index("m-advert")
    advert = response.results[ids.index("m-advert")]
    # Its title holds every query word: the title match doubles the fused score; bulk keeps BULK_WEIGHT.
    assert advert.score == pytest.approx(BULK_WEIGHT * 2 * sum(1 / (60 + m.rank) for m in advert.matches))


async def test_mail_from_a_sender_the_user_never_answers_counts_as_bulk(workspace: Workspace) -> None:
    tracker = Person("notify@tracker.example", "Tracker")
    body = "The budget review for the fourth quarter: spending against the plan, and the forecast."
    mailings = [
        email(f"m-notify-{n}", f"Digest {n}", tracker, "Activity this week.", when(10, n + 1))
        for n in range(UNANSWERED_MIN_OCCURRENCES)
    ]
    mailings.append(email("m-notify-budget", "Budget review", tracker, f"Reminder. {body}", when(11, 4)))
    user_id, account_id = workspace.alice
    await workspace.indexer.index(user_id, account_id, mailings)
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        # Alice never wrote to anyone yet: nothing tells whom she ignores.
        assert await unanswered_senders(connection, user_id) == frozenset()
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            email("m-sarah-budget", "Budget review", SARAH, body, when(11, 4)),
            EmailItem(
                message_id="m-to-sarah",
                thread_id="t",
                subject="Numbers",
                sender=ALICE,
                internal_date=when(11, 3),
                body_text="See attached.",
                to=(SARAH,),
            ),
        ],
    )
    async with workspace.engine.connect() as connection:  # type: ignore[attr-defined]
        assert await unanswered_senders(connection, user_id) == frozenset({"notify@tracker.example"})
    response = await workspace.search.search(SearchQuery(user_id=user_id, text="budget review", services=("gmail",)))
    ids = [r.google_id for r in response.results]
    assert ids.index("m-sarah-budget") < ids.index("m-notify-budget")
    notice = response.results[ids.index("m-notify-budget")]
    assert notice.score == pytest.approx(BULK_WEIGHT * 2 * sum(1 / (60 + m.rank) for m in notice.matches))


async def test_an_item_named_by_the_query_outranks_one_that_only_mentions_its_words(workspace: Workspace) -> None:
    user_id, account_id = workspace.alice
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            email(
                "m-press",
                "Atlas press release - draft v3",
                TOM,
                "Attached, with the quotes from two customers.",
                when(11, 5),
            ),
            email(
                "m-roadmap",
                "Roadmap 2027 - first draft",
                SARAH,
                "The first draft of the roadmap. Before any press release we need the draft signed off; "
                "the release train and the press team both want the draft by Friday.",
                when(11, 6),
            ),
        ],
    )
    response = await workspace.search.search(SearchQuery(user_id=user_id, text="press release draft"))
    ids = [r.google_id for r in response.results]
    assert ids[0] == "m-press", ids
    press, roadmap = response.results[0], response.results[ids.index("m-roadmap")]
    assert {m.method for m in press.matches} >= {"fulltext"}
    assert press.score > roadmap.score


async def test_a_named_person_constrains_the_results_unless_nobody_matches(workspace: Workspace) -> None:
    await _index_alice(workspace)
    user_id, account_id = workspace.alice
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            email(
                "m-tom-budget",
                "Budget for the offsite",
                TOM,
                "The budget for the team offsite: bus and hotel.",
                when(11, 3),
            ),
        ],
    )
    from_sarah = await workspace.search.search(
        SearchQuery(
            user_id=user_id,
            text="emails about the budget",
            services=("gmail",),
            filters=SearchFilters(senders=("Sarah",)),
        )
    )
    assert [r.google_id for r in from_sarah.results] == ["m-review"]  # Tom's budget mail is not Sarah's
    tom_key = next(key for key in from_sarah.rankings["fulltext"] if key not in from_sarah.rankings["filtered"])
    assert tom_key  # full text found Tom's mail; the person filter kept it out
    nobody = await workspace.search.search(
        SearchQuery(
            user_id=user_id,
            text="budget offsite",
            services=("gmail",),
            filters=SearchFilters(senders=("Zebedee",)),
        )
    )
    assert nobody.results and nobody.results[0].google_id == "m-tom-budget"  # no Zebedee: the filter only boosts


async def test_an_item_whose_title_names_a_person_in_full_is_about_them(workspace: Workspace) -> None:
    await _index_alice(workspace)
    user_id, account_id = workspace.alice
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            email("m-offer", "Offer for Sarah Chen - approval", TOM, "Please approve the offer letter.", when(11, 7)),
        ],
    )

    async def found(person: str) -> list[str]:
        response = await workspace.search.search(
            SearchQuery(
                user_id=user_id,
                text=person,
                services=("gmail",),
                filters=SearchFilters(people=(person,)),
            )
        )
        return [r.google_id for r in response.results]

    assert "m-offer" in await found("Sarah Chen")  # Tom wrote it, to Alice: its title names her
    assert "m-offer" not in await found("Sarah")  # a first name alone keeps the filter strict


async def test_a_repeated_mailing_shows_once_and_a_message_filed_twice_stays(workspace: Workspace) -> None:
    user_id, account_id = workspace.alice
    venues = "Five venues under 60 per head for your team offsite, all within an hour of London."
    memo = "The offsite venue is booked: the lodge by the lake, for the whole team."
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            # One advert, mailed weekly by one sender and once by another.
            *(
                email(
                    f"m-advert-{n}",
                    "Venues for your offsite",
                    Person(f"sales{n % 2}@venues.example"),
                    venues,
                    when(10, 1 + 7 * n),
                )
                for n in range(4)
            ),
            # One memo stored twice (received, and again in an archive folder) an hour apart.
            email("m-memo", "Offsite venue booked", TOM, memo, when(11, 2)),
            email("m-memo-archived", "Offsite venue booked", TOM, memo, when(11, 2).replace(hour=10, minute=30)),
            email(
                "m-agenda", "Offsite agenda", TOM, "Agenda for the team offsite: talks, a walk, dinner.", when(11, 3)
            ),
        ],
    )
    ids = [
        r.google_id
        for r in (
            await workspace.search.search(
                SearchQuery(user_id=user_id, text="offsite venue", services=("gmail",), limit=4)
            )
        ).results
    ]
    adverts = [i for i in ids if i.startswith("m-advert")]
    assert len(adverts) == 1, ids  # the other three copies come after everything else
    assert {"m-memo", "m-memo-archived", "m-agenda"} <= set(ids)


async def test_a_request_with_no_topic_and_no_filters_lists_the_newest_items(workspace: Workspace) -> None:
    # "show my latest emails": every word is a request word; the answer is the newest mail,
    # not nothing. Trash stays out.
    await _index_alice(workspace)
    response = await workspace.search.search(
        SearchQuery(user_id=workspace.alice[0], text="show my latest emails", services=("gmail",))
    )
    assert response.terms == []
    assert [r.google_id for r in response.results] == ["m-hike", "m-offsite", "m-review", "m-contract"]


async def test_a_request_spelling_out_an_acronym_finds_the_item_that_abbreviates_it(workspace: Workspace) -> None:
    await _index_alice(workspace)
    user_id, account_id = workspace.alice
    await workspace.indexer.index(
        user_id,
        account_id,
        [
            FileItem(
                file_id="f-okrs",
                name="OKRs H2 2026",
                mime_type="application/vnd.google-apps.spreadsheet",
                modified_at=when(7, 1),
                owners=(ALICE,),
                content_text="Goal,Measure,Owner Atlas GA,10 customers,Alex",
            ),
            email("m-rota", "Rota for the autumn", TOM, "Who is on call in the first weeks of October.", when(9, 30)),
        ],
    )
    response = await workspace.search.search(SearchQuery(user_id=user_id, text="objectives for the second half"))
    assert "h2" in response.terms
    top = response.results[0]
    assert top.google_id == "f-okrs"
    assert "fulltext" in top.methods  # no word in common: full text found it by "H2"


async def test_mail_received_leaves_out_mail_the_user_sent(workspace: Workspace) -> None:
    """ "emails with attachments I got": the user's own sent mail holds the words too, and
    is not mail they received."""
    user_id, account_id = workspace.alice
    got = email("m-zither-in", "Zither invoice", TOM, "The zither invoice is attached.", when(11, 4))
    sent = replace(
        email("m-zither-out", "Re: Zither invoice", ALICE, "Paid the zither invoice.", when(11, 5)),
        to=(TOM,),
        labels=("SENT",),
    )
    await workspace.indexer.index(user_id, account_id, [got, sent])
    try:
        for method_filters in (SearchFilters(received=True), SearchFilters(received=True, after=when(11, 1))):
            response = await workspace.search.search(
                SearchQuery(user_id=user_id, text="zither invoice", filters=method_filters, limit=50)
            )
            assert [r.google_id for r in response.results] == ["m-zither-in"]
        everything = await workspace.search.search(SearchQuery(user_id=user_id, text="zither invoice", limit=50))
        assert {r.google_id for r in everything.results} == {"m-zither-in", "m-zither-out"}
    finally:
        await workspace.indexer.remove(account_id, GMAIL, [("m-zither-in",), ("m-zither-out",)])
