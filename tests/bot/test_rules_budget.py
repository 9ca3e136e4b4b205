"""The budget rule against the real catalog (seed + demo enheter): the issue's questions, typos, English,
years, the ambiguous names, and texts that must not become budget questions."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.catalog import Catalog, load_catalog
from bot.nlu.intents import recognize
from bot.nlu.normalize import Utterance
from bot.nlu.rules import RULES
from bot.nlu.rules_budget import AMBIGUOUS as UNCLEAR_AMOUNT, budget, readings
from storage.db import Store
from storage.demo import seed_demo

AMBIGUOUS = ("Gymnasieskola", "Räddningstjänst", "Fysisk o tekn planering", "Insatser enl LSS, SFB o HsL",
             "Insatser t personer m funktionshinder", "Övriga insatser till vuxna")


_CATALOG: dict[str, Catalog] = {}


@pytest.fixture
async def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The 2018 catalog of a seeded store with the demo enheter — built once (a catalog is immutable)."""
    if "2018" not in _CATALOG:
        from storage.migrate import upgrade
        from storage.seeding import seed_arsplan

        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('rules-budget') / 'c.sqlite3'}")
        try:
            await upgrade(store)
            await seed_arsplan(store)
            await seed_demo(store, date(2018, 5, 15))
            _CATALOG["2018"] = await load_catalog(store, 2018)
        finally:
            await store.dispose()
    return _CATALOG["2018"]


def ask(text: str, catalog: Catalog):  # type: ignore[no-untyped-def]
    intent = budget(Utterance(text), catalog)
    assert intent is not None, text
    return intent


def line(catalog: Catalog, label: str, area: str | None = None) -> list[int]:
    return [e.id for e in catalog.of_kind("budget_line") if e.label == label and (area is None or e.parent_label == area)]


def area(catalog: Catalog, name: str) -> int:
    return next(e.id for e in catalog.of_kind("area") if e.label == name)


@pytest.mark.parametrize("text", [
    "budget kvar äldreomsorg", "Budget kvar Äldreomsorg?", "budgetläge äldreomsorg", "budegt kvar äldreomsrog",
    "bugdet äldreomsorg", "budget äldreomsorgen", "hur mycket finns kvar i äldreomsorgen?", "budget left elderly care",
    "how much is left for elderly care", "prognos äldreomsorg", "utfall äldreomsorg", "budget äldrevård",
])
def test_aldreomsorg(text: str, catalog: Catalog) -> None:
    intent = ask(text, catalog)
    assert intent.name == "budget" and intent.slots["target"] == "line"
    assert intent.slots["line_ids"] == line(catalog, "Äldreomsorg")
    assert intent.score >= 0.85


def test_the_issues_other_questions(catalog: Catalog) -> None:
    hoo = ask("hur mycket har Hälsa och omsorg kvar?", catalog)
    assert (hoo.name, hoo.slots["target"], hoo.slots["area_ids"]) == ("budget", "area", [area(catalog, "Hälsa och omsorg")])
    assert hoo.score == 0.95 and not hoo.slots["detail"]
    forskola = ask("budgetläge förskola", catalog)
    assert forskola.slots["line_ids"] == line(catalog, "Förskola")  # not Förskoleklass
    assert ask("budget förskoleklass", catalog).slots["line_ids"] == line(catalog, "Förskoleklass")
    for text in ("budget totalt", "budget", "budgetläget", "budget hela förvaltningen", "budget total", "budjet totalt"):
        intent = ask(text, catalog)
        assert (intent.name, intent.slots["target"]) == ("budget", "total"), text
    fou = ask("budget familj och utbildning per verksamhet", catalog)
    assert fou.slots["target"] == "area" and fou.slots["detail"] is True
    assert fou.slots["area_ids"] == [area(catalog, "Familj och utbildning")]
    over = ask("vilka verksamheter ligger över budget?", catalog)
    assert over.name == "budget_over" and "area_ids" not in over.slots
    scoped = ask("vilka verksamheter i Familj och utbildning går över budget", catalog)
    assert scoped.name == "budget_over" and scoped.slots["area_ids"] == [area(catalog, "Familj och utbildning")]
    assert ask("which lines are over budget?", catalog).name == "budget_over"
    assert ask("budget inflyttning och arbete", catalog).slots["target"] == "area"  # not the line "Inflyttning"
    assert ask("budget inflyttning", catalog).slots["line_ids"] == line(catalog, "Inflyttning")


