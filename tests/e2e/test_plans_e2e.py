"""Handlingsplaner end to end over HTTP: free-text reports with undo, the guided report (cancel, restart,
conflict), "mina aktiviteter" with Action.Execute replacing the card, stale versions, forbidden updates,
the board in a linked channel, and tampered card data refused on every card verb."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.db import Store
from storage.demo import seed_demo
from bot.state_storage import SqlStorage
from storage.models import (Activity, ActivityUpdate, ActionPlan, BoardMeeting, BotState, Conversation, Goal, OrgUnit,
                            Person)
from tests.support.cards import assert_valid_card, elements
from tests.support.harness import ANNA, STRANGER, Harness, User, card_text, channel_conversation, running

BO = User("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002")
FATIMA = User("Fatima Fors", "aaaaaaaa-0000-4000-8000-000000000006")
GUSTAV = User("Gustav Gran", "aaaaaaaa-0000-4000-8000-000000000007")
ERIK = User("Erik Ek", "aaaaaaaa-0000-4000-8000-000000000004")
ADMIN = User("Tavla Admin", "aaaaaaaa-0000-4000-8000-0000000000ad")
CARD = "application/vnd.microsoft.card.adaptive"
BAD_DATA = "Knappen skickade uppgifter som inte stämmer"


@pytest.fixture
async def demo(sqlite_store: Store) -> Store:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    return sqlite_store


@pytest.fixture
async def demo_both(store: Store) -> Store:
    await seed_demo(store, date(2018, 5, 15))
    return store


async def activity(store: Store, title: str) -> Activity:
    async with store.session() as s:
        return (await s.execute(select(Activity).where(Activity.title == title))).scalar_one()


async def logs(store: Store, activity_id: int) -> list[ActivityUpdate]:
    async with store.session() as s:
        return list((await s.execute(select(ActivityUpdate).where(ActivityUpdate.activity_id == activity_id)
                                     .order_by(ActivityUpdate.version))).scalars())


async def snapshot(store: Store) -> tuple[Any, ...]:
    """Everything a card action could change."""
    async with store.session() as s:
        acts = sorted((a.id, a.version, a.status, a.progress, a.owner_id, a.title, a.plan_id)
                      for a in (await s.execute(select(Activity))).scalars())
        counts = [(await s.execute(select(func.count(m.id)))).scalar_one()
                  for m in (ActivityUpdate, BoardMeeting, ActionPlan, Goal)]
        links = sorted((c.conversation_id, c.org_unit_id) for c in (await s.execute(
            select(Conversation).where(Conversation.org_unit_id.is_not(None)))).scalars())
    return acts, counts, links


def actions(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    return elements(card, lambda e: e.get("type") == "Action.Execute" and e.get("verb") == verb)


def comments_typed(card: dict[str, Any]) -> dict[str, str]:
    """The comment boxes of a "mina aktiviteter" card that hold text: input id → text."""
    return {e["id"]: e["value"] for e in elements(card, lambda e: e.get("type") == "Input.Text" and bool(e.get("value"))
                                                  and str(e.get("id", "")).startswith("comment_"))}


def only_card(got: list[Any]) -> dict[str, Any]:
    cards = [c for r in got for c in r.cards]
    assert len(cards) == 1, [card_text(c)[:200] for c in cards]
    return cards[0]


def said(body: dict[str, Any]) -> str:
    """What the user sees after a button press: the replacing card's text or the inline message."""
    if body.get("type") == CARD:
        return card_text(body["value"])
    return str(body.get("value"))


# --- Free text ------------------------------------------------------------------------------


async def test_free_text_report_confirms_old_to_new_and_undo_puts_it_back(demo: Store) -> None:
    before = await activity(demo, "Digital introduktion för nyanställda")
    async with running(demo) as h:
        card = only_card(await h.ask("introduktion nyanställda 70 % väntar på IT"))
        text = card_text(card)
        assert "Sparat" in text and "60 % → 70 %" in text and "väntar på IT" in text
        assert "FÖRSENAD 15 dagar" in text  # deadline 30/4, as of 15/5, still Pågår
        after = await activity(demo, "Digital introduktion för nyanställda")
        assert (after.progress, after.status, after.version) == (70, "pagar", before.version + 1)
        last = (await logs(demo, after.id))[-1]
        assert (last.via, last.comment, last.old, last.new) == ("chat", "väntar på IT", {"progress": 60},
                                                                 {"progress": 70})
        undo = actions(card, "activity.undo")
        assert len(undo) == 1
        body = await h.press("activity.undo", undo[0]["data"])
        assert body["type"] == CARD and "Ångrat" in said(body)
        back = await activity(demo, "Digital introduktion för nyanställda")
        assert (back.progress, back.version) == (60, before.version + 2)
        assert (await logs(demo, back.id))[-1].new == {"progress": 60}
        assert (await logs(demo, back.id))[-1].comment.startswith("Ångrar ändringen")  # the log says what happened
        # the undo's note is not a comment, and the comment written with the undone change went with it
        mine = card_text(only_card(await h.ask("mina aktiviteter")))
        assert "väntar på IT" not in mine and "Ångrar ändringen" not in mine
        # on the board, a change undone since the last meeting and its undo changed nothing: neither is listed
        board = card_text(only_card(await h.ask("tavla Förskolan Humlan", BO)))
        assert "60 % → 70 %" not in board and "70 % → 60 %" not in board and "Ångrar ändringen" not in board
        english = card_text(only_card(await h.ask("board Förskolan Humlan", BO, locale="en-US")))
        assert "70 % → 60 %" not in english and "Ångrar" not in english
        from followup.clock import Clock
        from storage.digest_sources import digest_input  # the weekly digest: a change and its undo cancel out
        async with demo.session() as s:
            humlan = (await s.execute(select(OrgUnit.id).where(OrgUnit.name == "Förskolan Humlan"))).scalar_one()
            week = await digest_input(s, humlan, date(2018, 5, 15), Clock(date(2018, 5, 15)).now())
        facts = sorted((u for u in week.updates if u.activity_id == back.id), key=lambda u: u.at)[-2:]
        assert [(u.new, u.comment) for u in facts] == [({"progress": 70}, None), ({"progress": 60}, None)]
        history = card_text(only_card(await h.ask("historik digital introduktion")))
        assert "väntar på IT" in history  # the log keeps what was written
        # The same undo again is refused: its version is no longer current, nothing is overwritten.
        again = await h.press("activity.undo", undo[0]["data"])
        assert "din ändring sparades inte" in said(again)
        assert (await activity(demo, "Digital introduktion för nyanställda")).version == before.version + 2


