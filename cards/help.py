"""The welcome and help card: what one can ask, with examples from the real data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards import core
from cards.common import as_of_line, ask_button
from cards.texts import pick, t

TEXTS = {
    "welcome": {"sv": "Hej! Jag är Tavla", "en": "Hi! I'm Tavla"},
    "help": {"sv": "Det här kan du fråga Tavla", "en": "What you can ask Tavla"},
    "intro": {
        "sv": "Jag hjälper er att följa upp Göingemodellen här i Teams: resultatindikatorer, budget, "
              "handlingsplaner och tavelmöten. Skriv en fråga som du skulle säga den, eller tryck på en knapp.",
        "en": "I help you follow up Göingemodellen right here in Teams: result indicators, budget, action plans "
              "and board meetings. Write a question as you would say it, or press a button.",
    },
    "indicators": {"sv": "Indikatorer", "en": "Indicators"},
    "budget": {"sv": "Budget", "en": "Budget"},
    "plans": {"sv": "Handlingsplaner och tavelmöte", "en": "Action plans and board meetings"},
    "digest": {"sv": "Veckosammanfattning och årshjulet", "en": "Weekly digest and the annual cycle"},
    "admin": {"sv": "Roller och filer", "en": "Roles and files"},
    "admin_hint": {
        "sv": "Ekonomer, HR och chefer kan skicka en Excel- eller CSV-fil (utfall, budget, indikatorvärden, "
              "handlingsplaner, organisation, personer) här i en 1:1-chatt: Tavla visar först vad som läses in.",
        "en": "Finance, HR and managers can send an Excel or CSV file (actuals, budget, indicator values, action "
              "plans, organisation, people) in a 1:1 chat: Tavla first shows what would be imported.",
    },
    "examples_sv": {"sv": "", "en": "(The examples are in Swedish; most questions also work in English.)"},
    "channel_hint": {
        "sv": "I en kanal: skriv @Tavla före frågan.",
        "en": "In a channel: write @Tavla before your question.",
    },
}


@dataclass(frozen=True)
class HelpSection:
    key: str  # indicators / budget / plans / digest
    examples: tuple[str, ...]


@dataclass(frozen=True)
class HelpView:
    welcome: bool
    sections: tuple[HelpSection, ...]
    buttons: tuple[str, ...]  # questions offered as buttons
    as_of: date
    pinned: bool
    in_channel: bool = False
    channel_buttons: tuple[tuple[str, str], ...] = ()  # (title, question) offered in a channel: link, subscribe


def help_card(view: HelpView, lang: str) -> core.Element:
    title = pick(TEXTS, "welcome" if view.welcome else "help", lang)
    body: list[core.Element] = [core.heading(title), core.text(pick(TEXTS, "intro", lang), spacing="Small")]
    if lang == "en":
        body.append(core.text(pick(TEXTS, "examples_sv", lang), subtle=True, spacing="Small"))
    for section in view.sections:
        body.append(core.text(pick(TEXTS, section.key, lang), weight="Bolder", spacing="Medium"))
        body.append(core.text("\n".join(f"- ”{example}”" for example in section.examples), spacing="Small"))
        if section.key == "admin":
            body.append(core.text(pick(TEXTS, "admin_hint", lang), spacing="Small", subtle=True))
    if view.in_channel:
        body.append(core.text(pick(TEXTS, "channel_hint", lang), subtle=True, spacing="Medium"))
        if view.channel_buttons:
            body.append(core.action_set([ask_button(title, q) for title, q in view.channel_buttons]))
    body.append(core.text(t("sensitive", lang), size="Small", subtle=True, spacing="Medium"))
    body.append(as_of_line(view.as_of, view.pinned, lang))
    actions = [ask_button(q, q) for q in view.buttons[:5]]
    return core.card(body, actions)
