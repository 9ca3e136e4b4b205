"""Budget cards: shares are rounded once, from the exact figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from cards.budget import LineView, Shown, TotalView, line_card, total_card
from cards.render_text import render
from followup.budget import LineFigures, by_area, totals


def _line(net_cost: str, utfall: str, through_month: int) -> LineFigures:
    return LineFigures(line_id=1, year=2018, verksamhet="Äldreomsorg", area_id=2, area_name="Hälsa och omsorg",
                       net_cost=D(net_cost), through_month=through_month, utfall=D(utfall))


def test_consumption_is_rounded_once_not_twice() -> None:
    # 50 489,3 / 150 853,2 = 33,47 %: rounded to 0,1 first it would be 33,5 % and then 34 %.
    text, _ = render(line_card(LineView(_line("150853.2", "50489.3", 4), Shown(date(2018, 5, 15), True)), "sv"))
    words = " ".join(text.split())  # the text rendering pads the facts into columns
    assert "Förbrukningsgrad: 33 % (efter 4 av 12 månader: 33 %)" in words, text
    assert "34 %" not in words


def test_half_a_percent_rounds_up() -> None:
    text, _ = render(line_card(LineView(_line("1000", "335", 4), Shown(date(2018, 5, 15), True)), "sv"))
    assert "Förbrukningsgrad: 34 %" in " ".join(text.split()), text  # 33,5 % exactly


def _periodised(line_id: int, net_cost: str, periodised: str, *, profile: bool, method: str) -> LineFigures:
    return LineFigures(line_id=line_id, year=2018, verksamhet=f"Verksamhet {line_id}", area_id=2,
                       area_name="Hälsa och omsorg", net_cost=D(net_cost), through_month=4, utfall=D(periodised),
                       periodised=D(periodised), prognosis=D(net_cost), method=method, has_profile=profile)


def _total_text(lines: list[LineFigures]) -> str:
    view = TotalView(2018, tuple(by_area(lines)), totals(lines), Shown(date(2018, 5, 15), True))
    text, _ = render(total_card(view, "sv"))
    return " ".join(text.split())


def test_a_total_of_profiled_and_linear_lines_is_not_called_linear() -> None:
    """A newcomer read "Förbrukningsgrad: 34 % (efter 4 av 12 månader: 34 %)" and "266 155,4 tkr (linjärt)" on the
    förvaltning's card — 4 of 12 months is 33 %, and linear would have been less: some lines have a monthly
    profile. The card now says how the budget to date was spread, and the forecast methods in words."""
    mixed = _total_text([_periodised(1, "1200", "400", profile=False, method="trend"),
                         _periodised(2, "1200", "520", profile=True, method="profil")])
    assert "linjärt)" not in mixed.replace("övriga linjärt", "")
    assert "efter 4 av 12 månader" not in mixed
    assert "Förbrukningsgrad: 38 % (periodiserat hittills: 38 %)" in mixed
    assert "920,0 tkr (1 av 2 verksamheter enligt månadsprofil, övriga linjärt)" in mixed
    assert "prognoser: 1 efter månadsprofil, 1 i samma takt som hittills" in mixed
    linear = _total_text([_periodised(1, "1200", "400", profile=False, method="trend"),
                          _periodised(2, "1200", "400", profile=False, method="trend")])
    assert "(efter 4 av 12 månader: 33 %)" in linear and "800,0 tkr (linjärt)" in linear


def test_a_choice_of_two_lines_in_one_area_is_not_called_two_areas() -> None:
    """"budget grundskola" showed "Grundskola / Grundsärskola finns i 2 verksamhetsområden", both columns headed
    Familj och utbildning. Two names are two verksamheter; one name in two areas is two areas."""
    from cards.budget import ChoiceView, choice_card

    def line(line_id: int, name: str, area: str) -> LineFigures:
        return LineFigures(line_id=line_id, year=2018, verksamhet=name, area_id=line_id, area_name=area,
                           net_cost=D("1000"), through_month=4, utfall=D("300"))

    shown = Shown(date(2018, 5, 15), True)
    two_lines, _ = render(choice_card(ChoiceView("Grundskola / Grundsärskola", (
        line(1, "Grundskola", "Familj och utbildning"), line(2, "Grundsärskola", "Familj och utbildning")), shown), "sv"))
    assert "Vilken verksamhet menar du?" in two_lines and "passar 2 verksamheter" in two_lines
    assert "verksamhetsområden" not in two_lines and "Grundsärskola" in two_lines
    two_areas, _ = render(choice_card(ChoiceView("Gymnasieskola", (
        line(1, "Gymnasieskola", "Familj och utbildning"), line(2, "Gymnasieskola", "Inflyttning och arbete")), shown),
        "sv"))
    assert "Gymnasieskola finns i 2 verksamhetsområden med var sin budget" in two_areas