async def test_typed_angra_undoes_the_callers_latest_change_once(demo_both: Store) -> None:
    """A newcomer typed "ångra" after "Sparat … [Ångra]" and was not understood. It undoes the caller's latest
    change of the last hour, as the button does; a second "ångra" does not undo the undo, and another person's
    "ångra" does not touch it."""
    title = "Digital introduktion för nyanställda"
    before = await activity(demo_both, title)
    async with running(demo_both) as h:
        assert "ingen ändring av dig från den senaste timmen" in card_text(only_card(await h.ask("ångra")))
        assert "60 % → 75 %" in card_text(only_card(await h.ask("introduktion nyanställda 75 %")))
        assert "ingen ändring av dig" in card_text(only_card(await h.ask("Ångra!", BO)))  # Bo changed nothing
        undone = only_card(await h.ask("ångra"))
        assert "Ångrat" in card_text(undone) and "75 % → 60 %" in card_text(undone)
        assert not actions(undone, "activity.undo")
        back = await activity(demo_both, title)
        assert (await logs(demo_both, back.id))[-1].via == "chat"  # typed, not a card's button
        assert (back.progress, back.version) == (60, before.version + 2)
        assert "ångras inte i sin tur" in card_text(only_card(await h.ask("ångra")))
        assert (await activity(demo_both, title)).version == before.version + 2
        # someone else changed it after Anna: her "ångra" overwrites nothing, the conflict says so
        await h.ask("introduktion nyanställda 80 %")
        await h.ask("introduktion nyanställda 85 %", BO)
        conflict = card_text(only_card(await h.ask("undo", locale="en-US")))
        assert "Bo Berg" in conflict
        assert (await activity(demo_both, title)).progress == 85


async def test_angra_in_the_middle_of_a_report_stops_the_report_and_undoes_nothing_else(demo: Store) -> None:
    """A newcomer typed "undo" during the guided report: it was stopped ("nothing was changed") and her change
    from before the report was undone too, in the same breath. In a dialog "ångra" now means the dialog."""
    title = "Digital introduktion för nyanställda"
    async with running(demo) as h:
        assert "60 % → 75 %" in card_text(only_card(await h.ask("introduktion nyanställda 75 %")))
        for typed, said in (("ångra", "Avbrutet – inget ändrades."), ("Undo!", "Cancelled – nothing was changed.")):
            await h.ask("rapportera")
            assert "Vilken status" in card_text(only_card(await h.ask("1")))
            got = await h.ask(typed, locale="en-US" if typed == "Undo!" else "sv-SE")
            assert [r.text for r in got] == [said]
            assert (await activity(demo, title)).progress == 75  # the change before the report stands
        undone = only_card(await h.ask("ångra"))  # with no dialog open it undoes the change, as before
        assert "75 % → 60 %" in card_text(undone)


async def test_klar_sets_100_and_ambiguous_names_get_a_choice(demo: Store) -> None:
    async with running(demo) as h:
        text = card_text(only_card(await h.ask("klar med digital introduktion")))
        assert "Pågår → Klar" in text and "60 % → 100 %" in text
        done = await activity(demo, "Digital introduktion för nyanställda")
        assert (done.status, done.progress) == ("klar", 100)
        # Bo owns one "lärplattor" activity: his own is meant, not the unit's idea with the same word.
        mine = card_text(only_card(await h.ask("lärplattor 45 %", BO)))
        assert "Sparat" in mine and "40 % → 45 %" in mine
        # Anna owns two "digital" activities: she chooses, and the button carries the change and the version.
        choice = only_card(await h.ask("digital 80 % nästan klart"))
        assert "Vilken aktivitet menar du?" in card_text(choice)
        picks = actions(choice, "activity.pick")
        assert {p["title"] for p in picks} == {"Digital introduktion för nyanställda",
                                               "Digital dokumentation av barnens lärande"}
        chosen = next(p for p in picks if p["title"] == "Digital dokumentation av barnens lärande")
        documentation = await activity(demo, "Digital dokumentation av barnens lärande")
        assert chosen["data"] == {"id": documentation.id, "version": documentation.version, "progress": 80,
                                  "comment": "nästan klart"}
        body = await h.press("activity.pick", chosen["data"])
        assert body["type"] == CARD and "70 % → 80 %" in said(body)
        after = await activity(demo, "Digital dokumentation av barnens lärande")
        assert (after.progress, after.version) == (80, documentation.version + 1)
        # The unit's idea is not taken for work under way: Anna's "lärplattor" is Bo's activity.
        text = card_text(only_card(await h.ask("lärplattor 50 %")))
        assert "Lärplattor på varje avdelning" in text and "45 % → 50 %" in text


async def test_report_nothing_matches_and_unknown_user(demo: Store) -> None:
    async with running(demo) as h:
        text = card_text(only_card(await h.ask("klar med rymdresan")))
        assert "hittade ingen aktivitet" in text
        text = card_text(only_card(await h.ask("klar med digital introduktion", STRANGER)))
        assert "inte registrerad" in text
        # Fatima (Hemtjänst Knislinge) does not find Humlan's activities by name, and may not report by number.
        text = card_text(only_card(await h.ask("klar med digital introduktion", FATIMA)))
        assert "hittade ingen aktivitet" in text
        digital = await activity(demo, "Digital introduktion för nyanställda")
        text = card_text(only_card(await h.ask(f"aktivitet {digital.id} klar", FATIMA)))
        assert "Bara medarbetare i Förskolan Humlan" in text
        assert (await activity(demo, "Digital introduktion för nyanställda")).version == digital.version
        text = card_text(only_card(await h.ask("klar 60 % med checklistan")))
        assert "Klar betyder 100 %" in text


# --- The guided report ----------------------------------------------------------------------


async def test_dialog_with_cancel_changes_nothing(demo: Store) -> None:
    before = await snapshot(demo)
    async with running(demo) as h:
        pick = card_text(only_card(await h.ask("rapportera")))
        assert "Vilken aktivitet" in pick and "nr 1" in pick and "Digital introduktion för nyanställda" in pick
        assert "Skriv ”avbryt”" in pick
        assert "Vilken status" in card_text(only_card(await h.ask("1")))
        assert "Svara med en status" in card_text(only_card(await h.ask("kanske")))  # asks again
        got = await h.ask("avbryt")
        assert [r.text for r in got] == ["Avbrutet – inget ändrades."]
        assert "Hej! Jag är Tavla" in card_text(only_card(await h.ask("hej")))  # the dialog is gone
        # Cancel at the last step too.
        for answer in ("rapportera", "1", "Pågår", "75", "nej"):
            await h.ask(answer)
        assert [r.text for r in await h.ask("Avbryt")] == ["Avbrutet – inget ändrades."]
        # With no dialog open, "avbryt" is not a question to guess at.
        assert card_text(only_card(await h.ask("avbryt"))).strip() == "Det finns inget att avbryta just nu."
    assert await snapshot(demo) == before


async def test_the_number_shown_is_the_one_aktivitet_n_names(demo: Store) -> None:
    """A newcomer saw "3. Introduktionsfilm …" in the guided report's list, typed "aktivitet 3 80 %" and changed
    activity number 3, another person's. The list had numbers of its own; now every listing shows only the
    activity's own number, the guided report takes it ("nr 4", "4"), and that number is what "aktivitet N"
    changes."""
    film = await activity(demo, "Introduktionsfilm om Göingemodellen")
    async with running(demo) as h:
        pick = card_text(only_card(await h.ask("rapportera")))
        assert re.search(rf"nr {film.id}\s+Introduktionsfilm om Göingemodellen", pick) and "3. " not in pick
        assert "Vilken status har ”Introduktionsfilm om Göingemodellen”" in card_text(only_card(await h.ask(f"nr {film.id}")))
        await h.ask("avbryt")
        await h.ask("rapportera")
        assert "Jag hittade ingen sådan aktivitet" in card_text(only_card(await h.ask("999")))  # not in the list
        await h.ask("avbryt")
        mine = card_text(only_card(await h.ask("mina aktiviteter")))
        assert f"nr {film.id}" in mine
        text = card_text(only_card(await h.ask(f"aktivitet {film.id} 80 %")))
        assert "Introduktionsfilm om Göingemodellen" in text and "80 %" in text
    assert (await activity(demo, "Introduktionsfilm om Göingemodellen")).progress == 80


