"""PostgreSQL reads straight on asyncpg, SQLite's on sqlite3: SQLAlchemy compiles the statement and converts
the values, the database's own driver runs it (on PostgreSQL as a prepared statement).

A read through SQLAlchemy's async engine costs ≈ 0.23 ms CPU on top of the round trip, most of it the
execution context, the cursor adapter, the hops into and out of a greenlet and the result's metadata; the
same prepared statement run by asyncpg itself costs ≈ 0.06 ms (measured on one primary-key read; a status
card makes five reads, a budget card three: ``docs/benchmarks.md``). Here SQLAlchemy still does what it
knows best — compiling (from its own compiled cache, keyed as its engine keys it), binding parameters with
its bind processors, and turning each value into the Python object its column type gives (its result
processors) — and asyncpg does the rest.

Only plain selects of bundles and columns take this path (``storage.rows.select_shape``), with one dict of
parameters or none, and only where nothing listens to the engine's statements (events must see every
statement): in a read session (autocommit), and in a write session once SQLAlchemy's transaction has begun
on the connection (the read runs inside it). Whatever else happens — an expanding ``IN``, a statement
SQLAlchemy will not cache, an error of any kind — the statement runs through SQLAlchemy as before: a read may
run twice, and then SQLAlchemy raises what it always raised and replaces a dead connection as it always did.

Spara's one write (an activity's versioned update with its log row, in autocommit: ``write``) takes the same
path, but a write may not run twice: only what certainly did not run goes to SQLAlchemy (see ``write``). It
saved ≈ 0.2 ms CPU of a PostgreSQL Spara turn (A/B, alternated: 1.56 → 1.30 ms at one user, 1.29 → 1.16 at 20).

On SQLite (``fetch_sqlite``, the synchronous reads of ``storage.inline``) the same split saves ≈ 40 µs of a
read's ≈ 90 (one caller-and-stamps read, one process, medians of 7 × 2 000): SQLAlchemy's execution context
and cursor result around a query that takes SQLite itself a few µs. The statement runs on the connection
SQLAlchemy checked out, so it sees that connection's transaction (a write session's own writes) as any of its
reads would.

It leans on SQLAlchemy internals (``_compile_w_cache``, a connection's ``_dbapi_connection``,
``construct_params``' collected parameters, the compiled statement's bind processors and result columns, a
type's cached result processor). SQLAlchemy is pinned (``constraints.txt``), and every PostgreSQL test runs
each read the driver answers through SQLAlchemy as well and fails on any difference of rows, types or keys
(``tests/conftest.py``, ``driver_reads_checked``; ``tests/storage/test_driver.py`` for the rest): an upgrade
that changes them fails there.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from typing import Any

import asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import MissingGreenlet, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import compiler
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.pool import FairPool

log = logging.getLogger("tavla.storage")

PLANS_PER_CONNECTION = 256  # prepared statements kept per database connection (the repositories have ≈ 150)


class _Plan:
    """A statement prepared on one connection, with what turns its records into rows."""

    __slots__ = ("prepared", "processors", "row")

    def __init__(self, prepared: Any, processors: tuple[Any, ...] | None, row: type) -> None:
        self.prepared = prepared
        self.processors = processors
        self.row = row


# Per database connection, in the pool's record of it (``info``): dropped with the connection when the pool
# closes it (an overflow connection, a dead one). Not a WeakKeyDictionary on the asyncpg connection — its
# prepared statements refer to it, so neither would ever go.
_PLANS_KEY = "tavla.driver_plans"


# SQLAlchemy's compiled form of a statement object, by (the object, its dialect, the parameters' names): the
# repositories' hot statements are built once, and an immutable statement compiles as it did. SQLAlchemy's own
# cache is keyed by the statement's structure, which it hashes anew each time (≈ 2–7 µs a statement).
_COMPILED: dict[tuple[int, int, tuple[str, ...]], tuple[Any, Any, Any, Any, Any]] = {}
COMPILED_KEPT = 1024


def _compiled(sync: Any, statement: Any, keys: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """(compiled, extracted parameters, collected parameters) of ``statement`` for ``sync``'s dialect."""
    dialect = sync.dialect
    key = (id(statement), id(dialect), keys)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is statement and hit[1] is dialect:  # the objects themselves: no id reused
        return hit[2], hit[3], hit[4]
    compiled, extracted, collected, _ = statement._compile_w_cache(  # noqa: SLF001 - see the module's docstring
        dialect=dialect, compiled_cache=sync.engine._compiled_cache,  # noqa: SLF001
        column_keys=list(keys), for_executemany=False, schema_translate_map=None,
        linting=dialect.compiler_linting | compiler.WARN_LINTING)
    if len(_COMPILED) >= COMPILED_KEPT:
        _COMPILED.clear()
    _COMPILED[key] = (statement, dialect, compiled, extracted, collected)
    return compiled, extracted, collected


