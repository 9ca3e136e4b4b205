"""Exempeldata for handlingsplaner: invented verksamhetsmål, plans, activities, meetings and updates.

Each demo enhet gets a plan per invented verksamhetsmål (``kind = verksamhetsmal``, ``is_demo``) hung
under a real goal of the Årsplan 2018 (förvaltningsmålet Attraktiv arbetsgivare, the prioriteringar
Sysselsättning and Digitalisering and their Digital agenda goals). Activities cover every status, have
owners among the demo people, and several are försenade as of 2018-05-15. Their history is written
through the same versioned update as real reports, so the log, versions and "sedan förra mötet" agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import plans
from storage.models import BoardMeeting, Goal

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# (code, area name, title, real parent goal codes in order of preference, sort order)
GOALS = (
    ("demo-vm-fou-introduktion", "Familj och utbildning",
     "Alla nyanställda i Familj och utbildning får en strukturerad introduktion under sin första månad",
     ("attraktiv-arbetsgivare",), 101),
    ("demo-vm-fou-digitalt-larande", "Familj och utbildning",
     "Barn och elever använder digitala verktyg i sitt lärande varje vecka",
     ("digital-agenda-barn-och-elever", "digitalisering"), 102),
    ("demo-vm-hoo-frisknarvaro", "Hälsa och omsorg",
     "Frisknärvaron i hemtjänsten ökar genom bättre arbetsmiljö och planering",
     ("attraktiv-arbetsgivare",), 103),
    ("demo-vm-hoo-valfardsteknik", "Hälsa och omsorg",
     "Fler brukare i hemtjänsten får trygghet genom välfärdsteknik",
     ("digital-agenda-vard-och-omsorg", "digitalisering"), 104),
    ("demo-vm-ioa-arbete", "Inflyttning och arbete",
     "Fler deltagare i Göinge utbildningscenters insatser går vidare till arbete eller studier",
     ("sysselsattning",), 105),
    ("demo-vm-ioa-digitalt", "Inflyttning och arbete",
     "Alla elever på Göinge utbildningscenter har tillgång till digitala studieverktyg",
     ("digitalisering",), 106),
)


@dataclass(frozen=True)
class Step:
    """A change in the activity's history: when, by whom (demo person key), what, and a comment."""

    when: str  # "2018-05-09 14:20"
    who: str
    changes: dict[str, Any]
    comment: str | None = None


@dataclass(frozen=True)
class Demo:
    unit: str  # demo enhet code
    goal: str  # demo goal code
    title: str
    owner: str | None  # demo person key
    start: str | None
    deadline: str | None
    status: str  # state at creation
    progress: int = 0
    created_by: str = "bo"
    steps: tuple[Step, ...] = ()
    description: str | None = None


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _t(value: str) -> datetime:
    day, clock = value.split(" ")
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=STOCKHOLM)


H, S, K, G = "DEMO-HUMLAN", "DEMO-SNAPPHANE", "DEMO-HT-KNISLINGE", "DEMO-GUC"
INTRO, DIGI = "demo-vm-fou-introduktion", "demo-vm-fou-digitalt-larande"
FRISK, VTEK = "demo-vm-hoo-frisknarvaro", "demo-vm-hoo-valfardsteknik"
ARB, GDIG = "demo-vm-ioa-arbete", "demo-vm-ioa-digitalt"

