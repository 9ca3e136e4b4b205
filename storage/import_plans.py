"""Import handlingsplaner (``tavla import handlingsplaner FILE``): CSV (``;`` or ``,``) or Excel.

One row per activity. Columns (headers matched without regard to case, å/ä/ö or punctuation):

- ``enhet`` — the enhet's code or name (or a synonym), exactly;
- ``verksamhetsmål`` — the code or title of a verksamhetsmål; a title that does not exist yet is created
  when the row also names its ``överordnat mål`` (a förvaltningsmål, resultatmål, prioritering, digital
  agenda goal or utmaningsområde, by code or title) — "en handlingsplan per verksamhetsmål";
- ``aktivitet`` — the activity's title;
- optional ``beskrivning``, ``ansvarig`` (e-mail/UPN, AAD object id or full name, exactly), ``start``,
  ``klart`` (the deadline: ``2018-04-30``, ``30/4/2018``, ``30/4`` or an Excel date), ``status`` (Idé,
  Ej påbörjad, Pågår, Klar, Pausad; default Ej påbörjad), ``procent`` (0–100; Klar means 100 %, and the
  status and % must agree as everywhere in Tavla), ``år`` (the plan year; default the current year).

The whole file is validated first: any bad row → a row-level report and nothing written (unless
``skip_invalid``). Writing is one transaction. An activity already in the plan (same title) is updated
through the same versioned update as a report from chat, logged ``via = import``; an unchanged one is
left alone — importing the same file twice changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.activities import EJ_PABORJAD, STATUSES, State, next_state, parse_status
from followup.errors import UserError
from storage import plans
from storage.db import Store
from storage.importing import Table, clean_cell, is_missing, parse_number, read_table
from storage.models import Activity, ActionPlan, Goal, ImportBatch, OrgUnit, Person

KIND = "handlingsplaner"
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("enhet", "enhetens namn", "enhetskod", "unit", "org_unit", "organisation"),
    "goal": ("verksamhetsmål", "verksamhetsmal", "mål", "handlingsplan", "goal"),
    "parent": ("överordnat mål", "overordnat mal", "förvaltningsmål", "resultatmål", "prioritering", "parent goal"),
    "title": ("aktivitet", "aktivitetens namn", "titel", "activity", "title"),
    "description": ("beskrivning", "description"),
    "owner": ("ansvarig", "ägare", "owner", "e-post", "epost", "upn"),
    "start": ("start", "startdatum", "start date", "från"),
    "deadline": ("klart", "klar senast", "slutdatum", "deadline", "klart senast", "klart datum", "due"),
    "status": ("status", "läge"),
    "progress": ("procent", "%", "andel klart", "progress", "klart till"),
    "year": ("år", "ar", "year", "planår"),
}
REQUIRED = ("unit", "goal", "title")
COLUMN_NAMES_SV = {"unit": "enhet", "goal": "verksamhetsmål", "parent": "överordnat mål", "title": "aktivitet",
                   "description": "beskrivning", "owner": "ansvarig", "start": "start", "deadline": "klart",
                   "status": "status", "progress": "procent", "year": "år"}
PARENT_KINDS = ("forvaltningsmal", "resultatmal", "prioritering", "digital_agenda", "utmaningsomrade", "vision")
TITLE_MAX = 300


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
    unit_id: int
    area_id: int | None
    year: int
    goal_id: int | None  # None: create the verksamhetsmål ``goal_title`` under ``parent_id``
    goal_title: str
    parent_id: int | None
    title: str
    description: str | None
    owner_id: int | None
    start: date | None
    deadline: date | None
    status: str
    progress: int


@dataclass
class ImportReport:
    """What an import found and did; ``written`` is False when nothing was written because of errors."""

    file_name: str
    rows: int = 0
    valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    written: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    plans_created: int = 0
    goals_created: int = 0
    batch_id: int | None = None
    skip_invalid: bool = False
    read_as: str = ""

    @property
    def skipped_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    def lines(self) -> list[str]:
        out = [f"{self.file_name}: {self.rows} rader lästa ({self.read_as})."]
        if self.problems:
            head = (f"{len(self.skipped_lines)} rader hoppades över:" if self.skip_invalid and self.written
                    else f"{len(self.skipped_lines)} rader har fel – inget importerades:")
            out.append(head)
            out += [f"  {p}" for p in self.problems]
        if self.written:
            out.append(f"Importerat: {self.created} nya, {self.updated} ändrade, {self.unchanged} oförändrade "
                       f"aktiviteter; {self.plans_created} nya handlingsplaner, {self.goals_created} nya verksamhetsmål.")
            if not self.created and not self.updated:
                out.append("Inget ändrades (filen var redan importerad).")
        elif not self.problems:
            out.append("Inget att importera.")
        else:
            out.append("Rätta raderna och importera igen, eller kör med --skip-invalid för att importera de "
                       "giltiga raderna.")
        return out


def _fold(text: str) -> str:
    return clean_cell(text).lower().translate(str.maketrans("åäöéü", "aaoeu"))


@dataclass
class _Context:
    units: dict[str, list[OrgUnit]]
    verksamhetsmal: dict[str, list[Goal]]
    parents: dict[str, list[Goal]]
    people: dict[str, list[Person]]


async def _context(session: AsyncSession) -> _Context:
    def add(index: dict[str, list[Any]], name: str | None, obj: Any) -> None:
        if name:
            bucket = index.setdefault(_fold(name), [])
            if obj not in bucket:
                bucket.append(obj)

    units: dict[str, list[OrgUnit]] = {}
    for unit in (await session.execute(select(OrgUnit))).scalars():
        for name in (unit.code, unit.name, *(unit.synonyms or [])):
            add(units, name, unit)
    goals: dict[str, list[Goal]] = {}
    parents: dict[str, list[Goal]] = {}
    for goal in (await session.execute(select(Goal))).scalars():
        index = goals if goal.kind == "verksamhetsmal" else parents if goal.kind in PARENT_KINDS else None
        if index is not None:
            add(index, goal.code, goal)
            add(index, goal.title, goal)
    people: dict[str, list[Person]] = {}
    for person in (await session.execute(select(Person).where(Person.active.is_(True)))).scalars():
        for name in (person.aad_object_id, person.upn, person.name):
            add(people, name, person)
    return _Context(units, goals, parents, people)


_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})(?:[/ -](\d{2}|\d{4}))?$")


def parse_date(text: str, year: int) -> date:
    """``2018-04-30``, ``2018-04-30 00:00:00`` (Excel), ``30/4/2018``, ``30/4`` (the plan year); ``ValueError``."""
    value = clean_cell(text)
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?$", value)
    try:
        if iso:
            return date.fromisoformat(iso.group(1))
        match = _DAY.match(value)
        if match:
            y = match.group(3)
            full = int(y) + 2000 if y and len(y) == 2 else int(y) if y else year
            return date(full, int(match.group(2)), int(match.group(1)))
    except ValueError:
        raise ValueError(f"datumet ”{value}” finns inte") from None
    raise ValueError(f"”{value}” är inget datum (skriv t.ex. 2018-04-30 eller 30/4)")


def _one(index: dict[str, list[Any]], text: str) -> tuple[Any | None, int]:
    found = index.get(_fold(text), [])
    return (found[0] if len(found) == 1 else None), len(found)


def _validate(table: Table, ctx: _Context, default_year: int) -> tuple[list[ParsedRow], list[RowProblem]]:
    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, str, int, str], int] = {}
    for row in table.rows:
        errors: list[RowProblem] = []

        def problem(column: str | None, message: str) -> None:
            errors.append(RowProblem(row.line, column, message))

        year = default_year
        if not is_missing(row.get("year")):
            try:
                number = parse_number(row.get("year"), units=())
                if number != number.to_integral_value() or not 2000 <= number <= 2100:
                    raise ValueError
                year = int(number)
            except ValueError:
                problem("year", f"”{row.get('year')}” är inget år")
        unit_text = clean_cell(row.get("unit"))
        unit, count = _one(ctx.units, unit_text) if unit_text else (None, 0)
        if not unit_text:
            problem("unit", "enhet saknas")
        elif unit is None:
            problem("unit", f"”{unit_text}” finns inte" if count == 0 else f"”{unit_text}” passar flera enheter – ange koden")
        elif unit.kind != "enhet":
            problem("unit", f"”{unit.name}” är ingen enhet (handlingsplaner görs per enhet)")
        elif unit.valid_from > year or (unit.valid_to is not None and unit.valid_to < year):
            problem("unit", f"”{unit.name}” finns inte {year}")
        goal_text = clean_cell(row.get("goal"))
        # A verksamhetsmål belongs to a verksamhetsområde: the same title in another area is another goal.
        found = ctx.verksamhetsmal.get(_fold(goal_text), []) if goal_text else []
        if unit is not None:
            found = [g for g in found if g.org_unit_id in (unit.id, unit.parent_id, None)]
        goal = found[0] if len(found) == 1 else None
        parent_id = None
        if not goal_text:
            problem("goal", "verksamhetsmål saknas")
        elif len(found) > 1:
            problem("goal", f"”{goal_text}” passar flera verksamhetsmål – ange koden")
        elif goal is None:
            parent_text = clean_cell(row.get("parent"))
            parent, pcount = _one(ctx.parents, parent_text) if parent_text else (None, 0)
            if not parent_text:
                problem("goal", f"verksamhetsmålet ”{goal_text}” finns inte; ange dess överordnade mål "
                                "(förvaltningsmål, resultatmål eller prioritering) så skapas det")
            elif parent is None:
                problem("parent", f"”{parent_text}” finns inte" if pcount == 0 else f"”{parent_text}” passar flera mål")
            else:
                parent_id = parent.id
            if len(goal_text) > TITLE_MAX:
                problem("goal", f"för långt (högst {TITLE_MAX} tecken)")
        title = clean_cell(row.get("title"))
        if not title:
            problem("title", "aktivitet saknas")
        elif len(title) > TITLE_MAX:
            problem("title", f"för lång (högst {TITLE_MAX} tecken)")
        owner_id = None
        owner_text = clean_cell(row.get("owner"))
        if owner_text and not is_missing(owner_text):
            owner, count = _one(ctx.people, owner_text)
            if owner is None:
                problem("owner", f"”{owner_text}” finns inte i Tavla" if count == 0
                        else f"”{owner_text}” passar flera personer – ange e-postadressen")
            else:
                owner_id = owner.id
        dates: dict[str, date | None] = {"start": None, "deadline": None}
        for column in dates:
            if not is_missing(row.get(column)):
                try:
                    dates[column] = parse_date(row.get(column), year)
                except ValueError as exc:
                    problem(column, str(exc))
        if dates["start"] and dates["deadline"] and dates["start"] > dates["deadline"]:
            problem("start", "startdatum efter slutdatum")
        status = None
        if not is_missing(row.get("status")):
            status = parse_status(row.get("status"))
            if status is None:
                problem("status", f"”{clean_cell(row.get('status'))}” är ingen status (Idé, Ej påbörjad, Pågår, "
                                  "Klar eller Pausad)")
        progress = None
        if not is_missing(row.get("progress")):
            try:
                number = parse_number(row.get("progress"))
                if number != number.to_integral_value() or not 0 <= number <= 100:
                    raise ValueError
                progress = int(number)
            except ValueError:
                problem("progress", f"”{clean_cell(row.get('progress'))}” är inget heltal 0–100")
        state = State(EJ_PABORJAD, 0)
        if status in STATUSES or progress is not None:
            try:
                state = next_state(State(EJ_PABORJAD, 0), status, progress)
            except UserError as exc:
                problem("status", exc.text("sv"))
        if unit is not None and title:
            key = (unit.id, _fold(goal.code if goal else goal_text), year, _fold(title))
            if key in seen:
                problem("title", f"samma aktivitet finns redan på rad {seen[key]}")
            else:
                seen[key] = row.line
        if errors:
            problems.extend(errors)
            continue
        assert unit is not None
        parsed.append(ParsedRow(
            line=row.line, unit_id=unit.id, area_id=unit.parent_id, year=year,
            goal_id=goal.id if goal else None, goal_title=goal.title if goal else goal_text, parent_id=parent_id,
            title=title, description=clean_cell(row.get("description")) or None, owner_id=owner_id,
            start=dates["start"], deadline=dates["deadline"], status=state.status, progress=state.progress))
    return parsed, problems


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-")[:40] or "mal"


async def _create_goal(session: AsyncSession, row: ParsedRow, created: dict[tuple[str, int | None], int],
                       file_name: str) -> int:
    key = (_fold(row.goal_title), row.area_id)
    if key in created:
        return created[key]
    base = f"vm-{_slug(row.goal_title)}"
    code, n = base, 1
    while (await session.execute(select(Goal.id).where(Goal.code == code))).first() is not None:
        n += 1
        code = f"{base}-{n}"
    order = (await session.execute(select(func.coalesce(func.max(Goal.sort_order), 0)))).scalar_one()
    goal = Goal(code=code, kind="verksamhetsmal", title=row.goal_title, parent_id=row.parent_id,
                org_unit_id=row.area_id or row.unit_id, year_from=row.year, year_to=row.year, sort_order=order + 1,
                source=f"Import: {file_name}"[:200])
    session.add(goal)
    await session.flush()
    created[key] = goal.id
    return goal.id


async def import_plans(store: Store, source: Path | bytes, *, at: datetime, today: date, file_name: str | None = None,
                       skip_invalid: bool = False, imported_by_id: int | None = None, via: str = "cli",
                       sheet: str | None = None, dry_run: bool = False) -> ImportReport:
    """Validate the whole file, then (all valid, or ``skip_invalid``) write it in one transaction.

    ``dry_run`` only validates and reports (the preview of a file sent in chat)."""
    name = file_name or (source.name if isinstance(source, Path) else "fil")
    table = read_table(source, COLUMNS, required=REQUIRED, file_name=name, sheet=sheet)
    read_as = (f"Excel, bladet {table.sheet}" if table.kind == "excel"
               else f"CSV, {table.encoding}, avgränsare {'tab' if table.separator == chr(9) else table.separator}")
    report = ImportReport(file_name=name, rows=len(table.rows), skip_invalid=skip_invalid, read_as=read_as)
    async with store.session() as session:
        parsed, problems = _validate(table, await _context(session), today.year)
        report.problems = problems
        report.valid = len(parsed)
        if (problems and not skip_invalid) or not parsed or dry_run:
            return report
        goals_created: dict[tuple[str, int | None], int] = {}
        plan_ids: dict[tuple[int, int, int], int] = {}
        for row in parsed:
            goal_id = row.goal_id if row.goal_id is not None else await _create_goal(session, row, goals_created, name)
            plan_key = (row.unit_id, goal_id, row.year)
            if plan_key not in plan_ids:
                existing = (await session.execute(select(ActionPlan.id).where(
                    ActionPlan.org_unit_id == row.unit_id, ActionPlan.goal_id == goal_id,
                    ActionPlan.year == row.year))).scalar_one_or_none()
                plan_ids[plan_key] = existing or await plans.ensure_plan(session, row.unit_id, goal_id, row.year, at=at)
                report.plans_created += existing is None
            plan_id = plan_ids[plan_key]
            current = (await session.execute(select(Activity).where(
                Activity.plan_id == plan_id, func.lower(Activity.title) == row.title.lower()
            ).order_by(Activity.id).limit(1))).scalar_one_or_none()
            if current is None:
                await plans.create_activity(session, plan_id, row.title, person_id=imported_by_id, via="import", at=at,
                                            owner_id=row.owner_id, deadline=row.deadline, start_date=row.start,
                                            status=row.status, progress=row.progress, description=row.description,
                                            comment=f"Import: {name}"[:300])
                report.created += 1
                continue
            wanted = {"description": row.description, "owner_id": row.owner_id, "start_date": row.start,
                      "deadline": row.deadline, "status": row.status, "progress": row.progress}
            changes = {k: v for k, v in wanted.items() if getattr(current, k) != v}
            if not changes:
                report.unchanged += 1
                continue
            outcome = await plans.update_activity(session, current.id, current.version, changes,
                                                  person_id=imported_by_id, via="import", at=at,
                                                  comment=f"Import: {name}"[:300])
            if not outcome.applied:  # changed by someone between our read and write: refuse the whole file
                raise UserError(f"Aktiviteten ”{row.title}” ändrades av någon annan under importen – inget "
                                "importerades. Försök igen.",
                                f"The activity “{row.title}” changed during the import – nothing was imported.")
            report.updated += 1
        report.goals_created = len(goals_created)
        report.written = True
        if report.created or report.updated:
            batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=table.checksum, rows=report.valid,
                                imported_by_id=imported_by_id, imported_at=at, via=via, summary={
                                    "created": report.created, "updated": report.updated,
                                    "unchanged": report.unchanged, "plans_created": report.plans_created,
                                    "goals_created": report.goals_created, "skipped_lines": report.skipped_lines,
                                    "read_as": read_as})
            session.add(batch)
            await session.flush()
            report.batch_id = batch.id
    return report


__all__ = ["COLUMNS", "ImportReport", "RowProblem", "import_plans", "parse_date"]
