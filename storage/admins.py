"""The first administrator of a new installation: a person by AAD object id, with the admin role at the top.

Nobody can grant roles in chat before someone is admin, and Tavla learns people only from the store, so
the IT department makes the first admin from the command line (``tavla admin add``, docs/deploy.md).
After that, roles are given in Tavla itself or with ``tavla roles grant``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdminLog, Membership, OrgUnit, Person

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class AdminError(ValueError):
    """The person or the store is not as the command needs it; the message says why (Swedish)."""


@dataclass(frozen=True)
class Granted:
    person_id: int
    name: str
    unit_name: str
    person_created: bool
    role_granted: bool  # False: the person already was admin


async def make_admin(session: AsyncSession, aad_object_id: str, name: str, *, upn: str | None, at: datetime
                     ) -> Granted:
    """Create (or find) the person and give them the admin role in the top org unit; logged in admin_log."""
    aad = aad_object_id.strip().lower()
    if not GUID.match(aad):
        raise AdminError(f"”{aad_object_id}” är inget AAD-objekt-id (ett GUID, se Entra-administrationscentret → "
                         "Användare → personen → Objekt-id)")
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise AdminError("namnet ska vara 1–200 tecken")
    upn = upn.strip().lower() if upn and upn.strip() else None
    if upn is not None and ("@" not in upn or len(upn) > 320):
        raise AdminError(f"”{upn}” är ingen e-postadress")
    root = (await session.execute(
        select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1))).scalar_one_or_none()
    if root is None:
        raise AdminError("databasen har ingen organisation än: kör först ”tavla seed” (eller starta Tavla en gång)")
    person = (await session.execute(
        select(Person).where(Person.aad_object_id.in_((aad, aad_object_id.strip()))))).scalar_one_or_none()
    created = person is None
    if person is None:
        person = Person(aad_object_id=aad, upn=upn, name=name, created_at=at)
        session.add(person)
        await session.flush()
    else:
        person.active = True
        if upn and not person.upn:
            person.upn = upn
    membership = (await session.execute(select(Membership).where(
        Membership.person_id == person.id, Membership.org_unit_id == root.id, Membership.role == "admin",
    ))).scalar_one_or_none()
    granted = membership is None or not membership.active
    if membership is None:
        session.add(Membership(person_id=person.id, org_unit_id=root.id, role="admin", granted_at=at, active=True))
    elif not membership.active:
        membership.active, membership.granted_at = True, at
    session.add(AdminLog(at=at, person_id=None, action="grant_role", detail={
        "person_id": person.id, "org_unit_id": root.id, "role": "admin", "newly": granted, "via": "cli admin add",
        "person_created": created}))
    await session.flush()
    return Granted(person.id, person.name, root.name, created, granted)
