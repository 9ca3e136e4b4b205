"""Inbound authentication with real tokens: with ``MicrosoftAppId`` set, only a valid Bot Framework token
gets a request in; everything else is 401 and changes nothing.

Nothing is patched: the SDK's own validation (``ConfigurationBotFrameworkAuthentication``) fetches the
OpenID metadata and keys from ``tests/support/openid.py``'s endpoint and checks signature, key id,
endorsement, expiry, issuer, audience and serviceUrl claim exactly as it does against Microsoft's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

import app as app_module
from bot.adapter import build_adapter
from settings import Settings
from storage.db import Store
from storage.models import BotState, Conversation
from tests.support.harness import Harness, card_text, running
from tests.support.openid import OpenIdProvider, new_key, offline_aad_session

APP_ID = "3d9f0c1e-5b6a-4c2d-9e8f-7a6b5c4d3e2f"
OTHER_APP_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"  # = tests.support.harness.TENANT
PASSWORD = "not-a-real-secret-~k8Q.qYz"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"  # one the SDK knows as the Emulator's


@pytest.fixture(autouse=True)
def offline_aad(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's own outbound token (for replies) from an in-process Azure AD: these tests never touch the
    network. Only the outbound side is replaced; inbound validation is the SDK's, untouched."""
    monkeypatch.setattr(app_module, "build_adapter", functools.partial(build_adapter,
                                                                       token_http_client=offline_aad_session()))


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenIdProvider]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the SDK's requests honour proxy variables
    with OpenIdProvider(APP_ID).serving() as issuer:
        yield issuer


def auth_settings(provider: OpenIdProvider, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
        app_id=APP_ID, app_password=PASSWORD, app_type="SingleTenant", app_tenant_id=TENANT,
        to_bot_from_channel_openid_metadata_url=provider.metadata_url,
        to_bot_from_channel_token_issuer=provider.issuer,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass(frozen=True)
class Snapshot:
    conversations: int
    bot_state: int
    connector: int


async def snapshot(h: Harness) -> Snapshot:
    async with h.store.session() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        state = await session.scalar(select(func.count()).select_from(BotState))
    return Snapshot(int(conversations or 0), int(state or 0), len(h.connector.received))


def reaction(h: Harness) -> dict[str, Any]:
    """A messageReaction: a turn that stores the conversation reference and sends nothing."""
    activity = h.message("x")
    activity.update(type="messageReaction", reactionsAdded=[{"type": "like"}], replyToId="1767765488332")
    activity.pop("text")
    return activity


def search(h: Harness, text: str = "frisk") -> dict[str, Any]:
    activity = h.message("x")
    activity.update(type="invoke", name="composeExtension/query", value={
        "commandId": "sok", "parameters": [{"name": "sokord", "value": text}],
        "queryOptions": {"skip": 0, "count": 25}})
    activity.pop("text")
    return activity


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_is_accepted(sqlite_store: Store, provider: OpenIdProvider) -> None:
    async with running(sqlite_store, auth_settings(provider)) as h:
        token = provider.token(h.connector.url)
        status, body = await h.post(search(h), headers=bearer(token))
        assert status == 200, body
        titles = [a["preview"]["content"]["title"] for a in body["composeExtension"]["attachments"]]
        assert "Frisknärvaro" in titles
        before = await snapshot(h)
        status, _ = await h.post(reaction(h), headers=bearer(token))
        assert status in (200, 201)
        assert (await snapshot(h)).conversations == before.conversations + 1
        # a message gets its answer on the connector
        status, _ = await h.post(h.message("hjälp"), headers=bearer(token))
        assert status in (200, 201)
        got = await h.connector.wait_for(1)
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])
    # the keys really came from the test endpoint (nothing short-circuited the validation)
    assert any(path.endswith("/.well-known/openidconfiguration") for path in provider.requests)
    assert any(path.endswith("/keys") for path in provider.requests)


