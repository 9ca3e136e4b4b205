"""The årshjul card: the year's planning and follow-up steps, month by month, past ones subdued and the next
one marked — or a month's steps, or the steps a "när …" question names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards import core
from cards.common import as_of_line, ask_button
from cards.format import month_name
from cards.texts import pick
from followup.arshjul import Wheel, WheelLine

TEXTS: dict[str, dict[str, str]] = {
    "title": {"sv": "Årshjulet", "en": "Annual cycle (årshjulet)"},
    "title_month": {"sv": "Årshjulet i {month}", "en": "Annual cycle in {month}"},
    "intro": {"sv": "Planeringens och uppföljningens steg över året, ur årsplanen.",
              "en": "The steps of planning and follow-up through the year, from the annual plan."},
    "next": {"sv": "nästa", "en": "next"},
    "done": {"sv": "passerat i år", "en": "passed this year"},
    "empty": {"sv": "Inga steg i årshjulet än. De läses in med årsplanen (”tavla seed”).",
              "en": "No steps in the annual cycle yet. They are loaded with the annual plan (“tavla seed”)."},
    "no_month": {"sv": "Inget steg i årshjulet i {month}.", "en": "No step of the annual cycle in {month}."},
    "following": {"sv": "Närmast därefter: {when} – {title}.", "en": "Next after that: {when} – {title}."},
    "no_match": {"sv": "Hittar inget steg i årshjulet om ”{query}” – här är hela året.",
                 "en": "No step of the annual cycle about “{query}” – here is the whole year."},
    "whole": {"sv": "Hela årshjulet", "en": "The whole cycle"},
    "whole_question": {"sv": "årshjulet", "en": "annual cycle"},
}


def _t(key: str, lang: str, **values: object) -> str:
    return pick(TEXTS, key, lang, **values)


@dataclass(frozen=True)
class WheelView:
    wheel: Wheel
    today: date
    pinned: bool


def when(line: WheelLine, lang: str) -> str:
    """"31 augusti" / "31 August", or "september" for a step of the whole month."""
    step = line.step
    return f"{step.day} {month_name(step.month, lang)}" if step.day else month_name(step.month, lang)


def _row(line: WheelLine, lang: str) -> core.Element:
    step = line.step
    mark = f" ← {_t('next', lang)}" if line.next else ""
    title = core.text(step.title + mark, weight="Bolder" if line.next else None, subtle=line.past, spacing="None")
    day = core.text(str(step.day) if step.day else "–", subtle=line.past, spacing="None")
    return core.columns(core.column([day], width="40px"), core.column([title]), spacing="Small")


def arshjul_card(view: WheelView, lang: str) -> core.Element:
    wheel = view.wheel
    month = wheel.month
    heading = _t("title_month", lang, month=month_name(month, lang)) if month and wheel.matched else _t("title", lang)
    body: list[core.Element] = [core.heading(heading)]
    if not wheel.lines:
        body.append(core.text(_t("empty", lang)))
    elif month is not None and not wheel.matched:
        body.append(core.text(_t("no_month", lang, month=month_name(month, lang)), weight="Bolder"))
        if wheel.following is not None:
            body.append(core.text(_t("following", lang, when=when(wheel.following, lang),
                                     title=wheel.following.step.title)))
    else:
        if wheel.query and not wheel.matched:
            body.append(core.text(_t("no_match", lang, query=core.bounded(wheel.query, 80))))
        elif not wheel.query and month is None:
            body.append(core.text(_t("intro", lang), subtle=True, spacing="None"))
        months = list(dict.fromkeys(line.step.month for line in wheel.lines))
        for shown in months:
            lines = [line for line in wheel.lines if line.step.month == shown]
            if len(months) > 1 or month is None:  # a month's own card has its name in the heading
                past = all(line.past for line in lines)
                label = month_name(shown, lang).capitalize() + (f" ({_t('done', lang)})" if past else "")
                body.append(core.text(label, weight="Bolder", spacing="Medium", separator=True, subtle=past))
            body += [_row(line, lang) for line in lines]
    body.append(as_of_line(view.today, view.pinned, lang))
    focused = month is not None or (wheel.query is not None and wheel.matched)
    actions = [ask_button(_t("whole", lang), _t("whole_question", lang))] if focused and wheel.lines else None
    return core.card(body, actions, fallback_text=heading)