ACTIVITIES: tuple[Demo, ...] = (
    # Förskolan Humlan (Anna medarbetare, Bo chef) — tavelmöte 2018-05-08
    Demo(H, INTRO, "Digital introduktion för nyanställda", "anna", "2018-02-01", "2018-04-30", "ej_paborjad",
         description="En introduktion i Teams och på intranätet som nyanställda kan gå igenom före första dagen.",
         steps=(Step("2018-03-05 10:12", "anna", {"status": "pagar", "progress": 20}),
                Step("2018-04-16 15:40", "anna", {"progress": 40}, "Filmerna är inspelade."),
                Step("2018-05-09 14:20", "anna", {"progress": 60}, "Väntar på IT-konton för nyanställda."))),
    Demo(H, INTRO, "Checklista för första arbetsdagen", "anna", "2018-01-15", "2018-03-31", "ej_paborjad",
         steps=(Step("2018-02-12 09:05", "anna", {"status": "pagar", "progress": 50}),
                Step("2018-03-26 11:30", "anna", {"status": "klar", "progress": 100}, "Finns i personalrummet."))),
    Demo(H, INTRO, "Mentorskap för nya förskollärare", "bo", "2018-06-01", "2018-09-30", "ej_paborjad"),
    Demo(H, INTRO, "Introduktionsfilm om Göingemodellen", "anna", "2018-04-01", "2018-06-15", "pagar", 30),
    Demo(H, INTRO, "Uppföljningssamtal efter tre månader", "bo", "2018-03-01", "2018-05-01", "ej_paborjad"),
    Demo(H, INTRO, "Fadder för varje ny vikarie", None, None, None, "ide", created_by="anna",
         steps=(Step("2018-05-10 08:15", "anna", {}, "Förslag från APT: vikarier känner sig ensamma första veckan."),)),
    Demo(H, DIGI, "Lärplattor på varje avdelning", "bo", "2018-01-10", "2018-08-31", "pagar", 20,
         steps=(Step("2018-05-11 13:00", "bo", {"progress": 40}, "Tre av fem avdelningar klara."),)),
    Demo(H, DIGI, "Fortbildning i programmering för pedagoger", "anna", "2018-02-01", "2018-10-31", "pagar", 20,
         steps=(Step("2018-04-20 10:00", "bo", {"status": "pausad"}, "Pausad tills kursen startar i höst."),)),
    Demo(H, DIGI, "Digital dokumentation av barnens lärande", "anna", "2018-01-15", "2018-05-10", "pagar", 50,
         steps=(Step("2018-05-03 16:10", "anna", {"progress": 70}),)),
    Demo(H, DIGI, "Låna ut lärplattor till föräldramöten", None, None, None, "ide", created_by="bo"),
    Demo(H, DIGI, "Nätverksträff med andra förskolor om digitalisering", "bo", "2018-01-10", "2018-02-28", "pagar", 50,
         steps=(Step("2018-02-27 15:00", "bo", {"status": "klar", "progress": 100}),)),
    # Snapphaneskolan (Dana Dahl chef för Familj och utbildning)
    Demo(S, INTRO, "Välkomstpaket till nya lärare", "dana", "2018-01-08", "2018-02-15", "ej_paborjad", created_by="dana",
         steps=(Step("2018-02-14 12:00", "dana", {"status": "klar", "progress": 100}),)),
    Demo(S, INTRO, "Introduktionsdag i augusti för alla nyanställda", "dana", "2018-05-01", "2018-08-20",
         "ej_paborjad", created_by="dana"),
    Demo(S, INTRO, "Kollegahandledning för obehöriga lärare", "dana", "2018-01-15", "2018-04-15", "pagar", 40,
         created_by="dana"),
    Demo(S, INTRO, "Enkät till nyanställda efter första terminen", None, None, None, "ide", created_by="dana"),
    Demo(S, DIGI, "En dator per elev i årskurs 7–9", "dana", "2018-01-08", "2018-06-15", "pagar", 60, created_by="dana",
         steps=(Step("2018-05-14 09:30", "dana", {"progress": 75}, "Årskurs 7 och 8 har fått sina datorer."),)),
    Demo(S, DIGI, "Programmering i matematikundervisningen", "dana", "2018-03-01", "2018-12-15", "ej_paborjad",
         created_by="dana"),
    Demo(S, DIGI, "Digitala nationella prov – provkörning", "dana", "2018-02-01", "2018-05-04", "pagar", 80,
         created_by="dana"),
    Demo(S, DIGI, "Källkritik på schemat i årskurs 4–6", None, "2018-03-01", "2018-11-30", "pausad", 10,
         created_by="dana"),
    Demo(S, DIGI, "Lånebibliotek för e-böcker", None, None, None, "ide", created_by="dana"),
    # Hemtjänst Knislinge (Fatima medarbetare, Gustav chef) — tavelmöte 2018-05-07
    Demo(K, FRISK, "Schema med önskad sysselsättningsgrad", "gustav", "2018-01-15", "2018-09-30", "pagar", 30,
         created_by="gustav",
         steps=(Step("2018-05-09 10:45", "gustav", {"progress": 45}, "Schemat prövas i grupp 2 från juni."),)),
    Demo(K, FRISK, "Friskvårdstimme varje vecka", "fatima", "2018-01-15", "2018-03-31", "pagar", 50,
         created_by="gustav", steps=(Step("2018-03-29 14:00", "fatima", {"status": "klar", "progress": 100}),)),
    Demo(K, FRISK, "Ergonomigenomgång i brukarnas hem", "fatima", "2018-02-01", "2018-04-15", "ej_paborjad",
         created_by="gustav"),
    Demo(K, FRISK, "Kortare körsträckor med ny ruttplanering", "gustav", "2018-02-01", "2018-06-30", "pagar", 35,
         created_by="gustav", steps=(Step("2018-05-14 16:20", "gustav", {"progress": 50}),)),
    Demo(K, FRISK, "Gemensam frukost på måndagar", None, None, None, "ide", created_by="fatima",
         steps=(Step("2018-05-08 07:50", "fatima", {}, "Förslag inför tavelmötet."),)),
    Demo(K, VTEK, "Digital nattillsyn för tio brukare", "gustav", "2018-03-01", "2018-10-31", "pagar", 25,
         created_by="gustav"),
    Demo(K, VTEK, "Utbildning i nya trygghetslarm", "fatima", "2018-01-15", "2018-03-15", "pagar", 60,
         created_by="gustav", steps=(Step("2018-03-14 11:10", "fatima", {"status": "klar", "progress": 100}),)),
    Demo(K, VTEK, "Läsplatta för e-tjänster hos brukare", "fatima", "2018-02-15", "2018-09-30", "pagar", 15,
         created_by="gustav", steps=(Step("2018-04-25 09:00", "gustav", {"status": "pausad"}, "Väntar på upphandlingen."),)),
    Demo(K, VTEK, "Nyckelfria lås hos alla brukare", "gustav", "2018-06-01", "2018-11-30", "ej_paborjad",
         created_by="gustav"),
    Demo(K, VTEK, "Utvärdera GPS-larm för personer med demens", None, None, None, "ide", created_by="fatima"),
    # Göinge utbildningscenter (no demo staff of its own: owners from HR and ekonomi)
    Demo(G, ARB, "Praktikplatser hos lokala företag", "cecilia", "2018-01-15", "2018-06-30", "pagar", 55,
         created_by="admin"),
    Demo(G, ARB, "Yrkessvenska för vård och omsorg", "cecilia", "2018-01-15", "2018-04-30", "pagar", 70,
         created_by="admin"),
    Demo(G, ARB, "Uppföljning av deltagare sex månader efter insats", "erik", "2018-02-01", "2018-12-31",
         "ej_paborjad", created_by="admin"),
    Demo(G, ARB, "Jobbmässa tillsammans med näringslivet", "cecilia", "2018-01-15", "2018-03-22", "pagar", 80,
         created_by="admin", steps=(Step("2018-03-23 10:00", "cecilia", {"status": "klar", "progress": 100}),)),
    Demo(G, ARB, "Studiecoacher för unga vuxna", None, None, None, "ide", created_by="admin"),
    Demo(G, GDIG, "Lånedatorer till SFI-elever", "erik", "2018-02-01", "2018-08-31", "pagar", 40, created_by="admin"),
    Demo(G, GDIG, "Lärplattform för distansstudier", "erik", "2018-01-15", "2018-05-15", "pausad", 30,
         created_by="admin"),
    Demo(G, GDIG, "Digital kompetens i introduktionskursen", "cecilia", "2018-03-01", "2018-10-31", "ej_paborjad",
         created_by="admin"),
)

