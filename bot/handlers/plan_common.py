"""What the handlingsplan and board handlers share: card-data checks, finding an activity, applying a
change through the versioned update, and building the board and "mina aktiviteter" cards.

Card data is user input: every id, version, status, percentage and text is checked here for type and
range, and every activity is re-read and its rights re-checked — whatever the card says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_data import MAX_ID, card_int
from bot.nlu.catalog import key
from bot.turn import Turn
from cards import plans as cards
from cards.texts import t
from followup.activities import (
    IDE,
    KLAR,
    STATUSES,
    Actor,
    State,
    Target,
    check_update,
    days_overdue,
    label,
    next_state,
    parse_progress,
    reference_meeting,
)
from followup.errors import UserError
from storage import plans
from storage.plans import ActivityView, Outcome

MATCH_CUTOFF = 75.0  # below this a title does not name the activity
WIDE_MATCH_CUTOFF = 85.0  # among a whole year's activities: a chance likeness is likelier ("blomkål" ~ "lokala")
MATCH_MARGIN = 8.0  # candidates this close to the best are shown as a choice
MAX_CANDIDATES = 5


class BadCardData(UserError):
    """Card data that cannot be ours (wrong type, out of range, another unit's activity)."""

    def __init__(self) -> None:
        super().__init__("Knappen skickade uppgifter som inte stämmer, så inget ändrades. Skriv ”mina aktiviteter” "
                         "eller ”tavla” för att få ett nytt kort.",
                         "The button sent data that does not add up, so nothing was changed. Write “my activities” "
                         "or “board” for a fresh card.")


async def unknown_unit(turn: Turn, text: str, example_sv: str = "", example_en: str = "") -> UserError:
    """No enhet is called ``text``: say so, with the nearest enhet names ("Menade du …?") when there are any.
    Several that fit equally (the recogniser's ``unit_choices``): name them and ask for the whole name."""
    choices = [str(c[1]) for c in turn.slots.get("unit_choices") or [] if isinstance(c, (list, tuple)) and len(c) == 2]
    if choices:
        return UserError(f"Flera enheter passar ”{text}”: {_or(choices, 'och')}. Skriv hela namnet.",
                         f"Several units fit “{text}”: {_or(choices, 'and')}. Write the whole name.")
    catalog = await turn.catalog()
    near = [m.entry.label for m in catalog.suggest(text, "enhet", limit=3)]
    sv = f"Jag hittar ingen enhet som heter ”{text}”."
    en = f"I can't find a unit called “{text}”."
    if near:
        sv += f" Menade du {_or(near, 'eller')}?"
        en += f" Did you mean {_or(near, 'or')}?"
    return UserError(f"{sv} {example_sv}".strip(), f"{en} {example_en}".strip())


def _or(names: list[str], word: str) -> str:
    quoted = [f"”{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {word} {quoted[-1]}"


class NothingToSave(UserError):
    def __init__(self, view: ActivityView) -> None:
        sv = f"{label(view.status, 'sv')}, {view.progress} %"
        en = f"{label(view.status, 'en')}, {view.progress}%"
        super().__init__(f"Inget att spara: ”{view.title}” är redan {sv}. Ändra status eller procent, eller skriv en "
                         "kommentar.",
                         f"Nothing to save: “{view.title}” is already {en}. Change the status or progress, or write "
                         "a comment.")


class NoAccess(UserError):
    def __init__(self) -> None:
        super().__init__(t("no_access", "sv"), t("no_access", "en"))


# --- Card data ------------------------------------------------------------------------------


def int_field(data: dict[str, Any], name: str, *, required: bool = True, minimum: int = 1,
              maximum: int = MAX_ID) -> int | None:
    """An integer a card sent (a JSON number or a string of digits); ``BadCardData`` otherwise."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadCardData()
        return None
    number = card_int(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise BadCardData()
    return number


def status_field(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadCardData()
        return None
    if not isinstance(value, str) or value not in STATUSES:
        raise BadCardData()
    return value


def progress_field(data: dict[str, Any], name: str) -> int | None:
    """A percentage from an Input.Number (Teams sends it as a string) or the card's own data."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (bool, list, dict)):
        raise BadCardData()
    return parse_progress(value)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, *, limit: int, bad_type_raises: bool = True) -> str | None:
    """User text from a card or chat: a string, control characters removed, trimmed; None when empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        if bad_type_raises:
            raise BadCardData()
        return None
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if len(text) > limit:
        raise UserError(f"Texten är för lång ({len(text)} tecken, högst {limit}). Korta den och försök igen.",
                        f"The text is too long ({len(text)} characters, at most {limit}). Shorten it and try again.")
    return text or None


# --- Who and when ---------------------------------------------------------------------------


def actor(turn: Turn) -> Actor:
    return Actor(turn.caller.person_id, frozenset((m.role, m.org_unit_id) for m in turn.caller.memberships))


def require_known(turn: Turn) -> int:
    if turn.caller.person_id is None:
        raise NoAccess()
    return turn.caller.person_id


def footer(turn: Turn) -> cards.Footer:
    return cards.Footer(turn.clock.today(), turn.clock.pinned)


def item(view: ActivityView, turn: Turn) -> cards.Item:
    today = turn.clock.today()
    return cards.Item(
        id=view.id, version=view.version, title=view.title, unit_id=view.unit_id, unit_name=view.unit_name,
        owner_name=view.owner_name, deadline=view.deadline, status=view.status, progress=view.progress,
        overdue_days=days_overdue(view.status, view.deadline, today), goal_title=view.goal_title,
        is_demo=view.is_demo, updated_by=view.updated_by_name,
        updated_at=view.updated_at.astimezone(turn.clock.tz) if view.updated_at else None,
        last_comment=view.last_comment,
    )


async def target(session: AsyncSession, turn: Turn, view: ActivityView) -> Target:
    """What the rights rules need of an activity (in a session that writes no catalogue table: the unit's path
    through ``turn.catalogue``)."""
    return Target(await turn.catalogue.unit_path(session, view.unit_id), view.unit_name, view.owner_id, view.status)


async def my_units(session: AsyncSession, turn: Turn) -> list[plans.UnitView]:
    """The enheter the caller belongs to or leads (a chef of an area leads every enhet below it)."""
    year = turn.clock.today().year
    direct = {m.org_unit_id for m in turn.caller.memberships if m.role in ("medarbetare", "chef")}
    return await plans.enheter_below(session, direct, year) if direct else []


# --- Finding an activity by what someone wrote ----------------------------------------------


STOP_WORDS = frozenset({"med", "for", "i", "pa", "av", "och", "till", "om", "en", "ett", "att", "den", "det",
                        "min", "mitt", "mina", "var", "vara", "the", "of", "with", "for", "to", "a", "an", "and"})


def _word_score(word: str, title_words: list[str]) -> float:
    best = 0.0
    for candidate in title_words:
        if candidate == word:
            return 100.0
        value = fuzz.ratio(word, candidate)
        prefix = len(word) >= 5 and len(candidate) >= 5 and (candidate.startswith(word[:5]) or word.startswith(candidate[:5]))
        best = max(best, value, 90.0 if prefix and value >= 60 else 0.0)
    return best


def score(query: str, title: str) -> float:
    """How well ``query`` names ``title`` (0–100): every word written must be found in the title, fuzzily
    (typos, å/ä/ö, "introduktionen" for "introduktion"); one word that is not there sinks the match."""
    words = [w for w in key(query).split() if w not in STOP_WORDS] or key(query).split()
    title_words = key(title).split()
    if not words or not title_words:
        return 0.0
    scores = [_word_score(w, title_words) for w in words]
    mean = sum(scores) / len(scores)
    return mean if min(scores) >= 60 else min(mean, 60.0)


def best_matches(query: str, views: list[ActivityView], cutoff: float = MATCH_CUTOFF) -> list[ActivityView]:
    """The activities ``query`` names: the best one and any within ``MATCH_MARGIN`` of it (open ones first)."""
    scored = [(score(query, v.title) + (0.5 if v.status != KLAR else 0.0), v) for v in views]
    scored = [(s, v) for s, v in scored if s >= cutoff]
    if not scored:
        return []
    best = max(s for s, _ in scored)
    close = sorted(((s, v) for s, v in scored if s >= best - MATCH_MARGIN), key=lambda sv: -sv[0])
    return [v for _, v in close[:MAX_CANDIDATES]]


async def candidates(session: AsyncSession, turn: Turn, query: str) -> list[ActivityView]:
    """Among the caller's own activities first, then their units' (fuzzy, å/ä/ö-insensitive)."""
    person_id = require_known(turn)
    year = turn.clock.today().year
    own = await plans.list_activities(session, year=year, owner_id=person_id)
    if not query.strip():
        return [v for v in own if v.status != KLAR][:MAX_CANDIDATES]
    found = best_matches(query, own)
    if found:
        return found
    units = [u.id for u in await my_units(session, turn)]
    if not units:
        return []
    others = [v for v in await plans.list_activities(session, year=year, unit_ids=units) if v.owner_id != person_id]
    # Work under way before ideas: an idea is reported on only when nothing else fits.
    return best_matches(query, [v for v in others if v.status != IDE]) or best_matches(query, others)


# --- Applying a change ----------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    before: ActivityView  # as read just before the update (what the confirmation shows as "old")
    change: cards.Change
    field_changes: dict[str, Any]


async def apply_change(session: AsyncSession, turn: Turn, activity_id: int, version: int, change: cards.Change,
                       *, via: str, expect_unit: int | None = None, read: ActivityView | None = None) -> Applied:
    """Rights, rules and the versioned update, in the caller's transaction. Refusals raise ``UserError``.
    ``read``: the activity as already read in this transaction (else it is read here)."""
    person_id = require_known(turn)
    view = read if read is not None and read.id == activity_id else await plans.get_activity(session, activity_id)
    if view is None or (expect_unit is not None and view.unit_id != expect_unit):
        if via == "card":
            raise BadCardData()
        raise UserError(f"Det finns ingen aktivitet med nummer {activity_id}.", f"There is no activity number {activity_id}.")
    new = next_state(State(view.status, view.progress), change.status, change.progress)
    check_update(actor(turn), await target(session, turn, view), new.status if new.status != view.status else None)
    fields: dict[str, Any] = {}
    if new.status != view.status:
        fields["status"] = new.status
    if new.progress != view.progress:
        fields["progress"] = new.progress
    if not fields and not change.comment:
        if view.version != version:
            # Nothing would change from what is there now, but the card was stale: say so rather than "saved".
            return Applied(Outcome(False, view), view, change, {})
        raise NothingToSave(view)
    outcome = await plans.update_activity(session, activity_id, version, fields, person_id=person_id, via=via,
                                          at=turn.clock.utcnow(), comment=change.comment, current=view,
                                          editor_name=turn.caller.name)
    return Applied(outcome, view, change, fields)


def confirmation(turn: Turn, applied: Applied) -> dict[str, Any]:
    """The confirmation card (old → new, undo) of an applied change, or the conflict card of a refused one."""
    outcome = applied.outcome
    if not outcome.applied:
        fresh = item(outcome.activity, turn) if outcome.activity else None
        return cards.conflict_card(cards.ConflictView(fresh, applied.change, footer(turn)), turn.lang)
    assert outcome.activity is not None and outcome.update is not None
    now = item(outcome.activity, turn)
    notes: tuple[str, ...] = ()
    if applied.change.status is None and applied.change.progress is not None and now.status != applied.before.status:
        notes = (f"Status: {label(now.status, turn.lang)} – följer av {applied.change.progress} %."
                 if turn.lang == "sv" else f"Status: {label(now.status, 'en')} – follows from {applied.change.progress}%.",)
    elif not applied.field_changes:
        notes = ("Status och procent var redan så – kommentaren är sparad." if turn.lang == "sv"
                 else "Status and progress were already so – the comment is saved.",)
    return cards.confirmation_card(cards.Confirm(
        item=now, old_status=applied.before.status, old_progress=applied.before.progress,
        comment=applied.change.comment, update_id=outcome.update.id if applied.field_changes else None,
        footer=footer(turn), notes=notes), turn.lang)


def conflict_banner(turn: Turn, outcome: Outcome) -> cards.Banner:
    fresh = item(outcome.activity, turn) if outcome.activity else None
    return cards.conflict_banner(fresh, turn.clock.today(), turn.lang)


def saved_banner(turn: Turn, applied: Applied) -> cards.Banner:
    assert applied.outcome.activity is not None
    after = applied.outcome.activity
    sv = turn.lang == "sv"
    parts = []
    if after.status != applied.before.status:
        parts.append(f"{label(applied.before.status, turn.lang)} → {label(after.status, turn.lang)}")
    if after.progress != applied.before.progress:
        unit = " %" if sv else "%"  # Swedish writes a space before %, English none
        parts.append(f"{applied.before.progress}{unit} → {after.progress}{unit}")
    changed = ", ".join(parts)
    if applied.change.comment:  # "Sparat: 60 % → 75 % och kommentaren", "Sparat: kommentaren"
        comment = "kommentaren" if sv else "the comment"
        changed = f"{changed} {'och' if sv else 'and'} {comment}" if changed else comment
    head = ("Sparat" if sv else "Saved") + (": " + changed if changed else "")
    return cards.Banner("good", head, after.title)


def error_banner(turn: Turn, error: UserError) -> cards.Banner:
    return cards.Banner("attention", error.text(turn.lang))


# --- The cards that replace themselves: "mina aktiviteter" and the board --------------------


async def my_activities(session: AsyncSession, turn: Turn) -> list[ActivityView]:
    """What "mina aktiviteter" lists: the caller's activities of this year."""
    return await plans.list_activities(session, year=turn.clock.today().year, owner_id=require_known(turn))


def with_change(views: list[ActivityView], activity_id: int, after: ActivityView | None, *, year: int,
                person_id: int | None) -> list[ActivityView]:
    """``person_id``'s activities of ``year`` read before a change to ``activity_id``, as they are after it
    (``after``: the activity now, None when it is gone) — what reading them again in the same transaction gives."""
    if after is None or after.owner_id != person_id or after.year != year:  # gone, or no longer in this list
        return [v for v in views if v.id != activity_id]
    if any(v.id == activity_id for v in views):
        return [after if v.id == activity_id else v for v in views]  # in its place: the card's order for ties
    return [*views, after]


async def mine_card(session: AsyncSession, turn: Turn, page: int, banner: cards.Banner | None = None) -> dict[str, Any]:
    return mine_card_of(await my_activities(session, turn), turn, page, banner)


def mine_card_of(views: list[ActivityView], turn: Turn, page: int, banner: cards.Banner | None = None,
                 draft: tuple[int, str] | None = None) -> dict[str, Any]:
    year = turn.clock.today().year
    items = sorted((item(v, turn) for v in views),
                   key=lambda i: (i.status == KLAR, -i.overdue_days, i.deadline or date.max, i.title.lower()))
    return cards.mine_card(cards.Mine(tuple(items), page, year, footer(turn), banner, draft), turn.lang)


DUE_SOON_DAYS = 7  # "ska vara klara snart": within a week, as the weekly digest counts them


async def board_card(session: AsyncSession, turn: Turn, unit_id: int, page: int = 1,
                     banner: cards.Banner | None = None, *, note: str | None = None) -> dict[str, Any]:
    """The tavelmöte board of an enhet for the current year (anyone may view it); ``note``: with how many of its
    activities are försenade ("overdue": they come first in their columns) or due within a week ("due_soon")
    on top."""
    unit = await plans.get_unit(session, unit_id)
    if unit is None or unit.kind != "enhet":
        raise BadCardData()
    year = turn.clock.today().year
    views = await plans.list_activities(session, year=year, unit_ids=[unit_id])
    held = await plans.meetings(session, unit_id, limit=10)
    now = turn.clock.now()
    ref_at = reference_meeting([m.held_at for m in held], now, turn.clock.tz)
    ref = next((m for m in held if m.held_at == ref_at), None)
    today_meeting = next((m for m in held if m.held_at.astimezone(turn.clock.tz).date() == now.date()), None)
    since = ref.held_at if ref else None
    changes = await plans.updates_since(session, unit_id, since, year=year, limit=cards.CHANGES_SHOWN)
    total = await plans.count_updates_since(session, unit_id, since, year=year)
    people = await plans.unit_people(session, await plans.unit_path(session, unit_id))
    owner_names = {p.id: p.name for p, _, _ in people}
    if any(isinstance(v, int) and v not in owner_names
           for u in changes for v in (u.old.get("owner_id"), u.new.get("owner_id"))):  # an owner from another unit
        owner_names.update({p.id: p.name for p in await plans.all_people(session)})
    lines = tuple(cards.ChangeLine(u.person_name, u.activity_title,
                                   cards.describe_change(u.old, u.new, turn.lang, owner_names=owner_names)
                                   + (cards.undone_mark(turn.lang) if plans.is_undo_note(u.comment) else ""),
                                   None if plans.is_undo_note(u.comment) else u.comment)
                  for u in changes)
    headline = await plans.unit_headline(session, unit_id, year)
    headline_view = cards.format_headline(
        indicator=headline.indicator_name, value=headline.indicator_value, unit=headline.indicator_unit,
        decimals=headline.indicator_decimals, period_end=headline.indicator_period_end,
        scope=headline.indicator_scope if headline.indicator_scope != unit.name else None,
        low=headline.target_low, high=headline.target_high, year=year,
        direction=headline.direction, budget_area=headline.budget_area, budget_total=headline.budget_total,
        utfall=headline.utfall_to_date, through_month=headline.through_month, lang=turn.lang)
    # Automatic refresh for the people of the unit whose Teams id we know (at most 60), the caller first.
    user_ids: list[str] = [turn.caller.teams_id] if turn.caller.teams_id.startswith("29:") else []
    chefs_first = sorted(people, key=lambda row: row[1] != "chef")
    known = await plans.known_user_ids(session, [p.aad_object_id for p, _, _ in chefs_first if p.aad_object_id])
    user_ids += [known[p.aad_object_id] for p, _, _ in chefs_first if p.aad_object_id in known]
    items = tuple(item(v, turn) for v in views)
    if note == "overdue" and banner is None:
        late = [i for i in items if i.overdue_days > 0 and i.status != KLAR]
        banner = cards.overdue_banner(len(late), unit.name, turn.lang, late)
    elif note == "due_soon" and banner is None:
        today = turn.clock.today()
        until = today + timedelta(days=DUE_SOON_DAYS)
        due = [i for i in items if i.status != KLAR and i.deadline is not None and today <= i.deadline <= until]
        banner = cards.due_soon_banner(len(due), unit.name, until, turn.lang, due)
    view = cards.Board(
        unit_id=unit.id, unit_name=unit.name, year=year, items=items, page=page,
        footer=footer(turn),
        meeting_now=(today_meeting.held_at.astimezone(turn.clock.tz), today_meeting.started_by_name) if today_meeting else None,
        meeting_last=(ref.held_at.astimezone(turn.clock.tz), ref.started_by_name) if ref else None,
        changes=lines, changes_total=total, headline=headline_view, user_ids=tuple(user_ids), banner=banner,
        is_demo=unit.is_demo or any(v.is_demo for v in views),
        plans=tuple((p.id, p.goal_title) for p in await plans.plans_for_unit(session, unit_id, year)),
    )
    return cards.board_card(view, turn.lang)


async def resolve_board_unit(session: AsyncSession, turn: Turn) -> int | list[plans.UnitView] | None:
    """The enhet a plain "tavla" means: the channel's linked enhet, else the caller's only enhet.

    Returns the unit id, or the caller's enheter to choose from, or None when nothing says which.
    """
    if turn.where.linked_org_unit_id is not None:
        return turn.where.linked_org_unit_id
    if turn.where.conversation_type == "channel":
        linked = await plans.linked_unit(session, turn.where.conversation_id, turn.where.channel_id)
        if linked is not None:
            return linked
    units = await my_units(session, turn) if turn.caller.known else []
    if len(units) == 1:
        return units[0].id
    return units or None
