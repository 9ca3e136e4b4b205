"""Reads on SQLite without a thread hop: a synchronous SQLAlchemy session on the event loop's own thread.

aiosqlite runs every statement on a worker thread: the statement is queued, the worker wakes, takes the GIL,
runs it, and wakes the event loop through its self-pipe; a transaction's begin, statements and rollback are
each such a round trip. For the short indexed reads a chef's question makes (a few rows, tens of µs in SQLite
itself) the round trips and the async session around them cost ten times the query: measured on one
indicator-values read, ≈ 1.3 ms CPU through ``AsyncSession`` + aiosqlite, ≈ 0.5 ms through a synchronous
session on the same file (``bench/``; ``docs/benchmarks.md``).

A read in WAL mode never waits for a writer, so running it on the loop does not block the loop on a lock.
The read connections are ``query_only``: a write through them fails instead of happening.

A write can wait for SQLite's write lock, and on the loop's thread that wait would stop every other turn —
and the writer holding the lock might be this process's own, waiting for the loop. So ``Store.write_session``
first takes the process's write gate (``storage.db.SqliteWriteGate``, an asyncio lock every writer of the
process takes), then ``BEGIN IMMEDIATE`` with no busy wait: it either holds SQLite's write lock at once —
and then nothing in the transaction waits for a lock (in WAL mode a commit does not wait for readers) — or
another process is writing, and the session is an aiosqlite one that waits off the loop, as before.

``InlineSession`` and ``InlineConnection`` offer the part of ``AsyncSession`` / ``AsyncConnection`` the
repositories' reads use (``execute``, ``scalar``, ``scalars``, ``get``), so a repository function runs
unchanged on either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from storage import driver
from storage.rows import core_result, select_shape, shaped

READ_BUSY_TIMEOUT_MS = 2_000  # a WAL read waits only on a crashed writer's recovery; never for long


def inline_engine(url: URL, *, writer: bool = False) -> Engine:
    """A synchronous engine on the same SQLite file: ``query_only`` for reads, or (``writer``) for
    ``Store.write_session``, whose ``BEGIN IMMEDIATE`` must fail at once when another process is writing.

    The pool never blocks (``max_overflow=-1``): a turn waiting for a pooled connection on the loop's thread
    would wait for a turn that can only give it back when the loop runs.
    """
    engine = create_engine(url.set(drivername="sqlite+pysqlite"), poolclass=QueuePool,
                           pool_size=1 if writer else 8, max_overflow=-1, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if writer:
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            cursor.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


def _read(connection: Connection, statement: Any, params: Any, shape: Any) -> Any:
    """A select of bundles and columns: straight on sqlite3 (``storage.driver.fetch_sqlite``) when it can."""
    if params is None or isinstance(params, dict):
        rows = driver.fetch_sqlite(connection, statement, params)
        if rows is not None:
            return shaped(rows, shape)
    return core_result(connection.execute(statement, params), shape)


class InlineSession:
    """An ``AsyncSession``'s methods over a synchronous ``Session`` (no await inside: nothing waits).

    Made on a ``Connection`` (a read session) it opens the ``Session`` only when a statement needs the ORM:
    most reads are selects of bundles and columns, which run on the connection (``storage.rows``).
    """

    __slots__ = ("_connection", "_session")

    def __init__(self, source: Session | Connection) -> None:
        self._session = source if isinstance(source, Session) else None
        self._connection = source if isinstance(source, Connection) else None

    @property
    def sync_session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self._connection, expire_on_commit=False)
        return self._session

    def close(self) -> None:
        if self._session is not None and self._connection is not None:
            self._session.close()

    # ``Store.write_session``'s end of the transaction (synchronous: not the ``AsyncSession`` methods)
    def end_commit(self) -> None:
        if self._connection is None:
            assert self._session is not None
            self._session.commit()
            return
        if self._session is not None:
            self._session.flush()  # the ORM's pending writes, into the connection's transaction
        self._connection.commit()

    def end_rollback(self) -> None:
        if self._connection is None:
            assert self._session is not None
            self._session.rollback()
        else:
            self._connection.rollback()

    def get_bind(self) -> Any:
        """What the session runs on (its ``.dialect`` names the database)."""
        return self._connection if self._session is None else self._session.get_bind()

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        shape = select_shape(statement) if not kwargs else None
        if shape is None:
            if kwargs or not getattr(statement, "is_dml", False) or statement._propagate_attrs:  # noqa: SLF001
                return self.sync_session.execute(statement, params, **kwargs)  # the ORM's own statements
            # an insert, update or delete of a table (Core): on the connection, after the ORM's pending writes
            session = self._session
            if session is None:
                return self._connection.execute(statement, params)  # type: ignore[union-attr]
            if session.new or session.deleted or session.dirty:
                session.flush()
            return session.connection().execute(statement, params)
        session = self._session
        if session is None:
            connection = self._connection
        else:
            if session.new or session.deleted or session.dirty:  # as the ORM would autoflush before a query
                session.flush()
            connection = session.connection()
        return _read(connection, statement, params, shape)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(entity, ident, **kwargs)

    # the writing part (Store.write_session)
    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def delete(self, instance: Any) -> None:
        self.sync_session.delete(instance)

    async def refresh(self, instance: Any, attribute_names: Any = None) -> None:
        self.sync_session.refresh(instance, attribute_names)


class InlineConnection:
    """An ``AsyncConnection``'s read methods over a synchronous ``Connection``."""

    __slots__ = ("sync_connection",)

    def __init__(self, sync_connection: Connection) -> None:
        self.sync_connection = sync_connection

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        shape = select_shape(statement) if not kwargs else None
        if shape is None:
            return self.sync_connection.execute(statement, params, **kwargs)
        return _read(self.sync_connection, statement, params, shape)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.scalars(statement, params, **kwargs)
