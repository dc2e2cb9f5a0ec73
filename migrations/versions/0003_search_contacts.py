"""Search support: contacts for name filters, per-user term statistics for ranking.

`search_contacts`: "emails from Sara" must become `sender_email = 'sarah.chen@acme.com'`.
The caches hold addresses in arrays and names in free text; this table keeps one row per
address a user has seen (the name most recently written next to it, how often it
appeared, how often in an exchange with the user: mail they sent, meetings), filled by the
indexer, with trigram indexes so that misspelt and partial names match.

`search_term_stats`: in how many of a user's items (per service) each lexeme occurs, so that
full text can weigh query terms by rarity (IDF): in a mailbox where every message says
"Enron", that word must count for little. PostgreSQL's ranking functions look at one
document at a time, and counting at query time would read every matching row. Statement-
level triggers on the caches keep the counts exact whichever path writes or deletes items
(the indexer, sync sweeps, cascades), with one aggregate per statement, not per row. Two
rows under lexemes no text can produce carry the totals BM25 needs: '' the number of
items, ' ' the sum of their lengths (distinct lexemes per item).

`search_chunks` becomes hash-partitioned by user. Every vector search is for one user, and
an HNSW scan filters after the index: with 20 users x 5,700 chunks in one graph, finding a
user's 300 nearest chunks visited ~5,900 tuples (25 ms, `concierge bench search`). In 16
partitions each graph holds a few users, and partition pruning sends the scan to the
caller's one. Raise CHUNK_PARTITIONS (with a rebuild) as the number of users grows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CACHES = {"gmail_cache": "gmail", "gcal_cache": "gcal", "gdrive_cache": "gdrive"}
CHUNK_PARTITIONS = 16
_CHUNK_COLUMNS = (
    "id, user_id, account_id, service, gmail_id, gcal_id, gdrive_id, chunk_index, content, embedding, item_time"
)


def _create_chunks(name: str, vector_type: str, partitioned: bool) -> None:
    """`search_chunks` as in 0001, partitioned by user or not (key columns then include it)."""
    key = "PRIMARY KEY (user_id, id)" if partitioned else "PRIMARY KEY (id)"
    op.execute(
        f"""
        CREATE TABLE {name} (
            id bigint GENERATED ALWAYS AS IDENTITY,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            account_id uuid NOT NULL REFERENCES google_accounts(id) ON DELETE CASCADE,
            service varchar(8) NOT NULL CHECK (service IN ('gmail', 'gcal', 'gdrive')),
            gmail_id uuid REFERENCES gmail_cache(id) ON DELETE CASCADE,
            gcal_id uuid REFERENCES gcal_cache(id) ON DELETE CASCADE,
            gdrive_id uuid REFERENCES gdrive_cache(id) ON DELETE CASCADE,
            chunk_index integer NOT NULL CHECK (chunk_index >= 0),
            content text NOT NULL,
            embedding {vector_type} NOT NULL,
            item_time timestamptz,
            {key},
            CHECK (
                (service = 'gmail' AND gmail_id IS NOT NULL AND gcal_id IS NULL AND gdrive_id IS NULL)
                OR (service = 'gcal' AND gcal_id IS NOT NULL AND gmail_id IS NULL AND gdrive_id IS NULL)
                OR (service = 'gdrive' AND gdrive_id IS NOT NULL AND gmail_id IS NULL AND gcal_id IS NULL)
            )
        ) {"PARTITION BY HASH (user_id)" if partitioned else ""}
        """
    )
    if partitioned:
        for remainder in range(CHUNK_PARTITIONS):
            op.execute(
                f"CREATE TABLE {name}_p{remainder:02d} PARTITION OF {name} "
                f"FOR VALUES WITH (MODULUS {CHUNK_PARTITIONS}, REMAINDER {remainder})"
            )


def _index_chunks(partitioned: bool) -> None:
    owner = ", user_id" if partitioned else ""
    op.execute(
        "CREATE INDEX search_chunks_embedding ON search_chunks "
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    op.execute("CREATE INDEX search_chunks_owner ON search_chunks (user_id, service)")
    for service in ("gmail", "gcal", "gdrive"):
        op.execute(f"CREATE UNIQUE INDEX search_chunks_{service} ON search_chunks ({service}_id, chunk_index{owner})")


def _rebuild_chunks(partitioned: bool) -> None:
    """Move the chunks (vectors included) into a new `search_chunks`, (un)partitioned."""
    vector_type = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'search_chunks'::regclass AND attname = 'embedding'"
        )
        .scalar_one()
    )
    op.execute("ALTER TABLE search_chunks RENAME TO search_chunks_old")
    for index in ("embedding", "owner", "gmail", "gcal", "gdrive"):
        op.execute(f"DROP INDEX search_chunks_{index}")
    _create_chunks("search_chunks", vector_type, partitioned)
    op.execute(
        f"INSERT INTO search_chunks ({_CHUNK_COLUMNS}) OVERRIDING SYSTEM VALUE "
        f"SELECT {_CHUNK_COLUMNS} FROM search_chunks_old"
    )
    op.execute("DROP TABLE search_chunks_old")
    op.execute(
        "SELECT setval(pg_get_serial_sequence('search_chunks', 'id'), "
        "coalesce((SELECT max(id) FROM search_chunks), 0) + 1, false)"
    )
    # Built after the copy: one bulk build is much faster than growing the graph row by row.
    _index_chunks(partitioned)


# What a row adds to the statistics: 1 for each of its distinct lexemes, 1 to '' (items)
# and its length to ' ' (sum of lengths).
_CONTRIBUTIONS = (
    "unnest(tsvector_to_array({row}.search_tsv) || ARRAY['', ' '], "
    "array_fill(1, ARRAY[length({row}.search_tsv)]) || ARRAY[1, length({row}.search_tsv)]) "
    "AS d(lexeme, amount)"
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search_contacts (
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            email text NOT NULL,
            name text NOT NULL DEFAULT '',
            occurrences integer NOT NULL DEFAULT 1,
            exchanges integer NOT NULL DEFAULT 0,
            last_seen_at timestamptz,
            PRIMARY KEY (user_id, email)
        )
        """
    )
    op.execute("CREATE INDEX search_contacts_name_trgm ON search_contacts USING gin (name gin_trgm_ops)")
    op.execute("CREATE INDEX search_contacts_email_trgm ON search_contacts USING gin (email gin_trgm_ops)")

    op.execute(
        """
        CREATE TABLE search_term_stats (
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            service varchar(8) NOT NULL CHECK (service IN ('gmail', 'gcal', 'gdrive')),
            lexeme text NOT NULL,
            items bigint NOT NULL,
            PRIMARY KEY (user_id, service, lexeme)
        )
        """
    )
    # UPDATE counts only rows whose text changed (a label or flag change costs nothing).
    # The guard on users skips a user being deleted: their statistics go with them.
    op.execute(
        f"""
        CREATE FUNCTION search_term_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO search_term_stats AS s (user_id, service, lexeme, items)
                SELECT n.user_id, TG_ARGV[0], d.lexeme, sum(d.amount)
                FROM new_rows n, {_CONTRIBUTIONS.format(row="n")}
                GROUP BY n.user_id, d.lexeme
                ON CONFLICT (user_id, service, lexeme) DO UPDATE SET items = s.items + excluded.items;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE search_term_stats s SET items = s.items - gone.items
                FROM (SELECT o.user_id, d.lexeme, sum(d.amount) AS items
                      FROM old_rows o, {_CONTRIBUTIONS.format(row="o")}
                      GROUP BY o.user_id, d.lexeme) gone
                WHERE s.user_id = gone.user_id AND s.service = TG_ARGV[0] AND s.lexeme = gone.lexeme;
            ELSE
                INSERT INTO search_term_stats AS s (user_id, service, lexeme, items)
                SELECT changed.user_id, TG_ARGV[0], changed.lexeme, sum(changed.amount)
                FROM (
                    SELECT o.user_id, d.lexeme, -d.amount AS amount
                    FROM old_rows o JOIN new_rows n ON n.id = o.id, {_CONTRIBUTIONS.format(row="o")}
                    WHERE o.search_tsv IS DISTINCT FROM n.search_tsv
                    UNION ALL
                    SELECT n.user_id, d.lexeme, d.amount
                    FROM old_rows o JOIN new_rows n ON n.id = o.id, {_CONTRIBUTIONS.format(row="n")}
                    WHERE o.search_tsv IS DISTINCT FROM n.search_tsv
                ) changed
                WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = changed.user_id)
                GROUP BY changed.user_id, changed.lexeme
                HAVING sum(changed.amount) <> 0
                ON CONFLICT (user_id, service, lexeme) DO UPDATE SET items = s.items + excluded.items;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    _rebuild_chunks(partitioned=True)

    # Items cached before this revision.
    for table, service in CACHES.items():
        op.execute(
            f"""
            INSERT INTO search_term_stats (user_id, service, lexeme, items)
            SELECT t.user_id, '{service}', d.lexeme, sum(d.amount)
            FROM {table} t, {_CONTRIBUTIONS.format(row="t")}
            GROUP BY t.user_id, d.lexeme
            """
        )
    op.execute(
        """
        INSERT INTO search_contacts (user_id, email, name, occurrences, last_seen_at)
        SELECT user_id, lower(email), coalesce((array_agg(name ORDER BY seen DESC) FILTER (WHERE name <> ''))[1], ''),
               count(*), max(seen)
        FROM (
            SELECT user_id, sender_email AS email, sender_name AS name, internal_date AS seen FROM gmail_cache
            UNION ALL
            SELECT user_id, organizer_email, organizer_name, start_at FROM gcal_cache
            UNION ALL
            SELECT g.user_id, a->>'email', coalesce(a->>'displayName', ''), g.start_at
            FROM gcal_cache g, jsonb_array_elements(coalesce(g.attendees, '[]')) AS a
            UNION ALL
            SELECT d.user_id, o->>'emailAddress', coalesce(o->>'displayName', ''), d.modified_at
            FROM gdrive_cache d, jsonb_array_elements(coalesce(d.owners, '[]')) AS o
        ) people
        WHERE coalesce(email, '') <> ''
        GROUP BY user_id, lower(email)
        """
    )
    op.execute(
        """
        UPDATE search_contacts c SET exchanges = x.exchanges
        FROM (
            SELECT user_id, email, count(*) AS exchanges FROM (
                SELECT g.user_id, lower(r) AS email
                FROM gmail_cache g JOIN google_accounts a ON a.id = g.account_id,
                     unnest(g.to_emails || g.cc_emails) AS r
                WHERE g.sender_email = lower(a.email)
                UNION ALL
                SELECT e.user_id, lower(r) FROM gcal_cache e, unnest(e.attendee_emails || e.organizer_email) AS r
            ) exchanged GROUP BY user_id, email
        ) x
        WHERE c.user_id = x.user_id AND c.email = x.email
        """
    )
    for table, service in CACHES.items():
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_term_stats_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION search_term_stats_apply('{service}')"
            )


def downgrade() -> None:
    for table in CACHES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_term_stats_{event} ON {table}")
    op.execute("DROP FUNCTION search_term_stats_apply()")
    op.execute("DROP TABLE search_term_stats")
    op.execute("DROP TABLE search_contacts")
    _rebuild_chunks(partitioned=False)
