"""'Spara' on the confirmation card: check everything again (card data is user input), then store the value.

Stores with who/when/source through ``storage.indicators.record_value`` (idempotent: pressing twice changes
nothing the second time) and replaces the card with the result and an "Ångra" button.
"""

from __future__ import annotations

from decimal import Decimal

from bot.handlers.indicator_record import DEFAULT_SOURCE, check_value
from bot.handlers.indicator_views import as_id, check_may_record, require_indicator, require_unit
from bot.turn import Reply, Turn
from cards.indicators import SavedView, saved_card
from followup.errors import UserError
from followup.indicators import parse_period, period_from_code
from storage import indicators as repo
from storage.importing import clean_cell, parse_number


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise UserError(f"Ogiltigt {what}.", f"Invalid {what}.")
    return clean_cell(value)


async def handle(turn: Turn) -> Reply:
    indicator_id = as_id(turn.data.get("indicator_id"), "indikator-id")
    org_unit_id = as_id(turn.data.get("org_unit_id"), "enhets-id")
    raw_value = _text(turn.data.get("value"), "värde")[:40]
    raw_period = _text(turn.data.get("period"), "period")[:40]
    source = _text(turn.data.get("source"), "källa")[:200] or DEFAULT_SOURCE
    if not raw_value:
        raise UserError("Skriv ett värde innan du sparar.", "Write a value before saving.")
    try:
        value = parse_number(raw_value)
    except ValueError as exc:
        raise UserError(f"Värdet går inte att läsa: {exc}.", f"The value cannot be read: {exc}.") from exc
    period = parse_period(raw_period)
    if period is None:
        try:
            period = period_from_code(raw_period)
        except ValueError:
            raise UserError(f"”{raw_period}” är ingen period – skriv t.ex. mars 2018, 2018 eller T1 2018.",
                            f"“{raw_period}” is not a period – write e.g. March 2018, 2018 or T1 2018.") from None
    today = turn.clock.today()
    if period.start > today:
        raise UserError(f"{period.label('sv')} har inte börjat än.", f"{period.label('en')} has not begun yet.")
    at = turn.clock.utcnow()
    async with turn.store.session() as session:
        info = await require_indicator(session, indicator_id)
        unit = await require_unit(session, org_unit_id)
        await check_may_record(turn, session, unit.id)
        check_value(value, raw_value.endswith("%"), info.unit, info.code, info.short_name, turn.lang, info.targets)
        assert turn.caller.person_id is not None  # check_may_record refuses unknown callers
        result = await repo.record_value(
            session, indicator_id=info.id, org_unit_id=unit.id, period=period, value=value, source=source,
            person_id=turn.caller.person_id, via="chat", at=at)
    previous = None
    if result.outcome == "updated" and result.previous is not None:
        previous = Decimal(result.previous["value"])
    card = saved_card(SavedView(
        indicator_id=info.id, short_name=info.short_name, unit=info.unit, decimals=info.decimals, org_unit_id=unit.id,
        org_unit_name=unit.name, is_kommun=unit.is_root, period=period, value=value, outcome=result.outcome,
        previous=previous, log_id=result.log_id, who=turn.caller.name, at=at), turn.lang)
    return Reply.replacing(card) if turn.is_invoke else Reply.card(card)
