"""The first conversation over HTTP: install → welcome, "hjälp" → help, @mention stripped, bad bodies."""

from __future__ import annotations

import json

from sqlalchemy import select

from settings import Settings
from storage.db import Store
from storage.models import Conversation
from tests.support.harness import running, card_text


async def test_install_in_team_sends_one_welcome_and_stores_reference(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        status, _ = await h.post(h.installed_in_team())
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert len(got) == 1
        text = card_text(got[0].cards[0])
        assert "Hej! Jag är Tavla" in text
        assert "status" in text and "budget" in text.lower()
        # Teams sends installationUpdate too: still one welcome.
        activity = h.installed_in_team()
        activity.update(type="installationUpdate", action="add")
        activity.pop("membersAdded")
        await h.post(activity)
        assert len(h.connector.received) == 1
        url = h.connector.url
    async with sqlite_store.session() as s:
        row = (await s.execute(select(Conversation))).scalar_one()
    assert row.installed and row.service_url == url
    assert row.reference["conversation"]["id"] == row.conversation_id


async def test_help_in_personal_chat_swedish_and_english(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        got = await h.ask("hjälp")
        assert len(got) == 1 and "Det här kan du fråga Tavla" in card_text(got[0].cards[0])
        examples = [a["data"]["text"] for a in got[0].cards[0].get("actions", [])]
        assert examples[0] == "status frisknärvaro", examples  # the example everyone knows, not "status nri"
        assert "Kommunchef" not in card_text(got[0].cards[0])  # an enhet that sounds like a workplace
        got = await h.ask("help", locale="en-US")
        assert "What you can ask Tavla" in card_text(got[0].cards[0])


async def test_thanks_gets_a_short_answer(sqlite_store: Store) -> None:
    """"tack!" was "Jag förstod inte det här", and a thumbs-up got the whole help card."""
    async with running(sqlite_store) as h:
        for typed in ("tack!", "Tack så mycket", "👍"):
            got = await h.ask(typed)
            assert len(got) == 1 and "Varsågod!" in (got[0].text or "") + "".join(card_text(c) for c in got[0].cards), typed
        got = await h.ask("thanks", locale="en-US")
        assert "You're welcome!" in (got[0].text or "") + "".join(card_text(c) for c in got[0].cards)


async def test_help_in_a_year_without_budget_lines_lists_each_example_once(sqlite_store: Store) -> None:
    """Shown on a date after the seed's year, the help card listed "budget totalt" twice."""
    settings = Settings(database_url="sqlite+aiosqlite:///unused", as_of="2026-11-27", scheduler=False)
    async with running(sqlite_store, settings) as h:
        got = await h.ask("hjälp")
        card = got[0].cards[0]
        shown = [line for b in _walk(card) if b.get("type") == "TextBlock"
                 for line in str(b.get("text", "")).splitlines() if line.startswith("- ")]
        assert len(shown) > 8 and len(shown) == len(set(shown)), shown
        assert "- ”budget totalt”" in shown


def _walk(node: object) -> list[dict[str, object]]:
    if isinstance(node, dict):
        return [node, *(x for v in node.values() for x in _walk(v))]
    if isinstance(node, list):
        return [x for v in node for x in _walk(v)]
    return []


async def test_channel_mention_is_stripped(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        got = await h.ask("hjälp?", channel=True)
        assert len(got) == 1
        assert got[0].conversation_id.startswith("19:")
        text = card_text(got[0].cards[0])
        assert "Det här kan du fråga Tavla" in text
        assert "@Tavla" in text  # the channel hint


async def test_unknown_text_gets_not_understood_with_suggestions(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        got = await h.ask("blomkål och potatis")
        text = card_text(got[0].cards[0])
        assert "Jag förstod inte" in text
        assert "blomkål och potatis" in text
        assert "Visa hjälp" in text
        # Random letters get no guesses; a near miss of a real name does.
        card = (await h.ask("asdf qwerty"))[0].cards[0]
        text = card_text(card)
        assert "Jag förstod inte" in text and "Menade du" not in text
        # …but "Prova till exempel:" with questions this kommun's catalogue answers, each understood
        examples = [a["data"]["text"] for a in card["actions"] if a.get("verb") == "ask"][:-1]  # the last: help
        assert "Prova till exempel:" in text and examples == [
            "status frisknärvaro", "budget kvar familj och utbildning", "mina aktiviteter"], examples
        for question in examples:
            answer = "\n".join(card_text(c) for r in await h.ask(question) for c in r.cards)
            assert "Jag förstod inte" not in answer, (question, answer)
        card = (await h.ask("qwerty uiop", locale="en-US"))[0].cards[0]
        examples = [a["data"]["text"] for a in card["actions"] if a.get("verb") == "ask"][:-1]
        assert "Try for example:" in card_text(card) and examples[-1] == "my activities", examples
        for question in examples:
            answer = "\n".join(card_text(c) for r in await h.ask(question, locale="en-US") for c in r.cards)
            assert "I didn't understand" not in answer, (question, answer)
        text = card_text((await h.ask("grundskolorna tack"))[0].cards[0])
        assert "Menade du" in text and "budget Grundskola" in text, text


async def test_bad_bodies_get_400_and_server_stays_up(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        for body in (b"not json", b"[1,2]", b"{}", json.dumps({"type": 5}), json.dumps({"type": "message",
                                                                                        "from": "x"})):
            status, _ = await h.post(body)
            assert status == 400, body
        status, _ = await h.post({"type": "somethingNew", "id": "1", "serviceUrl": h.connector.url,
                                  "channelId": "msteams", "conversation": {"id": "c1"},
                                  "from": {"id": "u"}, "recipient": {"id": "b"}})
        assert status in (200, 201)
        assert h.connector.received == []
        got = await h.ask("hej")
        assert len(got) == 1
        async with h.http.get(f"{h.base_url}/healthz") as resp:
            assert resp.status == 200


async def test_odd_teams_channel_data_fails_only_where_the_sdk_reads_it(sqlite_store: Store) -> None:
    """The SDK deserialises channelData for conversation updates (a malformed one is refused, 400); a message's
    it never reads, and Tavla reads it field by field, so a message with a team that is a number is answered."""
    async with running(sqlite_store) as h:
        odd = {"team": 5, "tenant": "x", "channel": [1]}
        update = h.installed_in_team()
        update["channelData"] = odd
        status, _ = await h.post(update)
        assert status == 400
        message = h.message("hjälp")
        message["channelData"] = odd
        status, _ = await h.post(message)
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])


async def test_two_first_messages_of_a_new_conversation_at_once_are_both_answered(store: Store) -> None:
    """Both turns try to store the new conversation; the one that loses the race must not become a 500."""
    import asyncio

    async with running(store) as h:
        conversation = {"conversationType": "personal", "tenantId": "t", "id": "a:race-conversation"}
        results = await asyncio.gather(*(h.post(h.message("hej", conversation=conversation)) for _ in range(4)))
        assert all(status in (200, 201) for status, _ in results), results
        await h.connector.wait_for(4)
    async with store.session() as s:
        rows = (await s.execute(select(Conversation).where(Conversation.conversation_id == "a:race-conversation"))).scalars().all()
    assert len(rows) == 1


async def test_every_example_on_the_help_card_is_understood(sqlite_store: Store) -> None:
    """The help card only suggests questions Tavla answers: none of them gets "Jag förstod inte"."""
    from storage.demo import seed_demo
    from datetime import date

    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        got = await h.ask("hjälp")
        card = got[0].cards[0]
        examples = [line.strip("- ”“") for block in card["body"] if block.get("type") == "TextBlock"
                    for line in block["text"].splitlines() if line.startswith("- ”")]
        buttons = [a["data"]["text"] for a in card.get("actions", []) if a.get("verb") == "ask"]
        assert len(examples) >= 12 and buttons
        for question in examples + buttons:
            replies = await h.ask(question)
            assert replies, question
            text = "\n".join(card_text(c) for r in replies for c in r.cards) + "\n".join(r.text for r in replies)
            assert "Jag förstod inte" not in text, question
        got = await h.ask("help", locale="en-US")
        for action in got[0].cards[0].get("actions", []):
            replies = await h.ask(action["data"]["text"], locale="en-US")
            text = "\n".join(card_text(c) for r in replies for c in r.cards)
            assert "I didn't understand" not in text, action["data"]["text"]
