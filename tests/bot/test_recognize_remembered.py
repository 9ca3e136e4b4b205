"""``recognize_remembered``: the same intent as ``recognize`` for every text, remembered per catalog, each
caller with its own slots; long texts are not remembered and the memory is bounded."""

from __future__ import annotations

import pytest

from bot.nlu import intents
from bot.nlu.catalog import load_catalog
from bot.nlu.intents import recognize, recognize_remembered
from bot.nlu.rules import RULES
from storage.db import Store

TEXTS = [
    "status frisknärvaro", "Status frisknärvaro?", "frisknarvaro halsa och omsorg", "status personalomsättning 2017",
    "budget kvar äldreomsorg", "hur mycket har hälsa och omsorg kvar?", "budget", "budget för blomkål",
    "mina aktiviteter", "tavla förskolan humlan", "klar med kartlägga lokalbehov", "lärplattor 60 %",
    "ny aktivitet: Städa förrådet, ansvarig Bo Berg, senast 2018-06-01", "veckobrev måndag 08:00",
    "hjälp", "hej", "asdf", "", "   ", "visa indikatorer", "frisknärvaro 96,1 % april", "status blomkål",
    "Robert'); DELETE FROM activity WHERE ('1'='1", "**fet** <b>html</b>", "status frisknärvaro " * 3,
]


@pytest.fixture
async def catalog(sqlite_store: Store):  # noqa: ANN201 - the seeded store's catalog
    return await load_catalog(sqlite_store, 2018)


async def test_the_same_intent_as_recognize_first_and_again(catalog) -> None:  # noqa: ANN001
    for text in TEXTS:
        expected = recognize(text, catalog, RULES)
        assert recognize_remembered(text, catalog, RULES) == expected, text
        assert recognize_remembered(text, catalog, RULES) == expected, text  # remembered
    memo = catalog.derived(("recognized", id(RULES)), dict)
    assert set(memo) == set(TEXTS)


async def test_each_caller_gets_its_own_slots(catalog) -> None:  # noqa: ANN001
    first = recognize_remembered("budget kvar äldreomsorg", catalog, RULES)
    assert first.name == "budget" and first.slots
    first.slots.clear()  # a handler changing its intent's slots …
    again = recognize_remembered("budget kvar äldreomsorg", catalog, RULES)
    assert again.slots == recognize("budget kvar äldreomsorg", catalog, RULES).slots != {}  # … changes no other


async def test_long_texts_are_not_remembered_and_the_memory_is_bounded(catalog, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(intents, "REMEMBERED", 3)
    long = "status frisknärvaro " + "x" * intents.REMEMBERED_MAX_CHARS
    assert recognize_remembered(long, catalog, RULES) == recognize(long, catalog, RULES)
    for text in TEXTS[:6]:
        recognize_remembered(text, catalog, RULES)
    memo = catalog.derived(("recognized", id(RULES)), dict)
    assert list(memo) == TEXTS[3:6]  # the last three, oldest first; the long text never
