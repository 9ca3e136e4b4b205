"""The indicator rule in the whole recogniser: every seed indicator by full name and natural phrasings,
typos, å/ä/ö-less and English; ambiguity; the overview; recording vs activity reports; budget negatives."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.nlu.catalog import Catalog, load_catalog
from bot.nlu.intents import Intent, recognize
from bot.nlu.normalize import Utterance
from bot.nlu.rules import RULES
from bot.nlu.rules_indicators import indicators
from storage.db import Store
from storage.seeding import load_seed_files

_CATALOG: dict[str, Catalog] = {}


@pytest.fixture
async def catalog(template_root: Path) -> Catalog:
    """The catalog of the seeded store (loaded once per session from the seeded SQLite template)."""
    if "seed" not in _CATALOG:
        from tests.conftest import _sqlite_template

        path = await _sqlite_template(template_root, True)
        store = Store.from_url(f"sqlite+aiosqlite:///{path}")
        try:
            _CATALOG["seed"] = await load_catalog(store, 2018)
        finally:
            await store.dispose()
    return _CATALOG["seed"]


def _ids(catalog: Catalog) -> dict[str, int]:
    return {str(e.extra["code"]): e.id for e in catalog.of_kind("indicator")}


def _goal(catalog: Catalog, title: str) -> int:
    return next(e.id for e in catalog.of_kind("goal") if e.label == title)


def _area(catalog: Catalog, name: str) -> int:
    return next(e.id for e in catalog.of_kind("area") if e.label == name)


PHRASINGS: dict[str, list[str]] = {
    "nri": ["status NRI", "hur går det med nöjd region-index?", "nojd region index", "NRI?",
            "citizen satisfaction index"],
    "nyproducerade-bostader-goingehem": ["status nyproducerade bostäder Göingehem", "Göingehems nyproduktion",
                                         "hur manga nya bostader har goingehem byggt"],
    "nri-nojd-bostad": ["NRI nöjd bostad", "nojd bostad?", "how is housing satisfaction"],
    "producerade-bostader-totalt": ["bostadsbyggande", "hur många nya bostäder byggs totalt?",
                                    "status producerade bostader totalt"],
    "sysselsatta": ["antal sysselsatta", "sysselsättningen?", "hur går det med sysselsatta 16+"],
    "registrerade-foretag": ["antal företag", "hur många registrerade företag finns det", "number of companies"],
    "behoriga-gymnasieskolan": ["behöriga gymnasiet", "gymnasiebehörighet", "behoriga till gymnasiet",
                                "upper secondary eligibility"],
    "gymnasieexamen-inom-4-ar": ["gymnasieexamen inom 4 år", "status examen eller studiebevis",
                                 "graduation within 4 years"],
    "nationella-prov-ak3": ["nationella prov åk 3", "NP åk 3", "nationella prov ak3", "national tests year 3"],
    "meritvarde-ak9": ["meritvärde åk 9", "genomsnittligt meritvärde", "meritvarde arskurs 9",
                       "what is the merit value"],
    "meritvarde-300-eller-hogre": ["meritvärde 300+", "andel elever med meritvärde över 300",
                                   "meritvarde 300 eller hogre"],
    "aldre-80-kvarboende-utan-insatser": ["äldre 80+", "kvarboende", "aldre 80+ utan insatser", "elderly 80+"],
    "resultat-andel-skatter-statsbidrag": ["finansiellt mål", "resultatmålet",
                                           "hur går det med resultatet av skatter och statsbidrag",
                                           "financial result"],
    "frisknarvaro": ["status frisknärvaro?", "frisknärvarp", "frisknarvaro", "frisktal",
                     "hur ligger vi till med frisknärvaron", "@Tavla status frisknärvaro", "sick leave",
                     "FRISKNÄRVARO!!"],
    "personalomsattning": ["Personalomsättning", "personalomsattningen", "staff turnover",
                           "hur är personalomsättningen?"],
    "hme": ["hur går det med HME", "HME-index", "medarbetarengagemang", "employee engagement", "status hme?"],
}


def _cases() -> list[tuple[str, str]]:
    cases = []
    for ind in load_seed_files().indicators:
        cases.append((ind.code, ind.name))  # by the full name, exactly as in the document
        assert len(PHRASINGS[ind.code]) >= 2, ind.code
        cases += [(ind.code, text) for text in PHRASINGS[ind.code]]
    return cases


def test_every_seed_indicator_has_phrasings() -> None:
    assert {i.code for i in load_seed_files().indicators} == set(PHRASINGS)


@pytest.mark.parametrize(("code", "text"), _cases())
def test_status_question_finds_the_indicator(catalog: Catalog, code: str, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "indicator_status", (text, intent)
    assert intent.slots["indicator_ids"] == [_ids(catalog)[code]], (text, intent.slots)
    assert intent.score >= 0.75


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("bostäder", {"nyproducerade-bostader-goingehem", "nri-nojd-bostad", "producerade-bostader-totalt"}),
        ("status bostader", {"nyproducerade-bostader-goingehem", "nri-nojd-bostad", "producerade-bostader-totalt"}),
        ("meritvärde", {"meritvarde-ak9", "meritvarde-300-eller-hogre"}),
        ("hur går det med meritvärdet?", {"meritvarde-ak9", "meritvarde-300-eller-hogre"}),
        ("nöjd region", {"nri", "nri-nojd-bostad"}),
        ("gymnasiet", {"behoriga-gymnasieskolan", "gymnasieexamen-inom-4-ar"}),
        ("resultat", {"resultat-andel-skatter-statsbidrag", "nationella-prov-ak3"}),
    ],
)
def test_ambiguous_questions_offer_each_candidate(catalog: Catalog, text: str, codes: set[str]) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "indicator_status", (text, intent)
    ids = _ids(catalog)
    assert set(intent.slots["indicator_ids"]) == {ids[c] for c in codes}
    assert intent.slots["ambiguous"] is True


def test_org_unit_in_the_question_is_a_slot(catalog: Catalog) -> None:
    intent = recognize("Status personalomsättning Hälsa och omsorg", catalog, RULES)
    assert intent.name == "indicator_status"
    assert intent.slots["indicator_ids"] == [_ids(catalog)["personalomsattning"]]
    assert intent.slots["org_unit_id"] == _area(catalog, "Hälsa och omsorg")
    intent = recognize("frisknarvaro halsa och omsorg", catalog, RULES)
    assert intent.slots["org_unit_id"] == _area(catalog, "Hälsa och omsorg")


def test_nothing_close_is_a_not_found_status(catalog: Catalog) -> None:
    intent = recognize("status blomkål", catalog, RULES)
    assert intent.name == "indicator_status" and intent.slots["indicator_ids"] == []
    assert intent.slots["query"] == "blomkal"


@pytest.mark.parametrize(
    ("text", "goal", "area"),
    [
        ("visa indikatorer", None, None),
        ("indikatorer", None, None),
        ("show indicators", None, None),
        ("indikatorer kunskap och kompetens", "Kunskap och kompetens", None),
        ("visa indikatorer för boende", "Boende", None),
        ("show indicators for housing", "Boende", None),
        ("visa indikatorerna för attraktiv arbetsgivare", "Attraktiv arbetsgivare", None),
        ("indikatorer åldrande", "Åldrande", None),
        ("visa indikatorer Hälsa och omsorg", None, "Hälsa och omsorg"),
        # the goals of Göingemodellen are what the overview shows, each with its indicators
        ("vad har vi för mål?", None, None), ("vilka mål har vi?", None, None), ("vilka är våra mål", None, None),
        ("hur går det med målen?", None, None), ("what are our goals?", None, None),
        ("målen för boende", "Boende", None),
    ],
)
def test_overview(catalog: Catalog, text: str, goal: str | None, area: str | None) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "indicator_overview", (text, intent)
    assert intent.slots.get("goal_id") == (_goal(catalog, goal) if goal else None)
    assert intent.slots.get("org_unit_id") == (_area(catalog, area) if area else None)


def test_overview_with_an_unknown_goal_keeps_the_words(catalog: Catalog) -> None:
    intent = recognize("visa indikatorer för blomkål", catalog, RULES)
    assert intent.name == "indicator_overview" and intent.slots["goal_query"] == "blomkal"


@pytest.mark.parametrize(
    ("text", "code", "value", "period", "percent"),
    [
        ("frisknärvaro 94,2 % mars 2018", "frisknarvaro", "94.2", "2018-03", True),
        ("HME 78 2018", "hme", "78", "2018", False),
        ("registrera personalomsättning 6,5 % för 2017", "personalomsattning", "6.5", "2017", True),
        ("frisknarvaro 93.8% 2018-02", "frisknarvaro", "93.8", "2018-02", True),
        ("sysselsatta 6 150 2017", "sysselsatta", "6150", "2017", False),
        ("resultat av skatter och statsbidrag −0,5 % 2017", "resultat-andel-skatter-statsbidrag", "-0.5", "2017",
         True),
        ("nationella prov åk 3 93 2017", "nationella-prov-ak3", "93", "2017", False),
        ("frisknärvaro 94,2 %", "frisknarvaro", "94.2", None, True),
    ],
)
def test_recording_a_value(catalog: Catalog, text: str, code: str, value: str, period: str | None,
                           percent: bool) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "indicator_record", (text, intent)
    assert intent.slots["indicator_ids"] == [_ids(catalog)[code]]
    assert Decimal(intent.slots["value"]) == Decimal(value)
    assert intent.slots["period"] == period and intent.slots["percent"] is percent


def test_recording_with_unit_and_source(catalog: Catalog) -> None:
    intent = recognize("frisknärvaro Hälsa och omsorg 93,1 % april 2018 källa Heroma", catalog, RULES)
    assert intent.name == "indicator_record"
    assert intent.slots["org_unit_id"] == _area(catalog, "Hälsa och omsorg")
    assert intent.slots["source"] == "Heroma" and intent.slots["period"] == "2018-04"


def test_two_values_are_flagged_not_guessed(catalog: Catalog) -> None:
    intent = recognize("frisknärvaro 94,2 % mars 2018 och 95 april", catalog, RULES)
    assert intent.name == "indicator_record" and intent.slots["problem"] == "many_numbers"


def test_a_question_with_a_number_is_not_a_recording(catalog: Catalog) -> None:
    intent = recognize("hur går det med frisknärvaro 2018?", catalog, RULES)
    assert intent.name == "indicator_status"
    intent = recognize("meritvärde åk 9", catalog, RULES)  # the 9 is part of the name
    assert intent.name == "indicator_status"


@pytest.mark.parametrize(
    "text",
    [
        "budget kvar äldreomsorg",
        "hur mycket har Hälsa och omsorg kvar?",
        "budget totalt",
        "utfall äldreomsorg tkr",
        "introduktion nyanställda 60 %",
        "klar med digital introduktion",
        "aktivitet 12 pågår",
        "mina aktiviteter",
        "hej",
        "hjälp",
        "veckosammanfattning",
        "blomkål och potatis",
        "tavla Förskolan Humlan",
    ],
)
def test_budget_and_activity_texts_never_become_an_indicator_intent(catalog: Catalog, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert not intent.name.startswith("indicator"), (text, intent)
    assert indicators(Utterance(text), catalog) is None, text


def test_activity_report_with_a_percentage_is_left_to_the_activity_rule(catalog: Catalog) -> None:
    assert indicators(Utterance("introduktion nyanställda 60 %"), catalog) is None
    assert indicators(Utterance("klar med digital introduktion"), catalog) is None
    recorded = indicators(Utterance("personalomsättning 6,5 % 2017"), catalog)
    assert isinstance(recorded, Intent) and recorded.name == "indicator_record"


def test_no_catalog_no_intent() -> None:
    assert indicators(Utterance("status frisknärvaro"), None) is None


def test_a_goal_word_with_a_number_stays_a_report(catalog: Catalog) -> None:
    """"sätta mål 60 %" reports on an activity with "mål" in its title, as before "mål" asked for the goals."""
    intent = recognize("sätta mål 60 %", catalog, RULES)
    assert intent.name == "plan_report" and intent.slots["progress"] == "60"


@pytest.mark.parametrize("text", ["vilka mål når vi inte?", "vilka mål nås inte", "vilka indikatorer är röda?"])
def test_goals_not_reached_are_the_red_ones(catalog: Catalog, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "indicator_overview" and intent.slots == {"status": "risk"}, (text, intent)
