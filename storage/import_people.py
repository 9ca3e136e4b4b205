"""Import people and their roles (``tavla import people FILE [--hela]``), and link people first seen in Teams.

Columns (headers matched without regard to case, å/ä/ö or punctuation): ``aad`` (the Entra/AAD object id)
and/or ``e-post`` (UPN), ``namn``, and optionally ``enhet`` (code or name of a unit valid this year) and
``roll`` (medarbetare, chef, controller, ekonom, hr, admin — several separated by ``,``; default
medarbetare when an enhet is given). One row per person and enhet: a person with roles in two enheter has
two rows.

- A person is found by AAD object id, else by UPN (case-insensitive); a UPN-only person gets the AAD id
  when a row gives both. Names and UPNs are updated to what the file says.
- Roles in the file are granted (``granted_by`` = the importer, each grant in the admin log).
- **Full import** (``full=True``, ``--hela``: the file is the whole staff): people in Tavla who are not in
  the file are **deactivated** — never deleted, their history (updates, values, logs) stays — and so are
  their memberships, and roles of listed people that the file no longer gives. Never touched by a full
  import: the admin role (so nobody locks Tavla out by importing an HR file) and exempeldata people.
- A person given only by UPN gets the AAD id the first time they write to Tavla in Teams:
  ``link_teams_user`` (called with the UPN from Teams' member lookup) links them.

The whole file is validated first: any bad row → nothing written. Writing is one transaction; importing
the same file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Store
from storage.import_common import Report, fold, index_by, read_as, split_list
from storage.importing import Table, clean_cell, is_missing, read_table
from storage.models import ROLES, AdminLog, ImportBatch, Membership, OrgUnit, Person
from storage.people import PersonRoles, person_by_aad

KIND = "people"
COLUMNS: dict[str, tuple[str, ...]] = {
    "aad": ("aad", "aad-id", "aad id", "aad objekt-id", "objekt-id", "objektid", "object id", "objectid",
            "azure ad object id", "entra id", "entra-id", "aad_object_id"),
    "upn": ("upn", "e-post", "epost", "e-postadress", "mejl", "mail", "email", "e-mail", "användarnamn",
            "userprincipalname", "user principal name"),
    "name": ("namn", "name", "fullständigt namn", "för- och efternamn", "visningsnamn", "displayname"),
    "unit": ("enhet", "organisation", "organisationsenhet", "arbetsplats", "unit", "org_unit"),
    "role": ("roll", "roller", "role", "roles", "behörighet"),
}
ROLE_WORDS = {"medarbetare": "medarbetare", "anstalld": "medarbetare", "personal": "medarbetare",
              "chef": "chef", "enhetschef": "chef", "verksamhetschef": "chef", "rektor": "chef",
              "forskolechef": "chef", "controller": "controller", "ekonom": "ekonom", "hr": "hr",
              "hr-konsult": "hr", "hr-specialist": "hr", "admin": "admin", "administrator": "admin"}
GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
PROTECTED_ROLES = ("admin",)


@dataclass
class _Row:
    line: int
    aad: str | None
    upn: str | None
    name: str | None
    unit: OrgUnit | None
    roles: tuple[str, ...]


@dataclass
class _Person:
    """One person of the file (rows merged by AAD id / UPN) and what is known of them in the store."""

    aad: str | None
    upn: str | None
    name: str | None
    lines: list[int] = field(default_factory=list)
    memberships: set[tuple[str, int]] = field(default_factory=set)  # (role, unit id)
    existing: Person | None = None


def role_of(text: str) -> str | None:
    return ROLE_WORDS.get(fold(text).replace(" ", "-"), ROLE_WORDS.get(fold(text)))


def _parse(table: Table, report: Report, units: dict[str, list[OrgUnit]], year: int) -> list[_Row]:
    rows: list[_Row] = []
    for row in table.rows:
        before = report.problem_count

        def problem(column: str, message: str) -> None:
            report.add(row.line, column, message)

        aad = clean_cell(row.get("aad")).lower() or None
        if aad and is_missing(aad):
            aad = None
        if aad and not GUID.match(aad):
            problem("aad", f"”{clean_cell(row.get('aad'))}” är inget AAD-objekt-id (ett GUID)")
        upn = clean_cell(row.get("upn")).lower() or None
        if upn and is_missing(upn):
            upn = None
        if upn and (not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", upn) or len(upn) > 320):
            problem("e-post", f"”{clean_cell(row.get('upn'))}” är ingen e-postadress")
        if not aad and not upn:
            problem("aad", "varken AAD-objekt-id eller e-post – ange minst ett av dem")
        name = clean_cell(row.get("name")) or None
        if name and len(name) > 200:
            problem("namn", "namnet är för långt (högst 200 tecken)")
        unit = None
        unit_text = clean_cell(row.get("unit"))
        if unit_text and not is_missing(unit_text):
            found = [u for u in units.get(fold(unit_text), [])
                     if u.valid_from <= year and (u.valid_to is None or u.valid_to >= year)]
            if not found:
                problem("enhet", f"”{unit_text}” finns inte {year}")
            elif len(found) > 1:
                problem("enhet", f"”{unit_text}” passar flera enheter – ange koden")
            else:
                unit = found[0]
        roles: list[str] = []
        for word in split_list(row.get("role")):
            role = role_of(word)
            if role is None:
                problem("roll", f"”{word}” är ingen roll ({', '.join(ROLES)})")
            elif role not in roles:
                roles.append(role)
        if roles and unit is None and not report.problem_count > before:
            problem("enhet", "en roll behöver en enhet")
        if unit is not None and not roles:
            roles = ["medarbetare"]
        if report.problem_count > before:
            continue
        rows.append(_Row(row.line, aad, upn, name, unit, tuple(roles)))
    return rows


def _people(rows: Sequence[_Row], report: Report, by_aad: dict[str, Person], by_upn: dict[str, list[Person]]
            ) -> list[_Person]:
    """Rows merged into people and matched with the store (AAD id first, then UPN)."""
    merged: list[_Person] = []
    index_aad: dict[str, _Person] = {}
    index_upn: dict[str, _Person] = {}
    for row in rows:
        found = [p for p in (index_aad.get(row.aad or ""), index_upn.get(row.upn or "")) if p is not None]
        if len({id(p) for p in found}) > 1:
            report.add(row.line, "e-post", f"AAD-id och e-post hör till två olika personer i filen (rad "
                                           f"{found[0].lines[0]} och {found[1].lines[0]})")
            continue
        person = found[0] if found else None
        if person is None:
            person = _Person(row.aad, row.upn, row.name)
            merged.append(person)
        else:
            if row.aad and person.aad and row.aad != person.aad:
                report.add(row.line, "aad", f"e-posten {row.upn} har ett annat AAD-id på rad {person.lines[0]}")
                continue
            if row.name and person.name and fold(row.name) != fold(person.name):
                report.add(row.line, "namn", f"samma person heter ”{person.name}” på rad {person.lines[0]}")
                continue
            person.aad = person.aad or row.aad
            person.upn = person.upn or row.upn
            person.name = person.name or row.name
        person.lines.append(row.line)
        if row.aad:
            index_aad[row.aad] = person
        if row.upn:
            index_upn[row.upn] = person
        if row.unit is not None:
            person.memberships.update((role, row.unit.id) for role in row.roles)
    for person in merged:
        line = person.lines[0]
        stored_aad = by_aad.get(person.aad) if person.aad else None
        stored_upn = by_upn.get(person.upn, []) if person.upn else []
        if stored_aad is not None:
            other = [p for p in stored_upn if p.id != stored_aad.id]
            if other:
                report.add(line, "e-post", f"{person.upn} tillhör redan {other[0].name} i Tavla (ett annat AAD-id)")
                continue
            person.existing = stored_aad
        elif len(stored_upn) > 1:
            report.add(line, "e-post", f"{person.upn} finns på flera personer i Tavla – ange AAD-id")
            continue
        elif stored_upn:
            stored = stored_upn[0]
            if stored.aad_object_id and person.aad and stored.aad_object_id != person.aad:
                report.add(line, "aad", f"{person.upn} har ett annat AAD-id i Tavla ({stored.aad_object_id})")
                continue
            person.existing = stored
        if person.existing is None and not person.name:
            report.add(line, "namn", "namn saknas för en ny person")
    return merged


async def import_people(store: Store, source: Path | bytes, *, at: datetime, today: date, full: bool = False,
                        file_name: str | None = None, imported_by_id: int | None = None, via: str = "cli",
                        sheet: str | None = None, dry_run: bool = False) -> Report:
    """Validate the whole file; when every row is right, write people and roles in one transaction."""
    name = file_name or (source.name if isinstance(source, Path) else "personer")
    table = read_table(source, COLUMNS, required=(), file_name=name, sheet=sheet)
    report = Report(KIND, name, rows=len(table.rows), dry_run=dry_run, read_as=read_as(table))
    if "aad" not in table.columns and "upn" not in table.columns:
        report.add(None, None, "filen behöver en kolumn för AAD-objekt-id (aad) eller e-post (upn)")
        return report
    year = today.year
    async with store.session() as session:
        units = index_by((await session.execute(select(OrgUnit))).scalars().all(),
                         lambda u: u.code, lambda u: u.name, lambda u: list(u.synonyms or []))
        stored = list((await session.execute(select(Person))).scalars())
        by_aad = {p.aad_object_id.lower(): p for p in stored if p.aad_object_id}
        by_upn: dict[str, list[Person]] = {}
        for p in stored:
            if p.upn:
                by_upn.setdefault(p.upn.lower(), []).append(p)
        rows = _parse(table, report, units, year)
        people = _people(rows, report, by_aad, by_upn)
        report.valid = len(table.rows) - len(report.bad_lines)
        memberships = list((await session.execute(select(Membership))).scalars())
        held: dict[int, dict[tuple[str, int], Membership]] = {}
        for m in memberships:
            held.setdefault(m.person_id, {})[(m.role, m.org_unit_id)] = m
        unit_names = {u.id: u.name for bucket in units.values() for u in bucket}
        per_unit: dict[str, int] = {}
        for person in people:
            for _, unit_id in person.memberships:
                per_unit[unit_names.get(unit_id, "?")] = per_unit.get(unit_names.get(unit_id, "?"), 0) + 1
        report.totals = sorted(per_unit.items(), key=lambda kv: (-kv[1], kv[0]))
        if report.problems:
            return report

        new = [p for p in people if p.existing is None]
        changed: list[tuple[_Person, dict[str, object]]] = []
        for person in people:
            if person.existing is None:
                continue
            wanted: dict[str, object] = {"active": True}
            if person.aad and not person.existing.aad_object_id:
                wanted["aad_object_id"] = person.aad
            if person.upn and (person.existing.upn or "").lower() != person.upn:
                wanted["upn"] = person.upn
            if person.name and person.existing.name != person.name:
                wanted["name"] = person.name
            diff = {k: v for k, v in wanted.items() if getattr(person.existing, k) != v}
            if diff:
                changed.append((person, diff))
        grants: list[tuple[_Person, str, int]] = []
        for person in people:
            have = held.get(person.existing.id, {}) if person.existing else {}
            for role, unit_id in sorted(person.memberships):
                m = have.get((role, unit_id))
                if m is None or not m.active:
                    grants.append((person, role, unit_id))
        listed = {p.existing.id for p in people if p.existing is not None}
        deactivate: list[Person] = []
        revoke: list[Membership] = []
        if full:
            admins = {m.person_id for m in memberships if m.role in PROTECTED_ROLES and m.active}
            for p in stored:
                if p.id in listed or not p.active or p.is_demo or p.id in admins:
                    continue
                deactivate.append(p)
            gone = {p.id for p in deactivate}
            wanted_roles = {p.existing.id: p.memberships for p in people if p.existing is not None}
            for m in memberships:
                if not m.active or m.role in PROTECTED_ROLES:
                    continue
                if m.person_id in gone or (m.person_id in wanted_roles
                                           and (m.role, m.org_unit_id) not in wanted_roles[m.person_id]):
                    revoke.append(m)
        report.created, report.updated = len(new), len(changed)
        report.unchanged = len(people) - len(new) - len(changed)
        report.summary = {"created": len(new), "updated": len(changed), "unchanged": report.unchanged,
                          "roles_granted": len(grants), "roles_revoked": len(revoke), "deactivated": len(deactivate),
                          "full": full, "read_as": report.read_as}
        verb = "Skulle läsa in" if dry_run else "Inläst"
        report.done.append(f"{verb}: {len(new)} nya, {len(changed)} ändrade, {report.unchanged} oförändrade "
                           f"personer; {len(grants)} roller ges"
                           + (f", {len(revoke)} roller tas bort, {len(deactivate)} personer inaktiveras "
                              "(de finns inte i filen; deras historik finns kvar)" if full else "") + ".")
        if full and deactivate:
            report.warnings.append("Inaktiveras: " + ", ".join(sorted(p.name for p in deactivate)[:15])
                                   + (" …" if len(deactivate) > 15 else ""))
        if not full:
            missing = [p for p in stored if p.active and p.id not in listed and not p.is_demo]
            if missing:
                report.warnings.append(f"{len(missing)} personer i Tavla finns inte i filen och behölls "
                                       "(en hel personalfil inaktiverar dem: --hela).")
        if dry_run or not (new or changed or grants or revoke or deactivate):
            report.written = not dry_run
            return report
        for person in new:
            row = Person(aad_object_id=person.aad, upn=person.upn, name=person.name or person.upn or "?",
                         active=True, created_at=at)
            session.add(row)
            person.existing = row
        await session.flush()
        for person, diff in changed:
            assert person.existing is not None
            for key, value in diff.items():
                setattr(person.existing, key, value)
        logs: list[dict[str, object]] = []
        for person, role, unit_id in grants:
            assert person.existing is not None
            m = held.get(person.existing.id, {}).get((role, unit_id))
            if m is None:
                session.add(Membership(person_id=person.existing.id, org_unit_id=unit_id, role=role,
                                       granted_by_id=imported_by_id, granted_at=at, active=True))
            else:
                m.active, m.granted_by_id, m.granted_at = True, imported_by_id, at
            logs.append({"at": at, "person_id": imported_by_id, "action": "grant_role", "detail": {
                "person_id": person.existing.id, "org_unit_id": unit_id, "role": role, "newly": True,
                "via": f"import {name}"[:200]}})
        for m in revoke:
            m.active = False
            logs.append({"at": at, "person_id": imported_by_id, "action": "revoke_role", "detail": {
                "person_id": m.person_id, "org_unit_id": m.org_unit_id, "role": m.role, "via": f"import {name}"[:200]}})
        for p in deactivate:
            p.active = False
            logs.append({"at": at, "person_id": imported_by_id, "action": "deactivate_person", "detail": {
                "person_id": p.id, "via": f"import {name}"[:200]}})
        await session.flush()
        if logs:
            await session.execute(insert(AdminLog), logs)
        batch = ImportBatch(kind=KIND, file_name=name[:300], checksum=table.checksum, rows=report.valid,
                            imported_by_id=imported_by_id, imported_at=at, via=via, summary=report.summary)
        session.add(batch)
        await session.flush()
        report.batch_id, report.written = batch.id, True
    return report


async def link_teams_user(session: AsyncSession, aad_object_id: str, upn: str | None, *, at: datetime
                          ) -> PersonRoles | None:
    """A person first seen in Teams: the one active person with this UPN and no AAD id gets the AAD id.

    Called when nobody has the AAD object id yet; ``upn`` comes from Teams' member lookup. None when there is
    no such person (or several: then an administrator decides). Logged in the admin log.
    """
    aad = aad_object_id.strip().lower()
    if not upn or not GUID.match(aad):
        return None
    if (await session.execute(select(Person.id).where(func.lower(Person.aad_object_id) == aad))).first():
        return await person_by_aad(session, aad_object_id)
    found = (await session.execute(select(Person).where(
        func.lower(Person.upn) == upn.strip().lower(), Person.aad_object_id.is_(None), Person.active.is_(True),
    ))).scalars().all()
    if len(found) != 1:
        return None
    result = await session.execute(update(Person).where(Person.id == found[0].id, Person.aad_object_id.is_(None))
                                   .values(aad_object_id=aad_object_id).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    session.add(AdminLog(at=at, person_id=found[0].id, action="link_person",
                         detail={"person_id": found[0].id, "upn": upn.strip().lower(), "via": "teams"}))
    await session.flush()
    return await person_by_aad(session, aad_object_id)


async def unlinked_people_exist(session: AsyncSession) -> bool:
    """Whether any active person is known only by UPN (then a Teams member lookup may link someone)."""
    return (await session.execute(select(Person.id).where(
        Person.aad_object_id.is_(None), Person.upn.is_not(None), Person.active.is_(True)).limit(1))).first() is not None


__all__ = ["COLUMNS", "KIND", "import_people", "link_teams_user", "unlinked_people_exist"]
