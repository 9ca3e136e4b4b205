"""Import the organisation (``tavla import org FILE``): org units with code, name, kind, parent and years.

One row per unit *version*: a unit is identified by its ``kod`` and the year it is valid from, so the
history of renames and merges is kept (Östra Göinge renamed areas in 2019 and 2022):

- **Rename**: the same code with a later ``giltig från`` and the new name — the earlier version is closed
  the year before (``giltig till``) and points to the new one (``successor``). Or a new code, with
  ``ersätts av`` on the old row.
- **Merge**: several old rows with ``giltig till`` and the same ``ersätts av``.
- A unit in the store but not in the file is left as it is (never deleted: plans, values and roles hang
  on it). The importer never changes memberships.

Columns (headers matched without regard to case, å/ä/ö or punctuation): ``kod``, ``namn`` (required),
``typ`` (kommun, förvaltning, verksamhetsområde, enhet — inferred from the parent when missing),
``överordnad`` (code or name of the parent valid that year; empty for the top), ``giltig från`` /
``giltig till`` (years; default: the version valid this year, or this year for a new unit), ``ersätts av``
(a code), ``synonymer`` (separated by ``|``), ``beskrivning``, ``källa``. The seed file
``storage/seed/org_units.csv`` is a valid import file.

The whole file is validated first: any bad row → a row-level report and nothing written. Writing is one
transaction; importing the same file again changes nothing (and records no new import batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from storage.db import Store
from storage.import_common import Report, fold, optional_year, read_as, split_list
from storage.importing import Table, clean_cell, is_missing, read_table
from storage.models import ORG_KINDS, ImportBatch, OrgUnit

KIND = "org"
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("kod", "code", "enhetskod", "organisationskod", "ansvarskod", "id"),
    "name": ("namn", "name", "benämning", "enhetsnamn", "enhetens namn"),
    "kind": ("typ", "nivå", "niva", "kind", "level", "organisationsnivå"),
    "parent": ("överordnad", "overordnad", "överordnad kod", "överordnad enhet", "förälder", "parent", "tillhör",
               "ingår i"),
    "valid_from": ("giltig från", "giltig fran", "från år", "fr.o.m.", "fr o m", "valid_from", "valid from", "från"),
    "valid_to": ("giltig till", "till år", "t.o.m.", "t o m", "valid_to", "valid to", "till"),
    "successor": ("ersätts av", "ersatts av", "efterträdare", "successor", "går upp i", "ny kod"),
    "synonyms": ("synonymer", "synonyms", "även kallad", "andra namn"),
    "description": ("beskrivning", "description"),
    "source": ("källa", "kalla", "source"),
}
REQUIRED = ("code", "name")
COLUMN_NAMES_SV = {"code": "kod", "name": "namn", "kind": "typ", "parent": "överordnad", "valid_from": "giltig från",
                   "valid_to": "giltig till", "successor": "ersätts av", "synonyms": "synonymer",
                   "description": "beskrivning", "source": "källa"}
KIND_WORDS = {
    "kommun": "kommun", "forvaltning": "forvaltning", "forvaltningen": "forvaltning",
    "verksamhetsomrade": "verksamhetsomrade", "omrade": "verksamhetsomrade", "vo": "verksamhetsomrade",
    "sektor": "verksamhetsomrade", "enhet": "enhet", "avdelning": "enhet", "unit": "enhet", "area": "verksamhetsomrade",
}
RANK = {"kommun": 0, "forvaltning": 1, "verksamhetsomrade": 2, "enhet": 3}
ARTICLE = {"kommun": "en", "forvaltning": "en", "verksamhetsomrade": "ett", "enhet": "en"}
KIND_LABELS = {"kommun": "kommun", "forvaltning": "förvaltning", "verksamhetsomrade": "verksamhetsområde",
               "enhet": "enhet"}


@dataclass
class _Version:
    """One unit version as it will be after the import (from the store, the file, or both)."""

    code: str
    valid_from: int
    name: str
    kind: str | None
    valid_to: int | None
    parent_ref: str | None = None  # as written in the file
    successor_ref: str | None = None
    synonyms: list[str] | None = None
    description: str | None = None
    source: str | None = None
    line: int | None = None  # row in the file, None = only in the store
    valid_to_given: bool = False
    existing: OrgUnit | None = None
    parent: "_Version | None" = None
    successor: "_Version | None" = None
    keep_parent: bool = False
    keep_successor: bool = False
    children: list["_Version"] = field(default_factory=list)

    def valid_in(self, year: int) -> bool:
        return self.valid_from <= year and (self.valid_to is None or self.valid_to >= year)

    def label(self) -> str:
        span = f"{self.valid_from}–{self.valid_to or ''}"
        return f"{self.name} ({self.code}, {span})"


def _kind(text: str) -> str | None:
    return KIND_WORDS.get(fold(text).replace("å", "a"))


def _parse(table: Table, report: Report, units: list[OrgUnit], this_year: int) -> dict[tuple[str, int], _Version]:
    """The file's rows as versions, keyed by (code, valid_from); row problems go into the report."""
    by_code: dict[str, list[OrgUnit]] = {}
    for unit in units:
        by_code.setdefault(unit.code, []).append(unit)
    out: dict[tuple[str, int], _Version] = {}
    for row in table.rows:
        before = report.problem_count

        def problem(column: str | None, message: str) -> None:
            report.add(row.line, COLUMN_NAMES_SV.get(column or "", column), message)

        code = clean_cell(row.get("code"))
        name = clean_cell(row.get("name"))
        if not code:
            problem("code", "kod saknas")
        elif len(code) > 64:
            problem("code", "koden är för lång (högst 64 tecken)")
        if not name:
            problem("name", "namn saknas")
        elif len(name) > 200:
            problem("name", "namnet är för långt (högst 200 tecken)")
        kind = None
        if not is_missing(row.get("kind")):
            kind = _kind(row.get("kind"))
            if kind is None:
                problem("kind", f"”{clean_cell(row.get('kind'))}” är ingen typ (kommun, förvaltning, "
                                "verksamhetsområde eller enhet)")
        valid_from = valid_to = None
        try:
            valid_from = optional_year(row, "valid_from")
        except ValueError as exc:
            problem("valid_from", str(exc))
        try:
            valid_to = optional_year(row, "valid_to")
        except ValueError as exc:
            problem("valid_to", str(exc))
        if valid_from is None and code:
            current = [u for u in by_code.get(code, []) if u.valid_from <= this_year
                       and (u.valid_to is None or u.valid_to >= this_year)]
            valid_from = current[0].valid_from if current else this_year
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            problem("valid_to", f"giltig till ({valid_to}) ligger före giltig från ({valid_from})")
        successor = clean_cell(row.get("successor")) or None
        if successor and valid_to is None:
            problem("successor", "”ersätts av” kräver ”giltig till” (sista året)")
        if successor and successor == code and valid_to is None:
            problem("successor", "en enhet kan inte ersättas av sig själv")
        if code and valid_from is not None and (code, valid_from) in out:
            problem("code", f"{code} från {valid_from} står redan på rad {out[(code, valid_from)].line}")
        if report.problem_count > before or valid_from is None:
            continue
        parent_text = clean_cell(row.get("parent"))
        out[(code, valid_from)] = _Version(
            code=code, valid_from=valid_from, name=name, kind=kind, valid_to=valid_to,
            parent_ref=parent_text or None, successor_ref=successor,
            synonyms=split_list(row.get("synonyms")) if "synonyms" in table.columns else None,
            description=(clean_cell(row.get("description")) or None) if "description" in table.columns else None,
            source=(clean_cell(row.get("source"))[:200] or None) if "source" in table.columns else None,
            line=row.line, valid_to_given=not is_missing(row.get("valid_to")),
            keep_parent="parent" not in table.columns, keep_successor=not successor)
    return out


