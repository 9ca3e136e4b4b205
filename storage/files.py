"""Files sent to Tavla in chat: which importer a file is for, its preview, and the import waiting for "Importera".

Every importer keeps its own whole-file validation (``storage/import_*.py``); this module puts them behind
one small protocol so a file dropped in the chat is handled the same way whatever it holds:

- ``detect(headers)`` — each ``FileKind`` says which columns it needs (its own column aliases); the kind
  that explains the most of the file's headers wins, a tie is *ambiguous* (the person is asked to rename a
  column, nothing is guessed); when none fits, ``nearest(headers)`` names the kinds the file nearly is and the
  columns each lacks, as a user writes the headers (``importing.columns_named``);
- ``kind.preview(store, data, name, ctx)`` — the importer's own dry run (nothing written) plus what a
  person checks before pressing: rows, period, totals per area (or per enhet/year), the row-level errors;
- ``kind.apply(store, data, name, ctx, mode)`` — the importer's real run: its one transaction, its import
  batch with who (``imported_by_id``), when and the file name, ``via = "chat"``.

**Pending imports** live in the database, never in process memory (another replica may get the press):
a ``bot_state`` row ``tavla:pending-import:<token>`` with the file's bytes (base64), their SHA-256, the
kind, the person and the preview. The card's "Importera" carries the token and the SHA-256; a press whose
SHA-256 differs from the stored one (a tampered or stale card), from another person, after the preview
expired, or a second press, writes nothing. The claim is an eTag-checked update in the database, so two
presses (two replicas) cannot both import.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.errors import Forbidden, UserError
from storage import import_budget as budget_import
from storage import import_goals, import_indicator_values, import_org, import_people, import_plans, import_targets
from storage.db import Store
from storage.importing import (
    EXCEL_SUFFIXES,
    ImportFileError,
    clean_cell,
    columns_named,
    decode,
    header_key,
    is_missing,
    match_columns,
    parse_number,
    read_table,
    sniff_separator,
)
from storage.models import ImportBatch, OrgUnit
from storage.personal_data import PENDING_PREFIX
from storage.state_repo import EtagConflict, StateRepo

SPREADSHEET_SUFFIXES = (".csv", ".txt", ".tsv", *EXCEL_SUFFIXES)
REPLACEMENTS_SHOWN = 6  # stored values a preview names that the file would replace (the card shows 8 lines)
PENDING_TTL = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=10)  # an "importing" claim older than this (a crashed replica) may be taken over
MAX_SHOWN_PROBLEMS = 25
HEADER_BYTES = 256 * 1024


# --- What a turn knows about the person and the moment ----------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    person_id: int
    memberships: tuple[tuple[str, int], ...]  # (role, org unit id)
    at: datetime
    today: date


@dataclass(frozen=True)
class Total:
    label: str
    count: int
    amount: str | None = None  # Decimal as text (tkr), for money files


@dataclass
class Preview:
    kind: str
    file_name: str
    rows: int = 0
    valid: int = 0
    period: str | None = None
    totals: list[Total] = field(default_factory=list)
    totals_title: str = "Per område"
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    full_option: int = 0  # people: how many would be deactivated/revoked by a full import

    @property
    def writable(self) -> bool:
        return self.problem_count == 0 and self.valid > 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Preview":
        values = dict(data)
        values["totals"] = [Total(**t) for t in values.get("totals", [])]
        return cls(**values)


@dataclass
class Applied:
    written: bool
    batch_id: int | None = None
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0


Previewer = Callable[[Store, bytes, str, Ctx], Awaitable[Preview]]
Applier = Callable[[Store, bytes, str, Ctx, str], Awaitable[Applied]]


@dataclass(frozen=True)
class FileKind:
    key: str
    label_sv: str
    label_en: str
    columns: Mapping[str, Iterable[str]]
    needs: tuple[frozenset[str], ...]  # the file fits when it has every column of one of these sets
    roles: tuple[str, ...]  # any of these roles on the top of the organisation (``scope`` "root") …
    scope: str  # … or "units": a chef of every enhet in the file (handlingsplaner)
    preview: Previewer
    apply: Applier
    who_sv: str  # who may import it, for the refusal
    amount_header: str = ""  # the amount's header that says this kind, for a file that could be another one

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_sv

    def fits(self, found: set[str]) -> bool:
        return any(need <= found for need in self.needs)


# --- Reading the headers ------------------------------------------------------------------------------------


class NotSpreadsheet(UserError):
    """The file is no CSV or Excel file (a PDF, an image, an old .xls)."""


def check_name(file_name: str) -> None:
    """``NotSpreadsheet`` unless the name is a CSV/text or .xlsx/.xlsm file's (checked before downloading)."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise NotSpreadsheet("Det är en gammal Excel-fil (.xls). Spara den som .xlsx eller CSV och skicka den igen.",
                             "That is an old Excel file (.xls). Save it as .xlsx or CSV and send it again.")
    if suffix not in SPREADSHEET_SUFFIXES:
        raise NotSpreadsheet(f"”{file_name}” är inget kalkylark. Jag kan läsa in Excel (.xlsx) och CSV-filer.",
                             f"“{file_name}” is not a spreadsheet. I can import Excel (.xlsx) and CSV files.")


