"""Import målnivåer (``tavla import targets FILE``): the target levels of indicators for new years.

Two shapes, as kommuner keep them:

- **long**: ``indikator``, ``år``, ``målnivå`` (or ``lägst``/``högst`` for an interval, or ``90–95`` in
  the målnivå cell), optional ``etikett``, ``källa``;
- **wide**, as in the årsplan's tables: ``indikator`` and one column per year — ``Målnivå 2019``,
  ``Målnivå 2020`` (or just ``2019``, ``2020``); an empty cell means no target for that year.

The indicator is named by its code, name, short name or a synonym, exactly. Which bound a number is comes
from the indicator's direction: higher-is-better → the lowest acceptable value, lower-is-better → the
highest; an interval indicator needs both.

**Earlier years are untouched**: a row for a year before this one must agree with what is stored (then
it is unchanged) — it never changes an earlier year's målnivå. This year's and later years' targets are
added or updated. The whole file is validated first (any bad row → nothing written), one transaction,
the same file twice changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from storage.db import Store
from storage.import_common import Report, fold, index_by, parse_year, read_as
from storage.importing import Row, Table, clean_cell, is_missing, parse_number, read_table
from storage.models import ImportBatch, Indicator, IndicatorTarget

KIND = "targets"
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indikator", "indicator", "resultatindikator", "nyckeltal", "kod", "code", "namn", "name"),
    "year": ("år", "ar", "year", "målår"),
    "target": ("målnivå", "malniva", "målvärde", "mål", "target"),
    "low": ("lägst", "lagst", "låg", "undre gräns", "min", "minst", "low"),
    "high": ("högst", "hogst", "hög", "övre gräns", "max", "high"),
    "label": ("etikett", "benämning", "label"),
    "source": ("källa", "kalla", "source"),
}
REQUIRED = ("indicator",)
WIDE = re.compile(r"^(?:m[aå]lniv[aå]|m[aå]l|target)?[\s_:-]*((?:19|20)\d\d)$", re.IGNORECASE)
RANGE = re.compile(r"^\s*([+-]?\d[\d\s,.]*)\s*(?:–|—|-|till)\s*([+-]?\d[\d\s,.]*)\s*(%?)\s*$")
DIRECTION_SV = {"higher": "högre är bättre", "lower": "lägre är bättre", "interval": "ett intervall"}


@dataclass
class _Target:
    line: int
    indicator: Indicator
    year: int
    low: Decimal | None
    high: Decimal | None
    label: str
    source: str | None
    existing: IndicatorTarget | None = None


def _wide_columns(headers: tuple[str, ...]) -> dict[str, int]:
    """Year columns of a wide file: header → year."""
    out: dict[str, int] = {}
    for header in headers:
        match = WIDE.match(clean_cell(header))
        if match:
            out[header] = int(match.group(1))
    return out


def _bounds(text: str, indicator: Indicator, low_text: str = "", high_text: str = ""
            ) -> tuple[Decimal | None, Decimal | None]:
    """(low, high) for the indicator's direction; ``ValueError`` with a Swedish reason."""
    direction = indicator.direction
    low = high = None
    if text and not is_missing(text):
        ranged = RANGE.match(clean_cell(text).replace("−", "-"))
        if ranged and not re.fullmatch(r"[+-]?\d[\d\s]*[,.]?\d*\s*%?", clean_cell(text)):
            low, high = parse_number(ranged.group(1)), parse_number(ranged.group(2))
            if direction != "interval":
                raise ValueError(f"{indicator.short_name} har ett gränsvärde ({DIRECTION_SV[direction]}), inget "
                                 "intervall")
        else:
            value = parse_number(text)
            if direction == "interval":
                raise ValueError(f"{indicator.short_name} är ett intervall: skriv t.ex. 90–95 eller använd "
                                 "kolumnerna lägst och högst")
            low, high = (value, None) if direction == "higher" else (None, value)
    if low_text and not is_missing(low_text):
        low = parse_number(low_text)
    if high_text and not is_missing(high_text):
        high = parse_number(high_text)
    if low is None and high is None:
        raise ValueError("målnivå saknas")
    if direction == "interval" and (low is None or high is None):
        raise ValueError(f"{indicator.short_name} är ett intervall: både lägst och högst behövs")
    if direction == "higher" and low is None:
        raise ValueError(f"{indicator.short_name}: högre är bättre, så målnivån är ett lägsta värde (lägst)")
    if direction == "lower" and high is None:
        raise ValueError(f"{indicator.short_name}: lägre är bättre, så målnivån är ett högsta värde (högst)")
    if low is not None and high is not None and low > high:
        raise ValueError(f"lägst ({low}) är större än högst ({high})")
    for bound in (low, high):
        if bound is not None and (bound != bound.quantize(Decimal("0.001")) or abs(bound) >= Decimal("1e11")):
            raise ValueError("högst tre decimaler och rimlig storlek")
    return low, high


