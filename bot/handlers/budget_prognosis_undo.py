"""'Ångra prognosen' on a prognosis just entered (or 'ångra' typed: ``undo_last``): withdraw it, so the
prognosis before it — an ekonom's earlier one, or Tavla's estimate from the utfall — is in force again.

Only the person who entered it, while still an ekonom or controller for the line's area, the same day, and
while it is the line's newest prognosis (``storage.budget.withdraw_prognosis``); the year's aggregates are
recomputed in the same transaction. The card says what the helårsprognos is now.
"""

from __future__ import annotations

from decimal import Decimal

from bot.card_data import card_int
from bot.handlers import budget_common as common
from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import budget as cards
from cards.format import day, tkr
from followup.budget import METHOD_MANUAL, METHOD_PROFILE, METHOD_TREND, LineFigures
from followup.clock import STOCKHOLM
from followup.errors import UserError
from storage import budget as repo


async def handle(turn: Turn) -> Reply:
    prognosis_id = card_int(turn.data.get("prognosis"))
    if prognosis_id is None:
        raise UserError("Ogiltigt prognos-id i knappen.", "Invalid forecast id in the button.")
    person_id = require_known(turn)
    async with turn.store.session() as session:
        withdrawn = await repo.withdraw_prognosis(session, prognosis_id, person_id=person_id, at=turn.clock.utcnow())
        await repo.recompute_status(session, withdrawn.year)
        (line,) = await repo.line_figures(session, withdrawn.year, line_ids=[withdrawn.line_id])
        await common.require_prognosis_role(turn, session, line)  # refused: the transaction is rolled back
    card = cards.line_card(cards.LineView(line, common.shown(turn), said=_said(withdrawn.amount, line, turn)),
                           turn.lang)
    return Reply.replacing(card) if turn.is_invoke else Reply.card(card)


def _said(amount: Decimal, line: LineFigures, turn: Turn) -> str:
    """'Prognosen 152 000,0 tkr för Äldreomsorg är ångrad. Helårsprognosen är nu …' and where the one now comes
    from."""
    en = turn.lang == "en"
    if line.prognosis is None:
        now = (" There is no full-year forecast now (no actuals yet)." if en else
               " Nu finns ingen helårsprognos (inget utfall än).")
    elif line.method == METHOD_MANUAL:
        when = day(line.prognosis_at.astimezone(STOCKHOLM), turn.lang) if line.prognosis_at else ""
        who = line.prognosis_by or ("someone" if en else "någon")
        if line.prognosis == amount:  # entered twice: the one before had the same amount
            now = (f" The full-year forecast is still {tkr(amount, 'en')}: the one entered before, by {who} on "
                   f"{when}." if en else
                   f" Helårsprognosen är fortfarande {tkr(amount)}: den som lades in före, av {who} {when}.")
        else:
            now = (f" The full-year forecast is now {tkr(line.prognosis, 'en')}, entered by {who} on {when}." if en
                   else f" Helårsprognosen är nu {tkr(line.prognosis)}, inlagd av {who} {when}.")
    else:
        how = {METHOD_TREND: ("estimated from the actuals", "beräknad från utfallet"),
               METHOD_PROFILE: ("estimated from the actuals and the monthly profile",
                                "beräknad från utfallet och månadsprofilen")}.get(line.method or "", ("", ""))
        now = (f" The full-year forecast is now {tkr(line.prognosis, 'en')}, {how[0]}." if en else
               f" Helårsprognosen är nu {tkr(line.prognosis)}, {how[1]}.")
    if en:
        return f"The forecast {tkr(amount, 'en')} for {line.verksamhet} is undone.{now}"
    return f"Prognosen {tkr(amount)} för {line.verksamhet} är ångrad.{now}"
