"""Per-user address indexes for the search's person filters (replaces 0008's Cc index).

A person filter ("mail with Priya") must find that user's items with those addresses.
The existing GIN indexes on address arrays (`gmail_recipients`, `gcal_attendees`,
`gdrive_owners`) are across users: colleagues share addresses, so in
`concierge bench search` (20 users of one company) "Priya" matched 588 messages of which
497 were other users', read and thrown away; without them the filter read all 5,000 of
the user's messages. These indexes hold "<user id> <address>" keys, so the lookup returns
only the caller's items. Senders and organizers keep their (user_id, address) btrees.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Index name -> (table, address array expression); search/retrievers.py uses the same.
INDEXES = {
    "gmail_recipient_keys": ("gmail_cache", "to_emails || cc_emails"),
    "gcal_attendee_keys": ("gcal_cache", "attendee_emails"),
    "gdrive_owner_keys": ("gdrive_cache", "owner_emails"),
}


def upgrade() -> None:
    op.execute("DROP INDEX gmail_cc")
    op.execute(
        """
        CREATE FUNCTION search_owned_addresses(owner uuid, addresses text[]) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN ARRAY(SELECT owner::text || ' ' || address FROM unnest(addresses) AS address)
        """
    )
    for name, (table, addresses) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (search_owned_addresses(user_id, {addresses}))")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.execute("DROP FUNCTION search_owned_addresses(uuid, text[])")
    op.execute("CREATE INDEX gmail_cc ON gmail_cache USING gin (cc_emails)")
