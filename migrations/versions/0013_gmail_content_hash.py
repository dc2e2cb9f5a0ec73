"""`gmail_cache.content_hash`: the same subject and body, the same hash.

Search folds repeated mailings (the same text sent again and again, or by many senders)
into their best-ranked copy; the hash tells which messages are copies without reading
their bodies. PostgreSQL computes it from the row, so every writer keeps it right.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE gmail_cache ADD COLUMN content_hash uuid "
        "GENERATED ALWAYS AS (md5(lower(subject) || chr(10) || body_text)::uuid) STORED"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE gmail_cache DROP COLUMN content_hash")
