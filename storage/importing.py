"""Reading the files Swedish kommuner export (CSV and Excel) into plain text cells, before any import.

Shared by every importer (indicator values, budget, utfall, handlingsplaner). What it copes with:

- **Encoding**: UTF-8 with or without BOM, else Windows-1252 (what Excel and Raindance/Visma exports on
  Swedish Windows write). Bytes that are neither are a clear error, never silently replaced.
- **Separator**: ``;`` (Swedish Excel, because the comma is the decimal sign), ``,`` or tab; found from
  the header line, outside quotes.
- **Numbers** (``parse_number``): decimal comma or point, thousands grouped by space, no-break space
  (U+00A0), narrow no-break space (U+202F) or apostrophe, the true minus sign ``−`` (U+2212) and the
  en dash used as one, a leading ``+``, an optional unit after the number (``%``, ``tkr``, ``kr``).
  ``1.234`` alone is read as one point two three four (a decimal point): thousands grouped by points
  are only accepted together with a decimal comma (``1.234,5``) or in several groups (``1.234.567``).
- **Excel** (.xlsx/.xlsm): cells are read as values (numbers stay exact: an Excel number becomes the
  shortest decimal text that round-trips, ``94.2`` not ``94.19999``), dates become ``YYYY-MM-DD``, and a
  number in a percent format is read as Excel shows it: 0.953 formatted ``0,0 %`` is ``95.3 %``.

Everything is returned as text (``Table.rows`` of ``Row``): each importer parses and validates its own
columns, so it can report every bad row with its line number in the file before writing anything.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from followup.errors import UserError

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv", "")
SEPARATORS = (";", ",", "\t")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000

_SPACES = ("\u00a0", "\u202f", "\u2009", "\u2007", " ", "'", "’")
_MINUS = ("\u2212", "\u2013", "\u2012", "\ufe63", "\uff0d")
_MISSING = {"", "-", "–", "—", "..", "…", "n/a", "na", "saknas", "uppgift saknas"}
_UNITS = ("%", "procent", "tkr", "mkr", "kr", "st", "poäng", "p")
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_GROUPED_COMMA_DEC = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")  # 1.234,5
_GROUPED_POINT_DEC = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$")  # 1,234.5
_GROUPED_POINTS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$")  # 1.234.567
_GROUPED_COMMAS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3}){2,}$")  # 1,234,567


class ImportFileError(UserError):
    """The file as a whole cannot be read (encoding, format, missing columns): nothing was imported."""


@dataclass(frozen=True)
class Row:
    """One data row: ``line`` is where it is in the file (header = line 1 for CSV, its sheet row for Excel)."""

    line: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Table:
    """A read file: its rows as text under the importer's own column names, and how it was read."""

    rows: tuple[Row, ...]
    columns: Mapping[str, str]  # importer's column name → header as written in the file
    kind: str  # "csv" or "excel"
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    checksum: str = ""
    extra_columns: tuple[str, ...] = field(default=())  # headers the importer did not ask for


# --- Bytes → text --------------------------------------------------------------------------


def checksum(data: bytes) -> str:
    """SHA-256 of the file's bytes (stored on the import batch; equal files have equal sums)."""
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (BOM or not), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"Filen börjar som UTF-8 men byte {exc.start + 3} är inte UTF-8. Spara den igen som "
                "”CSV UTF-8” eller ”CSV (semikolonavgränsad)”.",
                "The file starts as UTF-8 but is not valid UTF-8; save it again as CSV UTF-8.",
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Filen är UTF-16 men går inte att läsa.", "The UTF-16 file cannot be read.") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"Filens teckenkodning känns inte igen (byte {exc.start}). Spara den som ”CSV UTF-8” och försök igen.",
            f"The file's character encoding is not recognised (byte {exc.start}). Save it as CSV UTF-8.",
        ) from exc