async def test_dialog_does_not_offer_klar_on_someone_elses_activity(demo: Store) -> None:
    """Anna may report progress on Bo's activity but not mark it klar: she was refused only at the very end,
    after four answers. Now the status question leaves "Klar" out and says why; typed anyway, it is asked again."""
    before = await snapshot(demo)
    async with running(demo) as h:
        listed = card_text(only_card(await h.ask("rapportera")))
        # her own first; the unit's others say whose they are, and why she may report on them
        assert "Dina egna först, sedan enhetens övriga: alla på enheten kan rapportera på dem." in listed
        assert "Lärplattor på varje avdelning – Pågår · 40 % – ansvarig: Bo Berg" in listed
        assert "Digital introduktion för nyanställda – Pågår · 60 % – ⚠ FÖRSENAD 15 dagar\n" in listed + "\n"
        question = only_card(await h.ask("lärplattor"))
        titles = [a["title"] for a in elements(question, lambda e: e.get("type") in ("Action.Submit", "Action.Execute"))]
        assert "Klar" not in titles and "Pågår" in titles, titles
        assert "Klar kan bara ansvarig eller chefen för Förskolan Humlan markera." in card_text(question)
        again = card_text(only_card(await h.ask("klar")))
        assert "Svara med en status" in again and "Klar kan bara ansvarig" in again
        assert "Hur många procent" in card_text(only_card(await h.ask("Pågår")))
        await h.ask("avbryt")
        # her own activity: Klar is offered
        await h.ask("rapportera")
        own = only_card(await h.ask("1"))
        assert "Klar" in [a["title"] for a in elements(own, lambda e: e.get("type") in ("Action.Submit",
                                                                                        "Action.Execute"))]
        assert "Klar kan bara" not in card_text(own)
        await h.ask("avbryt")
    assert await snapshot(demo) == before


async def test_dialog_survives_a_restart_and_saves_with_the_log(demo_both: Store) -> None:
    store = demo_both
    digital = await activity(store, "Digital introduktion för nyanställda")
    async with running(store) as h:
        await h.ask("rapportera")
        assert "Vilken status har ”Digital introduktion för nyanställda”" in card_text(only_card(await h.ask("1")))
    async with running(store) as h:  # a new process: the dialog continues from the store
        assert "Hur många procent" in card_text(only_card(await h.ask("Pågår")))
        assert "kommentar" in card_text(only_card(await h.ask("75")))
        confirm = card_text(only_card(await h.ask("IT-kontona är klara")))
        assert "Spara den här ändringen?" in confirm and "60 % → 75 %" in confirm
        saved = card_text(only_card(await h.ask("ja")))
        assert "Sparat" in saved and "60 % → 75 %" in saved
    after = await activity(store, "Digital introduktion för nyanställda")
    assert (after.progress, after.version) == (75, digital.version + 1)
    last = (await logs(store, after.id))[-1]
    assert (last.via, last.comment) == ("dialog", "IT-kontona är klara")


async def test_dialog_refuses_a_stale_version_and_shows_who_changed_it(demo: Store) -> None:
    async with running(demo) as h:
        await h.ask("rapportera")
        await h.ask("1")  # Digital introduktion, version N remembered
        await h.ask("klar med digital introduktion", BO)  # Bo (chef) closes it meanwhile, in his own chat
        await h.ask("Pågår")
        await h.ask("80")
        await h.ask("nej")
        text = card_text(only_card(await h.ask("ja")))
        assert re.search(r"Ändrad av Bo Berg kl\. \d\d:\d\d – din ändring sparades inte", text), text
        assert "Klar" in text
    final = await activity(demo, "Digital introduktion för nyanställda")
    assert (final.status, final.progress) == ("klar", 100)  # Bo's change stands


async def test_dialog_state_exists_only_while_open_and_a_stale_one_is_dropped(demo: Store) -> None:
    async def rows() -> list[BotState]:
        async with demo.session() as s:
            return list((await s.execute(select(BotState))).scalars())

    async with running(demo) as h:
        await h.ask("hej")
        assert await rows() == []  # no dialog, no state row
        await h.ask("rapportera")
        (row,) = await rows()
        assert "tavla" in row.key and ANNA.aad in row.key  # per user and conversation
        await h.ask("1")
        await h.ask("avbryt")
        assert await rows() == []
        await h.ask("rapportera")
        # Left unanswered for an hour: the next message is an ordinary question again.
        storage = SqlStorage(demo)
        (key,) = [r.key for r in await rows()]
        item = (await storage.read([key]))[key]
        item["meta"]["last"] = (datetime.fromisoformat(item["meta"]["last"]) - timedelta(hours=1)).isoformat()
        await storage.write({key: item})
        assert "Mina aktiviteter" in card_text(only_card(await h.ask("mina aktiviteter")))
        assert await rows() == []


async def test_a_clear_command_mid_dialog_is_answered_and_ends_the_dialog(demo: Store) -> None:
    before = await snapshot(demo)
    async with running(demo) as h:
        await h.ask("rapportera")
        await h.ask("1")
        got = await h.ask("mina aktiviteter")
        assert got[0].text == "(Den guidade rapporten avbröts – inget ändrades.)"
        assert "Mina aktiviteter" in card_text(only_card(got[1:]))
        assert "Vilken aktivitet" in card_text(only_card(await h.ask("rapportera")))
        # At the comment step free text is the answer, even when it reads like a question …
        await h.ask("1")
        await h.ask("Pågår")
        await h.ask("75")
        confirm = card_text(only_card(await h.ask("status frisknärvaro")))
        assert "Spara den här ändringen?" in confirm and "status frisknärvaro" in confirm
        await h.ask("avbryt")
        # … but an exact command is not.
        for answer in ("rapportera", "1", "Pågår", "75"):
            await h.ask(answer)
        got = await h.ask("tavla")
        assert got[0].text == "(Den guidade rapporten avbröts – inget ändrades.)"
        assert "Tavla – Förskolan Humlan" in card_text(only_card(got[1:]))
    assert await snapshot(demo) == before


async def test_dialog_contradiction_asks_again(demo: Store) -> None:
    async with running(demo) as h:
        await h.ask("rapportera")
        await h.ask("1")
        await h.ask("Pågår")
        got = await h.ask("100")
        texts = [r.text for r in got if r.text] + [card_text(c) for r in got for c in r.cards]
        assert any("100 % betyder att aktiviteten är klar" in t for t in texts)
        assert any("Vilken status har" in t for t in texts)