def _refusals(provider: OpenIdProvider, service_url: str) -> dict[str, dict[str, str]]:
    """Every way in that must be refused, as request headers."""
    stranger = new_key()
    return {
        "no token": {},
        "empty header": {"Authorization": ""},
        "not a bearer token": {"Authorization": f"Basic {provider.token(service_url)}"},
        "garbage": bearer("not.a.jwt"),
        "expired": bearer(provider.token(service_url, expires_in=-3600, not_before=-7200)),
        "not yet valid": bearer(provider.token(service_url, not_before=3600, expires_in=7200)),
        "another app's audience": bearer(provider.token(service_url, audience=OTHER_APP_ID)),
        "wrong issuer": bearer(provider.token(service_url, issuer="https://issuer.example.org")),
        # the SDK's Emulator path, which these settings give no metadata address: refused, not "unavailable"
        "the Emulator's issuer": bearer(provider.token(service_url, issuer=EMULATOR_ISSUER)),
        "bad signature": bearer(provider.token(service_url, key=stranger)),
        "unknown key id": bearer(provider.token(service_url, key=stranger, kid="a-key-nobody-published")),
        "another serviceUrl": bearer(provider.token("https://smba.trafficmanager.net/emea/")),
        "no serviceUrl claim": bearer(provider.token(service_url, extra={"serviceurl": None})),
    }


async def test_every_invalid_token_gets_401_and_changes_nothing(sqlite_store: Store, provider: OpenIdProvider,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tavla")
    async with running(sqlite_store, auth_settings(provider)) as h:
        # first a valid request, so the keys are cached: refusals below are not "could not fetch keys"
        status, _ = await h.post(search(h), headers=bearer(provider.token(h.connector.url)))
        assert status == 200
        before = await snapshot(h)
        for name, headers in _refusals(provider, h.connector.url).items():
            for activity in (h.message("hjälp"), reaction(h), search(h)):
                status, body = await h.post(activity, headers=headers)
                assert status == 401, (name, activity["type"], status, body)
                assert body == {"error": "unauthorized"}, (name, body)
        assert await snapshot(h) == before  # nothing stored, nothing sent to the connector
        assert h.connector.received == []
    refused = [r for r in caplog.records if r.getMessage().startswith("refused request")]
    assert len(refused) == 3 * len(_refusals(provider, "x")) and all(r.levelno == logging.INFO for r in refused)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_unknown_key_id_is_refused_on_a_cold_cache(sqlite_store: Store, provider: OpenIdProvider) -> None:
    """The very first request of the process carries a key id the metadata does not list."""
    async with running(sqlite_store, auth_settings(provider)) as h:
        before = await snapshot(h)
        status, body = await h.post(reaction(h), headers=bearer(provider.token(h.connector.url, kid="rotated-away")))
        assert status == 401, body
        assert await snapshot(h) == before
    assert provider.requests, "the SDK fetched the keys before refusing"


async def test_a_key_without_the_teams_endorsement_is_refused(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with OpenIdProvider(APP_ID, endorsements=("webchat",)).serving() as provider:
        async with running(sqlite_store, auth_settings(provider)) as h:
            before = await snapshot(h)
            status, _ = await h.post(reaction(h), headers=bearer(provider.token(h.connector.url)))
            assert status == 401
            assert await snapshot(h) == before


async def test_unreachable_signing_keys_are_503_not_401(sqlite_store: Store, provider: OpenIdProvider) -> None:
    """When the metadata cannot be fetched the fault is ours: 503 (Teams retries), logged as an error."""
    dead = "http://127.0.0.1:9/" + provider.metadata_url.split("/", 3)[3]  # discard port: nothing listens
    async with running(sqlite_store, auth_settings(provider, to_bot_from_channel_openid_metadata_url=dead)) as h:
        before = await snapshot(h)
        status, body = await h.post(reaction(h), headers=bearer(provider.token(h.connector.url)))
        assert status == 503, body
        assert await snapshot(h) == before


async def test_local_mode_needs_no_token_but_stays_on_loopback(sqlite_store: Store) -> None:
    """Without MicrosoftAppId (the Emulator/console case) requests are not authenticated at all — which
    is why ``serve`` refuses to listen on anything but loopback then."""
    from app import is_loopback, serve

    async with running(sqlite_store) as h:
        status, body = await h.post(search(h))
        assert status == 200 and body["composeExtension"]["type"] == "result"
    assert is_loopback("127.0.0.1") and not is_loopback("0.0.0.0")
    assert serve(Settings(host="0.0.0.0", database_url="sqlite+aiosqlite:///unused")) == 2
