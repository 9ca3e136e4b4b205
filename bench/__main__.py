"""`make bench`: Tavla against the SDK's stock echo bot, in one run on one machine.

Turns measured: indicator status, budget remainder, activity update (Action.Execute; the bench users are
registered people with an activity each, and every press must be a logged update). Users: 1, 20, 100
closed-loop. Reports turns/s, p50/p95/p99 end-to-end latency, CPU ms per turn and peak RSS, with ratios to
the echo reference of the same run. Results: bench/results/latest.md (copy the table to docs/benchmarks.md).

``--scale``: the same turns again on a store the size of Sweden's largest kommun (bench/scale.py), and the
ratio big/small. ``--auth``: Tavla in production auth mode (app id, every request's JWT validated, tokens
from a local identity provider answering in 50 ms: bench/auth.py), and the ratio to auth off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psutil

from bench.loadgen import Result, run_load
from bench.machine import cpu_model, yardstick
from bench.servers import ROOT, Server, started
from bench.turns import TURNS, applied_updates, echo_activity, prepare_people

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    target: str
    turn: str
    users: int
    result: Result
    cpu_ms: float
    rss_mb: float


async def prepare_sqlite(path: Path, people: int = 0, scale: bool = False) -> str:
    from settings import Settings
    from app import prepare_store
    from storage.demo import seed_demo
    from datetime import date

    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):  # afresh, as prepare_postgres does
        leftover.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    store = await prepare_store(Settings(database_url=url))
    await seed_demo(store, date(2018, 5, 15))
    await _extras(store, people, scale)
    await store.dispose()
    return url


async def _extras(store: object, people: int, scale: bool) -> None:
    """The scale data (``--scale``), then the bench users as people with an activity each."""
    if scale:
        from bench.scale import FULL, fill

        report = await fill(store, FULL)  # type: ignore[arg-type]
        print(f"scale store: {report.line()}", flush=True)
    if people:
        await prepare_people(store, people)


async def check_updates(url: str) -> str:
    """'presses / logged updates' of the activity-update turn on the store at ``url``."""
    from storage.db import Store

    store = Store.from_url(url)
    try:
        sent, logged = await applied_updates(store)
    finally:
        await store.dispose()
    return f"{sent} presses, {logged} logged updates"


async def prepare_postgres(dbname: str, people: int = 0, scale: bool = False) -> str:
    import asyncpg

    from settings import Settings
    from app import prepare_store
    from storage.demo import seed_demo
    from datetime import date

    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    await admin.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{dbname}"
    store = await prepare_store(Settings(database_url=url))
    await seed_demo(store, date(2018, 5, 15))
    await _extras(store, people, scale)
    await store.dispose()
    return url


# What each measured turn must answer (checked once per server before measuring): the real card, not an error.
EXPECTED = {"indicator_status": "Frisknärvaro", "budget_remainder": "Äldreomsorg", "activity_update": "Sparat",
            "echo": "Echo: hej"}


async def probe(url: str, make, invoke: bool, authorization=None) -> str:
    """One turn from user 0; the reply's text and card JSON (to check it is the turn we mean to measure)."""
    import aiohttp

    from bench.loadgen import Connector

    connector = Connector()
    await connector.start()
    try:
        activity = make(0, connector.url)
        future = asyncio.get_running_loop().create_future()
        connector.waiting[activity["conversation"]["id"]] = future
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = f"Bearer {authorization(connector.url)}"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=activity, headers=headers) as resp:
                body = await resp.text()
        if not invoke:
            body = json.dumps(await asyncio.wait_for(future, 30), ensure_ascii=False)
        return body
    finally:
        await connector.stop()


def check_turn(server: Server, turn: str, make, invoke: bool, authorization=None) -> None:
    reply = asyncio.run(probe(server.url, make, invoke, authorization))
    if EXPECTED.get(turn, "") not in json.loads(json.dumps(reply)):
        raise SystemExit(f"{server.name}: the {turn} turn did not answer as expected "
                         f"(no {EXPECTED[turn]!r} in the reply): {reply[:600]}")


def measure(server: Server, make, users: int, seconds: float, invoke: bool,
            authorization=None) -> tuple[Result, float]:
    window: dict[str, float] = {}  # the server's CPU seconds as the measured window opens and closes
    result = asyncio.run(run_load(server.url, make, users=users, seconds=seconds, expect_invoke=invoke,
                                  authorization=authorization,
                                  on_start=lambda: window.__setitem__("start", server.cpu_seconds()),
                                  on_stop=lambda: window.__setitem__("stop", server.cpu_seconds())))
    per_turn = (window["stop"] - window["start"]) / max(1, result.turns) * 1000
    return result, per_turn


