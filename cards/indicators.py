"""Indicator cards: status (with a Teams-native trend chart and its fallback), overview, choice, recording.

Pure functions from frozen view models to Adaptive Card 1.5 dicts. Status is always said in words (with
an icon; the colour only repeats it). Text that people typed or imported — sources, notes, the query —
goes through ``core.user_text`` (a TextRun, never markdown); numbers are formatted the Swedish way here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cards import core
from cards.common import as_of_line, ask_button, demo_badge
from cards.format import clock, day, month_name, number, percent
from cards.texts import pick
from followup.indicators import (
    MIN_GROUP_SIZE,
    ON_TRACK_MARGIN,
    Assessment,
    Forecast,
    Period,
    Status,
    Target,
)
from followup.clock import STOCKHOLM

VERB_STATUS = "indicator_status"
VERB_OVERVIEW = "indicator_overview"
VERB_CONFIRM = "indicator_record_confirm"
VERB_CANCEL = "indicator_record_cancel"
VERB_UNDO = "indicator_record_undo"
MAX_TREND_POINTS = 24
MAX_CHOICES = 6
MAX_OVERVIEW_LINES = 30  # about 700 bytes a line: the card stays well under 28 KB

TEXTS: dict[str, dict[str, str]] = {
    "status_uppnatt": {"sv": "Uppnått", "en": "Achieved"},
    "status_pa_vag": {"sv": "På väg", "en": "On track"},
    "status_risk": {"sv": "Risk", "en": "At risk"},
    "status_ej_uppnatt": {"sv": "Ej uppnått", "en": "Not achieved"},
    "status_inga_varden": {"sv": "Inga mätvärden än", "en": "No values yet"},
    "status_ingen_malniva": {"sv": "Ingen målnivå", "en": "No target"},
    "status_label": {"sv": "Status: {status}", "en": "Status: {status}"},
    "kind_utmaningsomrade": {"sv": "Utmaningsområde", "en": "Challenge area"},
    "kind_forvaltningsmal": {"sv": "Förvaltningsmål", "en": "Administration goal"},
    "kind_vision": {"sv": "Vision", "en": "Vision"},
    "kind_finansiellt_mal": {"sv": "Finansiellt mål", "en": "Financial goal"},
    "kind_other": {"sv": "Mål", "en": "Goal"},
    "belongs": {"sv": "{kind}: {title}", "en": "{kind}: {title}"},
    "scope": {"sv": "Gäller", "en": "Applies to"},
    "scope_kommun": {"sv": "{name} (hela kommunen)", "en": "{name} (whole municipality)"},
    "no_unit_values": {
        "sv": "Det finns inga värden registrerade för {unit}: indikatorn följs för hela kommunen.",
        "en": "No values are recorded for {unit}: the indicator is followed for the whole municipality.",
    },
    "latest": {"sv": "Senaste värde", "en": "Latest value"},
    "measured": {"sv": "{value} – mätt {period}", "en": "{value} – measured {period}"},
    "stale": {"sv": " (inget nyare värde finns)", "en": " (no newer value exists)"},
    "no_values_line": {"sv": "Inga mätvärden än", "en": "No values yet"},
    "source": {"sv": "Källa: ", "en": "Source: "},
    "demo_source": {"sv": "Exempeldata – påhittade värden", "en": "Example data – invented values"},
    "recorded_by": {"sv": "Registrerat av {who} {when}", "en": "Recorded by {who} {when}"},
    "footnote": {"sv": "* {text}", "en": "* {text}"},
    "target": {"sv": "Målnivå {year}", "en": "Target {year}"},
    "target_none": {"sv": "ingen fastställd", "en": "none set"},
    "target_ref": {"sv": "målnivån {year}", "en": "{year} target"},
    "at_least": {"sv": "minst {v}", "en": "at least {v}"},
    "at_most": {"sv": "högst {v}", "en": "at most {v}"},
    "between": {"sv": "{low}–{high}", "en": "{low}–{high}"},
    "baseline_utgangslage": {"sv": "Utgångsläge {period}", "en": "Baseline {period}"},
    "baseline_utfall": {"sv": "Utfall {period}", "en": "Outcome {period}"},
    "direction": {"sv": "Riktning", "en": "Direction"},
    "dir_higher": {"sv": "Högre är bättre", "en": "Higher is better"},
    "dir_lower": {"sv": "Lägre är bättre", "en": "Lower is better"},
    "dir_interval": {"sv": "Inom intervallet {low}–{high} är bäst (både för lågt och för högt är utanför målet)",
                     "en": "Best within {low}–{high} (both too low and too high are off target)"},
    "subject_latest": {"sv": "Senaste värdet", "en": "The latest value"},
    "subject_rolling": {"sv": "Snittet för de senaste 12 månaderna", "en": "The mean of the last 12 months"},
    "rolling_period": {"sv": "{first}–{last}", "en": "{first}–{last}"},
    "rolling_fact": {"sv": "Senaste 12 månader", "en": "Last 12 months"},
    "rolling_value": {"sv": "{value} i snitt ({first}–{last})", "en": "{value} on average ({first}–{last})"},
    "why_met": {"sv": "{subject} {value} ({period}) når {target} ({level}).",
                "en": "{subject} {value} ({period}) meets the {target} ({level})."},
    "why_decided": {"sv": "{subject} {value} ({period}) nådde inte {target} ({level}).",
                    "en": "{subject} {value} ({period}) did not meet the {target} ({level})."},
    "why_trend_yes": {"sv": "I nuvarande takt blir {phrase} och når {target} ({level}).",
                      "en": "At the current pace {phrase}, meeting the {target} ({level})."},
    "why_trend_no": {"sv": "I nuvarande takt blir {phrase} och når inte {target} ({level}).",
                     "en": "At the current pace {phrase}, missing the {target} ({level})."},
    "phrase_value": {"sv": "värdet {value} {period}", "en": "the value will be {value} in {period}"},
    "phrase_mean": {"sv": "snittet för {year} {value}", "en": "the {year} average will be {value}"},
    "year_mean": {"sv": "snittet för {year}", "en": "the {year} average"},
    # one value, no trend to forecast from: on its way when the gap is small (``ON_TRACK_MARGIN``)
    "why_margin_yes": {
        "sv": "{subject} {value} ({period}) ligger {gap} {side} {target} ({level}). Det är så nära (inom {margin} % "
              "av målnivån) att det räknas som på väg – det finns bara ett mätvärde, ingen trend att räkna på.",
        "en": "{subject} {value} ({period}) is {gap} {side} the {target} ({level}). That is close enough (within "
              "{margin}% of the target) to count as on track – there is only one value, no trend to go by.",
    },
    "why_margin_no": {
        "sv": "{subject} {value} ({period}) ligger {gap} {side} {target} ({level}). Det är mer än {margin} % av "
              "målnivån, och med bara ett mätvärde finns ingen trend som talar för att det nås.",
        "en": "{subject} {value} ({period}) is {gap} {side} the {target} ({level}). That is more than {margin}% of "
              "the target, and with only one value there is no trend to say it will be met.",
    },
    "side_under": {"sv": "under", "en": "below"},
    "side_over": {"sv": "över", "en": "above"},
    "why_no_values": {"sv": "Det finns inga mätvärden för indikatorn än. Målnivåerna står nedan.",
                      "en": "There are no values for this indicator yet. The targets are below."},
    "why_no_target": {"sv": "Det finns ingen målnivå att jämföra med.", "en": "There is no target to compare with."},
    "pp": {"sv": "{v} procentenheter", "en": "{v} percentage points"},
    "trend": {"sv": "Utveckling", "en": "Trend"},
    "values": {"sv": "Mätvärden", "en": "Values"},
    "show_values": {"sv": "Visa mätvärden", "en": "Show values"},
    "series_target": {"sv": "Målnivå", "en": "Target"},
    "period_axis": {"sv": "Period", "en": "Period"},
    "forecast": {"sv": "Prognos", "en": "Forecast"},
    "forecast_line": {"sv": "{period}: {value} – {target} ({level}) {verdict}.",
                      "en": "{period}: {value} – {target} ({level}) {verdict}."},
    "reached": {"sv": "nås", "en": "is met"},
    "not_reached": {"sv": "nås inte", "en": "is not met"},
    "forecast_how": {
        "sv": "Så räknas prognosen: en rak linje (minsta kvadratmetoden) genom de {n} senaste {grain} "
              "({first}–{last}), förlängd till {target_period}.",
        "en": "How it is computed: a straight line (least squares) through the latest {n} {grain} "
              "({first}–{last}), extended to {target_period}.",
    },
    "grain_year": {"sv": "årsvärdena", "en": "yearly values"},
    "grain_month": {"sv": "månadsvärdena", "en": "monthly values"},
    "grain_tertial": {"sv": "tertialvärdena", "en": "four-monthly values"},
    "grain_rolling": {"sv": "rullande 12-månaderssnitten", "en": "rolling 12-month means"},
    "forecast_none_few": {"sv": "Ingen prognos: det behövs minst två mätvärden av samma slag.",
                          "en": "No forecast: at least two values of the same kind are needed."},
    "forecast_none_values": {"sv": "Ingen prognos utan mätvärden.", "en": "No forecast without values."},
    "forecast_none_target": {"sv": "Ingen prognos: det finns ingen kommande målnivå att räkna mot.",
                             "en": "No forecast: there is no coming target to compare with."},
    "definition": {"sv": "Definition", "en": "Definition (in Swedish, as the kommun's Årsplan writes it)"},
    "health": {
        "sv": "Måttet bygger på sjukfrånvaro, som är hälsodata (GDPR art. 9): Tavla visar bara aggregat för den "
              "enhet värdet gäller, aldrig uppdelat, och tar inte emot värden för grupper under {n} personer.",
        "en": "This measure is based on sick leave, which is health data (GDPR art. 9): Tavla shows aggregates for "
              "the unit only, never broken down, and refuses values for groups under {n} people.",
    },
    "all_in_goal": {"sv": "Alla indikatorer i {title}", "en": "All indicators in {title}"},
    "all_indicators": {"sv": "Alla indikatorer", "en": "All indicators"},
    "overview_title": {"sv": "Resultatindikatorer", "en": "Result indicators"},
    "overview_title_goal": {"sv": "Resultatindikatorer – {title}", "en": "Result indicators – {title}"},
    "overview_scope": {"sv": "Värden för {scope}", "en": "Values for {scope}"},
    "overview_counts": {"sv": "Sammanfattning: {items}", "en": "Summary: {items}"},
    "overview_filtered": {"sv": "Bara indikatorer med status {statuses}.", "en": "Only indicators with status {statuses}."},
    "overview_filtered_none": {"sv": "Ingen indikator har status {statuses} just nu.",
                               "en": "No indicator has status {statuses} right now."},
    "overview_hint": {"sv": "Tryck på en rad för detaljer, trend och prognos.",
                      "en": "Press a row for details, trend and forecast."},
    "overview_goals_hint": {"sv": "Tryck på ett mål för att se dess indikatorer.",
                            "en": "Press a goal to see its indicators."},
    "overview_more": {"sv": "… och {n} till – fråga efter en indikator med namn för att se den.",
                      "en": "… and {n} more – ask for an indicator by name to see it."},
    "unknown_goal": {"sv": "Jag hittar inget utmaningsområde eller mål som heter så här – visar alla:",
                     "en": "I can't find a challenge area or goal by this name – showing all:"},
    "unit_missing_some": {"sv": "Där {unit} saknar egna värden visas värdet för hela kommunen.",
                          "en": "Where {unit} has no values of its own, the whole municipality's value is shown."},
    "choice_title": {"sv": "Vilken indikator menar du?", "en": "Which indicator do you mean?"},
    "choice_for": {"sv": "Flera indikatorer passar:", "en": "Several indicators match:"},
    "not_found_title": {"sv": "Jag hittar ingen indikator som heter så här:",
                        "en": "I can't find an indicator by this name:"},
    "nearest": {"sv": "Närmast är:", "en": "The nearest are:"},
    "record_title": {"sv": "Registrera mätvärde?", "en": "Record this value?"},
    "indicator": {"sv": "Indikator", "en": "Indicator"},
    "current_value": {"sv": "Nuvarande värde för perioden", "en": "Current value for the period"},
    "none": {"sv": "inget", "en": "none"},
    "value_input": {"sv": "Värde ({unit})", "en": "Value ({unit})"},
    "period_input": {"sv": "Period (t.ex. mars 2018, 2018 eller T1 2018)",
                     "en": "Period (e.g. March 2018, 2018 or T1 2018)"},
    "source_input": {"sv": "Källa", "en": "Source"},
    "sick_leave": {"sv": "Sjukfrånvaro {sick} är frisknärvaro {value} (frisknärvaro = 100 − sjukfrånvaro).",
                   "en": "Sick leave {sick} is frisknärvaro {value} (frisknärvaro = 100 − sick leave)."},
    "far_from": {"sv": "Långt från senaste värdet, {value} – stämmer det? Kontrollera innan du sparar.",
                 "en": "Far from the latest value, {value} – is it right? Check before you save."},
    "period_last_year": {"sv": "{month} i år har inte börjat, så värdet gäller {period} – ändra perioden om du menade "
                               "något annat.",
                         "en": "{month} this year has not begun, so the value is for {period} – change the period if "
                               "you meant another."},
    "replaces": {"sv": " {period} har redan {value}: Spara ersätter det.",
                 "en": " {period} already has {value}: Save replaces it."},
    "period_guessed": {"sv": "Du angav ingen period, så jag föreslår {period} – ändra om det inte stämmer.",
                       "en": "You gave no period, so I suggest {period} – change it if it is wrong."},
    "health_record": {
        "sv": "Hälsodata: registrera bara värden för grupper med minst {n} personer.",
        "en": "Health data: only record values for groups of at least {n} people.",
    },
    "save": {"sv": "Spara", "en": "Save"},
    "cancel": {"sv": "Avbryt", "en": "Cancel"},
    "saved": {"sv": "Sparat: {name} {value} för {period}", "en": "Saved: {name} {value} for {period}"},
    "replaced": {"sv": "Ersatte tidigare värde {value}.", "en": "Replaced the earlier value {value}."},
    "unchanged": {"sv": "Värdet {value} för {period} fanns redan – inget ändrades.",
                  "en": "The value {value} for {period} was already there – nothing changed."},
    "undo": {"sv": "Ångra", "en": "Undo"},
    "show_status": {"sv": "Visa status", "en": "Show status"},
    "undone_removed": {"sv": "Ångrat: värdet för {name} {period} är borttaget.",
                       "en": "Undone: the value for {name} {period} was removed."},
    "undone_restored": {"sv": "Ångrat: {name} {period} är återställt till {value}.",
                        "en": "Undone: {name} {period} is back to {value}."},
    "cancelled": {"sv": "Avbrutet – inget sparades.", "en": "Cancelled – nothing was saved."},
    "demo_value": {"sv": " (exempeldata)", "en": " (example data)"},
    "refuse": {
        "sv": "Du kan inte registrera mätvärden. Det gör personer med rollen HR, controller eller administratör "
              "för enheten eller en enhet ovanför{who}. Hör av dig till någon av dem, eller be Tavlas "
              "administratör om rollen.",
        "en": "You cannot record values. People with the HR, controller or administrator role for the unit or a "
              "unit above it can{who}. Contact one of them, or ask Tavla's administrator for the role.",
    },
    "refuse_who": {"sv": " – här till exempel {names}", "en": " – here for example {names}"},
    "role_hr": {"sv": "HR", "en": "HR"},
    "role_controller": {"sv": "controller", "en": "controller"},
    "role_admin": {"sv": "administratör", "en": "administrator"},
    "refuse_unknown": {
        "sv": "Du finns inte registrerad i Tavla, så du kan inte registrera mätvärden. Det gör personer med rollen "
              "HR, controller eller administratör{who}.",
        "en": "You are not registered in Tavla, so you cannot record values. People with the HR, controller or "
              "administrator role can{who}.",
    },
    "record_choice": {"sv": "Vilken indikator vill du registrera värdet för?",
                      "en": "Which indicator is the value for?"},
}

STATUS_ICON = {
    Status.UPPNATT: "✔", Status.PA_VAG: "➚", Status.RISK: "⚠", Status.EJ_UPPNATT: "✖",
    Status.INGA_VARDEN: "○", Status.INGEN_MALNIVA: "○",
}
STATUS_STYLE = {
    Status.UPPNATT: "good", Status.PA_VAG: "accent", Status.RISK: "warning", Status.EJ_UPPNATT: "attention",
    Status.INGA_VARDEN: "emphasis", Status.INGEN_MALNIVA: "emphasis",
}
STATUS_COLOR = {
    Status.UPPNATT: "Good", Status.PA_VAG: "Accent", Status.RISK: "Warning", Status.EJ_UPPNATT: "Attention",
    Status.INGA_VARDEN: "Default", Status.INGEN_MALNIVA: "Default",
}
STATUS_ORDER = (Status.UPPNATT, Status.PA_VAG, Status.RISK, Status.EJ_UPPNATT, Status.INGA_VARDEN,
                Status.INGEN_MALNIVA)


# --- Formatting ----------------------------------------------------------------------------


def status_words(status: Status, lang: str) -> str:
    return pick(TEXTS, f"status_{status.value}", lang)


def status_text(status: Status, lang: str) -> str:
    """Icon and word: '⚠ Risk' — the word carries the meaning, the icon repeats it."""
    return f"{STATUS_ICON[status]} {status_words(status, lang)}"


def _places(value: Decimal, decimals: int) -> int:
    exponent = value.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return min(max(decimals, own), 3)


def fmt_value(value: Decimal, unit: str, decimals: int, lang: str, *, exact: bool = True) -> str:
    """``94,2 %``, ``6 147``, ``199 poäng``; ``exact`` keeps a recorded value's own decimals."""
    places = _places(value, decimals) if exact else decimals
    if unit == "%":
        return percent(value, places, lang)
    if unit == "poäng":
        return f"{number(value, places, lang)}\u00a0{'poäng' if lang == 'sv' else 'points'}"
    return number(value, places, lang)


