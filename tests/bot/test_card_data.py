"""bot.card_data.card_int: what counts as an integer from a card."""

from __future__ import annotations

from typing import Any

import pytest

from bot.card_data import MAX_ID, card_int


@pytest.mark.parametrize("value, expected", [
    (7, 7), (7.0, 7), ("7", 7), (" 42 ", 42), ("0000000012", 12), (MAX_ID, MAX_ID),
])
def test_numbers_a_card_may_send(value: Any, expected: int) -> None:
    assert card_int(value) == expected


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 2.5, float("nan"), float("inf"), -float("inf"), 1e300, MAX_ID + 1,
    "", "x", "-3", "3.0", "1e3", "٣", "12345678901", [1], {"id": 1},
])
def test_anything_else_is_not_a_number(value: Any) -> None:
    assert card_int(value) is None


def test_bounds_are_the_callers() -> None:
    assert card_int("0", minimum=0, maximum=6) == 0
    assert card_int(6.0, minimum=0, maximum=6) == 6
    assert card_int(7, minimum=0, maximum=6) is None
