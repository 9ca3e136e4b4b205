"""What the weekly digest says for one scope — pure: facts in, a content view out.

Compared with the previous week: activities updated in the last 7 days (who, what), newly completed,
overdue and due within 7 days, new ideas; indicators whose status changed or that are off target; budget
areas whose förbrukningsgrad deviates from the periodised budget beyond a threshold; upcoming årshjul
steps. A section whose source is not available is ``None`` in the input and listed in ``unavailable``.
A week with no news is *quiet*: the sender posts one short line (or nothing, per subscription).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

WINDOW_DAYS = 7
CALENDAR_DAYS = 21
BUDGET_THRESHOLD_PP = Decimal("5")  # procentenheter förbrukningsgrad vs periodiserad budget
SECTION_LIMIT = 8  # lines per section on the card; the rest is counted ("och 3 till")
OPEN_STATUSES = ("ej_paborjad", "pagar", "pausad")  # can be försenad: the rule of followup.activities.is_overdue
TRACKED_FIELDS = ("status", "progress", "deadline", "title", "owner")
CREATED = "created"  # a ``Change`` that says the activity was made this week


# --- facts in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFact:
    id: int
    title: str
    unit_name: str
    owner: str | None
    status: str
    progress: int
    deadline: date | None
    created_at: datetime
    updated_at: datetime
    is_demo: bool = False


@dataclass(frozen=True)
class UpdateFact:
    """One entry of the append-only activity log."""

    activity_id: int
    who: str | None
    at: datetime
    old: dict[str, Any]
    new: dict[str, Any]
    comment: str | None = None


@dataclass(frozen=True)
class IndicatorFact:
    """An indicator's status now and a week ago, as the indicator rules judge it (a status code; the card
    says it in words). ``None`` status: no value to judge."""

    id: int
    name: str
    status_now: str | None  # e.g. "uppnatt" / "pa_vag" / "risk" / "ej_uppnatt" / "ingen_malniva"
    status_before: str | None
    on_target: bool | None  # None: no target or no value
    value: Decimal | None = None  # the latest value
    unit: str = ""
    decimals: int = 0
    direction: str = "higher"
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    period: str | None = None
    is_demo: bool = False


@dataclass(frozen=True)
class BudgetFact:
    line_id: int
    verksamhet: str
    area_name: str
    net_cost: Decimal  # årsbudget (tkr)
    utfall_to_date: Decimal | None
    periodised_budget: Decimal | None
    through_month: int | None
    computed_at: datetime | None = None
    is_demo: bool = False


@dataclass(frozen=True)
class CalendarFact:
    month: int
    day: int | None
    title: str


@dataclass(frozen=True)
class DigestInput:
    scope_name: str
    scope_kind: str  # enhet / verksamhetsomrade / forvaltning
    today: date
    now: datetime
    activities: tuple[ActivityFact, ...] | None = None
    updates: tuple[UpdateFact, ...] | None = None
    indicators: tuple[IndicatorFact, ...] | None = None
    budget: tuple[BudgetFact, ...] | None = None
    calendar: tuple[CalendarFact, ...] | None = None
    budget_threshold: Decimal = BUDGET_THRESHOLD_PP
    window_days: int = WINDOW_DAYS
    calendar_days: int = CALENDAR_DAYS


# --- content out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class UpdateLine:
    activity_id: int
    title: str
    unit_name: str
    who: tuple[str, ...]
    changes: tuple[Change, ...]
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class ActivityLine:
    activity_id: int
    title: str
    unit_name: str
    owner: str | None
    deadline: date | None
    status: str
    progress: int
    days_late: int = 0


@dataclass(frozen=True)
class IndicatorLine:
    id: int
    name: str
    status: str | None
    before: str | None
    value: Decimal | None
    unit: str
    decimals: int
    direction: str
    target_low: Decimal | None
    target_high: Decimal | None
    period: str | None


@dataclass(frozen=True)
class BudgetDeviation:
    line_id: int
    verksamhet: str
    area_name: str
    used_pct: Decimal  # förbrukningsgrad, % av årsbudget
    periodised_pct: Decimal  # periodiserad budget, % av årsbudget
    deviation_pp: Decimal  # used − periodised, procentenheter
    through_month: int | None
    fresh: bool  # new utfall this week


@dataclass(frozen=True)
class CalendarLine:
    title: str
    on: date | None  # None: some time in ``month``
    month: int
    year: int


@dataclass(frozen=True)
class Section:
    """Lines to show, and how many more there are beyond the card's limit."""

    lines: tuple[Any, ...] = ()
    more: int = 0

    def __bool__(self) -> bool:
        return bool(self.lines)

    @property
    def total(self) -> int:
        return len(self.lines) + self.more


