"""JSON that Tavla writes — activities to the Bot Connector, invoke responses, kept cards — with orjson where
it can, the standard library where it cannot.

A reply carries a card of 3–7 KB. The standard library takes ≈ 55 µs to write a 5 KB activity, orjson ≈ 4
(and reads a kept card back in ≈ 13 µs instead of ≈ 30): ≈ 0.1 ms of a status turn's ≈ 1 ms CPU
(``docs/benchmarks.md``, tenth session).

- ``dumps`` writes compact UTF-8 with the caller's ``default`` for what JSON has no type for (datetimes and
  dataclasses go to it too, as with ``json.dumps``). What orjson refuses — keys that are not text, integers
  beyond 64 bits — is written by ``json.dumps`` (``allow_nan=False``), which raises what it always raised. One
  difference is left: a float NaN or ±Infinity is written as ``null`` instead of raising ``ValueError``. No
  card, text or value Tavla builds holds one (they hold text; ``Decimal`` NaN is refused by
  ``bot.outbound.json_default``).
- ``loads`` is for JSON this process wrote with ``dumps`` (a kept card). What others send — request bodies,
  the connector's answers — is read with ``json.loads``: orjson reads an integer beyond 64 bits as a float and
  refuses NaN, which the standard library reads, and for a body of 1–2 KB it saves ≈ 3 µs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


def loads(written: bytes) -> Any:
    """What ``dumps`` wrote, read back."""
    return orjson.loads(written)
