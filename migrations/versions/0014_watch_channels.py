"""Push channels open at Google: one per service of a linked account.

Calendar `events.watch` and Drive `changes.watch` channels are known to Google by their
channel id and resource id (both needed to stop one); Gmail's `users.watch` has neither,
since a mailbox has one watch, and its `address` is the Pub/Sub topic. `expires_at` is
what Google answered; sync/watch.py renews a channel before it, and stops the old one.
Owned by the account's user, so row-level security (as in 0006) applies.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from assistant.core.settings import get_settings

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALLER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
POLICY = "owner_only"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE watch_channels (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            account_id uuid NOT NULL REFERENCES google_accounts(id) ON DELETE CASCADE,
            service varchar(8) NOT NULL CHECK (service IN ('gmail', 'gcal', 'gdrive')),
            channel_id text,
            resource_id text,
            address text NOT NULL,
            expires_at timestamptz NOT NULL,
            opened_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (account_id, service),
            CHECK ((service = 'gmail') = (channel_id IS NULL AND resource_id IS NULL))
        )
        """
    )
    op.execute("CREATE INDEX watch_channels_expiry ON watch_channels (expires_at)")
    role = get_settings().database_request_role
    op.execute("ALTER TABLE watch_channels ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {POLICY} ON watch_channels TO {role} USING (user_id = {CALLER}) WITH CHECK (user_id = {CALLER})"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS watch_channels")
