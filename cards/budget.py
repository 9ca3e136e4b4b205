"""Budget cards: a budget line, a verksamhetsområde, the whole förvaltning, the over-budget list, and the
choice card when a verksamhet name exists in several areas (never picked silently).

Figures come from ``followup.budget`` (Decimal, stored aggregates). Money is tkr with one decimal
(``150 853,2 tkr``), shares whole percent (``34 %``); status is always said in words (colour only adds).
Sign convention, said on every card: avvikelse + = överskott, − = underskott.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cards import core
from cards.common import as_of_line, ask_button, demo_badge
from cards.format import day, month_name, number, percent, tkr
from cards.texts import pick
from followup.budget import (
    METHOD_MANUAL,
    STATUS_DEFICIT,
    STATUS_NO_UTFALL,
    STATUS_ON_BUDGET,
    STATUS_SURPLUS,
    AreaFigures,
    LineFigures,
    Totals,
    largest_deviations,
)
from followup.clock import STOCKHOLM

SHOW_VERB = "budget_show"  # data: {"kind": "line"|"area"|"total"|"over", "id": int, "year": int, "detail": bool}
UNDO_VERB = "budget_prognosis_undo"  # data: {"prognosis": int}
DEVIATIONS_SHOWN = 5
OVER_SHOWN = 15

TEXTS: dict[str, dict[str, str]] = {
    "budget_year": {"sv": "Budget {year}", "en": "Budget {year}"},
    "through": {"sv": "utfall t.o.m. {month} {year}", "en": "actuals through {month} {year}"},
    "no_utfall": {"sv": "Inget utfall registrerat än för {year}.", "en": "No actuals recorded yet for {year}."},
    "no_utfall_short": {"sv": "inget utfall registrerat än", "en": "no actuals recorded yet"},
    "annual_cost": {"sv": "Årsbudget (nettokostnad)", "en": "Annual budget (net cost)"},
    "annual_revenue": {"sv": "Årsbudget (nettointäkt)", "en": "Annual budget (net revenue)"},
    "utfall_through": {"sv": "Utfall t.o.m. {month}", "en": "Actuals through {month}"},
    "kvar": {"sv": "Kvar", "en": "Left"},
    "kvar_over": {"sv": "{value} (årsbudgeten är redan överskriden)", "en": "{value} (the annual budget is already exceeded)"},
    "revenue_to_come": {"sv": "Intäkter kvar att få", "en": "Revenue still to come"},
    "revenue_beyond": {"sv": "{value} (mer intäkter än budgeterat för helåret)", "en": "{value} (more revenue than budgeted for the year)"},
    "consumption": {"sv": "Förbrukningsgrad", "en": "Share used"},
    "revenue_share": {"sv": "Andel av nettointäkten", "en": "Share of net revenue"},
    "consumption_linear": {"sv": "{pct} (efter {m} av 12 månader: {share})", "en": "{pct} (after {m} of 12 months: {share})"},
    "consumption_profile": {"sv": "{pct} (enligt månadsprofilen: {share})", "en": "{pct} (per the monthly profile: {share})"},
    "consumption_zero": {"sv": "– (budgeten är 0,0 tkr)", "en": "– (the budget is 0.0 tkr)"},
    "periodised": {"sv": "Periodiserad budget t.o.m. {month}", "en": "Budget to date through {month}"},
    "periodised_linear": {"sv": "{value} (linjärt)", "en": "{value} (linear)"},
    "periodised_profile": {"sv": "{value} (enligt månadsprofil)", "en": "{value} (by monthly profile)"},
    "consumption_mixed": {"sv": "{pct} (periodiserat hittills: {share})", "en": "{pct} (budgeted to date: {share})"},
    "periodised_mixed": {"sv": "{value} ({n} av {total} verksamheter enligt månadsprofil, övriga linjärt)",
                         "en": "{value} ({n} of {total} lines by monthly profile, the rest linear)"},
    "avvikelse": {"sv": "Avvikelse", "en": "Variance"},
    "prognosis": {"sv": "Helårsprognos", "en": "Full-year forecast"},
    "prognosis_vs_budget": {"sv": "Prognos mot årsbudget", "en": "Forecast vs budget"},
    "method_trend": {"sv": "trend: utfallet hittills i samma takt", "en": "trend: actuals so far at the same pace"},
    "method_profil": {"sv": "trend justerad efter månadsprofilen", "en": "trend adjusted by the monthly profile"},
    "method_manuell": {"sv": "prognos från ekonom", "en": "forecast from the finance officer"},
    "methods_sum": {"sv": "summa av verksamheternas prognoser: {methods}", "en": "sum of the lines' forecasts: {methods}"},
    "method_count_trend": {"sv": "{n} i samma takt som hittills", "en": "{n} at the pace so far"},
    "method_count_profil": {"sv": "{n} efter månadsprofil", "en": "{n} by monthly profile"},
    "method_count_manuell": {"sv": "{n} från ekonom", "en": "{n} from finance"},
    "manual_by": {"sv": "Prognosen lades in av {who} {date}", "en": "Forecast entered by {who} on {date}"},
    "manual_someone": {"sv": "Prognosen lades in {date}", "en": "Forecast entered on {date}"},
    "surplus": {"sv": "överskott", "en": "surplus"},
    "deficit": {"sv": "underskott", "en": "deficit"},
    "status_overskott": {"sv": "✔ Inom budget: {value} överskott hittills", "en": "✔ Within budget: {value} surplus so far"},
    "status_underskott": {"sv": "▲ Över budget: {value} underskott hittills", "en": "▲ Over budget: {value} deficit so far"},
    "status_underskott_rev": {"sv": "▼ Lägre intäkter än budgeterat: {value} underskott hittills",
                              "en": "▼ Less revenue than budgeted: {value} deficit so far"},
    "status_overskott_rev": {"sv": "✔ Intäkterna följer budget: {value} överskott hittills",
                             "en": "✔ Revenue on budget: {value} surplus so far"},
    "status_enligt_budget": {"sv": "✔ Enligt budget hittills", "en": "✔ On budget so far"},
    "status_inget_utfall": {"sv": "Inget utfall registrerat än", "en": "No actuals recorded yet"},
    "word_overskott": {"sv": "överskott", "en": "surplus"},
    "word_underskott": {"sv": "underskott", "en": "deficit"},
    "word_enligt_budget": {"sv": "enligt budget", "en": "on budget"},
    "word_inget_utfall": {"sv": "inget utfall", "en": "no actuals"},
    "sign_note": {"sv": "Avvikelse = periodiserad budget − utfall: + = överskott, − = underskott.",
                  "en": "Variance = budget to date − actuals: + = surplus, − = deficit."},
    "revenue_note": {"sv": "Negativ budget betyder nettointäkt: kvar är intäkter som ska komma in.",
                     "en": "A negative budget is net revenue: what is left is revenue still to come."},
    "largest": {"sv": "Störst avvikelser", "en": "Largest variances"},
    "all_lines": {"sv": "Alla verksamheter", "en": "All lines"},
    "areas": {"sv": "Verksamhetsområden", "en": "Areas"},
    "col_name": {"sv": "Verksamhet", "en": "Line"},
    "col_area": {"sv": "Område", "en": "Area"},
    "col_budget": {"sv": "Budget tkr", "en": "Budget tkr"},
    "col_utfall": {"sv": "Utfall tkr", "en": "Actuals tkr"},
    "col_pct": {"sv": "Förbr.", "en": "Used"},
    "col_dev": {"sv": "Avvikelse tkr", "en": "Variance tkr"},
    "col_status": {"sv": "Läge", "en": "Status"},
    "total_row": {"sv": "Totalt", "en": "Total"},
    "forvaltning": {"sv": "Hela förvaltningen", "en": "The whole organisation"},
    "btn_area": {"sv": "Budget {area}", "en": "Budget {area}"},
    "btn_detail": {"sv": "Alla verksamheter", "en": "All lines"},
    "btn_total": {"sv": "Hela förvaltningen", "en": "Whole organisation"},
    "btn_over": {"sv": "Över budget?", "en": "Over budget?"},
    "btn_undo": {"sv": "Ångra prognosen", "en": "Undo the forecast"},
    "btn_over_area": {"sv": "Över budget i {area}", "en": "Over budget in {area}"},
    "over_title": {"sv": "Över budget t.o.m. {month} {year}", "en": "Over budget through {month} {year}"},
    "over_title_area": {"sv": "Över budget i {area} t.o.m. {month} {year}", "en": "Over budget in {area} through {month} {year}"},
    "over_intro": {"sv": "{n} av {total} verksamheter har högre nettokostnad (eller lägre intäkter) än den periodiserade budgeten.",
                   "en": "{n} of {total} lines have a higher net cost (or less revenue) than the budget to date."},
    "over_none": {"sv": "Ingen verksamhet ligger över den periodiserade budgeten. ✔",
                  "en": "No line is above the budget to date. ✔"},
    "over_more": {"sv": "… och {n} till.", "en": "… and {n} more."},
    "over_no_utfall": {"sv": "Inget utfall registrerat än för {year}, så ingen verksamhet kan ligga över budget.",
                       "en": "No actuals recorded yet for {year}, so no line can be over budget."},
    "choice_title": {"sv": "Vilken {name} menar du?", "en": "Which {name} do you mean?"},
    "choice_intro": {"sv": "{name} finns i {n} verksamhetsområden med var sin budget:",
                     "en": "{name} exists in {n} areas, each with its own budget:"},
    "choice_title_lines": {"sv": "Vilken verksamhet menar du?", "en": "Which line do you mean?"},
    "choice_intro_lines": {"sv": "”{name}” passar {n} verksamheter med var sin budget:",
                           "en": "“{name}” fits {n} lines, each with its own budget:"},
    "choice_button": {"sv": "{name} i {area}", "en": "{name} in {area}"},
    "enhet_title": {"sv": "Ingen budget per enhet", "en": "No budget per unit"},
    "enhet_text": {"sv": "Tavla följer internbudgeten per verksamhet och verksamhetsområde. {enhet} hör till {area}.",
                   "en": "Tavla follows the budget per line and area. {enhet} belongs to {area}."},
    "fallback_line": {"sv": "Budget {name} {year}: kvar {kvar}", "en": "Budget {name} {year}: left {kvar}"},
    "fallback_revenue": {"sv": "Budget {name} {year}: intäkter kvar att få {value}",
                         "en": "Budget {name} {year}: revenue still to come {value}"},
    "fallback_budget": {"sv": "Budget {name} {year}: {budget}", "en": "Budget {name} {year}: {budget}"},
    "unknown_title": {"sv": "Hittar inte i budgeten {year}:", "en": "Not found in the {year} budget:"},
    "unknown_hint": {"sv": "Skriv namnet på en verksamhet eller ett verksamhetsområde, t.ex. ”budget äldreomsorg” "
                           "eller ”budget Hälsa och omsorg”.",
                     "en": "Write the name of a line or an area, e.g. “budget elderly care” or “budget Hälsa och omsorg”."},
    "did_you_mean": {"sv": "Menade du något av detta?", "en": "Did you mean one of these?"},
    "month_shown": {"sv": "Visar läget efter {month}; senaste utfall är t.o.m. {latest}. Helårsprognosen gäller "
                          "läget nu: fråga utan månad för den.",
                    "en": "Shows the position after {month}; the latest actuals are through {latest}. The full-year "
                          "forecast is today's: ask without a month for it."},
    "month_not_yet": {"sv": "Utfall för {asked} finns inte än – visar t.o.m. {latest}.",
                      "en": "There are no actuals for {asked} yet – showing through {latest}."},
    "older_year": {"sv": "Det finns ingen budget för {asked} i Tavla – visar {shown}.",
                   "en": "There is no budget for {asked} in Tavla – showing {shown}."},
}


def _t(key: str, lang: str, **values: object) -> str:
    return pick(TEXTS, key, lang, **values)


def pick_text(key: str, lang: str, **values: object) -> str:
    """A text of this module (for handlers that put a note on a budget card)."""
    return _t(key, lang, **values)


# --- View models ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What every budget card says at the bottom: the date shown, and a note (e.g. another year shown)."""

    as_of: date
    pinned: bool
    note: str | None = None


