"""Reading mapped tables as plain rows: a ``Bundle`` of a model's columns loads without building ORM objects
(no identity map, no instance state) — a third of the cost of ``select(Model)`` on the hot reads of a turn.
Attributes keep their names: ``row.indicator.code`` as ``Indicator.code`` would be."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.orm import Bundle


@cache
def _attributes(model: type) -> tuple[Any, ...]:
    return tuple(getattr(model, attr.key) for attr in model.__mapper__.column_attrs)  # type: ignore[attr-defined]


def as_row(model: type, name: str | None = None, entity: Any = None) -> Bundle:
    """All mapped columns of ``model`` (or of ``entity``, an alias of it) as one bundle named ``name``."""
    if entity is None:
        return Bundle(name or model.__tablename__, *_attributes(model))  # type: ignore[attr-defined]
    return Bundle(name or model.__tablename__, *(getattr(entity, a.key) for a in _attributes(model)))  # type: ignore[attr-defined]
