"""A per-user, case-blind index for the search's Gmail label filter.

Sync caches user labels by name ("Receipts") and system labels by id ("STARRED"), and a
filter names either in any case ("receipts", "starred"), so the filter compares upper case.
`gmail_labels` indexes the labels as stored and across users; this index holds
"<user id> <LABEL>" keys, so "starred mail" reads only the caller's starred messages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION search_owned_labels(owner uuid, labels text[]) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN ARRAY(SELECT owner::text || ' ' || upper(label) FROM unnest(labels) AS label)
        """
    )
    op.execute("CREATE INDEX gmail_label_keys ON gmail_cache USING gin (search_owned_labels(user_id, labels))")


def downgrade() -> None:
    op.execute("DROP INDEX gmail_label_keys")
    op.execute("DROP FUNCTION search_owned_labels(uuid, text[])")