@dataclass(frozen=True)
class LineView:
    line: LineFigures
    shown: Shown
    undo: int | None = None  # a prognosis just entered: an "Ångra" for it
    said: str | None = None  # what was just done (a prognosis undone), above the figures


@dataclass(frozen=True)
class AreaView:
    area: AreaFigures
    detail: bool
    shown: Shown


@dataclass(frozen=True)
class TotalView:
    year: int
    areas: tuple[AreaFigures, ...]
    totals: Totals
    shown: Shown


@dataclass(frozen=True)
class OverView:
    year: int
    lines: tuple[LineFigures, ...]  # over budget, the largest underskott first
    considered: int  # lines looked at
    through_month: int | None
    area_name: str | None
    area_id: int | None
    is_demo: bool
    shown: Shown


@dataclass(frozen=True)
class ChoiceView:
    name: str
    options: tuple[LineFigures, ...]
    shown: Shown


# --- Formatting -------------------------------------------------------------------------------------------


def _money(value: Decimal, lang: str) -> str:
    return tkr(value, lang)


def _signed(value: Decimal, lang: str, *, unit: bool = True) -> str:
    text = tkr(value, lang) if unit else number(value, 1, lang)
    return ("+" + text) if value.quantize(Decimal("0.1")) > 0 else text


