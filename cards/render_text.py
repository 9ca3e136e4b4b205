"""An Adaptive Card as plain text, for the console chat: what a person would read, and the buttons.

Pure (no I/O). ``render(card, start=1)`` returns ``(text, buttons)``; ``buttons[i]`` is shown as
``[start + i]``. Buttons are numbered depth first in reading order: selectActions and ActionSets where
they stand in the body, then the card's own actions; an ``Action.ShowCard`` is followed by the buttons
of its sub-card. Unknown elements show their ``fallback`` (or nothing); Teams' ``Chart.*`` elements show
their fallback, else a one-line summary of their data. A malformed card never raises.
"""

from __future__ import annotations

import copy
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

WIDTH = 80
MAX_DEPTH = 30  # nesting deeper than any real card; stops runaway recursion on malformed input

TEXTS = {
    "input": "[inmatning]",
    "empty": "tomt",
    "example": "t.ex.",
    "image": "bild",
    "media": "media",
    "chart": "diagram",
    "on": "ja",
    "off": "nej",
    "required": "obligatoriskt",
    "disabled": "inte tillgänglig",
    "opens": "öppnar",
}

CHART_PREFIX = "Chart."
SUBMITTING = ("Action.Execute", "Action.Submit")
INPUT_TYPES = ("Input.Text", "Input.Number", "Input.ChoiceSet", "Input.Toggle", "Input.Date", "Input.Time")


# --- what the console needs to press a button ----------------------------------------------------


@dataclass(frozen=True)
class Field:
    """An input on the card: filled in by the person before a button that sends it is pressed."""

    id: str
    kind: str  # "Input.Text", "Input.Number", …
    label: str
    value: str = ""  # the default shown on the card (as Teams would send it)
    choices: tuple[tuple[str, str], ...] = ()  # (title, value)
    multi: bool = False
    required: bool = False
    placeholder: str = ""
    minimum: float | None = None
    maximum: float | None = None
    value_on: str = "true"
    value_off: str = "false"

    def shown(self, value: str | None = None) -> str:
        """The value as a person reads it (choice titles instead of their values)."""
        value = self.value if value is None else value
        if self.kind == "Input.Toggle":
            return TEXTS["on"] if value == self.value_on else TEXTS["off"]
        if self.choices:
            titles = dict((v, t) for t, v in self.choices)
            picked = [titles.get(v, v) for v in value.split(",") if v] if self.multi else (
                [titles.get(value, value)] if value else [])
            return ", ".join(picked)
        return value


@dataclass(frozen=True)
class Button:
    """One pressable action, as numbered in the text."""

    number: int
    title: str
    kind: str  # "Action.Execute", "Action.Submit", "Action.ShowCard", "Action.ToggleVisibility", "Action.OpenUrl"
    verb: str | None = None
    data: Any = None
    action_id: str | None = None
    url: str | None = None
    inputs: tuple[Field, ...] = ()  # the inputs whose values are sent with it
    ask: tuple[str, ...] = ()  # ids of those a person would fill in first: the ones next to the button
    targets: tuple[tuple[str, bool | None], ...] = ()  # ToggleVisibility: (element id, visible or None = toggle)
    path: tuple[str, ...] = ()  # titles of the ShowCards it sits in
    detail: str = ""  # ShowCard: its sub-card as text (shown when pressed)
    enabled: bool = True

    @property
    def label(self) -> str:
        return " › ".join((*self.path, self.title))


@dataclass
class Style:
    """Optional decoration (e.g. ANSI in a terminal); applied after wrapping, so widths stay right."""

    heading: Callable[[str], str] = lambda s: s
    bold: Callable[[str], str] = lambda s: s
    subtle: Callable[[str], str] = lambda s: s
    attention: Callable[[str], str] = lambda s: s
    warning: Callable[[str], str] = lambda s: s
    good: Callable[[str], str] = lambda s: s
    button: Callable[[str], str] = lambda s: s


PLAIN = Style()


