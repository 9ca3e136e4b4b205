"""Running in production: ``/healthz`` and ``/readyz`` as a load balancer uses them, and a graceful stop.

What aiohttp does when ``tavla serve`` gets SIGTERM (``web.run_app`` → ``AppRunner.cleanup()``, aiohttp
3.14), checked here step by step on the real app:
1. the listening socket closes: new connections are refused;
2. idle keep-alive connections are closed; requests already being handled go on;
3. ``on_shutdown`` runs, then aiohttp waits up to ``shutdown_timeout`` (``app.SHUTDOWN_TIMEOUT_S``) for the
   in-flight requests to finish — a turn that finishes in time is answered completely (its reply posted to
   Teams, its HTTP response sent);
4. whatever still runs after that is cancelled (the client sees the connection drop; Teams retries);
5. ``on_cleanup`` runs last: the outbound HTTP session and the database pool are closed only after every
   turn is done.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import app as app_module
from bot import routing
from bot.dispatch import TURN_TIMEOUT_S
from settings import Settings
from storage.db import Store
from storage.migrate import upgrade
from tests.support.connector import FakeConnector
from tests.support.harness import ANNA, card_text, personal_conversation, running

# --- health and readiness -------------------------------------------------------------------


async def test_healthz_and_readyz_on_a_current_store(store: Store) -> None:
    async with running(store) as h:
        async with h.http.get(f"{h.base_url}/healthz") as resp:
            assert resp.status == 200 and (await resp.json()) == {"status": "ok", "database": store.dialect}
        async with h.http.get(f"{h.base_url}/readyz") as resp:
            assert resp.status == 200 and (await resp.json()) == {"status": "ready"}


async def test_readyz_is_503_while_migrations_are_pending(tmp_path: Path) -> None:
    """A replica that started against a database another replica has not migrated yet: alive, not ready."""
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'blank.sqlite3'}")
    try:
        async with running(store) as h:
            async with h.http.get(f"{h.base_url}/healthz") as resp:
                assert resp.status == 200
            async with h.http.get(f"{h.base_url}/readyz") as resp:
                assert resp.status == 503 and (await resp.json()) == {"status": "migrations pending"}
            await upgrade(store)
            async with h.http.get(f"{h.base_url}/readyz") as resp:
                assert resp.status == 200
    finally:
        await store.dispose()


async def test_health_and_readiness_are_503_when_the_database_is_gone(sqlite_store: Store) -> None:
    unreachable = Store.from_url("postgresql+asyncpg://tavla@127.0.0.1:9/tavla")  # nothing listens on port 9
    try:
        async with running(unreachable) as h:
            for path in ("/healthz", "/readyz"):
                started = time.monotonic()
                async with h.http.get(f"{h.base_url}{path}") as resp:
                    body = await resp.json()
                assert resp.status == 503 and body["status"] == "error", (path, body)
                assert "tavla@" not in str(body)  # no URL or credentials in the answer
                assert time.monotonic() - started < 6  # bounded, so the load balancer's probe does not hang
    finally:
        await unreachable.dispose()


async def test_a_turn_that_hangs_gets_a_temporary_error_and_the_next_one_is_answered(
        sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import dispatch as dispatch_module

    monkeypatch.setattr(dispatch_module, "TURN_TIMEOUT_S", 0.3)
    slow_help(monkeypatch, 5.0)
    async with running(sqlite_store) as h:
        conversation = personal_conversation(ANNA)["id"]
        started = time.monotonic()
        status, _ = await h.post(h.message("hjälp"))
        assert status in (200, 201)
        replies = h.connector.to(conversation)
        assert replies and dispatch_module.t("temporary", "sv") in " ".join(card_text(c) for r in replies for c in r.cards)
        assert time.monotonic() - started < 3  # the timeout, not the handler's 5 s
        status, _ = await h.post(h.message("status frisknärvaro"))
        assert status in (200, 201) and len(h.connector.to(conversation)) == len(replies) + 1


# --- graceful shutdown ----------------------------------------------------------------------


def test_the_shutdown_timeout_outlasts_a_turn() -> None:
    assert app_module.SHUTDOWN_TIMEOUT_S > TURN_TIMEOUT_S


class Served:
    """Tavla as ``web.run_app`` runs it (an ``AppRunner`` with a shutdown timeout, a TCP site), over a store it
    prepares itself, so cleanup closes the database as in production."""

    def __init__(self, settings: Settings, shutdown_timeout: float) -> None:
        self.runner = web.AppRunner(app_module.create_app(settings), shutdown_timeout=shutdown_timeout)
        self.url = ""

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        self.url = f"http://127.0.0.1:{port}"


def slow_help(monkeypatch: pytest.MonkeyPatch, seconds: float) -> asyncio.Event:
    """The help intent, taking ``seconds`` first; the event is set when a turn is inside it."""
    inside = asyncio.Event()
    real = routing.INTENTS["help"]

    async def handle(turn: Any) -> Any:
        inside.set()
        await asyncio.sleep(seconds)
        return await real(turn)  # reads the store after the stop began

    monkeypatch.setitem(routing.INTENTS, "help", handle)
    return inside


def hjalp(service_url: str) -> dict[str, Any]:
    return {"type": "message", "id": "1767000000999", "channelId": "msteams", "serviceUrl": service_url,
            "from": ANNA.account, "recipient": {"id": "28:tavla", "name": "Tavla"},
            "conversation": personal_conversation(ANNA), "channelData": {"tenant": {"id": "t"}},
            "text": "hjälp", "locale": "sv-SE"}


async def test_an_in_flight_turn_finishes_when_the_server_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = slow_help(monkeypatch, 1.0)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'own.sqlite3'}", as_of="2018-05-15",
                        scheduler=False)
    async with FakeConnector() as connector:
        served = Served(settings, shutdown_timeout=10)
        await served.start()
        async with aiohttp.ClientSession() as http:
            request = asyncio.create_task(http.post(f"{served.url}/api/messages", json=hjalp(connector.url)))
            await asyncio.wait_for(inside.wait(), 10)
            stopping = asyncio.create_task(served.runner.cleanup())  # what SIGTERM does in run_app
            await asyncio.sleep(0.2)
            # 1. no new connections once the stop has begun
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.get(f"{served.url}/healthz"):
                    pass
            # 3. the turn that was running completes: its answer reached Teams and its HTTP response was sent
            response = await asyncio.wait_for(request, 10)
            assert response.status == 201
            response.release()
            await asyncio.wait_for(stopping, 10)
        assert len(connector.received) == 1
        assert "Det här kan du fråga Tavla" in card_text(connector.received[0].cards[0])


async def test_a_turn_longer_than_the_timeout_is_cancelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """4.: past ``shutdown_timeout`` aiohttp cancels the handler — the client's connection drops, nothing
    is half-sent (Teams retries the activity against another replica)."""
    inside = slow_help(monkeypatch, 30.0)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'own.sqlite3'}", as_of="2018-05-15",
                        scheduler=False)
    async with FakeConnector() as connector:
        served = Served(settings, shutdown_timeout=0.5)
        await served.start()
        async with aiohttp.ClientSession() as http:
            request = asyncio.create_task(http.post(f"{served.url}/api/messages", json=hjalp(connector.url)))
            await asyncio.wait_for(inside.wait(), 10)
            started = time.monotonic()
            await asyncio.wait_for(served.runner.cleanup(), 10)
            assert time.monotonic() - started < 5
            with pytest.raises(aiohttp.ClientError):
                response = await asyncio.wait_for(request, 5)
                response.release()
        assert connector.received == []


async def test_the_server_moves_what_startup_made_out_of_the_collectors_way(tmp_path: Path) -> None:
    """``serve`` runs ``server_app``: after startup everything made so far is frozen (``gc.freeze``), so a full
    collection no longer walks the modules, mappers and SDK — ≈ 145 ms every turn waited — and turns are
    answered as before."""
    import gc

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'own.sqlite3'}", as_of="2018-05-15",
                        scheduler=False)
    await (await app_module.prepare_store(settings)).dispose()  # what serve() does before it starts the app
    application = app_module.server_app(settings)
    assert application.on_startup[-1] is app_module.freeze_long_lived
    gc.unfreeze()
    runner = web.AppRunner(application)
    try:
        await runner.setup()  # runs the startup hooks
        assert gc.get_freeze_count() > 10_000
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        async with FakeConnector() as connector, aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/api/messages", json=hjalp(connector.url)) as resp:
                assert resp.status == 201
        assert "Det här kan du fråga Tavla" in card_text(connector.received[0].cards[0])
    finally:
        await runner.cleanup()
        gc.unfreeze()  # the rest of the test run collects as usual