def test_years(catalog: Catalog) -> None:
    assert ask("budget äldreomsorg 2019", catalog).slots["year"] == 2019
    assert ask("budget totalt 2018", catalog).slots == {"year": 2018, "detail": False, "target": "total"}
    assert ask("budget äldreomsorg förra året", catalog).slots["year_offset"] == -1
    assert "year" not in ask("budget äldreomsorg", catalog).slots


@pytest.mark.parametrize("name", AMBIGUOUS)
def test_names_in_two_areas_are_both_offered(name: str, catalog: Catalog) -> None:
    intent = ask(f"budget {name}", catalog)
    ids = intent.slots["line_ids"]
    assert len(ids) == 2 and sorted(ids) == sorted(line(catalog, name))


def test_an_area_named_too_narrows_the_choice(catalog: Catalog) -> None:
    assert ask("budget gymnasieskola inflyttning och arbete", catalog).slots["line_ids"] == line(
        catalog, "Gymnasieskola", "Inflyttning och arbete")
    assert ask("budget räddningstjänst i samhällsbyggnad", catalog).slots["line_ids"] == line(
        catalog, "Räddningstjänst", "Samhällsbyggnad")
    assert sorted(ask("budget lss", catalog).slots["line_ids"]) == sorted(line(catalog, "Insatser enl LSS, SFB o HsL"))
    assert len(ask("budget gymnasiet", catalog).slots["line_ids"]) == 2


def test_setting_a_prognosis(catalog: Catalog) -> None:
    intent = ask("prognos äldreomsorg 152 000 tkr: fler platser från hösten", catalog)
    assert intent.name == "budget_prognosis_set"
    assert (intent.slots["amount"], intent.slots["unit"], intent.slots["note"]) == ("152000", "tkr", "fler platser från hösten")
    assert intent.slots["line_ids"] == line(catalog, "Äldreomsorg")
    assert ask("sätt helårsprognos för förskola till 86,5 mkr", catalog).slots["unit"] == "mkr"
    changed = ask("ändra prognosen för äldreomsorg till 151 000 tkr", catalog)
    assert (changed.name, changed.slots["amount"]) == ("budget_prognosis_set", "151000")
    assert ask("helårsprognos äldreomsorg 2019 150 000", catalog).slots == {
        "year": 2019, "line_ids": line(catalog, "Äldreomsorg"), "labels": ["Äldreomsorg"], "area_ids": [],
        "amount": "150000", "unit": "tkr", "written": ["150 000"], "note": None, "anyway": False}
    assert len(ask("prognos gymnasieskola 70 000", catalog).slots["line_ids"]) == 2  # the handler asks which
    for question in ("prognos äldreomsorg 2018", "prognos äldreomsorg?", "vad är prognosen för äldreomsorg 152 000?"):
        assert ask(question, catalog).name == "budget", question
    # several amounts, or one that reads two ways: the handler asks, rather than show the card as if it was set
    for unclear in ("prognos äldreomsorg 1 2 3", "prognos äldreomsorg 152,000", "prognos äldreomsorg 152.000 tkr"):
        intent = ask(unclear, catalog)
        assert (intent.name, intent.slots["amount"]) == ("budget_prognosis_set", UNCLEAR_AMOUNT), unclear
    assert ask("prognos färdtjänst 4.300 tkr", catalog).slots["written"] == ["4.300"]  # quoted back as typed
    assert ask("prognos äldreomsorg 150 000 och 2 tkr", catalog).slots["written"] == ["150 000", "2"]
    assert [readings(w) for w in ("4.300", "4,300", "−152,000", "1.2.3", "150 853,2")] == [
        ("4300", "4.300"), ("4300", "4.300"), ("-152000", "-152.000"), None, None]
    assert ask("budget grundskola", catalog).slots["labels"] == ["Grundskola"]  # not also Grundsärskola, a look-alike
    assert ask("budget grundsärskola", catalog).slots["labels"] == ["Grundsärskola"]
    assert ask("prognos äldreomsorg 151,5 miljoner", catalog).slots["unit"] == "mkr"
    after = ask("prognos för äldreomsorg: 151,5 milj. fler platser", catalog).slots
    assert (after["amount"], after["unit"], after["note"]) == ("151.5", "mkr", "fler platser")


