"""Indicator cards as pure functions: valid Adaptive Card 1.5 (Chart.Line against the Teams schema, with a
fallback), under 28 KB at the extremes, Swedish numbers, status in words, user text never markdown."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from cards.indicators import (
    Choice,
    Measured,
    OverviewGroup,
    OverviewLine,
    OverviewView,
    RecordView,
    SavedView,
    StatusView,
    cancelled_card,
    choice_card,
    fmt_value,
    not_found_card,
    overview_card,
    record_card,
    refusal_text,
    saved_card,
    status_card,
    status_text,
    target_text,
    undone_card,
)
from followup.indicators import Period, Point, Status, Target, assess
from tests.support.cards import assert_valid_card
from tests.support.harness import card_text

D = Decimal
MAY = date(2018, 5, 15)


def _walk(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            out += _walk(v)
    elif isinstance(node, list):
        for v in node:
            out += _walk(v)
    return out


def _status_view(values: list[Measured], *, direction: str = "higher", unit: str = "%", decimals: int = 1,
                 targets: tuple[Target, ...] = (Target(2018, D(95), None),), asked: str | None = None,
                 health: bool = True, definition: str | None = "Frisknärvaro = 100 − sjukfrånvaro (%).") -> StatusView:
    a = assess(direction, targets, [Point(m.period, m.value, m.kind) for m in values], MAY, unit=unit)
    latest = next((m for m in reversed(values) if a.latest and m.period == a.latest.period), None)
    return StatusView(
        indicator_id=14, name="Frisknärvaro", short_name="Frisknärvaro", unit=unit, decimals=decimals,
        direction=direction, goal_id=2, goal_kind="forvaltningsmal", goal_title="Attraktiv arbetsgivare",
        scope_unit_id=1, scope_name="Östra Göinge kommun", scope_is_kommun=True, asked_unit_name=asked,
        assessment=a, targets=((2018, next((t for t in targets if t.year == 2018), None)),
                               (2019, next((t for t in targets if t.year == 2019), None))),
        values=tuple(values), latest=latest, definition=definition, health_data=health, as_of=MAY, pinned=True)


def _months(n: int, *, source: str = "Heroma", demo: bool = False) -> list[Measured]:
    out = []
    for i in range(n):
        year, month = 2018 - (n - 1 - i + 12 - 4) // 12, (3 - (n - 1 - i)) % 12 + 1
        out.append(Measured(Period.month(year, month), D("94.2") + D(i % 5) / 10, "matning", source=source,
                            is_demo=demo, recorded_by="Cecilia Carlsson",
                            recorded_at=datetime(2018, 4, 10, 8, tzinfo=timezone.utc), via="chat"))
    return sorted(out, key=lambda m: m.period.start)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_status_card_with_a_trend_is_valid_and_has_a_fallback(lang: str) -> None:
    view = _status_view(_months(16))
    card = status_card(view, lang)
    assert_valid_card(card)
    chart = next(e for e in _walk(card) if e.get("type") == "Chart.Line")
    assert chart["fallback"]["type"] == "Container"
    assert len(chart["data"][0]["values"]) == 16
    assert all(isinstance(v["y"], (int, float)) for v in chart["data"][0]["values"])
    toggle = next(e for e in _walk(card) if e.get("type") == "Action.ToggleVisibility")
    hidden = next(e for e in _walk(card) if e.get("id") == toggle["targetElements"][0])
    assert hidden["isVisible"] is False  # the values as text, for screen readers and small screens
    text = card_text(card)
    assert ("Status:" in text) if lang == "sv" else ("Status:" in text and "Target 2018" in text)


def test_status_card_stays_small_with_long_series_and_texts() -> None:
    long_source = "Heroma " + "x" * 5000
    view = _status_view(_months(60, source=long_source), definition="d" * 8000)
    card = status_card(view, "sv")
    assert_valid_card(card)  # under 28 KB
    chart = next(e for e in _walk(card) if e.get("type") == "Chart.Line")
    assert len(chart["data"][0]["values"]) == 24
    assert len(json.dumps(card, ensure_ascii=False).encode()) < 20_000


def test_user_text_is_never_markdown() -> None:
    evil = "[klicka här](https://evil.example) **fet** <at>x</at>"
    card = status_card(_status_view(_months(3, source=evil)), "sv")
    runs = [e for e in _walk(card) if e.get("type") == "TextRun" and evil in e.get("text", "")]
    assert runs, "the source is shown as a TextRun"
    assert not any(evil in e.get("text", "") for e in _walk(card) if e.get("type") == "TextBlock")
    assert not any(evil in str(f.get("value")) for e in _walk(card) if e.get("type") == "FactSet"
                   for f in e["facts"])


def test_status_in_words_for_every_status() -> None:
    for status in Status:
        sv, en = status_text(status, "sv"), status_text(status, "en")
        assert any(c.isalpha() for c in sv) and any(c.isalpha() for c in en)
    assert status_text(Status.RISK, "sv") == "⚠ Risk"
    assert status_text(Status.INGA_VARDEN, "sv") == "○ Inga mätvärden än"


def test_no_values_no_chart_and_targets_shown() -> None:
    card = status_card(_status_view([]), "sv")
    assert_valid_card(card)
    text = card_text(card)
    assert "Chart.Line" not in json.dumps(card)
    assert "Inga mätvärden än" in text and "minst 95 %" in text and "Ingen prognos utan mätvärden" in text
    assert "GDPR art. 9" in text


def test_swedish_numbers_and_targets() -> None:
    assert fmt_value(D("95.3"), "%", 1, "sv") == "95,3\u00a0%"
    assert fmt_value(D("6147"), "antal", 0, "sv") == "6\u00a0147"
    assert fmt_value(D("199"), "poäng", 0, "sv") == "199\u00a0poäng"
    assert fmt_value(D("78.5"), "index", 0, "sv") == "78,5"  # a recorded value keeps its own decimals
    assert fmt_value(D("-0.5"), "%", 0, "sv") == "\u22120,5\u00a0%"
    assert fmt_value(D("95.3"), "%", 1, "en") == "95.3%"
    assert target_text(Target(2018, D(5), D(8)), "interval", "%", 1, "sv") == "5–8\u00a0%"
    assert target_text(Target(2018, None, D(8)), "lower", "%", 1, "sv") == "högst 8\u00a0%"
    assert target_text(Target(2018, D(95), None), "higher", "%", 1, "en") == "at least 95%"


def test_unit_without_values_says_the_kommun_is_followed() -> None:
    card = status_card(_status_view([], asked="Hälsa och omsorg"), "sv")
    assert "Det finns inga värden registrerade för Hälsa och omsorg: indikatorn följs för hela kommunen." in card_text(card)


def test_demo_values_carry_the_badge() -> None:
    card = status_card(_status_view(_months(3, demo=True)), "sv")
    assert "Exempeldata" in card_text(card)
    assert "Exempeldata" not in card_text(status_card(_status_view(_months(3)), "sv"))
    english = card_text(status_card(_status_view(_months(3, demo=True)), "en"))
    assert "Source: Example data – invented values" in english and "Exempeldata" not in english


def _line(i: int, status: Status = Status.RISK) -> OverviewLine:
    latest = Measured(Period.year(2016), D(50 + i), "utfall")
    return OverviewLine(i, f"Indikator nummer {i} med ett långt namn", status, latest, "%", 0, True)


def test_overview_card_small_and_large() -> None:
    small = OverviewView((OverviewGroup(1, "utmaningsomrade", "Boende", (_line(1), _line(2, Status.UPPNATT))),),
                         "Östra Göinge kommun", None, "Boende", None, MAY, True)
    card = overview_card(small, "sv")
    assert_valid_card(card)
    text = card_text(card)
    assert "Resultatindikatorer – Boende" in text and "1 uppnått, 1 risk" in text
    rows = [e for e in _walk(card) if e.get("type") == "ColumnSet" and "selectAction" in e]
    assert [r["selectAction"]["data"] for r in rows] == [{"indicator_id": 1}, {"indicator_id": 2}]

    groups = tuple(OverviewGroup(g, "utmaningsomrade", f"Mål {g}", tuple(_line(g * 100 + i) for i in range(25)))
                   for g in range(8))  # 200 indicators, as in a large kommun
    card = overview_card(OverviewView(groups, "Östra Göinge kommun", None, None, None, MAY, True), "sv")
    assert_valid_card(card)
    rows = [e for e in _walk(card) if e.get("type") == "ColumnSet" and "selectAction" in e]
    assert len(rows) == 8 and rows[0]["selectAction"]["verb"] == "indicator_overview"
    assert "25 risk" in card_text(card)

    one_big = (OverviewGroup(1, "utmaningsomrade", "Boende", tuple(_line(i) for i in range(80))),)
    card = overview_card(OverviewView(one_big, "Östra Göinge kommun", 9, "Boende", None, MAY, True), "sv")
    assert_valid_card(card)
    assert "… och 50 till" in card_text(card)
    rows = [e for e in _walk(card) if e.get("type") == "ColumnSet" and "selectAction" in e]
    assert rows[0]["selectAction"]["data"] == {"indicator_id": 0, "org_unit_id": 9}


def test_choice_not_found_and_recording_cards_are_valid() -> None:
    choices = [Choice(i, f"Kort {i}", f"Långt namn {i}", "Boende") for i in range(9)]
    card = choice_card("bostäder", choices, 9, "sv")
    assert_valid_card(card)
    buttons = [e for e in _walk(card) if e.get("type") == "Action.Execute"]
    assert len(buttons) == 6 and buttons[0]["data"] == {"indicator_id": 0, "replace": True, "org_unit_id": 9}
    assert_valid_card(not_found_card("blomkål", choices[:2], "en"))

    view = RecordView(14, "Frisknärvaro", "Frisknärvaro", "%", 1, 1, "Östra Göinge kommun", True,
                      Period.month(2018, 3), D("94.2"), "Heroma", None, True, True)
    card = record_card(view, "sv")
    assert_valid_card(card)
    inputs = {e["id"]: e.get("value") for e in _walk(card) if str(e.get("type")).startswith("Input.")}
    assert inputs == {"value": "94,2", "period": "mars 2018", "source": "Heroma"}
    save = next(e for e in _walk(card) if e.get("verb") == "indicator_record_confirm")
    assert save["associatedInputs"] == "auto" and save["data"] == {"indicator_id": 14, "org_unit_id": 1}
    text = card_text(card)
    assert "Du angav ingen period" in text and "minst 5 personer" in text

    saved = SavedView(14, "Frisknärvaro", "%", 1, 1, "Östra Göinge kommun", True, Period.month(2018, 3),
                      D("94.2"), "updated", D("93.8"), 7, "Cecilia Carlsson",
                      datetime(2018, 5, 15, 8, tzinfo=timezone.utc))
    card = saved_card(saved, "sv")
    assert_valid_card(card)
    text = card_text(card)
    assert "Ersatte tidigare värde 93,8 %" in text and "15 maj 2018 kl. 10:00" in text
    assert any(e.get("verb") == "indicator_record_undo" and e["data"] == {"log_id": 7} for e in _walk(card))
    assert_valid_card(undone_card("Frisknärvaro", Period.month(2018, 3), "93,8 %", 14, 1, "sv"))
    assert_valid_card(cancelled_card("en"))


def test_refusal_names_who_can_record() -> None:
    text = refusal_text([("Cecilia Carlsson", "hr"), ("Erik Ek", "controller"), ("Tavla Admin", "admin")],
                        known=True, lang="sv")
    assert "Cecilia Carlsson (HR), Erik Ek (controller) och Tavla Admin (administratör)" in text
    assert "rollen HR, controller eller administratör" in text
    assert "Du finns inte registrerad" in refusal_text([], known=False, lang="sv")
    assert "administrator" in refusal_text([("Tavla Admin", "admin")], known=True, lang="en")


def _turnover(values: list[tuple[int, str]]) -> StatusView:
    measured = [Measured(Period.year(y), D(v), "utfall", source="Heroma", is_demo=False, recorded_by=None,
                         recorded_at=None, via="import") for y, v in values]
    return _status_view(measured, direction="interval", targets=(Target(2018, D(5), D(8)),), health=False,
                        definition=None)


def test_a_target_met_in_an_open_year_shows_where_the_trend_leads() -> None:
    """Personalomsättning 7,4 % (2017) meets 5–8 % in May 2018, but rises a point a year: the card says uppnått
    and gives the forecast for 2018 — not "no coming target to count against" while the 2018 target stands."""
    text = card_text(status_card(_turnover([(2016, "6.4"), (2017, "7.4")]), "sv"))
    assert "Uppnått" in text
    assert "ingen kommande målnivå" not in text
    assert "8,4" in text and "nås inte" in text
    one_value = card_text(status_card(_turnover([(2017, "7.4")]), "sv"))
    assert "Uppnått" in one_value and "minst två mätvärden" in one_value
    assert "ingen kommande målnivå" not in one_value
    decided = card_text(status_card(_turnover([(2017, "7.4"), (2018, "7.9")]), "sv"))  # the year's figure is in
    assert "Uppnått" in decided and "ingen kommande målnivå" in decided


def test_one_value_off_target_says_how_far_and_why_without_a_trend() -> None:
    """"Senaste värdet 78 (2017) är 2 från målnivån 2018 (minst 80), mer än 2 % av målnivån." read as a riddle."""
    hme = [Measured(Period.year(2017), D("78"), "utfall", source="Medarbetarenkät", is_demo=False, recorded_by=None,
                    recorded_at=None, via="import")]
    risk = card_text(status_card(_status_view(hme, unit="index", decimals=0, targets=(Target(2018, D(80), None),),
                                              health=False, definition=None), "sv"))
    assert "78 (2017) ligger 2 under målnivån 2018 (minst 80)" in risk
    assert "med bara ett mätvärde finns ingen trend" in risk
    close = card_text(status_card(_status_view(hme, unit="index", decimals=0, targets=(Target(2018, D("79"), None),),
                                               health=False, definition=None), "sv"))
    assert "ligger 1 under målnivån 2018 (minst 79)" in close and "räknas som på väg" in close
    english = card_text(status_card(_status_view(hme, unit="index", decimals=0, targets=(Target(2018, D(80), None),),
                                                 health=False, definition=None), "en"))
    assert "78 (2017) is 2 below the 2018 target (at least 80)" in english