def _first_text(items: list[Any]) -> str:
    """The text of the first text element among ``items`` (whole, not its first wrapped line): what a selectAction
    without a title of its own is named by ("Ekonomi och intern service", not "Ekonomi och intern")."""
    for item in items:
        if not isinstance(item, dict) or not _visible(item):
            continue
        kind = item.get("type")
        if kind == "TextBlock":
            text = " ".join(_markdown(_str(item.get("text"))).split())
        elif kind == "RichTextBlock":
            text = " ".join("".join(_str(i.get("text")) if isinstance(i, dict) else _str(i)
                                    for i in _list(item.get("inlines"))).split())
        elif kind in ("Container", "Column", "TableCell"):
            text = _first_text(_list(item.get("items")))
        elif kind == "ColumnSet":
            text = next((t for c in _dicts(item.get("columns")) if (t := _first_text(_list(c.get("items"))))), "")
        else:
            continue
        if text:
            return text
    return ""


def render(card: Any, *, start: int = 1, width: int = WIDTH, style: Style = PLAIN) -> tuple[str, list[Button]]:
    """The card as text and its buttons (``buttons[i].number == start + i``)."""
    renderer = _Renderer(start, max(width, 20), style)
    lines = renderer.card(card if isinstance(card, dict) else {}, (), ())
    return "\n".join(_trim_blank(lines)), renderer.buttons


def with_visibility(card: dict[str, Any], targets: Iterable[tuple[str, bool | None]]) -> dict[str, Any]:
    """A copy of ``card`` after an ``Action.ToggleVisibility`` (None toggles, True/False sets)."""
    wanted = dict(targets)
    result = copy.deepcopy(card)

    def walk(node: Any, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, dict):
            element_id = node.get("id")
            if isinstance(element_id, str) and element_id in wanted and "type" in node:
                visible = wanted[element_id]
                node["isVisible"] = (node.get("isVisible", True) is False) if visible is None else visible
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list):
            for item in node:
                walk(item, depth + 1)

    walk(result)
    return result


def display_width(text: str) -> int:
    """Columns a string takes in a terminal (wide East Asian characters and emoji count two)."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


# --- helpers for untrusted JSON ------------------------------------------------------------------


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return _num(value)
    return ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def _num(value: Any) -> str:
    """A chart/input number the Swedish way: 92.5 → 92,5; 1200 → 1200."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}".replace(".", ",")
    return _str(value)


def _visible(element: dict[str, Any]) -> bool:
    return element.get("isVisible", True) is not False


_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")


