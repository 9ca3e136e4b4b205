"""A burst of user turns while the Bot Connector refuses one send in five (429 with and without Retry-After,
503): every reply is delivered, exactly once, to the right conversation.

The single-send rules (which statuses are retried, Retry-After, timeouts, 400/403/404 never retried) are
tested in tests/bot/test_outbound.py; this is the cross-cutting scenario over HTTP with the real app.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any

from storage.db import Store
from tests.resilience.support import watching_bugs
from tests.support.connector import FakeConnector, Received
from tests.support.harness import User, card_text, running

TURNS = 50
FAIL_SHARE = 5  # one conversation in five has its first send refused
BURST_TIMEOUT_S = 45.0
FAULTS = ((429, 0.3), (503, None), (429, None))  # (status, Retry-After seconds or none)


def refuse_first_send(connector: FakeConnector, conversations: set[str]) -> list[int]:
    """Queue a fault (``fail_next``) for the first send to each of ``conversations``; the statuses used."""
    original = connector._fault_response  # noqa: SLF001 - wrapping the connector's own fault hook
    refused: set[str] = set()
    statuses: list[int] = []
    kinds = itertools.cycle(FAULTS)

    async def fault(record: Received) -> Any:
        if record.conversation_id in conversations and record.conversation_id not in refused:
            refused.add(record.conversation_id)
            status, retry_after = next(kinds)
            statuses.append(status)
            connector.fail_next(status, retry_after=retry_after)
        return await original(record)

    connector._fault_response = fault  # type: ignore[method-assign]  # noqa: SLF001
    return statuses


async def test_burst_with_refused_sends_delivers_every_reply_once(sqlite_store: Store) -> None:
    users = [User(f"Användare {i}", f"eeeeeeee-0000-4000-8000-{i:012d}") for i in range(TURNS)]
    conversations = [f"a:personal-{u.aad}" for u in users]
    async with running(sqlite_store) as h:
        statuses = refuse_first_send(h.connector, set(conversations[::FAIL_SHARE]))
        with watching_bugs() as bugs:
            results = await asyncio.wait_for(
                asyncio.gather(*(h.post(h.message("hjälp", u)) for u in users)), BURST_TIMEOUT_S)
        assert all(status in (200, 201) for status, _ in results), results
        assert len(statuses) == TURNS // FAIL_SHARE and set(statuses) == {429, 503}
        assert len(h.connector.rejected) == TURNS // FAIL_SHARE  # 20 % of first sends were refused
        delivered = Counter(r.conversation_id for r in h.connector.received if r.method == "POST")
        assert delivered == Counter(conversations), {c: n for c, n in delivered.items() if n != 1}
        for r in h.connector.received:
            assert "Det här kan du fråga Tavla" in card_text(r.cards[0])
    assert bugs.lines() == []


async def test_card_action_whose_message_cannot_be_delivered_still_gets_an_answer(sqlite_store: Store) -> None:
    """A button whose answer is a new message (here: Hjälp) while the connector refuses it for good (403):
    the press itself must still be answered (HTTP 200), or Teams shows an error on the card."""
    async with running(sqlite_store) as h:
        h.connector.fail_next(403, code="BotNotInConversationRoster")
        status, body = await asyncio.wait_for(h.post(h.action("help", {})), 20)
        assert status == 200, (status, body)
        assert body["value"] == "Tillfälligt fel, försök igen om en liten stund."
        assert h.connector.received == []
        got = await h.ask("hjälp")  # and the next turn is delivered normally
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])