def _pct(value: Decimal, lang: str) -> str:
    return percent(value, 0, lang)


def _month(m: int, lang: str) -> str:
    return month_name(m, lang)


def _status_word(status: str, lang: str) -> str:
    return _t(f"word_{status}", lang)


def _status_line(figures: LineFigures | Totals, year: int, lang: str) -> core.Element:
    status = figures.status
    dev = figures.avvikelse
    if status == STATUS_NO_UTFALL:
        return core.text(_t("no_utfall", lang, year=year), weight="Bolder", spacing="Small")
    value = _money(abs(dev or Decimal(0)), lang)
    if status == STATUS_ON_BUDGET:
        key, color = "status_enligt_budget", "Good"
    elif status == STATUS_SURPLUS:
        key, color = ("status_overskott_rev" if figures.is_revenue else "status_overskott"), "Good"
    else:
        key, color = ("status_underskott_rev" if figures.is_revenue else "status_underskott"), "Attention"
    return core.text(_t(key, lang, value=value), weight="Bolder", color=color, spacing="Small")


def _method_text(figures: LineFigures | Totals, lang: str) -> str:
    if isinstance(figures, Totals):
        if figures.single_method:
            return _t(f"method_{figures.single_method}", lang)
        parts = [_t(f"method_count_{m}", lang, n=n) for m, n in figures.methods]
        return _t("methods_sum", lang, methods=", ".join(parts))
    return _t(f"method_{figures.method}", lang) if figures.method else ""


