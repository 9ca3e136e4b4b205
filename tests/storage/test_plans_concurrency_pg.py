"""50 conflicting updates of one activity on 50 separate PostgreSQL connections, started together.

Every update is either applied or refused (never both, never lost); the log holds exactly the applied
ones with consecutive versions; the activity ends in the state of the last applied update.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import ActivityUpdate, Person

pytestmark = pytest.mark.postgres

N = 50
AT = datetime(2018, 5, 15, 7, 0, tzinfo=timezone.utc)


@dataclass
class Attempt:
    n: int
    expected_version: int
    progress: int
    applied: bool | None = None
    produced_version: int | None = None


async def _search_path(store: Store) -> str:
    async with store.engine.connect() as conn:
        return (await conn.exec_driver_sql("SHOW search_path")).scalar_one()


async def _run(store: Store, activity_id: int, people: list[int], attempts: list[Attempt],
               read_fresh: bool) -> None:
    schema = await _search_path(store)
    url = store.engine.url.render_as_string(hide_password=False)
    engines = [Store.from_url(url, search_path=schema, pool_size=1) for _ in attempts]
    try:
        for engine in engines:  # connect all before the start: the updates really run together
            await engine.ping()
        start = asyncio.Event()
        ready = 0
        all_ready = asyncio.Event()

        async def one(engine: Store, attempt: Attempt) -> None:
            nonlocal ready
            async with engine.session() as s:
                ready += 1
                if ready == len(attempts):
                    all_ready.set()
                await start.wait()
                if read_fresh:  # a card opened a moment later: it shows whatever version is there now
                    view = await plans.get_activity(s, activity_id)
                    assert view is not None
                    attempt.expected_version = view.version
                outcome = await plans.update_activity(
                    s, activity_id, attempt.expected_version, {"progress": attempt.progress},
                    person_id=people[attempt.n % len(people)], via="card",
                    at=AT + timedelta(milliseconds=attempt.n), comment=f"attempt {attempt.n}")
                attempt.applied = outcome.applied
                attempt.produced_version = outcome.activity.version if outcome.applied and outcome.activity else None

        tasks = [asyncio.create_task(one(e, a)) for e, a in zip(engines, attempts)]
        await asyncio.wait_for(all_ready.wait(), 30)
        start.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        for engine in engines:
            await engine.dispose()


async def _check(store: Store, activity_id: int, version_before: int, attempts: list[Attempt]) -> list[Attempt]:
    assert all(a.applied is not None for a in attempts), "an update neither applied nor refused"
    applied = [a for a in attempts if a.applied]
    async with store.session() as s:
        logs = (await s.execute(select(ActivityUpdate).where(ActivityUpdate.activity_id == activity_id,
                                                             ActivityUpdate.version > version_before)
                                .order_by(ActivityUpdate.version))).scalars().all()
        final = await plans.get_activity(s, activity_id)
    assert final is not None
    # The log holds exactly the applied ones, one row each, with consecutive versions.
    assert sorted(log.comment for log in logs) == sorted(f"attempt {a.n}" for a in applied)
    assert [log.version for log in logs] == list(range(version_before + 1, version_before + 1 + len(applied)))
    assert sorted(a.produced_version for a in applied) == [log.version for log in logs]
    # Each applied change saw the state the previous one left: old → new chains without a gap.
    for earlier, later in zip(logs, logs[1:]):
        assert later.old["progress"] == earlier.new["progress"]
    # The final state is the last applied one.
    last = max(applied, key=lambda a: a.produced_version or 0)
    assert final.version == version_before + len(applied)
    assert final.progress == last.progress
    assert logs[-1].comment == f"attempt {last.n}"
    return applied


async def test_fifty_updates_of_the_same_version_exactly_one_wins(pg_store: Store) -> None:
    await seed_demo(pg_store, date(2018, 5, 15))
    async with pg_store.session() as s:
        target = next(v for v in await plans.list_activities(s, year=2018) if v.title == "Lärplattor på varje avdelning")
        people = list((await s.execute(select(Person.id))).scalars())
    attempts = [Attempt(n, target.version, 41 + n) for n in range(N)]  # every card shows the same version
    await _run(pg_store, target.id, people, attempts, read_fresh=False)
    applied = await _check(pg_store, target.id, target.version, attempts)
    assert len(applied) == 1


async def test_fifty_updates_read_at_different_moments_none_lost(pg_store: Store) -> None:
    await seed_demo(pg_store, date(2018, 5, 15))
    async with pg_store.session() as s:
        target = next(v for v in await plans.list_activities(s, year=2018) if v.title == "Lärplattor på varje avdelning")
        people = list((await s.execute(select(Person.id))).scalars())
    attempts = [Attempt(n, 0, 41 + n) for n in range(N)]
    # Mix stale and fresh reads: half the cards were opened on the starting version, half read it now.
    await _run(pg_store, target.id, people, attempts[: N // 2], read_fresh=True)
    applied_first = await _check(pg_store, target.id, target.version, attempts[: N // 2])
    assert len(applied_first) >= 1
    async with pg_store.session() as s:
        middle = await plans.get_activity(s, target.id)
    assert middle is not None
    second = attempts[N // 2:]
    for i, attempt in enumerate(second):
        attempt.expected_version = middle.version if i % 2 == 0 else target.version  # half are stale cards
    await _run(pg_store, target.id, people, second, read_fresh=False)
    applied_second = await _check(pg_store, target.id, middle.version, second)
    assert len(applied_second) == 1
    assert all(second.index(a) % 2 == 0 for a in applied_second)  # a stale card never wins
