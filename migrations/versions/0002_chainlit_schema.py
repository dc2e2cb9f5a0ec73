"""Chainlit's data-layer tables, in a PostgreSQL schema of their own.

Chainlit's SQLAlchemy data layer creates no tables and swallows SQL errors, so the DDL is
ours. Its `users` table would collide with ours, hence the `chainlit` schema (the data
layer connects with `search_path=chainlit`). Compared with Chainlit's published DDL,
`steps` also has `"autoCollapse"`, `modes` and `icon`, which Chainlit 2.12 writes: without
them every step insert fails silently.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "chainlit"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(
        f"""
        CREATE TABLE {SCHEMA}.users (
            "id" uuid PRIMARY KEY,
            "identifier" text NOT NULL UNIQUE,
            "metadata" jsonb NOT NULL,
            "createdAt" text
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE {SCHEMA}.threads (
            "id" uuid PRIMARY KEY,
            "createdAt" text,
            "name" text,
            "userId" uuid REFERENCES {SCHEMA}.users("id") ON DELETE CASCADE,
            "userIdentifier" text,
            "tags" text[],
            "metadata" jsonb
        )
        """
    )
    op.execute(f'CREATE INDEX threads_user ON {SCHEMA}.threads ("userId", "createdAt" DESC)')
    op.execute(
        f"""
        CREATE TABLE {SCHEMA}.steps (
            "id" uuid PRIMARY KEY,
            "name" text NOT NULL,
            "type" text NOT NULL,
            "threadId" uuid NOT NULL REFERENCES {SCHEMA}.threads("id") ON DELETE CASCADE,
            "parentId" uuid,
            "streaming" boolean NOT NULL,
            "waitForAnswer" boolean,
            "isError" boolean,
            "metadata" jsonb,
            "tags" text[],
            "input" text,
            "output" text,
            "createdAt" text,
            "command" text,
            "start" text,
            "end" text,
            "generation" jsonb,
            "showInput" text,
            "language" text,
            "indent" int,
            "defaultOpen" boolean,
            "autoCollapse" boolean,
            "modes" jsonb,
            "icon" text
        )
        """
    )
    op.execute(f'CREATE INDEX steps_thread ON {SCHEMA}.steps ("threadId", "createdAt")')
    op.execute(
        f"""
        CREATE TABLE {SCHEMA}.elements (
            "id" uuid PRIMARY KEY,
            "threadId" uuid REFERENCES {SCHEMA}.threads("id") ON DELETE CASCADE,
            "type" text,
            "url" text,
            "chainlitKey" text,
            "name" text NOT NULL,
            "display" text,
            "objectKey" text,
            "size" text,
            "page" int,
            "language" text,
            "forId" uuid,
            "mime" text,
            "props" jsonb,
            "autoPlay" boolean,
            "playerConfig" jsonb,
            "path" text
        )
        """
    )
    op.execute(f'CREATE INDEX elements_thread ON {SCHEMA}.elements ("threadId")')
    op.execute(
        f"""
        CREATE TABLE {SCHEMA}.feedbacks (
            "id" uuid PRIMARY KEY,
            "forId" uuid NOT NULL,
            "threadId" uuid NOT NULL REFERENCES {SCHEMA}.threads("id") ON DELETE CASCADE,
            "value" int NOT NULL,
            "comment" text
        )
        """
    )


def downgrade() -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
