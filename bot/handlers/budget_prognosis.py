"""'prognos äldreomsorg 152 000 tkr: fler platser från hösten' → store a manual helårsprognos (ekonom or
controller on the line's area or above it), recompute the stored aggregates, answer with the updated card.

Prognoses are append-only (the newest wins; earlier ones stay so prognossäkerhet can be followed up); the
card's Ångra, or "ångra" typed, withdraws one entered by mistake the same day (``budget_prognosis_undo``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.handlers import budget_common as common
from bot.nlu.rules_budget import AMBIGUOUS, readings
from bot.turn import Message, Reply, Turn
from cards import budget as cards
from cards.format import number, tkr
from followup.budget import METHOD_PROFILE, METHOD_TREND, prognosis_doubt, q_tkr
from followup.errors import UserError
from storage import budget as repo

UNITS = {"tkr": Decimal(1), "mkr": Decimal(1000), "kr": Decimal("0.001")}
LIMIT_TKR = Decimal(10) ** 9  # a prognosis beyond this is a typo, not a kommun's verksamhet
NOTE_LIMIT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _amount(slots: dict[str, object]) -> Decimal:
    if slots.get("amount") == AMBIGUOUS:
        raise UserError(*_unclear(slots))
    try:
        value = Decimal(str(slots.get("amount"))) * UNITS[str(slots.get("unit", "tkr"))]
    except (InvalidOperation, KeyError):
        raise UserError("Jag kunde inte läsa beloppet. Skriv t.ex. ”prognos äldreomsorg 152 000 tkr”.",
                        "I could not read the amount. Write e.g. “forecast elderly care 152 000 tkr”.") from None
    if not value.is_finite() or abs(value) >= LIMIT_TKR:
        raise UserError("Beloppet är orimligt stort – skriv prognosen i tkr, t.ex. ”152 000 tkr”.",
                        "The amount is implausibly large – write the forecast in tkr, e.g. “152 000 tkr”.")
    return q_tkr(value)


def _unclear(slots: dict[str, object]) -> tuple[str, str]:
    """Why an amount that reads two ways, several amounts, or one that is no number was not saved — with the
    user's own amount and budget line in the example (Swedish, English)."""
    written = [str(w) for w in slots.get("written") or []]  # type: ignore[union-attr]
    unit = str(slots.get("unit") or "tkr")
    line = " / ".join(str(label) for label in slots.get("labels") or []).lower() or "äldreomsorg"  # type: ignore[union-attr]
    two = readings(written[0]) if len(written) == 1 else None
    if two is not None:
        thousands, decimals = Decimal(two[0]), Decimal(two[1])
        sv_t, sv_d = f"{number(thousands)} {unit}", f"{number(decimals, 1)} {unit}"
        en_t, en_d = f"{number(thousands, 0, 'en')} {unit}", f"{number(decimals, 1, 'en')} {unit}"
        return (f"Jag kan inte läsa beloppet säkert – ”{written[0]}” kan vara {sv_t} eller {sv_d}. Skriv tusental "
                f"med mellanslag, t.ex. ”prognos {line} {sv_t}”, eller decimalen med en siffra, ”{sv_d}”. Prognosen "
                "sparades inte.",
                f"I cannot read the amount for sure – “{written[0]}” could be {en_t} or {en_d}. Write thousands with "
                f"a space, e.g. “forecast {line} {number(thousands)} {unit}”, or one decimal, “{en_d}”. The forecast "
                "was not saved.")
    if len(written) > 1:
        return (f"Jag hittade flera belopp ({', '.join(f'”{w}”' for w in written)}) – skriv ett enda belopp, t.ex. "
                f"”prognos {line} 4 300 tkr”, och annat efter ett kolon. Prognosen sparades inte.",
                f"I found several amounts ({', '.join(f'“{w}”' for w in written)}) – write one amount, e.g. “forecast "
                f"{line} 4 300 tkr”, and anything else after a colon. The forecast was not saved.")
    return (f"Jag kan inte läsa {f'”{written[0]}”' if written else 'beloppet'} som ett belopp. Skriv t.ex. ”prognos "
            f"{line} 4 300 tkr”. Prognosen sparades inte.",
            f"I cannot read {f'“{written[0]}”' if written else 'the amount'} as an amount. Write e.g. “forecast {line} "
            "4 300 tkr”. The forecast was not saved.")