def _periodisation(figures: LineFigures | Totals) -> str:
    """How the budget to date was spread over the months: ``linear``, ``profile`` or, for a sum of lines of
    both kinds, ``mixed``."""
    if isinstance(figures, LineFigures):
        return "profile" if figures.has_profile else "linear"
    if figures.profiled == 0:
        return "linear"
    return "profile" if figures.profiled == figures.lines else "mixed"


def _facts(figures: LineFigures | Totals, lang: str) -> list[tuple[str, str]]:
    """The figures as (label, value) pairs, in the order the domain reads them."""
    out: list[tuple[str, str]] = []
    spread = _periodisation(figures)
    revenue = figures.is_revenue
    out.append((_t("annual_revenue" if revenue else "annual_cost", lang), _money(figures.net_cost, lang)))
    if figures.has_utfall and figures.through_month is not None and figures.utfall is not None:
        month = _month(figures.through_month, lang)
        out.append((_t("utfall_through", lang, month=month), _money(figures.utfall, lang)))
        kvar = figures.kvar or Decimal(0)
        if revenue:
            to_come = figures.revenue_to_come or Decimal(0)
            shown = _money(to_come, lang)
            out.append((_t("revenue_to_come", lang), shown if to_come >= 0 else _t("revenue_beyond", lang, value=shown)))
        else:
            shown = _money(kvar, lang)
            out.append((_t("kvar", lang), _t("kvar_over", lang, value=shown) if kvar < 0 and not figures.is_zero else shown))
        # whole percent, rounded once from the exact share (33,47 % is 33 %, not 33,5 → 34 %)
        consumption, share = figures.consumption_exact, figures.year_share_exact
        label = _t("revenue_share" if revenue else "consumption", lang)
        if consumption is None or share is None:
            out.append((label, _t("consumption_zero", lang)))
        else:
            out.append((label, _t(f"consumption_{spread}", lang, pct=_pct(consumption, lang), share=_pct(share, lang),
                                  m=figures.through_month)))
        if figures.periodised is not None:
            counts = ({"n": figures.profiled, "total": figures.lines} if isinstance(figures, Totals) else {})
            out.append((_t("periodised", lang, month=month),
                        _t(f"periodised_{spread}", lang, value=_money(figures.periodised, lang), **counts)))
        if figures.avvikelse is not None:
            dev = figures.avvikelse
            word = _t("surplus" if dev > 0 else "deficit", lang) if dev.quantize(Decimal("0.1")) != 0 else ""
            out.append((_t("avvikelse", lang), _signed(dev, lang) + (f" ({word})" if word else "")))
    if figures.prognosis is not None:
        out.append((_t("prognosis", lang), f"{_money(figures.prognosis, lang)} ({_method_text(figures, lang)})"))
        pdev = figures.prognosis_avvikelse
        if pdev is not None:
            word = _t("surplus" if pdev > 0 else "deficit", lang) if pdev.quantize(Decimal("0.1")) != 0 else ""
            out.append((_t("prognosis_vs_budget", lang), _signed(pdev, lang) + (f" ({word})" if word else "")))
    return out


