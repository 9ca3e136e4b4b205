"""Delivering digests against the local connector: 429 with Retry-After, 503, 403/404, timeouts and Teams'
rate limits. Every digest that can be delivered is delivered exactly once; the rest are paused with their
reason (403/404) or recorded as uncertain (never sent twice)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.adapter import build_adapter
from bot.digest_sender import DeliveryPolicy, DigestRunner, ProactiveSender
from followup.clock import Clock
from storage import digest as repo
from storage.db import Store
from storage.models import DigestRun, DigestSubscription
from tests.bot.digest_helpers import AS_OF, MONDAY_0731, channel_id, local_settings, subscribed_channels
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector

FAST = DeliveryPolicy(backoff_base=0.05, backoff_cap=0.5, retry_failed_after=timedelta(0))


def runner(store: Store, adapter: object, **kwargs: object) -> DigestRunner:
    return DigestRunner(store, ProactiveSender(adapter, ""), Clock(AS_OF), policy=kwargs.pop("policy", FAST),
                        rng=random.Random(7), **kwargs)  # type: ignore[arg-type]


async def _states(store: Store) -> dict[int, str]:
    async with store.session() as s:
        return {r.subscription_id: r.state for r in (await s.execute(select(DigestRun))).scalars()}


async def test_retryable_failures_are_retried_and_403_404_pause_with_reason(sqlite_store: Store) -> None:
    async with FakeConnector() as connector:
        subs = await subscribed_channels(sqlite_store, 24, connector.url)
        connector.fail_next(429, 2, retry_after=0.2)
        connector.fail_next(503, 2)
        connector.fail_next(502)
        connector.fail_next(504)
        connector.fail_next(403, code="BotNotInConversationRoster")
        connector.fail_next(404, code="ConversationNotFound")
        connector.fail_next(403, code="ConversationBlockedByUser")
        connector.fail_next(403, code="BotDisabledByAdmin")
        adapter = build_adapter(local_settings())
        try:
            report = await runner(sqlite_store, adapter).run_due(MONDAY_0731)
        finally:
            await adapter.close()  # type: ignore[attr-defined]
        delivered = Counter(r.conversation_id for r in connector.received)
    assert report.due == 24
    reasons = sorted(reason for _, reason in report.paused)
    assert reasons == ["403 BotDisabledByAdmin", "403 BotNotInConversationRoster", "403 ConversationBlockedByUser",
                       "404 ConversationNotFound"]
    assert len(report.sent) == 20 and not report.uncertain and not report.failed
    assert all(n == 1 for n in delivered.values()) and len(delivered) == 20
    paused_ids = {sub for sub, _ in report.paused}
    async with sqlite_store.session() as s:
        rows = {sub.id: sub for sub in (await s.execute(select(DigestSubscription))).scalars()}
    for sub_id in subs:
        if sub_id in paused_ids:
            assert not rows[sub_id].active and rows[sub_id].paused_reason.startswith("delivery:4")
        else:
            assert rows[sub_id].active
    states = await _states(sqlite_store)
    assert Counter(states.values()) == {"sent": 20, "failed": 4}
    for received in connector.received:
        for card in received.cards:
            assert_valid_card(card)
    # A second pass the same day sends nothing more: the paused ones are not due, the sent ones are done.
    async with FakeConnector() as again:
        adapter = build_adapter(local_settings())
        try:
            second = await runner(sqlite_store, adapter).run_due(MONDAY_0731 + timedelta(hours=2))
        finally:
            await adapter.close()  # type: ignore[attr-defined]
        assert again.received == []
    assert second.sent == [] and second.already == 20 and second.due == 20


async def test_rate_limits_of_one_conversation_and_the_app_are_kept(sqlite_store: Store) -> None:
    """10 digests into one channel (ten scopes) and 60 channels: Teams' windows hold, nothing is lost."""
    async with FakeConnector(enforce_rate_limits=True) as connector:
        many = await subscribed_channels(sqlite_store, 1, connector.url, per_conversation=10)
        others = await subscribed_channels(sqlite_store, 60, connector.url, start=1)
        adapter = build_adapter(local_settings())
        try:
            report = await runner(sqlite_store, adapter).run_due(MONDAY_0731)
        finally:
            await adapter.close()  # type: ignore[attr-defined]
        times = sorted(r.at for r in connector.received if r.conversation_id == channel_id(0))
    assert sorted(report.sent) == sorted(many + others)
    assert len(connector.received) == 70 and connector.throttled == 0
    for i in range(len(times)):  # never more than 7 in any second, 8 in any two
        assert sum(1 for t in times[i:] if t - times[i] <= 1.0) <= 7
        assert sum(1 for t in times[i:] if t - times[i] <= 2.0) <= 8