def sniff_separator(text: str) -> str:
    """``;``, ``,`` or tab: the one that occurs most in the header line (outside quotes); ``;`` on a tie."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    outside, quoted = [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: (counts[sep], sep == ";"))
    return best if counts[best] > 0 else ";"


# --- Cells ---------------------------------------------------------------------------------


def clean_cell(value: str) -> str:
    """Unicode NFC, no-break spaces to spaces, trimmed; what every cell goes through."""
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")
    return " ".join(value.split())


def header_key(header: str) -> str:
    """How headers are compared: lower case, å/ä/ö folded, punctuation and spaces to one ``_``."""
    folded = clean_cell(header).lower().translate(str.maketrans("åäöéü", "aaoeu"))
    return re.sub(r"[^a-z0-9%]+", "_", folded).strip("_")


def is_missing(value: str) -> bool:
    """An empty cell or a printed dash / "saknas": no value (never zero)."""
    return clean_cell(value).lower() in _MISSING


def parse_number(value: str, *, units: Sequence[str] = _UNITS) -> Decimal:
    """A Swedish (or English) number as a Decimal; raises ``ValueError`` with a Swedish reason.

    ``"1 234,5"``, ``"1\u00a0234,5"``, ``"−3,2"``, ``"95,3 %"``, ``"1.234,5"``, ``"6147"``, ``"94.2"``.
    """
    raw = unicodedata.normalize("NFC", value).strip()
    if is_missing(raw):
        raise ValueError("värde saknas")
    lowered = raw.lower()
    for unit in sorted(units, key=len, reverse=True):
        if lowered.endswith(unit) and (unit == "%" or len(lowered) == len(unit) or not lowered[-len(unit) - 1].isalpha()):
            raw = raw[: len(raw) - len(unit)].strip()
            break
    for minus in _MINUS:
        raw = raw.replace(minus, "-")
    negative_parens = raw.startswith("(") and raw.endswith(")")
    if negative_parens:
        raw = "-" + raw[1:-1].strip()
    compact = raw
    for space in _SPACES:
        compact = compact.replace(space, "")
    if raw != compact and not re.fullmatch(r"[+-]?\d{1,3}(?:[\s\u00a0\u202f\u2009\u2007'’]\d{3})+(?:[.,]\d+)?", raw):
        raise ValueError(f"”{value.strip()}” är inte ett tal (mellanslag bara mellan tusental)")
    if _PLAIN.match(compact):
        text = compact.replace(",", ".")
    elif _GROUPED_COMMA_DEC.match(compact):
        text = compact.replace(".", "").replace(",", ".")
    elif _GROUPED_POINT_DEC.match(compact):
        text = compact.replace(",", "")
    elif _GROUPED_POINTS.match(compact):
        text = compact.replace(".", "")
    elif _GROUPED_COMMAS.match(compact):
        text = compact.replace(",", "")
    else:
        raise ValueError(f"”{value.strip()}” är inte ett tal")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above only let numbers through
        raise ValueError(f"”{value.strip()}” är inte ett tal") from exc
    return number


# --- Reading a whole file ------------------------------------------------------------------


def _excel_cell(value: object, number_format: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return ""
    if isinstance(value, (int, float)) and number_format and _is_percent_format(number_format):
        shown = (Decimal(repr(value)) * 100).normalize()  # what Excel shows: 0.953 → 95.3 %
        return f"{format(shown, 'f')} %"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)  # shortest text that round-trips: 94.2, not 94.19999999999999
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return clean_cell(str(value))


_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, an escaped character, [colour]/[>100]


def _is_percent_format(number_format: str) -> bool:
    """Whether Excel multiplies the value by 100 to show it: a ``%`` outside quotes and escapes (``0.0%``, not
    ``0.0"%"`` or ``0.0\\%``)."""
    return "%" in number_format and "%" in _FORMAT_LITERALS.sub("", number_format)


def _read_excel(data: bytes, sheet: str | None) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Every row of the sheet from its first, numbered as Excel numbers them, as text cells (``_excel_cell``,
    with each cell's number format); trailing empty rows dropped, as pandas' reader drops them."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any openpyxl/zip failure means the same to the user
        raise ImportFileError(
            "Excel-filen går inte att öppna (är den en .xlsx-fil och inte skadad?).",
            "The Excel file cannot be opened (is it an .xlsx file, and not damaged?).",
        ) from exc
    try:
        names = [str(n) for n in workbook.sheetnames]
        chosen = sheet if sheet is not None else names[0]
        if chosen not in names:
            raise ImportFileError(f"Bladet ”{chosen}” finns inte i filen (det finns: {', '.join(names)}).",
                                  f"Sheet “{chosen}” is not in the file (there are: {', '.join(names)}).")
        worksheet = workbook[chosen]
        lines: list[tuple[int, list[str]]] = []
        try:
            for index, row in enumerate(worksheet.iter_rows(min_row=1), start=1):
                lines.append((index, [_excel_cell(None if getattr(c, "data_type", None) == "e" else c.value,
                                                  getattr(c, "number_format", None)) for c in row]))
        except Exception as exc:  # noqa: BLE001 - a broken sheet inside a zip that opened
            raise ImportFileError("Excel-filen går inte att läsa (är den skadad?).",
                                  "The Excel file cannot be read (is it damaged?).") from exc
    finally:
        workbook.close()
    while lines and not any(lines[-1][1]):
        lines.pop()
    header_at = next((i for i, (_, cells) in enumerate(lines) if any(cells)), None)
    if header_at is None:
        return [], [], chosen
    header = lines[header_at][1]
    return header, lines[header_at + 1:], chosen


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], str, str]:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ImportFileError("Filen ser inte ut som en textfil (CSV). Är det en Excel-fil med fel filändelse?",
                              "The file does not look like a text (CSV) file.")
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
    lines: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            lines.append((reader.line_num, [clean_cell(c) for c in cells]))
            if len(lines) > MAX_ROWS + 1:
                raise ImportFileError(f"Filen har fler än {MAX_ROWS} rader; dela upp den.",
                                      f"The file has more than {MAX_ROWS} rows; split it.")
    except csv.Error as exc:
        raise ImportFileError(f"CSV-filen går inte att läsa vid rad {reader.line_num}: {exc}",
                              f"The CSV file cannot be read at line {reader.line_num}: {exc}") from exc
    header_at = next((i for i, (_, cells) in enumerate(lines) if any(cells)), None)
    if header_at is None:
        return [], [], encoding, separator
    return lines[header_at][1], lines[header_at + 1:], encoding, separator


def match_columns(headers: Sequence[str], wanted: Mapping[str, Iterable[str]], required: Iterable[str]
                  ) -> tuple[dict[str, int], tuple[str, ...]]:
    """Which file column each wanted column is (by ``header_key`` of its aliases); raises when required ones lack."""
    keys = [header_key(h) for h in headers]
    found: dict[str, int] = {}
    for name, aliases in wanted.items():
        alias_keys = [header_key(a) for a in (name, *aliases)]
        for alias in alias_keys:
            if alias in keys:
                index = keys.index(alias)
                if index in found.values():
                    continue
                found[name] = index
                break
    missing = [name for name in required if name not in found]
    if missing:
        shown = ", ".join(f"”{h}”" for h in headers if h) or "inga"
        sv, en = columns_named(missing, wanted)
        raise ImportFileError(f"Kolumner saknas: {sv}. Filens rubriker: {shown}.",
                              f"Missing columns: {en}. The file's headers: {shown}.")
    duplicates = {headers[i] for i in found.values() if keys.count(keys[i]) > 1}
    if duplicates:
        raise ImportFileError(f"Rubriken {', '.join(sorted(duplicates))} finns flera gånger i filen.",
                              f"Header {', '.join(sorted(duplicates))} occurs more than once in the file.")
    extra = tuple(h for i, h in enumerate(headers) if h and i not in found.values())
    return found, extra


# our field names that are Swedish headers too
_SWEDISH_FIELD_NAMES = frozenset({"period", "budget", "status", "verksamhet"})


def columns_named(names: Iterable[str], wanted: Mapping[str, Iterable[str]]) -> tuple[str, str]:
    """Columns as a user writes their headers, in Swedish (with two other headers each may have) and English:
    ``("”period” (eller ”månad”); ”belopp” (eller ”utfall”, ”netto”)", "“period”, “belopp”")``."""
    need = [_header_names(name, wanted[name]) for name in names]
    sv = "; ".join(f"”{first}”" + (f" (eller {', '.join(f'”{o}”' for o in others)})" if others else "")
                   for first, others in need)
    return sv, ", ".join(f"“{first}”" for first, _ in need)


def _header_names(name: str, aliases: Iterable[str]) -> tuple[str, list[str]]:
    """A column as a user would write its header — the first alias that is no field name of ours (``net_cost``,
    ``org_unit``) — and two more a file may have instead."""
    readable = [a for a in dict.fromkeys(aliases) if (a != name or name in _SWEDISH_FIELD_NAMES) and "_" not in a] \
        or [name]
    first_of: dict[str, str] = {}
    for alias in readable:
        first_of.setdefault(header_key(alias), alias)  # "månad", not also "manad"
    words = list(first_of.values())
    return words[0], words[1:3]


def read_table(source: Path | bytes, wanted: Mapping[str, Iterable[str]], *, required: Iterable[str] = (),
               file_name: str | None = None, sheet: str | None = None) -> Table:
    """Read a CSV or Excel file into text rows keyed by the importer's own column names.

    ``wanted`` maps each column name to the header aliases it may have in a file (compared with
    ``header_key``). Empty rows are skipped; a row's ``line`` is its line in the file.
    """
    if isinstance(source, Path):
        file_name = file_name or source.name
        try:
            size = source.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImportFileError(f"Filen är för stor ({size // 1_000_000} MB; högst {MAX_FILE_BYTES // 1_000_000} MB).",
                                      "The file is too large.")
            data = source.read_bytes()
        except FileNotFoundError as exc:
            raise ImportFileError(f"Filen {source} finns inte.", f"The file {source} does not exist.") from exc
        except IsADirectoryError as exc:
            raise ImportFileError(f"{source} är en mapp, inte en fil.", f"{source} is a folder, not a file.") from exc
        except PermissionError as exc:
            raise ImportFileError(f"Filen {source} får inte läsas (behörighet).", f"No permission to read {source}.") from exc
    else:
        data = source
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("Filen är för stor.", "The file is too large.")
    suffix = Path(file_name or "").suffix.lower()
    is_excel = suffix in EXCEL_SUFFIXES or (data[:2] == b"PK" and suffix not in (".csv", ".txt", ".tsv"))
    if suffix == ".xls":
        raise ImportFileError("Gamla Excel-filer (.xls) kan inte läsas: spara filen som .xlsx eller CSV.",
                              "Old Excel files (.xls) cannot be read: save as .xlsx or CSV.")
    encoding = separator = used_sheet = None
    if is_excel:
        headers, lines, used_sheet = _read_excel(data, sheet)
        kind = "excel"
    else:
        headers, lines, encoding, separator = _read_csv(data)
        kind = "csv"
    if not headers:
        raise ImportFileError("Filen är tom.", "The file is empty.")
    index, extra = match_columns(headers, wanted, required)
    rows = []
    for line, cells in lines:
        if not any(cells):
            continue
        rows.append(Row(line, {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"Filen har fler än {MAX_ROWS} rader; dela upp den.", f"More than {MAX_ROWS} rows.")
    return Table(rows=tuple(rows), columns={name: headers[i] for name, i in index.items()}, kind=kind,
                 encoding=encoding, separator=separator, sheet=used_sheet, checksum=checksum(data),
                 extra_columns=extra)
