"""The digest phrases through the whole recogniser (every feature's rules, the real catalog)."""

from __future__ import annotations

import pytest

from bot.nlu.catalog import load_catalog
from bot.nlu.intents import recognize
from bot.nlu.rules import RULES
from storage.db import Store
from storage.demo import seed_demo

CASES = [
    ("veckosammanfattning", "digest_show", {}),
    ("Veckosammanfattningen?", "digest_show", {}),
    ("prenumerera på veckosammanfattning", "digest_subscribe", {}),
    ("prenumerera på veckosammanfattning för Förskolan Humlan", "digest_subscribe", {"scope": "Förskolan Humlan"}),
    ("prenumerera på veckosammanfattningen för hela förvaltningen", "digest_subscribe", {"scope": "whole"}),
    ("prenumerera på veckosammanfattning för Hälsa och omsorg på tisdagar kl 8", "digest_subscribe",
     {"scope": "Hälsa och omsorg", "weekday": 1, "time": "08:00"}),
    ("ändra veckosammanfattning till tisdag 08:00", "digest_change", {"weekday": 1, "time": "08:00"}),
    ("flytta veckosammanfattningen till fredagar 13.15", "digest_change", {"weekday": 4, "time": "13:15"}),
    ("veckosammanfattning på onsdagar", "digest_change", {"weekday": 2}),
    ("pausa veckosammanfattning", "digest_pause", {}),
    ("återuppta veckosammanfattningen", "digest_resume", {}),
    ("starta veckosammanfattningen igen", "digest_resume", {}),
    ("stoppa veckosammanfattning", "digest_stop", {}),
    ("sluta skicka veckosammanfattningen", "digest_stop", {}),
    ("stoppa veckosammanfattning för Förskolan Humlan", "digest_stop", {"scope": "Förskolan Humlan"}),
    ("stop the weekly digest", "digest_stop", {}),
    ("subscribe to the weekly digest", "digest_subscribe", {}),
    ("tavelmöte på torsdagar", "digest_meeting_day", {"weekday": 3}),
    ("vi har tavelmöte på tisdagar i Förskolan Humlan", "digest_meeting_day", {"weekday": 1}),
    ("inga påminnelser", "digest_reminders_off", {}),
    ("stäng av påminnelser", "digest_reminders_off", {}),
    ("påminnelser igen", "digest_reminders_on", {}),
    ("slå på påminnelser", "digest_reminders_on", {}),
]


_CATALOG: list[object] = []


@pytest.fixture
async def catalog(sqlite_store: Store):  # noqa: ANN201 - one seeded catalog for the module (it is immutable)
    from datetime import date

    if not _CATALOG:
        await seed_demo(sqlite_store, date(2018, 5, 15))
        _CATALOG.append(await load_catalog(sqlite_store, 2018))
    return _CATALOG[0]


@pytest.mark.parametrize(("text", "intent", "slots"), CASES)
async def test_digest_phrases(catalog, text: str, intent: str, slots: dict) -> None:  # noqa: ANN001
    got = recognize(text, catalog, RULES)
    assert got.name == intent, (text, got)
    for key, value in slots.items():
        if key == "scope":
            scope = got.slots.get("scope") or {}
            assert (scope.get("kind") == "whole") if value == "whole" else scope.get("name") == value, got.slots
        else:
            assert got.slots.get(key) == value, got.slots


@pytest.mark.parametrize("text", ["starta tavelmöte", "visa tavlan för Förskolan Humlan", "hur går det med budgeten",
                                  "mina aktiviteter", "status frisknärvaro"])
async def test_other_features_phrases_are_not_taken(catalog, text: str) -> None:  # noqa: ANN001
    assert not recognize(text, catalog, RULES).name.startswith("digest_")
