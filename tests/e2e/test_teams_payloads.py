"""The real JSON Teams sends (../shared/teams-payloads), POSTed as-is but for ids and serviceUrl:
each reaches the right handler and gets the right answer on the local connector."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storage.db import Store
from tests.conftest import need_shared
from tests.resilience.support import watching_bugs
from tests.support.harness import card_text, running

pytestmark = pytest.mark.shared


def payload(name: str, service_url: str) -> dict[str, Any]:
    data = json.loads(need_shared("teams-payloads", name).read_text(encoding="utf-8"))
    data["serviceUrl"] = service_url
    return data


async def test_install_in_team_welcomes_in_channel(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        status, _ = await h.post(payload("conversationUpdate-membersAdded-bot-installed-in-team.json", h.connector.url))
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert got[0].conversation_id == "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"
        assert "Hej! Jag är Tavla" in card_text(got[0].cards[0])
        # the installationUpdate Teams sends alongside does not welcome twice
        status, _ = await h.post(payload("installationUpdate-add-team.json", h.connector.url))
        assert status in (200, 201) and len(h.connector.received) == 1


async def test_a_person_added_to_the_team_is_not_looked_up_and_gets_no_welcome(sqlite_store: Store) -> None:
    """The SDK fetched each added member from the connector and failed the turn (500) when it was unknown there."""
    async with running(sqlite_store) as h:
        await h.post(payload("conversationUpdate-membersAdded-bot-installed-in-team.json", h.connector.url))
        await h.connector.wait_for(1)
        with watching_bugs() as bugs:
            activity = payload("conversationUpdate-membersAdded-bot-installed-in-team.json", h.connector.url)
            activity["membersAdded"] = [{"id": "29:someone-new"}]  # a person, not the bot; the connector lacks them
            status, _ = await h.post(activity)
            assert status in (200, 201)
            activity["recipient"]["id"] = "0"  # or the bot's own id garbled: still nobody to look up
            activity["membersAdded"] = [{"id": "28:608cacfd-1cea-40c9-b678-4b93e69bb72b"}]
            status, _ = await h.post(activity)
            assert status in (200, 201)
        assert bugs.lines() == []
        assert len(h.connector.received) == 1  # the one welcome, from the install


async def test_install_personal_welcomes(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        activity = payload("conversationUpdate-membersAdded-bot-installed-personal.json", h.connector.url)
        bot_id = activity["membersAdded"][0]["id"]
        activity["recipient"]["id"] = bot_id  # the doc sample elides the bot id differently in two places
        activity["conversation"]["id"] = "a:personal-doc-sample"
        user = activity["membersAdded"][1]
        h.connector.add_member(user["id"], "Doc User", "11111111-2222-3333-4444-555555555555")
        status, _ = await h.post(activity)
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert "Hej! Jag är Tavla" in card_text(got[0].cards[0])


async def test_personal_message_swedish_by_default_english_for_english_locale(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        activity = payload("message-personal-1to1.json", h.connector.url)  # no locale in this recording
        activity["text"] = "help"
        await h.post(activity)
        got = await h.connector.wait_for(1)
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])
        activity = payload("message-personal-1to1.json", h.connector.url)
        activity.update(text="help", locale="en-US")
        await h.post(activity)
        got = await h.connector.wait_for(2)
        assert "What you can ask Tavla" in card_text(got[1].cards[0])


async def test_channel_mention_from_both_recordings_is_stripped(sqlite_store: Store) -> None:
    for name in ("message-channel-mention.teams-net.json", "message-channel-mention.vercel-chat.json"):
        async with running(sqlite_store) as h:
            activity = payload(name, h.connector.url)
            mention = next(e for e in activity["entities"] if e["type"] == "mention")["text"]
            activity["text"] = f"{mention} hjälp"
            activity["locale"] = "sv-SE"
            await h.post(activity)
            got = await h.connector.wait_for(1)
            assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0]), name


async def test_action_submit_with_unknown_data_gets_a_clear_message(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        activity = payload("message-Action.Submit-value.channel.json", h.connector.url)
        activity["locale"] = "sv-SE"
        status, _ = await h.post(activity)
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert "knappen känner jag inte igen" in card_text(got[0].cards[0])


async def test_reaction_is_ignored_politely(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        status, _ = await h.post(payload("messageReaction-like.channel.json", h.connector.url))
        assert status in (200, 201)
        assert h.connector.received == []


async def test_action_execute_invoke_answers_200_not_500(sqlite_store: Store) -> None:
    """The SDK's own path answers 500 here (botbuilder-python#2235); ours answers 200 with a message."""
    async with running(sqlite_store) as h:
        status, body = await h.post(payload("invoke-adaptiveCard-action-Action.Execute.personal.json", h.connector.url))
        assert status == 200
        assert body["statusCode"] == 200
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert "button" in body["value"]  # en-US recording: "I no longer recognise that button…"
        assert h.connector.received == []  # the pressed card stays; nothing posted to the chat


async def test_action_execute_with_known_verb_returns_the_replacing_card(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        activity = payload("invoke-adaptiveCard-action-Action.Execute.personal.json", h.connector.url)
        activity["value"]["action"].update(verb="ask", data={"text": "hjälp"})
        activity["locale"] = "sv-SE"
        status, body = await h.post(activity)
        assert status == 200 and body["statusCode"] == 200
        # "ask" answers like a typed question: the help card arrives as a message
        got = await h.connector.wait_for(1)
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])


async def test_compose_extension_query_answers_200(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        status, body = await h.post(payload("invoke-composeExtension-query.json", h.connector.url))
        assert status == 200
        assert isinstance(body, dict)
