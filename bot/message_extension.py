"""The compose-box search (search-based message extension): ``composeExtension/query`` → result cards.

Typing "frisk" or "äldreomsorg" in Tavla's search lists the indicators, budget lines and activities whose
names match, best first; choosing one inserts its card into the chat. Names come from the shared catalog
(``bot.nlu.catalog``: indicators with their short names and synonyms, budget lines, areas) and from the
activity titles of the year's handlingsplaner (``storage.plans``; left out while that module is absent).

Matching is on the folded form (å/ä/ö → a/a/o, case-free): a whole name, the start of a name or of one of
its words, a part of a name, then — for four letters or more — a close spelling (rapidfuzz). A budget line
also matches by its area's name ("hälsa och omsorg" lists that area's lines).

Teams waits five seconds for the answer, so the work runs under ``TIME_BUDGET_S``; when that runs out,
or anything fails, the person sees a short message in the search flyout, never an error. Tenant checks
happen before this (``TavlaBot.on_turn``). No botbuilder here: ``bot/teams_bot.py`` calls ``handle``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz

from bot.nlu.catalog import Catalog, Entry, key
from bot.turn import Turn
from cards import search as cards
from cards.texts import pick, t
from followup import indicators as rules
from followup.errors import UserError
from storage import search as facts

try:  # the handlingsplaner feature; activities are simply not searched until it is there
    from followup import activities as activity_rules
    from storage import plans
except ImportError:  # pragma: no cover - depends on what has been merged
    activity_rules = None  # type: ignore[assignment]
    plans = None  # type: ignore[assignment]

# The features' own cards are inserted when their modules are there (without the buttons that need Tavla in
# the chat, see cards.search.for_any_chat); the compact cards of cards/search.py otherwise.
try:
    from bot.handlers.indicator_views import status_view as indicator_status_view
    from cards import indicators as indicator_cards
except ImportError:  # pragma: no cover - depends on what has been merged
    indicator_status_view = None  # type: ignore[assignment]
    indicator_cards = None  # type: ignore[assignment]
try:
    from cards import budget as budget_cards
    from storage import budget as budget_repo
except ImportError:  # pragma: no cover - depends on what has been merged
    budget_cards = None  # type: ignore[assignment]
    budget_repo = None  # type: ignore[assignment]

log = logging.getLogger("tavla.search")

COMMAND_ID = "sok"  # manifest: composeExtensions[0].commands[0].id
PARAMETER = "sokord"  # manifest: …parameters[0].name
INITIAL_RUN = "initialRun"  # the parameter Teams sends when the flyout opens (initialRun: true)
TIME_BUDGET_S = 4.0  # Teams gives up after 5 s
FEATURE_CARDS_S = 2.0  # the features' full cards are made within this; the rest of the page gets compact ones
MAX_RESULTS = 25  # Teams asks for 25 at a time (queryOptions.count)
MAX_QUERY = 200
MAX_SKIP = 1_000
MIN_FUZZY = 4  # letters before a close spelling counts
FUZZY_CUTOFF = 86.0
CARD = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 28 * 1024
KIND_ORDER = {"indicator": 0, "budget_line": 1, "activity": 2}

TEXTS: dict[str, dict[str, str]] = {
    "no_hits": {
        "sv": "Inget i Tavla matchar ”{query}”. Prova ett namn på en indikator, en budgetrad eller en aktivitet, "
              "t.ex. ”frisknärvaro” eller ”äldreomsorg”.",
        "en": "Nothing in Tavla matches “{query}”. Try the name of an indicator, a budget line or an activity, "
              "e.g. “frisknärvaro” or “äldreomsorg”.",
    },
    "nothing_yet": {
        "sv": "Skriv vad du söker: en indikator, en budgetrad eller en aktivitet.",
        "en": "Type what you are looking for: an indicator, a budget line or an activity.",
    },
    "too_slow": {
        "sv": "Sökningen tog för lång tid. Försök igen om en stund.",
        "en": "The search took too long. Please try again in a moment.",
    },
}


# --- The request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What the person typed, read defensively from the invoke's ``value`` (user input)."""

    text: str
    initial_run: bool
    skip: int
    count: int
    command_id: str


