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
- ``Written`` is JSON this process wrote and keeps (a status card for an unchanged view): ``dumps`` puts its
  bytes in place as they are (``orjson.Fragment``), so a kept card goes out without being read back and
  written again (≈ 0.05 ms of a repeated status question). ``value()`` reads it, for whoever must look inside;
  it is not a ``dict`` on purpose, so nothing can change a kept card and believe the change was sent.
- ``loads`` is for JSON this process wrote with ``dumps`` (a kept card). What others send — request bodies,
  the connector's answers — is read with ``json.loads``: orjson reads an integer beyond 64 bits as a float and
  refuses NaN, which the standard library reads, and for a body of 1–2 KB it saves ≈ 3 µs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class Written:
    """JSON written by ``dumps`` and kept as its bytes; ``dumps`` of anything holding it writes those bytes."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

    def value(self) -> Any:
        """The JSON read back: a new value each time (the kept bytes stay as they are)."""
        return orjson.loads(self.json)

    def __repr__(self) -> str:
        return f"Written({self.json[:60]!r}…)"


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    try:
        return orjson.dumps(value, default=_in_place(default), option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_read_back(default), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=16)
def _in_place(default: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """orjson's ``default``: a ``Written`` as its bytes, anything else to the caller's (or refused)."""

    def written_or(value: Any) -> Any:
        if type(value) is Written:
            return orjson.Fragment(value.json)
        if default is None:
            raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
        return default(value)

    return written_or


@lru_cache(maxsize=16)
def _read_back(default: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The standard library's ``default``: it has no fragments, so a ``Written`` is read back first."""

    def written_or(value: Any) -> Any:
        if type(value) is Written:
            return value.value()
        if default is None:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        return default(value)

    return written_or


def loads(written: bytes) -> Any:
    """What ``dumps`` wrote, read back."""
    return orjson.loads(written)
