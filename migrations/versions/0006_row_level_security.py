"""Row-level security: a transaction serving a user sees only that user's rows.

Every query already says `WHERE user_id = :caller`; this is the second wall, for the query
that forgets. Request-serving transactions (the chat app, the HTTP API, the pipeline) begin
with `SET LOCAL ROLE concierge_request` and `SET LOCAL app.user_id = '<uuid>'`
(`assistant.core.db.as_user`). That role has no BYPASSRLS and owns nothing, so the policies
below apply to it: a row is visible and writable only when its owner is `app.user_id`; with
the setting missing, nothing is. Background work (sync workers, migrations, the scheduler)
keeps running as the owner, which RLS does not restrict (no FORCE), since a sync writes
for whichever account it is given.

The role is cluster-wide: it is created once and reused by every database on the server.
A table added later must enable RLS and get its policy here-like in its own migration;
`ALTER DEFAULT PRIVILEGES` below only gives the role access to it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from assistant.core.settings import get_settings

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables whose rows belong to one user, with the column naming that user.
OWNED_TABLES = {
    "users": "id",
    "google_accounts": "user_id",
    "conversations": "user_id",
    "messages": "user_id",
    "pending_actions": "user_id",
    "gmail_cache": "user_id",
    "gcal_cache": "user_id",
    "gdrive_cache": "user_id",
    "search_chunks": "user_id",
    "search_contacts": "user_id",
    "search_term_stats": "user_id",
    "sync_status": "user_id",
}
# '' (not NULL) after a RESET or at the end of a SET LOCAL: both mean "nobody".
CALLER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
POLICY = "owner_only"


def _chunk_partitions() -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'search_chunks'::regclass"
    )
    return [name for (name,) in rows]


def _owned_relations() -> dict[str, str]:
    """The tables, and search_chunks' partitions (a partition read directly has its own policies)."""
    return OWNED_TABLES | {partition: "user_id" for partition in _chunk_partitions()}


def upgrade() -> None:
    role = get_settings().database_request_role
    op.execute(
        f"""
        DO $$
        BEGIN
            CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        EXCEPTION WHEN duplicate_object THEN NULL;  -- another database on this server made it
        END
        $$
        """
    )
    # The migrating (owning) user must be allowed to SET ROLE to it; a superuser always is.
    op.execute(f"GRANT {role} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}")
    for table, owner_column in _owned_relations().items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} TO {role} "
            f"USING ({owner_column} = {CALLER}) WITH CHECK ({owner_column} = {CALLER})"
        )


def downgrade() -> None:
    role = get_settings().database_request_role
    for table in _owned_relations():
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {role}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")
    # The role stays: other databases on the server may still use it.