# --- "Mina aktiviteter" and Action.Execute --------------------------------------------------


async def test_mine_card_update_in_english_writes_percent_the_english_way(demo: Store) -> None:
    digital = await activity(demo, "Digital introduktion för nyanställda")
    async with running(demo) as h:
        card = only_card(await h.ask("my activities", locale="en-GB"))
        save = next(a for a in actions(card, "activity.update") if a["data"]["id"] == digital.id)
        body = await h.press("activity.update", {**save["data"], f"status_{digital.id}": "pagar",
                                                 f"progress_{digital.id}": "85", f"comment_{digital.id}": "Nearly"},
                             locale="en-GB")
        text = card_text(body["value"])
        assert "Saved: 60% → 85% and the comment" in text and "Latest comment: \n”Nearly”" in text, text


async def test_mine_card_update_replaces_the_card_and_a_stale_card_gets_a_conflict(demo_both: Store) -> None:
    store = demo_both
    digital = await activity(store, "Digital introduktion för nyanställda")
    async with running(store) as h:
        card = only_card(await h.ask("mina aktiviteter"))
        text = card_text(card)
        assert "Mina aktiviteter" in text and "sekretessbelagda" in text and "inga känsliga personuppgifter" in text
        save = next(a for a in actions(card, "activity.update") if a["data"]["id"] == digital.id)
        assert save["data"]["version"] == digital.version
        data = {**save["data"], f"status_{digital.id}": "pagar", f"progress_{digital.id}": "80",
                f"comment_{digital.id}": "Väntar på licenser"}
        body = await h.press("activity.update", data)
        assert body["type"] == CARD
        replaced = body["value"]
        assert "Sparat: 60 % → 80 % och kommentaren" in card_text(replaced)
        assert comments_typed(replaced) == {}  # saved: the box is empty again, the comment shown with its activity
        assert "Senaste kommentar: \n”Väntar på licenser”" in card_text(replaced)
        assert "Senaste kommentar: \n”Väntar på licenser”" in card_text(only_card(await h.ask("mina aktiviteter")))
        new_save = next(a for a in actions(replaced, "activity.update") if a["data"]["id"] == digital.id)
        assert new_save["data"]["version"] == digital.version + 1
        assert h.connector.received[-1].cards != [replaced] or len(h.connector.received) == 1  # not posted anew
        # The old card (version N) pressed again: refused by the database, fresh state shown.
        stale = {**save["data"], f"status_{digital.id}": "klar", f"progress_{digital.id}": "100",
                 f"comment_{digital.id}": "Licenserna har kommit"}
        body = await h.press("activity.update", stale)
        text = said(body)
        assert re.search(r"Ändrad av Anna Andersson kl\. \d\d:\d\d – din ändring sparades inte", text), text
        assert "Pågår · 80 %" in text
        # what the person wrote is not lost: the comment waits in its box, under the fresh state
        assert comments_typed(body["value"]) == {f"comment_{digital.id}": "Licenserna har kommit"}
        now = await activity(store, "Digital introduktion för nyanställda")
        assert (now.status, now.progress, now.version) == ("pagar", 80, digital.version + 1)
        assert len(await logs(store, digital.id)) == digital.version + 1
        # Pressing Save with nothing changed says so and writes nothing.
        body = await h.press("activity.update", {**new_save["data"], f"status_{digital.id}": "pagar",
                                                 f"progress_{digital.id}": "80"})
        assert "Inget att spara" in said(body)
        assert (await activity(store, "Digital introduktion för nyanställda")).version == digital.version + 1


@pytest.mark.parametrize("status, progress, expected, shown", [
    ("klar", "60", ("klar", 100), "Sparat: Pågår → Klar"),  # only the status picked: the number still shows 60
    ("pausad", "60", ("pausad", 60), "Sparat: Pågår → Pausad"),
    ("pagar", "100", ("klar", 100), "Sparat: Pågår → Klar"),  # only the number: 100 % makes it Klar
    ("klar", "80", ("pagar", 60), "Klar betyder 100 %, men du skrev 80 %"),  # both changed, and they disagree
])
async def test_the_card_inputs_changed_are_the_change(demo: Store, status: str, progress: str,
                                                      expected: tuple[str, int], shown: str) -> None:
    """"mina aktiviteter" sends every input with each Spara, those left as they were too: only what differs
    from the card's state is what the person changed (a status picked alone is not at odds with the old %)."""
    digital = await activity(demo, "Digital introduktion för nyanställda")
    assert (digital.status, digital.progress) == ("pagar", 60)
    async with running(demo) as h:
        save = next(a for a in actions(only_card(await h.ask("mina aktiviteter")), "activity.update")
                    if a["data"]["id"] == digital.id)
        body = await h.press("activity.update", {**save["data"], f"status_{digital.id}": status,
                                                 f"progress_{digital.id}": progress,
                                                 f"comment_{digital.id}": "Se protokollet"})
        assert shown in said(body), said(body)[:300]
        # refused, the comment stays in its box; saved, the box is empty
        kept = {} if shown.startswith("Sparat") else {f"comment_{digital.id}": "Se protokollet"}
        assert comments_typed(body["value"]) == kept
    now = await activity(demo, digital.title)
    assert (now.status, now.progress) == expected


async def test_forbidden_update_from_a_card(demo: Store) -> None:
    digital = await activity(demo, "Digital introduktion för nyanställda")
    before = await snapshot(demo)
    async with running(demo) as h:
        data = {"id": digital.id, "version": digital.version, "page": 1, f"status_{digital.id}": "klar"}
        body = await h.press("activity.update", data, FATIMA)
        assert "Bara medarbetare i Förskolan Humlan" in said(body)
        # Anna may update but not close Bo's activity, nor prioritise an idea.
        lp = await activity(demo, "Lärplattor på varje avdelning")
        body = await h.press("activity.pick", {"id": lp.id, "version": lp.version, "status": "klar"})
        assert "Bara ansvarig för aktiviteten eller chefen" in said(body)
        idea = await activity(demo, "Fadder för varje ny vikarie")
        body = await h.press("activity.pick", {"id": idea.id, "version": idea.version, "status": "pagar"})
        assert "prioriteras av chefen" in said(body)
    assert await snapshot(demo) == before


async def test_an_area_chefs_right_follows_the_enhet_when_it_moves_elsewhere(demo_both: Store) -> None:
    """An activity update's rights read the enhet's place in the tree through the catalogue kept at the turn's
    stamp (storage.catalogue): moved by an import or another replica, the next press is judged by the new place."""
    dana = User("Dana Dahl", "aaaaaaaa-0000-4000-8000-000000000005")  # chef of the area Familj och utbildning
    digital = await activity(demo_both, "Digital introduktion för nyanställda")  # Förskolan Humlan's
    async with running(demo_both) as h:
        data = {"id": digital.id, "version": digital.version, "page": 1, f"progress_{digital.id}": "60"}
        assert "Bara" not in said(await h.press("activity.update", data, dana))
        assert (await activity(demo_both, digital.title)).progress == 60
        async with demo_both.session() as s:
            humlan = (await s.execute(select(OrgUnit).where(OrgUnit.code == "DEMO-HUMLAN"))).scalar_one()
            other = (await s.execute(select(OrgUnit).where(OrgUnit.name == "Hälsa och omsorg"))).scalar_one()
            humlan.parent_id = other.id
        data = {"id": digital.id, "version": digital.version + 1, "page": 1, f"progress_{digital.id}": "70"}
        assert "Bara medarbetare i Förskolan Humlan" in said(await h.press("activity.update", data, dana))
    assert (await activity(demo_both, digital.title)).progress == 60