async def test_throttling_429s_are_honoured_without_loss_or_doubles(sqlite_store: Store) -> None:
    """With all client-side limiting off, the service's 429s (Retry-After) do the limiting: nine digests
    into one channel at once break its 7-per-second window; all still arrive, once each."""
    async with FakeConnector(enforce_rate_limits=True) as connector:
        subs = await subscribed_channels(sqlite_store, 1, connector.url, per_conversation=9)
        subs += await subscribed_channels(sqlite_store, 20, connector.url, start=1)
        adapter = build_adapter(local_settings(outbound_rate_limit=False))
        try:
            report = await runner(sqlite_store, adapter, pace=False).run_due(MONDAY_0731)
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert connector.throttled > 0  # the service did push back
    assert sorted(report.sent) == sorted(subs) and not report.uncertain and not report.failed
    assert Counter(r.conversation_id for r in connector.received) == {channel_id(0): 9} | {
        channel_id(i): 1 for i in range(1, 21)}
    assert len({_subscription_of(r.cards[0]) if r.cards else r.text for r in connector.to(channel_id(0))}) == 9


def _subscription_of(card: dict) -> int:
    return card["actions"][0]["data"]["subscription_id"]


async def test_unknown_outcome_is_uncertain_listed_and_never_repeated(sqlite_store: Store) -> None:
    async with FakeConnector() as connector:
        subs = await subscribed_channels(sqlite_store, 3, connector.url)
        connector.fail_next(201, 1, delay=1.5)  # answers after the client has given up
        adapter = build_adapter(local_settings(outbound_timeout_s=0.4))
        try:
            report = await runner(sqlite_store, adapter, policy=DeliveryPolicy(concurrency=1)).run_due(MONDAY_0731)
            again = await runner(sqlite_store, adapter).run_due(MONDAY_0731 + timedelta(minutes=30))
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert len(report.uncertain) == 1 and len(report.sent) == 2
    uncertain = report.uncertain[0]
    assert uncertain.subscription_id == subs[0] and uncertain.iso_week == 20
    assert again.sent == [] and again.uncertain == []
    states = await _states(sqlite_store)
    assert states[subs[0]] == "uncertain"
    async with sqlite_store.session() as s:
        listed = await repo.uncertain_runs(s)
    assert [sub.id for _, sub in listed] == [subs[0]]


async def test_definitely_failed_is_retried_by_a_later_pass(store: Store) -> None:
    async with FakeConnector() as connector:
        [sub] = await subscribed_channels(store, 1, connector.url)
        connector.fail_next(503, 40)  # more than one pass will try
        adapter = build_adapter(local_settings())
        try:
            first = await runner(store, adapter, policy=DeliveryPolicy(max_sends=2, backoff_base=0.01, backoff_cap=0.02,
                                                                       retry_failed_after=timedelta(0))).run_due(MONDAY_0731)
            assert first.failed and not first.sent
            assert (await _states(store))[sub] == "failed"
            connector.faults.clear()
            second = await runner(store, adapter).run_due(MONDAY_0731 + timedelta(minutes=5))
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert second.sent == [sub]
    assert len(connector.received) == 1
    async with store.session() as s:
        run = await repo.get_run(s, sub, 2018, 20)
    assert run is not None and run.state == "sent" and run.attempts >= 3


async def test_quiet_week_gives_one_line_or_nothing(sqlite_store: Store) -> None:
    async with FakeConnector() as connector:
        subs = await subscribed_channels(sqlite_store, 2, connector.url)
        async with sqlite_store.session() as s:
            await repo.set_quiet_weeks(s, subs[1], "nothing")
        adapter = build_adapter(local_settings())
        try:
            # A Sunday-evening digest in a week without news or nearby årshjul steps.
            async with sqlite_store.session() as s:
                await repo.set_schedule(s, subs[0], weekday=0, send_time="07:30")
            report = await runner(sqlite_store, adapter).run_due(MONDAY_0731.replace(month=2, day=5))
        finally:
            await adapter.close()  # type: ignore[attr-defined]
    assert report.skipped == [subs[1]] and report.sent == [subs[0]] and report.quiet_lines == 1
    [line] = connector.received
    assert "inget nytt sedan förra veckan" in line.text and not line.cards
    assert (await _states(sqlite_store)) == {subs[0]: "sent", subs[1]: "skipped"}
