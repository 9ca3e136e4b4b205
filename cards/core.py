"""Small builders for Adaptive Card 1.5 elements, so card modules read as structure, not JSON."""

from __future__ import annotations

from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None, *, refresh: Element | None = None,
         fallback_text: str | None = None) -> Element:
    """An Adaptive Card 1.5 (no host-specific properties: the official 1.5 schema allows none)."""
    result: Element = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        result["actions"] = actions
    if refresh:
        result["refresh"] = refresh
    if fallback_text:
        result["fallbackText"] = fallback_text
    return result


def text(value: str, *, size: str | None = None, weight: str | None = None, color: str | None = None,
         subtle: bool = False, wrap: bool = True, spacing: str | None = None, separator: bool = False,
         style: str | None = None, max_lines: int | None = None) -> Element:
    """A TextBlock. Card text is never markdown-trusted: callers pass user text through ``plain``."""
    element: Element = {"type": "TextBlock", "text": value, "wrap": wrap}
    if size:
        element["size"] = size
    if weight:
        element["weight"] = weight
    if color:
        element["color"] = color
    if subtle:
        element["isSubtle"] = True
    if spacing:
        element["spacing"] = spacing
    if separator:
        element["separator"] = True
    if style:
        element["style"] = style
    if max_lines:
        element["maxLines"] = max_lines
    return element


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def container(items: list[Element], *, style: str | None = None, separator: bool = False,
              spacing: str | None = None, element_id: str | None = None, visible: bool = True) -> Element:
    element: Element = {"type": "Container", "items": items}
    if style:
        element["style"] = style
    if separator:
        element["separator"] = True
    if spacing:
        element["spacing"] = spacing
    if element_id:
        element["id"] = element_id
    if not visible:
        element["isVisible"] = False
    return element


def columns(*cols: Element, spacing: str | None = None, separator: bool = False) -> Element:
    element: Element = {"type": "ColumnSet", "columns": list(cols)}
    if spacing:
        element["spacing"] = spacing
    if separator:
        element["separator"] = True
    return element


def column(items: list[Element], width: str = "stretch", vertical: str | None = None) -> Element:
    element: Element = {"type": "Column", "width": width, "items": items}
    if vertical:
        element["verticalContentAlignment"] = vertical
    return element


def execute(title: str, verb: str, data: dict[str, Any] | None = None, *, style: str | None = None,
            associated_inputs: str | None = None) -> Element:
    """Action.Execute (Universal Actions): arrives as ``adaptiveCard/action`` with this verb and data."""
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data or {})}
    if style:
        action["style"] = style
    if associated_inputs:
        action["associatedInputs"] = associated_inputs
    return action


def submit(title: str, data: dict[str, Any]) -> Element:
    return {"type": "Action.Submit", "title": title, "data": data}


def show_card(title: str, inner: Element) -> Element:
    return {"type": "Action.ShowCard", "title": title, "card": inner}


def toggle(title: str, target_ids: list[str]) -> Element:
    return {"type": "Action.ToggleVisibility", "title": title, "targetElements": target_ids}


def action_set(actions: list[Element], spacing: str | None = None) -> Element:
    element: Element = {"type": "ActionSet", "actions": actions}
    if spacing:
        element["spacing"] = spacing
    return element


def text_input(input_id: str, label: str, *, value: str = "", placeholder: str = "", multiline: bool = False,
               max_length: int | None = None) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline}
    if value:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    if max_length:
        element["maxLength"] = max_length
    return element


def number_input(input_id: str, label: str, *, value: int | None = None, minimum: int | None = None,
                 maximum: int | None = None) -> Element:
    element: Element = {"type": "Input.Number", "id": input_id, "label": label}
    if value is not None:
        element["value"] = value
    if minimum is not None:
        element["min"] = minimum
    if maximum is not None:
        element["max"] = maximum
    return element


def choice_input(input_id: str, label: str, choices: list[tuple[str, str]], *, value: str | None = None,
                 style: str = "compact") -> Element:
    element: Element = {
        "type": "Input.ChoiceSet", "id": input_id, "label": label, "style": style,
        "choices": [{"title": t, "value": v} for t, v in choices],
    }
    if value is not None:
        element["value"] = value
    return element


def bounded(value: str, limit: int = 2000) -> str:
    """User text cut to a length a card can carry (the full text stays in the store)."""
    value = value.replace("\r", "")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def user_text(value: str, *, limit: int = 2000, subtle: bool = False, italic: bool = False) -> Element:
    """User-written text shown verbatim: a RichTextBlock's TextRun is not parsed as markdown."""
    run: Element = {"type": "TextRun", "text": bounded(value, limit)}
    if subtle:
        run["isSubtle"] = True
    if italic:
        run["italic"] = True
    return {"type": "RichTextBlock", "inlines": [run]}