def _sql_and_args(sync: Any, statement: Any, params: dict[str, Any] | None) -> tuple[Any, str, list[Any]] | None:
    """(compiled, SQL, positional arguments) as SQLAlchemy would send them on the connection ``sync``, or None
    when it would do more."""
    compiled, extracted, collected = _compiled(sync, statement, tuple(sorted(params)) if params else ())
    if (not compiled.positional or compiled.literal_execute_params or compiled.post_compile_params
            or compiled.schema_translate_map or not compiled._ordered_columns  # noqa: SLF001
            or compiled._ad_hoc_textual or compiled._textual_ordered_columns):  # noqa: SLF001
        return None
    values = compiled.construct_params(params or None, escape_names=False, extracted_parameters=extracted,
                                       _collected_params=collected)
    processors = compiled._bind_processors  # noqa: SLF001
    args = [processors[key](values[key]) if key in processors else values[key] for key in compiled.positiontup]
    return compiled, compiled.string, args


async def _plan(plans: dict[str, _Plan], raw: Any, compiled: Any, sql: str, dialect: Any) -> _Plan | None:
    plan = plans.get(sql)
    if plan is not None:
        return plan if plan.prepared is not None else None
    if len(plans) >= PLANS_PER_CONNECTION:
        plans.clear()
    prepared = await raw.prepare(sql)
    attributes = prepared.get_attributes()
    columns = compiled._result_columns  # noqa: SLF001
    if len(columns) != len(attributes):  # not a plain select after all: SQLAlchemy's, from now on
        plans[sql] = _Plan(None, None, tuple)
        return None
    processors = tuple(c.type._cached_result_processor(dialect, a.type.oid)  # noqa: SLF001
                       for c, a in zip(columns, attributes))
    plan = plans[sql] = _Plan(prepared, processors if any(processors) else None,
                              namedtuple("Row", [c.keyname for c in columns], rename=True))  # type: ignore[misc]
    return plan


async def _prepared(link: "AsyncConnection | Checkout", statement: Any, params: dict[str, Any] | None
                    ) -> tuple[_Plan, list[Any], dict[str, _Plan], str] | None:
    """``statement`` prepared on ``link``'s asyncpg connection, with its arguments (and where its plan is kept, by
    SQL); or None: SQLAlchemy runs it. Nothing has run yet, whatever happens here."""
    if isinstance(link, Checkout) and link.wrapped is not None:
        link = link.wrapped  # SQLAlchemy's from now on: it may have replaced a dead connection
    if isinstance(link, Checkout):
        sync: Any = link.engine.sync_engine
        pooled = link.pooled if link.pooled.dbapi_connection is not None else None  # None: invalidated
    else:
        sync = link.sync_connection
        pooled = None
    if sync is None or statement._execution_options or _listened(sync):  # noqa: SLF001
        return None
    plans: dict[str, _Plan] | None = None
    sql = None
    try:
        built = _sql_and_args(sync, statement, params)
        if built is None:
            return None
        compiled, sql, args = built
        if isinstance(link, AsyncConnection):
            # what ``get_raw_connection`` returns, without its greenlet (≈ 7 µs, and a frame stack mapped and
            # unmapped): it only has work to do for a connection invalidated since it was checked out
            pooled = sync._dbapi_connection or await link.get_raw_connection()  # noqa: SLF001
        elif pooled is None:  # a dead connection: SQLAlchemy replaces it as it runs the statement
            return None
        plans = pooled.info.setdefault(_PLANS_KEY, {})
        plan = await _plan(plans, pooled.driver_connection, compiled, sql, sync.dialect)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy runs it and says what is wrong
        _forget(plans, sql, exc)
        return None
    return None if plan is None else (plan, args, plans, sql)


def _forget(plans: dict[str, _Plan] | None, sql: str | None, exc: BaseException) -> None:
    if plans is not None and sql is not None:
        plans.pop(sql, None)  # prepared anew next time (a table may have changed)
    log.debug("a statement went to SQLAlchemy after %s", type(exc).__name__)


async def fetch(connection: "AsyncConnection | Checkout", statement: Any, params: dict[str, Any] | None) -> list[Any] | None:
    """The rows of ``statement`` on ``connection`` (in autocommit), as named tuples keyed as SQLAlchemy keys its
    rows; or None: run it through SQLAlchemy instead."""
    return await _run(connection, statement, params, once=False)


