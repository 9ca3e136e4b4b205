"""Budget imports: ``tavla import utfall | profil | budget | prognos FILE``.

Every import is whole-file and transactional: the file is read and checked completely first; when any
row is wrong, the report lists each one (row number, column, value, reason) and **nothing is written**,
unless ``skip_invalid`` is set (then the valid rows are written and the report still lists the rest).
The write is one transaction that also recomputes the year's ``budget_status``.

**Utfall** (the monthly outcome, up to about a million rows per file): columns period (``2018-04``,
``201804``, a date, ``april 2018``), verksamhetsområde (name, code or synonym; optional when every
verksamhet name is unique in the year), verksamhet (name, or SCB code), belopp (kr or tkr: ``--enhet``
or the header says which). Rows for the same period and verksamhet are summed (exports hold one row per
konto/ansvar). Importing a month **replaces that whole month** for the year (every budget line), so
importing the same month again never doubles it. A mapping file can translate a code column of the
export (ansvar, verksamhetsnummer …) to verksamhetsområde + verksamhet.

Speed: the CSV is read by pandas' C parser in chunks with the separator, decimal sign and thousands
separator found from the file; amounts become integer öre (kr × 100) and are summed as integers, so
nothing is rounded until the monthly sum (stored in tkr with three decimals = whole kronor). Where the C
parser reads an amount as a binary float, it is converted to öre with ``rint``: exact for every amount
with at most öre precision below 2**48 öre (2,8 × 10**12 kr), which is checked. A chunk the C parser
cannot read as numbers goes through ``storage.importing.parse_number`` value by value (its distinct
values only). Thousands separators are dropped wherever they stand ("12 34" reads as 1234) on both paths.

Profiles, internbudget and prognoses are small files read with ``storage.importing.read_table``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from followup.budget import BudgetDataError, normalise_profile
from storage.budget import recompute_status
from storage.db import MIGRATION_LOCK_ID, Store
from storage.importing import (
    EXCEL_SUFFIXES,
    ImportFileError,
    Table,
    checksum,
    clean_cell,
    decode,
    header_key,
    is_missing,
    match_columns,
    parse_number,
    read_table,
    sniff_separator,
)
from storage.models import BudgetLine, BudgetProfile, BudgetPrognosis, ImportBatch, OrgUnit, Utfall, utcnow

BUDGET_IMPORT_LOCK = MIGRATION_LOCK_ID + 40  # pg_advisory_xact_lock: one budget import writes at a time
CHUNK_ROWS = 250_000
MAX_DETAILS = 1_000  # problems kept with row details (all are counted)
MAX_CSV_BYTES = 512 * 1024 * 1024
ORE_LIMIT = 2**48  # |amount| in öre below which the float → öre conversion is exact (see module doc)
UNIT_DIGITS = {"kr": 2, "tkr": 5}  # öre per unit = 10 ** digits
ORE_PER_TKR = Decimal(100_000)
TKR3 = Decimal("0.001")
TKR1 = Decimal("0.1")

PERIOD = ("period", "månad", "manad", "bokföringsperiod", "redovisningsperiod", "år-månad", "år månad", "datum",
          "bokföringsdatum", "month", "year-month")
AREA = ("verksamhetsområde", "verksamhetsomrade", "område", "omrade", "vo", "vo-namn", "vo namn",
        "verksamhetsområde namn", "area")
VERKSAMHET = ("verksamhet", "verksamhetsnamn", "verksamhet namn", "verksamhet (namn)", "vht", "vht-namn",
              "vht namn", "verksamhetskod", "activity")
AMOUNT = ("belopp", "belopp (kr)", "belopp kr", "belopp, kr", "belopp (tkr)", "belopp tkr", "belopp, tkr",
          "utfall", "utfall (kr)", "utfall kr", "utfall (tkr)", "utfall tkr", "utfall, tkr", "utfall, kr",
          "nettobelopp", "netto", "summa", "amount", "kr", "tkr", "sek")
YEAR = ("år", "ar", "budgetår", "year")

MONTH_NAMES = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "mar": 3, "mars": 3,
    "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7,
    "juli": 7, "july": 7, "aug": 8, "augusti": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
             "november", "december")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


# --- The report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One wrong cell (``row`` = line in the file, header = 1) or, with ``row`` None, the whole file."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def text(self) -> str:
        where = f"rad {self.row}" if self.row is not None else "filen"
        column = f", {self.column}" if self.column else ""
        value = f", ”{self.value}”" if self.value not in (None, "") else (", (tom)" if self.row is not None else "")
        return f"{where}{column}{value}: {self.reason}"


@dataclass
class ImportReport:
    """What an import read, found wrong and wrote; ``text()`` is what the CLI prints."""

    kind: str
    file_name: str
    encoding: str | None = None
    separator: str | None = None
    unit: str | None = None
    year: int | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_empty: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0  # rows with at least one problem (file-level problems count as one)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, reason) → rows
    written: bool = False
    skipped_invalid: bool = False
    dry_run: bool = False
    batch_id: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # what was done, one sentence each
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def file_problem(self) -> bool:
        return any(p.row is None for p in self.problems)

    def add(self, problem: Problem, *, count_row: bool = True) -> None:
        if len(self.problems) < MAX_DETAILS:
            self.problems.append(problem)
        if problem.row is None or count_row:
            self.reasons[(problem.column or "", _reason_kind(problem.reason))] += 1

    def text(self, limit: int = 30) -> str:
        kind = {"utfall": "Utfall", "profil": "Profil", "budget": "Internbudget", "prognos": "Helårsprognos"}[self.kind]
        how = ", ".join(x for x in (
            _ENCODINGS.get(self.encoding or "", self.encoding or ""),
            _SEPARATORS.get(self.separator or "", ""),
            f"belopp i {self.unit}" if self.unit else "",
        ) if x)
        out = [f"{kind}{f' {self.year}' if self.year else ''} från {self.file_name}{f' ({how})' if how else ''}: "
               f"{_n(self.rows_read)} rader lästa"
               + (f", {_n(self.rows_empty)} tomma hoppades över" if self.rows_empty else "") + "."]
        if self.file_problem:
            out.append("Filen kunde inte läsas in – INGET skrevs:")
        elif self.problem_count:
            rows = f"{_n(self.problem_count)} rad{'er' if self.problem_count != 1 else ''} har fel"
            if self.skipped_invalid:
                out.append(f"{rows} – de hoppades över (--skip-invalid).")
            else:
                out.append(f"{rows} – INGET skrevs. Rätta filen, eller kör med --skip-invalid för att läsa in "
                           "de felfria raderna.")
            if len(self.reasons) > 1:
                out.append("Fel per orsak: " + "; ".join(f"{c or 'filen'}: {r} ({_n(k)})"
                                                        for (c, r), k in self.reasons.most_common(8)))
        for problem in self.problems[:limit]:
            out.append("  " + problem.text())
        hidden = max(len(self.problems), self.problem_count) - min(limit, len(self.problems))
        if hidden > 0 and not self.file_problem:
            out.append(f"  … och {_n(hidden)} till (hela listan: --rapport FIL)")
        if self.dry_run and not self.file_problem:
            out.append("Kontroll utan import (--kontrollera): inget skrevs.")
        out.extend(self.lines)
        out.extend(f"Obs: {w}" for w in self.warnings)
        return "\n".join(out)

    def problems_csv(self) -> str:
        """Every kept problem as a semicolon CSV (rad;kolumn;värde;orsak), for ``--rapport``."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        writer.writerow(["rad", "kolumn", "värde", "orsak"])
        for p in self.problems:
            writer.writerow(["" if p.row is None else p.row, p.column or "", p.value or "", p.reason])
        if self.problem_count > len(self.problems):
            writer.writerow(["", "", "", f"… och {self.problem_count - len(self.problems)} rader till med fel"])
        return buffer.getvalue()


_ENCODINGS = {"utf-8-sig": "UTF-8 med BOM", "utf-8": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}
_SEPARATORS = {";": "semikolon", ",": "komma", "\t": "tabb"}


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def _reason_kind(reason: str) -> str:
    """A reason without its row-specific tail, for counting ("okänd verksamhet (menade du …)" → "okänd verksamhet")."""
    return reason.split(" (")[0].split(":")[0]


# --- Names ------------------------------------------------------------------------------------------


