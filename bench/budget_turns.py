"""`python -m bench.budget_turns`: a budget question's turn time at 20 concurrent users on a store holding ten
years of monthly utfall (2009–2018), with the shared load generator (`bench.loadgen`, `bench.servers`).

The store: the seeded Årsplan 2018 plus the demo data, and the 2018 internbudget copied to 2009–2017 (90 lines
a year) with twelve months of invented utfall per line and year (is_demo), `budget_status` recomputed for
every year — so every year's question reads the same kind of rows as 2018's. Then Tavla runs as its own
process (`python -m app`, TAVLA_AS_OF=2018-05-15) and 20 closed-loop users ask, one turn type at a time:
"budget kvar äldreomsorg" (a line), "hur mycket har Hälsa och omsorg kvar?" (an area), "budget totalt"
(the förvaltning), "vilka verksamheter ligger över budget?" and "budget äldreomsorg 2012" (an older year) —
after "hej" (the help card) as the same run's reference for what any turn costs on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from bench.loadgen import run_load
from bench.servers import ROOT, started
from bench.turns import message

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
FIRST_YEAR, YEAR = 2009, 2018
QUESTIONS = {
    "reference (help card)": "hej",
    "line": "budget kvar äldreomsorg",
    "area": "hur mycket har Hälsa och omsorg kvar?",
    "total": "budget totalt",
    "over": "vilka verksamheter ligger över budget?",
    "older year": "budget äldreomsorg 2012",
}


async def fill_years(url: str) -> int:
    """Copy 2018's lines to 2009–2017 with twelve months of utfall each; recompute every year. Returns utfall rows."""
    from sqlalchemy import func, insert, select

    from storage.budget import recompute_status
    from storage.db import Store
    from storage.models import BudgetLine, Utfall

    store = Store.from_url(url)
    rng = random.Random(2009)
    try:
        async with store.session() as session:
            lines = (await session.execute(select(BudgetLine).where(BudgetLine.year == YEAR))).scalars().all()
            for year in range(FIRST_YEAR, YEAR):
                scale = Decimal(1) - Decimal(YEAR - year) * Decimal("0.025")
                await session.execute(insert(BudgetLine), [
                    {"year": year, "org_unit_id": line.org_unit_id, "verksamhet": line.verksamhet,
                     "verksamhet_code": line.verksamhet_code, "net_cost": (line.net_cost * scale).quantize(Decimal("0.1")),
                     "sort_order": line.sort_order, "is_demo": True, "source": "bench (exempeldata)"} for line in lines])
                ids = (await session.execute(select(BudgetLine.id, BudgetLine.net_cost)
                                             .where(BudgetLine.year == year))).all()
                await session.execute(insert(Utfall), [
                    {"budget_line_id": lid, "year": year, "month": month, "is_demo": True,
                     "amount": (cost / 12 * Decimal(f"{1 + rng.gauss(0, 0.05):.4f}")).quantize(Decimal("0.001"))}
                    for lid, cost in ids for month in range(1, 13)])
        for year in range(FIRST_YEAR, YEAR):
            async with store.session() as session:
                await recompute_status(session, year)
        async with store.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Utfall)))
    finally:
        await store.dispose()


async def prepare(kind: str, tmp: Path) -> str:
    from app import prepare_store
    from settings import Settings
    from storage.demo import seed_demo

    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'budget-turns.sqlite3'}"
    else:
        import asyncpg

        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute('DROP DATABASE IF EXISTS "tavla_bench_budget_turns" WITH (FORCE)')
        await admin.execute('CREATE DATABASE "tavla_bench_budget_turns"')
        await admin.close()
        url = "postgresql+asyncpg://postgres@127.0.0.1:5432/tavla_bench_budget_turns"
    store = await prepare_store(Settings(database_url=url))
    await seed_demo(store, date(2018, 5, 15))
    await store.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.budget_turns")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--targets", default="sqlite,postgres")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tavla-bench-budget-turns-"))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    rows = []
    for target in args.targets.split(","):
        url = asyncio.run(prepare(target, tmp))
        utfall_rows = asyncio.run(fill_years(url))
        env = {"DATABASE_URL": url, "TAVLA_AS_OF": "2018-05-15", "TAVLA_SCHEDULER": "false", "TAVLA_LOG_LEVEL": "WARNING",
               "TAVLA_OUTBOUND_RATE_LIMIT": "false"}
        with started(f"tavla-budget-{target}", ["-m", "app"], env, "/healthz") as server:
            for name, text in QUESTIONS.items():
                def make(index: int, service_url: str, text: str = text) -> dict:  # type: ignore[type-arg]
                    return message(index, service_url, text)

                window: dict[str, float] = {}  # server CPU seconds as the measured window opens and closes
                result = asyncio.run(run_load(server.url, make, users=args.users, seconds=args.seconds,
                                              on_start=lambda: window.__setitem__("start", server.cpu_seconds()),
                                              on_stop=lambda: window.__setitem__("stop", server.cpu_seconds())))
                cpu_ms = (window["stop"] - window["start"]) / max(1, result.turns) * 1000
                rows.append((target, name, text, result, cpu_ms, server.peak_rss_mb(), utfall_rows))
                print(f"{target} {name}: {result.turns_per_s:.0f} turns/s p50 {result.p50:.1f} ms "
                      f"p95 {result.pct(95):.1f} ms errors {result.errors}", flush=True)
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}; {args.users} closed-loop users, {args.seconds:.0f} s per row after 1 s "
        f"warm-up; load generator on the same machine; load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| store | question | utfall rows in store | turns/s | p50 ms | p95 ms | p99 ms | CPU ms/turn | peak RSS MB | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target, name, text, result, cpu_ms, rss, utfall_rows in rows:
        lines.append(f"| {target} | {name}: “{text}” | {utfall_rows:,} | {result.turns_per_s:,.0f} | {result.p50:.1f} | "
                     f"{result.pct(95):.1f} | {result.pct(99):.1f} | {cpu_ms:.2f} | {rss:.0f} | {result.errors} |")
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results" / "budget_turns.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
