"""Where a turn's CPU goes: Tavla in this process under cProfile, driven by the benchmark's own turns.

``python -m bench.profile indicator_status [--turns 300] [--top 30]`` prints the functions with the most
cumulative and own time over ``--turns`` sequential turns of one user (the app, its store on SQLite with
the demo data and the bench users, and the load generator's connector all in one event loop; the
connector's and the client's share is small and listed too).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from bench.loadgen import Connector
from bench.turns import TURNS, prepare_people


async def run(turn: str, turns: int, profile: cProfile.Profile) -> float:
    from app import create_app, prepare_store
    from settings import Settings
    from storage.demo import seed_demo
    from datetime import date

    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='tavla-profile-')) / 'p.sqlite3'}"
    settings = Settings(database_url=url, as_of="2018-05-15", scheduler=False, log_level="WARNING",
                        outbound_rate_limit=False)
    store = await prepare_store(settings)
    await seed_demo(store, date(2018, 5, 15))
    await prepare_people(store, 1)
    server = TestServer(create_app(settings, store=store), host="127.0.0.1")
    await server.start_server()
    connector = Connector()
    await connector.start()
    make, invoke = TURNS[turn]
    bot_url = str(server.make_url("/api/messages"))
    try:
        async with aiohttp.ClientSession() as http:

            async def one() -> None:
                activity = make(0, connector.url)
                future = asyncio.get_running_loop().create_future()
                if not invoke:
                    connector.waiting[activity["conversation"]["id"]] = future
                async with http.post(bot_url, data=json.dumps(activity),
                                     headers={"Content-Type": "application/json"}) as resp:
                    await resp.read()
                if not invoke:
                    await asyncio.wait_for(future, 30)

            for _ in range(20):  # warm-up: caches, prepared statements, first connections
                await one()
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("turn", choices=sorted(TURNS))
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    profile = cProfile.Profile()
    ms = asyncio.run(run(args.turn, args.turns, profile))
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(f"{args.turn}: {ms:.1f} ms wall per turn under the profiler (one user, sequential)")
    print(out.getvalue())


if __name__ == "__main__":
    main()
