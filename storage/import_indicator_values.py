"""Import indicator values from a file (``tavla import indicator-values FILE``): CSV (``;`` or ``,``) or Excel.

Columns (headers matched without regard to case, å/ä/ö or punctuation):

- ``indikator`` — the indicator's code, full name, short name or a synonym, exactly (a near miss is an
  error with a suggestion, never silently matched);
- ``period`` — ``2018``, ``2018-03``, ``mars 2018``, ``3/2018``, ``T1 2018``, an Excel date (its month);
- ``värde`` — Swedish or English number (``94,2``, ``6 147``, ``−0,5``, ``95,3 %``);
- optional ``enhet`` (code, name or synonym of an org unit; empty = the whole kommun), ``källa``,
  ``kommentar``, and ``underlag`` (number of people the value is computed from: a health-data indicator
  such as frisknärvaro is refused below 5 people, GDPR art. 9).

The whole file is validated first. Any bad row → a row-level report and nothing written, unless
``skip_invalid`` (then the valid rows are written and the skipped ones reported). Writing is one
transaction and an idempotent upsert per (indicator, unit, period): importing the same file again changes
nothing (no new values, no new log rows, no new import batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.indicators import (
    MIN_GROUP_SIZE,
    Period,
    allows_negative,
    is_health_data,
    parse_period,
    value_problem,
    written_as_fraction,
)
from storage.db import Store
from storage.importing import ImportFileError, Table, clean_cell, header_key, is_missing, parse_number, read_table
from storage.indicators import IndicatorInfo, indicators, record_value, root_unit, same_value
from storage.models import ImportBatch, Indicator, IndicatorValue, OrgUnit

KIND = "indicator_values"
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indikator", "indicator", "indikatornamn", "nyckeltal", "kod", "code", "namn", "name"),
    "period": ("period", "månad", "manad", "år", "datum", "tidpunkt", "month", "year", "date"),
    "value": ("värde", "value", "mätvärde", "utfall"),
    "org_unit": ("enhet", "org_unit", "organisation", "organisationsenhet", "verksamhetsområde", "område", "unit"),
    "source": ("källa", "source"),
    "note": ("kommentar", "anteckning", "note", "notering"),
    "group_size": ("underlag", "antal personer", "antal anställda", "group_size"),
}
REQUIRED = ("indicator", "period", "value")
COLUMN_NAMES_SV = {"indicator": "indikator", "period": "period", "value": "värde", "org_unit": "enhet",
                   "source": "källa", "note": "kommentar", "group_size": "underlag"}


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"rad {self.line}" + (f", {COLUMN_NAMES_SV.get(self.column, self.column)}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    indicator: IndicatorInfo
    org_unit_id: int
    org_unit_name: str
    period: Period
    value: Decimal
    source: str
    note: str | None


REPLACEMENTS_LISTED = 20  # a check (--kontrollera) names this many of the stored values the file would replace


@dataclass
class ImportReport:
    """What an import found and did. ``written`` is False when nothing was written because of errors."""

    file_name: str
    rows: int = 0
    valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    written: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    read_as: str = ""
    replacing: list[str] = field(default_factory=list)  # a dry run: each stored value a valid row would replace

    @property
    def ok(self) -> bool:
        """No row has a problem."""
        return not self.problems

    @property
    def skipped_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    def lines(self) -> list[str]:
        """The report in Swedish, one line each (what the CLI prints)."""
        out = [f"{self.file_name}: {self.rows} rader lästa ({self.read_as})."]
        if self.problems:
            if self.dry_run:
                head = f"{len(self.skipped_lines)} rader har fel:"
            elif self.skip_invalid and self.written:
                head = f"{len(self.skipped_lines)} rader hoppades över:"
            else:
                head = f"{len(self.skipped_lines)} rader har fel – inget importerades:"
            out.append(head)
            out += [f"  {p}" for p in self.problems]
        if self.dry_run:
            out.append(f"Kontroll: {self.valid} rader är giltiga" + (" – inget är skrivet." if self.valid else "."))
            if self.valid:
                out.append(self.would_do())
                out += [f"  {line}" for line in self.replaced(REPLACEMENTS_LISTED)]
        elif self.written:
            out.append(f"Importerat: {self.created} nya, {self.updated} ändrade, {self.unchanged} oförändrade värden.")
            if not self.created and not self.updated:
                out.append("Inget ändrades (filen var redan importerad).")
        elif not self.problems:
            out.append("Inget att importera.")
        elif not self.skip_invalid:
            out.append("Rätta raderna och importera igen, eller kör med --skip-invalid för att importera de "
                       "giltiga raderna.")
        return out


    def replaced(self, limit: int) -> list[str]:
        """The first ``limit`` stored values a dry run found the file would replace, then how many more."""
        more = len(self.replacing) - limit
        return self.replacing[:limit] + ([f"… och {more} till som ersätts."] if more > 0 else [])

    def would_do(self) -> str:
        """A dry run: what importing the valid rows would do to the stored values."""
        parts = [f"{self.created} {'nytt värde' if self.created == 1 else 'nya värden'}" if self.created else "",
                 f"{self.updated} ersätter {'ett lagrat värde' if self.updated == 1 else 'lagrade värden'}"
                 if self.updated else "",
                 f"{self.unchanged} finns redan med samma värde" if self.unchanged else ""]
        return "Om filen läses in: " + ", ".join(p for p in parts if p) + "."


def _indicator_lookup(infos: Sequence[IndicatorInfo], synonyms: dict[int, list[str]]) -> dict[str, IndicatorInfo]:
    lookup: dict[str, IndicatorInfo] = {}
    for info in infos:
        for name in (info.code, info.name, info.short_name, *synonyms.get(info.id, [])):
            lookup.setdefault(header_key(name), info)
    return lookup


async def _context(session: AsyncSession, year: int
                   ) -> tuple[dict[str, IndicatorInfo], dict[str, list[OrgUnit]], int, str]:
    infos = await indicators(session)
    rows = (await session.execute(select(Indicator.id, Indicator.synonyms))).all()
    synonyms = {i: list(s or []) for i, s in rows}
    units = (await session.execute(select(OrgUnit))).scalars().all()
    by_name: dict[str, list[OrgUnit]] = {}
    for u in units:
        for name in (u.code, u.name, *(u.synonyms or [])):
            bucket = by_name.setdefault(header_key(str(name)), [])
            if u not in bucket:
                bucket.append(u)
    root = await root_unit(session, year)
    return _indicator_lookup(infos, synonyms), by_name, root.id, root.name


def _suggest(text: str, lookup: dict[str, IndicatorInfo]) -> str:
    best = process.extractOne(header_key(text), list(lookup), scorer=fuzz.WRatio, score_cutoff=80)
    return f" – menade du ”{lookup[best[0]].name}”?" if best else ""


async def _compare(session: AsyncSession, parsed: Sequence[ParsedRow], report: ImportReport) -> None:
    """A dry run: count the valid rows as new, replacing a stored value or the same as it (``same_value``, as
    ``record_value`` will), and say each replacement ("Frisknärvaro, Förskolan Humlan, april 2018: 94,8 % →
    95,3 %")."""
    stored: dict[tuple[int, int, str], IndicatorValue] = {}
    for start in range(0, len(parsed), 500):  # bounded IN lists
        chunk = parsed[start:start + 500]
        rows = await session.execute(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id.in_({p.indicator.id for p in chunk}),
                   IndicatorValue.org_unit_id.in_({p.org_unit_id for p in chunk}),
                   IndicatorValue.period.in_({p.period.code for p in chunk})))
        for row in rows.scalars():
            stored[(row.indicator_id, row.org_unit_id, row.period)] = row
    for item in parsed:
        row = stored.get((item.indicator.id, item.org_unit_id, item.period.code))
        if row is None:
            report.created += 1
            continue
        if same_value(row, item.value, item.note, False):
            report.unchanged += 1
            continue
        report.updated += 1
        value, unit, places = Decimal(row.value), item.indicator.unit, item.indicator.decimals
        what = f"{item.indicator.short_name}, {item.org_unit_name}, {item.period.label()}"
        if value == item.value and not row.is_demo:
            report.replacing.append(f"{what}: {_swedish(value, unit, places)}, ny kommentar")
        else:
            report.replacing.append(f"{what}: {_swedish(value, unit, places)}{' (exempeldata)' if row.is_demo else ''}"
                                    f" → {_swedish(item.value, unit, places)}")


