"""Activity rules: status words, Klar ⇔ 100 %, "försenad" from the clock, meetings, and who may do what."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from followup.activities import (
    EJ_PABORJAD,
    IDE,
    KLAR,
    PAGAR,
    PAUSAD,
    STATUSES,
    Actor,
    State,
    Target,
    check_lead,
    check_propose,
    check_update,
    column_of,
    days_overdue,
    find_status,
    is_overdue,
    label,
    next_state,
    parse_progress,
    parse_status,
    reference_meeting,
)
from followup.errors import Forbidden, UserError
from storage.models import ACTIVITY_STATUSES

STHLM = ZoneInfo("Europe/Stockholm")
TODAY = date(2018, 5, 15)


def test_statuses_are_the_stored_ones_with_words_in_both_languages() -> None:
    assert STATUSES == ACTIVITY_STATUSES
    assert [label(s) for s in STATUSES] == ["Idé", "Ej påbörjad", "Pågår", "Klar", "Pausad"]
    assert label(PAGAR, "en") == "In progress"
    assert [column_of(s) for s in STATUSES] == ["ideer", "att_gora", "pagar", "klart", "att_gora"]


@pytest.mark.parametrize("text,expected", [
    ("Pågår", PAGAR), ("pagar", PAGAR), ("PÅGÅR", PAGAR), ("påbörjad", PAGAR), ("In progress", PAGAR),
    ("klar", KLAR), ("Klart", KLAR), ("färdig", KLAR), ("Done", KLAR), ("klar.", KLAR),
    ("ej påbörjad", EJ_PABORJAD), ("Inte påbörjad", EJ_PABORJAD), ("not started", EJ_PABORJAD),
    ("ej_paborjad", EJ_PABORJAD), ("pausad", PAUSAD), ("på is", PAUSAD), ("Idé", IDE), ("ide", IDE),
    ("det pågår nog", None), ("blomkål", None), ("", None),
])
def test_parse_status_reads_a_whole_answer_only(text: str, expected: str | None) -> None:
    assert parse_status(text) == expected


def test_find_status_prefers_the_negated_form() -> None:
    assert find_status("ergonomi inte påbörjad än")[0] == EJ_PABORJAD
    assert find_status("vi är klara med det")[0] == KLAR
    assert find_status("förklara budgeten") is None  # "klara" inside a word is not a status


@pytest.mark.parametrize("value,expected", [(60, 60), ("60", 60), ("60 %", 60), ("0", 0), ("100%", 100),
                                            (75.0, 75), ("75,0", 75), ("85 procent", 85), ("85 Procent", 85),
                                            ("85 percent", 85)])
def test_parse_progress_accepts_whole_percentages(value: object, expected: int) -> None:
    assert parse_progress(value) == expected


@pytest.mark.parametrize("value", [True, None, "60,5", 101, -1, "-20", "−20 %", "sextio", "", "procent", [60], {"v": 1},
                                   float("nan")])
def test_parse_progress_refuses_everything_else(value: object) -> None:
    with pytest.raises(UserError):
        parse_progress(value)


@pytest.mark.parametrize("current,status,progress,expected", [
    (State(PAGAR, 60), KLAR, None, State(KLAR, 100)),  # Klar ⇒ 100 %
    (State(PAGAR, 60), None, 100, State(KLAR, 100)),  # 100 % ⇒ Klar
    (State(PAGAR, 60), KLAR, 100, State(KLAR, 100)),
    (State(EJ_PABORJAD, 0), None, 40, State(PAGAR, 40)),  # work reported ⇒ Pågår
    (State(IDE, 0), None, 10, State(PAGAR, 10)),
    (State(PAUSAD, 20), None, 30, State(PAUSAD, 30)),  # a paused one stays paused
    (State(PAGAR, 60), None, 70, State(PAGAR, 70)),
    (State(PAGAR, 60), PAUSAD, None, State(PAUSAD, 60)),
    (State(PAGAR, 60), EJ_PABORJAD, None, State(EJ_PABORJAD, 0)),
    (State(PAGAR, 60), IDE, 0, State(IDE, 0)),
    (State(KLAR, 100), PAGAR, 80, State(PAGAR, 80)),  # reopening with a %
    (State(KLAR, 100), None, 50, State(PAGAR, 50)),
    (State(PAGAR, 60), None, None, State(PAGAR, 60)),
])
def test_next_state(current: State, status: str | None, progress: int | None, expected: State) -> None:
    assert next_state(current, status, progress) == expected


@pytest.mark.parametrize("current,status,progress,words", [
    (State(PAGAR, 60), KLAR, 60, "Klar betyder 100 %"),
    (State(PAGAR, 60), PAGAR, 100, "100 % betyder"),
    (State(PAGAR, 60), EJ_PABORJAD, 40, "Ej påbörjad betyder 0 %"),
    (State(KLAR, 100), PAGAR, None, "Ange hur långt"),  # reopening needs a new %
    (State(PAGAR, 60), "avbruten", None, "Okänd status"),
])
def test_contradictions_are_refused_with_advice(current: State, status: str, progress: int | None, words: str) -> None:
    with pytest.raises(UserError) as info:
        next_state(current, status, progress)
    assert words in info.value.text("sv")


def test_overdue_is_derived_from_deadline_and_clock() -> None:
    deadline = date(2018, 4, 30)
    assert is_overdue(PAGAR, deadline, TODAY) and days_overdue(PAGAR, deadline, TODAY) == 15
    assert is_overdue(EJ_PABORJAD, deadline, TODAY) and is_overdue(PAUSAD, deadline, TODAY)
    assert not is_overdue(KLAR, deadline, TODAY)  # done
    assert not is_overdue(IDE, deadline, TODAY)  # not a commitment yet
    assert not is_overdue(PAGAR, TODAY, TODAY)  # due today is not late
    assert not is_overdue(PAGAR, None, TODAY)
    assert days_overdue(PAGAR, date(2018, 6, 1), TODAY) == 0
    assert is_overdue(PAGAR, date(2018, 5, 14), TODAY)


def test_reference_meeting_is_the_last_one_before_today() -> None:
    now = datetime(2018, 5, 15, 9, 10, tzinfo=STHLM)
    held = [datetime(2018, 5, 1, 7, 0, tzinfo=timezone.utc), datetime(2018, 5, 8, 7, 0, tzinfo=timezone.utc),
            datetime(2018, 5, 15, 7, 0, tzinfo=timezone.utc)]  # the last one is today's, going on now
    assert reference_meeting(held, now, STHLM) == held[1]
    assert reference_meeting([], now, STHLM) is None
    # 23:30 UTC on 14 May is 01:30 on 15 May in Stockholm: today, not yesterday.
    assert reference_meeting([datetime(2018, 5, 14, 23, 30, tzinfo=timezone.utc)], now, STHLM) is None


# --- Permissions: unit 10 = Förskolan Humlan, 2 = Familj och utbildning, 1 = förvaltningen -----

HUMLAN = (10, 2, 1)
KNISLINGE = (20, 3, 1)
ANNA = Actor(1, frozenset({("medarbetare", 10)}))
BO = Actor(2, frozenset({("chef", 10), ("medarbetare", 10)}))
DANA = Actor(5, frozenset({("chef", 2)}))  # chef of the area above Humlan
FATIMA = Actor(6, frozenset({("medarbetare", 20)}))
CECILIA = Actor(3, frozenset({("hr", 1)}))
ADMIN = Actor(9, frozenset({("admin", 1)}))
NOBODY = Actor(None)


def humlan(owner: int | None = 2, status: str = PAGAR) -> Target:
    return Target(HUMLAN, "Förskolan Humlan", owner, status)


def test_medarbetare_updates_their_units_activities_but_not_others() -> None:
    check_update(ANNA, humlan(), PAUSAD)
    check_update(ANNA, humlan(), None)  # a comment
    with pytest.raises(Forbidden) as info:
        check_update(FATIMA, humlan(), PAUSAD)
    assert "Förskolan Humlan" in info.value.text("sv") and "se tavlan" in info.value.text("sv")
    with pytest.raises(Forbidden):
        check_update(CECILIA, humlan(), None)  # HR for the whole förvaltning is not staff of the enhet


def test_owner_may_always_update_and_close_their_own() -> None:
    check_update(ANNA, humlan(owner=1), KLAR)
    outsider_owner = Actor(7, frozenset())
    check_update(outsider_owner, humlan(owner=7), KLAR)


def test_closing_someone_elses_and_prioritising_ideas_is_for_the_chef() -> None:
    with pytest.raises(Forbidden) as info:
        check_update(ANNA, humlan(owner=2), KLAR)
    assert "klar" in info.value.text("sv")
    with pytest.raises(Forbidden):
        check_update(ANNA, humlan(owner=None, status=IDE), EJ_PABORJAD)
    check_update(ANNA, humlan(owner=None, status=IDE), None)  # a comment on an idea is fine
    for leader in (BO, DANA, ADMIN):
        check_update(leader, humlan(owner=1), KLAR)
        check_update(leader, humlan(owner=None, status=IDE), EJ_PABORJAD)


def test_lead_acts_need_a_chef_of_the_unit_or_above_or_admin() -> None:
    for leader in (BO, DANA, ADMIN):
        check_lead(leader, HUMLAN, "Förskolan Humlan", "lägga till aktiviteter", "add activities")
    for other in (ANNA, FATIMA, CECILIA):
        with pytest.raises(Forbidden) as info:
            check_lead(other, HUMLAN, "Förskolan Humlan", "lägga till aktiviteter", "add activities")
        assert "chefen för Förskolan Humlan" in info.value.text("sv")
    gustav = Actor(8, frozenset({("chef", 20)}))
    with pytest.raises(Forbidden):
        check_lead(gustav, HUMLAN, "Förskolan Humlan", "x", "x")  # chef of another enhet


def test_proposals_from_the_units_people() -> None:
    check_propose(ANNA, HUMLAN, "Förskolan Humlan")
    check_propose(DANA, HUMLAN, "Förskolan Humlan")
    with pytest.raises(Forbidden):
        check_propose(FATIMA, HUMLAN, "Förskolan Humlan")


def test_unknown_person_is_told_how_to_get_access() -> None:
    for check in (lambda: check_update(NOBODY, humlan(), None), lambda: check_propose(NOBODY, HUMLAN, "x"),
                  lambda: check_lead(NOBODY, HUMLAN, "x", "x", "x")):
        with pytest.raises(Forbidden) as info:
            check()
        assert "inte registrerad" in info.value.text("sv")
