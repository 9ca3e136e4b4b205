"""The handlingsplan rules through the whole recogniser (every feature's rules, the real catalog):
free-text reports, commands, and look-alikes that belong to the indicator or budget rules."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.nlu.catalog import Catalog, load_catalog
from bot.nlu.intents import recognize
from bot.nlu.normalize import Utterance
from bot.nlu.rules import RULES
from bot.nlu.rules_plans import REPORT_NEAR_INDICATOR, REPORT_SCORE, parse_day, parse_report, report, to_date
from storage.db import Store
from storage.demo import seed_demo
from storage.migrate import upgrade
from storage.seeding import seed_arsplan


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The catalog of a seeded store with the demo enheter (built once: a catalog is immutable)."""

    async def build() -> Catalog:
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('rules') / 'catalog.sqlite3'}")
        try:
            await upgrade(store)
            await seed_arsplan(store)
            await seed_demo(store, date(2018, 5, 15))
            return await load_catalog(store, 2018)
        finally:
            await store.dispose()

    return asyncio.run(build())


def unit_id(catalog: Catalog, name: str) -> int:
    return next(e.id for e in catalog.of_kind("enhet") if e.label == name)


@pytest.mark.parametrize("text,slots", [
    ("klar med digital introduktion", {"status": "klar", "query": "digital introduktion"}),
    ("Klar med Digital introduktion!", {"status": "klar", "query": "Digital introduktion"}),
    ("introduktion nyanställda 60 % väntar på IT",
     {"progress": "60", "query": "introduktion nyanställda", "comment": "väntar på IT"}),
    ("introduktion nyanstallda 60% vantar pa IT",
     {"progress": "60", "query": "introduktion nyanstallda", "comment": "vantar pa IT"}),
    ("digital introduktion är klar", {"status": "klar", "query": "digital introduktion"}),
    ("jag är klar med checklistan", {"status": "klar", "query": "checklistan"}),
    ("lärplattor pågår 50 %, tre avdelningar klara",
     {"status": "pagar", "progress": "50", "query": "lärplattor", "comment": "tre avdelningar klara"}),
    ("lärplattor 60 % klart", {"progress": "60", "query": "lärplattor"}),
    ("ergonomigenomgång inte påbörjad", {"status": "ej_paborjad", "query": "ergonomigenomgång"}),
    ("Fortbildning i programmering pausad - kursen är inställd",
     {"status": "pausad", "query": "Fortbildning i programmering", "comment": "kursen är inställd"}),
    ("klar med digital introduktion, filmerna ligger på intranätet",
     {"status": "klar", "query": "digital introduktion", "comment": "filmerna ligger på intranätet"}),
    ("digital introduction done", {"status": "klar", "query": "digital introduction"}),
    # the word that introduces the comment is not saved with it
    ("digital introduktion 80 % kommentar IT-kontona är på plats",
     {"progress": "80", "query": "digital introduktion", "comment": "IT-kontona är på plats"}),
    ("lärplattor 60 % Kommentar: fyra av fem klara",
     {"progress": "60", "query": "lärplattor", "comment": "fyra av fem klara"}),
    ("lärplattor 60 % med kommentaren – väntar på leverans",
     {"progress": "60", "query": "lärplattor", "comment": "väntar på leverans"}),
    ("lärplattor 60 % kommentarerna från föräldrarna är positiva",
     {"progress": "60", "query": "lärplattor", "comment": "kommentarerna från föräldrarna är positiva"}),
    ("digital introduction 80% comment: accounts are ready",
     {"progress": "80", "query": "digital introduction", "comment": "accounts are ready"}),
])
async def test_free_text_reports(catalog: Catalog, text: str, slots: dict[str, object]) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "plan_report", (text, intent)
    assert intent.slots == slots


