"""'frisknärvaro 94,2 % mars 2018', 'HME 78 2018': check who asks, then a confirmation card (nothing stored yet).

Only people with the role hr, controller or admin on the value's unit (or above it) get the card; others a
polite refusal naming who can. The card's inputs can be corrected before "Spara"
(``indicator_record_confirm``), which checks everything again.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from bot.handlers.indicator_views import check_may_record, measured, require_indicator, require_unit
from bot.turn import Reply, Turn
from cards.format import number
from cards.indicators import RecordView, record_card, record_choice_card
from followup.errors import UserError
from followup.indicators import (
    MIN_GROUP_SIZE,
    Target,
    allows_negative,
    default_period,
    frisknarvaro_from_sick_leave,
    grain_of,
    is_health_data,
    latest_month,
    period_from_code,
    value_doubt,
    value_problem,
    written_as_fraction,
)
from storage import indicators as repo

DEFAULT_SOURCE = "Inmatat i Tavla"


def check_value(value: Decimal, percent_sign: bool, unit: str, code: str, short_name: str, lang: str,
                targets: Iterable[Target] = ()) -> None:
    """Raise a ``UserError`` saying why ``value`` cannot be a value of this indicator."""
    shown = number(value, 3, "sv").rstrip("0").rstrip(",")
    if written_as_fraction(value, unit, targets):
        meant = number(value * 100, 1, "sv") + (" %" if unit == "%" else "")
        meant_en = number(value * 100, 1, "en") + ("%" if unit == "%" else "")
        raise UserError(f"{shown} ser ut som en andel skriven i decimalform – menade du {meant}? Skriv värdet som "
                        f"{short_name} mäts, t.ex. ”{short_name.lower()} {meant}”. Inget sparades.",
                        f"{number(value, 3, 'en').rstrip('0').rstrip('.')} looks like a share written as a fraction – "
                        f"did you mean {meant_en}? Nothing was saved.")
    if percent_sign and unit != "%":
        raise UserError(f"{short_name} mäts i {unit}, inte i procent. Skriv värdet utan %.",
                        f"{short_name} is measured in {unit}, not in percent. Write the value without %.")
    problem = value_problem(value, unit, allow_negative=allows_negative(code, unit))
    if problem is not None:
        raise UserError(f"{shown} går inte som värde för {short_name}: {problem[0]}.",
                        f"{value} cannot be a value of {short_name}: {problem[1]}.")


async def handle(turn: Turn) -> Reply:
    slots = turn.slots
    ids = [i for i in slots.get("indicator_ids") or [] if isinstance(i, int)]
    if slots.get("problem") == "many_numbers":
        raise UserError("Skriv ett värde i taget, till exempel ”frisknärvaro 94,2 % mars 2018”.",
                        "Write one value at a time, for example “frisknärvaro 94.2 % March 2018”.")
    try:
        value = Decimal(str(slots.get("value")))
    except InvalidOperation as exc:
        raise UserError("Jag hittar inget värde i meddelandet.", "I can't find a value in the message.") from exc
    period = period_from_code(slots["period"]) if isinstance(slots.get("period"), str) else None
    today = turn.clock.today()
    month = slots.get("month")
    last_year = False
    if period is None and isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12:
        period = latest_month(month, today)  # "94,2 mars": the latest March that has begun
        last_year = period.start.year < today.year  # "96 % juni" in May: June last year, said on the card
    async with turn.store.session() as session:
        root = await repo.root_unit(session, today.year)
        unit_id = slots.get("org_unit_id") if isinstance(slots.get("org_unit_id"), int) else root.id
        unit = await require_unit(session, unit_id)
        await check_may_record(turn, session, unit.id)
        if len(ids) > 1:
            infos = await repo.indicators(session, ids)
            infos.sort(key=lambda i: ids.index(i.id))
            value_text = number(value, 3, "sv").rstrip("0").rstrip(",").replace("\u00a0", " ")
            tail = " ".join(x for x in (
                value_text + (" %" if slots.get("percent") else ""),
                period.label("sv") if period else "",
                "" if unit.is_root else unit.name) if x)
            return Reply.card(record_choice_card([(i.short_name, f"{i.short_name} {tail}") for i in infos], turn.lang))
        if not ids:
            raise UserError("Jag vet inte vilken indikator värdet gäller.", "I don't know which indicator it is for.")
        info = await require_indicator(session, ids[0])
        size = slots.get("group_size")
        if isinstance(size, int) and is_health_data(info.code) and size < MIN_GROUP_SIZE:
            raise UserError(f"{info.short_name} är hälsodata (GDPR art. 9): värden registreras bara för grupper med minst "
                            f"{MIN_GROUP_SIZE} personer, och underlaget här är {size}. Registrera värdet för en större "
                            "enhet i stället. Inget sparades.",
                            f"{info.short_name} is health data (GDPR art. 9): values are only recorded for groups of at "
                            f"least {MIN_GROUP_SIZE} people, and this one is {size}. Record it for a larger unit instead. "
                            "Nothing was saved.")
        check_value(value, bool(slots.get("percent")), info.unit, info.code, info.short_name, turn.lang,
                    () if slots.get("sick_leave") else info.targets)  # a sjukfrånvaro is its own scale
        sick_leave = None
        if slots.get("sick_leave") and info.code == "frisknarvaro" and info.unit == "%":
            sick_leave, value = value, frisknarvaro_from_sick_leave(value)  # Tavla's definition: 100 − sjukfrånvaro
        guessed = period is None
        earlier = await repo.values(session, [info.id], [unit.id])
        if period is None:
            grain = earlier[-1].period.grain if earlier else grain_of(info.frequency)
            period = default_period(grain, today)
        if period.start > today:
            raise UserError(f"{period.label('sv')} har inte börjat än – värden registreras för perioder som har börjat.",
                            f"{period.label('en')} has not begun yet.")
        existing = await repo.value_at(session, info.id, unit.id, period.code)
    source = slots.get("source") if isinstance(slots.get("source"), str) and slots.get("source") else DEFAULT_SOURCE
    view = RecordView(
        indicator_id=info.id, name=info.name, short_name=info.short_name, unit=info.unit, decimals=info.decimals,
        org_unit_id=unit.id, org_unit_name=unit.name, is_kommun=unit.is_root, period=period, value=value,
        source=source[:200], existing=measured(existing, today) if existing else None,
        health_data=is_health_data(info.code), period_guessed=guessed,
        sick_leave=sick_leave,
        far_from=measured(earlier[-1], today) if earlier and value_doubt(value, earlier[-1].value, info.unit) else None,
        last_year=last_year)
    return Reply.card(record_card(view, turn.lang))
