"""A GIN index on Gmail's Cc addresses, so that every person filter is answered by indexes.

"Mail with Priya" means sender, To or Cc. Sender (`gmail_user_sender`) and To
(`gmail_recipients`) had indexes, Cc had none, so the filter read every message of the
user (5,000 in `concierge bench search`) to test the three arrays. With all three indexed
PostgreSQL combines them (BitmapOr) and reads only the matching messages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX gmail_cc ON gmail_cache USING gin (cc_emails)")


def downgrade() -> None:
    op.execute("DROP INDEX gmail_cc")