# --- The board ------------------------------------------------------------------------------


async def test_which_activities_are_overdue_shows_the_board_with_the_count(demo: Store) -> None:
    """"vilka aktiviteter är försenade?" and "när är nästa tavelmöte?" got "status Gymnasieexamen inom 4 år" as a
    suggestion. The first is now the board (the försenade first in their columns) with how many there are."""
    async with running(demo) as h:
        for typed, user in (("vilka aktiviteter är försenade?", BO), ("försenade aktiviteter i Förskolan Humlan", ANNA)):
            text = card_text(only_card(await h.ask(typed, user)))
            count = re.search(r"(\d+) försenade aktiviteter i Förskolan Humlan – de står först", text)
            assert count is not None, text[:300]
            # named on top (most overdue first, with the owner), and again in their columns
            assert 2 * int(count.group(1)) == text.count("FÖRSENAD") > 0
            assert "nr 1 Digital introduktion för nyanställda – ⚠ FÖRSENAD 15 dagar – Anna Andersson" in text
        english = card_text(only_card(await h.ask("what is overdue", BO, locale="en-US")))
        assert "overdue activities in Förskolan Humlan" in english
        assert "Tavelmöte" not in card_text(only_card(await h.ask("försenade leveranser", BO)))  # not activities
        assert "Tavla – Förskolan Humlan" in card_text(only_card(await h.ask("Hur går det för min enhet?", BO)))
        async with demo.session() as s:  # due 15–22 May 2018 and not klar: none in the example data, then one
            humlan = (await s.execute(select(OrgUnit.id).where(OrgUnit.name == "Förskolan Humlan"))).scalar_one()
            plan_id = (await s.execute(select(ActionPlan.id).where(ActionPlan.org_unit_id == humlan,
                                                                   ActionPlan.year == 2018))).scalars().first()
        due = card_text(only_card(await h.ask("vilka aktiviteter ska vara klara snart?", BO)))  # 15 May 2018
        assert "Inga aktiviteter i Förskolan Humlan ska vara klara till och med 22 maj 2018." in due
        async with demo.session() as s:
            s.add(Activity(plan_id=plan_id, title="Sommarschema", status="pagar", progress=10, version=1,
                           deadline=date(2018, 5, 20)))
        due = card_text(only_card(await h.ask("vilka aktiviteter ska vara klara snart?", BO)))
        assert "1 aktivitet i Förskolan Humlan ska vara klar till och med 22 maj 2018" in due
        assert "Tavla – Förskolan Humlan" in due and "Sommarschema" in due
        english = card_text(only_card(await h.ask("what is due soon in Förskolan Humlan", ANNA, locale="en-US")))
        assert "due by 22 May 2018" in english


async def test_board_in_a_linked_channel(demo: Store) -> None:
    async with running(demo) as h:
        await h.ask("hej", BO)  # Bo's personal chat is stored: his Teams id can get automatic refreshes
        refused = card_text(only_card(await h.ask("koppla kanalen till Förskolan Humlan", ANNA, channel=True)))
        assert "Bara chefen för Förskolan Humlan" in refused
        linked = card_text(only_card(await h.ask("koppla kanalen till Förskolan Humlan", BO, channel=True)))
        assert "Kanalen är kopplad till Förskolan Humlan" in linked
        # Another thread of the same channel, by Anna: "tavla" means Humlan.
        board = only_card(await h.ask("tavla", ANNA, channel=True, conversation=channel_conversation(thread="222")))
        text = card_text(board)
        assert "Tavla – Förskolan Humlan" in text
        for column in ("Idéer (2)", "Att göra (3)", "Pågår (4)", "Klart (2)"):
            assert column in text, column
        assert "Förra tavelmötet: 8 maj 2018 (Bo Berg)" in text
        assert "Sedan förra mötet (8 maj 2018): 3 ändringar" in text
        assert "40 % → 60 %\n: ”\nVäntar på IT-konton för nyanställda.\n”" in text  # what was written with it
        assert "FÖRSENAD 15 dagar" in text and "Anna Andersson" in text and "senast 30/4" in text
        assert "Budget: Familj och utbildning: årsbudget" in text
        assert "Exempeldata" in text
        refresh = board["refresh"]
        assert refresh["action"]["verb"] == "board.show" and len(refresh["userIds"]) <= 60
        assert set(refresh["userIds"]) == {f"29:{ANNA.aad}", f"29:{BO.aad}"}
        # A board button updates in place: Bo starts "Mentorskap".
        mentor = await activity(demo, "Mentorskap för nya förskollärare")
        start = next(a for a in actions(board, "board.move") if a["data"]["id"] == mentor.id)
        assert start["title"] == "Starta"
        body = await h.press("board.move", start["data"], BO, conversation=channel_conversation(thread="222"))
        assert body["type"] == CARD and "Sparat: Ej påbörjad → Pågår" in said(body) and "Pågår (5)" in said(body)
        assert (await activity(demo, "Mentorskap för nya förskollärare")).status == "pagar"
        # Everyone pressing the same old button now sees who was first.
        body = await h.press("board.move", start["data"], ANNA, conversation=channel_conversation(thread="222"))
        assert "Ändrad av Bo Berg" in said(body) and "din ändring sparades inte" in said(body)
        # "starta tavelmöte" records the meeting; then the board says when today's meeting started.
        started = card_text(only_card(await h.ask("starta tavelmöte", BO, channel=True)))
        assert "Tavelmöte startat" in started and "Dagens tavelmöte startade kl." in started
        async with demo.session() as s:
            assert (await s.execute(select(func.count(BoardMeeting.id)))).scalar_one() == 4
        refused = card_text(only_card(await h.ask("starta tavelmöte", ANNA, channel=True)))
        assert "Bara chefen för Förskolan Humlan" in refused
        # A new idea from the board's form lands under Idéer.
        body = await h.press("board.propose", {"unit": mentor_unit(board), "page": 1, "idea": "Gemensam lunch"},
                             ANNA, conversation=channel_conversation(thread="222"))
        assert "Förslaget är tillagt under Idéer" in said(body) and "Idéer (3)" in said(body)


def mentor_unit(board: dict[str, Any]) -> int:
    return actions(board, "board.propose")[0]["data"]["unit"]


