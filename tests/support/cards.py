"""Checks every card must pass: Adaptive Card 1.5 schema (Teams-extended for Chart.*), version, size."""

from __future__ import annotations

import json
from functools import lru_cache
from collections.abc import Callable
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from tests.conftest import IN_CI, SHARED

MAX_CARD_BYTES = 28 * 1024


@lru_cache(maxsize=2)
def _validator(name: str) -> jsonschema.protocols.Validator | None:
    path = SHARED / "schemas" / name
    if not path.exists():
        if IN_CI:
            raise AssertionError(f"CI=true but {path} is missing")
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _uses_teams_elements(card: Any) -> bool:
    text = json.dumps(card)
    return '"Chart.' in text


def assert_valid_card(card: dict[str, Any]) -> None:
    """Version 1.5, under 28 KB, valid against the official schema when ../shared is present."""
    assert card.get("type") == "AdaptiveCard", card
    assert card.get("version") == "1.5", card.get("version")
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    assert size < MAX_CARD_BYTES, f"card is {size} bytes"
    name = "adaptive-card-teams-extended.json" if _uses_teams_elements(card) else "adaptive-card-1.5.json"
    validator = _validator(name)
    if validator is None:
        return
    error = best_match(validator.iter_errors(card))
    if error is not None:
        details = [error.message] + [c.message for c in (error.context or [])[:5]]
        raise AssertionError(f"card invalid against {name}: {details}")
    if name.startswith("adaptive-card-teams"):
        assert '"fallback"' in json.dumps(card), "Teams-native chart without fallback"


def elements(card: Any, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every element (any JSON object) of ``card``, at any depth, for which ``match`` is true; in card order."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if match(node):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
