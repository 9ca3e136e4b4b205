"""Optional *exempeldata* (`tavla seed --demo`): invented people, enheter, plans, utfall and values.

Everything written here has ``is_demo = True`` and every card that shows it says "Exempeldata". The real
Årsplan 2018 data is never changed. Feature modules add their part through ``DEMO_PARTS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Store
from storage.models import AdminLog, Membership, OrgUnit, Person

# (enhet code, name, parent area name)
DEMO_UNITS = (
    ("DEMO-HUMLAN", "Förskolan Humlan", "Familj och utbildning"),
    ("DEMO-SNAPPHANE", "Snapphaneskolan", "Familj och utbildning"),
    ("DEMO-HT-KNISLINGE", "Hemtjänst Knislinge", "Hälsa och omsorg"),
    ("DEMO-GUC", "Göinge utbildningscenter", "Inflyttning och arbete"),
)

# (key, name, aad object id, upn, [(role, unit code or area name or "OG")])
DEMO_PEOPLE = (
    ("anna", "Anna Andersson", "aaaaaaaa-0000-4000-8000-000000000001", "anna.andersson@example.se",
     [("medarbetare", "DEMO-HUMLAN")]),
    ("bo", "Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002", "bo.berg@example.se",
     [("chef", "DEMO-HUMLAN"), ("medarbetare", "DEMO-HUMLAN")]),
    ("cecilia", "Cecilia Carlsson", "aaaaaaaa-0000-4000-8000-000000000003", "cecilia.carlsson@example.se",
     [("hr", "OG")]),
    ("erik", "Erik Ek", "aaaaaaaa-0000-4000-8000-000000000004", "erik.ek@example.se",
     [("ekonom", "OG"), ("controller", "OG")]),
    ("dana", "Dana Dahl", "aaaaaaaa-0000-4000-8000-000000000005", "dana.dahl@example.se",
     [("chef", "Familj och utbildning")]),
    ("fatima", "Fatima Fors", "aaaaaaaa-0000-4000-8000-000000000006", "fatima.fors@example.se",
     [("medarbetare", "DEMO-HT-KNISLINGE")]),
    ("gustav", "Gustav Gran", "aaaaaaaa-0000-4000-8000-000000000007", "gustav.gran@example.se",
     [("chef", "DEMO-HT-KNISLINGE"), ("medarbetare", "DEMO-HT-KNISLINGE")]),
    ("admin", "Tavla Admin", "aaaaaaaa-0000-4000-8000-0000000000ad", "tavla.admin@example.se",
     [("admin", "OG")]),
)

# Feature modules that add their own exempeldata: each has ``async def seed(session, ctx) -> None``.
DEMO_PARTS = ("storage.demo_indicators", "storage.demo_budget", "storage.demo_plans")


@dataclass
class DemoContext:
    year: int
    today: date
    units: dict[str, int] = field(default_factory=dict)  # code and name → org unit id
    people: dict[str, int] = field(default_factory=dict)  # key → person id


async def _units(session: AsyncSession, ctx: DemoContext) -> None:
    rows = (await session.execute(select(OrgUnit))).scalars().all()
    for unit in rows:
        ctx.units.setdefault(unit.name, unit.id)
        ctx.units.setdefault(unit.code, unit.id)
    root = next(u for u in rows if u.parent_id is None)
    ctx.units["OG"] = root.id
    for code, name, area in DEMO_UNITS:
        if code in ctx.units:
            continue
        unit = OrgUnit(code=code, name=name, kind="enhet", parent_id=ctx.units[area], valid_from=ctx.year,
                       is_demo=True, source="exempeldata", synonyms=[])
        session.add(unit)
        await session.flush()
        ctx.units[code] = ctx.units[name] = unit.id


async def _people(session: AsyncSession, ctx: DemoContext) -> None:
    for key, name, aad, upn, roles in DEMO_PEOPLE:
        person = (await session.execute(select(Person).where(Person.aad_object_id == aad))).scalar_one_or_none()
        if person is None:
            person = Person(aad_object_id=aad, upn=upn, name=name, is_demo=True)
            session.add(person)
            await session.flush()
            for role, unit in roles:
                session.add(Membership(person_id=person.id, org_unit_id=ctx.units[unit], role=role))
        ctx.people[key] = person.id


async def seed_demo(store: Store, today: date) -> bool:
    """Add the exempeldata once; False when it is already there."""
    async with store.session() as session:
        exists = (await session.execute(select(OrgUnit.id).where(OrgUnit.code == DEMO_UNITS[0][0]))).first()
        if exists:
            return False
        ctx = DemoContext(year=today.year, today=today)
        await _units(session, ctx)
        await _people(session, ctx)
        await session.flush()
        for module_name in DEMO_PARTS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            await module.seed(session, ctx)
        session.add(AdminLog(action="seed_demo", detail={"year": ctx.year}))
    return True