def name_key(value: str) -> str:
    """How names are compared: case, spaces, punctuation, ``&``/``o`` = ``och`` — nothing fuzzy."""
    folded = clean_cell(value).casefold().replace("&", " och ").replace("+", " + ")
    folded = re.sub(r"[.,;:()\"'/]", " ", folded)
    return " ".join("och" if w == "o" else w for w in folded.split())


@dataclass
class NameIndex:
    """The store's areas and one year's budget lines, keyed for exact (normalised) matching."""

    year: int
    areas: dict[str, int]  # key of name / code / synonym → area id
    area_names: dict[int, str]
    lines: dict[tuple[int, str], int]  # (area id, verksamhet key) → line id
    by_name: dict[str, list[tuple[int, int]]]  # verksamhet key → [(area id, line id)]
    by_code: dict[str, list[tuple[int, int]]]  # SCB code → [(area id, line id)]
    line_names: dict[int, str]

    def suggest(self, value: str, choices: Iterable[str], names: Mapping[str, str]) -> str:
        found = process.extractOne(name_key(value), list(choices), scorer=fuzz.WRatio, score_cutoff=80)
        return f" (menade du ”{names[found[0]]}”?)" if found else ""

    def resolve(self, area: str, verksamhet: str, *, area_column: bool) -> tuple[int | None, Problem | None]:
        """(line id, None) or (None, the problem without a row number)."""
        area_id = None
        if area:
            area_id = self.areas.get(name_key(area))
            if area_id is None:
                shown = {k: self.area_names[i] for k, i in self.areas.items()}
                return None, Problem(None, "verksamhetsområde", area,
                                     "okänt verksamhetsområde" + self.suggest(area, shown, shown))
        if not verksamhet:
            return None, Problem(None, "verksamhet", verksamhet, "verksamhet saknas")
        key = name_key(verksamhet)
        candidates = self.by_name.get(key) or self.by_code.get(key.replace(" ", ""), [])
        if area_id is not None:
            hit = [line for a, line in candidates if a == area_id]
            if hit:
                return hit[0], None
            if candidates:
                elsewhere = ", ".join(sorted(self.area_names[a] for a, _ in candidates))
                return None, Problem(None, "verksamhet", verksamhet,
                                     f"finns inte i {self.area_names[area_id]} i budgeten för {self.year} "
                                     f"(finns i: {elsewhere})")
        elif len(candidates) == 1:
            return candidates[0][1], None
        elif len(candidates) > 1:
            areas = ", ".join(sorted(self.area_names[a] for a, _ in candidates))
            how = "lägg till kolumnen verksamhetsområde" if not area_column else "fyll i verksamhetsområde"
            return None, Problem(None, "verksamhet", verksamhet,
                                 f"finns i flera verksamhetsområden ({areas}) – {how} eller använd en mappningsfil")
        shown = {k: self.line_names[lines[0][1]] for k, lines in self.by_name.items()}
        return None, Problem(None, "verksamhet", verksamhet,
                             f"finns inte i budgeten för {self.year}" + self.suggest(verksamhet, shown, shown))


async def name_index(session: AsyncSession, year: int) -> NameIndex:
    units = (await session.execute(
        select(OrgUnit).where(OrgUnit.valid_from <= year, (OrgUnit.valid_to.is_(None)) | (OrgUnit.valid_to >= year),
                              OrgUnit.kind == "verksamhetsomrade")
    )).scalars().all()
    areas: dict[str, int] = {}
    for unit in units:
        for name in (unit.name, unit.code, *(unit.synonyms or [])):
            areas.setdefault(name_key(str(name)), unit.id)
    lines = (await session.execute(select(BudgetLine).where(BudgetLine.year == year))).scalars().all()
    index = NameIndex(year, areas, {u.id: u.name for u in units}, {}, {}, {}, {})
    for line in lines:
        key = name_key(line.verksamhet)
        index.lines[(line.org_unit_id, key)] = line.id
        index.by_name.setdefault(key, []).append((line.org_unit_id, line.id))
        if line.verksamhet_code:
            index.by_code.setdefault(line.verksamhet_code.strip(), []).append((line.org_unit_id, line.id))
        index.line_names[line.id] = line.verksamhet
        index.area_names.setdefault(line.org_unit_id, "?")
    return index


async def _years_with_budget(store: Store) -> list[int]:
    async with store.session() as session:
        return list((await session.execute(select(BudgetLine.year).distinct().order_by(BudgetLine.year))).scalars())


# --- Periods and units --------------------------------------------------------------------------------

_P_YM = re.compile(r"(\d{4})-?(\d{2})")
_P_Y_M = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_P_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_P_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_P_M_Y = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})")
_P_NAME_Y = re.compile(r"([a-zåäö]+)\.?\s*[- ]?\s*(\d{4})")
_P_Y_NAME = re.compile(r"(\d{4})\s*[- ]?\s*([a-zåäö]+)\.?")


def parse_period(value: str) -> tuple[int, int] | None:
    """``2018-04``, ``201804``, ``2018-04-30``, ``30.04.2018``, ``04/2018``, ``april 2018`` → (2018, 4)."""
    raw = clean_cell(value).lower()
    year = month = None
    if m := _P_YM.fullmatch(raw):
        year, month = int(m[1]), int(m[2])
    elif m := _P_DATE.fullmatch(raw):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        year, month = day.year, day.month
    elif m := _P_Y_M.fullmatch(raw):
        year, month = int(m[1]), int(m[2])
    elif m := _P_DMY.fullmatch(raw):
        try:
            day = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
        year, month = day.year, day.month
    elif m := _P_M_Y.fullmatch(raw):
        year, month = int(m[2]), int(m[1])
    elif (m := _P_NAME_Y.fullmatch(raw)) and m[1] in MONTH_NAMES:
        year, month = int(m[2]), MONTH_NAMES[m[1]]
    elif (m := _P_Y_NAME.fullmatch(raw)) and m[2] in MONTH_NAMES:
        year, month = int(m[1]), MONTH_NAMES[m[2]]
    if year is None or month is None or not 1 <= month <= 12 or not 1900 <= year <= 2200:
        return None
    return year, month


def unit_from_header(header: str) -> str | None:
    """``Belopp (tkr)`` → tkr, ``Utfall kr`` → kr, ``Belopp`` → None."""
    words = set(header_key(header).split("_"))
    if words & {"tkr", "tusental", "tusen", "ksek"}:
        return "tkr"
    if words & {"kr", "kronor", "sek"}:
        return "kr"
    return None


def _unit(header: str, option: str | None, report: ImportReport) -> str | None:
    """The amount unit from ``--enhet`` and/or the header; a file problem when missing or contradictory."""
    from_header = unit_from_header(header)
    if option is not None and option not in UNIT_DIGITS:
        report.add(Problem(None, None, option, "enheten ska vara kr eller tkr"))
        return None
    if option and from_header and option != from_header:
        report.add(Problem(None, header, None, f"rubriken säger {from_header} men --enhet säger {option}"))
        return None
    unit = option or from_header
    if unit is None:
        report.add(Problem(None, header, None, "det framgår inte om beloppen är i kr eller tkr: ange --enhet kr "
                                               "eller --enhet tkr, eller skriv det i rubriken (t.ex. ”Belopp (kr)”)"))
    return unit


def to_tkr(ore: int) -> Decimal:
    """Öre → tkr with three decimals (whole kronor), half up."""
    return (Decimal(ore) / ORE_PER_TKR).quantize(TKR3, rounding=ROUND_HALF_UP)


def _exact_ore(value: Decimal, digits: int) -> int | None:
    scaled = (value.scaleb(digits)).to_integral_value(rounding=ROUND_HALF_UP)
    return int(scaled) if abs(scaled) < ORE_LIMIT else None


# --- Reading a big CSV quickly ---------------------------------------------------------------------------


