"""Contents of the chat's elements (source panels), so they survive a resume or a share.

Chainlit persists an element's row but hands its bytes to a storage provider. Ours keeps
them here, next to the thread they belong to, so every app process can serve them and a
deleted thread takes its contents with it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE chainlit.element_blobs (
            "objectKey" text PRIMARY KEY,
            "mime" text NOT NULL,
            "data" bytea NOT NULL,
            "createdAt" timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE chainlit.element_blobs")