def _bounded_int(value: Any, default: int, low: int, high: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: ±Infinity
        return default
    return max(low, min(high, number))


def parse_query(value: Any) -> Query:
    """The query in ``activity.value``; our parameter by name, else the first text parameter."""
    value = value if isinstance(value, dict) else {}
    params = value.get("parameters") if isinstance(value.get("parameters"), list) else []
    text: str | None = None
    initial = False
    for param in params:
        if not isinstance(param, dict):
            continue
        name, raw = param.get("name"), param.get("value")
        if name == INITIAL_RUN:
            initial = str(raw).strip().lower() == "true"
        elif isinstance(raw, str) and (name == PARAMETER or text is None):
            text = raw
    options = value.get("queryOptions") if isinstance(value.get("queryOptions"), dict) else {}
    command = value.get("commandId") if isinstance(value.get("commandId"), str) else ""
    return Query(
        text=" ".join((text or "").split())[:MAX_QUERY],
        initial_run=initial,
        skip=_bounded_int(options.get("skip"), 0, 0, MAX_SKIP),
        count=_bounded_int(options.get("count"), MAX_RESULTS, 1, MAX_RESULTS),
        command_id=command[:64],
    )


# --- Ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    kind: str  # indicator / budget_line / activity
    id: int
    score: float
    order: int  # position in its source (catalog order, deadline order): the tie-break


def name_score(query: str, names: Iterable[str]) -> float:
    """How well the folded ``query`` names something: 100 exact … 85 a part of a name; close spellings
    below; 0 for no match."""
    best = 0.0
    words = [w for w in query.split() if w]
    for name in names:
        if not name:
            continue
        if name == query:
            return 100.0
        if name.startswith(query):
            score = 95.0
        elif any(word.startswith(query) for word in name.split()):
            score = 90.0
        elif query in name:
            score = 85.0
        elif len(words) > 1 and all(any(n.startswith(w) for n in name.split()) for w in words):
            score = 82.0  # every word starts a word of the name, in any order
        elif len(query) >= MIN_FUZZY:
            fuzzy = float(fuzz.WRatio(query, name))
            score = fuzzy * 0.9 if fuzzy >= FUZZY_CUTOFF else 0.0
        else:
            score = 0.0
        best = max(best, score)
    return best


def rank_catalog(catalog: Catalog, query: str) -> list[Ranked]:
    """Indicators and budget lines (and budget lines by their area's name) matching ``query``."""
    q = key(query)
    if not q:
        return []
    ranked: list[Ranked] = []
    for order, entry in enumerate(catalog.of_kind("indicator", "budget_line")):
        score = name_score(q, entry.names)
        if entry.kind == "budget_line" and entry.parent_label and score < 70:
            if name_score(q, (key(entry.parent_label),)) >= 85:
                score = 70.0
        if score > 0:
            ranked.append(Ranked(entry.kind, entry.id, score, order))
    return ranked


def rank_titles(items: Sequence[tuple[int, str]], query: str) -> list[Ranked]:
    q = key(query)
    if not q:
        return []
    out = []
    for order, (item_id, title) in enumerate(items):
        score = name_score(q, (key(title),))
        if score > 0:
            out.append(Ranked("activity", item_id, score, order))
    return out


def best_first(ranked: Iterable[Ranked]) -> list[Ranked]:
    return sorted(ranked, key=lambda r: (-r.score, KIND_ORDER[r.kind], r.order))


# --- Answering ------------------------------------------------------------------------------


def _message(text: str) -> dict[str, Any]:
    return {"composeExtension": {"type": "message", "text": text}}


def _result(attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"composeExtension": {"type": "result", "attachmentLayout": "list", "attachments": attachments}}


def _attachment(card: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any] | None:
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size >= MAX_CARD_BYTES:  # Teams refuses the whole answer over 28 KB a card: leave this one out
        log.warning("search result card of %d bytes left out", size)
        return None
    return {"contentType": CARD, "content": card, "preview": preview}


def _indicator_hit(f: facts.IndicatorFacts, today: date, lang: str) -> cards.IndicatorHit:
    targets = [rules.Target(t.year, t.low, t.high, t.label) for t in f.targets]
    points: list[rules.Point] = []
    kinds: dict[str, facts.ValueFact] = {}
    for v in f.values:
        try:
            period = rules.period_from_code(v.period)
        except ValueError:
            continue
        points.append(rules.Point(period, v.value, v.kind))
        kinds[period.code] = v
    assessment = rules.assess(f.direction, targets, points, today, unit=f.unit)
    latest = assessment.latest
    shown = kinds.get(latest.period.code) if latest else None
    target = assessment.target
    return cards.IndicatorHit(
        name=f.name, unit=f.unit, decimals=f.decimals, direction=f.direction, status=assessment.status.value,
        latest_value=latest.value if latest else None, latest_kind=latest.kind if latest else None,
        latest_period=latest.period.label(lang) if latest else None, footnote=shown.footnote if shown else None,
        target_year=target.year if target else None, target_low=target.low if target else None,
        target_high=target.high if target else None, goal=f.goal_title, scope=f.root_name,
        is_demo=bool(shown and shown.is_demo),
    )


def _fits(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """A feature's card made fit for any chat, or None when it is too big to insert."""
    if card is None:
        return None
    card = cards.for_any_chat(card)
    return card if len(json.dumps(card, ensure_ascii=False).encode("utf-8")) < MAX_CARD_BYTES else None


async def feature_cards(turn: Turn, session: Any, page: Sequence[Ranked], year: int) -> dict[tuple[str, int], Any]:
    """The indicator and budget features' own cards for the hits on this page, where they can be made."""
    out: dict[tuple[str, int], Any] = {}
    deadline = time.monotonic() + FEATURE_CARDS_S
    if indicator_status_view is not None and indicator_cards is not None:
        for r in page:
            if time.monotonic() > deadline:
                break
            if r.kind == "indicator":
                try:
                    view = await indicator_status_view(turn, session, r.id, None)
                    out[("indicator", r.id)] = _fits(indicator_cards.status_card(view, turn.lang))
                except Exception:  # noqa: BLE001 - the compact card is shown instead; the log says why
                    log.warning("indicator card %s for the search could not be made", r.id, exc_info=True)
    line_ids = [r.id for r in page if r.kind == "budget_line"]
    if line_ids and budget_repo is not None and budget_cards is not None:
        try:
            shown = budget_cards.Shown(turn.clock.today(), turn.clock.pinned)
            for figures in await budget_repo.line_figures(session, year, line_ids=line_ids):
                out[("budget_line", figures.line_id)] = _fits(budget_cards.line_card(
                    budget_cards.LineView(figures, shown), turn.lang))
        except Exception:  # noqa: BLE001 - as above
            log.warning("budget cards for the search could not be made", exc_info=True)
    return out


def _indicator_attachment(f: facts.IndicatorFacts, turn: Turn, stamp: cards.Stamp,
                          own: dict[str, Any] | None) -> dict[str, Any] | None:
    hit = _indicator_hit(f, stamp.as_of, turn.lang)
    return _attachment(own or cards.indicator_card(hit, stamp, turn.lang), cards.indicator_preview(hit, turn.lang))


def _budget_attachment(f: facts.BudgetFacts, turn: Turn, stamp: cards.Stamp,
                       own: dict[str, Any] | None) -> dict[str, Any] | None:
    hit = cards.BudgetHit(verksamhet=f.verksamhet, area=f.area, year=f.year, budget=f.net_cost,
                          through_month=f.through_month, utfall_to_date=f.utfall_to_date, prognosis=f.prognosis,
                          is_demo=f.is_demo)
    return _attachment(own or cards.budget_card(hit, stamp, turn.lang), cards.budget_preview(hit, turn.lang))


def _activity_attachment(a: Any, turn: Turn, stamp: cards.Stamp) -> dict[str, Any] | None:
    assert activity_rules is not None
    hit = cards.ActivityHit(
        title=a.title, unit=a.unit_name, goal=a.goal_title, status_label=activity_rules.label(a.status, turn.lang),
        overdue=activity_rules.is_overdue(a.status, a.deadline, stamp.as_of), progress=a.progress,
        deadline=a.deadline, owner=a.owner_name, is_demo=a.is_demo)
    return _attachment(cards.activity_card(hit, stamp, turn.lang), cards.activity_preview(hit, turn.lang))


async def search(turn: Turn, query: Query) -> dict[str, Any]:
    """The composeExtension answer body for ``query`` (a result list, or a message when nothing matches)."""
    today = turn.clock.today()
    stamp = cards.Stamp(today, turn.clock.pinned)
    catalog = await turn.catalog(today.year)
    async with turn.store.read_session() as session:
        activities = await plans.list_activities(session, year=today.year) if plans is not None else []
        if query.text:
            ranked = best_first(rank_catalog(catalog, query.text)
                                + rank_titles([(a.id, a.title) for a in activities], query.text))
        elif query.initial_run:
            ranked = _initial(catalog, activities, turn)
        else:
            return _message(pick(TEXTS, "nothing_yet", turn.lang))
        page = ranked[query.skip: query.skip + query.count]
        if not page:
            if query.skip:
                return _result([])
            return _message(pick(TEXTS, "no_hits", turn.lang, query=query.text))
        ind = await facts.indicator_facts(session, [r.id for r in page if r.kind == "indicator"])
        lines = await facts.budget_facts(session, [r.id for r in page if r.kind == "budget_line"])
        own = await feature_cards(turn, session, page, today.year)
    by_id = {a.id: a for a in activities}
    attachments: list[dict[str, Any]] = []
    for r in page:
        if r.kind == "indicator" and r.id in ind:
            attachment = _indicator_attachment(ind[r.id], turn, stamp, own.get((r.kind, r.id)))
        elif r.kind == "budget_line" and r.id in lines:
            attachment = _budget_attachment(lines[r.id], turn, stamp, own.get((r.kind, r.id)))
        elif r.kind == "activity" and r.id in by_id:
            attachment = _activity_attachment(by_id[r.id], turn, stamp)
        else:
            attachment = None  # gone since the catalog was cached
        if attachment is not None:
            attachments.append(attachment)
    return _result(attachments)


def _initial(catalog: Catalog, activities: Sequence[Any], turn: Turn) -> list[Ranked]:
    """What the flyout shows before anything is typed: the caller's open activities, then the indicators."""
    mine: list[Ranked] = []
    if turn.caller.person_id is not None and activity_rules is not None:
        mine = [Ranked("activity", a.id, 100.0, order) for order, a in enumerate(activities)
                if a.owner_id == turn.caller.person_id and a.status in activity_rules.OPEN_STATUSES]
    indicators: list[Entry] = catalog.of_kind("indicator")
    return mine + [Ranked("indicator", e.id, 50.0, order) for order, e in enumerate(indicators)]


async def handle(turn: Turn) -> dict[str, Any]:
    """``composeExtension/query``: always an answer body within ``TIME_BUDGET_S``, never an exception."""
    query = parse_query(turn.data)
    started = time.monotonic()
    try:
        async with asyncio.timeout(TIME_BUDGET_S):  # in this task: wait_for would start another one
            body = await search(turn, query)
    except UserError as exc:
        body = _message(exc.text(turn.lang))
    except asyncio.TimeoutError:
        log.warning("search timed out after %.1f s: conversation=%s activity=%s", TIME_BUDGET_S,
                    turn.where.conversation_id, turn.activity_id)
        body = _message(pick(TEXTS, "too_slow", turn.lang))
    except Exception:  # noqa: BLE001 - the person gets a line in the flyout, the log gets the details
        log.error("search failed: conversation=%s activity=%s", turn.where.conversation_id, turn.activity_id,
                  exc_info=True)
        body = _message(t("apology", turn.lang))
    extension = body["composeExtension"]
    log.info("search (%d characters%s) → %s in %.0f ms", len(query.text), ", initial" if query.initial_run else "",
             f"{len(extension.get('attachments', []))} results" if extension["type"] == "result" else "a message",
             (time.monotonic() - started) * 1000)
    return body
