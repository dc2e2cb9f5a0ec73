"""Row-level security on every partition of `search_chunks`, whenever it was made.

Migration 0006 put the owner-only policy on the partitions that existed then; 0011 made
64 new ones without it. A query through `search_chunks` is held by the parent's policy,
but the request role may also name a partition directly, and a partition without RLS
would show it every user's chunks. This enables RLS and adds the policy on each partition
that lacks it (for partitions made later too, when this runs again in their migration).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

from assistant.core.settings import get_settings

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALLER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
POLICY = "owner_only"


def _partitions_without_policy() -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        f"""
        SELECT inhrelid::regclass::text FROM pg_inherits
        WHERE inhparent = 'search_chunks'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = inhrelid AND polname = '{POLICY}')
        """
    )
    return [name for (name,) in rows]


def upgrade() -> None:
    role = get_settings().database_request_role
    for partition in _partitions_without_policy():
        op.execute(f"ALTER TABLE {partition} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {partition} TO {role} "
            f"USING (user_id = {CALLER}) WITH CHECK (user_id = {CALLER})"
        )


def downgrade() -> None:
    """Nothing: 0011's downgrade drops these partitions, policies included."""
