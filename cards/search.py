"""Cards for the compose-box search (message extension): a compact card to insert, and its preview.

A hit is an indicator, a budget line or an activity. The inserted card is read by everyone in the chat,
so it carries what it shows in words (status, figures with their period, the date it shows, "Exempeldata"
for invented figures) and no buttons: it is sent by the person, not by Tavla, and may land in a chat
Tavla is not part of. The preview is the one-line thumbnail Teams lists while one types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cards import core
from cards.common import as_of_line, demo_badge
from cards.format import day, month_name, number, percent, tkr
from cards.texts import pick

THUMBNAIL = "application/vnd.microsoft.card.thumbnail"
PREVIEW_TEXT_LIMIT = 120

TEXTS: dict[str, dict[str, str]] = {
    "indicator": {"sv": "Indikator", "en": "Indicator"},
    "budget_line": {"sv": "Budgetrad", "en": "Budget line"},
    "activity": {"sv": "Aktivitet", "en": "Activity"},
    "from_tavla": {"sv": "Från Tavla", "en": "From Tavla"},
    "status": {"sv": "Status", "en": "Status"},
    "latest": {"sv": "Senaste värde", "en": "Latest value"},
    "no_values": {"sv": "Inga mätvärden än", "en": "No values yet"},
    "target_year": {"sv": "Målnivå {year}", "en": "Target {year}"},
    "at_least": {"sv": "minst {value}", "en": "at least {value}"},
    "at_most": {"sv": "högst {value}", "en": "at most {value}"},
    "between": {"sv": "{low}–{high}", "en": "{low}–{high}"},
    "goal": {"sv": "Mål", "en": "Goal"},
    "scope": {"sv": "{label}, {scope}", "en": "{label}, {scope}"},
    "utgangslage": {"sv": "Utgångsläge {period}", "en": "Baseline {period}"},
    "utfall": {"sv": "Utfall {period}", "en": "Outcome {period}"},
    "matning": {"sv": "{period}", "en": "{period}"},
    "uppnatt": {"sv": "Uppnått", "en": "Target met"},
    "pa_vag": {"sv": "På väg mot målnivån", "en": "On track"},
    "risk": {"sv": "Risk att målnivån inte nås", "en": "At risk"},
    "ej_uppnatt": {"sv": "Ej uppnått", "en": "Target not met"},
    "inga_varden": {"sv": "Inga mätvärden än", "en": "No values yet"},
    "ingen_malniva": {"sv": "Ingen målnivå", "en": "No target"},
    "budget": {"sv": "Budget {year} (nettokostnad)", "en": "Budget {year} (net cost)"},
    "net_revenue": {"sv": "Negativt belopp = nettointäkt.", "en": "A negative amount is net revenue."},
    "utfall_to": {"sv": "Utfall t.o.m. {month}", "en": "Outcome to {month}"},
    "of_budget": {"sv": "{amount} ({share} av budget)", "en": "{amount} ({share} of budget)"},
    "utfall_label": {"sv": "Utfall", "en": "Outcome"},
    "no_utfall": {"sv": "Inget utfall inläst än", "en": "No actuals imported yet"},
    "prognosis": {"sv": "Prognos helår", "en": "Full-year forecast"},
    "area": {"sv": "Verksamhetsområde", "en": "Area"},
    "progress": {"sv": "{status}, {progress}", "en": "{status}, {progress}"},
    "overdue": {"sv": "{status} – försenad", "en": "{status} – overdue"},
    "deadline": {"sv": "Deadline", "en": "Deadline"},
    "owner": {"sv": "Ansvarig", "en": "Owner"},
    "unit": {"sv": "Enhet", "en": "Unit"},
    "nobody": {"sv": "ingen utsedd", "en": "nobody assigned"},
    "none": {"sv": "ingen satt", "en": "none set"},
}


# --- View models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorHit:
    name: str
    unit: str
    decimals: int
    direction: str  # higher / lower / interval
    status: str  # followup.indicators.Status value
    latest_value: Decimal | None
    latest_kind: str | None  # utgangslage / utfall / matning
    latest_period: str | None  # "2016", "mars 2018"
    footnote: str | None
    target_year: int | None
    target_low: Decimal | None
    target_high: Decimal | None
    goal: str | None
    scope: str | None  # the unit whose values these are (the whole kommun)
    is_demo: bool


@dataclass(frozen=True)
class BudgetHit:
    verksamhet: str
    area: str | None
    year: int
    budget: Decimal
    through_month: int | None
    utfall_to_date: Decimal | None
    prognosis: Decimal | None
    is_demo: bool


@dataclass(frozen=True)
class ActivityHit:
    title: str
    unit: str
    goal: str | None
    status_label: str
    overdue: bool
    progress: int
    deadline: date | None
    owner: str | None
    is_demo: bool


@dataclass(frozen=True)
class Stamp:
    """The date the card shows (``Clock``), said on every card."""

    as_of: date
    pinned: bool


# --- Formatting -----------------------------------------------------------------------------


def figure(value: Decimal, unit: str, decimals: int, lang: str) -> str:
    """An indicator value with its unit: ``95,3 %``, ``214 poäng``."""
    if unit == "%":
        return percent(value, decimals, lang)
    text = number(value, decimals, lang)
    return f"{text}\u00a0{unit}" if unit else text


def target_text(hit: IndicatorHit, lang: str) -> str | None:
    low = figure(hit.target_low, hit.unit, hit.decimals, lang) if hit.target_low is not None else None
    high = figure(hit.target_high, hit.unit, hit.decimals, lang) if hit.target_high is not None else None
    if low and high:
        low_number = number(hit.target_low, hit.decimals, lang)  # type: ignore[arg-type]
        return pick(TEXTS, "between", lang, low=low_number, high=high)
    if low:
        return pick(TEXTS, "at_least", lang, value=low)
    if high:
        return pick(TEXTS, "at_most", lang, value=high)
    return None


def latest_text(hit: IndicatorHit, lang: str) -> str:
    if hit.latest_value is None:
        return pick(TEXTS, "no_values", lang)
    value = figure(hit.latest_value, hit.unit, hit.decimals, lang)
    label = pick(TEXTS, hit.latest_kind or "matning", lang, period=hit.latest_period or "")
    where = pick(TEXTS, "scope", lang, label=label, scope=hit.scope) if hit.scope else label
    return f"{value} ({where})"


def _one_line(value: str, limit: int = PREVIEW_TEXT_LIMIT) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _kind_line(kind: str, lang: str, where: str | None = None) -> core.Element:
    label = pick(TEXTS, kind, lang) + (f" · {where}" if where else "")
    return core.text(f"{label} · {pick(TEXTS, 'from_tavla', lang)}", size="Small", subtle=True)


def _title_run(value: str) -> core.Element:
    """A heading from user-written text (an activity title): a TextRun, never parsed as markdown."""
    return {"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": core.bounded(value, 300), "weight": "Bolder", "size": "Medium"}]}


def _finish(body: list[core.Element], is_demo: bool, stamp: Stamp, lang: str, fallback: str) -> core.Element:
    if is_demo:
        body.insert(1, demo_badge(lang))
    body.append(as_of_line(stamp.as_of, stamp.pinned, lang))
    return core.card(body, fallback_text=_one_line(fallback, 300))


# --- Cards ----------------------------------------------------------------------------------


def indicator_card(hit: IndicatorHit, stamp: Stamp, lang: str) -> core.Element:
    status = pick(TEXTS, hit.status, lang)
    pairs = [(pick(TEXTS, "status", lang), status)]
    if hit.latest_value is not None:
        pairs.append((pick(TEXTS, "latest", lang), latest_text(hit, lang)))
    target = target_text(hit, lang)
    if target and hit.target_year:
        pairs.append((pick(TEXTS, "target_year", lang, year=hit.target_year), target))
    if hit.goal:
        pairs.append((pick(TEXTS, "goal", lang), hit.goal))
    body: list[core.Element] = [_kind_line("indicator", lang), core.text(hit.name, size="Medium", weight="Bolder"),
                                core.facts(pairs)]
    if hit.footnote:
        body.append(core.text(f"* {hit.footnote}", size="Small", subtle=True))
    return _finish(body, hit.is_demo, stamp, lang, f"{hit.name}: {status}")


def budget_card(hit: BudgetHit, stamp: Stamp, lang: str) -> core.Element:
    pairs: list[tuple[str, str]] = []
    if hit.area:
        pairs.append((pick(TEXTS, "area", lang), hit.area))
    pairs.append((pick(TEXTS, "budget", lang, year=hit.year), tkr(hit.budget, lang)))
    if hit.utfall_to_date is not None and hit.through_month:
        amount = tkr(hit.utfall_to_date, lang)
        if hit.budget:
            share = percent(hit.utfall_to_date / hit.budget * 100, 1, lang)
            amount = pick(TEXTS, "of_budget", lang, amount=amount, share=share)
        pairs.append((pick(TEXTS, "utfall_to", lang, month=month_name(hit.through_month, lang)), amount))
    else:
        pairs.append((pick(TEXTS, "utfall_label", lang), pick(TEXTS, "no_utfall", lang)))
    if hit.prognosis is not None:
        pairs.append((pick(TEXTS, "prognosis", lang), tkr(hit.prognosis, lang)))
    body: list[core.Element] = [_kind_line("budget_line", lang), core.text(hit.verksamhet, size="Medium", weight="Bolder"),
                                core.facts(pairs)]
    if hit.budget < 0:
        body.append(core.text(pick(TEXTS, "net_revenue", lang), size="Small", subtle=True))
    return _finish(body, hit.is_demo, stamp, lang, f"{hit.verksamhet}: {tkr(hit.budget, lang)}")


def activity_state(hit: ActivityHit, lang: str) -> str:
    state = pick(TEXTS, "progress", lang, status=hit.status_label, progress=percent(hit.progress, 0, lang))
    return pick(TEXTS, "overdue", lang, status=state) if hit.overdue else state


def activity_card(hit: ActivityHit, stamp: Stamp, lang: str) -> core.Element:
    pairs = [
        (pick(TEXTS, "status", lang), activity_state(hit, lang)),
        (pick(TEXTS, "deadline", lang), day(hit.deadline, lang) if hit.deadline else pick(TEXTS, "none", lang)),
        (pick(TEXTS, "owner", lang), hit.owner or pick(TEXTS, "nobody", lang)),
        (pick(TEXTS, "unit", lang), hit.unit),
    ]
    if hit.goal:
        pairs.append((pick(TEXTS, "goal", lang), hit.goal))
    body: list[core.Element] = [_kind_line("activity", lang), _title_run(hit.title), core.facts(pairs)]
    return _finish(body, hit.is_demo, stamp, lang, f"{hit.title}: {activity_state(hit, lang)}")


# --- A feature's own card, made fit for any chat ---------------------------------------------

BOT_ACTIONS = ("Action.Execute", "Action.Submit")


def for_any_chat(card: core.Element) -> core.Element:
    """A copy of a feature card without what only works where Tavla is a member of the chat: buttons that
    call the bot (Action.Execute/Submit, also as ``selectAction``) and the automatic ``refresh``."""

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            out = []
            for item in node:
                if isinstance(item, dict) and item.get("type") in BOT_ACTIONS:
                    continue
                item = clean(item)
                if isinstance(item, dict) and item.get("type") == "ActionSet" and not item.get("actions"):
                    continue
                out.append(item)
            return out
        if isinstance(node, dict):
            result = {}
            for name, value in node.items():
                if name == "refresh" or (name == "selectAction" and isinstance(value, dict)
                                         and value.get("type") in BOT_ACTIONS):
                    continue
                result[name] = clean(value)
            if "actions" in result and result["actions"] == [] and result.get("type") != "ActionSet":
                del result["actions"]
            return result
        return node

    return clean(card)


# --- Previews -------------------------------------------------------------------------------


def preview(title: str, text: str) -> dict[str, Any]:
    """The thumbnail Teams lists in the search flyout (plain strings, one line each)."""
    return {"contentType": THUMBNAIL, "content": {"title": _one_line(title, 80), "text": _one_line(text)}}


def indicator_preview(hit: IndicatorHit, lang: str) -> dict[str, Any]:
    parts = [pick(TEXTS, "indicator", lang), pick(TEXTS, hit.status, lang)]
    if hit.latest_value is not None:
        parts.append(figure(hit.latest_value, hit.unit, hit.decimals, lang))
    return preview(hit.name, " · ".join(parts))


def budget_preview(hit: BudgetHit, lang: str) -> dict[str, Any]:
    parts = [pick(TEXTS, "budget_line", lang)] + ([hit.area] if hit.area else []) + [tkr(hit.budget, lang)]
    return preview(hit.verksamhet, " · ".join(parts))


def activity_preview(hit: ActivityHit, lang: str) -> dict[str, Any]:
    return preview(hit.title, " · ".join([pick(TEXTS, "activity", lang), hit.unit, activity_state(hit, lang)]))