def _merge_store(versions: dict[tuple[str, int], _Version], units: list[OrgUnit], table: Table) -> None:
    """Add the store's versions: matched ones get ``existing``; the others are carried as they are."""
    by_id = {u.id: u for u in units}
    for unit in units:
        key = (unit.code, unit.valid_from)
        found = versions.get(key)
        if found is not None:
            found.existing = unit
            if found.kind is None:
                found.kind = unit.kind
            if found.parent_ref is None and unit.parent_id is not None:
                found.keep_parent = True  # an empty parent cell keeps the parent the unit has
            if not found.valid_to_given and "valid_to" not in table.columns:
                found.valid_to = unit.valid_to
            continue
        versions[key] = _Version(code=unit.code, valid_from=unit.valid_from, name=unit.name, kind=unit.kind,
                                 valid_to=unit.valid_to, existing=unit, keep_parent=True, keep_successor=True)
    by_unit = {id(v.existing): v for v in versions.values() if v.existing is not None}
    for version in versions.values():
        unit = version.existing
        if unit is None:
            continue
        if version.keep_parent and unit.parent_id is not None:
            version.parent = by_unit.get(id(by_id.get(unit.parent_id)))
        if version.keep_successor and unit.successor_id is not None:
            version.successor = by_unit.get(id(by_id.get(unit.successor_id)))


