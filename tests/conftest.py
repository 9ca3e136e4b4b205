"""Shared fixtures: a fresh store per test (SQLite file or PostgreSQL schema), ../shared access.

PostgreSQL: tests marked ``postgres`` skip locally when the server is down and *fail* with CI=true.
``../shared``: tests that read it skip when it is absent and fail with CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from settings import Settings
from storage.db import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TAVLA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PG_RAN_MARKER = os.environ.get("TAVLA_PG_RAN_FILE")  # .ci/run checks that PostgreSQL tests really ran

# Property tests: a run on a developer's machine draws new examples every time (that is how the hostile-body
# tests found a forged Infinity and a garbled recipient id); CI replays one fixed set, so a red CI is a change
# of ours, never the dice. A failure prints the blob that reproduces it (``@reproduce_failure``).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", database=None, print_blob=True)
hypothesis_settings.load_profile("ci" if IN_CI else "explore")


def need_shared(*parts: str) -> Path:
    """Path inside ../shared; skip without it locally, fail under CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"CI=true but {path} is missing")
        pytest.skip(f"{path} not present (only in the developers' checkout)")
    return path


@pytest.fixture
def shared_dir() -> Path:
    return need_shared()


async def _pg_reachable() -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=5)
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    await conn.close()
    return None


async def _pg_schema_store(**engine_kwargs: object) -> tuple[Store, str]:
    import asyncpg

    error = await _pg_reachable()
    if error is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} is unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    if PG_RAN_MARKER:
        with open(PG_RAN_MARKER, "a", encoding="utf-8") as fh:
            fh.write(schema + "\n")
    return Store.from_url(PG_URL, search_path=schema, **engine_kwargs), schema


async def _drop_pg_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()



@asynccontextmanager
async def own_pg_store(**engine_kwargs: object) -> AsyncIterator[Store]:
    """An empty PostgreSQL schema on an engine of its own (``make_engine``'s pool size, waits…), dropped after."""
    store, schema = await _pg_schema_store(**engine_kwargs)
    try:
        yield store
    finally:
        await store.dispose()
        await _drop_pg_schema(schema)


_TEMPLATES: dict[str, Path] = {}


async def _sqlite_template(tmp_root: Path, seeded: bool) -> Path:
    """A migrated (and optionally seeded) SQLite file made once per session, copied per test."""
    key = "seeded" if seeded else "empty"
    if key not in _TEMPLATES:
        from storage.migrate import upgrade

        path = tmp_root / f"template-{key}.sqlite3"
        store = Store.from_url(f"sqlite+aiosqlite:///{path}")
        await upgrade(store)
        if seeded:
            from storage.seeding import seed_arsplan

            await seed_arsplan(store)
        async with store.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await store.dispose()
        _TEMPLATES[key] = path
    return _TEMPLATES[key]


@pytest.fixture(scope="session")
def template_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(autouse=True)
def no_nested_checkouts(request: pytest.FixtureRequest) -> Iterator[None]:
    """No task takes a second pooled connection while it holds one (``storage.db.watch_nested_checkouts``): on
    PostgreSQL's pool of a fixed size that could wait for itself. Tests marked ``nested_checkouts`` hold one on
    purpose."""
    from storage.db import NestedCheckouts

    before = NestedCheckouts.count
    yield
    if not request.node.get_closest_marker("nested_checkouts"):
        assert NestedCheckouts.count == before, "a task took a second database connection while holding one " \
                                                "(the warning in the log names it)"


