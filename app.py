"""Tavla's server: ``create_app(settings)`` builds the aiohttp app; ``main()`` runs it. No globals."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import sys

from aiohttp import web

from bot.adapter import TavlaAdapter, build_adapter
from bot.http import messages_route
from bot.logging_setup import setup_logging
from bot.nlu.catalog import CatalogCache
from bot.nlu.rules import warm as warm_catalog
from bot.scheduler import Scheduler
from bot.teams_bot import TavlaBot
from bot.turn import Services
from followup.clock import Clock
from settings import Settings, load_settings
from storage.db import Store, StoreUnavailable, check_reachable, safe_url
from storage.migrate import is_current, upgrade
from storage.seeding import seed_arsplan

log = logging.getLogger("tavla.app")

# On SIGTERM aiohttp stops accepting connections, then lets in-flight requests finish for up to this long
# before cancelling them (docs/deploy.md): longer than a turn may take (bot.dispatch.TURN_TIMEOUT_S, 25 s).
SHUTDOWN_TIMEOUT_S = 30.0

SERVICES = web.AppKey("services", Services)
STORE = web.AppKey("store", Store)
ADAPTER = web.AppKey("adapter", TavlaAdapter)
SCHEDULER = web.AppKey("scheduler", Scheduler)


async def prepare_store(settings: Settings) -> Store:
    """Connect, migrate and seed (once, even with several replicas); one clear error when it fails."""
    url = settings.effective_database_url
    try:
        store = Store.from_url(url, pool_size=settings.db_pool_size)
    except Exception as exc:  # noqa: BLE001 - a malformed URL or missing driver
        raise StoreUnavailable(f"Databasen kunde inte öppnas: {safe_url(url) if '://' in url else url} ({exc})") from exc
    await check_reachable(store, url)
    try:
        await upgrade(store)
        await seed_arsplan(store)
    except Exception as exc:  # noqa: BLE001 - e.g. read-only file, permission denied
        await store.dispose()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"Databasen kunde inte förberedas: {safe_url(url)} ({first})") from exc
    return store


async def open_store(settings: Settings) -> Store:
    """Connect to a store that ``prepare_store`` already migrated and seeded (``serve`` does that first)."""
    url = settings.effective_database_url
    store = Store.from_url(url, pool_size=settings.db_pool_size)
    await check_reachable(store, url)
    return store


def create_app(settings: Settings, *, store: Store | None = None, prepared: bool = False) -> web.Application:
    """The aiohttp application: ``POST /api/messages``, ``GET /healthz``, ``GET /readyz``."""
    app = web.Application(client_max_size=2 * 1024 * 1024)

    async def startup(app: web.Application) -> None:
        st = store or await (open_store(settings) if prepared else prepare_store(settings))
        services = Services(settings=settings, store=st, clock=Clock(settings.as_of),
                            catalogs=CatalogCache(st, warm=warm_catalog))
        adapter = build_adapter(settings)
        bot = TavlaBot(services)
        app[STORE] = st
        app[SERVICES] = services
        app[ADAPTER] = adapter
        app.router.add_post("/api/messages", messages_route(adapter, bot))

    async def cleanup(app: web.Application) -> None:
        if ADAPTER in app:
            await app[ADAPTER].close()  # the outbound HTTP session
        if store is None and STORE in app:
            await app[STORE].dispose()

    async def healthz(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(request.app[STORE].ping(), 5)
        except Exception as exc:  # noqa: BLE001
            return web.json_response({"status": "error", "database": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok", "database": request.app[STORE].dialect})

    async def readyz(request: web.Request) -> web.Response:
        try:
            current = await asyncio.wait_for(is_current(request.app[STORE]), 5)
        except Exception as exc:  # noqa: BLE001
            return web.json_response({"status": "error", "database": type(exc).__name__}, status=503)
        if not current:
            return web.json_response({"status": "migrations pending"}, status=503)
        return web.json_response({"status": "ready"})

    async def start_scheduler(app: web.Application) -> None:
        app[SCHEDULER] = Scheduler.for_services(app[SERVICES], app[ADAPTER])  # digests and reminders (bot/scheduler.py)
        app[SCHEDULER].start()

    async def stop_scheduler(app: web.Application) -> None:
        if SCHEDULER in app:
            await app[SCHEDULER].stop()

    app.on_startup.append(startup)
    if settings.scheduler:
        app.on_startup.append(start_scheduler)
        app.on_shutdown.append(stop_scheduler)
    app.on_cleanup.append(cleanup)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def freeze_long_lived(_app: web.Application) -> None:
    """The last startup step of the server: what exists now (modules, mappers, the SDK, pandas, the app)
    lives as long as the process, so it is moved out of the garbage collector's way. A full collection walked
    it all — ≈ 145 ms with every turn waiting, now and then under load; after this ≈ 2.5 ms (in-process, 2 000
    status turns). Collected first, so nothing that is garbage already is kept."""
    gc.collect()
    gc.freeze()


def server_app(settings: Settings) -> web.Application:
    """The app ``serve`` runs: ``create_app`` on a prepared store, with ``freeze_long_lived`` last at startup."""
    app = create_app(settings, prepared=True)
    app.on_startup.append(freeze_long_lived)
    return app


def serve(settings: Settings) -> int:
    """Run the server until stopped; returns the process exit code."""
    setup_logging(settings)  # JSON or text, the turn's ids, secrets scrubbed (bot/logging_setup.py)
    if settings.local_mode and not is_loopback(settings.host):
        print(f"Tavla: utan MicrosoftAppId körs Tavla utan inloggning och lyssnar bara på 127.0.0.1 "
              f"(inte {settings.host}). Sätt MicrosoftAppId för att ta emot trafik utifrån.", file=sys.stderr)
        return 2
    async def prepare_once() -> None:  # migrate and seed, then let go: the app opens its own store
        store = await prepare_store(settings)
        await store.dispose()

    try:
        asyncio.run(prepare_once())
    except StoreUnavailable as exc:
        print(f"Tavla: {exc}", file=sys.stderr)
        return 1
    mode = "lokalt läge utan inloggning" if settings.local_mode else f"app-id {settings.app_id}"
    print(f"Tavla lyssnar på http://{settings.host}:{settings.port}/api/messages ({mode}; "
          f"databas {safe_url(settings.effective_database_url)})", flush=True)
    web.run_app(server_app(settings), host=settings.host, port=settings.port, print=None,
                shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    return 0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(serve(load_settings()))


if __name__ == "__main__":
    main()
