"""Cards every feature uses: a short notice, an error, "didn't understand", the as-of footer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards import core
from cards.format import day
from cards.texts import t

ASK_VERB = "ask"  # a button that asks a question as if it were typed: data {"text": "..."}


def ask_button(title: str, question: str) -> core.Element:
    return core.execute(title, ASK_VERB, {"text": question})


def as_of_line(as_of: date, pinned: bool, lang: str) -> core.Element:
    key = "as_of_pinned" if pinned else "as_of"
    return core.text(t(key, lang, date=day(as_of, lang)), size="Small", subtle=True, spacing="Medium")


def demo_badge(lang: str) -> core.Element:
    """Every card that shows invented figures says so, in words."""
    return core.text("⚠ " + t("demo", lang), size="Small", color="Warning", weight="Bolder")


def notice(title: str, lines: list[str] | None = None, *, style: str = "default",
           actions: list[core.Element] | None = None) -> core.Element:
    """A short card with a heading and a few lines (``style``: default/good/attention/warning)."""
    body: list[core.Element] = [core.text(title, weight="Bolder", size="Medium")]
    body += [core.text(line) for line in lines or []]
    return core.card([core.container(body, style=style if style != "default" else None)], actions)


@dataclass(frozen=True)
class Suggestion:
    title: str
    question: str


def not_understood(text: str, suggestions: list[Suggestion], lang: str, examples: list[Suggestion] | None = None
                   ) -> core.Element:
    """"I didn't understand": the nearest things Tavla knows ("Menade du…"), or when nothing is near, a few
    ``examples`` to try."""
    body: list[core.Element] = [
        core.text(t("not_understood", lang), weight="Bolder"),
        core.user_text(text, limit=200, italic=True),
        core.text(t("did_you_mean" if suggestions else "try_these", lang), spacing="Small"),
    ]
    actions = [ask_button(s.title, s.question) for s in (suggestions or examples or [])[:5]]
    actions.append(ask_button(t("help_button", lang), "hjälp" if lang == "sv" else "help"))
    return core.card(body, actions)
