"""Engines and sessions for the one shared store: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from storage.inline import InlineConnection, InlineSession, inline_engine
from storage.pool import IDLE_SINCE, FairPool
from storage.rows import CoreReads, CoreSession

SQLITE_BUSY_TIMEOUT_MS = 15_000
PING_AFTER_IDLE_S = 5.0  # a pooled PostgreSQL connection idle this long is pinged before use
MIGRATION_LOCK_ID = 7_345_001  # pg_advisory_lock key: one replica migrates and seeds at a time
POOL_WAIT_S = 10.0  # how long a turn waits for a pooled PostgreSQL connection before "tillfälligt fel"

log = logging.getLogger("tavla.storage")


class StoreUnavailable(RuntimeError):
    """The database at start could not be reached, created or written."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


WRITE_GATES: "weakref.WeakKeyDictionary[Any, SqliteWriteGate]" = weakref.WeakKeyDictionary()  # sync engine → gate
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")  # statements before which SQLite takes its write lock
_HOLDS = "tavla.sqlite_write"  # connection-record info: this connection holds the process's write gate


class SqliteWriteGate:
    """One writing transaction at a time per process and SQLite file, queued in asyncio.

    SQLite has one writer; a second connection that wants to write waits in SQLite's busy handler, which
    sleeps in steps of up to 100 ms — under concurrent writes (20 people pressing "Spara") the waits pile up
    into seconds. Here a connection about to write (SQLite begins the write transaction at the first
    INSERT/UPDATE/DELETE) first takes an asyncio lock, and gives it back when it returns to the pool (a
    session returns its connection at commit or rollback): waiting writers are woken in order the moment the
    lock is free. Other processes (a ``tavla import`` beside the server) still meet SQLite's own busy timeout.
    A writer that waits longer than that timeout gets SQLite's own "database is locked".
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._locks: dict[int, asyncio.Lock] = {}  # per event loop (tests run several)

    def lock(self) -> asyncio.Lock:
        """This event loop's lock: held by the one connection of the process that is writing."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(id(loop))
        if lock is None:
            if len(self._locks) > 16:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[id(loop)] = asyncio.Lock()
        return lock

    async def acquire(self) -> asyncio.Lock:
        """This loop's lock, taken within ``timeout`` (TimeoutError). ``asyncio.timeout``, not ``wait_for``: a free
        lock is then taken without giving up the loop, where ``wait_for`` ran the acquire as a task of its own,
        one loop iteration before and one after — under load each iteration is every other turn's work, and 100
        new conversations' first writes, handed the lock one after another, answered up to 8 s late."""
        lock = self.lock()
        async with asyncio.timeout(self.timeout):
            await lock.acquire()
        return lock

    def install(self, engine: AsyncEngine) -> None:
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            info = conn.connection.info  # the pool's record of this DBAPI connection: outlives the checkout
            if info.get(_HOLDS) is not None or statement.lstrip()[:6].upper() not in _WRITES:
                return
            try:
                lock = await_only(self.acquire())
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            info[_HOLDS] = lock

        def _release(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
            lock = record.info.pop(_HOLDS, None) if record is not None else None
            if lock is not None and lock.locked():
                lock.release()

        for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
            event.listen(engine.sync_engine.pool, name, _release)


def make_engine(url: str, *, search_path: str | None = None, pool_size: int = 10, echo: bool = False,
                sqlite_write_wait: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
                ping_after_idle: float | None = None, pool_wait: float = POOL_WAIT_S) -> AsyncEngine:
    """An async engine; SQLite in WAL mode with a busy timeout, PostgreSQL with a bounded pool."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )

        gate = SqliteWriteGate(sqlite_write_wait)
        gate.install(engine)
        WRITE_GATES[engine.sync_engine] = gate

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {"timeout": 10, "command_timeout": 30}
    if search_path:
        connect_args["server_settings"] = {"search_path": search_path}
    # A pool of a fixed size: a turn that finds every connection in use waits for one in line. An overflow
    # connection is opened for a burst and closed the moment it comes back — under 20 or more people's turns
    # that was most checkouts: a new server process, asyncpg's start-up round trips and every prepared
    # statement again (PostgreSQL at 20 users: 600 → 950 status turns/s, ``docs/benchmarks.md``). The line is
    # kept in order (``storage.pool``): a connection given back goes to the turn that waited longest.
    engine = create_async_engine(
        url,
        echo=echo,
        poolclass=FairPool,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_wait,
        connect_args=connect_args,
    )
    ping_when_idle(engine, PING_AFTER_IDLE_S if ping_after_idle is None else ping_after_idle)
    return engine


class NestedCheckouts:
    """How often a task took a second pooled connection while it held one (``watch_nested_checkouts``)."""

    count = 0


_HELD: "weakref.WeakKeyDictionary[asyncio.Task[Any], int]" = weakref.WeakKeyDictionary()  # task → connections
_WATCHED: "weakref.WeakSet[Any]" = weakref.WeakSet()  # pools with the listeners below
_TAKEN_BY = "tavla.taken_by"  # connection-record info: the task holding this connection (a weak reference)


def watch_nested_checkouts(pool: Any) -> None:
    """Log (and count) a task that takes a second pooled connection — of any store's pool — while it holds one.

    PostgreSQL's pool has no overflow: were every connection held by a task waiting for a second one, all
    of them would wait ``POOL_WAIT_S`` and fail. No turn does it (each session closes before the next
    opens); this makes a change that does visible, on SQLite too, where the same code would nest unharmed —
    the test suite fails on any (``tests/conftest.py``).
    """
    if pool in _WATCHED:
        return
    _WATCHED.add(pool)

    @event.listens_for(pool, "checkout")
    def _taken(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        task = _current_task()
        if task is None:
            return
        if _HELD.get(task):
            NestedCheckouts.count += 1
            log.warning("a task took a second database connection while holding one (%s): with the pool "
                        "in use it would wait for itself", task.get_name())
        _HELD[task] = _HELD.get(task, 0) + 1
        record.info[_TAKEN_BY] = weakref.ref(task)

    @event.listens_for(pool, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        ref = record.info.pop(_TAKEN_BY, None) if record is not None else None
        task = ref() if ref is not None else None
        if task is not None and task in _HELD:
            _HELD[task] -= 1
            if _HELD[task] <= 0:
                del _HELD[task]


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a synchronous caller)
        return None


def ping_when_idle(engine: AsyncEngine, after: float = PING_AFTER_IDLE_S) -> None:
    """Ping a pooled PostgreSQL connection before use when it has been idle ``after`` seconds or more.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip and ≈ 0.3 ms CPU, twice a turn. A
    connection that went back to the pool moments ago is alive unless the server went away in between — and
    then the statement fails, SQLAlchemy sees the disconnect, drops that connection and marks every older one
    for replacement, and the turn answers "tillfälligt fel" as it would have mid-transaction anyway. A
    connection idle for a while (a quiet night, a restarted server, a proxy's idle cut-off) is pinged, and
    replaced when the ping fails, before any turn uses it.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect
    if isinstance(pool, FairPool):
        pool.ping_after = after  # its ``ready``: a checkout that would ping is not taken outside a greenlet

    @event.listens_for(pool, "checkin")
    def _idle_since(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: the pool replaces the connection and retries
            raise DisconnectionError(f"ping after {time.monotonic() - idle_since:.0f} s idle failed") from exc
        if alive is False:
            raise DisconnectionError("ping failed")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=CoreSession, expire_on_commit=False)


class Store:
    """The engine and its session factory; passed to every layer that needs the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = make_sessionmaker(engine)
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        # SQLite on a file: reads run on the loop's thread (storage/inline.py); in memory a second engine
        # would open a second, empty database
        self._inline = inline_engine(engine.url) if database and database != ":memory:" else None
        self._inline_writer = inline_engine(engine.url, writer=True) if self._inline is not None else None
        # PostgreSQL: reads in autocommit — no BEGIN and ROLLBACK round trips (≈ 0.1 ms CPU a read session)
        self._reader = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" \
            else engine
        for pooled in (engine.sync_engine, self._inline, self._inline_writer):
            if pooled is not None:
                watch_nested_checkouts(pooled.pool)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "Store":
        return cls(make_engine(url, **kwargs))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: commit on success, roll back on error."""
        async with self.sessions() as session:
            async with session.begin():
                yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[CoreReads | InlineSession]:
        """A session for reads only, rolled back when done. On SQLite a synchronous session on the loop's
        thread (``storage.inline``: no thread hop per statement; a write through it fails); on PostgreSQL
        a connection in autocommit (no transaction: each read sees what is committed when it runs), with an
        ``AsyncSession`` on it only when a read needs the ORM.
        Either way selects of bundles and columns skip the ORM (``storage.rows.CoreReads``), and on
        PostgreSQL SQLAlchemy's execution too (``storage.driver``). Repository reads take either."""
        if self._inline is None:
            async with self._autocommit() as reads:
                yield reads
            return
        with self._inline.connect() as connection:
            reads = InlineSession(connection)
            try:
                yield reads
            finally:
                reads.close()

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession | InlineSession]:
        """A session in one transaction, like ``session``, for a turn's short write. On SQLite it runs on the
        loop's thread when SQLite's write lock can be had at once (``storage.inline``); when another process
        holds it, it is an ``AsyncSession`` that waits off the loop. Nothing inside may open another writing
        session of this store: this one holds the process's write gate."""
        async with self._sqlite_write(orm=True) as session:
            yield session

    @asynccontextmanager
    async def _sqlite_write(self, *, orm: bool) -> AsyncIterator[AsyncSession | InlineSession]:
        """``write_session``: on the loop's thread over a ``Session`` (``orm``), or over a plain ``Connection``
        that opens a ``Session`` on itself only when a statement needs the ORM."""
        gate = WRITE_GATES.get(self.engine.sync_engine) if self._inline_writer is not None else None
        if gate is None:
            async with self.session() as session:
                yield session
            return
        try:
            lock = await gate.acquire()
        except TimeoutError:
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")) from None
        sync: Session | Connection = (Session(self._inline_writer, expire_on_commit=False) if orm
                                      else self._inline_writer.connect())
        try:
            (sync.connection() if orm else sync).exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as exc:
            sync.close()
            lock.release()
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                raise
            async with self.session() as session:  # another process writes: wait for it off the loop
                yield session
            return
        session = InlineSession(sync)
        try:
            yield session
            session.end_commit()
        except BaseException:
            session.end_rollback()
            raise
        finally:
            session.close()
            sync.close()
            lock.release()

    @asynccontextmanager
    async def one_write_session(self) -> AsyncIterator[CoreReads | AsyncSession | InlineSession]:
        """For a turn whose only write is one statement, atomic by itself — an activity update with its log row
        (``storage.plans.update_activity``) — and whose reads around it need no transaction of their own. On
        PostgreSQL a connection in autocommit, as ``read_session``'s: the write commits as it runs, and a
        second write raises (it would not be atomic with the first); the reads go straight to asyncpg, and
        neither BEGIN nor COMMIT is a round trip. On SQLite ``write_session``'s one transaction, on a plain
        connection: the ORM's session is opened only for a statement that needs it."""
        if self._inline is not None or self.engine.dialect.name != "postgresql":
            async with self._sqlite_write(orm=False) as session:
                yield session
            return
        async with self._autocommit(writes=1) as session:
            yield session

    @asynccontextmanager
    async def _autocommit(self, writes: int = 0) -> AsyncIterator[CoreReads]:
        """PostgreSQL reads in autocommit, as ``CoreReads`` allowed ``writes`` statements that write. The pool's
        connection is taken at the first statement, if any (``CoreReads.lazy``): a turn answered from what the
        process keeps checks out nothing."""
        reads = CoreReads.lazy(self._reader, writes=writes)
        try:
            yield reads
        finally:
            await reads.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[CoreReads | InlineConnection]:
        """A connection for reads only (rolled back when done): Core statements and column selects, without an
        ORM session — a third cheaper for a turn's first lookups (``bot.teams_bot._turn``). On SQLite on the
        loop's thread; on PostgreSQL ``read_session``'s reads."""
        if self._inline is None:
            async with self.read_session() as reads:
                yield reads  # type: ignore[misc]
            return
        with self._inline.connect() as conn:
            yield InlineConnection(conn)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        for inline in (self._inline, self._inline_writer):
            if inline is not None:
                inline.dispose()


async def check_reachable(store: Store, url: str, timeout: float = 15.0) -> None:
    """Raise ``StoreUnavailable`` with a one-line reason when the database cannot be used."""
    try:
        await asyncio.wait_for(store.ping(), timeout)
    except Exception as exc:  # noqa: BLE001 - turned into one clear line for the operator
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"Databasen kunde inte nås: {safe_url(url)} ({reason})") from exc