@dataclass
class _Source:
    """A file opened for chunked reading: canonical column → position, and how to parse it."""

    file_name: str
    kind: str  # csv / excel
    headers: list[str]
    columns: dict[str, int]
    encoding: str | None
    separator: str | None
    header_line: int  # 1-based line of the header
    rows_estimate: int
    checksum: str
    _body: bytes | None = None
    _encoding: str = "utf-8"
    _table: Table | None = None
    decimal: str = ","
    thousands: str = " "

    def chunks(self, categorical: Sequence[str], rows: int = CHUNK_ROWS) -> Iterator[tuple[int, pd.DataFrame]]:
        """(first file line of the chunk, DataFrame with canonical column names) per chunk."""
        if self._table is not None:
            frame = pd.DataFrame([{c: r.get(c) for c in self.columns} for r in self._table.rows],
                                 columns=list(self.columns))
            lines = np.array([r.line for r in self._table.rows], dtype=np.int64)
            for start in range(0, len(frame), rows):
                part = frame.iloc[start:start + rows].reset_index(drop=True)
                for c in categorical:
                    if c in part:
                        part[c] = part[c].replace("", np.nan).astype("category")
                part.attrs["lines"] = lines[start:start + rows]
                yield int(lines[start]) if len(lines) else self.header_line + 1, part
            return
        assert self._body is not None
        by_position = {pos: name for name, pos in self.columns.items()}
        reader = pd.read_csv(
            io.BytesIO(self._body), sep=self.separator, header=None, skiprows=self.header_line,
            usecols=sorted(by_position), dtype={p: "category" for p, n in by_position.items() if n in categorical},
            decimal=self.decimal, thousands=self.thousands, keep_default_na=False, na_values=[""],
            skip_blank_lines=False, chunksize=rows, encoding=self._encoding, quotechar='"', engine="c",
        )
        line = self.header_line + 1
        try:
            for part in reader:
                part = part.rename(columns=by_position).reset_index(drop=True)
                yield line, part
                line += len(part)
        except pd.errors.ParserError as exc:
            raise ImportFileError(f"CSV-filen går inte att läsa: {_parser_reason(str(exc), self.header_line)}",
                                  f"The CSV file cannot be read: {exc}") from exc


def _parser_reason(message: str, header_line: int) -> str:
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        return f"rad {int(m[2]) + header_line} har {m[3]} kolumner, raden ovanför har {m[1]} (saknas citattecken?)"
    return message.strip().splitlines()[0]


def _find_header(text: str, wanted: Mapping[str, Iterable[str]], required: Sequence[str]
                 ) -> tuple[int, list[str], str, dict[str, int]]:
    """The header line (0-based), its cells, the separator and column positions; allows a few title lines above."""
    head = text[:200_000].splitlines()[:30]
    first_error: ImportFileError | None = None
    for number, line in enumerate(head):
        if not line.strip():
            continue
        separator = sniff_separator(line)
        cells = [clean_cell(c) for c in next(csv.reader([line], delimiter=separator, quotechar='"'), [])]
        try:
            columns, _extra = match_columns(cells, wanted, required)
        except ImportFileError as exc:
            first_error = first_error or exc
            continue
        return number, cells, separator, columns
    if first_error is not None:
        raise first_error
    raise ImportFileError("Filen är tom.", "The file is empty.")


def _sniff_number_format(source: _Source, position: int) -> tuple[str, str]:
    """(decimal, thousands) for the C parser, from the first rows' amounts."""
    assert source._body is not None
    sample = pd.read_csv(io.BytesIO(source._body), sep=source.separator, header=None, skiprows=source.header_line,
                         usecols=[position], dtype=str, nrows=2000, keep_default_na=False, encoding=source._encoding,
                         on_bad_lines="skip")
    separator = source.separator
    values = sample[position].astype(str).str.strip()
    values = values[values != ""]
    comma_decimal = values.str.contains(r"\d,\d+$", regex=True).sum()
    point_decimal = values.str.contains(r"\d\.\d{1,2}$", regex=True).sum()
    if comma_decimal and not point_decimal:
        decimal = ","
    elif point_decimal and not comma_decimal:
        decimal = "."
    else:
        decimal = "." if separator == "," else ","
    thousands = " "
    if decimal == "," and values.str.contains(r"\d\.\d{3}(?:[.,]|$)", regex=True).any():
        thousands = "."
    elif decimal == "." and values.str.contains(r"\d,\d{3}(?:[.,]|$)", regex=True).any():
        thousands = ","
    return decimal, thousands