def _bound(value: Decimal, unit: str, decimals: int, lang: str) -> str:
    """A target level with its own decimals (Målnivå 95 %, not 95,0 %)."""
    return fmt_value(value, unit, 0, lang)


def target_text(target: Target, direction: str, unit: str, decimals: int, lang: str) -> str:
    """``minst 95 %``, ``högst 8 %``, ``5–8 %``."""
    if direction == "interval" and target.low is not None and target.high is not None:
        high = _bound(target.high, unit, decimals, lang)
        low = number(target.low, _places(target.low, 0), lang)
        return pick(TEXTS, "between", lang, low=low, high=high)
    if direction == "lower" and target.high is not None:
        return pick(TEXTS, "at_most", lang, v=_bound(target.high, unit, decimals, lang))
    bound = target.low if target.low is not None else target.high
    assert bound is not None
    return pick(TEXTS, "at_least", lang, v=_bound(bound, unit, decimals, lang))


def gap_text(gap: Decimal, unit: str, decimals: int, lang: str) -> str:
    if unit == "%":
        return pick(TEXTS, "pp", lang, v=number(abs(gap), _places(abs(gap), decimals), lang))
    return fmt_value(abs(gap), unit, decimals, lang)


def _goal_line(kind: str, title: str, lang: str) -> str:
    """'Utmaningsområde: Boende'; just 'Finansiellt mål' when the title says the kind already."""
    key = f"kind_{kind}" if f"kind_{kind}" in TEXTS else "kind_other"
    label = pick(TEXTS, key, lang)
    if label.lower() == title.lower():
        return title
    return pick(TEXTS, "belongs", lang, kind=label, title=title)


