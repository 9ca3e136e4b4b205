"""Digest runs are claimed in the database: one per subscription and ISO week, on SQLite and PostgreSQL,
also when two replicas claim at the same moment; every transition is a compare-and-set on the owner."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from storage import digest as repo
from storage.db import Store
from storage.models import Conversation, DigestRun, OrgUnit, ReminderRun

NOW = datetime(2018, 5, 14, 5, 30, tzinfo=timezone.utc)


async def _subscriptions(store: Store, n: int) -> list[int]:
    async with store.session() as s:
        root = (await s.execute(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).scalar_one()
        ids = []
        for i in range(n):
            conv = Conversation(conversation_id=f"19:c{i}@thread.tacv2", service_url="http://x/", reference={},
                                conversation_type="channel")
            s.add(conv)
            await s.flush()
            sub, created = await repo.subscribe(s, conversation_pk=conv.id, scope_org_unit_id=root)
            assert created
            ids.append(sub.id)
    return ids


async def test_one_claim_per_subscription_and_week(store: Store) -> None:
    [sub] = await _subscriptions(store, 1)
    async with store.session() as s:
        first = await repo.claim_run(s, sub, 2018, 20, "a", NOW)
        second = await repo.claim_run(s, sub, 2018, 20, "b", NOW)
        other_week = await repo.claim_run(s, sub, 2018, 21, "b", NOW)
    assert first is not None and first.claimed_by == "a"
    assert second is None
    assert other_week is not None
    async with store.session() as s:
        assert (await repo.get_run(s, sub, 2018, 20)).claimed_by == "a"  # type: ignore[union-attr]
        count = (await s.execute(select(func.count()).select_from(DigestRun))).scalar_one()
    assert count == 2


async def test_claim_in_separate_transactions_fails_after_commit(store: Store) -> None:
    [sub] = await _subscriptions(store, 1)
    async with store.session() as s:
        assert await repo.claim_run(s, sub, 2019, 1, "a", NOW) is not None
    async with store.session() as s:
        assert await repo.claim_run(s, sub, 2019, 1, "b", NOW) is None
        # The failed claim leaves the transaction usable (a savepoint was rolled back, not the session).
        assert await repo.get_run(s, sub, 2019, 1) is not None


async def test_attempts_and_outcomes_are_compare_and_set(store: Store) -> None:
    [sub] = await _subscriptions(store, 1)
    async with store.session() as s:
        run = await repo.claim_run(s, sub, 2018, 20, "a", NOW, sending=True)
    assert run is not None and run.attempts == 1
    async with store.session() as s:
        assert await repo.finish_run(s, run, repo.FAILED, NOW, error="retry: 503") is True
    failed = repo.Run(run.id, sub, 2018, 20, repo.FAILED, "a", NOW, 1)
    # Another process takes the failed run over; the first owner can no longer begin an attempt.
    async with store.session() as s:
        theirs = await repo.take_over(s, failed, "b", NOW + timedelta(minutes=3))
    assert theirs is not None and theirs.claimed_by == "b"
    async with store.session() as s:
        assert await repo.begin_attempt(s, failed, NOW) is None  # "a" lost it
        # A second take-over from the same stale view fails too.
        assert await repo.take_over(s, failed, "c", NOW) is None
        attempt = await repo.begin_attempt(s, theirs, NOW)
    assert attempt is not None and attempt.attempts == 2
    async with store.session() as s:
        assert await repo.finish_run(s, run, repo.SENT, NOW) is False  # stale owner/attempt
        assert await repo.finish_run(s, attempt, repo.SENT, NOW, message_id="m1") is True
        stored = await repo.get_run(s, sub, 2018, 20)
    assert stored is not None and stored.state == "sent" and stored.message_id == "m1" and stored.attempts == 2


async def test_delivery_pause_and_user_pause_and_stop(store: Store) -> None:
    [sub] = await _subscriptions(store, 1)
    async with store.session() as s:
        assert await repo.pause_for_delivery(s, sub, "403 BotNotInConversationRoster")
        assert not await repo.pause_for_delivery(s, sub, "404 again")  # already paused: the first reason stays
        got = await repo.get_subscription(s, sub)
        assert got is not None and got.paused and got.paused_reason == "delivery:403 BotNotInConversationRoster"
        assert await repo.active_subscriptions(s) == []
        await repo.set_active(s, sub, True)
        assert [x.id for x in await repo.active_subscriptions(s)] == [sub]
        await repo.set_active(s, sub, False, repo.STOPPED)
        stopped = await repo.get_subscription(s, sub)
        assert stopped is not None and stopped.stopped
        assert await repo.for_conversation(s, stopped.conversation_pk) == []
        # Subscribing again re-activates the same row (its runs stay: no second digest this week).
        again, created = await repo.subscribe(s, conversation_pk=stopped.conversation_pk,
                                              scope_org_unit_id=stopped.scope_org_unit_id, weekday=2,
                                              send_time="08:15")
    assert not created and again.id == sub and again.active and (again.weekday, again.send_time) == (2, "08:15")


async def test_uninstalled_conversation_is_not_due(store: Store) -> None:
    subs = await _subscriptions(store, 2)
    async with store.session() as s:
        from storage.conversations import mark_removed

        await mark_removed(s, "19:c0@thread.tacv2")
        assert [x.id for x in await repo.active_subscriptions(s)] == [subs[1]]


async def test_reminder_claims_are_unique_per_person_unit_and_date(store: Store) -> None:
    async with store.session() as s:
        from storage.models import Person

        person = Person(name="P", aad_object_id="p-1")
        s.add(person)
        unit = (await s.execute(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).scalar_one()
        await s.flush()
        first = await repo.claim_reminder(s, person.id, unit, date(2018, 5, 17), NOW)
        assert first is not None
        assert await repo.claim_reminder(s, person.id, unit, date(2018, 5, 17), NOW) is None
        assert await repo.claim_reminder(s, person.id, unit, date(2018, 5, 24), NOW) is not None
        sending = await repo.move_reminder(s, first, repo.SENDING, NOW + timedelta(seconds=1))
        assert sending is not None
        assert await repo.move_reminder(s, first, repo.SENDING, NOW) is None  # stale token
        assert await repo.move_reminder(s, sending, repo.SENT, NOW + timedelta(seconds=2)) is not None
        count = (await s.execute(select(func.count()).select_from(ReminderRun))).scalar_one()
    assert count == 2


@pytest.mark.postgres
async def test_two_replicas_claiming_concurrently_on_postgres_get_one_run_each_subscription(pg_store: Store) -> None:
    """Two engines (two "replicas", separate connection pools) race for the same 40 subscriptions."""
    from tests.conftest import PG_URL

    subs = await _subscriptions(pg_store, 40)
    schema = (await _search_path(pg_store))
    other = Store.from_url(PG_URL, search_path=schema)
    won: dict[str, list[int]] = {"a": [], "b": []}
    start = asyncio.Event()

    async def replica(store: Store, name: str, order: list[int]) -> None:
        await start.wait()
        for sub in order:
            async with store.session() as s:
                if await repo.claim_run(s, sub, 2018, 20, name, NOW) is not None:
                    won[name].append(sub)

    async def hold_and_claim(store: Store, name: str, sub: int) -> bool:
        # Both transactions INSERT before either commits: the second waits on the unique index.
        async with store.session() as s:
            result = await repo.claim_run(s, sub, 2018, 21, name, NOW)
            await asyncio.sleep(0.2)
        return result is not None

    try:
        tasks = [asyncio.create_task(replica(pg_store, "a", subs)),
                 asyncio.create_task(replica(other, "b", list(reversed(subs))))]
        start.set()
        await asyncio.gather(*tasks)
        both = await asyncio.gather(hold_and_claim(pg_store, "a", subs[0]), hold_and_claim(other, "b", subs[0]))
    finally:
        await other.dispose()
    assert sorted(won["a"] + won["b"]) == sorted(subs)  # every subscription claimed exactly once
    assert not set(won["a"]) & set(won["b"])
    assert sorted(both) == [False, True]
    async with pg_store.session() as s:
        rows = (await s.execute(select(DigestRun.subscription_id, func.count()).group_by(DigestRun.subscription_id,
                                                                                          DigestRun.iso_week))).all()
    assert all(n == 1 for _, n in rows) and len(rows) == 41


async def _search_path(store: Store) -> str:
    from sqlalchemy import text

    async with store.engine.connect() as conn:
        return (await conn.execute(text("SELECT current_schema()"))).scalar_one()
