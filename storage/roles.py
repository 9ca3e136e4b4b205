"""Roles given and taken in chat ("ge Anna rollen chef i Förskolan Humlan"): finding the person and the unit a
person wrote, granting and revoking (each in the admin log), and who holds a role where.

The rules for *who may* grant are in ``followup/roles.py``-style pure checks in the handler
(``bot/handlers/admin_common.py``); this module only reads and writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.import_common import fold
from storage.models import AdminLog, Membership, OrgUnit, Person


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str
    upn: str | None
    active: bool


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str
    kind: str
    parent_id: int | None


@dataclass(frozen=True)
class Holder:
    membership_id: int
    person_id: int
    person_name: str
    role: str
    unit_id: int
    unit_name: str


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _person(p: Person) -> PersonRef:
    return PersonRef(p.id, p.name, p.upn, p.active)


async def find_people(session: AsyncSession, text: str) -> list[PersonRef]:
    """The active people ``text`` names: an e-mail/UPN or AAD id exactly, a full name, a unique first name,
    else close full names (typos). Several → all of them (the caller asks which)."""
    ref = text.strip().strip("”\"'").strip()
    if not ref:
        return []
    exact = (await session.execute(select(Person).where(Person.active.is_(True), or_(
        func.lower(Person.upn) == ref.lower(), func.lower(Person.aad_object_id) == ref.lower())))).scalars().all()
    if exact or EMAIL.match(ref):
        return [_person(p) for p in exact]
    people = (await session.execute(select(Person).where(Person.active.is_(True)))).scalars().all()
    key = fold(ref)
    full = [p for p in people if fold(p.name) == key]
    if full:
        return [_person(p) for p in full]
    first = [p for p in people if fold(p.name).split(" ")[0] == key or fold(p.name).split(" ")[-1] == key]
    if first:
        return [_person(p) for p in first]
    names = {p.id: fold(p.name) for p in people}
    close = process.extract(key, names, scorer=fuzz.WRatio, score_cutoff=88, limit=5)
    by_id = {p.id: p for p in people}
    return [_person(by_id[pid]) for _, _, pid in close]


def name_from_upn(upn: str) -> str:
    """``nils.nilsson@kommun.se`` → ``Nils Nilsson`` (until the person's real name comes with an import)."""
    local = upn.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or upn


async def add_by_upn(session: AsyncSession, upn: str, *, at: datetime, by_id: int | None) -> PersonRef:
    """A new person known by UPN only; linked to their AAD id when they first write (Teams' member lookup)."""
    person = Person(upn=upn.strip().lower(), name=name_from_upn(upn.strip())[:200], active=True, created_at=at)
    session.add(person)
    await session.flush()
    session.add(AdminLog(at=at, person_id=by_id, action="add_person",
                         detail={"person_id": person.id, "upn": person.upn, "via": "chat"}))
    return _person(person)


async def find_units(session: AsyncSession, text: str, year: int) -> list[UnitRef]:
    """Units valid in ``year`` that ``text`` names: code, name or synonym exactly, else the closest names."""
    ref = fold(text.strip().strip("”\"'?.!").strip())
    if not ref:
        return []
    units = (await session.execute(select(OrgUnit).where(
        OrgUnit.valid_from <= year, or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= year)))).scalars().all()
    exact = [u for u in units if ref in {fold(u.code), fold(u.name), *(fold(s) for s in u.synonyms or [])}]
    if exact:
        return [UnitRef(u.id, u.name, u.kind, u.parent_id) for u in exact]
    choices = {u.id: fold(u.name) for u in units}
    found = process.extract(ref, choices, scorer=fuzz.WRatio, score_cutoff=86, limit=5)
    if not found:
        return []
    best = found[0][1]
    by_id = {u.id: u for u in units}
    return [UnitRef(by_id[i].id, by_id[i].name, by_id[i].kind, by_id[i].parent_id) for _, score, i in found
            if score >= best - 3]


async def unit_path(session: AsyncSession, unit_id: int) -> tuple[int, ...]:
    from storage.plans import unit_path as path

    return await path(session, unit_id)


async def grant(session: AsyncSession, person_id: int, unit_id: int, role: str, *, by_id: int | None, at: datetime
                ) -> tuple[int, bool]:
    """Give the role; returns (membership id, newly granted). Logged as ``grant_role`` (as ``tavla roles grant``)."""
    existing = (await session.execute(select(Membership).where(
        Membership.person_id == person_id, Membership.org_unit_id == unit_id, Membership.role == role))).scalar_one_or_none()
    newly = existing is None or not existing.active
    if existing is None:
        existing = Membership(person_id=person_id, org_unit_id=unit_id, role=role, granted_by_id=by_id, granted_at=at,
                              active=True)
        session.add(existing)
    elif not existing.active:
        existing.active, existing.granted_by_id, existing.granted_at = True, by_id, at
    await session.flush()
    if newly:
        session.add(AdminLog(at=at, person_id=by_id, action="grant_role", detail={
            "person_id": person_id, "org_unit_id": unit_id, "role": role, "newly": True, "via": "chat"}))
    return existing.id, newly


async def revoke(session: AsyncSession, membership_id: int, *, by_id: int | None, at: datetime) -> Holder | None:
    """Take an active role back (the row stays, inactive: history); None when there was nothing to take."""
    row = (await session.execute(
        select(Membership, Person.name, OrgUnit.name).join(Person, Person.id == Membership.person_id)
        .join(OrgUnit, OrgUnit.id == Membership.org_unit_id).where(Membership.id == membership_id))).first()
    if row is None or not row[0].active:
        return None
    membership, person_name, unit_name = row
    membership.active = False
    session.add(AdminLog(at=at, person_id=by_id, action="revoke_role", detail={
        "person_id": membership.person_id, "org_unit_id": membership.org_unit_id, "role": membership.role,
        "via": "chat"}))
    await session.flush()
    return Holder(membership.id, membership.person_id, person_name, membership.role, membership.org_unit_id, unit_name)


async def membership(session: AsyncSession, person_id: int, unit_id: int, role: str) -> int | None:
    return (await session.execute(select(Membership.id).where(
        Membership.person_id == person_id, Membership.org_unit_id == unit_id, Membership.role == role,
        Membership.active.is_(True)))).scalar_one_or_none()


async def holder(session: AsyncSession, membership_id: int) -> Holder | None:
    row = (await session.execute(
        select(Membership, Person.name, OrgUnit.name).join(Person, Person.id == Membership.person_id)
        .join(OrgUnit, OrgUnit.id == Membership.org_unit_id).where(Membership.id == membership_id))).first()
    if row is None:
        return None
    m, person_name, unit_name = row
    return Holder(m.id, m.person_id, person_name, m.role, m.org_unit_id, unit_name) if m.active else None


async def holders(session: AsyncSession, unit_ids: tuple[int, ...], roles: tuple[str, ...] | None = None
                  ) -> list[Holder]:
    """Active people holding roles in these units (the unit first, then the units above it)."""
    stmt = (select(Membership, Person.name, OrgUnit.name).join(Person, Person.id == Membership.person_id)
            .join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
            .where(Membership.org_unit_id.in_(list(unit_ids)), Membership.active.is_(True), Person.active.is_(True)))
    if roles:
        stmt = stmt.where(Membership.role.in_(list(roles)))
    order = {u: i for i, u in enumerate(unit_ids)}
    rows = [Holder(m.id, m.person_id, p, m.role, m.org_unit_id, u) for m, p, u in (await session.execute(stmt)).all()]
    return sorted(rows, key=lambda h: (order.get(h.unit_id, 99), h.role, h.person_name))
