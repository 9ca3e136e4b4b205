"""The Årsplan 2018 seed: the files hold the document's figures, and the loader stores them exactly once.

Every literal below is copied from the document (../shared/seed/arsplan-2018-ostra-goinge.txt).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.db import Store
from storage.models import (
    AdminLog,
    BudgetLine,
    CalendarStep,
    Goal,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    OrgUnit,
)
from storage.seeding import ROOT_CODE, SEED_DIR, SeedError, load_seed_files, seed_arsplan

TOTALS = {  # "Total budget" per area, tkr, section 3
    "Kommunchef": Decimal("39981.0"),
    "Ekonomi och intern service": Decimal("20058.0"),
    "HR och digital utveckling": Decimal("22934.0"),
    "Strategi och tillväxt": Decimal("10827.0"),
    "Stab": Decimal("8168.0"),
    "Samhällsbyggnad": Decimal("34519.0"),
    "Familj och utbildning": Decimal("345073.0"),
    "Hälsa och omsorg": Decimal("219205.0"),
    "Inflyttning och arbete": Decimal("93444.0"),
}
GRAND_TOTAL = Decimal("794209.0")
SAMPLE_LINES = [  # (area, verksamhet, net cost tkr)
    ("Hälsa och omsorg", "Äldreomsorg", Decimal("150853.2")),
    ("Familj och utbildning", "Gymnasieskola", Decimal("180.9")),
    ("Inflyttning och arbete", "Gymnasieskola", Decimal("70021.5")),
    ("Inflyttning och arbete", "Flykting", Decimal("-33048.0")),
    ("Ekonomi och intern service", "Fastighetsförvaltning", Decimal("-4572.0")),
    ("Samhällsbyggnad", "Räddningstjänst", Decimal("-40.0")),
    ("Kommunchef", "Räddningstjänst", Decimal("10442.0")),
    ("Familj och utbildning", "Flyktingmottagande", Decimal("-10956.1")),
    ("Samhällsbyggnad", "Miljö- o hälsoskydd, myndighetsutövning", Decimal("-1713.0")),
    ("Samhällsbyggnad", "Kommersiell verksamhet", Decimal("-142.0")),
    ("Inflyttning och arbete", "Högskoleutbildning (Lärcentra)", Decimal("338.0")),
]
ZERO_LINES = {
    ("Ekonomi och intern service", "Lokalvård"),
    ("Ekonomi och intern service", "Måltidsverksamhet"),
    ("Ekonomi och intern service", "Fjärrvärmeförsörjning"),
    ("Ekonomi och intern service", "Vatten och avlopp"),
    ("HR och digital utveckling", "Bemanning"),
    ("Familj och utbildning", "Ekonomiskt bistånd"),
    ("Familj och utbildning", "Arbetsmarknadsåtgärder"),
}
# indicator code -> (Utgångsläge 2015, Utfall 2016, Målnivå 2018, Målnivå 2019); None = printed "-"
FIGURES = {
    "nri": ("53", None, "60", "65"),
    "nyproducerade-bostader-goingehem": ("27", "9", "45", "70"),
    "nri-nojd-bostad": ("55", None, "60", "65"),
    "producerade-bostader-totalt": (None, "27", "72", "150"),
    "sysselsatta": ("6109", "6147", "6159", "6170"),
    "registrerade-foretag": ("515", "506", "520", "540"),
    "behoriga-gymnasieskolan": ("82", "89", "89", "90"),
    "gymnasieexamen-inom-4-ar": ("73", "80", "80", "82"),
    "nationella-prov-ak3": ("82", "92", "93", "90"),
    "meritvarde-ak9": ("197", "199", "215", "220"),
    "meritvarde-300-eller-hogre": ("7", "8", "12", "10"),
    "aldre-80-kvarboende-utan-insatser": ("48", "49", "52", "53"),
    "resultat-andel-skatter-statsbidrag": ("3", "3", "2", "2"),
}
YEAR_BEFORE = "Siffran gäller året före"
SCHOOL_YEAR = "Utfallet gäller läsåret 2016/2017"
STARRED = {  # (code, period) -> footnote of the indicator's own table
    ("sysselsatta", "2015"): YEAR_BEFORE,
    ("sysselsatta", "2016"): YEAR_BEFORE,
    ("behoriga-gymnasieskolan", "2016"): SCHOOL_YEAR,
    ("gymnasieexamen-inom-4-ar", "2016"): SCHOOL_YEAR,
    ("nationella-prov-ak3", "2016"): SCHOOL_YEAR,
    ("meritvarde-ak9", "2016"): SCHOOL_YEAR,
    ("meritvarde-300-eller-hogre", "2016"): SCHOOL_YEAR,
}
HR = {  # förvaltningsmål Attraktiv arbetsgivare: (direction, low, high) for 2018, no values at all
    "frisknarvaro": ("higher", Decimal("95"), None),
    "personalomsattning": ("interval", Decimal("5"), Decimal("8")),
    "hme": ("higher", Decimal("80"), None),
}
DATED_STEPS = {
    (8, 31): "Förvaltningens prioriterade område och mål beslutas, inkl ekonomiska ramar (VO-nivå)",
    (11, 30): "Slutlig budget på VO- och enhetsnivå fastställs",
    (12, 15): "VP på VO-nivå fastställs",
}


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# --- The files ------------------------------------------------------------------------------


def test_budget_files_have_the_90_lines_and_the_printed_totals() -> None:
    data = load_seed_files()
    names = {u.code: u.name for u in data.org_units}
    assert len(data.budget_lines) == 90
    assert {names[t.area]: t.total for t in data.budget_totals} == TOTALS
    for t in data.budget_totals:
        assert sum((b.net_cost for b in data.lines_for(t.area)), Decimal(0)) == TOTALS[names[t.area]]
    assert sum(t.total for t in data.budget_totals) == GRAND_TOTAL
    assert sum(b.net_cost for b in data.budget_lines) == GRAND_TOTAL
    assert all(isinstance(b.net_cost, Decimal) for b in data.budget_lines)
    by_key = {(names[b.area], b.verksamhet): b.net_cost for b in data.budget_lines}
    for area, verksamhet, amount in SAMPLE_LINES:
        assert by_key[(area, verksamhet)] == amount, (area, verksamhet)
    assert {key for key, amount in by_key.items() if amount == 0} == ZERO_LINES


def test_org_units_are_the_forvaltning_and_nine_areas() -> None:
    data = load_seed_files()
    assert data.root.code == ROOT_CODE and data.root.kind == "forvaltning"
    areas = [u for u in data.org_units if u.parent == ROOT_CODE]
    assert [u.name for u in areas] == list(TOTALS)
    assert all(u.kind == "verksamhetsomrade" and u.valid_from == 2018 and u.description for u in areas)


def test_scb_codes_only_where_certain() -> None:
    data = load_seed_files()
    names = {u.code: u.name for u in data.org_units}
    codes = {(names[b.area], b.verksamhet): b.scb_code for b in data.budget_lines if b.scb_code}
    assert codes == {
        ("Kommunchef", "Räddningstjänst"): "270",
        ("Samhällsbyggnad", "Räddningstjänst"): "270",
        ("Familj och utbildning", "Förskola"): "407",
        ("Familj och utbildning", "Fritidshem"): "425",
        ("Familj och utbildning", "Grundskola"): "440",
        ("Familj och utbildning", "Gymnasieskola"): "450",
        ("Inflyttning och arbete", "Gymnasieskola"): "450",
        ("Hälsa och omsorg", "Äldreomsorg"): "510",
        ("Familj och utbildning", "Flyktingmottagande"): "600",
    }


def test_indicator_files_hold_the_printed_figures() -> None:
    data = load_seed_files()
    assert {i.code for i in data.indicators} == set(FIGURES) | set(HR)
    for code, (base, outcome, t2018, t2019) in FIGURES.items():
        indicator = data.indicator(code)
        assert indicator.direction == "higher"
        for period, expected in (("2015", base), ("2016", outcome)):
            value = indicator.value(period)
            if expected is None:
                assert value is None and period in indicator.missing, (code, period)
            else:
                assert value is not None and value.value == Decimal(expected), (code, period)
                assert value.footnote == STARRED.get((code, period)), (code, period)
        assert indicator.target(2018).low == Decimal(t2018) and indicator.target(2018).high is None
        assert indicator.target(2019).low == Decimal(t2019)
    assert data.indicator("nri").goal == "vision"
    assert data.indicator("nri-nojd-bostad").goal == "boende"
    assert data.indicator("meritvarde-ak9").unit == "poäng"


def test_hr_indicators_have_targets_and_no_values() -> None:
    data = load_seed_files()
    for code, (direction, low, high) in HR.items():
        indicator = data.indicator(code)
        assert indicator.goal == "attraktiv-arbetsgivare"
        assert indicator.direction == direction
        assert indicator.values == () and indicator.missing == ()
        assert [(t.year, t.low, t.high) for t in indicator.targets] == [(2018, low, high)]
    definition = data.indicator("frisknarvaro").definition or ""
    assert "ingen nationell definition" in definition and "100 − sjukfrånvaro" in definition
    assert "nio påståenden" in (data.indicator("hme").definition or "")
    assert data.indicator("hme").unit == "index"


def test_synonyms_a_colleague_would_use() -> None:
    data = load_seed_files()
    expected = {
        "nri": "nöjd region-index",
        "meritvarde-ak9": "meritvärde",
        "behoriga-gymnasieskolan": "behöriga gymnasiet",
        "nyproducerade-bostader-goingehem": "nyproducerade bostäder Göingehem",
        "sysselsatta": "sysselsatta",
        "registrerade-foretag": "företag",
        "nationella-prov-ak3": "nationella prov åk 3",
        "aldre-80-kvarboende-utan-insatser": "kvarboende",
        "resultat-andel-skatter-statsbidrag": "resultatmål 2 %",
        "hme": "HME",
    }
    for code, synonym in expected.items():
        assert synonym in data.indicator(code).synonyms, code
    assert "NRI" in data.indicator("nri").synonyms


def test_unreadable_arshjul_months_are_kept_in_the_file_but_not_stored() -> None:
    steps = load_seed_files().calendar_steps
    unread = {s.title for s in steps if not s.stored}
    assert unread == {
        "Ledningens prioriteringskonferens",
        "Analysseminarier VO-nivå inför VP",
        "Budgetunderlag till KS",
        "Verksamhetsrapport Åldrande",
    }
    assert {(s.month, s.day): s.title for s in steps if s.reading == "datum"} == DATED_STEPS


def test_inconsistent_files_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, copy)
    totals = copy / "budget_totals_2018.csv"
    totals.write_text(totals.read_text(encoding="utf-8").replace("8 168,0", "8 168,1"), encoding="utf-8")
    with pytest.raises(SeedError, match="STAB"):
        load_seed_files(copy)

    shutil.copy(SEED_DIR / "budget_totals_2018.csv", totals)
    indicators = copy / "indicators.yaml"
    indicators.write_text(
        indicators.read_text(encoding="utf-8").replace('value: "6109"', "value: 6109.0"), encoding="utf-8"
    )
    with pytest.raises(SeedError, match="float"):
        load_seed_files(copy)


# --- The database ---------------------------------------------------------------------------


async def _budget(store: Store) -> list[tuple[str, str, str | None, Decimal]]:
    async with store.session() as s:
        rows = await s.execute(
            select(OrgUnit.name, BudgetLine.verksamhet, BudgetLine.verksamhet_code, BudgetLine.net_cost)
            .join(OrgUnit, BudgetLine.org_unit_id == OrgUnit.id)
            .where(BudgetLine.year == 2018)
            .order_by(BudgetLine.id)
        )
        return [tuple(r) for r in rows]


async def test_budget_in_the_store(store: Store) -> None:
    lines = await _budget(store)
    assert len(lines) == 90
    assert all(isinstance(amount, Decimal) for *_, amount in lines)
    for area, total in TOTALS.items():
        assert sum((amount for a, _, _, amount in lines if a == area), Decimal(0)) == total, area
    assert sum((amount for *_, amount in lines), Decimal(0)) == GRAND_TOTAL
    by_key = {(a, v): amount for a, v, _, amount in lines}
    for area, verksamhet, amount in SAMPLE_LINES:
        assert by_key[(area, verksamhet)] == amount
    assert {key for key, amount in by_key.items() if amount == 0} == ZERO_LINES
    codes = {(a, v): code for a, v, code, _ in lines}
    assert codes[("Hälsa och omsorg", "Äldreomsorg")] == "510"
    assert codes[("Inflyttning och arbete", "Flykting")] is None


async def test_org_tree_in_the_store(store: Store) -> None:
    async with store.session() as s:
        units = (await s.scalars(select(OrgUnit))).all()
    root = next(u for u in units if u.code == ROOT_CODE)
    assert root.parent_id is None and root.kind == "forvaltning"
    areas = [u for u in units if u.parent_id == root.id]
    assert sorted(u.name for u in areas) == sorted(TOTALS)
    assert all(u.source and u.source.startswith("Årsplan 2018") for u in units)


async def _indicator_rows(store: Store) -> dict[str, tuple[Indicator, list[IndicatorTarget], list[IndicatorValue]]]:
    async with store.session() as s:
        indicators = (await s.scalars(select(Indicator))).all()
        targets = (await s.scalars(select(IndicatorTarget).order_by(IndicatorTarget.year))).all()
        values = (await s.scalars(select(IndicatorValue).order_by(IndicatorValue.period))).all()
    return {
        i.code: (i, [t for t in targets if t.indicator_id == i.id], [v for v in values if v.indicator_id == i.id])
        for i in indicators
    }


async def test_indicator_figures_in_the_store(store: Store) -> None:
    rows = await _indicator_rows(store)
    async with store.session() as s:
        root_id = await s.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE))
    assert set(rows) == set(FIGURES) | set(HR)
    for code, (base, outcome, t2018, t2019) in FIGURES.items():
        _, targets, values = rows[code]
        assert [(t.year, t.low, t.high) for t in targets] == [(2018, _d(t2018), None), (2019, _d(t2019), None)]
        expected = [(p, k, _d(v)) for p, k, v in (("2015", "utgangslage", base), ("2016", "utfall", outcome)) if v]
        assert [(v.period, v.kind, v.value) for v in values] == expected, code
        for v in values:
            assert v.org_unit_id == root_id and v.via == "seed" and not v.is_demo
            assert v.footnote == STARRED.get((code, v.period)), (code, v.period)
            assert v.period_start.year == v.period_end.year == int(v.period)
            assert v.source and "Årsplan 2018" in v.source


async def test_sample_figures_in_the_store(store: Store) -> None:
    rows = await _indicator_rows(store)
    _, _, jobs = rows["sysselsatta"]
    assert [(v.value, v.footnote) for v in jobs] == [
        (Decimal("6109"), "Siffran gäller året före"),
        (Decimal("6147"), "Siffran gäller året före"),
    ]
    _, targets, merit = rows["meritvarde-ak9"]
    assert [v.value for v in merit] == [Decimal("197"), Decimal("199")]
    assert merit[0].footnote is None and "läsåret 2016/2017" in (merit[1].footnote or "")
    assert [t.low for t in targets] == [Decimal("215"), Decimal("220")]
    _, targets, _ = rows["nationella-prov-ak3"]
    assert [t.low for t in targets] == [Decimal("93"), Decimal("90")]
    _, _, built = rows["producerade-bostader-totalt"]
    assert [(v.period, v.value) for v in built] == [("2016", Decimal("27"))]  # 2015 printed "-"
    assert rows["nri"][0].name == "Nöjd Region Index (NRI)"
    assert rows["nri-nojd-bostad"][0].name == "Nöjd Region Index: nöjd bostad"
    result, targets, values = rows["resultat-andel-skatter-statsbidrag"]
    assert result.unit == "%" and [v.value for v in values] == [Decimal("3"), Decimal("3")]
    assert [t.low for t in targets] == [Decimal("2"), Decimal("2")]


async def test_hr_indicators_in_the_store(store: Store) -> None:
    rows = await _indicator_rows(store)
    async with store.session() as s:
        goal = await s.scalar(select(Goal).where(Goal.code == "attraktiv-arbetsgivare"))
    assert goal is not None and goal.kind == "forvaltningsmal" and "enda gemensamma" in (goal.description or "")
    for code, (direction, low, high) in HR.items():
        indicator, targets, values = rows[code]
        assert indicator.goal_id == goal.id and indicator.direction == direction
        assert [(t.year, t.low, t.high) for t in targets] == [(2018, low, high)]
        assert values == []
    assert "ingen nationell definition" in (rows["frisknarvaro"][0].definition or "")


async def test_goals_in_the_store(store: Store) -> None:
    async with store.session() as s:
        goals = {g.code: g for g in (await s.scalars(select(Goal))).all()}
    by_id = {g.id: g for g in goals.values()}
    vision = goals["vision"]
    assert vision.kind == "vision" and vision.title == "15 000 stolta göingar"
    for code, title in [
        ("boende", "Boende"),
        ("arbete-och-foretagande", "Arbete och företagande"),
        ("kunskap-och-kompetens", "Kunskap och kompetens"),
        ("aldrande", "Åldrande"),
    ]:
        assert goals[code].kind == "utmaningsomrade" and goals[code].title == title
        assert goals[code].parent_id == vision.id
    assert goals["finansiellt-mal"].kind == "finansiellt_mal"
    priorities = sorted(g.title for g in goals.values() if g.kind == "prioritering")
    assert priorities == ["Digitalisering", "Sysselsättning"]
    assert "anställningsbarheten" in (goals["sysselsattning"].description or "")
    agenda = [g for g in goals.values() if g.kind == "digital_agenda"]
    assert len(agenda) == 4
    assert all(by_id[g.parent_id].code == "digitalisering" and g.title.startswith("År 2019") for g in agenda)
    assert any("kundportal" in g.title for g in agenda)


async def test_arshjul_in_the_store(store: Store) -> None:
    async with store.session() as s:
        steps = (await s.scalars(select(CalendarStep))).all()
    dated = {(st.month, st.day): st.title for st in steps if st.day is not None}
    assert dated == DATED_STEPS
    by_title = {st.title: st for st in steps}
    assert by_title["Beslut KF om budget"].month == 6
    assert by_title["Instruktioner för VP skickas ut"].month == 9
    assert by_title["Verksamhetsrapport Boende"].month == 3
    assert by_title["Verksamhetsrapport Kunskap och kompetens"].month == 9
    assert "Budgetunderlag till KS" not in by_title  # no month can be read from the figure
    assert all(st.source and "Bilaga 2" in st.source for st in steps)


async def _counts(store: Store) -> dict[str, int]:
    models = (OrgUnit, BudgetLine, Goal, Indicator, IndicatorTarget, IndicatorValue, CalendarStep, AdminLog)
    async with store.session() as s:
        return {m.__tablename__: await s.scalar(select(func.count()).select_from(m)) for m in models}


async def test_seeding_twice_changes_nothing(store: Store) -> None:
    before = await _counts(store)
    assert before["budget_line"] == 90 and before["admin_log"] == 1
    assert await seed_arsplan(store) is False
    assert await _counts(store) == before


async def test_empty_store_is_seeded_once(empty_store: Store) -> None:
    assert (await _counts(empty_store))["org_unit"] == 0
    assert await seed_arsplan(empty_store) is True
    after = await _counts(empty_store)
    assert after["org_unit"] == 10 and after["indicator_value"] == 23 and after["calendar_step"] == 10
    async with empty_store.session() as s:
        log = await s.scalar(select(AdminLog))
    assert log is not None and log.action == "seed_arsplan" and log.detail["budget_lines"] == 90
    assert await seed_arsplan(empty_store) is False
    assert await _counts(empty_store) == after


async def test_a_failing_seed_leaves_nothing(empty_store: Store) -> None:
    data = load_seed_files()
    broken = dataclasses.replace(data, budget_lines=data.budget_lines + data.budget_lines[:1])  # duplicate key
    with pytest.raises(IntegrityError):
        await seed_arsplan(empty_store, broken)
    assert set((await _counts(empty_store)).values()) == {0}
    assert await seed_arsplan(empty_store) is True


@pytest.mark.postgres
async def test_replicas_starting_together_seed_once() -> None:
    from storage.migrate import upgrade
    from tests.conftest import PG_URL, _drop_pg_schema, _pg_schema_store

    first, schema = await _pg_schema_store()
    second = Store.from_url(PG_URL, search_path=schema)
    try:
        await upgrade(first)
        results = await asyncio.gather(*(seed_arsplan(st) for st in (first, second, first, second)))
        assert sorted(results) == [False, False, False, True]
        assert (await _counts(first))["budget_line"] == 90
    finally:
        await first.dispose()
        await second.dispose()
        await _drop_pg_schema(schema)
