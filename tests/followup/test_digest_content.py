"""What the digest says: this week against the previous one, per section, and a quiet week in one line."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from cards.digest import digest_card, quiet_text
from followup.digest import (
    ActivityFact,
    BudgetFact,
    CalendarFact,
    DigestInput,
    IndicatorFact,
    ReminderCandidate,
    UpdateFact,
    build_digest,
    reminder_items,
)
from tests.support.cards import assert_valid_card
from tests.support.harness import card_text

TODAY = date(2018, 5, 14)
NOW = datetime(2018, 5, 14, 5, 30, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=60)


def act(i: int, title: str, status: str = "pagar", deadline: date | None = None, *, created: datetime = LONG_AGO,
        owner: str | None = "Anna Andersson", progress: int = 40) -> ActivityFact:
    return ActivityFact(i, title, "Förskolan Humlan", owner, status, progress, deadline, created, created)


def upd(i: int, days_ago: float, who: str, old: dict, new: dict, comment: str | None = None) -> UpdateFact:
    return UpdateFact(i, who, NOW - timedelta(days=days_ago), old, new, comment)


def data(**sections: object) -> DigestInput:
    base: dict[str, object] = dict(scope_name="Förskolan Humlan", scope_kind="enhet", today=TODAY, now=NOW,
                                   activities=(), updates=(), indicators=(), budget=(), calendar=())
    base.update(sections)
    return DigestInput(**base)  # type: ignore[arg-type]


def test_updates_this_week_with_who_and_net_change_previous_weeks_ignored() -> None:
    activities = (act(1, "Språkpromenader"), act(2, "Utemiljö"), act(3, "Gammal"))
    updates = (
        upd(1, 3, "Anna Andersson", {"progress": 20}, {"progress": 40}),
        upd(1, 1, "Bo Berg", {"progress": 40, "status": "pagar"}, {"progress": 100, "status": "klar"}),
        upd(2, 2, "Anna Andersson", {}, {}, comment="Väntar på offert"),
        upd(3, 9, "Bo Berg", {"progress": 0}, {"progress": 10}),  # last week: not news
    )
    activities = (act(1, "Språkpromenader", "klar", progress=100),) + activities[1:]
    content = build_digest(data(activities=activities, updates=updates))
    lines = {line.title: line for line in content.updates.lines}
    assert set(lines) == {"Språkpromenader", "Utemiljö"}
    first = lines["Språkpromenader"]
    assert first.who == ("Anna Andersson", "Bo Berg")
    assert {(c.field, c.old, c.new) for c in first.changes} == {("progress", 20, 100), ("status", "pagar", "klar")}
    assert lines["Utemiljö"].comment == "Väntar på offert" and lines["Utemiljö"].changes == ()
    assert [line.title for line in content.completed.lines] == ["Språkpromenader"]
    assert content.has_news


def test_an_activity_made_this_week_is_new_with_what_changed_since_not_none_to_its_values() -> None:
    made = {"title": "Sagostund på torsdagar", "status": "ej_paborjad", "progress": 0, "deadline": "2018-06-30",
            "owner": 4}
    activities = (act(1, "Sagostund på torsdagar", progress=30, created=NOW - timedelta(days=2)),
                  act(2, "Bokcirkel", created=NOW - timedelta(days=1)))
    updates = (upd(1, 2, "Bo Berg", {}, made),
               upd(1, 1, "Anna Andersson", {"progress": 0, "status": "ej_paborjad"}, {"progress": 30, "status": "pagar"}),
               upd(2, 1, "Bo Berg", {}, {**made, "title": "Bokcirkel"}))
    content = build_digest(data(activities=activities, updates=updates))
    lines = {line.title: line for line in content.updates.lines}
    assert [(c.field, c.old, c.new) for c in lines["Sagostund på torsdagar"].changes] == [
        ("created", None, None), ("status", "ej_paborjad", "pagar"), ("progress", 0, 30)]
    assert [c.field for c in lines["Bokcirkel"].changes] == ["created"]
    for lang, said in (("sv", ": ny aktivitet, status ej påbörjad → pågår, klart 0 % → 30 %"),
                       ("en", ": new activity, status not started → in progress, progress 0% → 30%")):
        text = card_text(digest_card(content, lang))
        assert said in text and "None" not in text


def test_overdue_due_soon_and_new_ideas() -> None:
    activities = (
        act(1, "Sen sedan länge", deadline=TODAY - timedelta(days=30)),
        act(2, "Nyss sen", deadline=TODAY - timedelta(days=2)),
        act(3, "Pausad och sen", "pausad", TODAY - timedelta(days=1)),
        act(4, "Klar men sen", "klar", TODAY - timedelta(days=3)),
        act(5, "Snart", deadline=TODAY + timedelta(days=6)),
        act(6, "Om två veckor", deadline=TODAY + timedelta(days=14)),
        act(7, "Ny idé", "ide", created=NOW - timedelta(days=2)),
        act(8, "Gammal idé", "ide", created=NOW - timedelta(days=20)),
        act(9, "Idag", "ej_paborjad", TODAY),
    )
    content = build_digest(data(activities=activities))
    assert [line.title for line in content.overdue.lines] == ["Sen sedan länge", "Nyss sen", "Pausad och sen"]
    assert content.overdue.lines[0].days_late == 30
    assert content.newly_overdue == 2
    assert [line.title for line in content.due_soon.lines] == ["Idag", "Snart"]
    assert [line.title for line in content.new_ideas.lines] == ["Ny idé"]
    assert content.has_news


def test_indicators_changed_or_off_target() -> None:
    indicators = (
        IndicatorFact(1, "Frisknärvaro", "uppnatt", "risk", True, Decimal("94.2"), "%", 1, "higher", Decimal("93"),
                      None, "2018-04"),
        IndicatorFact(2, "Nöjd medborgarindex", "ej_uppnatt", "ej_uppnatt", False, Decimal("52"), "index", 0, "higher",
                      Decimal("55")),
        IndicatorFact(3, "Andel behöriga", "uppnatt", "uppnatt", True),
        IndicatorFact(4, "Första värdet", "pa_vag", None, True, Decimal("3"), "antal"),
    )
    content = build_digest(data(indicators=indicators))
    assert [line.name for line in content.indicators_changed.lines] == ["Frisknärvaro", "Första värdet"]
    assert [line.name for line in content.indicators_off.lines] == ["Nöjd medborgarindex"]
    assert content.has_news
    card = digest_card(content, "sv")
    assert_valid_card(card)
    text = card_text(card)
    assert "Frisknärvaro\n: Risk → Uppnått\n – 94,2 %, målnivå minst 93 %\n (april 2018)" in text  # not (2018-04)
    assert "Det som hänt 7–14 maj 2018 jämfört med veckan innan." in text  # not "7/5–14 maj 2018"
    assert "Nöjd medborgarindex\n: Ej uppnått\n – 52, målnivå minst 55" in text
    only_off = build_digest(data(indicators=indicators[1:3]))
    assert not only_off.has_news and only_off.still == {"indicators_off": 1}


def test_budget_deviation_beyond_threshold_in_percentage_points() -> None:
    lines = (
        BudgetFact(1, "Äldreomsorg", "Hälsa och omsorg", Decimal("100000.0"), Decimal("45000"), Decimal("38000"), 4,
                   NOW - timedelta(days=2)),  # 45 % used vs 38 % periodised: +7 pp, fresh
        BudgetFact(2, "Förskola", "Familj och utbildning", Decimal("50000.0"), Decimal("17000"), Decimal("16000"), 4,
                   NOW - timedelta(days=2)),  # +2 pp: within
        BudgetFact(3, "Intäkter", "Stab", Decimal("-2000.0"), Decimal("-400"), Decimal("-660"), 4,
                   NOW - timedelta(days=30)),  # 20 % vs 33 %: −13 pp, not fresh
        BudgetFact(4, "Utan utfall", "Stab", Decimal("1000"), None, None, None),
    )
    content = build_digest(data(budget=lines))
    got = {d.verksamhet: d for d in content.budget.lines}
    assert set(got) == {"Äldreomsorg", "Intäkter"}
    assert got["Äldreomsorg"].deviation_pp == Decimal("7.0") and got["Äldreomsorg"].fresh
    assert got["Intäkter"].deviation_pp == Decimal("-13.0") and not got["Intäkter"].fresh
    assert [d.verksamhet for d in content.budget.lines] == ["Intäkter", "Äldreomsorg"]  # largest first
    assert content.has_news
    stale = build_digest(data(budget=lines[2:]))
    assert not stale.has_news and stale.still == {"budget": 1}


def test_arshjul_steps_within_three_weeks_and_month_steps_once() -> None:
    steps = (CalendarFact(11, 30, "Slutlig budget på VO- och enhetsnivå fastställs"),
             CalendarFact(12, 15, "VP på VO-nivå fastställs"), CalendarFact(9, None, "Instruktioner för VP skickas ut"),
             CalendarFact(6, None, "Beslut KF om budget"))
    november = build_digest(data(today=date(2018, 11, 19), now=datetime(2018, 11, 19, 6, tzinfo=timezone.utc),
                                 calendar=steps))
    assert [(s.on, s.title[:7]) for s in november.calendar.lines] == [(date(2018, 11, 30), "Slutlig")]
    december = build_digest(data(today=date(2018, 11, 26), now=datetime(2018, 11, 26, 6, tzinfo=timezone.utc),
                                 calendar=steps))
    assert [s.on for s in december.calendar.lines] == [date(2018, 11, 30), date(2018, 12, 15)]
    assert december.has_news
    may = build_digest(data(today=date(2018, 5, 28), now=datetime(2018, 5, 28, 6, tzinfo=timezone.utc),
                            calendar=steps))
    assert [(s.on, s.month) for s in may.calendar.lines] == [(None, 6)]  # the week before June begins
    mid_june = build_digest(data(today=date(2018, 6, 18), now=datetime(2018, 6, 18, 6, tzinfo=timezone.utc),
                                 calendar=steps))
    assert mid_june.calendar.lines == ()  # a month-only step is not repeated all month


def test_quiet_week_one_short_line_with_what_is_still_open() -> None:
    activities = (act(1, "Sen sedan länge", deadline=TODAY - timedelta(days=30)),)
    content = build_digest(data(activities=activities))
    assert content.quiet and content.still == {"overdue": 1}
    line = quiet_text(content, "sv")
    assert line == ("Veckosammanfattning v. 20 – Förskolan Humlan: inget nytt sedan förra veckan. "
                    "Fortfarande: 1 försenade aktiviteter.")
    assert "\n" not in line and len(line) < 200
    empty = build_digest(data())
    assert quiet_text(empty, "en") == "Weekly digest week 20 – Förskolan Humlan: nothing new since last week."


def test_missing_sources_degrade_and_are_named() -> None:
    content = build_digest(data(indicators=None, budget=None))
    assert content.unavailable == ("indicators", "budget")
    card = digest_card(build_digest(data(indicators=None, activities=(act(1, "X", deadline=TODAY),))), "sv")
    assert_valid_card(card)
    assert "Finns inte med än: indikatorer." in card_text(card)


def test_card_shows_user_text_verbatim_and_limits_long_sections() -> None:
    activities = tuple(act(i, f"**Aktivitet {i}** <script>", deadline=TODAY - timedelta(days=i)) for i in range(1, 13))
    content = build_digest(data(activities=activities))
    card = digest_card(content, "sv", subscription_id=5)
    assert_valid_card(card)
    text = card_text(card)
    assert "**Aktivitet 12** <script>" in text  # a TextRun: never parsed as markdown
    assert "… och 4 till" in text and content.overdue.total == 12
    assert "Försenade (12, varav 7 nya)" in text
    assert card["actions"][0]["data"] == {"subscription_id": 5}
    one = build_digest(data(activities=activities[:1]))  # overdue since yesterday: "1 ny", not "1 nya"
    assert one.newly_overdue == 1 and "Försenade (1, varav 1 ny)" in card_text(digest_card(one, "sv"))


def test_reminder_items_per_owner_stale_open_due_this_meeting_week() -> None:
    meeting = date(2018, 5, 17)  # Thursday
    stale = NOW - timedelta(days=10)
    fresh = NOW - timedelta(days=2)
    items = [
        ReminderCandidate(1, "Sen", 10, "pagar", 30, date(2018, 5, 1), stale),
        ReminderCandidate(2, "Söndag", 10, "ej_paborjad", 0, date(2018, 5, 20), stale),
        ReminderCandidate(3, "Nästa vecka", 10, "pagar", 30, date(2018, 5, 22), stale),
        ReminderCandidate(4, "Uppdaterad nyss", 10, "pagar", 30, date(2018, 5, 1), fresh),
        ReminderCandidate(5, "Klar", 11, "klar", 100, date(2018, 5, 1), stale),
        ReminderCandidate(6, "Idé", 11, "ide", 0, date(2018, 5, 1), stale),
        ReminderCandidate(7, "Utan ägare", None, "pagar", 0, date(2018, 5, 1), stale),
        ReminderCandidate(8, "Någon annans", 12, "pausad", 0, date(2018, 5, 16), stale),
    ]
    got = reminder_items(items, meeting=meeting, today=date(2018, 5, 16), now=NOW, stale_days=7)
    assert {owner: [c.activity_id for c in cs] for owner, cs in got.items()} == {10: [1, 2], 12: [8]}
    assert reminder_items(items, meeting=meeting, today=date(2018, 5, 16), now=NOW, stale_days=14) == {}