def _close_renamed(versions: dict[tuple[str, int], _Version], report: Report) -> None:
    """Versions of one code must not overlap: an open earlier one is closed the year before the next."""
    by_code: dict[str, list[_Version]] = {}
    for version in versions.values():
        by_code.setdefault(version.code, []).append(version)
    for code, chain in by_code.items():
        chain.sort(key=lambda v: v.valid_from)
        for earlier, later in zip(chain, chain[1:]):
            if earlier.valid_to is not None and earlier.valid_to < later.valid_from:
                continue
            if earlier.valid_to_given and earlier.line is not None:
                report.add(earlier.line, "giltig till", f"{code} {earlier.valid_from}–{earlier.valid_to} överlappar "
                                                        f"versionen från {later.valid_from}")
                continue
            earlier.valid_to = later.valid_from - 1
            if earlier.successor is None and earlier.successor_ref is None:
                earlier.successor = later


def _resolve(versions: dict[tuple[str, int], _Version], report: Report) -> None:
    """Parents and successors by code (or name) among the versions valid in the right year."""
    by_code: dict[str, list[_Version]] = {}
    by_name: dict[str, list[_Version]] = {}
    for version in versions.values():
        by_code.setdefault(fold(version.code), []).append(version)
        for name in (version.name, *(version.synonyms or [])):
            by_name.setdefault(fold(name), []).append(version)
    for version in versions.values():
        if version.parent_ref is not None:
            year = version.valid_from
            found = [v for v in by_code.get(fold(version.parent_ref), []) if v.valid_in(year)]
            if not found:
                found = [v for v in by_name.get(fold(version.parent_ref), []) if v.valid_in(year)]
            if not found:
                report.add(version.line, "överordnad", f"”{version.parent_ref}” finns inte {year}")
            elif len(found) > 1:
                report.add(version.line, "överordnad", f"”{version.parent_ref}” passar flera enheter {year} – ange koden")
            elif found[0] is version:
                report.add(version.line, "överordnad", "en enhet kan inte ligga under sig själv")
            else:
                version.parent = found[0]
        if version.successor_ref is not None:
            after = [v for v in by_code.get(fold(version.successor_ref), []) if v is not version and
                     (version.valid_to is None or v.valid_in(version.valid_to + 1))]
            if not after:
                report.add(version.line, "ersätts av", f"”{version.successor_ref}” finns inte "
                                                       f"{(version.valid_to or version.valid_from) + 1}")
            else:
                version.successor = after[0]


def _check_tree(versions: dict[tuple[str, int], _Version], report: Report) -> None:
    for version in versions.values():
        if version.kind is None:  # inferred from the parent
            parent_kind = version.parent.kind if version.parent else None
            version.kind = {None: "forvaltning", "kommun": "forvaltning", "forvaltning": "verksamhetsomrade"}.get(
                parent_kind, "enhet")
        if version.parent is not None:
            version.parent.children.append(version)
    for version in versions.values():
        if version.line is None:
            continue
        kind, parent = version.kind or "enhet", version.parent
        if parent is None and version.parent_ref is None and RANK[kind] >= RANK["verksamhetsomrade"]:
            report.add(version.line, "överordnad", f"{ARTICLE[kind]} {KIND_LABELS[kind]} behöver en överordnad enhet")
        if parent is not None and parent.kind is not None and (
                RANK[kind] < RANK[parent.kind] or (RANK[kind] == RANK[parent.kind] and kind != "enhet")):
            report.add(version.line, "typ", f"{ARTICLE[kind]} {KIND_LABELS[kind]} kan inte ligga under "
                                            f"{KIND_LABELS[parent.kind]} {parent.name}")
        seen, node = {id(version)}, parent
        while node is not None:
            if id(node) in seen:
                report.add(version.line, "överordnad", "enheterna ligger under varandra i en ring")
                break
            seen.add(id(node))
            node = node.parent


def _changes(version: _Version) -> dict[str, object]:
    unit = version.existing
    assert unit is not None
    wanted: dict[str, object] = {"name": version.name, "kind": version.kind, "valid_to": version.valid_to}
    if version.line is not None:
        if not version.keep_parent:
            wanted["parent"] = version.parent.existing.id if version.parent and version.parent.existing else version.parent
        if version.synonyms is not None:
            wanted["synonyms"] = version.synonyms
        if version.description is not None:
            wanted["description"] = version.description
        if version.source is not None:
            wanted["source"] = version.source
    if version.successor is not None:
        wanted["successor"] = version.successor.existing.id if version.successor.existing else version.successor
    current = {"name": unit.name, "kind": unit.kind, "valid_to": unit.valid_to, "parent": unit.parent_id,
               "successor": unit.successor_id, "synonyms": list(unit.synonyms or []), "description": unit.description,
               "source": unit.source}
    return {k: v for k, v in wanted.items() if current[k] != v}