def _when(at: datetime, lang: str) -> str:
    local = at.astimezone(STOCKHOLM)
    return f"{day(local, lang)} {clock(local, lang)}"


def _chart_number(value: Decimal) -> int | float:
    """A JSON number for the chart (the chart draws it; the text beside it is the Decimal, formatted)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(Decimal("0.001")))


# --- View models ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """A value as the card shows it."""

    period: Period
    value: Decimal
    kind: str
    source: str | None = None
    footnote: str | None = None
    is_demo: bool = False
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    via: str = "seed"
    stale: bool = False


@dataclass(frozen=True)
class StatusView:
    indicator_id: int
    name: str
    short_name: str
    unit: str
    decimals: int
    direction: str
    goal_id: int
    goal_kind: str
    goal_title: str
    scope_unit_id: int
    scope_name: str
    scope_is_kommun: bool
    asked_unit_name: str | None  # asked for a unit that has no values of its own
    assessment: Assessment
    targets: tuple[tuple[int, Target | None], ...]  # the current and the next year
    values: tuple[Measured, ...]  # oldest first
    latest: Measured | None
    definition: str | None
    health_data: bool
    as_of: date
    pinned: bool


@dataclass(frozen=True)
class OverviewLine:
    indicator_id: int
    short_name: str
    status: Status
    latest: Measured | None
    unit: str
    decimals: int
    own_unit_value: bool  # False: the kommun's value stands in for the asked unit


@dataclass(frozen=True)
class OverviewGroup:
    goal_id: int
    goal_kind: str
    goal_title: str
    lines: tuple[OverviewLine, ...]


@dataclass(frozen=True)
class OverviewView:
    groups: tuple[OverviewGroup, ...]
    scope_name: str
    scope_unit_id: int | None  # None = the whole kommun
    goal_title: str | None
    unknown_goal_query: str | None
    as_of: date
    pinned: bool
    status_filter: tuple[Status, ...] | None = None  # only indicators with one of these statuses are listed


@dataclass(frozen=True)
class Choice:
    indicator_id: int
    short_name: str
    name: str
    goal_title: str


@dataclass(frozen=True)
class RecordView:
    indicator_id: int
    name: str
    short_name: str
    unit: str
    decimals: int
    org_unit_id: int
    org_unit_name: str
    is_kommun: bool
    period: Period
    value: Decimal
    source: str
    existing: Measured | None
    health_data: bool
    period_guessed: bool
    sick_leave: Decimal | None = None  # the sjukfrånvaro written, when ``value`` is the frisknärvaro it makes
    far_from: Measured | None = None  # the latest value, when this one is far from it (``value_doubt``)
    last_year: bool = False  # a month named without a year that has not begun this year: last year's is proposed


# --- Status card ---------------------------------------------------------------------------


def _reason(view: StatusView, lang: str) -> str:
    a = view.assessment
    fmt = lambda v: fmt_value(v, view.unit, view.decimals, lang)  # noqa: E731
    if a.reason == "no_values" or a.latest is None:
        return pick(TEXTS, "why_no_values", lang)
    if a.target is None:
        return pick(TEXTS, "why_no_target", lang)
    level = target_text(a.target, view.direction, view.unit, view.decimals, lang)
    target = pick(TEXTS, "target_ref", lang, year=a.target.year)
    judged = a.judged or a.latest
    if a.basis == "rolling12":
        period = pick(TEXTS, "rolling_period", lang, first=_first_of_rolling(judged.period).label(lang),
                      last=judged.period.label(lang))
        value = fmt_value(judged.value, view.unit, view.decimals, lang, exact=False)
    else:
        period, value = judged.period.label(lang), fmt(judged.value)
    common = {"subject": pick(TEXTS, f"subject_{'rolling' if a.basis == 'rolling12' else 'latest'}", lang),
              "value": value, "period": period, "target": target, "level": level}
    if a.reason == "met":
        return pick(TEXTS, "why_met", lang, **common)
    if a.reason == "decided":
        return pick(TEXTS, "why_decided", lang, **common)
    if a.reason == "trend" and a.forecast is not None:
        key = "why_trend_yes" if a.forecast.meets else "why_trend_no"
        forecast_value = fmt_value(a.forecast.value, view.unit, view.decimals, lang, exact=False)
        phrase = (pick(TEXTS, "phrase_mean", lang, year=a.forecast.period.start.year, value=forecast_value)
                  if a.forecast.rolling else
                  pick(TEXTS, "phrase_value", lang, value=forecast_value, period=a.forecast.period.label(lang)))
        return pick(TEXTS, key, lang, phrase=phrase, target=common["target"], level=common["level"])
    gap = gap_text(a.gap or Decimal(0), view.unit, view.decimals, lang)
    key = "why_margin_yes" if a.status == Status.PA_VAG else "why_margin_no"
    side = pick(TEXTS, "side_under" if (a.gap or Decimal(0)) < 0 else "side_over", lang)
    return pick(TEXTS, key, lang, gap=gap, side=side, margin=number(ON_TRACK_MARGIN * 100, 0, lang), **common)


def _forecast_period(f: Forecast, lang: str, *, capital: bool = False) -> str:
    """'december 2018', or for rolling means 'snittet för 2018' (what the December mean stands for)."""
    if not f.rolling:
        return f.period.label(lang)
    text = pick(TEXTS, "year_mean", lang, year=f.period.start.year)
    return text[0].upper() + text[1:] if capital else text


def _first_of_rolling(last: Period) -> Period:
    """The first month of the twelve that end with ``last``."""
    index = last.start.year * 12 + last.start.month - 1 - 11
    return Period.month(index // 12, index % 12 + 1)


def _value_text(m: Measured, view_unit: str, decimals: int, lang: str) -> str:
    text = fmt_value(m.value, view_unit, decimals, lang)
    if m.footnote:
        text += " *"
    if m.is_demo:
        text += pick(TEXTS, "demo_value", lang)
    return text


def _value_label(m: Measured, lang: str) -> str:
    if m.kind in ("utgangslage", "utfall"):
        return pick(TEXTS, f"baseline_{m.kind}", lang, period=m.period.label(lang))
    return m.period.label(lang)


def _trend(view: StatusView, lang: str) -> list[core.Element]:
    points = list(view.values)[-MAX_TREND_POINTS:]
    facts = [(_value_label(m, lang), _value_text(m, view.unit, view.decimals, lang)) for m in points]
    table = core.container([core.text(pick(TEXTS, "values", lang), weight="Bolder"), core.facts(facts)])
    if len(points) < 2:
        return []
    series: list[dict[str, Any]] = [{
        "legend": view.short_name,
        "values": [{"x": m.period.label(lang), "y": _chart_number(m.value)} for m in points],
    }]
    targets = {t.year: t for _, t in view.targets if t is not None}
    for t in view.assessment.target, view.assessment.next_target:
        if t is not None:
            targets.setdefault(t.year, t)
    target_points = []
    for m in points:
        t = targets.get(m.period.start.year)
        bound = None if t is None else (t.high if view.direction == "lower" else t.low if t.low is not None else t.high)
        if bound is not None:
            target_points.append({"x": m.period.label(lang), "y": _chart_number(bound)})
    if len(target_points) >= 2:
        series.append({"legend": pick(TEXTS, "series_target", lang), "values": target_points})
    chart: dict[str, Any] = {
        "type": "Chart.Line",
        "title": pick(TEXTS, "trend", lang),
        "xAxisTitle": pick(TEXTS, "period_axis", lang),
        "yAxisTitle": view.unit,
        "data": series,
        "fallback": table,
    }
    hidden = core.container([core.facts(facts)], element_id=f"values-{view.indicator_id}", visible=False)
    return [
        core.container([chart], spacing="Medium", separator=True),
        core.action_set([core.toggle(pick(TEXTS, "show_values", lang), [f"values-{view.indicator_id}"])]),
        hidden,
    ]


def _forecast_lines(view: StatusView, lang: str) -> list[core.Element]:
    a = view.assessment
    shown: list[tuple[Forecast, Target]] = []
    if a.forecast is not None and a.target is not None:
        shown.append((a.forecast, a.target))
    if a.next_forecast is not None and a.next_target is not None:
        shown.append((a.next_forecast, a.next_target))
    body = [core.text(pick(TEXTS, "forecast", lang), weight="Bolder", spacing="Medium", separator=True)]
    if not shown:
        if a.latest is None:
            key = "forecast_none_values"
        elif a.next_target is None and a.decided:
            key = "forecast_none_target"
        else:
            key = "forecast_none_few"
        body.append(core.text(pick(TEXTS, key, lang), spacing="Small"))
        return body
    lines = []
    for f, t in shown:
        lines.append(pick(
            TEXTS, "forecast_line", lang, period=_forecast_period(f, lang, capital=True),
            value=fmt_value(f.value, view.unit, view.decimals, lang, exact=False),
            target=pick(TEXTS, "target", lang, year=t.year),
            level=target_text(t, view.direction, view.unit, view.decimals, lang),
            verdict=pick(TEXTS, "reached" if f.meets else "not_reached", lang)))
    body.append(core.text("\n\n".join(lines), spacing="Small"))
    f = shown[-1][0]
    grain = "rolling" if f.rolling else f.last.grain
    body.append(core.text(pick(TEXTS, "forecast_how", lang, n=f.points, grain=pick(TEXTS, f"grain_{grain}", lang),
                               first=f.first.label(lang), last=f.last.label(lang),
                               target_period=f.period.label(lang)), size="Small", subtle=True, spacing="Small"))
    return body


def status_card(view: StatusView, lang: str) -> core.Element:
    a = view.assessment
    body: list[core.Element] = []
    if any(m.is_demo for m in view.values):
        body.append(demo_badge(lang))
    body.append(core.heading(view.name))
    body.append(core.text(_goal_line(view.goal_kind, view.goal_title, lang), subtle=True, spacing="None"))
    body.append(core.container([
        core.text(pick(TEXTS, "status_label", lang, status=status_text(a.status, lang)), weight="Bolder",
                  size="Medium", color=STATUS_COLOR[a.status]),
        core.text(_reason(view, lang), spacing="Small"),
    ], style=STATUS_STYLE[a.status], spacing="Medium"))

    facts: list[tuple[str, str]] = []
    scope = (pick(TEXTS, "scope_kommun", lang, name=view.scope_name) if view.scope_is_kommun else view.scope_name)
    facts.append((pick(TEXTS, "scope", lang), scope))
    latest = view.latest
    if latest is not None:
        value = pick(TEXTS, "measured", lang, value=_value_text(latest, view.unit, view.decimals, lang),
                     period=latest.period.label(lang))
        facts.append((pick(TEXTS, "latest", lang), value + (pick(TEXTS, "stale", lang) if latest.stale else "")))
    else:
        facts.append((pick(TEXTS, "latest", lang), pick(TEXTS, "no_values_line", lang)))
    if a.basis == "rolling12" and a.judged is not None:
        facts.append((pick(TEXTS, "rolling_fact", lang), pick(
            TEXTS, "rolling_value", lang, value=fmt_value(a.judged.value, view.unit, view.decimals, lang, exact=False),
            first=_first_of_rolling(a.judged.period).label(lang), last=a.judged.period.label(lang))))
    for year, target in view.targets:
        level = (target_text(target, view.direction, view.unit, view.decimals, lang) if target is not None
                 else pick(TEXTS, "target_none", lang))
        facts.append((pick(TEXTS, "target", lang, year=year), level))
    for m in view.values:
        if m.kind in ("utgangslage", "utfall"):
            facts.append((_value_label(m, lang), _value_text(m, view.unit, view.decimals, lang)))
    if view.direction == "interval":
        shown = next((t for _, t in view.targets if t is not None), a.target)
        low = number(shown.low, _places(shown.low, 0), lang) if shown and shown.low is not None else "?"
        high = _bound(shown.high, view.unit, 0, lang) if shown and shown.high is not None else "?"
        direction = pick(TEXTS, "dir_interval", lang, low=low, high=high)
    else:
        direction = pick(TEXTS, f"dir_{view.direction}", lang)
    facts.append((pick(TEXTS, "direction", lang), direction))
    body.append(core.facts(facts))

    notes: list[core.Element] = []
    footnotes = []
    for m in view.values:
        if m.footnote and m.footnote not in footnotes:
            footnotes.append(m.footnote)
    for note in footnotes:
        notes.append(core.user_text(pick(TEXTS, "footnote", lang, text=note), subtle=True))
    if latest is not None and latest.is_demo:  # the demo's values, whatever their stored source, in the reader's language
        notes.append(core.text(pick(TEXTS, "source", lang) + pick(TEXTS, "demo_source", lang), subtle=True))
    elif latest is not None and latest.source:
        notes.append(core.user_text(pick(TEXTS, "source", lang) + latest.source, subtle=True))
    if latest is not None and latest.recorded_by and latest.recorded_at is not None:
        notes.append(core.user_text(pick(TEXTS, "recorded_by", lang, who=latest.recorded_by,
                                         when=_when(latest.recorded_at, lang)), subtle=True))
    if view.asked_unit_name:
        notes.append(core.text(pick(TEXTS, "no_unit_values", lang, unit=view.asked_unit_name), spacing="Small"))
    if notes:
        body.append(core.container(notes, spacing="Small"))

    body += _trend(view, lang)
    body += _forecast_lines(view, lang)
    if view.definition:
        body.append(core.text(pick(TEXTS, "definition", lang), weight="Bolder", spacing="Medium", separator=True))
        body.append(core.user_text(view.definition, limit=1500))
    if view.health_data:
        body.append(core.text(pick(TEXTS, "health", lang, n=MIN_GROUP_SIZE), size="Small", subtle=True,
                              spacing="Small"))
    body.append(as_of_line(view.as_of, view.pinned, lang))
    actions = [core.execute(pick(TEXTS, "all_in_goal", lang, title=view.goal_title), VERB_OVERVIEW,
                            {"goal_id": view.goal_id, **({} if view.scope_is_kommun else
                                                         {"org_unit_id": view.scope_unit_id})})]
    return core.card(body, actions, fallback_text=f"{view.name}: {status_words(a.status, lang)}")


# --- Overview card -------------------------------------------------------------------------


def _overview_row(line: OverviewLine, scope_unit_id: int | None, lang: str) -> core.Element:
    latest = "–"
    if line.latest is not None:
        latest = f"{fmt_value(line.latest.value, line.unit, line.decimals, lang)} ({line.latest.period.label(lang)})"
        if line.latest.is_demo:
            latest += pick(TEXTS, "demo_value", lang)
    data: dict[str, Any] = {"indicator_id": line.indicator_id}
    if scope_unit_id is not None:
        data["org_unit_id"] = scope_unit_id
    row = core.columns(
        core.column([core.text(status_text(line.status, lang), color=STATUS_COLOR[line.status], weight="Bolder")],
                    width="110px"),
        core.column([core.text(line.short_name + ("" if line.own_unit_value else " ¹"))]),
        core.column([core.text(latest, subtle=True, wrap=True)], width="auto"),
        spacing="Small",
    )
    row["selectAction"] = core.execute(line.short_name, VERB_STATUS, data)
    return row


def _counts_text(lines: tuple[OverviewLine, ...] | list[OverviewLine], lang: str) -> str:
    counts: dict[Status, int] = {}
    for line in lines:
        counts[line.status] = counts.get(line.status, 0) + 1
    return ", ".join(f"{counts[s]} {status_words(s, lang).lower()}" for s in STATUS_ORDER if counts.get(s))


def _goal_row(group: OverviewGroup, scope_unit_id: int | None, lang: str) -> core.Element:
    data: dict[str, Any] = {"goal_id": group.goal_id}
    if scope_unit_id is not None:
        data["org_unit_id"] = scope_unit_id
    row = core.columns(
        core.column([core.text(_goal_line(group.goal_kind, group.goal_title, lang), weight="Bolder")]),
        core.column([core.text(_counts_text(group.lines, lang), subtle=True)], width="auto"),
        spacing="Small", separator=True,
    )
    row["selectAction"] = core.execute(group.goal_title, VERB_OVERVIEW, data)
    return row


def overview_card(view: OverviewView, lang: str) -> core.Element:
    body: list[core.Element] = []
    if any(line.latest is not None and line.latest.is_demo for g in view.groups for line in g.lines):
        body.append(demo_badge(lang))
    title = (pick(TEXTS, "overview_title_goal", lang, title=view.goal_title) if view.goal_title
             else pick(TEXTS, "overview_title", lang))
    body.append(core.heading(title))
    body.append(core.text(pick(TEXTS, "overview_scope", lang, scope=view.scope_name), subtle=True, spacing="None"))
    if view.unknown_goal_query:
        body.append(core.text(pick(TEXTS, "unknown_goal", lang), spacing="Small"))
        body.append(core.user_text(view.unknown_goal_query, limit=200, italic=True))
    if view.status_filter:
        statuses = " / ".join(status_words(s, lang) for s in view.status_filter)
        key = "overview_filtered" if view.groups else "overview_filtered_none"
        body.append(core.text(pick(TEXTS, key, lang, statuses=statuses), spacing="Small"))
    items = _counts_text([line for g in view.groups for line in g.lines], lang)
    if items:
        body.append(core.text(pick(TEXTS, "overview_counts", lang, items=items), spacing="Small"))
    total = sum(len(g.lines) for g in view.groups)
    if total > MAX_OVERVIEW_LINES and len(view.groups) > 1:
        # too many for one card (28 KB): one line per goal with its counts; a press opens that goal
        for group in view.groups:
            body.append(_goal_row(group, view.scope_unit_id, lang))
        body.append(core.text(pick(TEXTS, "overview_goals_hint", lang), size="Small", subtle=True, spacing="Small"))
        body.append(as_of_line(view.as_of, view.pinned, lang))
        return core.card(body, fallback_text=title)
    shown = 0
    for group in view.groups:
        lines = group.lines[: max(0, MAX_OVERVIEW_LINES - shown)]
        if not lines:
            break
        body.append(core.text(_goal_line(group.goal_kind, group.goal_title, lang), weight="Bolder", spacing="Medium",
                              separator=True))
        body += [_overview_row(line, view.scope_unit_id, lang) for line in lines]
        shown += len(lines)
    if shown < total:
        body.append(core.text(pick(TEXTS, "overview_more", lang, n=total - shown), spacing="Small"))
    if any(not line.own_unit_value for g in view.groups for line in g.lines):
        body.append(core.text("¹ " + pick(TEXTS, "unit_missing_some", lang, unit=view.scope_name), size="Small",
                              subtle=True, spacing="Medium"))
    body.append(core.text(pick(TEXTS, "overview_hint", lang), size="Small", subtle=True, spacing="Small"))
    body.append(as_of_line(view.as_of, view.pinned, lang))
    return core.card(body, fallback_text=title)


# --- Choice and not found ------------------------------------------------------------------


def choice_card(query: str, choices: list[Choice], org_unit_id: int | None, lang: str) -> core.Element:
    body: list[core.Element] = [
        core.text(pick(TEXTS, "choice_title", lang), weight="Bolder", size="Medium"),
        core.user_text(query, limit=200, italic=True),
        core.text(pick(TEXTS, "choice_for", lang), spacing="Small"),
        core.facts([(c.short_name, c.goal_title) for c in choices[:MAX_CHOICES]]),
    ]
    actions = []
    for c in choices[:MAX_CHOICES]:
        data: dict[str, Any] = {"indicator_id": c.indicator_id, "replace": True}
        if org_unit_id is not None:
            data["org_unit_id"] = org_unit_id
        actions.append(core.execute(c.short_name, VERB_STATUS, data))
    body.append(core.action_set(actions))
    return core.card(body, fallback_text=pick(TEXTS, "choice_title", lang))


def record_choice_card(choices: list[tuple[str, str]], lang: str) -> core.Element:
    """Which indicator a value is for: each button asks the whole recording again with the full name."""
    body: list[core.Element] = [core.text(pick(TEXTS, "record_choice", lang), weight="Bolder", size="Medium")]
    return core.card(body, [ask_button(title, question) for title, question in choices[:MAX_CHOICES]])


def not_found_card(query: str, nearest: list[Choice], lang: str) -> core.Element:
    body: list[core.Element] = [
        core.text(pick(TEXTS, "not_found_title", lang), weight="Bolder"),
        core.user_text(query, limit=200, italic=True),
    ]
    actions = [core.execute(c.short_name, VERB_STATUS, {"indicator_id": c.indicator_id}) for c in nearest[:4]]
    if actions:
        body.append(core.text(pick(TEXTS, "nearest", lang), spacing="Small"))
    actions.append(core.execute(pick(TEXTS, "all_indicators", lang), VERB_OVERVIEW, {}))
    return core.card(body, actions)


# --- Recording -----------------------------------------------------------------------------


def refusal_text(people: list[tuple[str, str]], *, known: bool, lang: str) -> str:
    """A polite no that says who can record values (roles, and the people who have them here)."""
    who = ""
    if people:
        names = [f"{name} ({pick(TEXTS, f'role_{role}', lang)})" for name, role in people]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + (" och " if lang == "sv" else " and ") + names[-1]
        who = pick(TEXTS, "refuse_who", lang, names=joined)
    return pick(TEXTS, "refuse" if known else "refuse_unknown", lang, who=who)


def record_card(view: RecordView, lang: str) -> core.Element:
    scope = (pick(TEXTS, "scope_kommun", lang, name=view.org_unit_name) if view.is_kommun else view.org_unit_name)
    existing = pick(TEXTS, "none", lang)
    if view.existing is not None:
        existing = _value_text(view.existing, view.unit, view.decimals, lang)
    places = _places(view.value, view.decimals)
    value_str = number(view.value, places, lang).replace("\u00a0", " ")
    body: list[core.Element] = [
        core.text(pick(TEXTS, "record_title", lang), weight="Bolder", size="Medium"),
        core.facts([(pick(TEXTS, "indicator", lang), view.name), (pick(TEXTS, "scope", lang), scope),
                    (pick(TEXTS, "current_value", lang), existing)]),
        core.text_input("value", pick(TEXTS, "value_input", lang, unit=view.unit), value=value_str, max_length=40),
        core.text_input("period", pick(TEXTS, "period_input", lang), value=view.period.label(lang), max_length=40),
        core.text_input("source", pick(TEXTS, "source_input", lang), value=view.source, max_length=200),
    ]
    if view.sick_leave is not None:
        body.insert(1, core.text(pick(TEXTS, "sick_leave", lang, sick=percent(view.sick_leave, 1, lang),
                                      value=percent(view.value, 1, lang)), weight="Bolder"))
    if view.far_from is not None:
        latest = f"{fmt_value(view.far_from.value, view.unit, view.decimals, lang)} ({view.far_from.period.label(lang)})"
        body.insert(1, core.text("⚠ " + pick(TEXTS, "far_from", lang, value=latest), color="Warning", weight="Bolder"))
    if view.last_year:
        said = pick(TEXTS, "period_last_year", lang, month=month_name(view.period.start.month, lang).capitalize(),
                    period=view.period.label(lang))
        if view.existing is not None:
            said += pick(TEXTS, "replaces", lang, period=view.period.label(lang),
                         value=fmt_value(view.existing.value, view.unit, view.decimals, lang))
        body.insert(1, core.text("⚠ " + said, color="Warning", weight="Bolder"))
    if view.period_guessed:
        body.append(core.text(pick(TEXTS, "period_guessed", lang, period=view.period.label(lang)), size="Small",
                              subtle=True))
    if view.health_data:
        body.append(core.text(pick(TEXTS, "health_record", lang, n=MIN_GROUP_SIZE), size="Small", subtle=True))
    data = {"indicator_id": view.indicator_id, "org_unit_id": view.org_unit_id}
    actions = [core.execute(pick(TEXTS, "save", lang), VERB_CONFIRM, data, style="positive",
                            associated_inputs="auto"),
               core.execute(pick(TEXTS, "cancel", lang), VERB_CANCEL, {}, associated_inputs="none")]
    return core.card(body, actions, fallback_text=pick(TEXTS, "record_title", lang))


@dataclass(frozen=True)
class SavedView:
    indicator_id: int
    short_name: str
    unit: str
    decimals: int
    org_unit_id: int
    org_unit_name: str
    is_kommun: bool
    period: Period
    value: Decimal
    outcome: str  # created / updated / unchanged
    previous: Decimal | None
    log_id: int | None
    who: str
    at: datetime


def saved_card(view: SavedView, lang: str) -> core.Element:
    value = fmt_value(view.value, view.unit, view.decimals, lang)
    scope = (pick(TEXTS, "scope_kommun", lang, name=view.org_unit_name) if view.is_kommun else view.org_unit_name)
    show = core.execute(pick(TEXTS, "show_status", lang), VERB_STATUS,
                        {"indicator_id": view.indicator_id, "org_unit_id": view.org_unit_id})
    if view.outcome == "unchanged":
        body = [core.text(pick(TEXTS, "unchanged", lang, value=value, period=view.period.label(lang)),
                          weight="Bolder"), core.text(f"{pick(TEXTS, 'scope', lang)}: {scope}", spacing="Small")]
        return core.card([core.container(body)], [show])
    lines = [core.text("✔ " + pick(TEXTS, "saved", lang, name=view.short_name, value=value,
                                    period=view.period.label(lang)), weight="Bolder"),
             core.text(f"{pick(TEXTS, 'scope', lang)}: {scope}", spacing="Small"),
             core.user_text(pick(TEXTS, "recorded_by", lang, who=view.who, when=_when(view.at, lang)), subtle=True)]
    if view.outcome == "updated" and view.previous is not None:
        lines.append(core.text(pick(TEXTS, "replaced", lang, value=fmt_value(view.previous, view.unit, view.decimals,
                                                                            lang)), spacing="Small"))
    actions = [show]
    if view.log_id is not None:
        actions.insert(0, core.execute(pick(TEXTS, "undo", lang), VERB_UNDO, {"log_id": view.log_id}))
    return core.card([core.container(lines, style="good")], actions)


def undone_card(short_name: str, period: Period, restored: str | None, indicator_id: int, org_unit_id: int,
                lang: str) -> core.Element:
    if restored is None:
        text = pick(TEXTS, "undone_removed", lang, name=short_name, period=period.label(lang))
    else:
        text = pick(TEXTS, "undone_restored", lang, name=short_name, period=period.label(lang), value=restored)
    show = core.execute(pick(TEXTS, "show_status", lang), VERB_STATUS,
                        {"indicator_id": indicator_id, "org_unit_id": org_unit_id})
    return core.card([core.text(text, weight="Bolder")], [show])


def cancelled_card(lang: str) -> core.Element:
    return core.card([core.text(pick(TEXTS, "cancelled", lang))])
