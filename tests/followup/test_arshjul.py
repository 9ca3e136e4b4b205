"""The årshjul against a date: which steps are past, which is next (also across the new year), a month's
steps or the first after an empty month, and the steps a "när …" question names."""

from __future__ import annotations

from datetime import date

from followup.arshjul import Step, matching, wheel

STEPS = [
    Step(12, 15, "VP på VO-nivå fastställs"),
    Step(6, None, "Beslut KF om budget"),
    Step(8, 31, "Förvaltningens prioriterade område och mål beslutas, inkl ekonomiska ramar (VO-nivå)"),
    Step(3, None, "Verksamhetsrapport Boende"),
    Step(9, None, "Instruktioner för VP skickas ut"),
    Step(11, 30, "Slutlig budget på VO- och enhetsnivå fastställs"),
]


def _titles(lines) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.step.title for line in lines]


def test_the_year_in_order_with_past_steps_and_the_next_one() -> None:
    shown = wheel(STEPS, date(2018, 5, 15))
    assert [(line.step.month, line.step.day) for line in shown.lines] == [(3, None), (6, None), (8, 31), (9, None),
                                                                          (11, 30), (12, 15)]
    assert [line.past for line in shown.lines] == [True, False, False, False, False, False]
    assert [line.step.title for line in shown.lines if line.next] == ["Beslut KF om budget"]
    assert shown.matched and shown.following is None


def test_a_dated_step_is_past_the_day_after_and_a_month_step_when_its_month_is() -> None:
    on_the_day = wheel(STEPS, date(2018, 8, 31))
    assert [line.step.day for line in on_the_day.lines if line.next] == [31]  # today's step is still to come
    after = wheel(STEPS, date(2018, 9, 1))
    assert not any(line.past for line in after.lines if line.step.month == 9)  # September's runs all month
    assert [line.step.title for line in after.lines if line.next] == ["Instruktioner för VP skickas ut"]
    october = wheel(STEPS, date(2018, 10, 1))
    assert all(line.past for line in october.lines if line.step.month <= 9)


def test_after_the_last_step_the_next_is_next_years_first() -> None:
    shown = wheel(STEPS, date(2018, 12, 20))
    assert all(line.past for line in shown.lines)
    assert [line.step.title for line in shown.lines if line.next] == ["Verksamhetsrapport Boende"]


def test_a_month_shows_its_steps_or_says_what_comes_after_it() -> None:
    november = wheel(STEPS, date(2018, 5, 15), month=11)
    assert november.matched and _titles(november.lines) == ["Slutlig budget på VO- och enhetsnivå fastställs"]
    may = wheel(STEPS, date(2018, 5, 15), month=5)
    assert not may.matched and len(may.lines) == len(STEPS)
    assert may.following is not None and may.following.step.title == "Beslut KF om budget"
    january = wheel(STEPS, date(2018, 5, 15), month=1)
    assert january.following is not None and january.following.step.month == 3
    december_on = wheel(STEPS, date(2018, 5, 15), month=12)
    assert december_on.matched
    nothing = wheel([], date(2018, 5, 15), month=5)
    assert nothing.lines == () and nothing.following is None


def test_a_question_names_its_steps_by_their_words() -> None:
    # KF's decision in June is when the budget is fastställd too (it showed only the final budget of 30/11)
    assert [s.title for s in matching(STEPS, "när fastställs budgeten?")] == [
        "Beslut KF om budget", "Slutlig budget på VO- och enhetsnivå fastställs"]
    assert [s.title for s in matching(STEPS, "när fastställs VP?")] == ["VP på VO-nivå fastställs"]
    assert [s.title for s in matching(STEPS, "när skickas instruktionerna för VP ut?")] == [
        "Instruktioner för VP skickas ut"]
    assert matching(STEPS, "när ska det vara klart?") == []  # no word that names a step
    shown = wheel(STEPS, date(2018, 5, 15), query="när beslutar KF om budgeten?")
    assert shown.matched and _titles(shown.lines) == ["Beslut KF om budget"]
    assert [s.title for s in matching(STEPS, "när är budgeten klar?")] == [
        "Beslut KF om budget", "Slutlig budget på VO- och enhetsnivå fastställs"]  # both name the budget
    assert matching(STEPS, "när fastställs lönerevisionen?") == []  # a verb alone names no step
    unknown = wheel(STEPS, date(2018, 5, 15), query="när fastställs lönerevisionen?")
    assert not unknown.matched and len(unknown.lines) == len(STEPS)  # the whole year, and the card says so