def _markdown(text: str) -> str:
    """The little markdown a TextBlock may carry, as a terminal shows it: links with their address."""

    def link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        return url if not label or label == url else f"{label} ({url})"

    text = _LINK.sub(link, text)
    return _BOLD.sub(lambda m: m.group(1) or m.group(2) or "", text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap each line; list items ("- ", "* ", "1. ") keep a hanging indent."""
    out: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.rstrip()
        if not line:
            out.append("")
            continue
        bullet = re.match(r"^(\s*(?:[-*•]|\d+[.)])\s+)", line)
        hang = " " * len(bullet.group(1)) if bullet else ""
        wrapped = textwrap.wrap(line, width=max(width, 10), subsequent_indent=hang, break_long_words=True,
                                break_on_hyphens=False, replace_whitespace=False, drop_whitespace=True)
        out.extend(wrapped or [""])
    return out


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _trim_blank(lines: list[str]) -> list[str]:
    """No leading/trailing blank lines and never two blank lines in a row."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
        else:
            out.append(line.rstrip())
    while out and out[-1] == "":
        out.pop()
    return out


def _ellipsis(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    cut = text
    while cut and display_width(cut) > width - 1:
        cut = cut[:-1]
    return cut.rstrip() + "…"


# --- the renderer --------------------------------------------------------------------------------


@dataclass
class _Renderer:
    next_number: int
    width: int
    style: Style
    buttons: list[Button] = field(default_factory=list)
    near: list[tuple[str, ...]] = field(default_factory=list)  # ids of the inputs around what is being rendered

    # cards and their inputs

    def card(self, card: dict[str, Any], parent_inputs: tuple[Field, ...], path: tuple[str, ...],
             depth: int = 0) -> list[str]:
        own = tuple(self.fields(_list(card.get("body"))))
        inputs = parent_inputs + own
        self.near.append(tuple(f.id for f in own))
        lines = self.items(_list(card.get("body")), self.width, inputs, path, depth)
        actions = _dicts(card.get("actions"))
        if actions:
            lines.append("")
            lines += self.action_lines(actions, inputs, path, depth)
        self.near.pop()
        return lines

    def scoped(self, elements: list[Any], render: Callable[[], list[str]]) -> list[str]:
        """Render a container's items; a button inside asks first for the inputs of this container."""
        local = tuple(f.id for f in self.fields(elements))
        if not local:
            return render()
        self.near.append(local)
        try:
            return render()
        finally:
            self.near.pop()

    def fields(self, elements: list[Any], depth: int = 0) -> Iterable[Field]:
        """Every input in these elements (not those inside ShowCard sub-cards: those are their own)."""
        if depth > MAX_DEPTH:
            return
        for element in elements:
            if not isinstance(element, dict):
                continue
            kind = element.get("type")
            if kind in INPUT_TYPES and isinstance(element.get("id"), str):
                yield self.field(element)
            yield from self.fields(_list(element.get("items")), depth + 1)
            for col in _dicts(element.get("columns")):
                yield from self.fields(_list(col.get("items")), depth + 1)
            for row in _dicts(element.get("rows")):
                for cell in _dicts(row.get("cells")):
                    yield from self.fields(_list(cell.get("items")), depth + 1)

    @staticmethod
    def field(element: dict[str, Any]) -> Field:
        kind = element["type"]
        label = _str(element.get("label")) or _str(element.get("title")) or _str(element.get("placeholder")) \
            or element["id"]
        choices = tuple((_str(c.get("title")) or _str(c.get("value")), _str(c.get("value")))
                        for c in _dicts(element.get("choices")))
        value = element.get("value")
        if kind == "Input.Toggle":
            on, off = _str(element.get("valueOn")) or "true", _str(element.get("valueOff")) or "false"
            default = _str(value) or off
            return Field(element["id"], kind, label, default, required=element.get("isRequired") is True,
                         value_on=on, value_off=off)

        def bound(name: str) -> float | None:
            raw = element.get(name)
            return float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None

        return Field(
            element["id"], kind, label, _str(value), choices=choices,
            multi=element.get("isMultiSelect") is True, required=element.get("isRequired") is True,
            placeholder=_str(element.get("placeholder")), minimum=bound("min"), maximum=bound("max"),
        )

    # body elements

    def items(self, elements: list[Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
              depth: int) -> list[str]:
        lines: list[str] = []
        i = 0
        while i < len(elements):
            element = elements[i]
            i += 1
            if not isinstance(element, dict) or not _visible(element):
                continue
            if element.get("type") == "ColumnSet":
                # consecutive ColumnSets with as many columns read as one table
                run = [element]
                count = len([c for c in _dicts(element.get("columns")) if _visible(c)])
                while i < len(elements) and isinstance(elements[i], dict) and elements[i].get("type") == "ColumnSet" \
                        and _visible(elements[i]) and not elements[i].get("separator") \
                        and len([c for c in _dicts(elements[i].get("columns")) if _visible(c)]) == count:
                    run.append(elements[i])
                    i += 1
                block = self.column_sets(run, width, inputs, path, depth)
            else:
                block = self.element(element, width, inputs, path, depth)
            if not block:
                continue
            if lines and (element.get("separator") is True):
                lines += ["", "─" * min(width, 40)]
            elif lines and element.get("spacing") in ("Medium", "Large", "ExtraLarge", "Padding"):
                lines.append("")
            lines += block
        return lines

    def element(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
                depth: int) -> list[str]:
        if depth > MAX_DEPTH:
            return []
        kind = _str(element.get("type"))
        method = {
            "TextBlock": self.text_block,
            "RichTextBlock": self.rich_text,
            "FactSet": self.fact_set,
            "Container": self.container,
            "ActionSet": self.action_set,
            "Image": self.image,
            "ImageSet": self.image_set,
            "Media": self.media,
            "Table": self.table,
        }.get(kind)
        if method is not None:
            return method(element, width, inputs, path, depth)
        if kind == "ColumnSet":
            return self.column_sets([element], width, inputs, path, depth)
        if kind in INPUT_TYPES:
            return self.input(element, width)
        fallback = element.get("fallback")
        if isinstance(fallback, dict):
            return self.element(fallback, width, inputs, path, depth + 1) if _visible(fallback) else []
        if kind.startswith(CHART_PREFIX) and fallback != "drop":
            return _wrap(chart_summary(element), width)
        return []  # unknown, no fallback: Teams would drop it too

    def select_action(self, element: dict[str, Any], title: str, inputs: tuple[Field, ...],
                      path: tuple[str, ...], width: int, depth: int) -> list[str]:
        action = element.get("selectAction")
        if not isinstance(action, dict):
            return []
        if not _str(action.get("title")):
            action = {**action, "title": _ellipsis(title.strip(), 40) or "…"}
        return self.action_lines([action], inputs, path, depth, width=width)

    def text_block(self, element: dict[str, Any], width: int, *_: Any) -> list[str]:
        text = _markdown(_str(element.get("text")))
        if not text.strip():
            return []
        lines = _wrap(text, width)
        max_lines = element.get("maxLines")
        if isinstance(max_lines, int) and not isinstance(max_lines, bool) and 0 < max_lines < len(lines):
            lines = lines[:max_lines]
            lines[-1] = _ellipsis(lines[-1] + " …", width)
        size, weight = element.get("size"), element.get("weight")
        if element.get("style") == "heading" or size in ("Large", "ExtraLarge"):
            rule = "═" * min(width, max(display_width(line) for line in lines))
            return [self.style.heading(line) for line in lines] + [rule]
        paint = self.paint(element)
        if weight == "Bolder" and size == "Medium":
            rule = "─" * min(width, max(display_width(line) for line in lines))
            return [self.style.bold(paint(line)) for line in lines] + [rule]
        if weight == "Bolder":
            return [self.style.bold(paint(line)) for line in lines]
        return [paint(line) for line in lines]

    def paint(self, element: dict[str, Any]) -> Callable[[str], str]:
        color = element.get("color")
        if color == "Attention":
            return self.style.attention
        if color == "Warning":
            return self.style.warning
        if color == "Good":
            return self.style.good
        if element.get("isSubtle") is True:
            return self.style.subtle
        return lambda s: s

    def rich_text(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
                  depth: int) -> list[str]:
        parts: list[str] = []
        for inline in _list(element.get("inlines")):
            if isinstance(inline, str):
                parts.append(inline)
            elif isinstance(inline, dict) and inline.get("type", "TextRun") == "TextRun":
                parts.append(_str(inline.get("text")))  # a TextRun is never markdown
        text = "".join(parts)
        if not text.strip():
            return []
        lines = _wrap(text, width)
        for inline in _dicts(element.get("inlines")):
            if isinstance(inline.get("selectAction"), dict):
                lines += self.select_action(inline, _str(inline.get("text")), inputs, path, width, depth)
        return lines

    def fact_set(self, element: dict[str, Any], width: int, *_: Any) -> list[str]:
        facts = [(_markdown(_str(f.get("title"))), _markdown(_str(f.get("value")))) for f in _dicts(element.get("facts"))]
        facts = [(t, v) for t, v in facts if t or v]
        if not facts:
            return []
        title_width = min(max(display_width(t) + 1 for t, _ in facts), max(width // 2, 8))
        value_width = max(width - title_width - 1, 10)
        lines: list[str] = []
        for title, value in facts:
            head = f"{title}:" if title else ""
            title_lines = _wrap(head, title_width) or [""]
            value_lines = _wrap(value, value_width) or [""]
            for n in range(max(len(title_lines), len(value_lines))):
                left = title_lines[n] if n < len(title_lines) else ""
                right = value_lines[n] if n < len(value_lines) else ""
                lines.append((_pad(left, title_width) + " " + right).rstrip())
        return lines

    def container(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
                  depth: int) -> list[str]:
        lines = self.scoped(_list(element.get("items")),
                            lambda: self.items(_list(element.get("items")), width, inputs, path, depth + 1))
        style = element.get("style")
        if lines and style in ("attention", "warning"):
            paint = self.style.attention if style == "attention" else self.style.warning
            lines = [paint(line) if line else line for line in lines]
        if isinstance(element.get("selectAction"), dict):
            first = _first_text(_list(element.get("items"))) or next((line for line in lines if line.strip()), "")
            lines += self.select_action(element, first, inputs, path, width, depth)
        return lines

    def column_sets(self, sets: list[dict[str, Any]], width: int, inputs: tuple[Field, ...],
                    path: tuple[str, ...], depth: int) -> list[str]:
        rows = [[c for c in _dicts(s.get("columns")) if _visible(c)] for s in sets]
        return self.grid(rows, width, inputs, path, depth, header=False, extra=sets)

    def table(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
              depth: int) -> list[str]:
        rows = [[c for c in _dicts(r.get("cells"))] for r in _dicts(element.get("rows"))]
        return self.grid(rows, width, inputs, path, depth, header=element.get("firstRowAsHeader", True) is True)

    def grid(self, rows: list[list[dict[str, Any]]], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
             depth: int, *, header: bool, extra: list[dict[str, Any]] | None = None) -> list[str]:
        """Rows of cells (Column or TableCell) as an aligned table; stacked when it cannot fit."""
        rows = [r for r in rows if r]
        if not rows:
            return []
        # Buttons inside cells are numbered once, in reading order: render the cells at their final
        # width only, after a dry run (on a scratch renderer) that measures them.
        def cell_lines(renderer: _Renderer, cell: dict[str, Any], w: int) -> list[str]:
            lines = renderer.scoped(_list(cell.get("items")),
                                    lambda: renderer.items(_list(cell.get("items")), w, inputs, path, depth + 1))
            if isinstance(cell.get("selectAction"), dict):
                first = _first_text(_list(cell.get("items"))) or next((line for line in lines if line.strip()), "")
                lines += renderer.select_action(cell, first, inputs, path, w, depth)
            return _trim_blank(lines)

        scratch = _Renderer(self.next_number, self.width, PLAIN)
        ncols = max(len(r) for r in rows)
        natural = [0] * ncols
        for row in rows:
            for c, cell in enumerate(row):
                lines = cell_lines(scratch, cell, 1000)
                natural[c] = max(natural[c], max((display_width(line) for line in lines), default=0))
        keep = [c for c in range(ncols) if natural[c] > 0]
        if not keep:
            return self.grid_extras(extra, width, inputs, path, depth)
        gap = 2
        widths = self.allocate([natural[c] for c in keep], width - gap * (len(keep) - 1))
        if widths is None:  # too narrow for side by side: one cell after another, rows apart
            out: list[str] = []
            for row in rows:
                for cell in row:
                    out += cell_lines(self, cell, width)
                out.append("")
            return out + self.grid_extras(extra, width, inputs, path, depth)
        if not header and len(rows) > 1:
            header = all(_bold_only(cell) for cell in rows[0])
        out = []
        for r, row in enumerate(rows):
            cells = [cell_lines(self, row[c], w) if c < len(row) else [] for c, w in zip(keep, widths)]
            height = max((len(cell) for cell in cells), default=0)
            for n in range(height):
                parts = [_pad(cell[n] if n < len(cell) else "", w) for cell, w in zip(cells, widths)]
                out.append((" " * gap).join(parts).rstrip())
            if header and r == 0 and len(rows) > 1:
                out.append("─" * min(width, sum(widths) + gap * (len(widths) - 1)))
        return out + self.grid_extras(extra, width, inputs, path, depth)

    def grid_extras(self, sets: list[dict[str, Any]] | None, width: int, inputs: tuple[Field, ...],
                    path: tuple[str, ...], depth: int) -> list[str]:
        out: list[str] = []
        for column_set in sets or []:
            if isinstance(column_set.get("selectAction"), dict):
                out += self.select_action(column_set, "", inputs, path, width, depth)
        return out

    @staticmethod
    def allocate(natural: list[int], room: int) -> list[int] | None:
        """Column widths that fit ``room``: narrow columns keep their width, wide ones share the rest."""
        if sum(natural) <= room:
            return natural
        minimum = 8
        if room < minimum * len(natural):
            return None
        widths = list(natural)
        while sum(widths) > room:
            widest = max(range(len(widths)), key=lambda c: widths[c])
            excess = sum(widths) - room
            others = sorted(widths, reverse=True)
            second = others[1] if len(others) > 1 else minimum
            widths[widest] = max(minimum, widths[widest] - max(1, min(excess, widths[widest] - second)))
            if all(w == minimum for w in widths) and sum(widths) > room:
                return None
        return widths

    def action_set(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
                   depth: int) -> list[str]:
        return self.action_lines(_dicts(element.get("actions")), inputs, path, depth, width=width)

    def image(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
              depth: int) -> list[str]:
        alt = _str(element.get("altText")).strip()
        lines = _wrap(f"[{TEXTS['image']}: {alt}]", width) if alt else []
        if isinstance(element.get("selectAction"), dict):
            lines += self.select_action(element, alt, inputs, path, width, depth)
        return lines

    def image_set(self, element: dict[str, Any], width: int, inputs: tuple[Field, ...], path: tuple[str, ...],
                  depth: int) -> list[str]:
        lines: list[str] = []
        for image in _dicts(element.get("images")):
            lines += self.image(image, width, inputs, path, depth)
        return lines

    def media(self, element: dict[str, Any], width: int, *_: Any) -> list[str]:
        alt = _str(element.get("altText")).strip()
        sources = [_str(s.get("url")) for s in _dicts(element.get("sources")) if _str(s.get("url"))]
        what = alt or (sources[0] if sources else "")
        return _wrap(f"[{TEXTS['media']}: {what}]" if what else f"[{TEXTS['media']}]", width)

    def input(self, element: dict[str, Any], width: int) -> list[str]:
        if not isinstance(element.get("id"), str):
            return []
        f = self.field(element)
        shown = f.shown()
        if shown:
            value = shown
        elif f.placeholder and f.placeholder != f.label:
            value = f"{TEXTS['empty']} – {TEXTS['example']} {f.placeholder}"
        else:
            value = TEXTS["empty"]
        mark = " *" if f.required else ""
        lines = _wrap(f"{TEXTS['input']} {f.label}{mark} ({value})", width)
        lines[1:] = ["    " + line for line in _wrap(" ".join(lines[1:]), max(width - 4, 10))] if len(lines) > 1 else []
        if f.choices:
            picked = set(f.value.split(",")) if f.multi else {f.value}
            choices = "  ".join(("● " if v in picked and v else "○ ") + t for t, v in f.choices)
            lines += ["    " + line for line in _wrap(choices, max(width - 4, 10))]
        return lines

    # actions

    def action_lines(self, actions: list[dict[str, Any]], inputs: tuple[Field, ...], path: tuple[str, ...],
                     depth: int, *, width: int | None = None) -> list[str]:
        width = width or self.width
        lines: list[str] = []
        for action in actions:
            if depth > MAX_DEPTH:
                break
            kind = _str(action.get("type"))
            if kind not in SUBMITTING + ("Action.ShowCard", "Action.ToggleVisibility", "Action.OpenUrl"):
                fallback = action.get("fallback")
                if isinstance(fallback, dict):
                    lines += self.action_lines([fallback], inputs, path, depth + 1, width=width)
                continue
            title = _str(action.get("title")).strip() or _str(action.get("tooltip")).strip() or _str(action.get("verb")) \
                or "…"
            number = self.next_number
            self.next_number += 1
            enabled = action.get("isEnabled", True) is not False
            own_inputs: tuple[Field, ...] = ()
            ask: tuple[str, ...] = ()
            if kind in SUBMITTING and action.get("associatedInputs") != "none":
                own_inputs = inputs
                near = set(self.near[-1]) if self.near else {f.id for f in inputs}
                ask = tuple(f.id for f in inputs if f.id in near)
            targets: list[tuple[str, bool | None]] = []
            for target in _list(action.get("targetElements")):
                if isinstance(target, str):
                    targets.append((target, None))
                elif isinstance(target, dict) and isinstance(target.get("elementId"), str):
                    visible = target.get("isVisible")
                    targets.append((target["elementId"], visible if isinstance(visible, bool) else None))
            url = _str(action.get("url")) or None
            suffix = ""
            if kind == "Action.ShowCard":
                suffix = " ▾"
            elif kind == "Action.OpenUrl":
                suffix = f" ↗ {url}" if url else " ↗"
            if not enabled:
                suffix += f" ({TEXTS['disabled']})"
            index = len(self.buttons)
            self.buttons.append(Button(
                number=number, title=title, kind=kind, verb=_str(action.get("verb")) or None, data=action.get("data"),
                action_id=_str(action.get("id")) or None, url=url, inputs=own_inputs, ask=ask, targets=tuple(targets),
                path=path, enabled=enabled,
            ))
            head = f"[{number}] "
            wrapped = _wrap(title + suffix, max(width - len(head), 10))
            lines.append(self.style.button(head + wrapped[0]))
            lines += [" " * len(head) + line for line in wrapped[1:]]
            if kind == "Action.ShowCard" and isinstance(action.get("card"), dict):
                sub = action["card"]
                child = _Renderer(self.next_number, max(self.width - 4, 20), self.style)
                own = tuple(self.fields(_list(sub.get("body"))))
                sub_inputs = inputs + own
                child.near.append(tuple(f.id for f in own))
                body_lines = child.items(_list(sub.get("body")), child.width, sub_inputs, path + (title,), depth + 1)
                # the sub-card's buttons: listed here (indented), its body shown when the ShowCard is pressed
                action_lines = child.action_lines(_dicts(sub.get("actions")), sub_inputs, path + (title,), depth + 1)
                detail = "\n".join(_trim_blank(body_lines + [""] + action_lines))
                self.buttons[index] = replace(self.buttons[index], detail=detail)
                self.buttons += child.buttons
                self.next_number = child.next_number
                lines += ["    " + line for line in _trim_blank(action_lines)]
        return lines


def _bold_only(cell: dict[str, Any]) -> bool:
    """A header cell: only bold TextBlocks (a ColumnSet row used as a table's heading)."""
    items = [i for i in _dicts(cell.get("items")) if _visible(i)]
    return bool(items) and all(i.get("type") == "TextBlock" and i.get("weight") == "Bolder" for i in items)


def markdown_text(text: str, width: int = WIDTH) -> str:
    """A message's markdown text as a terminal shows it (links with their address), wrapped."""
    return "\n".join(_wrap(_markdown(text), max(width, 20)))


# --- Teams charts ---------------------------------------------------------------------------------


def chart_summary(element: dict[str, Any], limit: int = 12) -> str:
    """One line saying what a ``Chart.*`` element shows: its title and the data points."""
    title = _str(element.get("title")).strip()
    data = _dicts(element.get("data"))
    kind = _str(element.get("type"))

    def points(values: list[dict[str, Any]], x: str = "x", y: str = "y") -> str:
        shown = [f"{_str(v.get(x)) or '?'} {_num(v.get(y)) or '?'}".strip() for v in values[:limit]]
        more = " …" if len(values) > limit else ""
        return ", ".join(shown) + more

    if kind == "Chart.Gauge":
        body = _num(element.get("value")) or "0"
        if "max" in element:
            body += f" ({_num(element.get('min', 0))}–{_num(element.get('max'))})"
        sub = _str(element.get("subLabel"))
        summary = f"{body} {sub}".strip()
    elif data and all(isinstance(d.get("values"), list) for d in data):  # Line, grouped bars
        summary = "; ".join(f"{_str(d.get('legend')) or '?'}: {points(_dicts(d.get('values')))}" for d in data[:limit])
    elif data and all(isinstance(d.get("data"), list) for d in data):  # stacked horizontal bars
        summary = "; ".join(f"{_str(d.get('title')) or '?'}: {points(_dicts(d.get('data')), 'legend', 'value')}"
                            for d in data[:limit])
    elif data and any("legend" in d for d in data):  # pie, donut
        summary = points(data, "legend", "value")
    else:
        summary = points(data)
    head = f"[{TEXTS['chart']}" + (f": {title}]" if title else "]")
    return f"{head} {summary}".strip()