# (enhet code, when, chef key): the last tavelmöte held, so "sedan förra mötet" has a reference.
MEETINGS = (
    (H, "2018-05-08 09:00", "bo"),
    (K, "2018-05-07 08:30", "gustav"),
    (S, "2018-05-02 13:00", "dana"),
)


async def _goal_id(session: AsyncSession, code: str) -> int | None:
    return (await session.execute(select(Goal.id).where(Goal.code == code))).scalar_one_or_none()


async def _demo_goals(session: AsyncSession, ctx: Any) -> dict[str, int]:
    """The invented verksamhetsmål, each under the first of its real parent goals that the seed has."""
    ids: dict[str, int] = {}
    for code, area, title, parents, order in GOALS:
        existing = await _goal_id(session, code)
        if existing is not None:
            ids[code] = existing
            continue
        parent_id = None
        for parent in parents:
            parent_id = await _goal_id(session, parent)
            if parent_id is not None:
                break
        goal = Goal(code=code, kind="verksamhetsmal", title=title, parent_id=parent_id,
                    org_unit_id=ctx.units[area], year_from=ctx.year, year_to=ctx.year, sort_order=order,
                    is_demo=True, source="exempeldata",
                    description="Påhittat verksamhetsmål (exempeldata) för att prova Tavla.")
        session.add(goal)
        await session.flush()
        ids[code] = goal.id
    return ids


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Add the handlingsplan exempeldata (called by ``storage.demo.seed_demo`` in its transaction)."""
    goals = await _demo_goals(session, ctx)
    plan_ids: dict[tuple[str, str], int] = {}
    created = _t(f"{ctx.year}-01-08 08:00")
    for demo in ACTIVITIES:
        key = (demo.unit, demo.goal)
        if key not in plan_ids:
            plan_ids[key] = await plans.ensure_plan(session, ctx.units[demo.unit], goals[demo.goal], ctx.year,
                                                    is_demo=True, at=created)
        creator = ctx.people[demo.created_by]
        view = await plans.create_activity(
            session, plan_ids[key], demo.title, person_id=creator, via="demo", at=created,
            owner_id=ctx.people[demo.owner] if demo.owner else None, start_date=_d(demo.start),
            deadline=_d(demo.deadline), status=demo.status, progress=demo.progress, description=demo.description,
            is_demo=True,
        )
        version = view.version
        for step in demo.steps:
            outcome = await plans.update_activity(session, view.id, version, step.changes, person_id=ctx.people[step.who],
                                                  via="demo", at=_t(step.when), comment=step.comment)
            assert outcome.applied and outcome.activity is not None
            version = outcome.activity.version
    for unit, when, chef in MEETINGS:
        session.add(BoardMeeting(org_unit_id=ctx.units[unit], held_at=_t(when), started_by_id=ctx.people[chef]))
    await session.flush()
