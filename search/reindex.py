"""`concierge reindex`: re-chunk and re-embed every cached item with the configured model.

Needed after changing `CONCIERGE_EMBEDDING_MODEL`. When the new model's dimension differs
from the stored vectors', the old chunks are deleted, the column retyped and the HNSW index
rebuilt after the new vectors are in (building it once is much faster than growing it
row by row). Items stay searchable by full text throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from assistant.core.settings import get_settings

BATCH = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=BATCH, help="items embedded per round")


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        print("concierge reindex: --batch must be >= 1", file=sys.stderr)
        return 2
    totals = asyncio.run(reindex(args.batch))
    print(", ".join(f"{service}: {count} items" for service, count in totals.items()))
    return 0


async def reindex(batch: int) -> dict[str, int]:
    # deferred: these add 276 ms to every `concierge` call, `--help` included, which imports
    # this module to build its help (timed after build_parser(), median of 7).
    from sqlalchemy import text

    from search.indexing import SERVICE_TABLES
    from search.runtime import command_runtime

    dimensions = get_settings().embedding_dimensions
    async with command_runtime() as runtime:
        async with runtime.engine.begin() as connection:
            stored = (
                await connection.execute(
                    text(
                        "SELECT atttypmod FROM pg_attribute "
                        "WHERE attrelid = 'search_chunks'::regclass AND attname = 'embedding'"
                    )
                )
            ).scalar_one()
            rebuild_index = stored != dimensions
            if rebuild_index:
                await connection.execute(text("DROP INDEX IF EXISTS search_chunks_embedding"))
                await connection.execute(text("DELETE FROM search_chunks"))
                await connection.execute(
                    text(f"ALTER TABLE search_chunks ALTER COLUMN embedding TYPE vector({dimensions})")
                )
        totals = {}
        for name, service in SERVICE_TABLES.items():
            done, last = 0, None
            while (last := await runtime.indexer.reembed(service, last, batch)) is not None:
                done += batch
                print(f"{name}: {done} items re-embedded", file=sys.stderr, flush=True)
            async with runtime.engine.connect() as connection:
                totals[name] = (
                    await connection.execute(text(f"SELECT count(*) FROM {service.table.name}"))
                ).scalar_one()
        if rebuild_index:
            async with runtime.engine.begin() as connection:
                # The same definition as migration 0007.
                await connection.execute(
                    text(
                        "CREATE INDEX search_chunks_embedding ON search_chunks "
                        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 200)"
                    )
                )
    return totals
