"""Kill the sending process at random points of a 200-subscription run (also during a POST), start it
again: no subscription gets two digests for the week; every one gets one, except those recorded as
uncertain — and those are listed."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select, text

from storage import digest as repo
from storage.db import Store
from storage.models import DigestRun
from tests.bot.digest_helpers import channel_id, subscribed_channels
from tests.support.connector import FakeConnector

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTIONS = 200


async def _worker(url: str, schema: str | None) -> asyncio.subprocess.Process:
    args = [sys.executable, "-m", "tests.bot.digest_worker", url] + ([schema] if schema else [])
    return await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL,
                                                env={**os.environ, "PYTHONPATH": str(ROOT)})


async def _target(store: Store) -> tuple[str, str | None]:
    url = store.engine.url.render_as_string(hide_password=False)
    if store.dialect == "sqlite":
        return url, None
    async with store.engine.connect() as conn:
        return url, (await conn.execute(text("SELECT current_schema()"))).scalar_one()


async def test_kill_and_restart_never_doubles_and_lists_the_uncertain(store: Store) -> None:
    rng = random.Random(20180514)
    async with FakeConnector(latency=0.05) as connector:
        subs = await subscribed_channels(store, SUBSCRIPTIONS, connector.url)
        by_conversation = {channel_id(i): sub for i, sub in enumerate(subs)}
        url, schema = await _target(store)
        kills = 0
        for _ in range(4):  # four runs killed at random moments (SIGKILL: no cleanup, no finally)
            proc = await _worker(url, schema)
            assert proc.stdout is not None
            assert (await asyncio.wait_for(proc.stdout.readline(), 60)).startswith(b"started")
            # Kill once it is sending: after a random number of POSTs, at a random moment (POSTs take 50 ms
            # to answer, so a kill often lands after the connector recorded one and before its answer).
            target = len(connector.received) + rng.randint(1, 45)
            while len(connector.received) < target and proc.returncode is None:
                await asyncio.sleep(0.002)
            await asyncio.sleep(rng.uniform(0, 0.05))
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            await proc.wait()
        # Start again and let it finish.
        proc = await _worker(url, schema)
        assert proc.stdout is not None
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, out
        final = json.loads(out.decode().strip().splitlines()[-1])
        delivered = Counter(r.conversation_id for r in connector.received)
    assert kills >= 2  # the runs really were interrupted

    async with store.session() as s:
        runs = {r.subscription_id: r for r in (await s.execute(select(DigestRun))).scalars()}
        listed = {sub.id for _, sub in await repo.uncertain_runs(s)}
    # At most one per subscription and week, whatever happened.
    assert all(n == 1 for n in delivered.values()), [c for c, n in delivered.items() if n > 1]
    # Every subscription has a run, and it ended: sent (delivered exactly once) or uncertain (listed).
    assert set(runs) == set(subs)
    states = Counter(r.state for r in runs.values())
    assert set(states) <= {"sent", "uncertain"}, states
    for conversation, sub in by_conversation.items():
        if runs[sub].state == "sent":
            assert delivered[conversation] == 1, conversation
    uncertain = {sub for sub, run in runs.items() if run.state == "uncertain"}
    assert listed == uncertain
    # The last run reports the ones it found uncertain (a crash during their POST) among its list.
    assert set(final["uncertain"]) <= uncertain
    # Uncertain means "perhaps": some of them did arrive, none twice; all others arrived exactly once.
    assert sum(delivered.values()) == states["sent"] + sum(1 for c, s in by_conversation.items()
                                                            if s in uncertain and delivered[c])
    assert states["sent"] >= SUBSCRIPTIONS - 4 * 16  # at most one pass's in-flight sends per kill
    print(f"kills {kills}, states {dict(states)}, delivered {sum(delivered.values())}")
