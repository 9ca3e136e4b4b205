"""What the organisation, people, goal and target importers share: the row report, names and years.

The file itself is read by ``storage.importing.read_table`` (encodings, separators, Excel, aliases); each
importer validates the whole file into ``RowProblem``s before writing anything, and writes in one
transaction — the same contract as the budget, indicator and handlingsplan importers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.importing import Table, clean_cell, is_missing, parse_number

MAX_SHOWN = 200  # problems kept with their text (all are counted)


@dataclass(frozen=True)
class RowProblem:
    line: int | None  # None: the file as a whole
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "filen" if self.line is None else f"rad {self.line}"
        return f"{where}{f', {self.column}' if self.column else ''}: {self.message}"


@dataclass
class Report:
    """What an import read, found wrong and did. ``written`` is False when nothing was written."""

    kind: str
    file_name: str
    rows: int = 0
    valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    written: bool = False
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    read_as: str = ""
    done: list[str] = field(default_factory=list)  # what was (or would be) done, one sentence each
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    totals: list[tuple[str, int]] = field(default_factory=list)  # (group, rows) for previews
    period: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: int | None, column: str | None, message: str) -> None:
        if len(self.problems) < MAX_SHOWN:
            self.problems.append(RowProblem(line, column, message))
        self.problem_count += 1

    @property
    def bad_lines(self) -> set[int]:
        return {p.line for p in self.problems if p.line is not None}

    def lines(self) -> list[str]:
        """The report in Swedish, one line each (what the CLI prints)."""
        out = [f"{self.file_name}: {self.rows} rader lästa{f' ({self.read_as})' if self.read_as else ''}."]
        if self.problems:
            shown = len(self.bad_lines) or 1
            out.append(f"{shown} rader har fel – inget importerades:" if not self.dry_run else f"{shown} rader har fel:")
            out += [f"  {p}" for p in sorted(self.problems, key=lambda p: (p.line or 0))]
            if self.problem_count > len(self.problems):
                out.append(f"  … och {self.problem_count - len(self.problems)} fel till")
        out += self.done
        if self.written and not self.created and not self.updated and not self.summary.get("deactivated"):
            out.append("Inget ändrades (filen var redan inläst).")
        if self.dry_run and not self.problems:
            out.append("Kontroll: inget är skrivet.")
        out += [f"Obs: {w}" for w in self.warnings]
        return out


def read_as(table: Table) -> str:
    if table.kind == "excel":
        return f"Excel, bladet {table.sheet}"
    separator = {";": "semikolon", ",": "komma", "\t": "tabb"}.get(table.separator or "", table.separator or "")
    return f"CSV, {table.encoding}, avgränsare {separator}"


def fold(text: str | None) -> str:
    """How names are compared: trimmed, lower case, å/ä/ö folded, one space."""
    return clean_cell(text or "").lower().translate(str.maketrans("åäöéü", "aaoeu"))


def index_by(items: Iterable[Any], *names: Any) -> dict[str, list[Any]]:
    """``{fold(name): [item, …]}`` over each item's names (``names`` = callables item → str | list | None)."""
    out: dict[str, list[Any]] = {}
    for item in items:
        for get in names:
            value = get(item)
            for name in value if isinstance(value, (list, tuple)) else [value]:
                if name:
                    bucket = out.setdefault(fold(str(name)), [])
                    if item not in bucket:
                        bucket.append(item)
    return out


def parse_year(text: str) -> int:
    """``2019`` (also ``2019.0`` from Excel); ``ValueError`` with a Swedish reason otherwise."""
    value = clean_cell(text)
    try:
        number = parse_number(value, units=())
    except ValueError:
        raise ValueError(f"”{value}” är inget år") from None
    if number != number.to_integral_value() or not 2000 <= number <= 2100:
        raise ValueError(f"”{value}” är inget år (2000–2100)")
    return int(number)


def optional_year(row: Mapping[str, str] | Any, column: str) -> int | None:
    raw = row.get(column)
    return None if is_missing(raw) else parse_year(raw)


_LIST_SPLIT = re.compile(r"[|;,\n]")


def split_list(text: str) -> list[str]:
    """``"a | b, c"`` → ``["a", "b", "c"]`` (synonyms, roles)."""
    return [part for part in (clean_cell(p) for p in _LIST_SPLIT.split(text or "")) if part]