@pytest.mark.parametrize("text,slots", [
    ("aktivitet 12 pågår", {"activity_id": 12, "status": "pagar"}),
    ("Aktivitet 7: 45 % halvvägs", {"activity_id": 7, "progress": "45", "comment": "halvvägs"}),
    ("aktivitet nr 3 klar", {"activity_id": 3, "status": "klar"}),
])
async def test_report_by_number_is_certain(catalog: Catalog, text: str, slots: dict[str, object]) -> None:
    intent = recognize(text, catalog, RULES)
    assert (intent.name, intent.score, intent.slots) == ("plan_report", 1.0, slots)


@pytest.mark.parametrize("text", [
    "frisknärvaro 94,2 % mars 2018",
    "Frisknärvaro 94,2 %",
    "personalomsättning 6 % 2018",
    "HME 78 2018",
    "frisknarvaro 93 procent april 2018",
])
async def test_indicator_values_are_not_reports(catalog: Catalog, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name != "plan_report", (text, intent)
    own = report(Utterance(text), catalog)
    assert own is None or own.score == REPORT_NEAR_INDICATOR  # below any named-indicator intent


@pytest.mark.parametrize("text", ["introduktion nyanställda 60 %", "digital dokumentation 80 %",
                                  "lärplattor 40 % en avdelning kvar"])
async def test_activity_percentages_are_reports_even_next_to_indicator_lookalikes(catalog: Catalog, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "plan_report" and intent.score == REPORT_SCORE, (text, intent)


@pytest.mark.parametrize("text", [
    "budget kvar äldreomsorg", "hur mycket har Hälsa och omsorg kvar?", "status frisknärvaro", "visa indikatorer",
    "hur går det med HME", "är digital introduktion klar?", "när är introduktionen klar", "hej", "hjälp",
    "veckosammanfattning", "budgeten för förskola är klar",
])
async def test_questions_and_other_features_are_not_reports(catalog: Catalog, text: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name != "plan_report", (text, intent)


async def test_commands(catalog: Catalog) -> None:
    humlan = unit_id(catalog, "Förskolan Humlan")
    knislinge = unit_id(catalog, "Hemtjänst Knislinge")
    cases = {
        "rapportera": ("plan_report_start", {}),
        "Rapportera": ("plan_report_start", {}),
        "mina aktiviteter": ("plan_mine", {}),
        "visa mina aktiviteter": ("plan_mine", {}),
        "my activities": ("plan_mine", {}),
        "tavla": ("board_show", {}),
        "tavelmöte": ("board_show", {}),
        "Tavlan": ("board_show", {}),
        "tavla Förskolan Humlan": ("board_show", {"unit_id": humlan, "unit_name": "Förskolan Humlan"}),
        "tavla forskolan humlan": ("board_show", {"unit_id": humlan, "unit_name": "Förskolan Humlan"}),
        "handlingsplaner för Hemtjänst Knislinge": ("board_show", {"unit_id": knislinge,
                                                                   "unit_name": "Hemtjänst Knislinge"}),
        "starta tavelmöte": ("board_start", {}),
        "starta tavelmötet för Hemtjänst Knislinge": ("board_start", {"unit_id": knislinge,
                                                                      "unit_name": "Hemtjänst Knislinge"}),
        "koppla kanalen till Förskolan Humlan": ("board_link", {"unit_id": humlan, "unit_name": "Förskolan Humlan"}),
        "nytt förslag: gemensam frukost på måndagar": ("plan_propose", {"title": "gemensam frukost på måndagar"}),
        "nytt förslag i Hemtjänst Knislinge: fika": ("plan_propose", {"unit_id": knislinge,
                                                                      "unit_name": "Hemtjänst Knislinge",
                                                                      "title": "fika"}),
        "nytt förslag": ("plan_propose", {"title": None}),
        "historik digital introduktion": ("activity_history", {"query": "digital introduktion"}),
        "historik aktivitet 12": ("activity_history", {"activity_id": 12}),
    }
    for text, (name, slots) in cases.items():
        intent = recognize(text, catalog, RULES)
        assert (intent.name, intent.slots) == (name, slots), text


async def test_unknown_unit_is_kept_for_the_handler_to_say(catalog: Catalog) -> None:
    intent = recognize("tavla Månbasen", catalog, RULES)
    assert intent.name == "board_show" and intent.slots == {"unit_text": "Månbasen"}


async def test_new_activity_parts(catalog: Catalog) -> None:
    intent = recognize("ny aktivitet i Förskolan Humlan: Digital introduktion för nyanställda, ansvarig Anna, "
                       "klar 30/4", catalog, RULES)
    assert intent.name == "activity_create" and intent.score == 1.0
    assert intent.slots == {"unit_id": unit_id(catalog, "Förskolan Humlan"), "unit_name": "Förskolan Humlan",
                            "owner": "Anna", "deadline": (30, 4, None),
                            "title": "Digital introduktion för nyanställda"}
    other = recognize("ny aktivitet: Städa förrådet, ansvarig Bo Berg, senast 2018-06-01, start 1/5", catalog, RULES)
    assert other.slots == {"owner": "Bo Berg", "deadline": (1, 6, 2018), "start": (1, 5, None),
                           "title": "Städa förrådet"}
    bad = recognize("ny aktivitet: X, klar i morgon", catalog, RULES)
    assert bad.slots["bad_date"] == "klar i morgon"


def test_dates() -> None:
    assert parse_day("30/4") == (30, 4, None)
    assert parse_day("30/4 2018") == (30, 4, 2018)
    assert parse_day("30/4-18") == (30, 4, 2018)
    assert parse_day("2018-04-30") == (30, 4, 2018)
    assert parse_day("30 april") == (30, 4, None)
    assert parse_day("1 maj 2019") == (1, 5, 2019)
    assert parse_day("i morgon") is None
    assert to_date((30, 4, None), 2018) == date(2018, 4, 30)
    assert to_date((31, 4, None), 2018) is None


def test_the_command_word_is_not_part_of_the_activity_name() -> None:
    """'rapportera lärplattor 60 %' (as the help's "rapportera" invites) names the activity "lärplattor"."""
    assert parse_report("rapportera lärplattor 60 %") == {"progress": "60", "query": "lärplattor"}
    assert parse_report("uppdatera mentorskap: pågår") == {"status": "pagar", "query": "mentorskap"}
    assert parse_report("report tablets 60 %") == {"progress": "60", "query": "tablets"}


def test_a_minus_on_the_number_stays_with_it_and_a_spaced_dash_separates() -> None:
    """'aktivitet 4 -20%' saved 20 % (the minus was read as a separator): the sign stays, and the handler refuses
    a negative progress; 'mentorskap - 20 %' is the name, a dash, and the progress."""
    assert parse_report("aktivitet 4 -20%") == {"activity_id": 4, "progress": "-20"}
    assert parse_report("mentorskap −5 %") == {"progress": "−5", "query": "mentorskap"}
    assert parse_report("mentorskap - 20 %") == {"progress": "20", "query": "mentorskap"}


def test_parse_report_without_a_name_leaves_the_choice_to_the_handler() -> None:
    assert parse_report("klar") == {"status": "klar", "query": ""}
    assert parse_report("60 %") == {"progress": "60", "query": ""}
    assert parse_report("inget här") is None


@pytest.mark.parametrize("text,name", [
    ("ångra", "undo_last"), ("Ångra!", "undo_last"), ("angra senaste", "undo_last"),
    ("ångra min senaste ändring", "undo_last"), ("undo", "undo_last"), ("Undo that.", "undo_last"),
])
async def test_angra_alone_is_the_undo_of_the_latest_change(catalog: Catalog, text: str, name: str) -> None:
    assert recognize(text, catalog, RULES).name == name


@pytest.mark.parametrize("text", ["ångra aktivitet 12 till 40 %", "kan jag ångra en ändring?", "ångrade mig"])
async def test_angra_with_more_words_is_not_the_undo(catalog: Catalog, text: str) -> None:
    assert recognize(text, catalog, RULES).name != "undo_last"


def test_mina_aktiviteter_with_a_typo() -> None:
    from bot.nlu.normalize import Utterance
    from bot.nlu.rules_plans import mine

    for typed in ("mina aktivitter", "Mina aktivteter", "my activites", "mina uppgiter"):
        assert mine(Utterance(typed), None) is not None, typed
    for other in ("mina aktier", "mina anteckningar", "mina"):
        assert mine(Utterance(other), None) is None, other


def test_how_is_my_unit_doing_is_the_board() -> None:
    from bot.nlu.normalize import Utterance
    from bot.nlu.rules_plans import board

    for typed in ("Hur går det för min enhet?", "hur ligger vi till", "How is my unit doing?"):
        intent = board(Utterance(typed), None)
        assert intent is not None and intent.name == "board_show" and not intent.slots, typed



@pytest.mark.parametrize("text, slots", [
    ("vem är ansvarig för lärplattor?", {"query": "lärplattor"}),
    ("Vem ansvarar för digital introduktion", {"query": "digital introduktion"}),
    ("vem har hand om introduktionsfilmen?", {"query": "introduktionsfilmen"}),
    ("vem äger nr 12", {"activity_id": 12}), ("who is responsible for activity 7?", {"activity_id": 7}),
    ("vem är ansvarig för", {}),
])
def test_who_is_responsible(catalog: Catalog, text: str, slots: dict[str, object]) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == "activity_owner" and intent.slots == slots, (text, intent)


@pytest.mark.parametrize("text, name", [
    ("hur går det för humlan?", "board_show"), ("hur går det i hemtjänst knislinge", "board_show"),
    ("how is förskolan humlan doing?", "board_show"),
    ("hur går det för frisknärvaron i humlan?", "indicator_status"),  # the indicator's, in that enhet
    ("hur ligger vi till med sjukfrånvaron i humlan?", "indicator_status"),  # frisknärvaro's complement
    ("hur går det med sjukfrånvaron i humlan", "indicator_status"),
    ("hur ligger humlan till med budgeten?", "budget"), ("hur går det för blomkål", "unknown"),
])
def test_how_is_an_enhet_doing(catalog: Catalog, text: str, name: str) -> None:
    intent = recognize(text, catalog, RULES)
    assert intent.name == name, (text, intent)
    if name == "board_show":
        assert intent.slots.get("unit_id"), intent


@pytest.mark.parametrize("text, slots", [
    ("ansvarig för gemensam frukost: Anna", {"query": "gemensam frukost", "owner": "Anna"}),
    ("Ändra ansvarig för nr 4 till Bo Berg", {"activity_id": 4, "owner": "Bo Berg"}),
    ("sätt Anna som ansvarig för frukost", {"query": "frukost", "owner": "Anna"}),
    ("ansvarig för frukost är Anna", {"query": "frukost", "owner": "Anna"}),
    ("make Anna the owner of breakfast", {"query": "breakfast", "owner": "Anna"}),
    ("ändra slutdatum för frukost till 30/6", {"query": "frukost", "deadline": (30, 6, None)}),
    ("slutdatum för frukost: 30 juni 2018", {"query": "frukost", "deadline": (30, 6, 2018)}),
    ("change the due date of frukost to 30/6", {"query": "frukost", "deadline": (30, 6, None)}),
    ("set the end date of frukost to 30/6", {"query": "frukost", "deadline": (30, 6, None)}),
    ("slutdatum för frukost: snart", {"query": "frukost", "bad_date": "snart"}),
])
def test_a_new_owner_or_due_date(catalog: Catalog, text: str, slots: dict[str, object]) -> None:
    """A chef could set an activity's owner and due date only when creating it: after "Prioritera → Starta" an
    idea stayed "ingen ansvarig än · inget slutdatum", and "ansvarig för frukost: Anna" was not understood."""
    intent = recognize(text, catalog, RULES)
    assert intent.name == "activity_assign" and intent.slots == slots, (text, intent)
    assert recognize("vem är ansvarig för frukost?", catalog, RULES).name == "activity_owner"
