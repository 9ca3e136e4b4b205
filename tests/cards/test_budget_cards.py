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