def check_spreadsheet(data: bytes, file_name: str) -> None:
    """``NotSpreadsheet`` unless the name and the bytes are a CSV/text or an .xlsx/.xlsm file."""
    check_name(file_name)
    suffix = Path(file_name).suffix.lower()
    if not data.strip():
        raise NotSpreadsheet("Filen är tom.", "The file is empty.")
    if suffix in EXCEL_SUFFIXES and not data.startswith(b"PK"):
        raise NotSpreadsheet("Filen heter .xlsx men är ingen Excel-fil. Spara den igen från Excel.",
                             "The file is named .xlsx but is no Excel file. Save it again from Excel.")
    if suffix not in EXCEL_SUFFIXES and (data.startswith((b"PK", b"%PDF", b"\x89PNG", b"\xff\xd8", b"\xd0\xcf\x11\xe0"))
                                         or b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise NotSpreadsheet(f"”{file_name}” ser inte ut som en CSV-fil (det är en annan sorts fil med fel "
                             "filändelse).", f"“{file_name}” does not look like a CSV file.")


def headers_of(data: bytes, file_name: str) -> list[str]:
    """The header row of a CSV or Excel file (the first non-empty row), without reading the whole file."""
    if Path(file_name).suffix.lower() in EXCEL_SUFFIXES:
        import pandas as pd

        try:
            frame = pd.read_excel(io.BytesIO(data), header=None, nrows=30, dtype=object, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - any openpyxl/zip failure means the same to the user
            raise ImportFileError("Excel-filen går inte att öppna (är den en .xlsx-fil och inte skadad?).",
                                  "The Excel file cannot be opened.") from exc
        for values in frame.itertuples(index=False, name=None):
            cells = ["" if v is None or (isinstance(v, float) and v != v) else clean_cell(str(v)) for v in values]
            if any(cells):
                return cells
        return []
    head = data[:HEADER_BYTES]
    if len(data) > HEADER_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    text, _ = decode(head)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text), quotechar='"')
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                return [clean_cell(c) for c in cells]
    except csv.Error as exc:
        raise ImportFileError(f"CSV-filen går inte att läsa: {exc}", f"The CSV file cannot be read: {exc}") from exc
    return []


@dataclass(frozen=True)
class Detected:
    kind: FileKind | None
    candidates: tuple[FileKind, ...]  # more than one: ambiguous
    headers: tuple[str, ...]


def _found(kind: FileKind, headers: Sequence[str]) -> set[str] | None:
    """The columns of ``kind`` the file has, or None when a header occurs twice."""
    try:
        found, _ = match_columns(headers, kind.columns, required=())
    except ImportFileError:
        return None
    return set(found)


def detect(headers: Sequence[str], kinds: Sequence[FileKind] | None = None) -> Detected:
    """The kind whose columns explain most of the headers; of equally good ones, a kind that needs all another
    needs and more (utfall: a period, a verksamhet and an amount; a prognosis: the last two); several still
    equal are ambiguous."""
    fitting = [(kind, found) for kind in (kinds or KINDS)
               if (found := _found(kind, headers)) is not None and kind.fits(found)]
    if not fitting:
        return Detected(None, (), tuple(headers))
    best = max(len(found) for _, found in fitting)
    top = [(kind, found) for kind, found in fitting if len(found) == best]
    if len(top) > 1:
        met = {kind.key: max((need for need in kind.needs if need <= found), key=len) for kind, found in top}
        top = [(k, f) for k, f in top if not any(met[k.key] < met[o.key] for o, _ in top if o is not k)]
    candidates = tuple(kind for kind, _ in top)
    return Detected(candidates[0] if len(candidates) == 1 else None, candidates, tuple(headers))