_BYTE_SPACES_UTF8 = ((b"\xc2\xa0", b" "), (b"\xe2\x80\xaf", b" "), (b"\xe2\x80\x89", b" "), (b"\xe2\x88\x92", b"-"))
_BYTE_SPACES_CP1252 = ((b"\xa0", b" "),)
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _detect_encoding(data: bytes) -> str:
    """Same answer as ``storage.importing.decode`` without keeping a decoded copy of a big file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode(data)[1]  # "utf-16", or the shared error
    if data.startswith(b"\xef\xbb\xbf"):
        return _utf8_or_raise(data)
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if any(byte in data for byte in _CP1252_UNDEFINED):
        decode(data)  # raises the shared "teckenkodning" error
    return "cp1252"


def _utf8_or_raise(data: bytes) -> str:
    try:
        data[3:].decode("utf-8")
    except UnicodeDecodeError:
        decode(data)  # raises the shared error naming the byte
    return "utf-8-sig"


def open_source(source: Path | bytes, file_name: str, wanted: Mapping[str, Iterable[str]], required: Sequence[str],
                *, amount_column: str | None = None) -> _Source:
    """Open a CSV (vectorised, chunked) or Excel file (via ``storage.importing.read_table``)."""
    if isinstance(source, Path):
        try:
            if source.stat().st_size > MAX_CSV_BYTES:
                raise ImportFileError(f"Filen är för stor (högst {MAX_CSV_BYTES // 2**20} MB).", "The file is too large.")
            data = source.read_bytes()
        except FileNotFoundError as exc:
            raise ImportFileError(f"Filen {source} finns inte.", f"The file {source} does not exist.") from exc
        except IsADirectoryError as exc:
            raise ImportFileError(f"{source} är en mapp, inte en fil.", f"{source} is a folder.") from exc
        except PermissionError as exc:
            raise ImportFileError(f"Filen {source} får inte läsas (behörighet).", f"No permission to read {source}.") from exc
    else:
        data = source
    suffix = Path(file_name).suffix.lower()
    if suffix in EXCEL_SUFFIXES or suffix == ".xls" or (data[:2] == b"PK" and suffix not in (".csv", ".txt", ".tsv")):
        table = read_table(data, wanted, required=required, file_name=file_name)
        return _Source(file_name, "excel", list(table.columns.values()),
                       {name: i for i, name in enumerate(table.columns)}, None, None, 1, len(table.rows),
                       table.checksum, _table=table)
    encoding = _detect_encoding(data)
    if encoding == "utf-16":  # rare (Excel "Unicode text"): transcode once
        data_utf8 = decode(data)[0].encode("utf-8")
        encoding_for_pandas, body = "utf-8", data_utf8
    else:
        body = data[3:] if encoding == "utf-8-sig" else data
        encoding_for_pandas = "cp1252" if encoding == "cp1252" else "utf-8"
    if b"\x00" in body[:10_000]:
        raise ImportFileError("Filen ser inte ut som en textfil (CSV). Är det en Excel-fil med fel filändelse?",
                              "The file does not look like a text (CSV) file.")
    # The true minus and no-break spaces never carry meaning in names: make them what the C parser reads.
    for old, new in (_BYTE_SPACES_CP1252 if encoding_for_pandas == "cp1252" else _BYTE_SPACES_UTF8):
        body = body.replace(old, new)
    head = body[:200_000].decode(encoding_for_pandas, errors="ignore")
    header_line, headers, separator, columns = _find_header(head, wanted, required)
    sample = head.splitlines()[header_line + 1:header_line + 2001]
    per_row = max(1.0, sum(len(line) + 1 for line in sample) / max(1, len(sample)))
    source_ = _Source(file_name, "csv", headers, columns, encoding, separator, header_line + 1,
                      max(1, int(len(body) / per_row)),
                      checksum(data), _body=body, _encoding=encoding_for_pandas)
    if amount_column and amount_column in columns:
        source_.decimal, source_.thousands = _sniff_number_format(source_, columns[amount_column])
    return source_


# --- Amount columns ---------------------------------------------------------------------------------------

AMOUNT_OK, AMOUNT_MISSING, AMOUNT_BAD, AMOUNT_LARGE = 0, 1, 2, 3


def amounts_to_ore(column: pd.Series, digits: int, unit: str) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """(öre as int64, status code per row, raw text of bad rows by position) for one chunk's amount column."""
    n = len(column)
    scale = 10**digits
    if pd.api.types.is_integer_dtype(column.dtype):
        values = column.to_numpy(dtype=np.int64)
        large = np.abs(values) >= ORE_LIMIT // scale
        ore = np.where(large, 0, values) * scale
        status = np.where(large, AMOUNT_LARGE, AMOUNT_OK).astype(np.int8)
        return ore.astype(np.int64), status, {}
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64)
        missing = np.isnan(values)
        scaled = values * scale
        finite = np.isfinite(scaled)
        large = ~missing & (~finite | (np.abs(np.where(finite, scaled, 0)) >= ORE_LIMIT))
        ok = ~missing & ~large
        ore = np.rint(np.where(ok, scaled, 0)).astype(np.int64)
        status = np.full(n, AMOUNT_OK, dtype=np.int8)
        status[missing] = AMOUNT_MISSING
        status[large] = AMOUNT_LARGE
        return ore, status, {int(i): repr(float(values[i])) for i in np.flatnonzero(large)[:MAX_DETAILS]}
    # Text the C parser could not read as numbers: parse each distinct value exactly.
    raw = column.astype(object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    unique_ore = np.zeros(len(uniques), dtype=np.int64)
    unique_status = np.zeros(len(uniques), dtype=np.int8)
    for i, value in enumerate(uniques):
        text_ = str(value)
        if is_missing(text_):
            unique_status[i] = AMOUNT_MISSING
            continue
        try:
            number = parse_number(re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d)", "", text_), units=(unit,))
        except ValueError:
            unique_status[i] = AMOUNT_BAD
            continue
        ore_value = _exact_ore(number, digits)
        if ore_value is None:
            unique_status[i] = AMOUNT_LARGE
        else:
            unique_ore[i] = ore_value
    ore = np.where(codes >= 0, unique_ore[np.maximum(codes, 0)], 0)
    status = np.where(codes >= 0, unique_status[np.maximum(codes, 0)], AMOUNT_MISSING).astype(np.int8)
    bad = np.flatnonzero(status != AMOUNT_OK)[:MAX_DETAILS]
    return ore.astype(np.int64), status, {int(i): "" if codes[i] < 0 else str(uniques[codes[i]]) for i in bad}


_AMOUNT_REASONS = {AMOUNT_MISSING: "belopp saknas", AMOUNT_BAD: "inte ett belopp (t.ex. 1 234,50 eller −1234,5)",
                   AMOUNT_LARGE: "beloppet är orimligt stort"}


def _category_values(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes with −1 for empty, cleaned category texts) of a categorical (or text) column."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    codes = column.cat.codes.to_numpy().astype(np.int64)
    cats = [clean_cell(str(c)) for c in column.cat.categories]
    empty = np.array([c == "" for c in cats] + [True], dtype=bool)  # index −1 → the extra True
    codes = np.where(empty[codes], -1, codes)
    return codes, cats


# --- Mapping files ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeMapping:
    """Codes of one column of the export (e.g. ``Ansvar``) → verksamhetsområde + verksamhet."""

    column: str  # the header as written in the mapping file (matched by ``header_key``)
    targets: dict[str, tuple[str, str]]  # code → (area, verksamhet)
    file_name: str


def read_mapping(source: Path | bytes, file_name: str | None = None) -> CodeMapping:
    """A mapping file: its first column is the export's code column (named as in the export), then
    verksamhetsområde (optional) and verksamhet. Raises ``ImportFileError`` with the rows that are wrong."""
    name = file_name or (source.name if isinstance(source, Path) else "mappningsfilen")
    data = source.read_bytes() if isinstance(source, Path) else source
    text_, _ = decode(data)
    rows = [r for r in csv.reader(io.StringIO(text_, newline=""), delimiter=sniff_separator(text_)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ImportFileError(f"Mappningsfilen {name} har inga rader.", f"The mapping file {name} has no rows.")
    headers = [clean_cell(h) for h in rows[0]]
    rest, _ = match_columns(headers[1:], {"area": AREA, "verksamhet": VERKSAMHET}, ("verksamhet",))
    targets: dict[str, tuple[str, str]] = {}
    wrong: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [clean_cell(c) for c in row] + [""] * len(headers)
        code = cells[0]
        area = cells[1 + rest["area"]] if "area" in rest else ""
        verksamhet = cells[1 + rest["verksamhet"]]
        if not code or not verksamhet:
            wrong.append(f"rad {number}: kod och verksamhet krävs")
        elif code in targets and targets[code] != (area, verksamhet):
            wrong.append(f"rad {number}: koden {code} står redan för {targets[code][1]}")
        else:
            targets[code] = (area, verksamhet)
    if wrong:
        raise ImportFileError(f"Mappningsfilen {name}: " + "; ".join(wrong[:10]), f"Mapping file {name}: errors")
    return CodeMapping(headers[0], targets, name)


# --- Utfall ---------------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """Stage one of an utfall import: per-row arrays over the whole file (names not yet tied to a year)."""

    lines: list[np.ndarray] = field(default_factory=list)  # file line per row
    years: list[np.ndarray] = field(default_factory=list)
    months: list[np.ndarray] = field(default_factory=list)
    pairs: list[np.ndarray] = field(default_factory=list)  # global pair id (−1: nothing named)
    ore: list[np.ndarray] = field(default_factory=list)
    amount_status: list[np.ndarray] = field(default_factory=list)
    period_bad: list[np.ndarray] = field(default_factory=list)
    empty: list[np.ndarray] = field(default_factory=list)
    pair_names: list[tuple[str, str, str]] = field(default_factory=list)  # (area, verksamhet, mapped code or "")
    pair_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    bad_periods: dict[int, str] = field(default_factory=dict)  # file line → raw period
    bad_amounts: dict[int, str] = field(default_factory=dict)
    unmapped: dict[int, str] = field(default_factory=dict)  # file line → code missing from the mapping

    def pair(self, key: tuple[str, str, str]) -> int:
        found = self.pair_ids.get(key)
        if found is None:
            found = self.pair_ids[key] = len(self.pair_names)
            self.pair_names.append(key)
        return found

    def cat(self, name: str) -> np.ndarray:
        arrays = getattr(self, name)
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _parse_utfall(source: _Source, unit: str, mapping: CodeMapping | None, progress: Progress) -> _Parsed:
    parsed = _Parsed()
    digits = UNIT_DIGITS[unit]
    categorical = [c for c in ("period", "area", "verksamhet", "code") if c in source.columns]
    done = 0
    for first_line, chunk in source.chunks(categorical):
        n = len(chunk)
        lines = chunk.attrs.get("lines")
        lines = np.asarray(lines, dtype=np.int64) if lines is not None else np.arange(first_line, first_line + n, dtype=np.int64)

        period_codes, period_cats = _category_values(chunk["period"])
        parsed_periods = [parse_period(c) if c else None for c in period_cats]
        year_of = np.array([p[0] if p else 0 for p in parsed_periods] + [0], dtype=np.int32)
        month_of = np.array([p[1] if p else 0 for p in parsed_periods] + [0], dtype=np.int8)
        years, months = year_of[period_codes], month_of[period_codes]
        period_bad = (period_codes >= 0) & (years == 0)
        for i in np.flatnonzero(period_bad)[: max(0, MAX_DETAILS - len(parsed.bad_periods))]:
            parsed.bad_periods[int(lines[i])] = period_cats[period_codes[i]]

        # Names: (area, verksamhet) pairs, or the mapped pair of a code column.
        area_codes, area_cats = (_category_values(chunk["area"]) if "area" in chunk
                                 else (np.full(n, -1, dtype=np.int64), []))
        verk_codes, verk_cats = (_category_values(chunk["verksamhet"]) if "verksamhet" in chunk
                                 else (np.full(n, -1, dtype=np.int64), []))
        width = len(verk_cats) + 1
        combined = (area_codes + 1) * width + (verk_codes + 1)
        uniq, inverse = np.unique(combined, return_inverse=True)
        pair_of = np.array([
            parsed.pair((area_cats[u // width - 1] if u // width else "", verk_cats[u % width - 1] if u % width else "", ""))
            for u in uniq.tolist()], dtype=np.int64)
        pairs = pair_of[inverse.reshape(-1)]
        if mapping is not None and "code" in chunk:
            code_codes, code_cats = _category_values(chunk["code"])
            mapped = np.array([parsed.pair((*mapping.targets[c], c)) if c in mapping.targets else -1 for c in code_cats]
                              + [-1], dtype=np.int64)
            by_code = mapped[code_codes]
            pairs = np.where(by_code >= 0, by_code, pairs)
            if "verksamhet" not in chunk:
                missing_code = (by_code < 0) & (code_codes >= 0)
                for i in np.flatnonzero(missing_code)[: max(0, MAX_DETAILS - len(parsed.unmapped))]:
                    parsed.unmapped[int(lines[i])] = code_cats[code_codes[i]]
                pairs = np.where(missing_code, -2, pairs)
        nothing_named = (area_codes < 0) & (verk_codes < 0)
        if mapping is not None and "code" in chunk:
            nothing_named &= (code_codes < 0)

        ore, amount_status, bad_amounts = amounts_to_ore(chunk["amount"], digits, unit)
        for i, value in bad_amounts.items():
            if len(parsed.bad_amounts) < MAX_DETAILS:
                parsed.bad_amounts[int(lines[i])] = value
        empty = nothing_named & (period_codes < 0) & (amount_status == AMOUNT_MISSING)

        parsed.lines.append(lines)
        parsed.years.append(years)
        parsed.months.append(months)
        parsed.pairs.append(pairs)
        parsed.ore.append(ore)
        parsed.amount_status.append(amount_status)
        parsed.period_bad.append(period_bad)
        parsed.empty.append(empty)
        done += n
        progress("kontrollerar", done, max(done, source.rows_estimate))
    return parsed


async def import_utfall(store: Store, source: Path | bytes, *, file_name: str | None = None, unit: str | None = None,
                        year: int | None = None, mapping: CodeMapping | None = None, skip_invalid: bool = False,
                        dry_run: bool = False, imported_by_id: int | None = None, via: str = "cli",
                        progress: Progress = _no_progress) -> ImportReport:
    """Read, check and (when all is well, or with ``skip_invalid``) write one utfall file. Never raises for
    bad data: the report says what is wrong; ``report.written`` says whether anything was stored."""
    name = file_name or (source.name if isinstance(source, Path) else "utfall.csv")
    report = ImportReport("utfall", name, skipped_invalid=skip_invalid, dry_run=dry_run)
    wanted: dict[str, Iterable[str]] = {"period": PERIOD, "area": AREA, "verksamhet": VERKSAMHET, "amount": AMOUNT}
    required: tuple[str, ...] = ("period", "amount") if mapping is not None else ("period", "verksamhet", "amount")
    if mapping is not None:
        wanted["code"] = (mapping.column,)
        required = (*required, "code")
    try:
        opened = await asyncio.to_thread(open_source, source, name, wanted, required, amount_column="amount")
    except ImportFileError as exc:
        report.add(Problem(None, None, None, exc.sv))
        report.problem_count = 1
        return report
    report.encoding, report.separator = opened.encoding, opened.separator
    amount_header = opened.headers[opened.columns["amount"]]
    report.unit = _unit(amount_header, unit, report)
    if report.unit is None:
        report.problem_count = 1
        return report

    try:
        parsed = await asyncio.to_thread(_parse_utfall, opened, report.unit, mapping, progress)
    except ImportFileError as exc:
        report.add(Problem(None, None, None, exc.sv))
        report.problem_count = 1
        return report

    lines, years, months = parsed.cat("lines"), parsed.cat("years"), parsed.cat("months")
    pairs, ore, amount_status = parsed.cat("pairs"), parsed.cat("ore"), parsed.cat("amount_status")
    period_bad, empty = parsed.cat("period_bad").astype(bool), parsed.cat("empty").astype(bool)
    report.rows_empty = int(empty.sum())
    report.rows_read = int(len(lines) - report.rows_empty)

    budget_years = await _years_with_budget(store)
    if year is None:
        valid_years = years[(years > 0) & ~empty]
        if len(valid_years) == 0:
            report.add(Problem(None, "period", None, "ingen rad har en period som går att läsa (t.ex. 2018-04)"))
        else:
            values, counts = np.unique(valid_years, return_counts=True)
            year = int(values[np.argmax(counts)])
    if year is not None and year not in budget_years:
        shown = ", ".join(map(str, budget_years)) or "inga"
        report.add(Problem(None, "period", str(year), f"det finns ingen budget för {year} i Tavla (budgetår: {shown}) "
                                                      "– importera den först med tavla import budget"))
    if report.problems:
        report.problem_count = 1
        return report
    assert year is not None
    report.year = year

    async with store.session() as session:
        index = await name_index(session, year)
    has_area = "area" in opened.columns
    line_of_pair = np.full(len(parsed.pair_names) + 2, -1, dtype=np.int64)  # [-2], [-1] stay −1
    pair_problem: dict[int, Problem] = {}
    for pid, (area, verksamhet, code) in enumerate(parsed.pair_names):
        line_id, problem = index.resolve(area, verksamhet, area_column=has_area)
        if line_id is not None:
            line_of_pair[pid] = line_id
        elif problem is not None:
            if code:
                problem = Problem(None, opened.headers[opened.columns["code"]], code,
                                  f"mappningsfilen ger ”{verksamhet}”{f' i {area}' if area else ''}: {problem.reason}")
            pair_problem[pid] = problem
    row_lines = line_of_pair[pairs]

    wrong_year = (years > 0) & (years != year) & ~period_bad
    bad_period = ((years == 0) | wrong_year) & ~empty
    bad_name = (row_lines < 0) & ~empty
    bad_amount = (amount_status != AMOUNT_OK) & ~empty
    bad = bad_period | bad_name | bad_amount
    report.problem_count = int(bad.sum())
    report.rows_valid = int((~bad & ~empty).sum())

    if report.problem_count:
        for i in np.flatnonzero(bad)[:MAX_DETAILS].tolist():
            line = int(lines[i])
            if bad_period[i]:
                raw = parsed.bad_periods.get(line)
                if years[i] == 0 and raw is None:
                    report.add(Problem(line, "period", "", "period saknas"), count_row=False)
                elif years[i] == 0:
                    report.add(Problem(line, "period", raw, "okänd period (skriv t.ex. 2018-04 eller 201804)"), count_row=False)
                else:
                    report.add(Problem(line, "period", f"{years[i]}-{months[i]:02d}",
                                       f"utanför budgetåret {year}"), count_row=False)
            if bad_name[i]:
                pid = int(pairs[i])
                if pid == -2:
                    code_header = opened.headers[opened.columns["code"]]
                    report.add(Problem(line, code_header, parsed.unmapped.get(line, ""),
                                       f"koden finns inte i mappningsfilen {mapping.file_name if mapping else ''}".strip()),
                               count_row=False)
                elif pid in pair_problem:
                    p = pair_problem[pid]
                    report.add(Problem(line, p.column, p.value, p.reason), count_row=False)
                else:
                    report.add(Problem(line, "verksamhet", "", "verksamhet saknas"), count_row=False)
            if bad_amount[i]:
                report.add(Problem(line, amount_header, parsed.bad_amounts.get(line, ""),
                                   _AMOUNT_REASONS[int(amount_status[i])]), count_row=False)
        # counts per reason over every bad row (details above are capped)
        report.reasons.clear()
        for mask, column, reason in ((bad_period & (years == 0), "period", "okänd period eller saknas"),
                                     (bad_period & wrong_year, "period", "utanför budgetåret"),
                                     *((bad_amount & (amount_status == code), amount_header, _reason_kind(text_))
                                       for code, text_ in _AMOUNT_REASONS.items())):
            if mask.any():
                report.reasons[(column, reason)] += int(mask.sum())
        if bad_name.any():
            kinds = Counter(_reason_kind(pair_problem[p].reason) if p in pair_problem else "koden finns inte i mappningsfilen"
                            for p in pairs[bad_name].tolist())
            for reason, k in kinds.items():
                report.reasons[("verksamhet", reason)] += k
        if not skip_invalid:
            return report

    valid = ~bad & ~empty
    if not valid.any():
        report.lines.append("Ingen felfri rad att läsa in.")
        return report
    frame = pd.DataFrame({"line": row_lines[valid], "month": months[valid].astype(np.int64), "ore": ore[valid]})
    sums = frame.groupby(["line", "month"], sort=True)["ore"].sum()
    rows = [{"budget_line_id": int(line_id), "year": year, "month": int(month), "amount": to_tkr(int(total))}
            for (line_id, month), total in sums.items()]
    replaced = sorted({r["month"] for r in rows})
    total_tkr = sum((r["amount"] for r in rows), Decimal(0))
    report.summary = {"year": year, "months": replaced, "rows_read": report.rows_read, "rows_valid": report.rows_valid,
                      "lines": len({r["budget_line_id"] for r in rows}), "utfall_rows": len(rows),
                      "total_tkr": str(total_tkr), "unit": report.unit, "invalid_rows": report.problem_count,
                      "encoding": opened.encoding, "separator": opened.separator}
    if dry_run:  # a month stored already is replaced as a whole; a new one is added
        async with store.read_session() as session:
            stored = dict((await session.execute(
                select(Utfall.month, func.count()).where(
                    Utfall.year == year, Utfall.month.in_(replaced),
                    Utfall.budget_line_id.in_(select(BudgetLine.id).where(BudgetLine.year == year)))
                .group_by(Utfall.month))).all())
        new_months = [m for m in replaced if m not in stored]
        lines = len({r["budget_line_id"] for r in rows})
        what = (f"{_n(len(rows))} belopp för {lines} {'verksamhet' if lines == 1 else 'verksamheter'}, "
                f"summa {_tkr(total_tkr)}")
        if stored:
            also = f"; {_months_text(new_months)} är ny" if new_months else ""
            report.lines.append(f"Skulle ersätta {_months_text(sorted(stored))} {year} (i dag {_n(sum(stored.values()))} "
                                f"belopp){also}: {what}.")
        else:
            report.lines.append(f"Skulle lägga till {_months_text(replaced)} {year} (inget utfall för "
                                f"{'den månaden' if len(replaced) == 1 else 'de månaderna'} än): {what}.")
        return report

    progress("skriver", 0, 1)
    async with store.session() as session:
        await _lock(session, store)
        same = (await session.execute(
            select(ImportBatch.imported_at).where(ImportBatch.kind == "utfall", ImportBatch.checksum == opened.checksum)
            .order_by(ImportBatch.id.desc()).limit(1))).scalar_one_or_none()
        year_lines = select(BudgetLine.id).where(BudgetLine.year == year).scalar_subquery()
        previous = await session.scalar(select(func.count()).select_from(Utfall).where(
            Utfall.year == year, Utfall.month.in_(replaced), Utfall.budget_line_id.in_(year_lines)))
        batch = ImportBatch(kind="utfall", file_name=name[:300], checksum=opened.checksum, rows=report.rows_valid,
                            imported_by_id=imported_by_id, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        await session.execute(delete(Utfall).where(Utfall.year == year, Utfall.month.in_(replaced),
                                                   Utfall.budget_line_id.in_(year_lines)))
        await session.execute(insert(Utfall), [{**r, "import_id": batch.id, "is_demo": False} for r in rows])
        present = set((await session.execute(
            select(Utfall.month).where(Utfall.year == year, Utfall.budget_line_id.in_(year_lines)).distinct()
        )).scalars())
        status = await recompute_status(session, year)
        line_count = len(index.line_names)
    progress("skriver", 1, 1)
    report.written, report.batch_id = True, batch.id
    through = max(present)
    report.lines.append(f"Ersatte {_months_text(replaced)} {year}: {_n(len(rows))} belopp för "
                        f"{len({r['budget_line_id'] for r in rows})} av {line_count} verksamheter "
                        f"(tidigare {_n(previous or 0)} belopp), summa {_tkr(total_tkr)}.")
    report.lines.append(f"Budgetläget är omräknat: utfall t.o.m. {MONTHS_SV[through - 1]} {year} "
                        f"för {len(status)} budgetrader.")
    gaps = [m for m in range(1, through) if m not in present]
    if gaps:
        report.warnings.append(f"{_months_text(gaps)} {year} saknas – de räknas som 0 i utfallet t.o.m. "
                               f"{MONTHS_SV[through - 1]} tills de importeras.")
    if same is not None:
        report.warnings.append(f"samma fil importerades redan {same.date().isoformat()}; månaderna ersattes med "
                               "samma belopp (inget dubblerades).")
    return report


def _months_text(months: Sequence[int]) -> str:
    names = [MONTHS_SV[m - 1] for m in sorted(months)]
    if len(names) > 2 and list(sorted(months)) == list(range(min(months), max(months) + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names[:-1]) + (" och " if len(names) > 1 else "") + names[-1] if names else ""


def _tkr(value: Decimal) -> str:
    sign = "−" if value < 0 else ""
    whole, _, frac = f"{abs(value.quantize(TKR1, rounding=ROUND_HALF_UP)):f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", "\u00a0") + f",{frac or '0'}\u00a0tkr"


async def _lock(session: AsyncSession, store: Store) -> None:
    if store.dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BUDGET_IMPORT_LOCK})


# --- Small files: profile, internbudget, prognosis -----------------------------------------------------------


def _read_small(source: Path | bytes, name: str, wanted: Mapping[str, Iterable[str]], required: Sequence[str],
                report: ImportReport) -> Table | None:
    try:
        table = read_table(source, wanted, required=required, file_name=name)
    except ImportFileError as exc:
        report.add(Problem(None, None, None, exc.sv))
        report.problem_count = 1
        return None
    report.encoding, report.separator = table.encoding, table.separator
    report.rows_read = len(table.rows)
    return table


def _year_from(table: Table, option: int | None, fallback: int | None, name: str, report: ImportReport) -> int | None:
    """The year: ``--år``, else an år column (one value), else a year in the file name, else ``fallback``."""
    if option is not None:
        return option
    if "year" in table.columns:
        found = {clean_cell(r.get("year")) for r in table.rows if clean_cell(r.get("year"))}
        if len(found) == 1 and (value := found.pop()).isdigit():
            return int(value)
        if found:
            report.add(Problem(None, table.columns["year"], ", ".join(sorted(found))[:80],
                               "en fil ska gälla ett år (använd --år)"))
            return None
    m = re.search(r"(?<!\d)(20\d{2})(?!\d)", name)
    if m:
        return int(m[1])
    return fallback


def _row_problem(report: ImportReport, row: int, column: str, value: str, reason: str) -> None:
    report.add(Problem(row, column, value, reason), count_row=True)


def _finish_rows(report: ImportReport, bad_rows: set[int]) -> None:
    report.problem_count = len(bad_rows) + (1 if report.file_problem else 0)
    report.rows_valid = report.rows_read - len(bad_rows)


PROFILE_MONTHS: dict[str, tuple[str, ...]] = {
    f"m{m}": (MONTHS_SV[m - 1], MONTHS_SV[m - 1][:3], str(m), f"{m:02d}", f"m{m:02d}",
              ("may" if m == 5 else "oct" if m == 10 else MONTHS_SV[m - 1][:3]))
    for m in range(1, 13)
}


async def import_profile(store: Store, source: Path | bytes, *, file_name: str | None = None, year: int | None = None,
                         default_year: int | None = None, skip_invalid: bool = False, dry_run: bool = False,
                         imported_by_id: int | None = None, via: str = "cli") -> ImportReport:
    """Monthly profiles: twelve shares per verksamhet (a column per month, or månad + andel rows), summing to 1
    (or 100 %). Replaces the profile of every verksamhet in the file."""
    name = file_name or (source.name if isinstance(source, Path) else "profil.csv")
    report = ImportReport("profil", name, skipped_invalid=skip_invalid, dry_run=dry_run)
    wanted: dict[str, Iterable[str]] = {"area": AREA, "verksamhet": VERKSAMHET, "month": ("månad", "manad", "month"),
                                        "share": ("andel", "andel (%)", "andel %", "share", "procent"),
                                        "year": YEAR, **PROFILE_MONTHS}
    table = _read_small(source, name, wanted, ("verksamhet",), report)
    if table is None:
        return report
    wide = [f"m{m}" for m in range(1, 13) if f"m{m}" in table.columns]
    long_form = "month" in table.columns and "share" in table.columns
    if len(wide) != 12 and not long_form:
        report.add(Problem(None, None, None, "profilen behöver tolv månadskolumner (jan … dec eller 1 … 12) "
                                             "eller kolumnerna månad och andel"))
        report.problem_count = 1
        return report
    percent_header = any("%" in h or "procent" in h.lower() for h in table.columns.values())
    target_year = _year_from(table, year, default_year, name, report)
    years = await _years_with_budget(store)
    if target_year is None or target_year not in years:
        report.add(Problem(None, None, str(target_year or ""),
                           f"ange budgetåret med --år (budgetår i Tavla: {', '.join(map(str, years)) or 'inga'})"))
    if report.problems:
        report.problem_count = 1
        return report
    report.year = target_year
    async with store.session() as session:
        index = await name_index(session, target_year)

    shares: dict[int, dict[int, Decimal]] = {}
    rows_of: dict[int, list[int]] = {}
    bad: set[int] = set()
    for row in table.rows:
        line_id, problem = index.resolve(row.get("area"), row.get("verksamhet"), area_column="area" in table.columns)
        if problem is not None:
            _row_problem(report, row.line, problem.column or "", problem.value or "", problem.reason)
            bad.add(row.line)
            continue
        assert line_id is not None
        cells = ([(m, row.get(f"m{m}"), table.columns[f"m{m}"]) for m in range(1, 13)] if len(wide) == 12
                 else [(None, row.get("month"), table.columns["month"])])
        if len(wide) != 12:
            month = parse_period(f"2000-{row.get('month')}") if row.get("month").isdigit() else None
            month_no = month[1] if month else MONTH_NAMES.get(row.get("month").lower().rstrip("."))
            if month_no is None:
                _row_problem(report, row.line, table.columns["month"], row.get("month"), "okänd månad (1–12 eller jan–dec)")
                bad.add(row.line)
                continue
            cells = [(month_no, row.get("share"), table.columns["share"])]
        for month_no, value, header in cells:
            try:
                share = parse_number(value, units=("%",))
            except ValueError as exc:
                _row_problem(report, row.line, header, value, str(exc))
                bad.add(row.line)
                continue
            if month_no in shares.get(line_id, {}):
                _row_problem(report, row.line, header, value, f"{MONTHS_SV[month_no - 1]} står redan för verksamheten")
                bad.add(row.line)
                continue
            shares.setdefault(line_id, {})[month_no] = share
        rows_of.setdefault(line_id, []).append(row.line)

    normalised: dict[int, dict[int, Decimal]] = {}
    for line_id, months in shares.items():
        total = sum(months.values(), Decimal(0))
        if percent_header or (len(months) == 12 and abs(total - 100) <= 1):
            months = {m: v / 100 for m, v in months.items()}
        try:
            normalised[line_id] = normalise_profile(months)
        except BudgetDataError as exc:
            for line in rows_of[line_id]:
                if line not in bad:
                    _row_problem(report, line, "andel", "", f"{index.line_names[line_id]}: {exc}")
                    bad.add(line)
    _finish_rows(report, bad)
    valid_lines = {lid: prof for lid, prof in normalised.items() if not set(rows_of[lid]) & bad}
    if report.problem_count and not skip_invalid:
        return report
    if not valid_lines:
        report.lines.append("Ingen felfri profil att läsa in.")
        return report
    report.summary = {"year": target_year, "lines": sorted(valid_lines)}
    names = ", ".join(sorted(index.line_names[i] for i in valid_lines))
    if dry_run:
        report.lines.append(f"Skulle spara månadsprofil för {len(valid_lines)} verksamheter: {names}.")
        return report
    async with store.session() as session:
        await _lock(session, store)
        batch = ImportBatch(kind="profil", file_name=name[:300], checksum=table.checksum, rows=report.rows_valid,
                            imported_by_id=imported_by_id, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        await session.execute(delete(BudgetProfile).where(BudgetProfile.budget_line_id.in_(list(valid_lines))))
        await session.execute(insert(BudgetProfile), [
            {"budget_line_id": lid, "month": m, "share": share, "import_id": batch.id}
            for lid, profile in valid_lines.items() for m, share in sorted(profile.items())])
        await recompute_status(session, target_year)
    report.written, report.batch_id = True, batch.id
    report.lines.append(f"Sparade månadsprofil för {len(valid_lines)} verksamheter ({names}); "
                        "periodiserad budget och prognos är omräknade.")
    return report


BUDGET_COLUMNS: dict[str, Iterable[str]] = {
    "area": ("area", *AREA), "verksamhet": VERKSAMHET,
    "net_cost": ("net_cost_tkr", "net_cost", "nettokostnad", "nettokostnad (tkr)", "nettokostnad tkr",
                 "nettokostnad (kr)", "budget", "budget (tkr)", "budget tkr", "budget (kr)", "internbudget", "belopp",
                 "belopp (tkr)", "belopp (kr)"),
    "sort_order": ("sort_order", "ordning", "sortering", "nr"),
    "scb_code": ("scb_code", "scb-kod", "scb kod", "scbkod", "verksamhetskod (scb)"),
    "source": ("source", "källa", "kalla"),
    "year": YEAR,
}
TOTAL_WORDS = ("total", "total budget", "totalt", "summa", "summa budget")


async def import_budget(store: Store, source: Path | bytes, *, file_name: str | None = None, year: int | None = None,
                        unit: str | None = None, skip_invalid: bool = False, dry_run: bool = False,
                        imported_by_id: int | None = None, via: str = "cli") -> ImportReport:
    """A year's internbudget in the seed's shape (area;sort_order;verksamhet;net_cost_tkr;scb_code;source).

    Lines already in the store for that year are updated, new ones added; lines missing from the file are
    kept (and named in the report) because utfall may hang on them. A "Total" row per area is checked
    against the sum of its lines."""
    name = file_name or (source.name if isinstance(source, Path) else "budget.csv")
    report = ImportReport("budget", name, skipped_invalid=skip_invalid, dry_run=dry_run)
    table = _read_small(source, name, BUDGET_COLUMNS, ("area", "verksamhet", "net_cost"), report)
    if table is None:
        return report
    report.unit = _unit(table.columns["net_cost"], unit, report)
    target_year = _year_from(table, year, None, name, report)
    if target_year is None and not report.problems:
        report.add(Problem(None, None, None, "ange budgetåret med --år (eller en kolumn år, eller året i filnamnet)"))
    if report.problems or report.unit is None:
        report.problem_count = 1
        return report
    assert target_year is not None
    report.year = target_year
    async with store.session() as session:
        units = (await session.execute(select(OrgUnit).where(
            OrgUnit.kind == "verksamhetsomrade", OrgUnit.valid_from <= target_year,
            (OrgUnit.valid_to.is_(None)) | (OrgUnit.valid_to >= target_year)))).scalars().all()
        year_lines = (await session.execute(select(BudgetLine).where(BudgetLine.year == target_year))).scalars().all()
    existing = {(line.org_unit_id, name_key(line.verksamhet)): line.id for line in year_lines}
    existing_names = {line.id: line.verksamhet for line in year_lines}
    areas: dict[str, int] = {}
    for u in units:
        for n in (u.name, u.code, *(u.synonyms or [])):
            areas.setdefault(name_key(str(n)), u.id)
    area_names = {u.id: u.name for u in units}

    parsed: dict[tuple[int, str], dict[str, Any]] = {}
    totals: dict[int, tuple[int, Decimal]] = {}
    bad: set[int] = set()
    order: Counter[int] = Counter()
    for row in table.rows:
        area_id = areas.get(name_key(row.get("area")))
        if area_id is None:
            _row_problem(report, row.line, table.columns["area"], row.get("area"),
                         f"okänt verksamhetsområde för {target_year}")
            bad.add(row.line)
            continue
        verksamhet = clean_cell(row.get("verksamhet"))
        try:
            amount = parse_number(row.get("net_cost"), units=(report.unit,))
        except ValueError as exc:
            _row_problem(report, row.line, table.columns["net_cost"], row.get("net_cost"), str(exc))
            bad.add(row.line)
            continue
        net_cost = amount / 1000 if report.unit == "kr" else amount
        rounded = net_cost.quantize(TKR1, rounding=ROUND_HALF_UP)
        if name_key(verksamhet) in TOTAL_WORDS:
            totals[area_id] = (row.line, rounded)
            continue
        if not verksamhet:
            _row_problem(report, row.line, table.columns["verksamhet"], "", "verksamhet saknas")
            bad.add(row.line)
            continue
        if len(verksamhet) > 200:
            _row_problem(report, row.line, table.columns["verksamhet"], verksamhet[:40] + "…", "namnet är för långt (högst 200 tecken)")
            bad.add(row.line)
            continue
        key = (area_id, name_key(verksamhet))
        if key in parsed:
            _row_problem(report, row.line, table.columns["verksamhet"], verksamhet,
                         f"står redan på rad {parsed[key]['line']} för {area_names[area_id]}")
            bad.add(row.line)
            continue
        sort_raw = clean_cell(row.get("sort_order"))
        order[area_id] += 1
        if sort_raw and not sort_raw.isdigit():
            _row_problem(report, row.line, table.columns.get("sort_order", "sort_order"), sort_raw, "ska vara ett heltal")
            bad.add(row.line)
            continue
        if rounded != net_cost:
            report.warnings.append(f"rad {row.line}: {verksamhet} avrundad till {_tkr(rounded)} (budget i tkr med en decimal)")
        parsed[key] = {"line": row.line, "area_id": area_id, "verksamhet": verksamhet, "net_cost": rounded,
                       "sort_order": int(sort_raw) if sort_raw else order[area_id],
                       "scb_code": clean_cell(row.get("scb_code"))[:32] or None,
                       "source": (clean_cell(row.get("source")) or f"import {name}")[:200]}
    for area_id, (line, total) in totals.items():
        summed = sum((p["net_cost"] for p in parsed.values() if p["area_id"] == area_id), Decimal(0))
        if summed != total:
            _row_problem(report, line, table.columns["net_cost"], _tkr(total).replace("\u00a0", " "),
                         f"totalen för {area_names[area_id]} stämmer inte med raderna ({_tkr(summed)})")
            bad.add(line)
    _finish_rows(report, bad)
    if report.problem_count and not skip_invalid:
        return report
    if not parsed:
        report.lines.append("Ingen felfri budgetrad att läsa in.")
        return report
    new = [p for k, p in parsed.items() if k not in existing]
    changed = [(existing[k], p) for k, p in parsed.items() if k in existing]
    missing = [existing_names[i] for k, i in existing.items() if k not in parsed]
    total = sum((p["net_cost"] for p in parsed.values()), Decimal(0))
    report.summary = {"year": target_year, "new": len(new), "updated": len(changed), "kept": len(missing),
                      "total_tkr": str(total)}
    if dry_run:
        report.lines.append(f"Skulle läsa in {len(parsed)} budgetrader för {target_year} ({len(new)} nya, "
                            f"{len(changed)} uppdaterade), summa {_tkr(total)}.")
        return report
    async with store.session() as session:
        await _lock(session, store)
        batch = ImportBatch(kind="budget", file_name=name[:300], checksum=table.checksum, rows=len(parsed),
                            imported_by_id=imported_by_id, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        if new:
            await session.execute(insert(BudgetLine), [
                {"year": target_year, "org_unit_id": p["area_id"], "verksamhet": p["verksamhet"],
                 "verksamhet_code": p["scb_code"], "net_cost": p["net_cost"], "sort_order": p["sort_order"],
                 "source": p["source"], "is_demo": False} for p in new])
        for line_id, p in changed:
            await session.execute(update(BudgetLine).where(BudgetLine.id == line_id).values(
                verksamhet=p["verksamhet"], verksamhet_code=p["scb_code"], net_cost=p["net_cost"],
                sort_order=p["sort_order"], source=p["source"]))
        await recompute_status(session, target_year)
    report.written, report.batch_id = True, batch.id
    report.lines.append(f"Internbudget {target_year}: {len(parsed)} rader ({len(new)} nya, {len(changed)} "
                        f"uppdaterade), summa {_tkr(total)}.")
    if missing:
        report.warnings.append(f"{len(missing)} budgetrader för {target_year} fanns i Tavla men inte i filen och "
                               f"behölls: {', '.join(sorted(missing)[:10])}{' …' if len(missing) > 10 else ''}")
    return report


PROGNOSIS_COLUMNS: dict[str, Iterable[str]] = {
    "area": AREA, "verksamhet": VERKSAMHET,
    "amount": ("prognos", "prognos (tkr)", "prognos tkr", "prognos (kr)", "prognos kr", "helårsprognos",
               "helårsprognos (tkr)", "helårsprognos (kr)", "helarsprognos", "belopp", "belopp (tkr)", "belopp (kr)",
               "prognosis"),
    "note": ("kommentar", "anteckning", "not", "note", "motivering"),
    "year": YEAR,
}


async def import_prognosis(store: Store, source: Path | bytes, *, file_name: str | None = None, year: int | None = None,
                           default_year: int | None = None, unit: str | None = None, skip_invalid: bool = False,
                           dry_run: bool = False, imported_by_id: int | None = None, via: str = "cli",
                           now: datetime | None = None) -> ImportReport:
    """Manual helårsprognoser (one per verksamhet); each overrides the computed prognosis of its line.
    Prognoses are kept (append-only) so prognossäkerhet can be followed up. ``now`` is the app's clock
    (pinned in a demo), so a prognosis entered in chat and one imported compare in the same time."""
    name = file_name or (source.name if isinstance(source, Path) else "prognos.csv")
    report = ImportReport("prognos", name, skipped_invalid=skip_invalid, dry_run=dry_run)
    table = _read_small(source, name, PROGNOSIS_COLUMNS, ("verksamhet", "amount"), report)
    if table is None:
        return report
    report.unit = _unit(table.columns["amount"], unit, report)
    target_year = _year_from(table, year, default_year, name, report)
    years = await _years_with_budget(store)
    if not report.problems and (target_year is None or target_year not in years):
        report.add(Problem(None, None, str(target_year or ""),
                           f"ange budgetåret med --år (budgetår i Tavla: {', '.join(map(str, years)) or 'inga'})"))
    if report.problems or report.unit is None:
        report.problem_count = 1
        return report
    assert target_year is not None
    report.year = target_year
    async with store.session() as session:
        index = await name_index(session, target_year)
    found: dict[int, tuple[int, Decimal, str | None]] = {}
    bad: set[int] = set()
    for row in table.rows:
        line_id, problem = index.resolve(row.get("area"), row.get("verksamhet"), area_column="area" in table.columns)
        if problem is not None:
            _row_problem(report, row.line, problem.column or "", problem.value or "", problem.reason)
            bad.add(row.line)
            continue
        assert line_id is not None
        try:
            amount = parse_number(row.get("amount"), units=(report.unit,))
        except ValueError as exc:
            _row_problem(report, row.line, table.columns["amount"], row.get("amount"), str(exc))
            bad.add(row.line)
            continue
        if line_id in found:
            _row_problem(report, row.line, table.columns.get("verksamhet", "verksamhet"), row.get("verksamhet"),
                         f"har redan en prognos på rad {found[line_id][0]}")
            bad.add(row.line)
            continue
        tkr = (amount / 1000 if report.unit == "kr" else amount).quantize(TKR3, rounding=ROUND_HALF_UP)
        found[line_id] = (row.line, tkr, clean_cell(row.get("note")) or None)
    _finish_rows(report, bad)
    if report.problem_count and not skip_invalid:
        return report
    if not found:
        report.lines.append("Ingen felfri prognos att läsa in.")
        return report
    report.summary = {"year": target_year, "lines": sorted(found)}
    if dry_run:
        report.lines.append(f"Skulle spara {len(found)} helårsprognoser för {target_year}.")
        return report
    async with store.session() as session:
        await _lock(session, store)
        batch = ImportBatch(kind="prognos", file_name=name[:300], checksum=table.checksum, rows=len(found),
                            imported_by_id=imported_by_id, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        await session.execute(insert(BudgetPrognosis), [
            {"budget_line_id": lid, "year": target_year, "amount": amount, "note": note, "entered_by_id": imported_by_id,
             "via": via, "import_id": batch.id, "entered_at": now or utcnow()} for lid, (_, amount, note) in found.items()])
        await recompute_status(session, target_year)
    report.written, report.batch_id = True, batch.id
    report.lines.append(f"Sparade {len(found)} helårsprognoser för {target_year}; de ersätter den beräknade "
                        "prognosen för sina verksamheter.")
    return report