def _footer(shown: Shown, lang: str, *, revenue: bool = False, signs: bool = True) -> list[core.Element]:
    out = [core.text(_t("sign_note", lang), size="Small", subtle=True, spacing="Medium")] if signs else []
    if revenue:
        out.append(core.text(_t("revenue_note", lang), size="Small", subtle=True, spacing="None"))
    if shown.note:
        out.append(core.text(shown.note, size="Small", subtle=True, spacing="Small"))
    out.append(as_of_line(shown.as_of, shown.pinned, lang))
    return out


def _subtitle(parts: list[str]) -> core.Element:
    return core.text(" · ".join(p for p in parts if p), subtle=True, spacing="None")


def _through(through_month: int | None, year: int, lang: str) -> str:
    """"utfall t.o.m. april 2018" for the subtitle ('' before any utfall: the status line says so)."""
    if through_month is None:
        return ""
    return _t("through", lang, month=_month(through_month, lang), year=year)


def show_data(kind: str, year: int, ident: int | None = None, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": kind, "year": year}
    if ident is not None:
        data["id"] = ident
    if detail:
        data["detail"] = True
    return data


# --- Tables (the 1.5 ``Table``: 31 lines of Familj och utbildning stay far below 28 KB) -----------------------

TABLE_WIDTHS = (3, 2, 2, 1, 2)


def _cell(value: str, *, weight: str | None = None, color: str | None = None, wrap: bool = False,
          action: core.Element | None = None) -> core.Element:
    block: core.Element = {"type": "TextBlock", "text": value}
    if wrap:
        block["wrap"] = True
    if weight:
        block["weight"] = weight
    if color:
        block["color"] = color
    cell: core.Element = {"type": "TableCell", "items": [block]}
    if action:
        cell["selectAction"] = action
    return cell


def _table(header: list[str], rows: list[core.Element]) -> core.Element:
    columns = [{"type": "TableColumnDefinition", "width": w} for w in TABLE_WIDTHS[: len(header)]]
    for column in columns[1:]:
        column["horizontalCellContentAlignment"] = "Right"
    head = {"type": "TableRow", "cells": [_cell(x, weight="Bolder", wrap=True) for x in header]}
    return {"type": "Table", "columns": columns, "rows": [head, *rows], "firstRowAsHeader": True,
            "showGridLines": False, "spacing": "Small"}


def _dev_text(dev: Decimal | None, status: str, lang: str) -> tuple[str, str | None]:
    if dev is None:
        return "–", None
    color = "Attention" if status == STATUS_DEFICIT else "Good" if status == STATUS_SURPLUS else None
    return f"{_signed(dev, lang, unit=False)} {_status_word(status, lang)}", color


def _figure_row(name: str, figures: LineFigures | Totals, lang: str, *, action: core.Element | None = None,
                bold: bool = False) -> core.Element:
    weight = "Bolder" if bold else None
    pct = figures.consumption_exact
    dev, color = _dev_text(figures.avvikelse, figures.status, lang)
    return {"type": "TableRow", "cells": [
        _cell(name, weight=weight, wrap=True, action=action),
        _cell(number(figures.net_cost, 1, lang), weight=weight),
        _cell(number(figures.utfall, 1, lang) if figures.utfall is not None else "–", weight=weight),
        _cell(_pct(pct, lang) if pct is not None else "–", weight=weight),
        _cell(dev, weight=weight, color=color, wrap=True),
    ]}


def _headers(first: str, lang: str) -> list[str]:
    return [_t(first, lang), _t("col_budget", lang), _t("col_utfall", lang), _t("col_pct", lang), _t("col_dev", lang)]


def _open(kind: str, year: int, ident: int | None = None, *, detail: bool = False) -> core.Element:
    return {"type": "Action.Execute", "verb": SHOW_VERB, "data": show_data(kind, year, ident, detail=detail)}


# --- Cards ------------------------------------------------------------------------------------------------------


def line_card(view: LineView, lang: str) -> core.Element:
    """One budget line: årsbudget, utfall t.o.m., kvar, förbrukningsgrad, avvikelse, helårsprognos."""
    line = view.line
    body: list[core.Element] = [core.container([core.user_text(view.said, limit=500)], style="good")] if view.said else []
    body += [
        core.heading(line.verksamhet),
        _subtitle([line.area_name, _t("budget_year", lang, year=line.year), _through(line.through_month, line.year, lang)]),
    ]
    if line.is_demo:
        body.append(demo_badge(lang))
    body.append(_status_line(line, line.year, lang))
    body.append(core.facts(_facts(line, lang)))
    if line.method == METHOD_MANUAL and line.prognosis_at is not None:
        when = day(_local(line.prognosis_at), lang)
        who = _t("manual_by", lang, who=line.prognosis_by, date=when) if line.prognosis_by else _t("manual_someone", lang, date=when)
        body.append(core.text(who + (":" if line.prognosis_note else "."), size="Small", spacing="Small"))
        if line.prognosis_note:
            body.append(core.user_text(line.prognosis_note, limit=500, subtle=True, italic=True))
    body += _footer(view.shown, lang, revenue=line.is_revenue, signs=line.has_utfall or line.prognosis is not None)
    actions = [ask_button(_t("btn_area", lang, area=line.area_name), f"budget {line.area_name} {line.year}"),
               ask_button(_t("btn_over", lang), f"vilka verksamheter ligger över budget {line.year}")]
    if view.undo is not None:
        actions.insert(0, core.execute(_t("btn_undo", lang), UNDO_VERB, {"prognosis": view.undo}))
    fallback = (_t("fallback_revenue", lang, name=line.verksamhet, year=line.year,
                   value=_money(line.revenue_to_come or Decimal(0), lang)) if line.kvar is not None and line.is_revenue else
                _t("fallback_line", lang, name=line.verksamhet, year=line.year, kvar=_money(line.kvar, lang))
                if line.kvar is not None else
                _t("fallback_budget", lang, name=line.verksamhet, year=line.year, budget=_money(line.net_cost, lang)))
    return core.card(body, actions, fallback_text=fallback)


def area_card(view: AreaView, lang: str) -> core.Element:
    """A verksamhetsområde: totals, then its largest deviations (or, with ``detail``, every line)."""
    area, year = view.area, view.area.lines[0].year if view.area.lines else 0
    totals = area.totals
    body: list[core.Element] = [
        core.heading(area.name),
        _subtitle([_t("budget_year", lang, year=year), _through(totals.through_month, year, lang)]),
    ]
    if totals.is_demo:
        body.append(demo_badge(lang))
    body.append(_status_line(totals, year, lang))
    body.append(core.facts(_facts(totals, lang)))
    if view.detail:
        shown_lines = list(area.lines)
        title = _t("all_lines", lang)
    else:
        shown_lines = largest_deviations(area.lines, DEVIATIONS_SHOWN) if totals.has_utfall else []
        title = _t("largest", lang)
    if shown_lines:
        body.append(core.text(title, weight="Bolder", spacing="Medium", separator=True))
        rows = [_figure_row(line.verksamhet, line, lang, action=_open("line", year, line.line_id)) for line in shown_lines]
        if view.detail:
            rows.append(_figure_row(_t("total_row", lang), totals, lang, bold=True))
        body.append(_table(_headers("col_name", lang), rows))
    body += _footer(view.shown, lang, revenue=any(line.is_revenue for line in shown_lines), signs=totals.has_utfall)
    actions = []
    if not view.detail:
        actions.append(core.execute(_t("btn_detail", lang), SHOW_VERB, show_data("area", year, area.area_id, detail=True)))
    actions.append(core.execute(_t("btn_over_area", lang, area=area.name), SHOW_VERB, show_data("over", year, area.area_id)))
    actions.append(core.execute(_t("btn_total", lang), SHOW_VERB, show_data("total", year)))
    return core.card(body, actions, fallback_text=_t("fallback_budget", lang, name=area.name, year=year,
                                                     budget=_money(totals.net_cost, lang)))


def total_card(view: TotalView, lang: str) -> core.Element:
    """The whole förvaltning: totals and the nine verksamhetsområden."""
    totals, year = view.totals, view.year
    body: list[core.Element] = [
        core.heading(_t("forvaltning", lang)),
        _subtitle([_t("budget_year", lang, year=year), _through(totals.through_month, year, lang)]),
    ]
    if totals.is_demo:
        body.append(demo_badge(lang))
    body.append(_status_line(totals, year, lang))
    body.append(core.facts(_facts(totals, lang)))
    body.append(core.text(_t("areas", lang), weight="Bolder", spacing="Medium", separator=True))
    rows = [_figure_row(area.name, area.totals, lang, action=_open("area", year, area.area_id)) for area in view.areas]
    rows.append(_figure_row(_t("total_row", lang), totals, lang, bold=True))
    body.append(_table(_headers("col_area", lang), rows))
    body += _footer(view.shown, lang, signs=totals.has_utfall)
    actions = [core.execute(_t("btn_over", lang), SHOW_VERB, show_data("over", year))]
    return core.card(body, actions, fallback_text=_t("fallback_budget", lang, name=_t("forvaltning", lang), year=year,
                                                     budget=_money(totals.net_cost, lang)))


def over_card(view: OverView, lang: str) -> core.Element:
    """Verksamheter whose utfall is above the periodised budget, the largest underskott first."""
    year = view.year
    if view.through_month is None:
        body: list[core.Element] = [core.heading(_t("btn_over", lang).rstrip("?")),
                                    core.text(_t("over_no_utfall", lang, year=year))]
        body += _footer(view.shown, lang, signs=False)
        return core.card(body)
    month = _month(view.through_month, lang)
    title = (_t("over_title_area", lang, area=view.area_name, month=month, year=year) if view.area_name
             else _t("over_title", lang, month=month, year=year))
    body = [core.heading(title)]
    if view.is_demo:
        body.append(demo_badge(lang))
    if not view.lines:
        body.append(core.text(_t("over_none", lang), weight="Bolder", color="Good"))
    else:
        body.append(core.text(_t("over_intro", lang, n=len(view.lines), total=view.considered), spacing="Small"))
        rows = [_figure_row(line.verksamhet if view.area_name else f"{line.verksamhet} ({line.area_name})", line, lang,
                            action=_open("line", year, line.line_id)) for line in view.lines[:OVER_SHOWN]]
        body.append(_table(_headers("col_name", lang), rows))
        if len(view.lines) > OVER_SHOWN:
            body.append(core.text(_t("over_more", lang, n=len(view.lines) - OVER_SHOWN), size="Small", subtle=True))
    body += _footer(view.shown, lang, revenue=any(line.is_revenue for line in view.lines[:OVER_SHOWN]))
    actions = []
    if view.area_id is not None:
        actions.append(core.execute(_t("btn_area", lang, area=view.area_name), SHOW_VERB, show_data("area", year, view.area_id)))
    actions.append(core.execute(_t("btn_total", lang), SHOW_VERB, show_data("total", year)))
    return core.card(body, actions)


def choice_card(view: ChoiceView, lang: str) -> core.Element:
    """A verksamhet name that exists in several areas: both side by side, and a button for each."""
    # one name in several areas ("Gymnasieskola"), or several names that fit what was asked ("grundskola":
    # Grundskola and Grundsärskola, both in Familj och utbildning)
    one_name = len({o.verksamhet for o in view.options}) == 1
    body: list[core.Element] = [
        core.heading(_t("choice_title", lang, name=view.name) if one_name else _t("choice_title_lines", lang)),
        core.text(_t("choice_intro" if one_name else "choice_intro_lines", lang, name=view.name, n=len(view.options)),
                  spacing="Small"),
    ]
    if any(o.is_demo for o in view.options):
        body.append(demo_badge(lang))
    cols = []
    for option in view.options:
        items: list[core.Element] = [core.text(option.area_name if one_name else option.verksamhet, weight="Bolder")]
        if not one_name:
            items.append(core.text(option.area_name, size="Small", subtle=True, spacing="None"))
        pairs = [(_t("annual_revenue" if option.is_revenue else "annual_cost", lang), _money(option.net_cost, lang))]
        if option.has_utfall and option.through_month is not None and option.utfall is not None:
            pairs.append((_t("utfall_through", lang, month=_month(option.through_month, lang)), _money(option.utfall, lang)))
            label = _t("revenue_to_come" if option.is_revenue else "kvar", lang)
            value = option.revenue_to_come if option.is_revenue else option.kvar
            pairs.append((label, _money(value or Decimal(0), lang)))
        else:
            pairs.append(("", _t("no_utfall_short", lang)))
        for label, value in pairs:
            if label:
                items.append(core.text(label, size="Small", subtle=True, spacing="Small"))
            items.append(core.text(value, spacing="None"))
        cols.append(core.column(items, "stretch"))
    body.append(core.columns(*cols, spacing="Medium"))
    body += _footer(view.shown, lang)
    actions = [core.execute(_t("choice_button", lang, name=o.verksamhet, area=o.area_name), SHOW_VERB,
                            show_data("line", o.year, o.line_id)) for o in view.options[:5]]
    return core.card(body, actions)


def unknown_card(query: str, suggestions: list[str], year: int, shown: Shown, lang: str) -> core.Element:
    """A budget question naming something that is neither a budget line nor an area."""
    body: list[core.Element] = [core.text(_t("unknown_title", lang, year=year), weight="Bolder"),
                                core.user_text(query, limit=200, italic=True),
                                core.text(_t("did_you_mean" if suggestions else "unknown_hint", lang), spacing="Small")]
    body += _footer(shown, lang, signs=False)
    actions = [ask_button(_t("btn_area", lang, area=name), f"budget {name} {year}") for name in suggestions[:4]]
    actions.append(core.execute(_t("btn_total", lang), SHOW_VERB, show_data("total", year)))
    return core.card(body, actions)


def enhet_card(enhet: str, area: str, area_id: int, year: int, line: LineFigures | None, shown: Shown,
               lang: str) -> core.Element:
    """An enhet was named: Tavla has no budget per enhet; offer its area (and a line whose name it contains)."""
    body: list[core.Element] = [core.heading(_t("enhet_title", lang)),
                                core.text(_t("enhet_text", lang, enhet=enhet, area=area))]
    body += _footer(shown, lang, signs=False)
    actions = [core.execute(_t("btn_area", lang, area=area), SHOW_VERB, show_data("area", year, area_id))]
    if line is not None:
        actions.append(core.execute(_t("choice_button", lang, name=line.verksamhet, area=line.area_name), SHOW_VERB,
                                    show_data("line", year, line.line_id)))
    return core.card(body, actions)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)