async def import_org(store: Store, source: Path | bytes, *, at: datetime, today: date, file_name: str | None = None,
                     imported_by_id: int | None = None, via: str = "cli", sheet: str | None = None,
                     dry_run: bool = False) -> Report:
    """Validate the whole file, then (when every row is right) write it in one transaction."""
    name = file_name or (source.name if isinstance(source, Path) else "organisation")
    table = read_table(source, COLUMNS, required=REQUIRED, file_name=name, sheet=sheet)
    report = Report(KIND, name, rows=len(table.rows), dry_run=dry_run, read_as=read_as(table))
    async with store.session() as session:
        units = list((await session.execute(select(OrgUnit).order_by(OrgUnit.id))).scalars())
        versions = _parse(table, report, units, today.year)
        _merge_store(versions, units, table)
        _close_renamed(versions, report)
        _resolve(versions, report)
        _check_tree(versions, report)
        report.valid = len(table.rows) - len(report.bad_lines)
        in_file = [v for v in versions.values() if v.line is not None]
        new = [v for v in in_file if v.existing is None]
        changed = [(v, c) for v in versions.values() if v.existing is not None for c in [_changes(v)] if c]
        report.created, report.updated = len(new), len(changed)
        report.unchanged = len(in_file) - len(new) - len([v for v, _ in changed if v.line is not None])
        untouched = [v for v in versions.values() if v.line is None and v.existing is not None
                     and not any(v is w for w, _ in changed)]
        report.totals = sorted(((KIND_LABELS.get(k, k), sum(1 for v in in_file if v.kind == k)) for k in ORG_KINDS
                                if any(v.kind == k for v in in_file)), key=lambda t: RANK.get(t[0], 9))
        years = sorted({v.valid_from for v in in_file})
        report.period = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else None)
        if report.problems:
            return report
        closed = [v for v in versions.values() if v.valid_to is not None and v.line is None and
                  any(v is w for w, _ in changed)]
        verb = "Skulle läsa in" if dry_run else "Inläst"
        report.done.append(f"{verb}: {len(new)} nya, {len([1 for v, _ in changed if v.line is not None])} ändrade, "
                           f"{report.unchanged} oförändrade enheter"
                           + (f"; {len(closed)} tidigare versioner avslutas" if closed else "") + ".")
        for version in versions.values():
            if version.valid_to is None:
                continue
            orphans = [c for c in version.children if c.line is None and c.keep_parent
                       and (c.valid_to is None or c.valid_to > version.valid_to)]
            if orphans:
                report.warnings.append(
                    f"{version.label()} upphör efter {version.valid_to} men {len(orphans)} enheter under den gäller "
                    f"längre ({', '.join(o.name for o in orphans[:5])}{' …' if len(orphans) > 5 else ''}) – ange "
                    "deras nya överordnade i filen")
        if untouched:
            report.warnings.append(f"{len(untouched)} enheter finns i Tavla men inte i filen; de lämnas orörda.")
        report.summary = {"created": len(new), "updated": len(changed), "unchanged": report.unchanged,
                          "read_as": report.read_as}
        if dry_run or not (new or changed):
            report.written = not dry_run
            return report
        created: dict[int, OrgUnit] = {}
        for version in new:
            unit = OrgUnit(code=version.code, name=version.name, kind=version.kind, valid_from=version.valid_from,
                           valid_to=version.valid_to, synonyms=version.synonyms or [], description=version.description,
                           source=version.source or f"Import: {name}"[:200], is_demo=False)
            session.add(unit)
            created[id(version)] = unit
        await session.flush()

        def unit_id(target: object) -> int | None:
            if isinstance(target, _Version):
                return (target.existing or created[id(target)]).id
            return target  # type: ignore[return-value]

        for version in new:
            unit = created[id(version)]
            unit.parent_id = unit_id(version.parent) if version.parent else None
            unit.successor_id = unit_id(version.successor) if version.successor else None
        for version, change in changed:
            unit = version.existing
            assert unit is not None
            for key, value in change.items():
                column = {"parent": "parent_id", "successor": "successor_id"}.get(key, key)
                setattr(unit, column, unit_id(value) if key in ("parent", "successor") else value)
        await session.flush()
        batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=table.checksum, rows=report.valid,
                            imported_by_id=imported_by_id, imported_at=at, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        report.batch_id = batch.id
        report.written = True
    return report


__all__ = ["COLUMNS", "KIND", "REQUIRED", "import_org"]
