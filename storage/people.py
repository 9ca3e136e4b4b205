"""People and their roles: who a Teams user is in Tavla."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, OrgUnit, Person


@dataclass(frozen=True)
class PersonRoles:
    person_id: int
    name: str
    locale: str | None
    roles: tuple[tuple[str, int, str], ...]  # (role, org unit id, org unit name)


async def person_by_aad(session: AsyncSession, aad_object_id: str) -> PersonRoles | None:
    """The active person with this AAD object id and their active memberships (one query each)."""
    person = (await session.execute(
        select(Person).where(Person.aad_object_id == aad_object_id, Person.active.is_(True))
    )).scalar_one_or_none()
    if person is None:
        return None
    rows = (await session.execute(
        select(Membership.role, OrgUnit.id, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
        .where(Membership.person_id == person.id, Membership.active.is_(True))
        .order_by(OrgUnit.name, Membership.role)
    )).all()
    return PersonRoles(person.id, person.name, person.locale, tuple((r[0], r[1], r[2]) for r in rows))