async def test_a_unit_named_with_another_number_is_not_taken_and_the_near_ones_are_offered(demo: Store) -> None:
    async with demo.session() as session:
        area = (await session.execute(select(OrgUnit).where(OrgUnit.name == "Hälsa och omsorg"))).scalar_one()
        session.add_all([OrgUnit(code=f"T-HG{n}", name=f"Hemtjänst grupp {n}", kind="enhet", parent_id=area.id,
                                 valid_from=2018) for n in (2, 3)])
    async with running(demo) as h:
        text = card_text(only_card(await h.ask("tavla hemtjänst grupp 4")))
        assert "hittar ingen enhet som heter ”hemtjänst grupp 4”" in text
        assert "Menade du ”Hemtjänst grupp 2” eller ”Hemtjänst grupp 3”?" in text
        assert "Tavla – Hemtjänst grupp 3" in card_text(only_card(await h.ask("tavla hemtjänst grup 3")))
        text = card_text(only_card(await h.ask("starta tavelmöte för hemtjänst grupp 9", BO)))
        assert "hittar ingen enhet som heter" in text and "Menade du" in text
        # No number written: both fit, so a choice of their boards (or, where a command needs one, the names)
        choice = only_card(await h.ask("tavla hemtjänst grupp"))
        assert [a["title"] for a in choice["actions"]] == ["Hemtjänst grupp 2", "Hemtjänst grupp 3"]
        text = card_text(only_card(await h.ask("starta tavelmöte för hemtjänst grupp", BO)))
        assert "Flera enheter passar ”hemtjänst grupp”: ”Hemtjänst grupp 2” och ”Hemtjänst grupp 3”" in text


async def test_any_board_is_public_and_new_activities_are_for_chefs(demo: Store) -> None:
    async with running(demo) as h:
        text = card_text(only_card(await h.ask("tavla Hemtjänst Knislinge", ANNA)))
        assert "Tavla – Hemtjänst Knislinge" in text
        text = card_text(only_card(await h.ask("tavla Månbasen")))
        assert "hittar ingen enhet som heter ”Månbasen”" in text
        refused = card_text(only_card(await h.ask(
            "ny aktivitet i Förskolan Humlan: Sommarfest, ansvarig Anna, klar 20/6", ANNA)))
        assert "Bara chefen för Förskolan Humlan" in refused
        choice = only_card(await h.ask("ny aktivitet i Förskolan Humlan: Sommarfest, ansvarig Anna, klar 20/6", BO))
        assert "Vilken handlingsplan" in card_text(choice)
        create = actions(choice, "activity.create")
        assert len(create) == 2 and create[0]["data"]["title"] == "Sommarfest"
        body = await h.press("activity.create", create[0]["data"], BO)
        text = said(body)
        assert "Ny aktivitet i Förskolan Humlan" in text and "Anna Andersson" in text and "20 juni 2018" in text
        fest = await activity(demo, "Sommarfest")
        assert (fest.status, fest.deadline, fest.version) == ("ej_paborjad", date(2018, 6, 20), 1)
        choice = only_card(await h.ask("nytt förslag: gemensam frukost", FATIMA))
        assert "Vilken handlingsplan" in card_text(choice)  # Knislinge has two plans
        body = await h.press("activity.create", actions(choice, "activity.create")[0]["data"], FATIMA)
        assert "Förslaget ligger nu under Idéer på tavlan för Hemtjänst Knislinge" in said(body)
        assert (await activity(demo, "gemensam frukost")).status == "ide"
        history = card_text(only_card(await h.ask("historik digital introduktion")))
        assert "Historik" in history and "Väntar på IT-konton för nyanställda." in history
        assert "allmän handling" in history


# --- Tampered card data, on every verb ------------------------------------------------------


async def test_a_comment_alone_is_written_in_chat(demo_both: Store) -> None:
    """"lägg till kommentar på sagostund: vi börjar efter midsommar" was not understood: only the guided report or
    the card took a comment."""
    before = await activity(demo_both, "Digital introduktion för nyanställda")
    async with running(demo_both) as h:
        said = card_text(only_card(await h.ask("lägg till en kommentar på digital introduktion: IT lovar fredag")))
        assert "Sparat" in said and "IT lovar fredag" in said and "kommentaren är sparad" in said, said
        said = card_text(only_card(await h.ask("comment on digital introduktion: still waiting", locale="en-US")))
        assert "Saved" in said and "still waiting" in said, said
    after = await activity(demo_both, "Digital introduktion för nyanställda")
    assert (after.progress, after.status) == (before.progress, before.status)
    assert [u.comment for u in (await logs(demo_both, before.id))[-2:]] == ["IT lovar fredag", "still waiting"]


async def test_a_negative_progress_typed_is_refused_not_saved_as_positive(demo_both: Store) -> None:
    """A newcomer's "aktivitet 4 -20%" saved 80 % → 20 %: the minus was read as a separator."""
    digital = await activity(demo_both, "Digital introduktion för nyanställda")
    async with running(demo_both) as h:
        for typed in ("introduktion nyanställda -20%", "introduktion nyanställda −20 %"):
            said = card_text(only_card(await h.ask(typed)))
            assert "heltal 0–100" in said, said
        after = await activity(demo_both, "Digital introduktion för nyanställda")
        assert (after.progress, after.version) == (digital.progress, digital.version)
        said = card_text(only_card(await h.ask("introduktion nyanställda - 20 %")))  # a dash between: a separator
        assert (await activity(demo_both, "Digital introduktion för nyanställda")).progress == 20, said


async def test_a_chef_gives_an_activity_a_new_owner_and_due_date_in_chat(demo_both: Store) -> None:
    """After "Prioritera → Starta" an idea stayed "ingen ansvarig än · inget slutdatum": only "ny aktivitet …,
    ansvarig Anna, klar 30/6" set them. Now the chef says so; a medarbetare is told who can; "ångra" undoes it."""
    before = await activity(demo_both, "Lärplattor på varje avdelning")  # Humlan's, Bo's own
    async with running(demo_both) as h:
        said = card_text(only_card(await h.ask("ansvarig för lärplattor: Anna", user=BO)))
        assert "Sparat" in said and "Ansvarig: Bo Berg → Anna Andersson" in said and "Obs:" not in said, said
        said = card_text(only_card(await h.ask("ändra slutdatum för lärplattor till 30/9", user=BO)))
        assert "Slutdatum: 31 augusti 2018 → 30 september 2018" in said, said
        after = await activity(demo_both, "Lärplattor på varje avdelning")
        async with demo_both.session() as s:
            anna = (await s.execute(select(Person.id).where(Person.name == "Anna Andersson"))).scalar_one()
        assert (after.owner_id, after.deadline, after.version) == (anna, date(2018, 9, 30), before.version + 2)
        assert [sorted(u.new) for u in (await logs(demo_both, before.id))[-2:]] == [["owner_id"], ["deadline"]]
        same = card_text(only_card(await h.ask("ansvarig för lärplattor: Anna Andersson", user=BO)))
        assert "Ingenting att ändra" in same and "Anna Andersson som ansvarig" in same
        refused = card_text(only_card(await h.ask("ansvarig för lärplattor: Fatima", user=ANNA)))
        assert "Bara chefen för Förskolan Humlan" in refused
        assert "är inget datum" in card_text(only_card(await h.ask("slutdatum för lärplattor: snart", user=BO)))
        assert "Jag hittar ingen person som heter ”Zlatan”" in card_text(
            only_card(await h.ask("ansvarig för lärplattor: Zlatan", user=BO)))
        assert (await activity(demo_both, "Lärplattor på varje avdelning")).version == after.version  # nothing more
        # dates on the board as the cards write them
        assert "klart senast: 31/8 → 30/9" in card_text(only_card(await h.ask("tavla humlan", user=BO)))
        undone = card_text(only_card(await h.ask("ångra", user=BO)))
        assert "Ångrat" in undone
        assert (await activity(demo_both, "Lärplattor på varje avdelning")).deadline == before.deadline
        # an owner from another unit is named on the board (it said "–"); an undo done in English is said in the
        # reader's language in the history, not as its English note
        said = card_text(only_card(await h.ask("ansvarig för lärplattor: Fatima Fors", user=BO)))
        assert "Ansvarig: Anna Andersson → Fatima Fors" in said, said
        assert "Obs: Fatima Fors hör inte till Förskolan Humlan." in said  # allowed, but said
        board = card_text(only_card(await h.ask("tavla humlan", user=BO)))
        assert "ansvarig: Anna Andersson → Fatima Fors" in board and "2018-" not in board
        await h.ask("undo", user=BO, locale="en-US")
        board = card_text(only_card(await h.ask("tavla humlan", user=BO)))  # undone since the meeting: not a change
        assert "Fatima Fors" not in board and "klart senast: 31/8 → 30/9" not in board
        history = card_text(only_card(await h.ask("historik lärplattor", user=BO)))
        assert "(ångrade en ändring)" in history and "Undoes" not in history, history


