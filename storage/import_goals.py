"""Import verksamhetsmål (``tavla import goals FILE``): each verksamhetsområde's goals for a year.

The level handlingsplaner hang from: every verksamhetsmål belongs to one verksamhetsområde and one year
and is linked to the goal it serves — a förvaltningsmål, resultatmål, prioritering (or digital agenda).

Columns (headers matched without regard to case, å/ä/ö or punctuation): ``verksamhetsområde`` (code, name
or synonym of an area valid that year), ``verksamhetsmål`` (the title), ``överordnat mål`` (code or title),
and optionally ``år`` (default: this year), ``kod`` (a stable code; made from area, year and title when
missing), ``beskrivning``, ``ordning``.

- A goal is the same goal when its code is the same, or (without a code) when area, year and title are.
  Its parent, description and order are updated; a goal that also covers earlier years is never changed
  by an import for a later one (give the new year's goal its own row: earlier years stay as they were).
- Goals in the store but not in the file are left alone.

The whole file is validated first: any bad row → nothing written. One transaction; the same file twice
changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage.db import Store
from storage.import_common import Report, fold, index_by, optional_year, read_as
from storage.importing import clean_cell, is_missing, parse_number, read_table
from storage.models import Goal, ImportBatch, OrgUnit

KIND = "goals"
PARENT_KINDS = ("forvaltningsmal", "resultatmal", "prioritering", "digital_agenda")
PARENT_LABELS = {"forvaltningsmal": "förvaltningsmål", "resultatmal": "resultatmål", "prioritering": "prioritering",
                 "digital_agenda": "digital agenda"}
COLUMNS: dict[str, tuple[str, ...]] = {
    "area": ("verksamhetsområde", "verksamhetsomrade", "område", "omrade", "vo", "area"),
    "title": ("verksamhetsmål", "verksamhetsmal", "mål", "titel", "goal", "målformulering"),
    "parent": ("överordnat mål", "overordnat mal", "förvaltningsmål", "resultatmål", "prioritering", "parent goal",
               "kopplat till", "kopplas till"),
    "year": ("år", "ar", "year", "planår", "verksamhetsår"),
    "code": ("kod", "code", "målkod", "mål-id"),
    "description": ("beskrivning", "description", "kommentar"),
    "order": ("ordning", "sortering", "nr", "sort_order"),
}
REQUIRED = ("area", "title", "parent")
TITLE_MAX = 300


@dataclass
class _Goal:
    line: int
    code: str | None
    area: OrgUnit
    year: int
    title: str
    parent: Goal
    description: str | None
    order: int | None
    existing: Goal | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


async def import_goals(store: Store, source: Path | bytes, *, at: datetime, today: date, file_name: str | None = None,
                       imported_by_id: int | None = None, via: str = "cli", sheet: str | None = None,
                       dry_run: bool = False) -> Report:
    """Validate the whole file; when every row is right, write the verksamhetsmål in one transaction."""
    name = file_name or (source.name if isinstance(source, Path) else "verksamhetsmal")
    table = read_table(source, COLUMNS, required=REQUIRED, file_name=name, sheet=sheet)
    report = Report(KIND, name, rows=len(table.rows), dry_run=dry_run, read_as=read_as(table))
    async with store.session() as session:
        areas = index_by((await session.execute(select(OrgUnit).where(
            OrgUnit.kind == "verksamhetsomrade"))).scalars().all(),
            lambda u: u.code, lambda u: u.name, lambda u: list(u.synonyms or []))
        goals = list((await session.execute(select(Goal))).scalars())
        parents = index_by([g for g in goals if g.kind in PARENT_KINDS], lambda g: g.code, lambda g: g.title)
        by_code = {g.code: g for g in goals}
        vm = [g for g in goals if g.kind == "verksamhetsmal"]
        parsed: list[_Goal] = []
        seen: dict[tuple[int, int, str], int] = {}
        stale: dict[int, tuple[Goal, int]] = {}
        for row in table.rows:
            before = report.problem_count

            def problem(column: str, message: str) -> None:
                report.add(row.line, column, message)

            year = today.year
            try:
                year = optional_year(row, "year") or today.year
            except ValueError as exc:
                problem("år", str(exc))
            area_text = clean_cell(row.get("area"))
            found = [u for u in areas.get(fold(area_text), []) if u.valid_from <= year
                     and (u.valid_to is None or u.valid_to >= year)]
            if not area_text:
                problem("verksamhetsområde", "verksamhetsområde saknas")
            elif not found:
                problem("verksamhetsområde", f"”{area_text}” är inget verksamhetsområde {year}")
            elif len(found) > 1:
                problem("verksamhetsområde", f"”{area_text}” passar flera verksamhetsområden – ange koden")
            title = clean_cell(row.get("title"))
            if not title:
                problem("verksamhetsmål", "verksamhetsmål saknas")
            elif len(title) > TITLE_MAX:
                problem("verksamhetsmål", f"för långt (högst {TITLE_MAX} tecken)")
            parent_text = clean_cell(row.get("parent"))
            named = parents.get(fold(parent_text), [])
            candidates = [g for g in named
                          if (g.year_from is None or g.year_from <= year) and (g.year_to is None or g.year_to >= year)]
            if not candidates and named:  # the förvaltningsmål of an earlier årsplan still serves (said in the report)
                latest = max(g.year_to or 0 for g in named)
                candidates = [g for g in named if (g.year_to or 0) == latest and latest < year]
                if len(candidates) == 1:
                    stale.setdefault(candidates[0].id, (candidates[0], year))
            if not parent_text:
                problem("överordnat mål", "överordnat mål saknas (förvaltningsmål, resultatmål eller prioritering)")
            elif not candidates:
                problem("överordnat mål", f"”{parent_text}” är inget förvaltningsmål, resultatmål eller prioritering "
                                          f"som gäller {year}")
            elif len(candidates) > 1:
                problem("överordnat mål", f"”{parent_text}” passar flera mål – ange koden")
            code = clean_cell(row.get("code")) or None
            if code and len(code) > 64:
                problem("kod", "koden är för lång (högst 64 tecken)")
            order = None
            if not is_missing(row.get("order")):
                try:
                    number = parse_number(row.get("order"), units=())
                    if number != number.to_integral_value() or not 0 <= number < 100_000:
                        raise ValueError
                    order = int(number)
                except ValueError:
                    problem("ordning", f"”{clean_cell(row.get('order'))}” är inget heltal")
            if report.problem_count > before:
                continue
            area = found[0]
            key = (area.id, year, fold(title))
            if key in seen:
                problem("verksamhetsmål", f"samma mål för {area.name} {year} står redan på rad {seen[key]}")
                continue
            seen[key] = row.line
            item = _Goal(row.line, code, area, year, title, candidates[0],
                         clean_cell(row.get("description")) or None, order)
            existing = by_code.get(code) if code else next(
                (g for g in vm if g.org_unit_id == area.id and fold(g.title) == fold(title)
                 and (g.year_from or year) <= year <= (g.year_to or year)), None)
            if existing is not None:
                if existing.kind != "verksamhetsmal":
                    problem("kod", f"koden {code} hör till ett annat slags mål (”{existing.title}”)")
                    continue
                if existing.org_unit_id != area.id:
                    problem("kod", f"koden {code} hör till ett annat verksamhetsområde")
                    continue
                span = (existing.year_from or year, existing.year_to or year)
                changes_title = fold(existing.title) != fold(title)
                if not span[0] <= year <= span[1] or (span != (year, year) and (
                        changes_title or existing.parent_id != item.parent.id)):
                    problem("verksamhetsmål", f"målet {existing.code} gäller {span[0]}–{span[1]}; tidigare år ändras "
                                              "inte – ge årets mål en egen kod (eller lämna kod tom)")
                    continue
                item.existing = existing
            parsed.append(item)
        report.valid = len(table.rows) - len(report.bad_lines)
        per_area: dict[str, int] = {}
        for item in parsed:
            per_area[item.area.name] = per_area.get(item.area.name, 0) + 1
        report.totals = sorted(per_area.items())
        years = sorted({g.year for g in parsed})
        report.period = ", ".join(map(str, years)) or None
        if report.problems:
            return report
        new = [g for g in parsed if g.existing is None]
        changed: list[tuple[_Goal, dict[str, object]]] = []
        for item in parsed:
            if item.existing is None:
                continue
            wanted: dict[str, object] = {"title": item.title, "parent_id": item.parent.id}
            if item.description is not None:
                wanted["description"] = item.description
            if item.order is not None:
                wanted["sort_order"] = item.order
            diff = {k: v for k, v in wanted.items() if getattr(item.existing, k) != v}
            if diff:
                changed.append((item, diff))
        report.created, report.updated = len(new), len(changed)
        report.unchanged = len(parsed) - len(new) - len(changed)
        report.summary = {"created": len(new), "updated": len(changed), "unchanged": report.unchanged,
                          "years": years, "read_as": report.read_as}
        verb = "Skulle läsa in" if dry_run else "Inläst"
        report.done.append(f"{verb}: {len(new)} nya, {len(changed)} ändrade, {report.unchanged} oförändrade "
                           f"verksamhetsmål.")
        for goal, year in stale.values():
            report.warnings.append(f"{PARENT_LABELS.get(goal.kind, goal.kind)} ”{goal.title}” gäller t.o.m. "
                                   f"{goal.year_to}; verksamhetsmålen för {year} kopplas ändå till det.")
        if dry_run or not (new or changed):
            report.written = not dry_run
            return report
        order_base = (await session.execute(select(func.coalesce(func.max(Goal.sort_order), 0)))).scalar_one()
        taken = set(by_code)
        for n, item in enumerate(new, start=1):
            code = item.code
            if code is None:
                base = f"vm-{_slug(item.area.code)}-{item.year}-{_slug(item.title)}"[:60].rstrip("-")
                code, k = base, 1
                while code in taken:
                    k += 1
                    code = f"{base[:57]}-{k}"
            taken.add(code)
            session.add(Goal(code=code, kind="verksamhetsmal", title=item.title, description=item.description,
                             parent_id=item.parent.id, org_unit_id=item.area.id, year_from=item.year,
                             year_to=item.year, sort_order=item.order if item.order is not None else order_base + n,
                             source=f"Import: {name}"[:200]))
        for item, diff in changed:
            for key, value in diff.items():
                setattr(item.existing, key, value)
        await session.flush()
        batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=table.checksum, rows=report.valid,
                            imported_by_id=imported_by_id, imported_at=at, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        report.batch_id, report.written = batch.id, True
    return report


__all__ = ["COLUMNS", "KIND", "REQUIRED", "import_goals"]