async def import_targets(store: Store, source: Path | bytes, *, at: datetime, today: date, file_name: str | None = None,
                         imported_by_id: int | None = None, via: str = "cli", sheet: str | None = None,
                         dry_run: bool = False) -> Report:
    """Validate the whole file; when every row is right, write the målnivåer in one transaction."""
    name = file_name or (source.name if isinstance(source, Path) else "malnivaer")
    data = source.read_bytes() if isinstance(source, Path) else source
    first = read_table(data, COLUMNS, required=REQUIRED, file_name=name, sheet=sheet)
    wide = _wide_columns(first.extra_columns)
    table: Table = first
    if wide:
        table = read_table(data, {**COLUMNS, **{f"y{year}": (header,) for header, year in wide.items()}},
                           required=REQUIRED, file_name=name, sheet=sheet)
    report = Report(KIND, name, rows=len(table.rows), dry_run=dry_run, read_as=read_as(table))
    long_form = "year" in table.columns and any(c in table.columns for c in ("target", "low", "high"))
    if not wide and not long_form:
        report.add(None, None, "filen behöver kolumnerna år och målnivå (eller lägst/högst), eller en kolumn per år "
                               "(t.ex. ”Målnivå 2019”)")
        return report
    async with store.session() as session:
        indicators = list((await session.execute(select(Indicator))).scalars())
        lookup = index_by(indicators, lambda i: i.code, lambda i: i.name, lambda i: i.short_name,
                          lambda i: list(i.synonyms or []))
        stored = {(t.indicator_id, t.year): t for t in (await session.execute(select(IndicatorTarget))).scalars()}
        parsed: list[_Target] = []
        seen: dict[tuple[int, int], int] = {}

        def add(row: Row, indicator: Indicator, year: int, text: str, low_text: str = "", high_text: str = "") -> None:
            try:
                low, high = _bounds(text, indicator, low_text, high_text)
            except ValueError as exc:
                report.add(row.line, f"målnivå {year}", str(exc))
                return
            if (indicator.id, year) in seen:
                report.add(row.line, "år", f"{indicator.short_name} {year} står redan på rad {seen[(indicator.id, year)]}")
                return
            seen[(indicator.id, year)] = row.line
            label = clean_cell(row.get("label"))[:100] or f"Målnivå {year}"
            item = _Target(row.line, indicator, year, low, high, label, clean_cell(row.get("source"))[:200] or None,
                           stored.get((indicator.id, year)))
            if item.existing is not None and year < today.year and (item.existing.low, item.existing.high) != (low, high):
                shown = " – ".join(str(b) for b in (item.existing.low, item.existing.high) if b is not None)
                report.add(row.line, f"målnivå {year}", f"{indicator.short_name} har redan målnivån {shown} för {year}; "
                                                        "tidigare år ändras inte av en import")
                return
            parsed.append(item)

        for row in table.rows:
            text = clean_cell(row.get("indicator"))
            found = lookup.get(fold(text), []) if text else []
            if not text:
                report.add(row.line, "indikator", "indikator saknas")
                continue
            if len(found) != 1:
                report.add(row.line, "indikator", f"okänd indikator ”{text}”" if not found
                           else f"”{text}” passar flera indikatorer – ange koden")
                continue
            indicator = found[0]
            if long_form and not is_missing(row.get("year")):
                try:
                    year = parse_year(row.get("year"))
                except ValueError as exc:
                    report.add(row.line, "år", str(exc))
                    continue
                add(row, indicator, year, row.get("target"), row.get("low"), row.get("high"))
            elif long_form and not wide:
                report.add(row.line, "år", "år saknas")
            for year in sorted(set(wide.values())):
                cell = row.get(f"y{year}")
                if not is_missing(cell):
                    add(row, indicator, year, cell)
        report.valid = len(table.rows) - len(report.bad_lines)
        per_year: dict[str, int] = {}
        for item in parsed:
            per_year[str(item.year)] = per_year.get(str(item.year), 0) + 1
        report.totals = sorted(per_year.items())
        report.period = ", ".join(sorted(per_year)) or None
        if report.problems:
            return report
        new = [t for t in parsed if t.existing is None]
        changed = [t for t in parsed if t.existing is not None and (
            (t.existing.low, t.existing.high) != (t.low, t.high)
            or (t.existing.label != t.label and t.year >= today.year))]
        report.created, report.updated = len(new), len(changed)
        report.unchanged = len(parsed) - len(new) - len(changed)
        report.summary = {"created": len(new), "updated": len(changed), "unchanged": report.unchanged,
                          "years": sorted({t.year for t in parsed}), "read_as": report.read_as}
        verb = "Skulle läsa in" if dry_run else "Inläst"
        report.done.append(f"{verb}: {len(new)} nya, {len(changed)} ändrade, {report.unchanged} oförändrade målnivåer"
                           f" ({report.period or 'inga år'}).")
        if dry_run or not (new or changed):
            report.written = not dry_run
            return report
        for item in new:
            session.add(IndicatorTarget(indicator_id=item.indicator.id, year=item.year, low=item.low, high=item.high,
                                        label=item.label, source=item.source or f"Import: {name}"[:200]))
        for item in changed:
            assert item.existing is not None
            item.existing.low, item.existing.high, item.existing.label = item.low, item.high, item.label
            item.existing.source = item.source or f"Import: {name}"[:200]
        await session.flush()
        batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=first.checksum, rows=report.valid,
                            imported_by_id=imported_by_id, imported_at=at, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        report.batch_id, report.written = batch.id, True
    return report


__all__ = ["COLUMNS", "KIND", "REQUIRED", "import_targets"]