@dataclass(frozen=True)
class Near:
    """A kind a file fits but for some columns, named as a user writes the headers (``columns_named``)."""
    kind: FileKind
    missing_sv: str
    missing_en: str
    count: int


def nearest(headers: Sequence[str], kinds: Sequence[FileKind] | None = None) -> tuple[Near, ...]:
    """For a file no kind fits: the kinds it comes closest to and what each lacks.

    A kind is near when the file has at least as many of one of its column sets as it lacks; the nearest lack
    the fewest columns (then have the most). A file with none of any kind's columns is near nothing.
    """
    ranked: list[tuple[tuple[int, int], FileKind, frozenset[str]]] = []
    for kind in kinds or KINDS:
        found = _found(kind, headers)
        if found is None:
            continue
        options = [(len(need - found), -len(need & found), i, need - found) for i, need in enumerate(kind.needs)]
        lack, minus_have, _, missing = min(options, key=lambda o: o[:3])  # a tie: the first set the kind lists
        if lack and -minus_have >= lack:
            ranked.append(((lack, minus_have), kind, missing))
    if not ranked:
        return ()
    best = min(rank for rank, _, _ in ranked)
    near = []
    for rank, kind, missing in ranked:
        if rank == best:
            order = [name for name in kind.columns if name in missing]
            sv, en = columns_named(order, kind.columns)
            near.append(Near(kind, sv, en, len(order)))
    return tuple(near)


# --- Who may import what --------------------------------------------------------------------------------------


