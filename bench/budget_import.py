"""`python -m bench.budget_import`: `tavla import utfall` on 1 000 000 raw rows against PostgreSQL `COPY`.

The raw file is what an ekonomisystem exports: Windows-1252, `;`, one row per konto and ansvar, amounts in
kr with a no-break space between thousands and a decimal comma (`-1 234 567,89`), four months of 2018
for all 90 budget lines of the seed. The floor is PostgreSQL `COPY` (asyncpg `copy_to_table`) of the same
1 000 000 rows already cleaned (year, month, area, verksamhet, amount as numeric) into a plain table —
what loading the rows costs when nobody has to read, check or sum them. Both run in the same process, on
the same database, alternately, `--repeat` times; the report gives medians. Target: import ≤ 3 × floor.

The import is measured end to end in-process (file on disk → rows checked → monthly sums written →
budget_status recomputed → commit) and once more as the real command in a fresh process
(`python -m bot.cli_budget import utfall FILE --enhet kr`), which adds interpreter and pandas start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
DBNAME = "tavla_bench_budget"
NBSP = "\u00a0"


def generate(path_raw: Path, path_clean: Path, rows: int, seed: int = 2018) -> None:
    """The raw export (cp1252) and the same rows cleaned (UTF-8, COPY text format)."""
    from storage.seeding import load_seed_files

    data = load_seed_files()
    area_names = {u.code: u.name for u in data.org_units}
    lines = [(area_names[b.area], b.verksamhet, b.net_cost) for b in data.budget_lines]
    rng = np.random.default_rng(seed)
    line_idx = rng.integers(0, len(lines), rows)
    months = rng.integers(1, 5, rows)
    # amounts in öre: around the line's monthly budget spread over ~2 800 rows a month, with noise and refunds
    scale = np.array([max(abs(float(b)), 50.0) for _, _, b in lines]) * 1000 * 100 / 12 / (rows / len(lines) / 4)
    ore = (rng.normal(1.0, 0.6, rows) * scale[line_idx]).astype(np.int64)
    konto = rng.integers(3000, 7999, rows)
    ansvar = rng.integers(10000, 99999, rows)
    raw_rows = ["Period;Verksamhetsområde;Verksamhet;Konto;Ansvar;Belopp (kr)"]
    clean_rows = []
    for i in range(rows):
        area, verksamhet, _ = lines[line_idx[i]]
        value = int(ore[i])
        kr, rest = divmod(abs(value), 100)
        amount = f"{'-' if value < 0 else ''}{kr:,}".replace(",", NBSP) + f",{rest:02d}"
        raw_rows.append(f"2018{months[i]:02d};{area};{verksamhet};{konto[i]};{ansvar[i]};{amount}")
        clean_rows.append(f"2018\t{months[i]}\t{area}\t{verksamhet}\t{'-' if value < 0 else ''}{kr}.{rest:02d}")
    path_raw.write_bytes(("\r\n".join(raw_rows) + "\r\n").encode("cp1252"))
    path_clean.write_bytes(("\n".join(clean_rows) + "\n").encode("utf-8"))


async def prepare(url_admin: str) -> str:
    import asyncpg

    from storage.db import Store
    from storage.migrate import upgrade
    from storage.seeding import seed_arsplan

    admin = await asyncpg.connect(url_admin)
    await admin.execute(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DBNAME}"')
    await admin.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DBNAME}"
    store = Store.from_url(url)
    await upgrade(store)
    await seed_arsplan(store)
    await store.dispose()
    return url


async def floor_once(dsn: str, clean: bytes) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE IF EXISTS floor_utfall_clean")
        await conn.execute("CREATE TABLE floor_utfall_clean (year int, month int, area text, verksamhet text, "
                           "amount numeric(18, 2))")
        start = time.perf_counter()
        async with conn.transaction():
            await conn.copy_to_table("floor_utfall_clean", source=io.BytesIO(clean), format="text")
        elapsed = time.perf_counter() - start
        count = await conn.fetchval("SELECT count(*) FROM floor_utfall_clean")
        assert count > 0
        await conn.execute("DROP TABLE floor_utfall_clean")
        return elapsed
    finally:
        await conn.close()


async def import_once(url: str, path: Path) -> tuple[float, float, float, dict[str, object]]:
    from storage.db import Store
    from storage.import_budget import import_utfall

    store = Store.from_url(url)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    try:
        await store.ping()
        start, cpu_start = time.perf_counter(), time.process_time()
        report = await import_utfall(store, path, progress=progress)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        await store.dispose()
    assert report.written and report.ok, report.text()
    read_s = marks.get("skriver", start + elapsed) - start
    return elapsed, read_s, cpu, report.summary


def cli_once(url: str, path: Path) -> tuple[float, float]:
    """(wall s, CPU s of the child process) for the real command in a fresh interpreter."""
    import resource

    env = {**os.environ, "DATABASE_URL": url, "TAVLA_AS_OF": "2018-05-15"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli_budget", "import", "utfall", str(path), "--enhet", "kr"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"CLI failed ({done.returncode}): {done.stderr[-2000:]} {done.stdout[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.budget_import")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="skip the fresh-process CLI measurement")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tavla-bench-budget-"))
    raw, clean = tmp / "utfall_2018_jan-apr.csv", tmp / "clean.tsv"
    t0 = time.perf_counter()
    generate(raw, clean, args.rows)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s: {raw.stat().st_size / 1e6:.1f} MB raw, "
          f"{clean.stat().st_size / 1e6:.1f} MB cleaned", flush=True)
    url = asyncio.run(prepare(PG_ADMIN))
    dsn = url.replace("+asyncpg", "")
    clean_bytes = clean.read_bytes()

    floors, imports, reads, cpus = [], [], [], []
    summary: dict[str, object] = {}
    for i in range(args.repeat):
        floors.append(asyncio.run(floor_once(dsn, clean_bytes)))
        elapsed, read_s, cpu, summary = asyncio.run(import_once(url, raw))
        imports.append(elapsed)
        reads.append(read_s)
        cpus.append(cpu)
        print(f"run {i + 1}: COPY floor {floors[-1]:.2f} s, import {imports[-1]:.2f} s "
              f"(read+check {read_s:.2f} s, CPU {cpu:.2f} s)", flush=True)
    cli_runs = [] if args.no_cli else [cli_once(url, raw) for _ in range(min(3, args.repeat))]
    clis = [wall for wall, _ in cli_runs]
    cli_cpu = [cpu for _, cpu in cli_runs]
    load = os.getloadavg()[0]

    floor, ours = statistics.median(floors), statistics.median(imports)
    version = asyncio.run(_pg_version(dsn))
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}, {version}; {args.repeat} alternating runs, medians; "
        f"load average {load:.1f} at the end (other work on the machine inflates wall times alike).",
        "",
        f"Input: {args.rows:,} raw rows ({raw.stat().st_size / 1e6:.1f} MB, Windows-1252, `;`, NBSP thousands, "
        f"decimal comma, kr), January–April 2018 for all 90 budget lines → {summary.get('utfall_rows')} monthly sums.",
        "",
        "| what | median s | min s | max s | rows/s | × floor | CPU s (client) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| floor: PostgreSQL `COPY` of the cleaned rows | {floor:.2f} | {min(floors):.2f} | {max(floors):.2f} | "
        f"{args.rows / floor:,.0f} | 1.00 | |",
        f"| `import_utfall` end to end (in-process) | {ours:.2f} | {min(imports):.2f} | {max(imports):.2f} | "
        f"{args.rows / ours:,.0f} | {ours / floor:.2f} | {statistics.median(cpus):.2f} |",
        f"| — of which reading and checking the file | {statistics.median(reads):.2f} | {min(reads):.2f} | "
        f"{max(reads):.2f} | | | |",
    ]
    if clis:
        cli = statistics.median(clis)
        lines.append(f"| `python -m bot.cli_budget import utfall` (fresh process: + start-up, migration check) | "
                     f"{cli:.2f} | {min(clis):.2f} | {max(clis):.2f} | {args.rows / cli:,.0f} | {cli / floor:.2f} | "
                     f"{statistics.median(cli_cpu):.2f} |")
    lines += ["", f"Target ≤ 3 × floor: {'met' if ours / floor <= 3 else 'NOT met'} ({ours / floor:.2f} ×)."]
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "budget_import.md").write_text(report, encoding="utf-8")
    print(report)


async def _pg_version(dsn: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return "PostgreSQL " + (await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