def _swedish(value: Decimal, unit: str, places: int = 0) -> str:
    """``94,2 %``, ``−0,5 %``, ``6 152``: as the cards write numbers (minus sign, space-grouped thousands), with
    at least ``places`` decimals (``94,0 %`` for frisknärvaro, measured with one)."""
    shown = value.normalize()
    if -shown.as_tuple().exponent < places:
        shown = shown.quantize(Decimal(1).scaleb(-places))
    digits = format(abs(shown), ",f").replace(",", "\u00a0").replace(".", ",")
    return ("\u2212" if value < 0 else "") + digits + (" %" if unit == "%" else "")


def _validate(table: Table, lookup: dict[str, IndicatorInfo], units: dict[str, list[OrgUnit]], root_id: int,
              root_name: str, today: date, default_source: str) -> tuple[list[ParsedRow], list[RowProblem]]:
    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, int, str], ParsedRow] = {}
    for row in table.rows:
        row_problems: list[RowProblem] = []
        raw_indicator = row.get("indicator")
        info = lookup.get(header_key(raw_indicator)) if raw_indicator else None
        if not raw_indicator:
            row_problems.append(RowProblem(row.line, "indicator", "indikator saknas"))
        elif info is None:
            row_problems.append(RowProblem(row.line, "indicator",
                                           f"okänd indikator ”{raw_indicator}”{_suggest(raw_indicator, lookup)}"))
        period = parse_period(row.get("period")) if row.get("period") else None
        if not row.get("period"):
            row_problems.append(RowProblem(row.line, "period", "period saknas"))
        elif period is None:
            row_problems.append(RowProblem(row.line, "period", f"”{row.get('period')}” är ingen period (skriv t.ex. "
                                                                "2018, 2018-03, mars 2018 eller T1 2018)"))
        elif period.start > today:
            row_problems.append(RowProblem(row.line, "period", f"{period.label()} har inte börjat än"))
        value: Decimal | None = None
        raw_value = row.get("value")
        try:
            value = parse_number(raw_value)
        except ValueError as exc:
            row_problems.append(RowProblem(row.line, "value", str(exc)))
        if value is not None and info is not None:
            if raw_value.strip().endswith("%") and info.unit != "%":
                row_problems.append(RowProblem(row.line, "value", f"{info.short_name} mäts i {info.unit}, inte i %"))
            problem = value_problem(value, info.unit, allow_negative=allows_negative(info.code, info.unit))
            if problem:
                row_problems.append(RowProblem(row.line, "value", f"{clean_cell(raw_value)}: {problem[0]}"))
            elif written_as_fraction(value, info.unit, info.targets):
                bounds = [b for t in info.targets[-1:] for b in (t.low, t.high) if b is not None]
                row_problems.append(RowProblem(row.line, "value", f"{clean_cell(raw_value)} ser ut som en andel i "
                                               f"decimalform – menas {_swedish(value * 100, info.unit)}? Skriv värdet "
                                               f"som {info.short_name} mäts (målnivå "
                                               f"{' – '.join(_swedish(b, info.unit) for b in bounds)})"))
        unit_id, unit_name = root_id, root_name
        raw_unit = row.get("org_unit")
        if raw_unit and not is_missing(raw_unit):
            candidates = units.get(header_key(raw_unit), [])
            if period is not None:
                open_ = [u for u in candidates if u.valid_to is None or u.valid_to >= period.start.year]
                if candidates and not open_:
                    row_problems.append(RowProblem(row.line, "org_unit",
                                                   f"{raw_unit} fanns inte längre {period.start.year}"))
                candidates = open_ or candidates
            if not candidates:
                row_problems.append(RowProblem(row.line, "org_unit", f"okänd enhet ”{raw_unit}”"))
            elif len(candidates) > 1:
                row_problems.append(RowProblem(row.line, "org_unit", f"”{raw_unit}” kan vara flera enheter: "
                                               + ", ".join(f"{u.name} ({u.code})" for u in candidates)
                                               + " – skriv koden"))
            else:
                unit_id, unit_name = candidates[0].id, candidates[0].name
        raw_size = row.get("group_size")
        if info is not None and raw_size and not is_missing(raw_size):
            try:
                size = parse_number(raw_size, units=("st", "personer"))
            except ValueError as exc:
                row_problems.append(RowProblem(row.line, "group_size", str(exc)))
            else:
                if is_health_data(info.code) and size < MIN_GROUP_SIZE:
                    row_problems.append(RowProblem(
                        row.line, "group_size",
                        f"underlaget är {size} personer: {info.short_name} bygger på sjukfrånvaro (hälsodata, "
                        f"GDPR art. 9) och redovisas inte för grupper under {MIN_GROUP_SIZE} personer"))
        source = clean_cell(row.get("source"))[:200] or default_source
        note = clean_cell(row.get("note")) or None
        if row_problems or info is None or period is None or value is None:
            problems += row_problems
            continue
        item = ParsedRow(row.line, info, unit_id, unit_name, period, value, source, note)
        key = (info.id, unit_id, period.code)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.value != value:
                problems.append(RowProblem(row.line, None, f"{info.short_name}, {unit_name}, {period.label()} finns "
                                           f"redan på rad {earlier.line} med ett annat värde"))
            continue
        seen[key] = item
        parsed.append(item)
    bad_lines = {p.line for p in problems}
    return [p for p in parsed if p.line not in bad_lines], problems


