"""Integers from card data and invoke values: user input, whatever the card was built to send.

A JSON integer, a float with no fraction (some clients send ``3.0``) or a string of up to ten digits is a
number; a bool, ``NaN``, ``Infinity`` (Python's JSON reader accepts both), a fraction, other text or a number
out of range is not, and the caller answers with its own clear message.
"""

from __future__ import annotations

import re
from typing import Any

MAX_ID = 2**31 - 1  # an id column is a 32-bit integer on PostgreSQL
_DIGITS = re.compile(r"\s*([0-9]{1,10})\s*")


def card_int(value: Any, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``value`` as an int within ``minimum..maximum``, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None  # is_integer() is False for NaN and ±Infinity
    elif isinstance(value, str):
        match = _DIGITS.fullmatch(value)
        value = int(match.group(1)) if match else None
    if not isinstance(value, int) or not minimum <= value <= maximum:
        return None
    return value
