"""People and their roles: who a Teams user is in Tavla."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.catalogue import BUDGET_STAMP, STAMP, VALUES_STAMP
from storage.models import BotState, Membership, OrgUnit, Person
from storage.state_repo import storage_key


@dataclass(frozen=True)
class PersonRoles:
    person_id: int
    name: str
    locale: str | None
    roles: tuple[tuple[str, int, str], ...]  # (role, org unit id, org unit name)
    # read in the same statement, not the person's: the turn's (storage.catalogue)
    catalogue_stamp: int | None = field(default=None, compare=False)
    values_stamp: int | None = field(default=None, compare=False)
    budget_stamp: int | None = field(default=None, compare=False)


_BY_AAD = (
    select(Person.id, Person.name, Person.locale, Membership.role, OrgUnit.id, OrgUnit.name, STAMP,
           VALUES_STAMP, BUDGET_STAMP)
    .select_from(Person)
    .outerjoin(Membership, and_(Membership.person_id == Person.id, Membership.active.is_(True)))
    .outerjoin(OrgUnit, OrgUnit.id == Membership.org_unit_id)
    .where(Person.aad_object_id == bindparam("aad"), Person.active.is_(True))
    .order_by(OrgUnit.name, Membership.role)
)


# the same, and whether a dialog state row is stored under a key: a text message's two reads in one statement
_BY_AAD_AND_STATE = _BY_AAD.add_columns(
    select(BotState.key).where(BotState.key == bindparam("state_key")).exists().label("state_stored"))


def _person(rows: list[Any]) -> PersonRoles | None:
    if not rows:
        return None
    first = rows[0]
    return PersonRoles(first[0], first[1], first[2], tuple((r[3], r[4], r[5]) for r in rows if r[4] is not None),
                       first[6], first[7], first[8])


async def person_by_aad(session: AsyncSession | AsyncConnection, aad_object_id: str) -> PersonRoles | None:
    """The active person with this AAD object id and their active memberships, and the three stamps — one
    statement, every turn's first (a person without memberships is one row of NULL roles)."""
    return _person((await session.execute(_BY_AAD, {"aad": aad_object_id})).all())


async def person_and_state(session: AsyncSession | AsyncConnection, aad_object_id: str, state_key: str
                           ) -> tuple[PersonRoles | None, bool | None]:
    """``person_by_aad`` and, in the same statement, whether a ``bot_state`` row is stored under ``state_key``
    (``storage.state_repo.state_exists``); None for the latter when no person was found (nothing was read)."""
    rows = (await session.execute(_BY_AAD_AND_STATE, {"aad": aad_object_id, "state_key": storage_key(state_key)})).all()
    return _person(rows), (bool(rows[0][9]) if rows else None)