async def import_indicator_values(
    store: Store, source: Path | bytes, *, at: datetime, today: date, file_name: str | None = None,
    skip_invalid: bool = False, imported_by_id: int | None = None, via: str = "cli", sheet: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate the whole file, then (if it is all valid, or ``skip_invalid``) write it in one transaction.

    ``dry_run`` only validates and reports.
    """
    name = file_name or (source.name if isinstance(source, Path) else "fil")
    table = read_table(source, COLUMNS, required=REQUIRED, file_name=name, sheet=sheet)
    read_as = (f"Excel, bladet {table.sheet}" if table.kind == "excel"
               else f"CSV, {table.encoding}, avgränsare {'tab' if table.separator == chr(9) else table.separator}")
    report = ImportReport(file_name=name, rows=len(table.rows), skip_invalid=skip_invalid, dry_run=dry_run,
                          read_as=read_as)
    async with store.session() as session:
        lookup, units, root_id, root_name = await _context(session, today.year)
        parsed, problems = _validate(table, lookup, units, root_id, root_name, today, f"Import: {name}"[:200])
        report.problems = problems
        report.valid = len(parsed)
        if dry_run:
            await _compare(session, parsed, report)
        if (problems and not skip_invalid) or not parsed or dry_run:
            return report
        for item in parsed:
            result = await record_value(
                session, indicator_id=item.indicator.id, org_unit_id=item.org_unit_id, period=item.period,
                value=item.value, source=item.source, note=item.note, person_id=imported_by_id, via="import", at=at)
            setattr(report, result.outcome, getattr(report, result.outcome) + 1)
        report.written = True
        if report.created or report.updated:
            batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=table.checksum, rows=report.valid,
                                imported_by_id=imported_by_id, imported_at=at, via=via, summary={
                                    "created": report.created, "updated": report.updated,
                                    "unchanged": report.unchanged, "skipped_lines": report.skipped_lines,
                                    "read_as": read_as})
            session.add(batch)
            await session.flush()
            report.batch_id = batch.id
    return report


__all__ = ["COLUMNS", "ImportFileError", "ImportReport", "RowProblem", "import_indicator_values"]