@pytest.fixture(autouse=True)
def driver_reads_checked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every read ``storage.driver`` answers (on PostgreSQL, and on SQLite since the twelfth session), in every
    test, is run through SQLAlchemy as well and must give the same rows with the same keys: the test suite is
    the driver's differential test (its SQLAlchemy internals are checked wherever the repositories use them). The
    driver's rows are what the code under test gets. Not for tests marked ``driver_unchecked`` (the second
    run would change what they look at, such as SQLAlchemy's own prepared statements)."""
    import storage.driver as driver

    differences: list[str] = []
    if request.node.get_closest_marker("driver_unchecked"):
        yield differences
        return
    fetch = driver.fetch

    async def differs(connection: Any, statement: Any, params: Any, rows: Any) -> str | None:
        # SQLAlchemy's error (a connection killed meanwhile) is raised: the turn sees it one read early, as it
        # would have at the next read without this check
        if not isinstance(connection, driver.Checkout) or connection.wrapped is not None:
            sqlalchemys = connection.wrapped if isinstance(connection, driver.Checkout) else connection
            return _difference(statement, await sqlalchemys.execute(statement, params), rows)
        # a read session's pool connection that only the driver has used: SQLAlchemy reads on it, then it goes
        # back and the session goes on with the pool's next one taken alone, as the code under test had it (in
        # autocommit any connection reads what is committed)
        wrapped = await connection.connection()
        try:
            return _difference(statement, await wrapped.execute(statement, params), rows)
        finally:
            await connection.close()
            connection.wrapped, connection.pooled = None, (await driver.Checkout.take(connection.engine)).pooled

    async def checked(connection: Any, statement: Any, params: Any) -> Any:
        rows = await fetch(connection, statement, params)
        if rows is None:
            return None
        difference = await differs(connection, statement, params, rows)
        for _ in range(3):  # each statement sees what is committed when it starts (READ COMMITTED): under load
            if difference is None:  # another transaction may commit between the two reads. A real difference
                break  # (a conversion, a key) stays when both are read again.
            again = await fetch(connection, statement, params)
            difference = None if again is None else await differs(connection, statement, params, again)
        if difference is not None:
            differences.append(difference)
        return rows

    monkeypatch.setattr(driver, "fetch", checked)
    fetch_sqlite = driver.fetch_sqlite

    def checked_sqlite(sync: Any, statement: Any, params: Any) -> Any:
        rows = fetch_sqlite(sync, statement, params)
        if rows is not None:  # one thread, nothing between the two reads: no other commit can come between
            difference = _difference(statement, sync.execute(statement, params), rows)
            if difference is not None:
                differences.append(difference)
        return rows

    monkeypatch.setattr(driver, "fetch_sqlite", checked_sqlite)
    yield differences
    assert not differences, "storage.driver read differently from SQLAlchemy:\n" + "\n".join(differences)


def _difference(statement: Any, result: Any, rows: list[Any]) -> str | None:
    """How the driver's ``rows`` differ from SQLAlchemy's ``result`` of the same statement, or None."""
    keys, expected = list(result.keys()), list(result.all())
    expected = [tuple((type(v), v) for v in r) for r in expected]  # 1 == 1.0 == Decimal(1): types too
    got = [tuple((type(v), v) for v in r) for r in rows]
    if got != expected or (rows and list(rows[0]._fields) != keys):
        return (f"{' '.join(str(statement).split())[:200]}\n  driver: "
                f"{rows[0]._fields if rows else ()} {got[:3]}\n  SQLAlchemy: {keys} {expected[:3]}")
    return None


async def _make_store(backend: str, tmp_path: Path, template_root: Path, seeded: bool) -> tuple[Store, str | None]:
    if backend == "sqlite":
        path = tmp_path / f"tavla-{uuid.uuid4().hex[:6]}.sqlite3"
        shutil.copy(await _sqlite_template(template_root, seeded), path)
        return Store.from_url(f"sqlite+aiosqlite:///{path}"), None
    from storage.migrate import upgrade

    store, schema = await _pg_schema_store()
    await upgrade(store)
    if seeded:
        from storage.seeding import seed_arsplan

        await seed_arsplan(store)
    return store, schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path, template_root: Path) -> AsyncIterator[Store]:
    """A migrated, seeded store — once on SQLite and once on PostgreSQL."""
    st, schema = await _make_store(request.param, tmp_path, template_root, seeded=True)
    yield st
    await st.dispose()
    if schema:
        await _drop_pg_schema(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_store(request: pytest.FixtureRequest, tmp_path: Path, template_root: Path) -> AsyncIterator[Store]:
    """A migrated store with no data — SQLite and PostgreSQL."""
    st, schema = await _make_store(request.param, tmp_path, template_root, seeded=False)
    yield st
    await st.dispose()
    if schema:
        await _drop_pg_schema(schema)


@pytest.fixture
async def sqlite_store(tmp_path: Path, template_root: Path) -> AsyncIterator[Store]:
    """A migrated, seeded SQLite store, for tests whose subject is not the database."""
    st, _ = await _make_store("sqlite", tmp_path, template_root, seeded=True)
    yield st
    await st.dispose()


@pytest.fixture
async def pg_store(tmp_path: Path, template_root: Path) -> AsyncIterator[Store]:
    """A migrated, seeded PostgreSQL store in its own schema (for PostgreSQL-only tests)."""
    st, schema = await _make_store("postgres", tmp_path, template_root, seeded=True)
    yield st
    await st.dispose()
    if schema:
        await _drop_pg_schema(schema)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a local-mode test server pinned to the seed year."""
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}", as_of="2018-05-15", scheduler=False)
