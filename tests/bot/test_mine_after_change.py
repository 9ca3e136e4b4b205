"""``plan_common.with_change``: "mina aktiviteter" read before a Spara, with the change put in, is what reading
the list again in the same transaction gives — so the card after a Spara needs no second read. And the log row
``plans.update_activity`` writes (on PostgreSQL in the update's own statement): one per applied change, none
for a stale version."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.handlers.plan_common import with_change
from storage import plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import Activity, ActivityUpdate, Person

AT = datetime(2018, 5, 15, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def demo_both(store: Store) -> Store:
    await seed_demo(store, date(2018, 5, 15))
    return store


async def _log(session: object, activity_id: int) -> list[ActivityUpdate]:
    return list((await session.execute(  # type: ignore[attr-defined]
        select(ActivityUpdate).where(ActivityUpdate.activity_id == activity_id).order_by(ActivityUpdate.id)
    )).scalars())


async def _anna_and_her_first(store: Store) -> tuple[int, int]:
    async with store.session() as s:
        anna = (await s.execute(select(Person).where(Person.name == "Anna Andersson"))).scalar_one()
        first = (await s.execute(select(Activity).where(Activity.owner_id == anna.id, Activity.status != "klar")
                                 .order_by(Activity.id))).scalars().first()
        return anna.id, first.id


@pytest.mark.parametrize("case", ["applied", "stale", "comment only", "given to someone else"])
async def test_the_list_with_the_change_is_the_list_read_again(demo_both: Store, case: str) -> None:
    person_id, activity_id = await _anna_and_her_first(demo_both)
    async with demo_both.session() as session:
        before = await plans.list_activities(session, year=2018, owner_id=person_id)
        current = next(v for v in before if v.id == activity_id)
        changes = {"applied": {"progress": 55}, "stale": {"progress": 65}, "comment only": {},
                   "given to someone else": {"owner_id": person_id + 1}}[case]
        version = current.version - 1 if case == "stale" else current.version
        logged = await _log(session, activity_id)
        outcome = await plans.update_activity(session, activity_id, version, changes, person_id=person_id,
                                              via="card", at=AT, comment="kommentar", current=current,
                                              editor_name="Anna Andersson")
        assert outcome.applied == (case != "stale")
        after = outcome.activity
        # one log row for an applied change, with what changed and the version it made; none for a stale one
        log = await _log(session, activity_id)
        if case == "stale":
            assert log == logged
        else:
            assert log[:-1] == logged and outcome.update is not None
            row = log[-1]
            assert (row.id, row.version, row.person_id, row.via, row.comment, row.at) == (
                outcome.update.id, current.version + 1, person_id, "card", "kommentar", AT)
            assert row.new == {k: v for k, v in changes.items()}
            assert row.old == {k: getattr(current, k) for k in changes}
        again = await plans.list_activities(session, year=2018, owner_id=person_id)
    made = with_change(before, activity_id, after, year=2018, person_id=person_id)
    assert sorted(made, key=lambda v: v.id) == sorted(again, key=lambda v: v.id)
    assert (activity_id in {v.id for v in made}) == (case in ("applied", "stale", "comment only"))


async def test_an_activity_gone_is_left_out(demo_both: Store) -> None:
    person_id, activity_id = await _anna_and_her_first(demo_both)
    async with demo_both.session() as session:
        before = await plans.list_activities(session, year=2018, owner_id=person_id)
    made = with_change(before, activity_id, None, year=2018, person_id=person_id)
    assert [v.id for v in made] == [v.id for v in before if v.id != activity_id]