def test_enhet_and_unknown(catalog: Catalog) -> None:
    enhet = ask("budget Förskolan Humlan", catalog)
    assert enhet.slots["target"] == "enhet" and enhet.slots["area_name"] == "Familj och utbildning"
    unknown = ask("budget blomkål", catalog)
    assert unknown.slots["target"] == "unknown" and unknown.slots["query"] == "blomkål" and unknown.score < 0.7
    # money left asked about, with a name Tavla does not know: looked up as a budget name (it was "not understood")
    for text in ("hur mycket pengar finns kvar till skolan", "pengar kvar skolan"):
        asked = recognize(text, catalog, RULES)
        assert asked.name == "budget" and asked.slots["target"] == "unknown" and asked.slots["query"] == "skolan", text
    assert ask("hur mycket pengar har humlan kvar", catalog).slots["target"] == "enhet"
    assert ask("hur mycket pengar finns kvar?", catalog).slots["target"] == "total"


@pytest.mark.parametrize("text", [
    "status frisknärvaro", "klar med digital introduktion", "hur går det med frisknärvaro?", "hej", "hjälp",
    "mina aktiviteter", "rapportera", "veckosammanfattning", "klar med budgetuppföljning",
    "aktiviteten budgetgenomgång pågår", "nytt förslag: budgetgenomgång på tavelmötet", "frisknärvaro 94,2 % mars 2018",
    "tavla Förskolan Humlan", "vad har Humlan kvar att göra?", "prognos frisknärvaro", "indikatorer", "digital utveckling",
    "klart: digital introduktion 100 %", "påbörjat introduktion nyanställda", "hur mycket tid har vi kvar",
    "hur mycket är kvar av lärplattor?",
])
def test_not_budget(text: str, catalog: Catalog) -> None:
    assert budget(Utterance(text), catalog) is None, text
    assert recognize(text, catalog, RULES).name not in ("budget", "budget_over"), text


@pytest.mark.parametrize("text", ["budget kvar äldreomsorg", "hur mycket har Hälsa och omsorg kvar?", "budgetläge förskola",
                                  "budget totalt", "budget familj och utbildning per verksamhet",
                                  "vilka verksamheter ligger över budget?", "budget left elderly care",
                                  "budget äldreomsorg 2019", "budget gymnasieskola"])
def test_the_whole_recogniser_routes_budget_questions_here(text: str, catalog: Catalog) -> None:
    assert recognize(text, catalog, RULES).name in ("budget", "budget_over"), text


@pytest.mark.parametrize("text, month, year", [
    ("budget kvar äldreomsorg i mars", 3, None), ("utfall förskola mars", 3, None),
    ("budget totalt t.o.m. februari 2017", 2, 2017), ("budget left elderly care march", 3, None),
    ("vilka verksamheter låg över budget i maj?", 5, None), ("budget äldreomsorg", None, None),
    ("budget äldreomsorg jan", 1, None), ("utfall förskola 2018-03", 3, 2018), ("budget okt", 10, None),
    ("budget oct elderly care", 10, None), ("budget totalt dec.", 12, None), ("budget 2018-03", 3, 2018),
])
def test_a_month_named_is_a_slot(catalog: Catalog, text: str, month: int | None, year: int | None) -> None:
    intent = ask(text, catalog)
    assert intent.slots.get("month") == month and intent.slots.get("year") == year
    assert intent.slots.get("target") != "unknown"  # the month is no name Tavla fails to find
