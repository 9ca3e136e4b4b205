"""``ALLOWED_TENANT_IDS`` end to end: another organisation's activities are refused politely, logged, and
nothing of the kommun is stored for them or sent to them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from settings import Settings
from storage.db import Store
from storage.models import BotState, Conversation
from tests.support.harness import TENANT, Harness, User, card_text, running

FOREIGN = "99999999-8888-4777-8666-555555555555"
OTHER_ALLOWED = "11111111-2222-4333-8444-555555555555"
MALLORY = User("Mallory Främling", "ffffffff-1111-4222-8333-444444444444")


def allow(*tenants: str) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
                    allowed_tenant_ids=" , ".join(tenants) + " ,")


def from_tenant(activity: dict[str, Any], tenant: str | None) -> dict[str, Any]:
    """The activity as if sent from ``tenant`` (channelData.tenant.id is what Tavla reads)."""
    data = activity.setdefault("channelData", {})
    if tenant is None:
        data.pop("tenant", None)
    else:
        data["tenant"] = {"id": tenant}
    activity["conversation"]["tenantId"] = tenant
    return activity


async def counts(store: Store) -> tuple[int, int]:
    async with store.session() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        state = await session.scalar(select(func.count()).select_from(BotState))
    return int(conversations or 0), int(state or 0)


async def foreign_conversations(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.tenant_id == FOREIGN)) or 0)


def test_the_allow_list_is_read_from_a_comma_separated_setting() -> None:
    assert allow(TENANT, OTHER_ALLOWED).tenant_allowlist == frozenset({TENANT, OTHER_ALLOWED})
    assert Settings(allowed_tenant_ids="").tenant_allowlist == frozenset()


async def test_a_message_from_another_tenant_is_refused_politely_and_logged(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    async with running(store, allow(TENANT, OTHER_ALLOWED)) as h:
        before = await counts(store)
        with caplog.at_level(logging.WARNING, logger="tavla.bot"):
            status, _ = await h.post(from_tenant(h.message("budget kvar äldreomsorg", MALLORY), FOREIGN))
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert len(got) == 1
        reply = got[0]
        assert reply.cards == [] and reply.body.get("attachments") in (None, [])
        assert reply.text == "Den här Tavla-installationen tillhör en annan organisation och kan inte användas härifrån."
        assert "150" not in reply.text and "tkr" not in reply.text
        refused = [r for r in caplog.records if "foreign tenant" in r.getMessage()]
        assert refused and FOREIGN in refused[0].getMessage()
        assert "äldreomsorg" not in caplog.text  # what Mallory wrote is not logged
        assert await counts(store) == before
        assert await foreign_conversations(store) == 0


async def test_the_refusal_is_in_english_for_an_english_client(sqlite_store: Store) -> None:
    async with running(sqlite_store, allow(TENANT)) as h:
        await h.post(from_tenant(h.message("status frisknärvaro", MALLORY, locale="en-GB"), FOREIGN))
        got = await h.connector.wait_for(1)
        assert got[0].text.startswith("This Tavla installation belongs to another organisation")


async def test_install_card_action_and_search_from_another_tenant_get_nothing(store: Store) -> None:
    async with running(store, allow(TENANT)) as h:
        before = await counts(store)
        # installed in a foreign team: no welcome, no stored reference (so never a digest there)
        status, _ = await h.post(from_tenant(h.installed_in_team(MALLORY), FOREIGN))
        assert status in (200, 201)
        status, _ = await h.post(from_tenant(h.installed_personal(MALLORY), FOREIGN))
        assert status in (200, 201)
        # a card button pressed in a foreign tenant: an error instead of a card
        status, body = await h.post(from_tenant(h.action("help", {}, MALLORY), FOREIGN))
        assert status == 403 and body["type"] == "application/vnd.microsoft.error"
        assert "annan organisation" in body["value"]["message"]
        # the compose-box search: no results
        search = from_tenant(h.message("x", MALLORY), FOREIGN)
        search.update(type="invoke", name="composeExtension/query",
                      value={"commandId": "sok", "parameters": [{"name": "sokord", "value": "äldreomsorg"}]})
        status, body = await h.post(search)
        assert status == 403 and "Äldreomsorg" not in json.dumps(body, ensure_ascii=False)
        assert h.connector.received == []
        assert await counts(store) == before


async def test_an_activity_without_a_tenant_is_refused_when_a_list_is_set(sqlite_store: Store) -> None:
    async with running(sqlite_store, allow(TENANT)) as h:
        before = await counts(sqlite_store)
        await h.post(from_tenant(h.message("hjälp"), None))
        got = await h.connector.wait_for(1)
        assert got[0].cards == [] and "annan organisation" in got[0].text
        assert await counts(sqlite_store) == before


async def test_only_channel_data_counts_not_the_conversation_field(sqlite_store: Store) -> None:
    async with running(sqlite_store, allow(TENANT)) as h:
        spoofed = from_tenant(h.message("hjälp", MALLORY), FOREIGN)
        spoofed["conversation"]["tenantId"] = TENANT  # looks allowed, is not
        await h.post(spoofed)
        got = await h.connector.wait_for(1)
        assert got[0].cards == []


async def _answers_normally(h: Harness, tenant: str) -> None:
    before = len(h.connector.received)
    await h.post(from_tenant(h.message("hjälp"), tenant))
    got = await h.connector.wait_for(before + 1)
    assert "Det här kan du fråga Tavla" in card_text(got[before].cards[0])


async def test_allowed_tenants_are_served_and_remembered(store: Store) -> None:
    async with running(store, allow(TENANT, OTHER_ALLOWED)) as h:
        before, _ = await counts(store)
        await _answers_normally(h, TENANT)
        assert (await counts(store))[0] == before + 1
        other = from_tenant(h.message("hjälp", MALLORY), OTHER_ALLOWED)
        await h.post(other)
        got = await h.connector.wait_for(2)
        assert got[1].cards, "the second allowed tenant gets the help card"


async def test_without_a_list_every_tenant_is_served(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        await _answers_normally(h, FOREIGN)
