"""An incoming activity's JSON as the SDK's ``Activity`` model, without msrest's per-field machinery.

``Activity().deserialize(body)`` walks every attribute of every nested model through msrest's generic
deserialiser (key extractors, attribute-map copies, type dispatch): ≈ 0.1 ms a message in a tight loop, more
in a busy process, for a dict that is already JSON. ``read_activity`` builds the same objects from the same
attribute maps — every attribute passed to the model's constructor, ``None`` when absent or null; keys a
model does not know kept in its ``additional_properties``, as msrest keeps them; ``object`` fields (``value``,
``channelData``) as the JSON they are; timestamps through msrest's own ISO 8601 parser.

Anything outside the plain shapes a channel sends — a string where a number belongs, a number where a string
belongs, a list where an object belongs — is left to msrest itself (``_Unusual``), so its conversions and its
errors stay exactly what they were. ``tests/bot/test_activity_reader.py`` holds both to the same result.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model

_MODELS: dict[str, type] = Activity._infer_class_models()  # noqa: SLF001 - the classes msrest resolves names in


class _Unusual(Exception):
    """A value this reader does not convert itself: msrest reads the whole activity."""


@cache
def _plan(cls: type) -> tuple[tuple[tuple[str, str, str], ...], frozenset[str]]:
    """((attribute, JSON key, type), …) of a model, and the JSON keys it knows."""
    fields = tuple((attr, desc["key"], desc["type"]) for attr, desc in cls._attribute_map.items()  # type: ignore[attr-defined]
                   if not (attr == "additional_properties" and desc["key"] == ""))
    if getattr(cls, "_subtype_map", None) or getattr(cls, "_validation", None) \
            or any("." in key or not key for _, key, _ in fields):
        raise _Unusual(cls.__name__)  # polymorphic, validated or flattened: not the shapes read here
    return fields, frozenset(key for _, key, _ in fields)


_PLAIN = {"str": str, "bool": bool, "int": int}  # taken as they are when the JSON has exactly that type


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    plain = _PLAIN.get(kind)
    if plain is not None:
        if type(value) is not plain:
            raise _Unusual(kind)
        return value
    if kind == "object":
        return value  # msrest rebuilds JSON as equal JSON
    if kind == "iso-8601":
        if type(value) is not str:
            raise _Unusual(kind)
        return Deserializer.deserialize_iso(value)
    if kind[0] == "[" and kind[-1] == "]":
        if type(value) is not list:
            raise _Unusual(kind)
        return [_value(item, kind[1:-1]) for item in value]
    if kind[0] == "{" and kind[-1] == "}":
        if type(value) is not dict:
            raise _Unusual(kind)
        return {k: _value(v, kind[1:-1]) for k, v in value.items()}
    cls = _MODELS.get(kind)
    if cls is None or type(value) is not dict:
        raise _Unusual(kind)
    return _model(cls, value)


def _model(cls: type, data: dict[str, Any]) -> Model:
    fields, known = _plan(cls)
    obj = cls(**{attr: _value(data.get(key), kind) for attr, key, kind in fields})
    extra = data.keys() - known
    if extra:
        obj.additional_properties = {k: data[k] for k in extra}
    return obj


def read_activity(body: dict[str, Any]) -> Activity:
    """The activity in ``body`` (a JSON object), as ``Activity().deserialize(body)`` gives it."""
    try:
        return _model(Activity, body)  # type: ignore[return-value]
    except _Unusual:
        return Activity().deserialize(body)