async def test_tampered_card_data_is_refused_on_every_card_verb(demo_both: Store) -> None:
    store = demo_both
    digital = await activity(store, "Digital introduktion för nyanställda")  # Humlan, Anna's
    knislinge = await activity(store, "Ergonomigenomgång i brukarnas hem")  # another unit's
    async with store.session() as s:
        humlan_plan, knislinge_plan = digital.plan_id, knislinge.plan_id
        humlan_unit = (await s.execute(select(ActionPlan.org_unit_id).where(ActionPlan.id == humlan_plan))).scalar_one()
        knislinge_unit = (await s.execute(select(ActionPlan.org_unit_id).where(ActionPlan.id == knislinge_plan))
                          ).scalar_one()
    async with running(store) as h:
        # A real change by Anna so an undo exists to tamper with.
        card = only_card(await h.ask("introduktion nyanställda 70 %"))
        undo = actions(card, "activity.undo")[0]["data"]
        digital = await activity(store, "Digital introduktion för nyanställda")
        other_update = (await logs(store, knislinge.id))[-1]
        v = digital.version
        cases: list[tuple[str, dict[str, Any], User, str]] = [
            # activity.update ("mina aktiviteter")
            ("activity.update", {"id": knislinge.id, "version": knislinge.version, f"status_{knislinge.id}": "klar"},
             ANNA, "Bara medarbetare i Hemtjänst Knislinge"),
            ("activity.update", {"id": digital.id, "version": v + 7, f"progress_{digital.id}": "90"}, ANNA,
             "din ändring sparades inte"),
            ("activity.update", {"id": "abc", "version": v}, ANNA, BAD_DATA),
            ("activity.update", {"id": digital.id, "version": [v]}, ANNA, BAD_DATA),
            ("activity.update", {"id": digital.id, "version": True}, ANNA, BAD_DATA),
            ("activity.update", {"id": digital.id, "version": v, f"status_{digital.id}": "avbruten"}, ANNA, BAD_DATA),
            ("activity.update", {"id": digital.id, "version": v, f"status_{digital.id}": 5}, ANNA, BAD_DATA),
            ("activity.update", {"id": digital.id, "version": v, f"progress_{digital.id}": "mycket"}, ANNA,
             "heltal 0–100"),
            ("activity.update", {"id": digital.id, "version": v, f"comment_{digital.id}": {"x": 1}}, ANNA, BAD_DATA),
            ("activity.update", {"id": 2**40, "version": v}, ANNA, BAD_DATA),
            # activity.pick (choice/conflict cards)
            ("activity.pick", {"id": knislinge.id, "version": knislinge.version, "progress": 50}, ANNA,
             "Bara medarbetare i Hemtjänst Knislinge"),
            ("activity.pick", {"id": digital.id, "version": 999, "progress": 90}, ANNA, "din ändring sparades inte"),
            ("activity.pick", {"id": digital.id, "version": v, "progress": -5}, ANNA, "heltal 0–100"),
            ("activity.pick", {"id": digital.id, "version": v, "status": ["klar"]}, ANNA, BAD_DATA),
            ("activity.pick", {"id": digital.id, "version": v}, ANNA, BAD_DATA),
            ("activity.pick", {"id": None, "version": v, "status": "klar"}, ANNA, BAD_DATA),
            # activity.undo
            ("activity.undo", {**undo, "id": knislinge.id}, ANNA, BAD_DATA),
            ("activity.undo", {**undo, "update": other_update.id}, ANNA, BAD_DATA),
            ("activity.undo", {**undo, "version": undo["version"] + 1}, ANNA, BAD_DATA),
            ("activity.undo", {**undo, "update": "1; drop table"}, ANNA, BAD_DATA),
            ("activity.undo", {"id": knislinge.id, "version": other_update.version, "update": other_update.id},
             ANNA, "Bara medarbetare i Hemtjänst Knislinge"),
            ("activity.undo", undo, FATIMA, "Bara medarbetare i Förskolan Humlan"),
            # activity.create (plan choice)
            ("activity.create", {"kind": "activity", "plan": knislinge_plan, "title": "Hack"}, BO,
             "Bara chefen för Hemtjänst Knislinge"),
            ("activity.create", {"kind": "idea", "plan": knislinge_plan, "title": "Hack"}, ANNA,
             "Bara medarbetare i Hemtjänst Knislinge"),
            ("activity.create", {"kind": "activity", "plan": humlan_plan, "title": "X"}, ANNA,
             "Bara chefen för Förskolan Humlan"),
            ("activity.create", {"kind": "boss", "plan": humlan_plan, "title": "X"}, BO, BAD_DATA),
            ("activity.create", {"kind": "activity", "plan": "many", "title": "X"}, BO, BAD_DATA),
            ("activity.create", {"kind": "activity", "plan": humlan_plan, "title": ["X"]}, BO, BAD_DATA),
            ("activity.create", {"kind": "activity", "plan": humlan_plan, "title": "X", "owner": 987654}, BO,
             BAD_DATA),
            ("activity.create", {"kind": "activity", "plan": humlan_plan, "title": "X", "deadline": "i morgon"}, BO,
             BAD_DATA),
            ("activity.create", {"kind": "activity", "plan": 987654, "title": "X"}, BO, BAD_DATA),
            # board.move
            ("board.move", {"id": knislinge.id, "version": knislinge.version, "to": "pagar", "unit": humlan_unit},
             BO, BAD_DATA),  # another unit's activity on this board
            ("board.move", {"id": knislinge.id, "version": knislinge.version, "to": "pagar",
                            "unit": knislinge_unit}, ANNA, "Bara medarbetare i Hemtjänst Knislinge"),
            ("board.move", {"id": digital.id, "version": 999, "to": "klar", "unit": humlan_unit}, BO,
             "din ändring sparades inte"),
            ("board.move", {"id": digital.id, "version": v, "to": "kung", "unit": humlan_unit}, BO, BAD_DATA),
            ("board.move", {"id": digital.id, "version": "v", "to": "klar", "unit": humlan_unit}, BO, BAD_DATA),
            ("board.move", {"id": digital.id, "version": v, "to": "klar", "unit": "Humlan"}, BO, BAD_DATA),
            # board.propose
            ("board.propose", {"unit": knislinge_unit, "idea": "Hack"}, ANNA, "Bara medarbetare i Hemtjänst Knislinge"),
            ("board.propose", {"unit": humlan_unit, "idea": "Hack", "idea_plan": str(knislinge_plan)}, ANNA,
             BAD_DATA),
            ("board.propose", {"unit": humlan_unit, "idea": 12}, ANNA, BAD_DATA),
            ("board.propose", {"unit": 987654, "idea": "Hack"}, ANNA, BAD_DATA),
            # board.start
            ("board.start", {"unit": humlan_unit}, ANNA, "Bara chefen för Förskolan Humlan"),
            ("board.start", {"unit": knislinge_unit}, BO, "Bara chefen för Hemtjänst Knislinge"),
            ("board.start", {"unit": "x"}, BO, BAD_DATA),
            ("board.start", {"unit": 1}, ADMIN, BAD_DATA),  # the förvaltning has no board
            # Read-only verbs: public to view, but wrong types are refused.
            ("board.show", {"unit": "Humlan"}, ANNA, BAD_DATA),
            ("board.show", {"unit": 987654}, ANNA, BAD_DATA),
            ("activity.history", {"id": "x"}, ANNA, BAD_DATA),
            ("activity.history", {"id": 987654}, ANNA, BAD_DATA),
            ("plan.mine", {"page": "all"}, ANNA, BAD_DATA),
            ("plan.mine", {"page": -1}, ANNA, BAD_DATA),
        ]
        verbs = {verb for verb, *_ in cases}
        assert verbs == {"activity.update", "activity.pick", "activity.undo", "activity.create", "board.move",
                         "board.propose", "board.start", "board.show", "activity.history", "plan.mine"}
        before = await snapshot(store)
        for verb, data, user, expected in cases:
            status, body = await h.post(h.action(verb, data, user))
            assert status == 200, (verb, data, status)
            if body.get("type") == CARD:
                assert_valid_card(body["value"])
            assert expected in said(body), (verb, data, said(body)[:300])
            assert await snapshot(store) == before, (verb, data)
        # Viewing another unit's board or history is allowed: handlingsplaner are public.
        body = await h.press("board.show", {"unit": knislinge_unit, "page": 1}, ANNA)
        assert "Tavla – Hemtjänst Knislinge" in said(body)
        body = await h.press("activity.history", {"id": knislinge.id}, ANNA)
        assert "Historik" in said(body) or any("Historik" in card_text(c) for r in h.connector.received for c in r.cards)


