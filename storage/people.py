"""People and their roles: who a Teams user is in Tavla."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Membership, OrgUnit, Person


@dataclass(frozen=True)
class PersonRoles:
    person_id: int
    name: str
    locale: str | None
    roles: tuple[tuple[str, int, str], ...]  # (role, org unit id, org unit name)


_BY_AAD = (
    select(Person.id, Person.name, Person.locale, Membership.role, OrgUnit.id, OrgUnit.name)
    .select_from(Person)
    .outerjoin(Membership, and_(Membership.person_id == Person.id, Membership.active.is_(True)))
    .outerjoin(OrgUnit, OrgUnit.id == Membership.org_unit_id)
    .where(Person.aad_object_id == bindparam("aad"), Person.active.is_(True))
    .order_by(OrgUnit.name, Membership.role)
)


async def person_by_aad(session: AsyncSession | AsyncConnection, aad_object_id: str) -> PersonRoles | None:
    """The active person with this AAD object id and their active memberships — one statement, every turn's
    first (a person without memberships is one row of NULL roles)."""
    rows = (await session.execute(_BY_AAD, {"aad": aad_object_id})).all()
    if not rows:
        return None
    person_id, name, locale = rows[0][0], rows[0][1], rows[0][2]
    return PersonRoles(person_id, name, locale, tuple((r[3], r[4], r[5]) for r in rows if r[4] is not None))
