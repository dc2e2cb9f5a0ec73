"""Pending actions: writes waiting for the user's confirmation, and their outcome.

A plan never writes to Google by itself: a write step becomes a row here with a human
preview and an expiry. Confirming moves it `pending -> executing -> done` under a row
lock, so a confirmation sent twice executes once; an executed destructive action keeps
what is needed to undo it until `undo_until`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE pending_actions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            account_id uuid NOT NULL REFERENCES google_accounts(id) ON DELETE CASCADE,
            conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
            service varchar(8) NOT NULL CHECK (service IN ('gmail', 'calendar', 'drive')),
            operation text NOT NULL,
            target_id text,
            fields jsonb NOT NULL,
            preview text NOT NULL,
            undoable boolean NOT NULL DEFAULT false,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'executing', 'done', 'failed', 'cancelled', 'undone')),
            result jsonb,
            undo_data jsonb,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            executed_at timestamptz,
            undo_until timestamptz
        )
        """
    )
    op.execute("CREATE INDEX pending_actions_user ON pending_actions (user_id, created_at DESC)")
    op.execute("CREATE INDEX pending_actions_conversation ON pending_actions (conversation_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS pending_actions")