def table(rows: list[Row]) -> str:
    echo = {r.users: r.result.turns_per_s for r in rows if r.target == "echo"}
    out = ["| bot | turn | users | turns/s | × echo | p50 ms | p95 ms | p99 ms | CPU ms/turn | peak RSS MB | errors |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = r.result.turns_per_s / echo[r.users] if echo.get(r.users) else float("nan")
        out.append(f"| {r.target} | {r.turn} | {r.users} | {r.result.turns_per_s:,.0f} | {ratio:.1f} | "
                   f"{r.result.p50:.1f} | {r.result.pct(95):.1f} | {r.result.pct(99):.1f} | {r.cpu_ms:.2f} | "
                   f"{r.rss_mb:.0f} | {r.result.errors} |")
    return "\n".join(out)


def ratio_table(rows: list[Row], suffix: str, title: str) -> str:
    """Turns/s and p95 of ``tavla X<suffix>`` rows against the plain ``tavla X`` rows of the same cell."""
    base = {(r.target, r.turn, r.users): r for r in rows}
    out = [f"| bot | turn | users | turns/s | turns/s {title} | slowdown × | p95 ms | p95 ms {title} |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if not r.target.endswith(suffix):
            continue
        plain = base.get((r.target[: -len(suffix)], r.turn, r.users))
        if plain is None:
            continue
        slowdown = plain.result.turns_per_s / r.result.turns_per_s if r.result.turns_per_s else float("inf")
        out.append(f"| {plain.target} | {r.turn} | {r.users} | {plain.result.turns_per_s:,.0f} | "
                   f"{r.result.turns_per_s:,.0f} | {slowdown:.2f} | {plain.result.pct(95):.1f} | {r.result.pct(95):.1f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--users", default="1,20,100")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--targets", default="echo,sqlite,postgres")
    parser.add_argument("--turns", default=",".join(TURNS))
    parser.add_argument("--scale", action="store_true", help="also measure on a store the size of the largest kommun")
    parser.add_argument("--auth", action="store_true", help="also measure in production auth mode (local IdP)")
    parser.add_argument("--token-validity", type=int, default=3600,
                        help="seconds a token from the local IdP is valid (short: refreshes during the run)")
    args = parser.parse_args()
    users = [int(u) for u in args.users.split(",")]
    targets = args.targets.split(",")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="tavla-bench-"))
    load_before = os.getloadavg()
    yard_before = yardstick()

    if "echo" in targets:
        with started("echo", ["-m", "bench.echo_bot"], {}, "/api/messages") as server:
            check_turn(server, "echo", echo_activity, False)
            for n in users:
                result, cpu = measure(server, echo_activity, n, args.seconds, False)
                rows.append(Row("echo (stock SDK)", "echo", n, result, cpu, server.peak_rss_mb()))
                rows[-1].target = "echo"
    variants = [("", False)] + ([(" (scale)", True)] if args.scale else [])
    for target in ("sqlite", "postgres"):
        if target not in targets:
            continue
        for suffix, scale in variants:
            name = "bench-scale" if scale else "bench"
            modes = [""] + ([" (auth)"] if args.auth and not scale else [])
            for mode in modes:
                # each mode on a store prepared afresh: auth on and off start from the same rows (on PostgreSQL
                # the auth-off cells' tens of thousands of updates would otherwise be the auth cells' dead rows)
                url = asyncio.run(prepare_sqlite(tmp / f"{name}.sqlite3", max(users), scale) if target == "sqlite"
                                  else prepare_postgres(f"tavla_{name.replace('-', '_')}", max(users), scale))
                env = {"DATABASE_URL": url, "TAVLA_AS_OF": "2018-05-15", "TAVLA_SCHEDULER": "false",
                       "TAVLA_LOG_LEVEL": "WARNING", "TAVLA_OUTBOUND_RATE_LIMIT": "false"}
                label = f"tavla {target}{suffix}{mode}"
                with contextlib.ExitStack() as stack:
                    authorization = None
                    run_env = dict(env)
                    if mode:
                        from bench.auth import IdentityProvider

                        idp = stack.enter_context(IdentityProvider(token_delay=0.05,
                                                                   token_validity=args.token_validity))
                        run_env.update(idp.app_env())
                        authorization = idp.inbound_token
                    server = stack.enter_context(started(label.replace(" ", "-").replace("(", "").replace(")", ""),
                                                         ["-m", "bench.auth" if mode else "app"], run_env, "/healthz"))
                    measured = 0
                    for turn in args.turns.split(","):
                        make, invoke = TURNS[turn]
                        check_turn(server, turn, make, invoke, authorization)
                        for n in users:
                            result, cpu = measure(server, make, n, args.seconds, invoke, authorization)
                            rows.append(Row(label, turn, n, result, cpu, server.peak_rss_mb()))
                            measured += result.turns + result.errors
                    ramps = ", ".join(f"{r.turn} {r.users}: {r.result.ramp_s:.2f}" for r in rows if r.target == label)
                    notes.append(f"{label}: seconds until every user had its first answer (the new conversations "
                                 f"of a cell arrive at once; measuring starts after): {ramps}.")
                    if mode:
                        notes.append(f"{label}: {idp.token_requests} token request(s) to the identity provider "
                                     f"(50 ms each, validity {args.token_validity} s) for {measured:,} measured "
                                     f"turns plus warm-ups.")
                if "activity_update" in args.turns.split(","):
                    notes.append(f"{label}: activity update — {asyncio.run(check_updates(url))} "
                                 f"(equal: every press was applied and logged once).")
                print(table(rows), flush=True)

    load_after = os.getloadavg()
    yard_after = yardstick()
    header = (f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {psutil.cpu_count()} cores ({cpu_model()}, "
              f"{platform.machine()}), Python {platform.python_version()}, {args.seconds:.0f} s per cell after a "
              f"warm-up of at least 1 s that lasts until every user has had an answer (see the notes); "
              f"load generator on the same machine. Load average (1/5/15 min) before: "
              f"{' / '.join(f'{x:.1f}' for x in load_before)}, after: {' / '.join(f'{x:.1f}' for x in load_after)}. "
              f"Yardstick (`bench/machine.py`: a fixed piece of pure Python, ms CPU, lower is faster) before: "
              f"{yard_before:.1f}, after: {yard_after:.1f}.\n\n")
    report = header + table(rows) + "\n"
    if args.scale:
        report += "\nScale (the same turns on a store the size of the largest kommun; target: slowdown ≤ 1.5×):\n\n"
        report += ratio_table(rows, " (scale)", "big store") + "\n"
    if args.auth:
        report += "\nProduction auth mode (target: slowdown ≤ 1.5×):\n\n" + ratio_table(rows, " (auth)", "auth on") + "\n"
    if notes:
        report += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    (ROOT / "bench" / "results" / "latest.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
