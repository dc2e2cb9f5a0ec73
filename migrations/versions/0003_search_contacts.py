"""Contacts for resolving people's names to addresses in search filters.

"Emails from Sara" must become `sender_email = 'sarah.chen@acme.com'`. The caches hold
addresses in arrays and names in free text; this table keeps one row per address a user
has seen (the name most recently written next to it, how often it appeared), filled by the
indexer, with trigram indexes so that misspelt and partial names match.

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


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search_contacts (
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            email text NOT NULL,
            name text NOT NULL DEFAULT '',
            occurrences integer NOT NULL DEFAULT 1,
            last_seen_at timestamptz,
            PRIMARY KEY (user_id, email)
        )
        """
    )
    op.execute(
        "CREATE INDEX search_contacts_name_trgm ON search_contacts USING gin (name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX search_contacts_email_trgm ON search_contacts USING gin (email gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search_contacts")