async def test_english_locale(demo: Store) -> None:
    async with running(demo) as h:
        text = card_text(only_card(await h.ask("mina aktiviteter", locale="en-US")))
        assert "My activities" in text and "sensitive personal details" in text
        text = card_text(only_card(await h.ask("board Förskolan Humlan", locale="en-US")))
        assert "Board – Förskolan Humlan" in text and "To do (" in text and "OVERDUE" in text


async def test_who_is_responsible_for_an_activity(demo_both: Store) -> None:
    """"vem är ansvarig för lärplattor?" names the owner, where the activity is and how it goes — for anyone
    (handlingsplaner are public): Anna finds it among her enhet's, Fatima (another enhet) in the whole year. A
    chance likeness in the whole year is no answer; a number names the activity; English answers in English."""
    tablets = await activity(demo_both, "Lärplattor på varje avdelning")
    async with running(demo_both) as h:
        # Erik owns "Lärplattform för distansstudier": his own come first for a report, not for this question
        for who in (ANNA, FATIMA, STRANGER, ERIK):
            card = only_card(await h.ask("vem är ansvarig för lärplattor?", who))
            text = card_text(card)
            assert "Lärplattor på varje avdelning" in text and "Ansvarig: Bo Berg" in text, who
            assert "Förskolan Humlan" in text and f"nr {tablets.id}" in text and "Exempeldata" in text
            verbs = {a["verb"]: a["data"] for a in card["actions"]}
            assert verbs["activity.history"] == {"id": tablets.id} and verbs["board.show"]["unit"]
        by_number = card_text(only_card(await h.ask(f"vem äger nr {tablets.id}", FATIMA)))
        assert "Ansvarig: Bo Berg" in by_number
        assert "hittade ingen aktivitet" in card_text(only_card(await h.ask("vem är ansvarig för blomkål?", FATIMA)))
        assert "ingen aktivitet med nummer 99999" in card_text(only_card(await h.ask("vem äger nr 99999")))
        english = card_text(only_card(await h.ask("who is responsible for lärplattor?", locale="en-US")))
        assert "Owner: Bo Berg" in english and "in progress" in english.lower()


async def test_an_undone_change_takes_its_comment_with_it(demo_both: Store) -> None:
    """Anna reported "lärplattor 60 % fyra av fem klara" and undid it: the % went back, but "Senaste kommentar"
    still said "fyra av fem klara" beside 40 %, hiding Bo's own comment. It is Bo's again (both databases)."""
    async with running(demo_both) as h:
        before = card_text(only_card(await h.ask("mina aktiviteter", BO)))
        assert "Tre av fem avdelningar klara." in before
        assert "fyra av fem klara" in card_text(only_card(await h.ask("lärplattor 60 % fyra av fem klara")))
        assert "fyra av fem klara" in card_text(only_card(await h.ask("mina aktiviteter", BO)))
        await h.ask("ångra")
        after = card_text(only_card(await h.ask("mina aktiviteter", BO)))
        assert "fyra av fem klara" not in after and "Tre av fem avdelningar klara." in after


async def test_a_percentage_at_the_status_question_is_how_far_it_has_come(demo: Store) -> None:
    """Anna answered "50" at "Vilken status har …?" and was asked again and again. A % there is the progress
    (Pågår; 100 % Klar where she may, 0 % Ej påbörjad), and the % question is skipped."""
    digital = await activity(demo, "Digital introduktion för nyanställda")
    async with running(demo) as h:
        await h.ask("rapportera")
        assert "Vilken status har" in card_text(only_card(await h.ask("1")))
        assert "kommentar" in card_text(only_card(await h.ask("80 %")))
        confirm = card_text(only_card(await h.ask("nej")))
        assert "60 % → 80 %" in confirm
        assert "Sparat" in card_text(only_card(await h.ask("ja")))
        await h.ask("rapportera")
        await h.ask("1")
        retry = card_text(only_card(await h.ask("kanske")))
        assert "eller hur långt den har kommit (t.ex. 60 %)" in retry
        await h.ask("avbryt")
    after = await activity(demo, "Digital introduktion för nyanställda")
    assert (after.progress, after.status, after.version) == (80, "pagar", digital.version + 1)