async def write(connection: "AsyncConnection | Checkout", statement: Any, params: dict[str, Any]) -> list[Any] | None:
    """The rows an INSERT, UPDATE or DELETE with RETURNING gives, run once on ``connection`` — in autocommit
    (``usable``), where the statement commits as it runs; or None: it has not run, run it through SQLAlchemy.

    A write may not run twice, so only what certainly did not run goes to SQLAlchemy: anything before the
    statement is sent, and an error the server answered with (in autocommit the statement is then rolled back as
    a whole — a constraint, a plan gone stale; SQLAlchemy runs it again and raises what it always raised).
    When the connection fails while the statement runs, whether it committed is unknown: the connection is
    invalidated, as SQLAlchemy would, and the failure raised as SQLAlchemy's ``OperationalError`` with
    ``connection_invalidated`` (a turn answers "tillfälligt fel", ``bot.dispatch.is_transient``)."""
    return await _run(connection, statement, params, once=True)


async def _run(connection: "AsyncConnection | Checkout", statement: Any, params: dict[str, Any] | None, *, once: bool
               ) -> list[Any] | None:
    prepared = await _prepared(connection, statement, params)
    if prepared is None:
        return None
    plan, args, plans, sql = prepared
    try:
        records = await plan.prepared.fetch(*args)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy runs it (again) and says what is wrong
        if once and not isinstance(exc, asyncpg.PostgresError):  # it may have committed: never run it again
            plans.pop(sql, None)
            await connection.invalidate(exc)
            raise OperationalError(sql, args, exc, connection_invalidated=True) from exc
        _forget(plans, sql, exc)
        return None
    return _rows(records, plan.processors, plan.row)


def _rows(records: Any, processors: tuple[Any, ...] | None, row: type) -> list[Any]:
    """The driver's records as SQLAlchemy would give them: each value through its column type's result
    processor, each row a named tuple keyed as SQLAlchemy keys its rows."""
    make = row._make  # type: ignore[attr-defined]
    if processors is None:
        return [make(record) for record in records]
    return [make([v if p is None else p(v) for p, v in zip(processors, record)]) for record in records]


_SQLITE_PLANS: dict[str, tuple[tuple[Any, ...] | None, type] | None] = {}  # by SQL; None: SQLAlchemy's
SQLITE_PLANS_KEPT = 512


def fetch_sqlite(sync: Any, statement: Any, params: dict[str, Any] | None) -> list[Any] | None:
    """``fetch`` for SQLite's synchronous connections (``storage.inline``): the rows of ``statement`` run on the
    sqlite3 connection ``sync`` has checked out, or None: run it through SQLAlchemy instead."""
    fairy = sync._dbapi_connection  # noqa: SLF001 - None when not connected or invalidated
    if fairy is None or statement._execution_options or _listened(sync):  # noqa: SLF001
        return None
    sql = None
    try:
        built = _sql_and_args(sync, statement, params)
        if built is None:
            return None
        compiled, sql, args = built
        plan = _SQLITE_PLANS.get(sql, False)
        if plan is None:
            return None
        cursor = fairy.dbapi_connection.execute(sql, args)
        records = cursor.fetchall()
        if plan is False:
            plan = _sqlite_plan(compiled, sql, cursor.description, sync.dialect)
            if plan is None:
                return None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy runs it again and says what is wrong
        if sql is not None:
            _SQLITE_PLANS.pop(sql, None)
        log.debug("a read went to SQLAlchemy after %s", type(exc).__name__)
        return None
    return _rows(records, *plan)


def _sqlite_plan(compiled: Any, sql: str, description: Any, dialect: Any
                 ) -> tuple[tuple[Any, ...] | None, type] | None:
    columns = compiled._result_columns  # noqa: SLF001
    if len(_SQLITE_PLANS) >= SQLITE_PLANS_KEPT:
        _SQLITE_PLANS.clear()
    if description is None or len(columns) != len(description):  # not a plain select after all
        _SQLITE_PLANS[sql] = None
        return None
    processors = tuple(c.type._cached_result_processor(dialect, None) for c in columns)  # noqa: SLF001
    plan = _SQLITE_PLANS[sql] = (processors if any(processors) else None,
                                 namedtuple("Row", [c.keyname for c in columns], rename=True))  # type: ignore[misc]
    return plan


def _listened(sync: Any) -> bool:
    """Whether something listens to this connection's statements (the connection's events are its engine's
    too). Not ``Connection._has_events``: an engine with its own isolation level listens to connects."""
    dispatch = sync.dispatch
    return bool(dispatch.before_execute or dispatch.after_execute or dispatch.before_cursor_execute
                or dispatch.after_cursor_execute)