def _note(value: object) -> str | None:
    """The note as stored: NFC, control characters removed (PostgreSQL refuses NUL), trimmed; too long → refused."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if len(text) > NOTE_LIMIT:
        raise UserError(f"Kommentaren är för lång ({len(text)} tecken, högst {NOTE_LIMIT}). Korta den – prognosen "
                        "sparades inte.",
                        f"The comment is too long ({len(text)} characters, at most {NOTE_LIMIT}). Shorten it – the "
                        "forecast was not saved.")
    return text or None


def _doubt_texts(doubt: str, amount: Decimal, line: Any) -> tuple[str, str]:
    """Why the prognosis was not saved, and how to save it all the same (Swedish, English)."""
    name, budget = line.verksamhet, tkr(line.net_cost)
    sv = {"far_below": f"är under en tiondel av årsbudgeten för {name} ({budget})",
          "far_above": f"är mer än tio gånger årsbudgeten för {name} ({budget})",
          "sign": f"har motsatt tecken mot årsbudgeten för {name} ({budget}: "
                  + ("intäkter" if line.net_cost < 0 else "kostnader") + ")",
          "below_utfall": f"är lägre än utfallet hittills för {name} ({tkr(line.utfall)})"}[doubt]
    en = {"far_below": f"is under a tenth of the annual budget for {name} ({tkr(line.net_cost, 'en')})",
          "far_above": f"is more than ten times the annual budget for {name} ({tkr(line.net_cost, 'en')})",
          "sign": f"has the opposite sign of the annual budget for {name} ({tkr(line.net_cost, 'en')})",
          "below_utfall": f"is lower than the actuals so far for {name} ({tkr(line.utfall, 'en')})"}[doubt]
    example = f"prognos {name.lower()} {tkr(amount)} ändå"  # as the card writes it: the rule reads it back
    return (f"Prognosen {tkr(amount)} {sv} – stämmer beloppet? Den sparades inte. Skriv ”ändå” sist för att spara "
            f"den ändå, t.ex. ”{example}”.",
            f"The forecast {tkr(amount, 'en')} {en} – is the amount right? It was not saved. Add “anyway” at the end "
            "to save it all the same.")


async def handle(turn: Turn) -> Reply:
    slots = turn.slots
    amount = _amount(slots)
    note = _note(slots.get("note"))
    async with turn.store.session() as session:
        year = await common.choose_year(turn, session, slots)
        ids = await common.line_ids_for(turn, session, slots, year.year)
        figures = await repo.line_figures(session, year.year, line_ids=ids) if ids else []
        name = " / ".join(slots.get("labels") or []) or "Verksamheten"  # type: ignore[arg-type]
        if not figures:
            raise UserError(f"{name} finns inte i budgeten för {year.year}.", f"{name} is not in the budget for {year.year}.")
        if len(figures) > 1:
            areas = " eller ".join(f.area_name for f in figures)
            raise UserError(f"{figures[0].verksamhet} finns i flera verksamhetsområden ({areas}). Skriv området också, "
                            f"t.ex. ”prognos {figures[0].verksamhet.lower()} {figures[-1].area_name} {tkr(amount)}”.",
                            f"{figures[0].verksamhet} exists in several areas ({areas}): name the area too.")
        line = figures[0]
        await common.require_prognosis_role(turn, session, line)
        doubt = None if slots.get("anyway") else prognosis_doubt(amount, line.net_cost, line.utfall)
        if doubt is not None:
            raise UserError(*_doubt_texts(doubt, amount, line))
        before = line.prognosis
        entered = await repo.add_prognosis(session, line_id=line.line_id, year=year.year, amount=amount,
                                           note=note, person_id=turn.caller.person_id, via="chat",
                                           at=turn.clock.utcnow())
        await repo.recompute_status(session, year.year)
        updated = (await repo.line_figures(session, year.year, line_ids=[line.line_id]))[0]
    # what it was: an ekonom's earlier prognosis, or Tavla's own estimate from the utfall (said so)
    estimated = line.method in (METHOD_TREND, METHOD_PROFILE)
    if turn.lang == "en":
        was = (f" (was {tkr(before, 'en')}{', estimated from the actuals' if estimated else ''})"
               if before is not None else "")
        text = f"The full-year forecast for {line.verksamhet} is now {tkr(amount, 'en')}{was}."
        if before is not None and not estimated and before == amount:  # entered again (a new note, a confirmation)
            text = f"The full-year forecast for {line.verksamhet} is still {tkr(amount, 'en')}: entered again."
    else:
        was = f" (var {tkr(before)}{', beräknat från utfallet' if estimated else ''})" if before is not None else ""
        text = f"Helårsprognosen för {line.verksamhet} är nu {tkr(amount)}{was}."
        if before is not None and not estimated and before == amount:  # it said "är nu X (var X)"
            text = f"Helårsprognosen för {line.verksamhet} är fortfarande {tkr(amount)}: inlagd igen."
    card = cards.line_card(cards.LineView(updated, common.shown(turn, year.note), undo=entered), turn.lang)
    return Reply(messages=[Message(text=text, card=card)])

