"""Personal reminders the working day before a unit's tavelmöte: one 1:1 message per activity owner with
stale overdue or due-this-week activities, only where a personal chat is stored, opt-out respected, once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.adapter import build_adapter
from bot.digest_sender import ProactiveSender, ReminderRunner
from bot.scheduler import Scheduler
from bot.digest_sender import DigestRunner
from followup.clock import STOCKHOLM
from storage import digest as repo
from storage.db import Store
from storage.demo import seed_demo
from storage.models import OrgUnit, Person, ReminderRun
from tests.bot.digest_helpers import FixedClock, local_settings, personal_conversation, subscribed_channels
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector
from tests.support.harness import ANNA, card_text

WEDNESDAY_0905 = datetime(2018, 5, 16, 9, 5, tzinfo=STOCKHOLM)  # the day before Thursday 17 May


async def _humlan(store: Store) -> int:
    async with store.session() as s:
        return (await s.execute(select(OrgUnit.id).where(OrgUnit.name == "Förskolan Humlan"))).scalar_one()


async def test_one_reminder_per_owner_with_stale_activities_and_update_inputs(store: Store) -> None:
    await seed_demo(store, date(2018, 5, 15))
    humlan = await _humlan(store)
    async with store.session() as s:
        await repo.set_meeting_weekday(s, humlan, 3)  # torsdag
    async with FakeConnector() as connector:
        anna_chat = await personal_conversation(store, ANNA.aad, connector.url)
        adapter = build_adapter(local_settings())
        try:
            runner = ReminderRunner(store, ProactiveSender(adapter, ""), FixedClock(WEDNESDAY_0905), stale_days=7)
            early = await runner.run_due(WEDNESDAY_0905.replace(hour=8))
            report = await runner.run_due()
            again = await runner.run_due(WEDNESDAY_0905.replace(hour=15))
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert early.sent == []  # before the reminder time
    async with store.session() as s:
        anna = (await s.execute(select(Person.id).where(Person.aad_object_id == ANNA.aad))).scalar_one()
    assert (anna, humlan) in report.sent
    assert report.no_conversation >= 1  # Bo Berg owns stale work too but has no personal chat with Tavla
    to_anna = connector.to(anna_chat)
    assert len(to_anna) == 1 and len(connector.received) == len(report.sent) == 1
    card = to_anna[0].cards[0]
    assert_valid_card(card)
    text = card_text(card)
    assert "Inför tavelmötet torsdag 17 maj 2018 – Förskolan Humlan" in text
    assert "Digital dokumentation av barnens lärande" in text  # due 10/5, last update 3/5
    assert "Introduktionsfilm om Göingemodellen" not in text  # due in June
    assert "Exempeldata" in text
    inputs = {e["id"] for e in _walk(card) if isinstance(e, dict) and e.get("type", "").startswith("Input.")}
    saves = [e for e in _walk(card) if isinstance(e, dict) and e.get("verb") == "activity.update"]
    assert saves and all({f"status_{a['data']['id']}", f"progress_{a['data']['id']}"} <= inputs for a in saves)
    assert again.sent == [] and again.already >= 1  # once per person, enhet and meeting
    async with store.session() as s:
        runs = (await s.execute(select(ReminderRun))).scalars().all()
    assert [(r.person_id, r.meeting_date, r.state) for r in runs] == [(anna, date(2018, 5, 17), "sent")]


async def test_opt_out_and_no_meeting_day_mean_no_reminder(store: Store) -> None:
    await seed_demo(store, date(2018, 5, 15))
    humlan = await _humlan(store)
    async with FakeConnector() as connector:
        await personal_conversation(store, ANNA.aad, connector.url)
        adapter = build_adapter(local_settings())
        try:
            runner = ReminderRunner(store, ProactiveSender(adapter, ""), FixedClock(WEDNESDAY_0905))
            no_day = await runner.run_due()  # Humlan has no tavelmöte day and no digest: nothing to remind of
            async with store.session() as s:
                await repo.set_meeting_weekday(s, humlan, 3)
                anna = (await s.execute(select(Person.id).where(Person.aad_object_id == ANNA.aad))).scalar_one()
                await repo.set_reminders_opt_out(s, anna, True)
            opted_out = await runner.run_due()
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert no_day.sent == [] and opted_out.sent == []
    assert connector.received == []


async def test_meeting_day_defaults_to_the_digest_weekday(sqlite_store: Store) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    humlan = await _humlan(sqlite_store)
    async with FakeConnector() as connector:
        [sub] = await subscribed_channels(sqlite_store, 1, connector.url, scopes=[humlan])
        async with sqlite_store.session() as s:
            await repo.set_schedule(s, sub, weekday=3)  # the digest on Thursdays → tavelmöte on Thursdays
        await personal_conversation(sqlite_store, ANNA.aad, connector.url)
        adapter = build_adapter(local_settings())
        try:
            report = await ReminderRunner(sqlite_store, ProactiveSender(adapter, ""),
                                          FixedClock(WEDNESDAY_0905)).run_due()
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert len(report.sent) == 1


async def test_scheduler_ticks_send_each_digest_once_and_stop(sqlite_store: Store) -> None:
    monday = datetime(2018, 5, 14, 7, 35, tzinfo=STOCKHOLM)
    async with FakeConnector() as connector:
        subs = await subscribed_channels(sqlite_store, 5, connector.url)
        adapter = build_adapter(local_settings())
        clock = FixedClock(monday)
        sender = ProactiveSender(adapter, "")
        one = Scheduler(DigestRunner(sqlite_store, sender, clock), ReminderRunner(sqlite_store, sender, clock),
                        tick=0.05, jitter=0.01)
        other = Scheduler(DigestRunner(sqlite_store, sender, clock), None, tick=0.05, jitter=0.01)  # a "replica"
        try:
            one.start()
            other.start()
            await connector.wait_for(5)
            while one.ticks < 3 or other.ticks < 3:
                await __import__("asyncio").sleep(0.02)
        finally:
            await one.stop()
            await other.stop()
            await adapter.close()  # type: ignore[attr-defined]
    assert len(connector.received) == 5 and len({r.conversation_id for r in connector.received}) == 5
    async with sqlite_store.session() as s:
        runs = await repo.runs_for_week(s, 2018, 20)
    assert sorted(runs) == sorted(subs) and {r.state for r in runs.values()} == {"sent"}


def _walk(node: object) -> list[object]:
    out: list[object] = [node]
    if isinstance(node, dict):
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk(value)
    return out


async def test_reminder_403_is_final_and_503_is_retried_by_a_later_tick(sqlite_store: Store) -> None:
    from datetime import timedelta

    await seed_demo(sqlite_store, date(2018, 5, 15))
    humlan = await _humlan(sqlite_store)
    async with sqlite_store.session() as s:
        await repo.set_meeting_weekday(s, humlan, 3)
    async with FakeConnector() as connector:
        await personal_conversation(sqlite_store, ANNA.aad, connector.url)
        adapter = build_adapter(local_settings())
        try:
            def at(minutes: int) -> ReminderRunner:
                return ReminderRunner(sqlite_store, ProactiveSender(adapter, ""),
                                      FixedClock(WEDNESDAY_0905 + timedelta(minutes=minutes)))

            connector.fail_next(503, 10)  # more than the outbound path retries in one send
            first = await at(0).run_due()
            connector.faults.clear()
            too_soon = await at(1).run_due()
            later = await at(5).run_due()
            async with sqlite_store.session() as s:
                await s.execute(ReminderRun.__table__.delete())
            connector.fail_next(403, code="ConversationBlockedByUser")
            blocked = await at(10).run_due()
            after_block = await at(20).run_due()
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert first.failed and not first.sent
    assert too_soon.sent == [] and too_soon.already == 1
    assert len(later.sent) == 1
    assert blocked.failed and "403 ConversationBlockedByUser" in blocked.failed[0][2]
    assert after_block.sent == [] and after_block.already == 1
    assert len(connector.received) == 1
