"""``CatalogCache``: one load at a time, waiters released together, an expired catalog answered with while it
reloads, and nothing older than an ``invalidate`` ever cached. The store is replaced by a load the test
controls (``Loads``); what the catalog holds is tested with the recogniser."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from bot.nlu import catalog as catalog_module
from bot.nlu.catalog import Catalog, CatalogCache, Entry


class Loads:
    """Stands in for ``load_catalog``: each load waits for ``release()`` and returns a new catalog (or fails)."""

    def __init__(self) -> None:
        self.started = 0
        self.gate = asyncio.Event()
        self.fail: Exception | None = None
        self.stamp: int | None = None  # the catalogue stamp the next loads read (storage.catalogue)

    async def __call__(self, _store: Any, year: int) -> Catalog:
        self.started += 1
        number = self.started
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return Catalog((Entry("indicator", number, f"Indikator {number}", (f"indikator {number}",)),), year,
                       self.stamp)

    def release(self) -> None:
        self.gate.set()

    def hold(self) -> None:
        self.gate = asyncio.Event()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    fake = Loads()
    monkeypatch.setattr(catalog_module, "load_catalog", fake)
    return fake


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_hundred_first_turns_share_one_load_and_go_on_together(loads: Loads) -> None:
    cache = CatalogCache(store=None)  # type: ignore[arg-type]
    waiters = [asyncio.create_task(cache.get(2018)) for _ in range(100)]
    await settle()
    assert loads.started == 1 and not any(w.done() for w in waiters)
    loads.release()
    iterations = 0
    while not all(w.done() for w in waiters) and iterations < 100:
        await asyncio.sleep(0)
        iterations += 1
    # a few loop iterations for all of them (the load ends, the shield, the waiters), not one each as
    # behind a lock: under load an iteration is every other turn's work
    assert iterations <= 4
    catalogs = {id(w.result()) for w in waiters}
    assert len(catalogs) == 1 and cache.loads == 1
    assert (await cache.get(2018)) is waiters[0].result()  # cached: no second load
    assert loads.started == 1


async def test_an_expired_catalog_is_answered_with_while_it_reloads_in_the_background(loads: Loads) -> None:
    cache = CatalogCache(store=None, ttl=0.0)  # type: ignore[arg-type]
    loads.release()
    first = await cache.get(2018)
    loads.hold()  # the reload will hang until released
    answers = await asyncio.gather(*(cache.get(2018) for _ in range(20)))
    assert all(a is first for a in answers)  # nobody waited for the reload
    assert loads.started == 2  # one reload, not twenty
    loads.release()
    await settle()
    second = await cache.get(2018)
    assert second is not first and second.entries[0].id == 2


async def test_a_failed_reload_keeps_the_catalog_and_is_tried_again(loads: Loads,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    cache = CatalogCache(store=None, ttl=0.0)  # type: ignore[arg-type]
    loads.release()
    first = await cache.get(2018)
    loads.fail = ConnectionError("database down")
    with caplog.at_level(logging.WARNING, logger="tavla.nlu"):
        assert (await cache.get(2018)) is first
        await settle()
    assert "could not be reloaded" in caplog.text and "database down" in caplog.text
    loads.fail = None
    assert (await cache.get(2018)) is first  # starts the next attempt …
    await settle()
    assert (await cache.get(2018)).entries[0].id == 3  # … (load 3; load 2 failed) whose catalog is now in use


async def test_without_a_catalog_a_failed_load_reaches_every_waiter_and_the_next_turn_retries(loads: Loads) -> None:
    cache = CatalogCache(store=None)  # type: ignore[arg-type]
    loads.fail = ConnectionError("database down")
    waiters = [asyncio.create_task(cache.get(2018)) for _ in range(3)]
    await settle()
    loads.release()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    loads.fail = None
    assert (await cache.get(2018)).entries[0].id == 2


async def test_a_waiter_that_gives_up_does_not_cancel_the_load_of_the_others(loads: Loads) -> None:
    cache = CatalogCache(store=None)  # type: ignore[arg-type]
    impatient = asyncio.create_task(cache.get(2018))
    patient = asyncio.create_task(cache.get(2018))
    await settle()
    impatient.cancel()
    await settle()
    loads.release()
    assert (await patient).entries[0].id == 1
    assert impatient.cancelled() and loads.started == 1


async def test_nothing_read_before_an_invalidate_is_cached(loads: Loads) -> None:
    cache = CatalogCache(store=None)  # type: ignore[arg-type]
    before = asyncio.create_task(cache.get(2018))  # load 1 starts: it may read the names before an import
    await settle()
    cache.invalidate()  # the import committed: new names
    after = asyncio.create_task(cache.get(2018))  # a fresh load, not load 1
    await settle()
    assert loads.started == 2
    loads.release()
    assert (await before).entries[0].id == 1  # that turn began before the import: it may have the old one
    assert (await after).entries[0].id == 2
    assert (await cache.get(2018)).entries[0].id == 2 and loads.started == 2


async def test_a_turn_with_a_new_catalogue_stamp_waits_for_the_new_names(loads: Loads) -> None:
    """Another replica imported (the stamp changed, storage.catalogue): the first turn that brings the new stamp
    waits for a load, once; a turn that read the old one just before, or brings none, does not reload."""
    cache = CatalogCache(store=None, ttl=3600)  # type: ignore[arg-type]
    loads.stamp = 11
    loads.release()
    assert (await cache.get(2018, 11)).entries[0].id == 1
    assert (await cache.get(2018, 11)).entries[0].id == 1 and loads.started == 1

    loads.stamp = 12  # the import committed
    assert (await cache.get(2018, 12)).entries[0].id == 2 and loads.started == 2
    assert (await cache.get(2018, 11)).entries[0].id == 2  # read just before the import: the newer names stay
    assert (await cache.get(2018, None)).entries[0].id == 2
    assert (await cache.get(2018, 12)).entries[0].id == 2 and loads.started == 2

    # a stamp never seen that the load then does not read (a second write at once): one load, not one a turn
    loads.stamp = 14
    assert (await cache.get(2018, 13)).entries[0].id == 3
    assert (await cache.get(2018, 13)).entries[0].id == 3 and (await cache.get(2018, 14)).entries[0].id == 3
    assert loads.started == 3


async def test_a_loaded_catalog_is_warmed_in_a_worker_thread_before_anyone_gets_it(loads: Loads) -> None:
    warmed: list[tuple[int, int]] = []  # (catalog's first id, thread)

    def warm(catalog: Catalog) -> None:
        warmed.append((catalog.entries[0].id, threading.get_ident()))

    cache = CatalogCache(store=None, ttl=0.0, warm=warm)  # type: ignore[arg-type]
    loads.release()
    first = await cache.get(2018)
    assert warmed == [(1, warmed[0][1])] and warmed[0][1] != threading.get_ident()
    assert (await cache.get(2018)) is first  # the reload (ttl 0) runs in the background …
    await settle()
    await asyncio.sleep(0.05)  # … its warm-up in the thread too
    await settle()
    assert [w[0] for w in warmed] == [1, 2]


async def test_a_warm_up_that_fails_leaves_the_catalog_usable(loads: Loads, caplog: pytest.LogCaptureFixture) -> None:
    def warm(_catalog: Catalog) -> None:
        raise RuntimeError("a rule is broken")

    cache = CatalogCache(store=None, warm=warm)  # type: ignore[arg-type]
    loads.release()
    with caplog.at_level(logging.ERROR, logger="tavla.nlu"):
        assert (await cache.get(2018)).entries[0].id == 1
    assert "warming catalog 2018 failed" in caplog.text


async def test_warm_builds_the_indexes_the_rules_use(sqlite_store: Any) -> None:
    from bot.nlu.catalog import load_catalog
    from bot.nlu.intents import recognize
    from bot.nlu.rules import RULES, warm

    catalog = await load_catalog(sqlite_store, 2018)
    warm(catalog)
    built = set(catalog._derived)  # noqa: SLF001
    assert built
    for text in ("status frisknärvaro", "budget kvar hemtjänst", "klar med lärplattor 60 %", "tavla förskolan humlan",
                 "veckosammanfattning fredag 14:00"):
        recognize(text, catalog, RULES)
    assert set(catalog._derived) == built  # noqa: SLF001 - nothing left for a turn to build