class Checkout:
    """A connection of a PostgreSQL engine's pool, in autocommit, taken without SQLAlchemy's ``Connection``
    around it (a read session's, ``storage.rows.CoreReads``): the statements this module runs need only the
    pool's connection. A checkout and its return cost ≈ 30 µs CPU this way against ≈ 90–125 through
    ``AsyncEngine.connect`` — its ``Connection``, the isolation level set and reset, a greenlet each for the
    checkout and the close (one process, medians of 9 × 2 000, this session's host) — and a Spara turn has two.

    An idle connection that needs nothing is taken on the loop's own stack (``storage.pool.FairPool.ready``);
    otherwise the pool's checkout runs in a greenlet as SQLAlchemy runs it (it may wait in line, connect, or ping
    a connection idle for a while). Its errors are raised as ``Connection`` raises them. When SQLAlchemy must run
    a statement, ``connection()`` puts a ``Connection`` around the same pool connection (the engine's
    ``isolation_level`` set as ever); from then on that connection is SQLAlchemy's: the driver goes through it,
    and closing it gives the pool's connection back."""

    __slots__ = ("engine", "pooled", "wrapped")

    def __init__(self, engine: AsyncEngine, pooled: Any) -> None:
        self.engine = engine
        self.pooled = pooled  # the pool's connection (a ``_ConnectionFairy``)
        self.wrapped: AsyncConnection | None = None

    @classmethod
    async def take(cls, engine: AsyncEngine) -> "Checkout":
        sync = engine.sync_engine
        pool = sync.pool
        try:
            if isinstance(pool, FairPool) and pool.ready():  # an idle connection that needs nothing: no await
                try:
                    return cls(engine, pool.connect())  # ≈ 30 µs less than through a greenlet
                except MissingGreenlet:  # it had to await after all (before anything changed): as below
                    log.debug("a checkout ready at once had to wait")
            pooled = await greenlet_spawn(pool.connect)  # ``Engine.raw_connection``, as ``Connection`` takes it
        except sync.dialect.loaded_dbapi.Error as exc:  # wrapped as SQLAlchemy wraps it; a disconnect invalidates
            await greenlet_spawn(Connection._handle_dbapi_exception_noconnection,  # noqa: SLF001
                                 exc, sync.dialect, sync)
            raise  # not reached: the line above raises
        return cls(engine, pooled)

    async def connection(self) -> AsyncConnection:
        """SQLAlchemy's connection on the same pool connection, for a statement it runs."""
        if self.wrapped is None:
            sync = await greenlet_spawn(Connection, self.engine.sync_engine, self.pooled)
            self.wrapped = AsyncConnection(self.engine, sync)
        return self.wrapped

    async def invalidate(self, exc: BaseException) -> None:
        if self.wrapped is not None:
            await self.wrapped.invalidate(exc)
        else:
            await greenlet_spawn(self.pooled.invalidate, exc)

    async def close(self) -> None:
        """Back to the pool. Without a greenlet when nothing can wait: in autocommit the pool's rollback on return
        has no transaction to roll back."""
        if self.wrapped is not None:
            await self.wrapped.close()
        elif getattr(self.pooled.dbapi_connection, "_transaction", None) is None:
            self.pooled.close()
        else:
            await greenlet_spawn(self.pooled.close)


def usable_engine(engine: AsyncEngine) -> bool:
    """Whether a ``Checkout`` of ``engine``'s may read through ``fetch``: ``usable`` for its connections."""
    return _prepares(engine) and _autocommit(engine.sync_engine)


def _autocommit(sync: Any) -> bool:
    return sync.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def _prepares(connection: AsyncConnection | AsyncEngine) -> bool:
    """PostgreSQL with prepared statements allowed — a ``DATABASE_URL`` with ``prepared_statement_cache_size=0``
    (SQLAlchemy's setting for PgBouncer's transaction pooling, where a statement prepared on one server
    connection is missing on the next) reads through SQLAlchemy only."""
    return (connection.dialect.name == "postgresql"
            and connection.sync_engine.url.query.get("prepared_statement_cache_size") != "0")


def usable(connection: AsyncConnection) -> bool:
    """Whether ``connection`` (a read session's) may read through ``fetch``: in autocommit, where there is no
    transaction of SQLAlchemy's for a read to step outside of."""
    return _prepares(connection) and connection.sync_connection is not None and _autocommit(connection.sync_connection)


def in_transaction(connection: AsyncConnection) -> bool:
    """Whether a read on ``connection`` (a write session's) may go through ``fetch`` now: SQLAlchemy's
    transaction has begun on the asyncpg connection, so the read runs inside it and sees its writes. SQLAlchemy
    begins it at the transaction's first statement (not at ``begin()``): that one runs through SQLAlchemy."""
    sync = connection.sync_connection
    if sync is None or connection.dialect.name != "postgresql":
        return False
    fairy = sync._dbapi_connection  # noqa: SLF001 - None when not connected or invalidated: no side effects
    adapted = getattr(fairy, "dbapi_connection", None)
    return (getattr(adapted, "_transaction", None) is not None and adapted.isolation_level != "autocommit"
            and _prepares(connection))
