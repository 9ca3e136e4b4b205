"""The channel's signing keys (``bot/signing_keys.py``): fetched off the event loop, refreshed before they are
due, kept through an identity-provider outage, fetched again for a rotated key.

The identity provider here is served on the bot's own event loop (``OpenIdProvider.serving_here``): with
the SDK's blocking fetch on that loop, the first request would wait for ever for an endpoint that can only
answer when the loop runs. Everything goes over HTTP with real tokens, as in ``test_auth.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from bot import signing_keys
from bot.signing_keys import STALE_LIMIT, SigningKeys
from storage.db import Store
from tests.bot.test_auth import APP_ID, auth_settings, bearer, offline_aad, reaction, snapshot  # noqa: F401
from tests.support.harness import Harness, running
from tests.support.openid import OpenIdProvider, new_key

METADATA, KEYS = ".well-known/openidconfiguration", "/keys"


@pytest.fixture
async def provider(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenIdProvider]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # requests honours proxy variables
    async with OpenIdProvider(APP_ID).serving_here() as issuer:
        yield issuer


async def until(check: Any, what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.01)


def fetches(provider: OpenIdProvider) -> int:
    """Fetches begun: each asks for the metadata document first."""
    return sum(path.endswith(METADATA) for path in provider.requests)


def keys_of(provider: OpenIdProvider) -> SigningKeys:
    found = JwtTokenExtractor.metadataCache[provider.metadata_url]
    assert isinstance(found, SigningKeys)
    return found


async def accepted(h: Harness, provider: OpenIdProvider, **token: Any) -> int:
    status, _ = await h.post(reaction(h), headers=bearer(provider.token(h.connector.url, **token)))
    return status


async def healthy(h: Harness) -> int:
    async with h.http.get(f"{h.base_url}/healthz") as resp:
        return resp.status


async def test_the_first_requests_wait_for_one_fetch_while_the_loop_serves_others(
        sqlite_store: Store, provider: OpenIdProvider) -> None:
    provider.hold = asyncio.Event()
    async with running(sqlite_store, auth_settings(provider)) as h:
        waiting = [asyncio.create_task(accepted(h, provider)) for _ in range(5)]
        await until(lambda: provider.requests, "the fetch has begun (and waits for the provider)")
        assert await healthy(h) == 200  # the loop is free: the fetch is in a worker thread
        assert not any(task.done() for task in waiting)
        provider.hold.set()
        assert await asyncio.gather(*waiting) == [201] * 5
        assert fetches(provider) == 1 and provider.requests.count(f"/{provider._prefix}{KEYS}") == 1  # noqa: SLF001


async def test_keys_near_their_daily_refresh_are_fetched_in_the_background(
        sqlite_store: Store, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(sqlite_store, auth_settings(provider)) as h:
        assert await accepted(h, provider) == 201
        keys = keys_of(provider)
        for age in (timedelta(hours=23, minutes=30), timedelta(days=3)):  # before the SDK's day is up, and after
            monkeypatch.setattr(keys, "last_updated", datetime.now() - age)
            provider.hold = asyncio.Event()
            before = fetches(provider)
            assert await accepted(h, provider) == 201  # answered while the fetch is held: nobody waits
            assert await accepted(h, provider) == 201
            await until(lambda: fetches(provider) > before, "the worker thread's request reaches the provider")
            assert fetches(provider) == before + 1  # one fetch for both
            provider.hold.set()
            await until(lambda: datetime.now() - keys.last_updated < timedelta(minutes=1), "fresh keys")
            assert await accepted(h, provider) == 201
            assert fetches(provider) == before + 1  # fresh keys start no other fetch


async def test_an_outage_at_the_daily_refresh_keeps_the_held_keys_serving(
        sqlite_store: Store, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async with running(sqlite_store, auth_settings(provider)) as h:
        assert await accepted(h, provider) == 201
        keys = keys_of(provider)
        monkeypatch.setattr(keys, "last_updated", datetime.now() - timedelta(days=2))
        provider.status = 503
        before = fetches(provider)
        with caplog.at_level(logging.INFO, logger="bot.signing_keys"):
            for _ in range(10):
                assert await accepted(h, provider) == 201
                await asyncio.sleep(0.01)  # the background fetch gets its answer
            assert fetches(provider) == before + 1  # tried again only after RETRY_AFTER_S, not every turn
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1 and "going on with the keys held" in warnings[0].getMessage()

            provider.status = 200  # back: the next attempt, once due, takes the new keys
            monkeypatch.setattr(signing_keys, "RETRY_AFTER_S", 0.0)
            assert await accepted(h, provider) == 201
            await until(lambda: datetime.now() - keys.last_updated < timedelta(minutes=1), "fresh keys")
        assert fetches(provider) == before + 2
        assert any("again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


async def test_keys_too_old_and_a_provider_down_answer_503_and_change_nothing_until_it_is_back(
        sqlite_store: Store, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(sqlite_store, auth_settings(provider)) as h:
        assert await accepted(h, provider) == 201
        monkeypatch.setattr(keys_of(provider), "last_updated", datetime.now() - STALE_LIMIT - timedelta(hours=1))
        provider.status = 500
        before = await snapshot(h)
        status, body = await h.post(reaction(h), headers=bearer(provider.token(h.connector.url)))
        assert (status, body) == (503, {"error": "authentication unavailable"})
        assert await snapshot(h) == before
        tried = fetches(provider)
        assert await accepted(h, provider) == 503  # within RETRY_AFTER_S: refused at once, not fetched again
        assert fetches(provider) == tried
        provider.status = 200
        monkeypatch.setattr(signing_keys, "RETRY_AFTER_S", 0.0)
        assert await accepted(h, provider) == 201


async def test_a_provider_that_never_answers_costs_one_bounded_wait(
        sqlite_store: Store, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing_keys, "FETCH_TIMEOUT_S", 0.3)
    provider.hold = asyncio.Event()  # never set while the requests run
    async with running(sqlite_store, auth_settings(provider)) as h:
        first = asyncio.create_task(accepted(h, provider))
        await until(lambda: provider.requests, "the fetch has begun")
        assert await healthy(h) == 200
        assert await first == 503
        assert await accepted(h, provider) == 503  # the failure is remembered: no second wait
        assert fetches(provider) == 1


async def test_a_rotated_key_is_taken_up_at_once_and_forged_key_ids_cost_one_fetch(
        sqlite_store: Store, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(sqlite_store, auth_settings(provider)) as h:
        assert await accepted(h, provider) == 201
        keys = keys_of(provider)
        monkeypatch.setattr(keys, "_fetched_at", time.monotonic() - 3600)  # the keys were fetched an hour ago
        old_key, old_kid = provider.key, provider.kid
        provider.key, provider.kid = new_key(), "rotated-in"  # the channel signs with a key published since
        before = fetches(provider)
        assert await accepted(h, provider) == 201  # the SDK alone: 401 until its next daily refresh
        assert fetches(provider) == before + 1
        assert await accepted(h, provider, key=old_key, kid=old_kid) == 401  # no longer published

        monkeypatch.setattr(keys, "_fetched_at", time.monotonic() - 3600)  # an hour later
        before = fetches(provider)
        statuses = [await accepted(h, provider, kid=f"forged-{n}") for n in range(20)]
        assert statuses == [401] * 20
        assert fetches(provider) == before + 1  # one refetch per UNKNOWN_KEY_REFETCH_S, however many ids
        assert await accepted(h, provider) == 201
