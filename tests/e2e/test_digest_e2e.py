"""Over HTTP: install in a team, subscribe in the channel, run the digest → the channel receives it, once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.digest_sender import DigestRunner, ProactiveSender
from followup.clock import STOCKHOLM, Clock
from storage.db import Store
from storage.demo import seed_demo
from storage.models import DigestRun, DigestSubscription, OrgUnit, Person
from tests.support.cards import assert_valid_card
from tests.support.harness import ANNA, CHANNEL_ID, STRANGER, User, card_text, running


def adapter_of(h) -> object:  # noqa: ANN001 - the harness
    from app import ADAPTER

    return h.app[ADAPTER]


async def test_subscribe_in_channel_and_receive_the_digest(sqlite_store: Store) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        status, _ = await h.post(h.installed_in_team())
        assert status in (200, 201)
        await h.connector.wait_for(1)
        welcome = card_text(h.connector.received[0].cards[0])
        assert "Prenumerera på veckosammanfattning" in welcome
        got = await h.ask("prenumerera på veckosammanfattning för Förskolan Humlan", channel=True)
        text = card_text(got[0].cards[0])
        assert "Förskolan Humlan" in text and "Måndagar kl. 07:30" in text

        async with sqlite_store.session() as s:
            sub = (await s.execute(select(DigestSubscription))).scalar_one()
        assert sub.weekday == 0 and sub.send_time == "07:30" and sub.active

        h.connector.clear()
        clock = Clock(date(2018, 5, 14))
        runner = DigestRunner(sqlite_store, ProactiveSender(adapter_of(h), h.settings.app_id), clock)
        monday = datetime(2018, 5, 14, 7, 31, tzinfo=STOCKHOLM)
        report = await runner.run_due(monday)
        assert report.sent == [sub.id], report.summary()
        got = await h.connector.wait_for(1)
        assert got[0].conversation_id == CHANNEL_ID  # a new post in the channel, not a reply in the thread
        payload = got[0].cards[0] if got[0].cards else None
        if payload is not None:
            assert_valid_card(payload)
            assert "Veckosammanfattning v. 20 – Förskolan Humlan" in card_text(payload)
        else:
            assert "Förskolan Humlan" in got[0].text

        again = await runner.run_due(datetime(2018, 5, 14, 9, 0, tzinfo=STOCKHOLM))
        assert again.sent == [] and again.already == 1
        assert len(h.connector.received) == 1

        # "veckosammanfattning" shows the subscription; "stoppa" stops it; next week nothing is sent.
        got = await h.ask("veckosammanfattning", channel=True)
        assert "Aktiv" in card_text(got[0].cards[0])
        got = await h.ask("stoppa veckosammanfattning", channel=True)
        assert "stoppad" in card_text(got[0].cards[0])
        h.connector.clear()
        later = await runner.run_due(datetime(2018, 5, 21, 7, 45, tzinfo=STOCKHOLM))
        assert later.due == 0 and h.connector.received == []
    async with sqlite_store.session() as s:
        runs = (await s.execute(select(DigestRun))).scalars().all()
    assert [(r.iso_week, r.state) for r in runs] == [(20, "sent")]


BO = User("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002")


def shown(body: dict) -> str:
    """What the user sees after pressing: a replacing card, or an inline message (card-action errors)."""
    value = body.get("value")
    return card_text(value) if isinstance(value, dict) else str(value)


async def _subscription(store: Store) -> DigestSubscription:
    async with store.session() as s:
        return (await s.execute(select(DigestSubscription))).scalar_one()


async def test_change_pause_resume_by_chat_and_card_with_bad_input_refused(sqlite_store: Store) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        await h.post(h.installed_personal())
        await h.ask("prenumerera på veckosammanfattning")  # Anna's one enhet: Förskolan Humlan
        sub = await _subscription(sqlite_store)
        got = await h.ask("ändra veckosammanfattning till tisdag 08:00")
        assert "Tisdagar kl. 08:00" in card_text(got[0].cards[0])
        body = await h.press("digest_pause", {"subscription_id": sub.id})
        assert "Pausad av Anna Andersson" in shown(body)
        assert not (await _subscription(sqlite_store)).active
        body = await h.press("digest_resume", {"subscription_id": sub.id})
        assert "Aktiv" in shown(body)
        body = await h.press("digest_change", {"subscription_id": sub.id, "weekday": "2", "send_time": "9.15",
                                              "quiet_weeks": "nothing"})
        assert "Onsdagar kl. 09:15" in shown(body)
        stored = await _subscription(sqlite_store)
        assert (stored.weekday, stored.send_time, stored.quiet_weeks, stored.active) == (2, "09:15", "nothing", True)
        # Bad input: a clear message, nothing changed.
        body = await h.press("digest_change", {"subscription_id": sub.id, "weekday": "9", "send_time": "25:99"})
        assert "veckodag" in shown(body).lower()
        body = await h.press("digest_change", {"subscription_id": sub.id, "weekday": "1", "send_time": "25:99"})
        assert "25:99" in shown(body) and "klockslag" in shown(body)
        body = await h.press("digest_pause", {"subscription_id": "x"})
        assert "finns inte längre" in shown(body)
        # Numbers no card of ours sends (the JSON reader takes NaN and Infinity too): the same clear message.
        for forged in (float("inf"), -float("inf"), float("nan"), 1e300, 2.5, True, "99999999999", -1):
            for verb in ("digest_settings", "digest_pause"):
                body = await h.press(verb, {"subscription_id": forged})
                assert "finns inte längre" in shown(body), (verb, forged)
            body = await h.press("digest_subscribe", {"scope": forged})
            assert "känner inte igen den enheten" in shown(body), forged
            body = await h.press("digest_change", {"subscription_id": sub.id, "weekday": forged})
            assert "veckodag" in shown(body).lower(), forged
        assert (await _subscription(sqlite_store)).send_time == "09:15"
        # Another conversation's subscription id is not this conversation's to change.
        got = await h.ask("pausa veckosammanfattning", BO)
        assert "ingen veckosammanfattning här" in card_text(got[0].cards[0]).lower()
        status, body = await h.post(h.action("digest_stop", {"subscription_id": sub.id}, BO))
        assert "finns inte längre" in shown(body)
        assert (await _subscription(sqlite_store)).active


async def test_subscribe_card_when_no_scope_is_known_and_unknown_people_refused(sqlite_store: Store) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        got = await h.ask("veckosammanfattning")
        card = got[0].cards[0]
        assert "Ingen veckosammanfattning här än" in card_text(card)
        assert "förvalt måndag kl. 07:30, före veckans tavelmöten" in card_text(card)  # no tavelmöte day known
        choices = next(e for e in card["body"] if e.get("id") == "scope")["choices"]
        assert choices[0]["title"].startswith("Hela förvaltningen")
        humlan = next(c["value"] for c in choices if c["title"].startswith("Förskolan Humlan"))
        body = await h.press("digest_subscribe", {"scope": humlan, "weekday": "4", "send_time": "12:00"})
        assert "Fredagar kl. 12:00" in shown(body)
        body = await h.press("digest_subscribe", {"scope": "99999", "weekday": "4", "send_time": "12:00"})
        assert "känner inte igen" in shown(body)
        got = await h.ask("prenumerera på veckosammanfattning", STRANGER)
        assert "registrerad" in card_text(got[0].cards[0])


async def test_meeting_day_by_the_chef_only_and_reminder_opt_out(sqlite_store: Store) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        got = await h.ask("tavelmöte på torsdagar för Förskolan Humlan")
        assert "Bara chefen för Förskolan Humlan" in card_text(got[0].cards[0])
        got = await h.ask("tavelmöte på onsdagar")  # Anna, medarbetare: told at once, not asked "Vilken enhet?"
        assert "Bara chefen för Förskolan Humlan" in card_text(got[0].cards[0])
        got = await h.ask("när är nästa tavelmöte?")  # was not understood
        assert "Förskolan Humlan har ingen tavelmötesdag än. Chefen sätter den" in card_text(got[0].cards[0])
        assert "Förra tavelmötet var tisdag 8 maj 2018." in card_text(got[0].cards[0])  # the demo's last one
        got = await h.ask("när är nästa tavelmöte?", BO)  # the chef is told it is his to set
        assert "Du sätter den med ”tavelmöte på torsdagar”" in card_text(got[0].cards[0])
        got = await h.ask("tavelmöte på torsdagar kl 9", BO)
        assert "Förskolan Humlan har tavelmöte på torsdagar" in card_text(got[0].cards[0])
        assert "onsdag" in card_text(got[0].cards[0])  # reminders the day before
        assert "Klockslaget (9) sparas inte" in card_text(got[0].cards[0])  # "kl 9" was dropped without a word
        daily = card_text((await h.ask("tavelmöte varje dag", BO))[0].cards[0])  # was "ingen enhet som heter …"
        assert "Tavla håller reda på en tavelmötesdag i veckan" in daily and "enhet" not in daily
        # the digest offered to its chef is sent the morning of that day (it said "standard måndag")
        offer = await h.ask("veckosammanfattning", BO)
        offered = card_text(offer[0].cards[0])
        assert "förvalt torsdag kl. 07:30, samma morgon som tavelmötet i Förskolan Humlan" in offered, offered
        assert next(e for e in offer[0].cards[0]["body"] if e.get("id") == "weekday")["value"] == "3"
        got = await h.ask("när är nästa tavelmöte?")  # Tuesday 15 May 2018
        assert "Förskolan Humlan har tavelmöte på torsdagar – nästa är torsdag 17 maj 2018." in card_text(got[0].cards[0])
        got = await h.ask("when is the next board meeting for Förskolan Humlan?", BO, locale="en-US")
        assert "holds its board meeting on Thursdays – the next is Thursday 17 May 2018" in card_text(got[0].cards[0])
        got = await h.ask("inga påminnelser")
        assert "inga fler påminnelser" in card_text(got[0].cards[0])
        got = await h.ask("påminnelser igen", locale="en-US")
        assert "reminders again" in card_text(got[0].cards[0])
    async with sqlite_store.session() as s:
        humlan = (await s.execute(select(OrgUnit).where(OrgUnit.name == "Förskolan Humlan"))).scalar_one()
        anna = (await s.execute(select(Person).where(Person.aad_object_id == ANNA.aad))).scalar_one()
    assert humlan.meeting_weekday == 3 and anna.reminders_opt_out is False


async def test_scheduler_starts_with_the_server_when_enabled(sqlite_store: Store) -> None:
    from app import SCHEDULER
    from settings import Settings

    settings = Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=True)
    async with running(sqlite_store, settings) as h:
        scheduler = h.app[SCHEDULER]
        assert scheduler._task is not None and not scheduler._task.done()  # noqa: SLF001
    assert scheduler._task is None  # noqa: SLF001 - stopped on shutdown
    async with running(sqlite_store) as h:
        assert SCHEDULER not in h.app
