"""Where a turn's CPU goes: Tavla in this process under cProfile, driven by the benchmark's own turns.

``python -m bench.profile indicator_status [--turns 300] [--top 30] [--scale 1] [--auth] [--postgres]`` prints the
functions with the most cumulative and own time over ``--turns`` sequential turns of one user (the app, its
store on SQLite — or ``--postgres``, a database made afresh — with the demo data and the bench users, and the
load generator's connector all in one event loop; the connector's and the client's share is small and listed
too), the statements that reached the database a turn, and one turn's SQL. ``--auth``: in production auth mode — an app id,
every request's JWT checked against the local identity provider of ``bench/auth.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import json
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.loadgen import Connector
from bench.turns import TURNS, prepare_people


STATEMENTS = [0, 0, 0]  # SQL statements and transactions while measuring, and 1 once one turn's SQL is listed
FIRST_TURN: list[str] = []  # the SQL of one turn, shortened


async def run(turn: str, turns: int, profile: cProfile.Profile, scale: float = 0.0, idp: Any = None,
              postgres: bool = False) -> float:
    import app as app_module
    from app import create_app, prepare_store
    from settings import Settings, load_settings
    from storage.demo import seed_demo
    from datetime import date

    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='tavla-profile-')) / 'p.sqlite3'}"
    if postgres:
        from bench.__main__ import prepare_postgres

        url = await prepare_postgres("tavla_profile", 1, False)
    settings = Settings(database_url=url, as_of="2018-05-15", scheduler=False, log_level="WARNING",
                        outbound_rate_limit=False)
    headers = {"Content-Type": "application/json"}
    if idp is not None:  # production auth mode, as ``python -m bench.auth`` runs it
        from bench.auth import IDP_ENV, LocalAzureAD
        from bot.adapter import build_adapter

        os.environ.update(idp.app_env())
        settings = load_settings().model_copy(update={
            "database_url": url, "as_of": settings.as_of, "scheduler": False, "log_level": "WARNING",
            "outbound_rate_limit": False})
        app_module.build_adapter = functools.partial(build_adapter,
                                                     token_http_client=LocalAzureAD(os.environ[IDP_ENV]))
    store = await prepare_store(settings)
    if not postgres:
        await seed_demo(store, date(2018, 5, 15))
    if scale:
        from bench.scale import FULL, fill

        print(f"scale store: {(await fill(store, FULL.scaled(scale))).line()}", flush=True)
    if not postgres:
        await prepare_people(store, 1)
    server = TestServer(create_app(settings, store=store), host="127.0.0.1")
    await server.start_server()
    connector = Connector()
    await connector.start()
    make, invoke = TURNS[turn]
    bot_url = str(server.make_url("/api/messages"))
    if idp is not None:
        headers["Authorization"] = f"Bearer {idp.inbound_token(connector.url)}"
    try:
        async with aiohttp.ClientSession() as http:

            async def one() -> None:
                activity = make(0, connector.url)
                future = asyncio.get_running_loop().create_future()
                if not invoke:
                    connector.waiting[activity["conversation"]["id"]] = future
                async with http.post(bot_url, data=json.dumps(activity), headers=headers) as resp:
                    if resp.status >= 300:
                        raise RuntimeError(f"{resp.status}: {await resp.text()}")
                    await resp.read()
                if not invoke:
                    await asyncio.wait_for(future, 30)

            for _ in range(20):  # warm-up: caches, prepared statements, first connections
                await one()
            await trace_statements(store)

            await one()  # the statements of this one turn are listed
            STATEMENTS[:] = [0, 0, 1]
            started = time.perf_counter()
            profile.enable()
            for _ in range(turns):
                await one()
            profile.disable()
            return (time.perf_counter() - started) / turns * 1000
    finally:
        await connector.stop()
        await server.close()
        await store.dispose()


def _traced(statement: str) -> None:
    STATEMENTS[0] += 1
    if statement.lstrip()[:5].upper() == "BEGIN":
        STATEMENTS[1] += 1
    if STATEMENTS[2] == 0:
        FIRST_TURN.append(" ".join(statement.split())[:160])


async def trace_statements(store: Any) -> None:
    """Count what reaches the database itself, whichever way it went (SQLAlchemy, ``storage.driver``, the
    inline SQLite sessions): asyncpg's prepared statements and simple queries (BEGIN, COMMIT), sqlite3's trace
    callback on connections opened from now on (those pools are emptied). Engine events would not do:
    ``storage.driver`` steps aside for them, and the inline SQLite sessions have engines of their own."""
    from sqlalchemy import event

    if store.dialect == "postgresql":
        from asyncpg.connection import Connection
        from asyncpg.prepared_stmt import PreparedStatement

        def traced(cls: type, name: str, query: Any) -> None:
            original = getattr(cls, name)

            async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
                _traced(query(self, args))
                return await original(self, *args, **kwargs)

            setattr(cls, name, run)

        traced(PreparedStatement, "fetch", lambda statement, _args: statement.get_query())
        traced(Connection, "execute", lambda _connection, args: str(args[0]))
        return
    for engine in (store._inline, store._inline_writer):  # noqa: SLF001 - the SQLite engines turns read on
        if engine is not None:
            event.listen(engine.pool, "connect",
                         lambda dbapi_connection, _record: dbapi_connection.set_trace_callback(_traced))
            engine.dispose()


COMPONENTS = (  # (label, path fragment) — first match wins
    ("waiting (epoll)", "method 'poll' of 'select.epoll'"),
    ("aiosqlite/asyncpg driver", "aiosqlite"), ("aiosqlite/asyncpg driver", "asyncpg"),
    ("aiosqlite/asyncpg driver", "method 'put_nowait'"), ("aiosqlite/asyncpg driver", "sqlite3"),
    ("SQLAlchemy", "sqlalchemy"), ("SQLAlchemy", "greenlet"),
    ("botbuilder + msrest", "botbuilder"), ("botbuilder + msrest", "botframework"), ("botbuilder + msrest", "msrest"),
    ("aiohttp (server, client, connector)", "aiohttp"), ("aiohttp (server, client, connector)", "yarl"),
    ("aiohttp (server, client, connector)", "multidict"),
    ("Tavla: recogniser", "/bot/nlu/"), ("Tavla: cards", "/cards/"), ("Tavla: storage", "/storage/"),
    ("Tavla: rules", "/followup/"), ("Tavla: dialogs", "/dialogs/"), ("Tavla: bot", "/bot/"),
    ("rapidfuzz", "rapidfuzz"), ("json", "json"), ("copy (deepcopy)", "copy.py"),
    ("asyncio", "asyncio"), ("load generator (bench)", "/bench/"),
)


def by_component(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time summed per component (the profiler's own overhead inflates small functions)."""
    totals: dict[str, float] = {}
    for (path, _line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path} {name}"
        label = next((lbl for lbl, frag in COMPONENTS if frag in where), "other (stdlib, builtins)")
        totals[label] = totals.get(label, 0.0) + own
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("turn", choices=sorted(TURNS))
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--scale", type=float, default=0.0, help="fill the store first (1 = the largest kommun)")
    parser.add_argument("--postgres", action="store_true",
                        help="on PostgreSQL (database tavla_profile on 127.0.0.1:5432, made afresh) instead of SQLite")
    parser.add_argument("--auth", action="store_true",
                        help="production auth mode: an app id, every request's JWT checked (local IdP, bench/auth.py)")
    args = parser.parse_args()
    profile = cProfile.Profile()
    if args.auth:
        from bench.auth import IdentityProvider

        with IdentityProvider() as idp:
            ms = asyncio.run(run(args.turn, args.turns, profile, args.scale, idp, args.postgres))
    else:
        ms = asyncio.run(run(args.turn, args.turns, profile, args.scale, postgres=args.postgres))
    out = io.StringIO()
    components = by_component(pstats.Stats(profile))
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(f"{args.turn}: {ms:.1f} ms wall per turn under the profiler (one user, sequential); "
          f"{STATEMENTS[0] / args.turns:.1f} SQL statements in {STATEMENTS[1] / args.turns:.1f} transactions per turn")
    print("one turn's SQL:")
    for statement in FIRST_TURN:
        print(f"  {statement}")
    total = sum(t for _, t in components) or 1.0
    for label, seconds in components:
        print(f"  {label:<40} {seconds / args.turns * 1000:7.2f} ms/turn  {seconds / total:6.1%}")
    print(out.getvalue())


if __name__ == "__main__":
    main()
