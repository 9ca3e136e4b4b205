"""Budget cards: shares are rounded once, from the exact figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from cards.budget import LineView, Shown, line_card
from cards.render_text import render
from followup.budget import LineFigures


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
