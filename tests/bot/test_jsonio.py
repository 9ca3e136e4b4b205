"""bot.jsonio: orjson's speed with the standard library's behaviour — what one refuses, the other answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from botbuilder.schema import Activity, Attachment
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import jsonio
from bot.http import parse_activity
from bot.outbound import activity_json, json_default

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=JSON)
def test_writes_what_the_standard_library_reads_back_as_it_was(value: Any) -> None:
    written = jsonio.dumps(value)
    assert json.loads(written) == value
    if all(abs(n) < 2**63 for n in _integers(value)):  # what orjson writes itself, it reads back
        assert jsonio.loads(written) == value


def _integers(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [n for item in value for n in _integers(item)]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _integers(item)]
    return []


def test_request_bodies_are_read_by_the_standard_library() -> None:
    """What Teams (or anyone) posts keeps its values: orjson would read this id as a float."""
    activity = parse_activity(b'{"type": "invoke", "name": "adaptiveCard/action", "id": "1", '
                              b'"serviceUrl": "http://127.0.0.1:1/", "conversation": {"id": "a:1"}, "from": {"id": "29:1"}, '
                              b'"recipient": {"id": "28:b"}, '
                              b'"value": {"action": {"data": {"activity_id": 123456789012345678901234567890}}}}')
    assert not isinstance(activity, str)
    assert activity.value["action"]["data"]["activity_id"] == 123456789012345678901234567890


def test_written_compact_in_utf8_with_the_callers_default() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    when = dt.datetime(2018, 5, 15, 8, 30, tzinfo=dt.timezone.utc)
    seen: list[Any] = []

    def default(value: Any) -> Any:
        seen.append(value)
        return str(value)

    out = jsonio.dumps({"text": "Frisknärvaro – 95,3 %", "when": when, "day": when.date(), "p": Point(1)}, default)
    assert out == ('{"text":"Frisknärvaro – 95,3 %","when":"2018-05-15 08:30:00+00:00","day":"2018-05-15",'
                   '"p":"' + str(Point(1)) + '"}').encode("utf-8")
    assert seen == [when, when.date(), Point(1)]  # datetimes and dataclasses go to the caller, as with json.dumps


def test_what_orjson_cannot_write_is_written_by_json_dumps() -> None:
    assert json.loads(jsonio.dumps({1: "a", "n": 2**70})) == {"1": "a", "n": 2**70}
    with pytest.raises(TypeError):
        jsonio.dumps({"x": object()})
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: not UTF-8 however it is written
        jsonio.dumps({"x": "\ud800"})


def test_an_activity_with_a_decimal_that_is_not_a_number_is_not_sent() -> None:
    assert json_default(Decimal("150853.2")) == 150853.2
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")):
        activity = Activity(type="message", text="x", value={"amount": bad})
        with pytest.raises(ValueError):
            activity_json(activity)
    card = Activity(type="message", attachments=[Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                                             content={"body": [{"text": "Budget kvar"}]})])
    assert json.loads(activity_json(card))["attachments"][0]["content"] == {"body": [{"text": "Budget kvar"}]}
    assert not math.isnan(json_default(Decimal("0")))


def test_a_kept_card_is_sent_as_it_was_written() -> None:
    """A ``Written`` card goes out byte for byte inside the activity, in the orjson path and in the standard
    library's (which has no fragments and reads it back), and reading it never changes what is kept."""
    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Frisknärvaro 95,3 % <b>"}]}
    kept = jsonio.Written(jsonio.dumps(card))
    activity = Activity(type="message", attachments=[Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                                                 content=kept)])
    body = activity_json(activity)
    assert kept.json in body
    assert json.loads(body)["attachments"][0]["content"] == card
    assert json.loads(jsonio.dumps({1: kept, "n": 2**70})) == {"1": card, "n": 2**70}  # the fallback path

    mine = kept.value()
    mine["body"].clear()
    assert kept.value() == card and json.loads(jsonio.dumps([kept])) == [card]
    with pytest.raises(TypeError):
        kept["body"]  # not a dict: nothing can change a kept card and believe the change was sent
    with pytest.raises(TypeError):
        jsonio.dumps({"kept": kept, "x": object()})  # without a default, what JSON has no type for is refused