@dataclass(frozen=True)
class DigestContent:
    scope_name: str
    scope_kind: str
    today: date
    iso_year: int
    iso_week: int
    updates: Section = Section()
    completed: Section = Section()
    overdue: Section = Section()
    due_soon: Section = Section()
    new_ideas: Section = Section()
    indicators_changed: Section = Section()
    indicators_off: Section = Section()
    budget: Section = Section()
    calendar: Section = Section()
    newly_overdue: int = 0
    unavailable: tuple[str, ...] = ()
    is_demo: bool = False
    has_news: bool = False
    still: dict[str, int] = field(default_factory=dict)  # persistent items behind a quiet week

    @property
    def quiet(self) -> bool:
        return not self.has_news


def _section(lines: list[Any], limit: int = SECTION_LIMIT) -> Section:
    return Section(tuple(lines[:limit]), max(0, len(lines) - limit))


def _line(a: ActivityFact, today: date) -> ActivityLine:
    late = (today - a.deadline).days if a.deadline and a.deadline < today else 0
    return ActivityLine(a.id, a.title, a.unit_name, a.owner, a.deadline, a.status, a.progress, late)


def _merge_updates(updates: tuple[UpdateFact, ...], activities: dict[int, ActivityFact],
                   since: datetime) -> tuple[list[UpdateLine], set[int]]:
    """One line per activity: everyone who changed it this week and the net change (first old → last new)."""
    by_activity: OrderedDict[int, list[UpdateFact]] = OrderedDict()
    for update in sorted(updates, key=lambda u: u.at):
        if update.at >= since and update.activity_id in activities:
            by_activity.setdefault(update.activity_id, []).append(update)
    lines: list[UpdateLine] = []
    completed: set[int] = set()
    for activity_id, entries in by_activity.items():
        activity = activities[activity_id]
        first: dict[str, Any] = {}
        last: dict[str, Any] = {}
        created = False
        for entry in entries:
            if not entry.old and entry.new:  # its first log row: made this week, and changed from how it was made
                created = True
                first.update((k, entry.new[k]) for k in TRACKED_FIELDS if k in entry.new)
            for key in TRACKED_FIELDS:
                if key in entry.new:
                    first.setdefault(key, entry.old.get(key))
                    last[key] = entry.new[key]
        changes = ((Change(CREATED, None, None),) if created else ()) + tuple(
            Change(k, first[k], last[k]) for k in TRACKED_FIELDS if k in last and first[k] != last[k])
        comment = next((e.comment for e in reversed(entries) if e.comment), None)
        if not changes and not comment:
            continue
        who: list[str] = []
        for entry in entries:
            if entry.who and entry.who not in who:
                who.append(entry.who)
        if last.get("status") == "klar" and first.get("status") != "klar":
            completed.add(activity_id)
        lines.append(UpdateLine(activity_id, activity.title, activity.unit_name, tuple(who), changes, comment,
                                entries[-1].at))
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines, completed


def budget_deviation(fact: BudgetFact, threshold: Decimal, since: datetime,
                     now: datetime | None = None) -> BudgetDeviation | None:
    """Förbrukningsgrad vs periodised budget (both as % of the year's budget); None when within threshold."""
    if not fact.net_cost or fact.utfall_to_date is None or fact.periodised_budget is None:
        return None
    used = (Decimal(fact.utfall_to_date) / Decimal(fact.net_cost) * 100).quantize(Decimal("0.1"))
    periodised = (Decimal(fact.periodised_budget) / Decimal(fact.net_cost) * 100).quantize(Decimal("0.1"))
    deviation = used - periodised
    if abs(deviation) < threshold:
        return None
    # New figures this week: computed in (since, now]; with a pinned clock (the 2018 demo) a later
    # computation is base data, not news.
    fresh = fact.computed_at is not None and since <= fact.computed_at and (now is None or fact.computed_at <= now)
    return BudgetDeviation(fact.line_id, fact.verksamhet, fact.area_name, used, periodised, deviation,
                           fact.through_month, fresh)


def upcoming_steps(steps: tuple[CalendarFact, ...], today: date, days: int) -> list[CalendarLine]:
    """Dated steps within ``days``; a month-only step in the week its month begins (and the week before)."""
    horizon = today + timedelta(days=days)
    out: list[tuple[date, CalendarLine]] = []
    for step in steps:
        for year in (today.year, today.year + 1):
            if step.day is not None:
                try:
                    on = date(year, step.month, step.day)
                except ValueError:
                    continue
                if today <= on <= horizon:
                    out.append((on, CalendarLine(step.title, on, step.month, year)))
            else:
                first = date(year, step.month, 1)
                if today - timedelta(days=6) <= first <= today + timedelta(days=7):
                    out.append((first, CalendarLine(step.title, None, step.month, year)))
    out.sort(key=lambda pair: (pair[0], pair[1].title))
    return [line for _, line in out]


