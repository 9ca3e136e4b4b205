"""The outbound path over real HTTP: Tavla's app, the local connector as serviceUrl, faults injected.

Retries (429 with Retry-After, 503), the typed outcomes (``DeliveryFailed`` / ``DeliveryUncertain``), what a
user turn does when its reply cannot be delivered, connector-client reuse, PUT/DELETE over the shared
session, proactive sends through ``continue_conversation``, Teams' rate windows, and the wire JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
import time
from decimal import Decimal
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    Entity,
    HeroCard,
    Mention,
    SuggestedActions,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from sqlalchemy import select

from app import ADAPTER
from bot.outbound import (
    DeliveryFailed,
    DeliveryUncertain,
    Outbound,
    SendPolicy,
    activities_url,
    activity_json,
    retry_after_seconds,
)
from bot.proactive import send_proactive
from bot.ratelimit import OutboundLimiter
from settings import Settings
from storage.db import Store
from storage.models import Conversation
from tests.support.harness import ANNA, BOT, CHANNEL_ID, TENANT, Harness, card_text, running

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Veckans sammanfattning"}]}


def fast_settings(**overrides: Any) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
                    outbound_timeout_s=0.5, outbound_budget_s=6.0, **overrides)


def reference(h: Harness, conversation_id: str | None = None) -> dict[str, Any]:
    return {
        "activityId": None, "user": ANNA.account, "bot": dict(BOT), "channelId": "msteams",
        "serviceUrl": h.connector.url, "locale": "sv-SE",
        "conversation": {"id": conversation_id or f"a:personal-{ANNA.aad}", "conversationType": "personal",
                         "tenantId": TENANT},
    }


def outbound_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tavla.outbound" and r.levelno >= logging.WARNING]


# --- retries in a user turn -------------------------------------------------------------------------


async def test_429_with_retry_after_then_ok_delivers_exactly_once(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(429, retry_after=1)
        started = time.monotonic()
        got = await h.ask("hej")
        elapsed = time.monotonic() - started
        assert len(got) == 1 and len(h.connector.received) == 1
        assert len(h.connector.rejected) == 1
        assert elapsed >= 1.0  # Retry-After honoured
        assert elapsed < 3.0


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_status_twice_then_ok_delivers_once(sqlite_store: Store, status: int) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(status, 2)
        got = await h.ask("hej")
        assert len(got) == 1 and len(h.connector.received) == 1
        assert len(h.connector.rejected) == 2 and not h.connector.faults


async def test_throttling_is_bounded_by_the_budget_not_the_attempt_count(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(429, 5, retry_after=0.1)  # more 429s than SendPolicy.max_attempts
        message_id = await send_proactive(h.app[ADAPTER], reference(h), CARD, "")
        assert [r.body.get("id") for r in h.connector.received] == [message_id]
        assert len(h.connector.rejected) == 5


async def test_503_exhausted_is_failed_and_the_turn_survives(sqlite_store: Store,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    async with asyncio.timeout(30), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(503, 10)
        got = await h.ask("hej")
        assert got == []
        assert len(h.connector.rejected) == 4  # SendPolicy.max_attempts
        warnings = outbound_warnings(caplog)
        assert len(warnings) == 1 and "status=503" in warnings[0].getMessage()
        h.connector.faults.clear()
        assert len(await h.ask("hej")) == 1


async def test_reply_slower_than_the_timeout_is_uncertain_and_not_retried(
        sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(201, delay=1.5)  # the connector answers, but only after 1.5 s (> 0.5 s)
        started = time.monotonic()
        status, _ = await h.post(h.message("hej"))
        assert status == 201  # the user turn ends normally: no 500, no crash
        assert time.monotonic() - started < 1.4
        await asyncio.sleep(1.3)
        # One POST only (it took the fault); a retry would have been delivered — and could post twice.
        assert not h.connector.faults and h.connector.received == []
        warnings = outbound_warnings(caplog)
        assert len(warnings) == 1
        assert "perhaps delivered" in warnings[0].getMessage() and "code=Timeout" in warnings[0].getMessage()
        # The server keeps answering.
        assert len(await h.ask("hej")) == 1


async def test_uncertain_is_raised_to_a_proactive_caller(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        adapter = h.app[ADAPTER]
        h.connector.fail_next(201, delay=1.5)
        with pytest.raises(DeliveryUncertain) as info:
            await send_proactive(adapter, reference(h), CARD, "")
        assert info.value.code == "Timeout" and info.value.attempts == 1
        h.connector.fail_next(500)
        with pytest.raises(DeliveryUncertain) as info:
            await send_proactive(adapter, reference(h), CARD, "")
        assert info.value.status == 500 and info.value.attempts == 1


@pytest.mark.parametrize(("status", "code"), [
    (400, "BadArgument"),
    (401, "BotNotRegistered"),
    (403, "BotNotInConversationRoster"),
    (403, "ConversationBlockedByUser"),
    (404, "ConversationNotFound"),
    (413, "MessageSizeTooBig"),
])
async def test_client_errors_are_not_retried_and_logged_once(sqlite_store: Store, caplog: pytest.LogCaptureFixture,
                                                             status: int, code: str) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(status, code=code)
        http_status, _ = await h.post(h.message("hej"))
        assert http_status == 201
        assert h.connector.received == [] and len(h.connector.rejected) == 1  # not retried
        mentioning = [r for r in caplog.records if code in r.getMessage()]
        assert len(mentioning) == 1, [r.getMessage() for r in caplog.records]
        assert f"status={status}" in mentioning[0].getMessage()
        assert mentioning[0].levelno == logging.WARNING
        # The next turn is answered.
        assert len(await h.ask("hej")) == 1


async def test_client_error_reaches_a_proactive_caller_as_failed(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(403, code="BotNotInConversationRoster")
        with pytest.raises(DeliveryFailed) as info:
            await send_proactive(h.app[ADAPTER], reference(h), CARD, "")
        assert (info.value.status, info.value.code) == (403, "BotNotInConversationRoster")


async def test_a_long_retry_after_fails_at_once_with_the_delay(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        h.connector.fail_next(429, retry_after=120)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed) as info:
            await send_proactive(h.app[ADAPTER], reference(h), CARD, "")
        assert time.monotonic() - started < 1.0
        assert info.value.status == 429 and info.value.retry_after == pytest.approx(120)


async def test_unreachable_service_is_failed_within_the_budget() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused
    outbound = Outbound(policy=SendPolicy(attempt_timeout=0.5, budget=3.0, backoff_base=0.1))
    try:
        async with asyncio.timeout(10):
            started = time.monotonic()
            with pytest.raises(DeliveryFailed) as info:
                await outbound.send("POST", activities_url(f"http://127.0.0.1:{port}/", "a:1"), body=b"{}",
                                    conversation_id="a:1")
            assert time.monotonic() - started < 3.5
        assert info.value.code == "ConnectFailed" and info.value.attempts == 4  # refused before sending: retried
    finally:
        await outbound.close()


# --- the shared path ---------------------------------------------------------------------------------


async def test_connector_clients_are_reused_across_turns(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    created = []
    original = ConnectorClient.__init__

    def counting(self: ConnectorClient, *args: Any, **kwargs: Any) -> None:
        created.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ConnectorClient, "__init__", counting)
    async with asyncio.timeout(30), running(sqlite_store, fast_settings()) as h:
        for _ in range(10):
            assert len(await h.ask("hej")) == 1
        assert len(await h.ask("hjälp", channel=True)) == 1
        await send_proactive(h.app[ADAPTER], reference(h), CARD, "")
        assert len(created) == 1
        assert h.app[ADAPTER].auth.clients_created == 1


async def test_teams_ids_are_percent_encoded_and_arrive_intact(sqlite_store: Store) -> None:
    conversation = f"{CHANNEL_ID};messageid=1759881511856"
    assert activities_url("https://smba.trafficmanager.net/emea/", conversation, "1:x@y=z") == (
        "https://smba.trafficmanager.net/emea/v3/conversations/"
        "19%3A6848757105754c8981c67612732d9aa7%40thread.tacv2%3Bmessageid%3D1759881511856/activities/1%3Ax%40y%3Dz")
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        got = await h.ask("hjälp", channel=True)
        assert [r.conversation_id for r in got] == [conversation]
        assert got[0].activity_id == h.sent[-1]["id"]  # a reply to the user's message


async def test_update_and_delete_go_over_the_shared_session(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        adapter = h.app[ADAPTER]
        message_id = await send_proactive(adapter, reference(h), CARD, "")
        assert message_id.startswith("msg-")
        requests_before = adapter.outbound.requests

        async def update_then_delete(turn_context: TurnContext) -> None:
            updated = MessageFactory.attachment(CardFactory.adaptive_card(
                {**CARD, "body": [{"type": "TextBlock", "text": "Uppdaterad"}]}))
            updated.id = message_id
            response = await turn_context.update_activity(updated)
            assert response is not None and response.id == message_id
            await turn_context.delete_activity(message_id)

        ref = ConversationReference().deserialize(reference(h))
        await adapter.continue_conversation(ref, update_then_delete, bot_app_id=None)
        put, delete = h.connector.received[-2:]
        assert (put.method, put.activity_id) == ("PUT", message_id)
        assert "Uppdaterad" in card_text(put.cards[0])
        assert (delete.method, delete.activity_id) == ("DELETE", message_id)
        assert adapter.outbound.requests == requests_before + 2


async def test_put_is_retried_after_an_ambiguous_500(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        adapter = h.app[ADAPTER]

        async def update(turn_context: TurnContext) -> None:
            updated = MessageFactory.text("ny text")
            updated.id = "msg-1"
            await turn_context.update_activity(updated)

        h.connector.fail_next(500)
        await adapter.continue_conversation(ConversationReference().deserialize(reference(h)), update)
        assert [r.method for r in h.connector.received] == ["PUT"]  # idempotent: retried, applied once
        assert len(h.connector.rejected) == 1


async def test_proactive_send_returns_the_new_message_id(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        status, _ = await h.post(h.installed_personal())
        assert status in (200, 201)
        h.connector.clear()
        async with sqlite_store.session() as session:
            stored = (await session.execute(select(Conversation.reference).where(
                Conversation.conversation_id == f"a:personal-{ANNA.aad}"))).scalar_one()
        message_id = await send_proactive(h.app[ADAPTER], stored, CARD, "")  # the reference as stored
        assert [r.body.get("id") for r in h.connector.received] == [message_id]
        assert "Veckans sammanfattning" in card_text(h.connector.received[0].cards[0])
        assert h.connector.received[0].body["from"]["id"] == BOT["id"]
        text_id = await send_proactive(h.app[ADAPTER], reference(h), "Hej Anna", "")
        assert text_id != message_id and h.connector.received[-1].text == "Hej Anna"


async def test_a_burst_to_one_conversation_keeps_teams_windows(sqlite_store: Store) -> None:
    async with asyncio.timeout(30), running(sqlite_store, fast_settings(), enforce_rate_limits=True) as h:
        adapter = h.app[ADAPTER]
        ids = await asyncio.gather(*(send_proactive(adapter, reference(h), f"nr {i}", "") for i in range(10)))
        assert len(set(ids)) == 10 and len(h.connector.received) == 10  # each delivered, once
        # Paced at send time: 7 at once, the 8th after 1 s, the 9th and 10th after 2 s.
        sent = list(adapter.outbound.limiter.conversations._history[f"a:personal-{ANNA.aad}"])  # noqa: SLF001
        assert len(sent) == 10 + h.connector.throttled
        for i, t in enumerate(sent):
            assert sum(1 for u in sent[:i] if t - u <= 1.0) < 7 and sum(1 for u in sent[:i] if t - u <= 2.0) < 8
        arrivals = sorted(r.at for r in h.connector.received)
        assert arrivals[-1] - arrivals[0] >= 2.0
        # The service counts arrivals; on a loaded machine a late one can still trip it — then its 429 is
        # honoured (above: nothing lost, nothing twice). Normally there are none.
        assert h.connector.throttled <= 2


async def test_a_reference_without_service_url_is_failed_before_sending(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        bad = reference(h)
        bad["serviceUrl"] = None
        with pytest.raises(DeliveryFailed):
            await send_proactive(h.app[ADAPTER], bad, CARD, "")
        assert h.connector.received == [] and h.connector.rejected == []


# --- pieces ------------------------------------------------------------------------------------------


def test_retry_after_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 1, 5, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds("Mon, 05 Jan 2026 12:00:07 GMT", now=now) == 7.0
    assert retry_after_seconds("Mon, 05 Jan 2026 11:00:00 GMT", now=now) == 0.0  # in the past
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("nan") is None


def _corpus() -> list[Activity]:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": f"Rad {i}: åäö «citat» \u00a0", "wrap": True} for i in range(40)],
        "actions": [{"type": "Action.Execute", "verb": "status", "data": {"id": 7, "x": None, "ok": True}}]}
    reply = MessageFactory.attachment(CardFactory.adaptive_card(card))
    reply.text = "Hej <at>Anna</at>"
    reply.entities = [Mention(mentioned=ChannelAccount(id="29:1", name="Anna"), text="<at>Anna</at>", type="mention"),
                      Entity(type="clientInfo")]
    reply.conversation = ConversationAccount(id=f"{CHANNEL_ID};messageid=1", conversation_type="channel",
                                             is_group=True, tenant_id=TENANT)
    reply.from_property = ChannelAccount(id=BOT["id"], name=BOT["name"])
    reply.recipient = ChannelAccount(id="29:u", name="Anna", aad_object_id=ANNA.aad)
    reply.channel_data = {"tenant": {"id": TENANT}, "notification": {"alert": True}}
    reply.service_url = "https://smba.trafficmanager.net/emea/"
    reply.channel_id = "msteams"
    reply.reply_to_id = "1767765488332"
    reply.locale = "sv-SE"
    reply.timestamp = dt.datetime(2026, 1, 5, 8, 30, 1, 250000, tzinfo=dt.timezone.utc)
    reply.value = {"amount": Decimal("12.5"), "when": dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)}
    hero = MessageFactory.attachment(CardFactory.hero_card(HeroCard(title="t", buttons=[
        CardAction(type="imBack", title="x", value="y")])))
    hero.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="a", value="a")])
    hero.members_added = [ChannelAccount(id="29:2", name="B")]
    text = MessageFactory.text("bara text")
    text.input_hint = "acceptingInput"
    return [reply, hero, text, Activity(type="typing")]


def test_wire_json_is_what_msrest_sends() -> None:
    serializer = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://x").conversations._serialize  # noqa: SLF001
    for activity in _corpus():
        ours = json.loads(activity_json(activity))
        sdk = json.loads(json.dumps(serializer.body(activity, "Activity")))
        assert ours == sdk, activity.type


def test_wire_json_does_not_go_through_msrest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is built from the attribute maps, without msrest's validate-and-reserialise round trip (what
    that saves is a benchmark's business, bench/profile.py; here: that the round trip is not taken)."""
    from msrest.serialization import Model, Serializer

    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("msrest serialisation used")

    expected = [json.loads(activity_json(activity)) for activity in _corpus()]
    monkeypatch.setattr(Model, "serialize", forbidden)
    monkeypatch.setattr(Serializer, "body", forbidden)
    monkeypatch.setattr(Serializer, "_serialize", forbidden)
    assert [json.loads(activity_json(activity)) for activity in _corpus()] == expected


async def test_outbound_limiter_is_shared_by_replies_and_proactive_sends(sqlite_store: Store) -> None:
    async with asyncio.timeout(20), running(sqlite_store, fast_settings()) as h:
        adapter = h.app[ADAPTER]
        assert isinstance(adapter.outbound.limiter, OutboundLimiter)
        for _ in range(3):
            await h.ask("hej")
        for _ in range(4):
            await send_proactive(adapter, reference(h), "x", "")
        conversation = OutboundLimiter.conversation_key(f"a:personal-{ANNA.aad}")
        assert len(adapter.outbound.limiter.conversations._history[conversation]) == 7  # noqa: SLF001
        # The 8th send to the conversation goes only when the first has left the 1 s window.
        await send_proactive(adapter, reference(h), "åttonde", "")
        arrivals = [r.at for r in h.connector.received]
        assert len(arrivals) == 8 and arrivals[7] - arrivals[0] > 1.0
