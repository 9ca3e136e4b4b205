"""Reading mapped tables as plain rows: a ``Bundle`` of a model's columns loads without building ORM objects
(no identity map, no instance state) — a third of the cost of ``select(Model)`` on the hot reads of a turn.
Attributes keep their names: ``row.indicator.code`` as ``Indicator.code`` would be.

In a read session (``Store.read_session``) such a select skips the ORM altogether: it runs as a Core
statement and ``core_result`` regroups each flat row into the bundles' rows — the ORM's statement setup and
per-row processing were ≈ 40 % of a status card's reads (measured: 689 → 434 µs CPU for its three). The
rows read the same: a bundle by its name with its columns' names, a column by its label."""

from __future__ import annotations

from collections import namedtuple
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Bundle, InstrumentedAttribute

from storage import driver


@cache
def _attributes(model: type) -> tuple[Any, ...]:
    return tuple(getattr(model, attr.key) for attr in model.__mapper__.column_attrs)  # type: ignore[attr-defined]


def as_row(model: type, name: str | None = None, entity: Any = None) -> Bundle:
    """All mapped columns of ``model`` (or of ``entity``, an alias of it) as one bundle named ``name``."""
    if entity is None:
        return Bundle(name or model.__tablename__, *_attributes(model))  # type: ignore[attr-defined]
    return Bundle(name or model.__tablename__, *(getattr(entity, a.key) for a in _attributes(model)))  # type: ignore[attr-defined]


_Shape = tuple[Any, tuple[tuple[int, Any], ...]]  # (the outer row class, per entity: columns, bundle row class)
_SHAPES: dict[int, tuple[Any, _Shape | None]] = {}
_CORE = ((), ())  # a select of columns only: Core's own rows are the ORM's


def select_shape(statement: Any) -> _Shape | None:
    """How a select of bundles and columns maps onto its flat Core row; None when it needs the ORM (an entity,
    anything but a select)."""
    hit = _SHAPES.get(id(statement))
    if hit is not None and hit[0] is statement:
        return hit[1]
    shape: _Shape | None = None
    if isinstance(statement, Select):
        parts: list[tuple[int, Any]] = []
        names: list[str] = []
        for description in statement.column_descriptions:
            expr = description["expr"]
            if isinstance(expr, Bundle):
                keys = [c.key for c in expr.exprs]
                parts.append((len(keys), namedtuple(f"{expr.name}_row", keys, rename=True)))  # type: ignore[misc]
            elif isinstance(expr, (ColumnElement, InstrumentedAttribute)):
                parts.append((1, None))
            else:
                parts = []
                break
            names.append(str(description["name"]))
        if parts and sum(n for n, _ in parts) == len(statement.selected_columns):
            if all(row_class is None for _, row_class in parts):
                shape = _CORE
            else:
                shape = (namedtuple("row", names, rename=True), tuple(parts))  # type: ignore[misc]
    if len(_SHAPES) > 512:
        _SHAPES.clear()
    _SHAPES[id(statement)] = (statement, shape)
    return shape


class _Rows:
    """The part of ``Result`` the repositories use, over rows already fetched."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Any:
        return iter(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound("no row") if not self._rows else MultipleResultsFound("several rows")
        return self._rows[0]

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise MultipleResultsFound("several rows")
        return self._rows[0] if self._rows else None

    def scalars(self) -> "_Rows":
        return _Rows([row[0] for row in self._rows])

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]


def core_result(result: Any, shape: _Shape) -> Any:
    """A Core result as the ORM would have given it: bundles as rows with their columns' names."""
    if shape is _CORE:
        return result
    return shaped(result.all(), shape)  # one fetchall, not a fetchone a row


def shaped(flat_rows: list[Any], shape: _Shape) -> _Rows:
    """Flat rows (``storage.driver``'s, or a Core result's) as the ORM would have given them."""
    if shape is _CORE:
        return _Rows(flat_rows)
    outer, parts = shape
    out = []
    for flat in flat_rows:
        values = []
        at = 0
        for width, row_class in parts:
            values.append(flat[at] if row_class is None else row_class._make(flat[at:at + width]))
            at += width
        out.append(outer._make(values))
    return _Rows(out)