def build_digest(data: DigestInput) -> DigestContent:
    """The digest for one scope and week; ``has_news`` False means a quiet week."""
    today = data.today
    since = data.now - timedelta(days=data.window_days)
    iso = today.isocalendar()
    unavailable = [name for name, value in (("activities", data.activities), ("indicators", data.indicators),
                                            ("budget", data.budget), ("calendar", data.calendar))
                   if value is None]
    activities = {a.id: a for a in data.activities or ()}
    demo = any(a.is_demo for a in activities.values())

    update_lines, completed_ids = _merge_updates(data.updates or (), activities, since)
    completed = [_line(activities[i], today) for i in completed_ids if activities[i].status == "klar"]
    completed.sort(key=lambda line: line.title)
    open_ = [a for a in activities.values() if a.status in OPEN_STATUSES and a.deadline is not None]
    overdue = sorted((_line(a, today) for a in open_ if a.deadline < today),  # type: ignore[operator]
                     key=lambda line: (-line.days_late, line.title))
    newly_overdue = sum(1 for line in overdue if line.days_late <= data.window_days)
    due_soon = sorted((_line(a, today) for a in open_
                       if today <= a.deadline <= today + timedelta(days=data.window_days)),  # type: ignore[operator]
                      key=lambda line: (line.deadline, line.title))
    ideas = sorted((_line(a, today) for a in activities.values() if a.status == "ide" and a.created_at >= since),
                   key=lambda line: line.title)

    changed: list[IndicatorLine] = []
    off: list[IndicatorLine] = []
    for ind in data.indicators or ():
        demo = demo or ind.is_demo
        line = IndicatorLine(ind.id, ind.name, ind.status_now, ind.status_before, ind.value, ind.unit, ind.decimals,
                             ind.direction, ind.target_low, ind.target_high, ind.period)
        if ind.status_now is not None and ind.status_before is not None and ind.status_now != ind.status_before:
            changed.append(line)
        elif ind.status_now is not None and ind.status_before is None and ind.on_target is not None:
            changed.append(line)  # a first value this week is a change too
        elif ind.on_target is False:
            off.append(line)

    deviations = [d for d in (budget_deviation(b, data.budget_threshold, since, data.now) for b in data.budget or ())
                  if d is not None]
    demo = demo or any(b.is_demo for b in data.budget or ())
    deviations.sort(key=lambda d: (-abs(d.deviation_pp), d.verksamhet))
    steps = upcoming_steps(data.calendar or (), today, data.calendar_days)

    has_news = bool(update_lines or completed or ideas or due_soon or newly_overdue or changed
                    or any(d.fresh for d in deviations) or steps)
    still = {k: v for k, v in (("overdue", len(overdue)), ("indicators_off", len(off)),
                               ("budget", len(deviations))) if v}
    return DigestContent(
        scope_name=data.scope_name, scope_kind=data.scope_kind, today=today, iso_year=iso[0], iso_week=iso[1],
        updates=_section(update_lines), completed=_section(completed), overdue=_section(overdue),
        due_soon=_section(due_soon), new_ideas=_section(ideas), indicators_changed=_section(changed),
        indicators_off=_section(off), budget=_section(deviations), calendar=_section(steps),
        newly_overdue=newly_overdue, unavailable=tuple(unavailable), is_demo=demo, has_news=has_news, still=still,
    )


# --- tavelmöte reminders ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderCandidate:
    """An activity of the enhet whose tavelmöte is coming, with its owner."""

    activity_id: int
    title: str
    owner_id: int | None
    status: str
    progress: int
    deadline: date | None
    updated_at: datetime
    version: int = 1


def reminder_items(candidates: list[ReminderCandidate] | tuple[ReminderCandidate, ...], *, meeting: date,
                   today: date, now: datetime, stale_days: int) -> dict[int, list[ReminderCandidate]]:
    """Per owner: open activities that are overdue or due in the meeting's week and that nobody has
    updated for ``stale_days`` days. Owners with nothing to be reminded of are absent."""
    week_end = meeting + timedelta(days=6 - meeting.weekday())
    stale_before = now - timedelta(days=max(0, stale_days))
    out: dict[int, list[ReminderCandidate]] = {}
    for c in sorted(candidates, key=lambda c: (c.deadline or date.max, c.title)):
        if c.owner_id is None or c.status not in OPEN_STATUSES or c.deadline is None:
            continue
        if c.deadline > week_end:  # overdue (before today) or due by the end of the meeting's week
            continue
        if c.updated_at > stale_before:
            continue
        out.setdefault(c.owner_id, []).append(c)
    return out
