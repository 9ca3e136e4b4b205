"""Swedish (and English) number, money and date formatting for what a person reads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # thousands separator that never breaks a number over two lines
MINUS = "\u2212"

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
             "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


_QUANTS = tuple(Decimal(1).scaleb(-places) for places in range(7))  # 1, 0.1, 0.01, …


def number(value: Decimal | int | float, decimals: int = 0, lang: str = "sv") -> str:
    """``150853.2`` → ``150 853,2`` (sv) or ``150,853.2`` (en); half-up rounding, true minus sign."""
    quant = _QUANTS[decimals] if 0 <= decimals < len(_QUANTS) else Decimal(1).scaleb(-decimals)
    dec = (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(quant, rounding=ROUND_HALF_UP)
    text = format(abs(dec), ",f")  # "150,853.2": grouped by threes, never an exponent
    if lang == "sv":
        text = text.replace(",", NBSP).replace(".", ",")
    return MINUS + text if dec < 0 else text  # -0,0 (a small negative rounded away) is 0,0


def tkr(value: Decimal | int, lang: str = "sv") -> str:
    """Money in tkr with one decimal, as in the årsplan: ``150 853,2 tkr``."""
    return f"{number(value, 1, lang)}{NBSP}tkr"


def percent(value: Decimal | int | float, decimals: int = 1, lang: str = "sv") -> str:
    """``95,3 %`` (Swedish puts a space before %), ``95.3%`` in English."""
    return f"{number(value, decimals, lang)}{NBSP}%" if lang == "sv" else f"{number(value, decimals, lang)}%"


def month_name(month: int, lang: str = "sv") -> str:
    return (MONTHS_SV if lang == "sv" else MONTHS_EN)[month - 1]


def day(value: date | datetime, lang: str = "sv") -> str:
    """``15 maj 2018`` / ``15 May 2018``."""
    return f"{value.day} {month_name(value.month, lang)} {value.year}"


def day_span(start: date, end: date, lang: str = "sv") -> str:
    """``8–15 maj 2018``, ``30 april–6 maj 2018``, ``28 december 2017–4 januari 2018`` (one way of writing both
    ends: the digest wrote ``8/5–15 maj 2018``)."""
    if start.year != end.year:
        return f"{day(start, lang)}–{day(end, lang)}"
    if start.month != end.month:
        return f"{start.day} {month_name(start.month, lang)}–{day(end, lang)}"
    return f"{start.day}–{day(end, lang)}"


def short_day(value: date, lang: str = "sv") -> str:
    """``30/4`` (sv, as Swedes write deadlines) or ``30 Apr`` (en: staff of a Swedish kommun reading English read
    ``5/1`` as the 5th of January, an American as May 1st — the month's name leaves no doubt)."""
    return f"{value.day}/{value.month}" if lang == "sv" else f"{value.day}{NBSP}{MONTHS_EN[value.month - 1][:3]}"


def clock(value: datetime, lang: str = "sv") -> str:
    return f"kl. {value:%H:%M}" if lang == "sv" else f"{value:%H:%M}"
