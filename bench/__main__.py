"""`make bench`: Tavla against the SDK's stock echo bot, in one run on one machine.

Turns measured: indicator status, budget remainder (and, when registered, activity update). Users: 1, 20,
100 closed-loop. Reports turns/s, p50/p95/p99 end-to-end latency, CPU ms per turn and peak RSS, with ratios
to the echo reference of the same run. Results: bench/results/latest.md (copy the table to docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psutil

from bench.loadgen import Result, run_load
from bench.servers import ROOT, Server, started
from bench.turns import TURNS, echo_activity

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    target: str
    turn: str
    users: int
    result: Result
    cpu_ms: float
    rss_mb: float


async def prepare_sqlite(path: Path) -> str:
    from settings import Settings
    from app import prepare_store
    from storage.demo import seed_demo
    from datetime import date

    url = f"sqlite+aiosqlite:///{path}"
    store = await prepare_store(Settings(database_url=url))
    await seed_demo(store, date(2018, 5, 15))
    await store.dispose()
    return url


async def prepare_postgres(dbname: str) -> str:
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
    await store.dispose()
    return url


def measure(server: Server, make, users: int, seconds: float, invoke: bool) -> tuple[Result, float]:
    cpu_before = server.cpu_seconds()
    result = asyncio.run(run_load(server.url, make, users=users, seconds=seconds, expect_invoke=invoke))
    cpu = server.cpu_seconds() - cpu_before
    # CPU during warm-up is included in the difference: scale to the measured share of the run
    per_turn = cpu / max(1, result.turns) * 1000 * (result.seconds / (result.seconds + 1.0))
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--users", default="1,20,100")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--targets", default="echo,sqlite,postgres")
    parser.add_argument("--turns", default=",".join(TURNS))
    args = parser.parse_args()
    users = [int(u) for u in args.users.split(",")]
    targets = args.targets.split(",")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="tavla-bench-"))

    if "echo" in targets:
        with started("echo", ["-m", "bench.echo_bot"], {}, "/api/messages") as server:
            for n in users:
                result, cpu = measure(server, echo_activity, n, args.seconds, False)
                rows.append(Row("echo (stock SDK)", "echo", n, result, cpu, server.peak_rss_mb()))
                rows[-1].target = "echo"
    for target in ("sqlite", "postgres"):
        if target not in targets:
            continue
        url = asyncio.run(prepare_sqlite(tmp / "bench.sqlite3") if target == "sqlite"
                          else prepare_postgres("tavla_bench"))
        env = {"DATABASE_URL": url, "TAVLA_AS_OF": "2018-05-15", "TAVLA_SCHEDULER": "false",
               "TAVLA_LOG_LEVEL": "WARNING"}
        with started(f"tavla-{target}", ["-m", "app"], env, "/healthz") as server:
            for turn in args.turns.split(","):
                make, invoke = TURNS[turn]
                for n in users:
                    result, cpu = measure(server, make, n, args.seconds, invoke)
                    rows.append(Row(f"tavla {target}", turn, n, result, cpu, server.peak_rss_mb()))
            print(table(rows), flush=True)

    cpu = platform.processor() or platform.machine()
    header = (f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {psutil.cpu_count()} cores ({cpu}), "
              f"Python {platform.python_version()}, {args.seconds:.0f} s per cell after 1 s warm-up; "
              f"load generator on the same machine.\n\n")
    report = header + table(rows) + "\n"
    (ROOT / "bench" / "results" / "latest.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