async def _root_ids(session: AsyncSession) -> set[int]:
    return set((await session.execute(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).scalars())


async def _ancestors(session: AsyncSession, unit_id: int) -> set[int]:
    from storage.plans import unit_path

    return set(await unit_path(session, unit_id))


async def check_may_import(store: Store, kind: FileKind, ctx: Ctx, data: bytes, file_name: str) -> None:
    """``Forbidden`` (with who may) unless the person may import this kind of file (this file's enheter)."""
    roles = ctx.memberships
    if any(role == "admin" for role, _ in roles):
        return
    async with store.session() as session:
        roots = await _root_ids(session)
        if kind.scope == "root":
            if any(role in kind.roles and unit in roots for role, unit in roles):
                return
            raise Forbidden(f"Bara {kind.who_sv} kan läsa in {kind.label_sv.lower()}. Be någon av dem, eller Tavlas "
                            "administratör, att skicka filen.",
                            f"Only {kind.who_sv} can import this file ({kind.label_en}).")
        led = {unit for role, unit in roles if role in kind.roles}
        if not led:
            raise Forbidden(f"Bara chefer (för enheterna i filen) och administratörer kan läsa in {kind.label_sv.lower()}.",
                            f"Only managers of the file's units and administrators can import {kind.label_en}.")
        units = await _file_units(session, data, file_name, ctx.today.year)
        outside = [name for unit_id, name in units if not (await _ancestors(session, unit_id)) & led]
        if outside:
            raise Forbidden(f"Filen har handlingsplaner för {', '.join(sorted(set(outside))[:5])}, som du inte är chef "
                            "för. Skicka bara dina enheters planer, eller be en administratör.",
                            "The file has plans for units you do not manage.")


async def _file_units(session: AsyncSession, data: bytes, file_name: str, year: int) -> list[tuple[int, str]]:
    table = read_table(data, import_plans.COLUMNS, required=import_plans.REQUIRED, file_name=file_name)
    units = (await session.execute(select(OrgUnit))).scalars().all()
    index: dict[str, list[OrgUnit]] = {}
    for unit in units:
        for name in (unit.code, unit.name, *(unit.synonyms or [])):
            index.setdefault(header_key(str(name)), []).append(unit)
    found: dict[int, str] = {}
    for row in table.rows:
        matches = [u for u in index.get(header_key(row.get("unit")), [])
                   if u.valid_from <= year + 1 and (u.valid_to is None or u.valid_to >= year - 1)]
        if len(matches) == 1:
            found[matches[0].id] = matches[0].name
    return sorted(found.items())


# --- Preview and apply, per importer ------------------------------------------------------------------------


def _chat_text(text: str) -> str:
    """An importer's CLI wording made to fit a chat (no command-line flags)."""
    for flag, plain in (("ange budgetåret med --år", "ange budgetåret (en kolumn år eller året i filnamnet)"),
                        ("(använd --år)", "(dela upp filen per år)"),
                        ("ange --enhet kr eller --enhet tkr, eller skriv det i rubriken",
                         "skriv det i rubriken"),
                        (", eller kör med --skip-invalid för att läsa in de felfria raderna", ""),
                        (" (hela listan: --rapport FIL)", "")):
        text = text.replace(flag, plain)
    return text


def _by_group(table_rows: Iterable[Any], column: str, default: str) -> list[Total]:
    counts: dict[str, int] = {}
    for row in table_rows:
        name = clean_cell(row.get(column)) or default
        counts[name] = counts.get(name, 0) + 1
    return [Total(k, v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


async def _budget_totals(store: Store, data: bytes, name: str, report: budget_import.ImportReport,
                         columns: Mapping[str, Iterable[str]], amount: str, required: Sequence[str]) -> list[Total]:
    """Sum per verksamhetsområde (tkr) of the file's valid rows, resolved as the importer resolves them."""
    if report.year is None:
        return []
    try:
        table = read_table(data, columns, required=required, file_name=name)
    except ImportFileError:
        return []  # e.g. more rows than a preview reads: the importer's own lines still say the sum
    unit = report.unit or budget_import.unit_from_header(table.columns.get(amount, "")) or "tkr"
    async with store.session() as session:
        index = await budget_import.name_index(session, report.year)
    area_of_line = {line_id: area_id for (area_id, _), line_id in index.lines.items()}
    sums: dict[str, tuple[int, Decimal]] = {}
    for row in table.rows:
        if budget_import.name_key(row.get("verksamhet")) in budget_import.TOTAL_WORDS:
            continue
        line_id, problem = index.resolve(row.get("area"), row.get("verksamhet"), area_column="area" in table.columns)
        if line_id is not None:
            label = index.area_names.get(area_of_line.get(line_id, -1), "?")
        elif "area" in table.columns and clean_cell(row.get("area")):
            area_id = index.areas.get(budget_import.name_key(row.get("area")))
            if area_id is None:
                continue
            label = index.area_names.get(area_id, clean_cell(row.get("area")))
        else:
            continue
        try:
            value = parse_number(row.get(amount), units=(unit,))
        except ValueError:
            continue
        tkr = value / 1000 if unit == "kr" else value
        count, total = sums.get(label, (0, Decimal(0)))
        sums[label] = (count + 1, total + tkr)
    return [Total(label, count, str(total.quantize(Decimal("0.1")))) for label, (count, total)
            in sorted(sums.items(), key=lambda kv: kv[0])]


def _budget_preview(kind: str, report: budget_import.ImportReport) -> Preview:
    problems = [_chat_text(p.text()) for p in report.problems[:MAX_SHOWN_PROBLEMS]]
    return Preview(kind=kind, file_name=report.file_name, rows=report.rows_read, valid=report.rows_valid,
                   problems=problems, problem_count=report.problem_count,
                   lines=[_chat_text(line) for line in report.lines], warnings=[_chat_text(w) for w in report.warnings])


def _budget_applied(report: budget_import.ImportReport) -> Applied:
    return Applied(report.written, report.batch_id, [_chat_text(x) for x in report.lines + report.warnings],
                   [_chat_text(p.text()) for p in report.problems[:MAX_SHOWN_PROBLEMS]], report.problem_count)


UTFALL_COLUMNS = {"period": budget_import.PERIOD, "area": budget_import.AREA, "verksamhet": budget_import.VERKSAMHET,
                  "amount": budget_import.AMOUNT}
PROFILE_COLUMNS = {"area": budget_import.AREA, "verksamhet": budget_import.VERKSAMHET,
                   "month": ("månad", "manad", "month"), "share": ("andel", "andel (%)", "andel %", "share", "procent"),
                   "year": budget_import.YEAR, **budget_import.PROFILE_MONTHS}


async def _utfall_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await budget_import.import_utfall(store, data, file_name=name, dry_run=True, via="chat")
    preview = _budget_preview("utfall", report)
    months = report.summary.get("months") or []
    if report.year and months:
        names = [budget_import.MONTHS_SV[m - 1] for m in months]
        preview.period = f"{names[0]}–{names[-1]} {report.year}" if len(names) > 1 else f"{names[0]} {report.year}"
    preview.totals = await _budget_totals(store, data, name, report, UTFALL_COLUMNS, "amount",
                                          ("period", "verksamhet", "amount"))
    return preview


async def _utfall_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _budget_applied(await budget_import.import_utfall(store, data, file_name=name, via="chat",
                                                             imported_by_id=ctx.person_id))


async def _budget_preview_kind(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await budget_import.import_budget(store, data, file_name=name, dry_run=True, via="chat")
    preview = _budget_preview("budget", report)
    preview.period = str(report.year) if report.year else None
    preview.totals = await _budget_totals(store, data, name, report, budget_import.BUDGET_COLUMNS, "net_cost",
                                          ("area", "verksamhet", "net_cost"))
    return preview


async def _budget_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _budget_applied(await budget_import.import_budget(store, data, file_name=name, via="chat",
                                                             imported_by_id=ctx.person_id))


async def _prognos_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await budget_import.import_prognosis(store, data, file_name=name, default_year=ctx.today.year,
                                                  dry_run=True, via="chat")
    preview = _budget_preview("prognos", report)
    preview.period = str(report.year) if report.year else None
    preview.totals = await _budget_totals(store, data, name, report, budget_import.PROGNOSIS_COLUMNS, "amount",
                                          ("verksamhet", "amount"))
    return preview


async def _prognos_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _budget_applied(await budget_import.import_prognosis(
        store, data, file_name=name, default_year=ctx.today.year, via="chat", imported_by_id=ctx.person_id,
        now=ctx.at))


async def _profil_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await budget_import.import_profile(store, data, file_name=name, default_year=ctx.today.year,
                                                dry_run=True, via="chat")
    preview = _budget_preview("profil", report)
    preview.period = str(report.year) if report.year else None
    try:
        table = read_table(data, PROFILE_COLUMNS, required=("verksamhet",), file_name=name)
        preview.totals = _by_group(table.rows, "area", "(område ej angivet)")
    except ImportFileError:
        pass
    return preview


async def _profil_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _budget_applied(await budget_import.import_profile(
        store, data, file_name=name, default_year=ctx.today.year, via="chat", imported_by_id=ctx.person_id))


async def _indicator_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    from followup.indicators import parse_period

    report = await import_indicator_values.import_indicator_values(store, data, at=ctx.at, today=ctx.today,
                                                                   file_name=name, dry_run=True, via="chat")
    table = read_table(data, import_indicator_values.COLUMNS, required=import_indicator_values.REQUIRED,
                       file_name=name)
    periods = sorted((p for p in (parse_period(r.get("period")) for r in table.rows) if p is not None),
                     key=lambda p: (p.start, p.end))
    period = None
    if periods:
        first, last = periods[0].label(), periods[-1].label()
        period = first if first == last else f"{first} – {last}"
    lines = [report.would_do(), *report.replaced(REPLACEMENTS_SHOWN)] if report.valid else []
    return Preview(kind="indicator_values", file_name=name, rows=report.rows, valid=report.valid,
                   problems=[str(p) for p in report.problems[:MAX_SHOWN_PROBLEMS]], problem_count=len(report.problems),
                   period=period, totals=_by_group(table.rows, "org_unit", "Hela kommunen"), totals_title="Per enhet",
                   lines=lines)


async def _indicator_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    report = await import_indicator_values.import_indicator_values(
        store, data, at=ctx.at, today=ctx.today, file_name=name, via="chat", imported_by_id=ctx.person_id)
    return Applied(report.written, report.batch_id, report.lines()[1:], [str(p) for p in report.problems],
                   len(report.problems))


async def _plans_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await import_plans.import_plans(store, data, at=ctx.at, today=ctx.today, file_name=name, dry_run=True,
                                             via="chat")
    table = read_table(data, import_plans.COLUMNS, required=import_plans.REQUIRED, file_name=name)
    years = sorted({clean_cell(r.get("year")) or str(ctx.today.year) for r in table.rows})
    return Preview(kind="handlingsplaner", file_name=name, rows=report.rows, valid=report.valid,
                   problems=[_chat_text(str(p)) for p in report.problems[:MAX_SHOWN_PROBLEMS]],
                   problem_count=len(report.problems), period=", ".join(years) or None,
                   totals=_by_group(table.rows, "unit", "?"), totals_title="Aktiviteter per enhet")


async def _plans_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    report = await import_plans.import_plans(store, data, at=ctx.at, today=ctx.today, file_name=name, via="chat",
                                             imported_by_id=ctx.person_id)
    return Applied(report.written, report.batch_id, report.lines()[1:], [str(p) for p in report.problems],
                   len(report.problems))


def _own_preview(kind: str, report: Any, totals_title: str) -> Preview:
    return Preview(kind=kind, file_name=report.file_name, rows=report.rows, valid=report.valid,
                   problems=[str(p) for p in report.problems[:MAX_SHOWN_PROBLEMS]], problem_count=report.problem_count,
                   period=report.period, totals=[Total(label, count) for label, count in report.totals],
                   totals_title=totals_title, lines=list(report.done), warnings=list(report.warnings))


def _own_applied(report: Any) -> Applied:
    return Applied(report.written, report.batch_id, report.done + [f"Obs: {w}" for w in report.warnings],
                   [str(p) for p in report.problems], report.problem_count)


async def _org_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await import_org.import_org(store, data, at=ctx.at, today=ctx.today, file_name=name, dry_run=True,
                                         via="chat")
    return _own_preview("org", report, "Per nivå")


async def _org_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _own_applied(await import_org.import_org(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                                    via="chat", imported_by_id=ctx.person_id))


async def _people_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await import_people.import_people(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                               dry_run=True, via="chat")
    preview = _own_preview("people", report, "Roller per enhet")
    if report.ok:
        full = await import_people.import_people(store, data, at=ctx.at, today=ctx.today, file_name=name, full=True,
                                                 dry_run=True, via="chat")
        preview.full_option = int(full.summary.get("deactivated", 0))
    return preview


async def _people_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _own_applied(await import_people.import_people(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                                          full=mode == "full", via="chat",
                                                          imported_by_id=ctx.person_id))


async def _goals_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await import_goals.import_goals(store, data, at=ctx.at, today=ctx.today, file_name=name, dry_run=True,
                                             via="chat")
    return _own_preview("goals", report, "Verksamhetsmål per område")


async def _goals_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _own_applied(await import_goals.import_goals(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                                        via="chat", imported_by_id=ctx.person_id))


async def _targets_preview(store: Store, data: bytes, name: str, ctx: Ctx) -> Preview:
    report = await import_targets.import_targets(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                                 dry_run=True, via="chat")
    return _own_preview("targets", report, "Målnivåer per år")


async def _targets_apply(store: Store, data: bytes, name: str, ctx: Ctx, mode: str) -> Applied:
    return _own_applied(await import_targets.import_targets(store, data, at=ctx.at, today=ctx.today, file_name=name,
                                                            via="chat", imported_by_id=ctx.person_id))


def _needs(*columns: str) -> tuple[frozenset[str], ...]:
    return (frozenset(columns),)


# a profile has a column per month, or a row per month; target levels have a target, a low or a high bound
_PROFILE_NEEDS = (frozenset({"verksamhet", *(f"m{m}" for m in range(1, 13))}),
                  frozenset({"verksamhet", "month", "share"}))
_TARGETS_NEEDS = tuple(frozenset({"indicator", "year", bound}) for bound in ("target", "low", "high"))


MONEY = ("ekonom", "controller")
KINDS: tuple[FileKind, ...] = (
    FileKind("utfall", "Utfall", "Outcome (utfall)", UTFALL_COLUMNS, _needs("period", "verksamhet", "amount"),
             MONEY, "root", _utfall_preview, _utfall_apply, "ekonomer och controllers för hela förvaltningen",
             "Utfall (tkr)"),
    FileKind("budget", "Internbudget", "Internal budget", budget_import.BUDGET_COLUMNS,
             _needs("area", "verksamhet", "net_cost"), MONEY, "root", _budget_preview_kind, _budget_apply,
             "ekonomer och controllers för hela förvaltningen", "Budget (tkr)"),
    FileKind("prognos", "Helårsprognoser", "Full-year forecasts", budget_import.PROGNOSIS_COLUMNS,
             _needs("verksamhet", "amount"), MONEY, "root", _prognos_preview, _prognos_apply,
             "ekonomer och controllers för hela förvaltningen", "Prognos (tkr)"),
    FileKind("profil", "Månadsprofiler", "Monthly profiles", PROFILE_COLUMNS, _PROFILE_NEEDS, MONEY, "root",
             _profil_preview, _profil_apply, "ekonomer och controllers för hela förvaltningen"),
    FileKind("indicator_values", "Indikatorvärden", "Indicator values", import_indicator_values.COLUMNS,
             _needs(*import_indicator_values.REQUIRED), ("hr", "controller"), "root", _indicator_preview,
             _indicator_apply, "HR och controllers för hela förvaltningen"),
    FileKind("handlingsplaner", "Handlingsplaner", "Action plans", import_plans.COLUMNS,
             _needs(*import_plans.REQUIRED), ("chef",), "units", _plans_preview, _plans_apply,
             "chefer för enheterna i filen"),
    FileKind("org", "Organisation", "Organisation", import_org.COLUMNS, _needs(*import_org.REQUIRED), (), "root",
             _org_preview, _org_apply, "Tavlas administratörer"),
    FileKind("people", "Personer och roller", "People and roles", import_people.COLUMNS,
             (frozenset({"upn", "name"}), frozenset({"aad", "name"})), (), "root", _people_preview,
             _people_apply, "Tavlas administratörer"),
    FileKind("goals", "Verksamhetsmål", "Operational goals", import_goals.COLUMNS, _needs(*import_goals.REQUIRED),
             ("controller",), "root", _goals_preview, _goals_apply, "controllers och administratörer"),
    FileKind("targets", "Målnivåer", "Target levels", import_targets.COLUMNS, _TARGETS_NEEDS, ("controller",), "root",
             _targets_preview, _targets_apply, "controllers och administratörer"),
)
BY_KEY = {kind.key: kind for kind in KINDS}


async def latest_import_by(session: AsyncSession, person_id: int, since: datetime) -> Any:
    """The latest file ``person_id`` imported since ``since``, in chat or with ``tavla import --av`` (kind,
    file_name, rows, imported_at), or None — for "ångra", which does not undo an import's rows one at a time."""
    return (await session.execute(
        select(ImportBatch.kind, ImportBatch.file_name, ImportBatch.rows, ImportBatch.imported_at)
        .where(ImportBatch.imported_by_id == person_id, ImportBatch.imported_at >= since)
        .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc()).limit(1))).first()


# --- Pending imports (between the preview and "Importera") ---------------------------------------------------


@dataclass(frozen=True)
class Pending:
    token: str
    etag: str
    kind: str
    file_name: str
    sha256: str
    data: bytes
    person_id: int
    preview: Preview
    state: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(token: str) -> str:
    return PENDING_PREFIX + token


async def save_pending(store: Store, *, kind: str, file_name: str, data: bytes, person_id: int,
                       conversation_id: str, preview: Preview, at: datetime) -> tuple[str, str]:
    """Keep the file until "Importera"; returns (token, sha256) for the card's button."""
    token = secrets.token_urlsafe(18)
    digest = sha256(data)
    document = {"kind": kind, "file_name": file_name, "sha256": digest, "size": len(data), "person_id": person_id,
                "conversation_id": conversation_id, "created_at": at.isoformat(), "state": "pending",
                "preview": preview.to_json(), "data": base64.b64encode(data).decode("ascii")}
    async with store.session() as session:
        await StateRepo(session).write(_key(token), document)
    return token, digest


class PendingRefused(UserError):
    """The press cannot import this file (expired, done, someone else's, tampered); nothing was written."""


async def claim_pending(store: Store, token: Any, digest: Any, *, person_id: int, now: datetime) -> Pending:
    """Take the pending import for writing (checked in the database), or ``PendingRefused`` saying why."""
    if not isinstance(token, str) or not isinstance(digest, str) or not 10 <= len(token) <= 64 or len(digest) != 64:
        raise PendingRefused("Knappen skickade uppgifter som inte stämmer, så inget lästes in. Skicka filen igen.",
                             "The button sent data that does not add up; nothing was imported. Send the file again.")
    async with store.session() as session:
        repo = StateRepo(session)
        found = (await repo.read_many([_key(token)])).get(_key(token))
        if found is None:
            raise PendingRefused("Den filen finns inte längre hos mig (förhandsgranskningen har gått ut eller rensats). "
                                 "Skicka filen igen.", "That file is no longer here. Send it again.")
        doc = dict(found.document)
        created = datetime.fromisoformat(doc["created_at"])
        if doc.get("person_id") != person_id:
            raise PendingRefused("Bara den som skickade filen kan läsa in den.",
                                 "Only the person who sent the file can import it.")
        if doc.get("sha256") != digest:
            raise PendingRefused("Knappen hör inte till den här filen (kontrollsumman stämmer inte), så inget lästes "
                                 "in. Skicka filen igen.", "The button does not match the file; nothing was imported.")
        state = doc.get("state")
        if state == "done":
            raise PendingRefused("Filen är redan inläst.", "The file has already been imported.")
        if state == "failed":
            raise PendingRefused("Filen kunde inte läsas in (se felen ovan). Rätta den och skicka den igen.",
                                 "The file could not be imported. Correct it and send it again.")
        if state == "cancelled":
            raise PendingRefused("Importen avbröts. Skicka filen igen om du vill läsa in den.",
                                 "The import was cancelled. Send the file again to import it.")
        if state == "importing" and now - datetime.fromisoformat(doc.get("claimed_at") or doc["created_at"]) < STALE_CLAIM:
            raise PendingRefused("Filen läses in just nu – vänta en stund.", "The file is being imported right now.")
        if now - created > PENDING_TTL:
            raise PendingRefused("Förhandsgranskningen är för gammal (mer än ett dygn). Skicka filen igen så kontrollerar "
                                 "jag den mot dagens data.", "The preview is more than a day old. Send the file again.")
        data = base64.b64decode(doc.get("data") or "")
        if sha256(data) != doc.get("sha256"):
            raise PendingRefused("Den sparade filen stämmer inte med sin kontrollsumma, så inget lästes in. Skicka "
                                 "filen igen.", "The stored file does not match its checksum; nothing was imported.")
        doc["state"], doc["claimed_at"] = "importing", now.isoformat()
        try:
            etag = await repo.write(_key(token), doc, found.etag)
        except EtagConflict:
            raise PendingRefused("Filen läses redan in (någon tryckte två gånger).",
                                 "The file is already being imported.") from None
    return Pending(token, etag, doc["kind"], doc["file_name"], doc["sha256"], data, person_id,
                   Preview.from_json(doc["preview"]), "importing")


async def finish_pending(store: Store, pending: Pending, *, state: str, result: Mapping[str, Any], at: datetime) -> None:
    """After the import: ``done`` (the file's bytes are dropped, the result kept) or back to ``pending``."""
    async with store.session() as session:
        repo = StateRepo(session)
        found = (await repo.read_many([_key(pending.token)])).get(_key(pending.token))
        if found is None:
            return
        doc = dict(found.document)
        doc["state"] = state
        doc["finished_at"] = at.isoformat()
        doc["result"] = dict(result)
        if state == "done":
            doc.pop("data", None)
        try:
            await repo.write(_key(pending.token), doc, found.etag)
        except EtagConflict:
            pass  # someone else moved it on; their state stands


async def cancel_pending(store: Store, token: Any, *, person_id: int, at: datetime) -> bool:
    """Drop a waiting file (its bytes go); False when there was nothing of this person's to cancel."""
    if not isinstance(token, str) or not 10 <= len(token) <= 64:
        return False
    async with store.session() as session:
        repo = StateRepo(session)
        found = (await repo.read_many([_key(token)])).get(_key(token))
        if found is None or found.document.get("person_id") != person_id or found.document.get("state") != "pending":
            return False
        doc = dict(found.document)
        doc.pop("data", None)
        doc["state"], doc["finished_at"] = "cancelled", at.isoformat()
        try:
            await repo.write(_key(token), doc, found.etag)
        except EtagConflict:
            return False
    return True


__all__ = ["BY_KEY", "KINDS", "Applied", "Ctx", "Detected", "FileKind", "NotSpreadsheet", "Pending", "PendingRefused",
           "Preview", "Total", "cancel_pending", "check_may_import", "check_name", "check_spreadsheet", "claim_pending", "detect",
           "finish_pending", "headers_of", "is_missing", "save_pending", "sha256"]
