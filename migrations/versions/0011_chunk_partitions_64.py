"""`search_chunks` in 64 hash partitions by user instead of 16.

A vector search walks the HNSW graph of the caller's partition and drops other users'
chunks as it meets them. With 16 partitions the bench's 20 users share them two or three to
a partition: finding a user's 300 nearest chunks touched ~4,900 buffers, of which two
thirds were spent on other users' chunks; alone in a graph the same search touched ~2,000
and ran 4x faster (`concierge bench search`'s data, bench-003). With 64, most of a few
dozen users have a graph to themselves. Keep the partitions at least as many as the users.

Each old partition's rows move into the new partitions; the vector index is dropped first
and built again afterwards (one bulk build per partition, not 200,000 graph insertions),
with migration 0007's options. Other indexes, keys and constraints are defined on the
partitioned table and follow the partitions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "id, user_id, account_id, service, gmail_id, gcal_id, gdrive_id, chunk_index, content, embedding, item_time"


def _repartition(old: int, new: int) -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("DROP INDEX search_chunks_embedding")
    for remainder in range(old):
        op.execute(f"ALTER TABLE search_chunks DETACH PARTITION search_chunks_p{remainder:02d}")
        op.execute(f"ALTER TABLE search_chunks_p{remainder:02d} RENAME TO search_chunks_moving_{remainder:02d}")
    for remainder in range(new):
        op.execute(
            f"CREATE TABLE search_chunks_p{remainder:02d} PARTITION OF search_chunks "
            f"FOR VALUES WITH (MODULUS {new}, REMAINDER {remainder})"
        )
    for remainder in range(old):
        op.execute(
            f"INSERT INTO search_chunks ({COLUMNS}) OVERRIDING SYSTEM VALUE "
            f"SELECT {COLUMNS} FROM search_chunks_moving_{remainder:02d}"
        )
        op.execute(f"DROP TABLE search_chunks_moving_{remainder:02d}")
    op.execute(
        "CREATE INDEX search_chunks_embedding ON search_chunks "
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 200)"
    )
    op.execute("ANALYZE search_chunks")


def upgrade() -> None:
    _repartition(16, 64)


def downgrade() -> None:
    _repartition(64, 16)