class CoreReads:
    """An ``AsyncSession``'s read methods over an ``AsyncConnection`` (PostgreSQL's read sessions): selects of
    bundles and columns run as Core statements on the connection (``select_shape``); anything else (mapped
    entities, ``get``, ``scalar``) goes through an ``AsyncSession`` on the same connection, opened only then.
    Most reads never need it, and an ``AsyncSession`` costs ≈ 0.1 ms CPU to open and close and ≈ 0.06 ms to
    hand out its connection each statement (measured on PostgreSQL, ``docs/benchmarks.md``).

    ``CoreReads.lazy(engine)`` (``Store.read_session``, ``Store.one_write_session``) takes its connection from the
    pool at its first statement and gives it back at ``close``: a turn answered from what the process keeps (a
    status or a budget question asked again) checks out nothing — an empty read session cost ≈ 90 µs CPU (the
    pool's checkout and return, each through a greenlet). While only the driver has run its statements it holds
    the pool's connection alone (``storage.driver.Checkout``, ≈ 30 µs for both); SQLAlchemy's ``Connection`` is put
    around the same connection when a statement needs it. It gives it back with a plain close: SQLAlchemy's
    ``async with`` closes in a shielded task of its own (≈ 70 µs, and the connection back a loop step later), so
    that an awaited rollback is never cut short — in autocommit there is none, and the close runs to its end
    without giving up the loop (``tests/storage/test_pool.py``)."""

    __slots__ = ("connection", "_session", "_driver", "_writes", "_engine", "_checkout")

    def __init__(self, connection: AsyncConnection | None, *, writes: int = 0, engine: AsyncEngine | None = None
                 ) -> None:
        self.connection = connection  # SQLAlchemy's: given, or taken when a statement needs it
        self._engine = engine  # a lazy one's: where it takes its connection, and closes it again
        self._session: AsyncSession | None = None
        # PostgreSQL in autocommit: selects (and Spara's write) straight on asyncpg
        self._driver = (driver.usable(connection) if connection is not None
                        else engine is not None and driver.usable_engine(engine))
        # a lazy one's pool connection while only the driver has used it (``storage.driver.Checkout``)
        self._checkout: driver.Checkout | None = None
        self._writes = writes  # INSERT/UPDATE/DELETE statements it may still run (``Store.one_write_session``)

    @classmethod
    def lazy(cls, engine: AsyncEngine, *, writes: int = 0) -> "CoreReads":
        return cls(None, writes=writes, engine=engine)

    async def ensure(self) -> AsyncConnection:
        """SQLAlchemy's connection, taken from the pool now if this lazy one has none yet (around the pool
        connection the driver has used, if it has)."""
        if self.connection is None:
            assert self._engine is not None
            if self._checkout is not None:
                self.connection = await self._checkout.connection()
            else:
                self.connection = await self._engine.connect()
                self._driver = driver.usable(self.connection)
        return self.connection

    async def _driven(self) -> "AsyncConnection | driver.Checkout":
        """Where the driver runs a statement: a lazy one's first takes the pool's connection alone."""
        if self._checkout is not None:
            return self._checkout
        if self.connection is None and self._engine is not None:
            self._checkout = await driver.Checkout.take(self._engine)
            return self._checkout
        return await self.ensure()

    async def _orm(self) -> AsyncSession:
        if self._session is None:
            self._session = AsyncSession(bind=await self.ensure(), expire_on_commit=False)
        return self._session

    async def close(self) -> None:
        try:
            if self._session is not None:
                await self._session.close()
        finally:
            if self._engine is not None and self._checkout is not None:
                checkout, self._checkout, self.connection = self._checkout, None, None
                await checkout.close()  # SQLAlchemy's connection with it, if it took one
            elif self._engine is not None and self.connection is not None:
                connection, self.connection = self.connection, None
                await connection.close()

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        if getattr(statement, "is_dml", False):
            # in autocommit each statement commits as it runs: a second one would not be atomic with the first
            if self._writes <= 0:
                raise RuntimeError("a read session may not write, a one-write session only once")
            self._writes -= 1
            if self._driver and statement._returning and isinstance(params, dict) and not kwargs:  # noqa: SLF001
                rows = await driver.write(await self._driven(), statement, params)  # once, or not at all
                if rows is not None:
                    return _Rows(rows)
            return await (await self.ensure()).execute(statement, params, **kwargs)
        shape = select_shape(statement) if not kwargs else None
        if shape is None:
            return await (await self._orm()).execute(statement, params, **kwargs)
        if self._driver and (params is None or isinstance(params, dict)):
            rows = await driver.fetch(await self._driven(), statement, params)
            if rows is not None:
                return shaped(rows, shape)
        return core_result(await (await self.ensure()).execute(statement, params), shape)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return await (await self._orm()).scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return await (await self._orm()).scalars(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return await (await self._orm()).get(entity, ident, **kwargs)

    def get_bind(self) -> Any:
        """What the reads run on (its ``.dialect`` names the database): the connection, or before a lazy one's
        first statement its engine."""
        return self.connection if self.connection is not None else self._engine


class CoreSession(AsyncSession):
    """The store's ``AsyncSession`` (``Store.session``, and ``write_session`` but for SQLite's inline one):
    selects of bundles and columns run as Core statements on its connection, after the flush the ORM would
    have made before a query — on PostgreSQL straight on asyncpg once the transaction has begun
    (``storage.driver.in_transaction``); everything else is the ``AsyncSession``'s own."""

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        shape = select_shape(statement) if not kwargs else None
        if shape is None:
            return await super().execute(statement, params, **kwargs)
        sync = self.sync_session
        if sync.autoflush and (sync.new or sync.deleted or sync.dirty):
            await self.flush()
        connection = await self.connection()
        if (params is None or isinstance(params, dict)) and driver.in_transaction(connection):
            rows = await driver.fetch(connection, statement, params)  # inside the transaction, on asyncpg
            if rows is not None:
                return shaped(rows, shape)
        return core_result(await connection.execute(statement, params), shape)
