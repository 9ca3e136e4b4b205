"""Fill a store to the size of Sweden's largest kommun, on top of the seeded Årsplan (and the demo data).

60 000 people, 3 000 enheter, 30 000 activities (in 3 000 handlingsplaner, with their update log),
200 indicators with ten years of monthly values (kommun + every verksamhetsområde) and targets, and ten
years of monthly utfall for 3 000 verksamheter (one budget line per enhet and year), then the stored
budget aggregates (``storage.budget.recompute_status``) for every year — the same shape a question reads.

Everything written is exempeldata: ``is_demo = True`` where the table has the column; indicators and
targets (no such column) carry ``source = "skalgenerator (exempeldata)"``. Names are invented and chosen
not to collide with the names the benchmark asks about ("frisknärvaro", "äldreomsorg"), so the same
question gets the same kind of answer on the small and the big store.

Bulk inserts: PostgreSQL ``COPY`` through asyncpg (``copy_records_to_table``), SQLite ``executemany`` in one
big transaction; ids are allocated here (after the current maximum) so rows can refer to each other
without a round trip; PostgreSQL sequences are moved past them afterwards; then ``ANALYZE``.

Run: ``python -m bench.scale DATABASE_URL [--factor 0.1]`` (the store must be migrated and seeded;
``prepare`` does that for an empty one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import models
from storage.db import Store

SOURCE = "skalgenerator (exempeldata)"
FIRST_YEAR, LAST_YEAR = 2009, 2018  # ten years ending in the seed year
LAST_MONTH = 4  # utfall t.o.m. april 2018 (the demo date is 2018-05-15)
CREATED = datetime(2018, 1, 8, 7, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Sizes:
    people: int = 60_000
    enheter: int = 3_000
    activities: int = 30_000
    indicators: int = 200
    verksamheter: int = 3_000  # budget lines per year (one per enhet; more enheter than lines: the rest none)
    years: int = LAST_YEAR - FIRST_YEAR + 1
    goals_per_area: int = 3
    updates_per_activity: int = 2

    def scaled(self, factor: float) -> "Sizes":
        """Smaller (or larger) counts for quick runs; years and per-item counts stay."""
        keep = {"years", "goals_per_area", "updates_per_activity"}
        return replace(self, **{f.name: max(1, int(round(getattr(self, f.name) * factor)))
                                for f in fields(self) if f.name not in keep})


FULL = Sizes()

# --- invented names (none of them contains a word the benchmark's questions use) ----------------------

UNIT_KINDS = {
    "FOU": ("Förskolan", "Skolan", "Fritidsgården", "Elevhälsan", "Musikskolan", "Biblioteket"),
    "HOO": ("Gruppbostaden", "Dagliga verksamheten", "Hemsjukvården", "Boendestödet", "Korttidsboendet"),
    "EIS": ("Köket", "Lokalvården", "Fordonsservice", "Fastighetsdriften"),
    "SB": ("Bygglovsenheten", "Miljöenheten", "Parkenheten", "Gatuenheten"),
    "IOA": ("Jobbcentrum", "Vuxenutbildningen", "Etableringsenheten"),
    "HRDU": ("Lönecentrum", "IT-supporten"),
    "SOT": ("Kundtjänsten", "Näringslivsenheten"),
    "STAB": ("Registraturen", "Kanslienheten"),
    "KC": ("Beredskapsenheten", "Räddningsvärnet"),
}
PLACES = ("Lärkan", "Ekbacken", "Solrosen", "Björken", "Tallen", "Ängen", "Kastanjen", "Linden", "Vitsippan",
          "Blåklockan", "Hästhagen", "Kvarnby", "Sjöstaden", "Norrmalm", "Söderport", "Västerås", "Österlund",
          "Bäckdal", "Fjällgården", "Hagaby", "Kyrkbacken", "Mossen", "Rosengård", "Skogsglänta", "Strandvik",
          "Torpet", "Udden", "Vallen", "Åkern", "Älvkullen")
FIRST = ("Alva", "Björn", "Clara", "David", "Elin", "Fredrik", "Greta", "Hassan", "Ida", "Johan", "Karin",
         "Leo", "Maja", "Nils", "Olivia", "Per", "Rut", "Sami", "Tove", "Ulf", "Vera", "Wilhelm", "Yasmin", "Zoran")
LAST = ("Berg", "Dahl", "Ek", "Falk", "Holm", "Kvist", "Lind", "Mörk", "Nyström", "Ohlsson", "Persson",
        "Quist", "Rask", "Sund", "Strand", "Vik", "Åberg", "Öst")
SUBJECTS = ("Andel elever med godkända betyg", "Väntetid till plats", "Kostnad per brukare", "Nöjdhet med bemötande",
            "Andel digitala ärenden", "Energiförbrukning per kvadratmeter", "Antal ansökningar", "Handläggningstid",
            "Andel ekologiska livsmedel", "Personalkontinuitet", "Andel i egen försörjning", "Besök per invånare",
            "Återkopplingstid", "Tillgänglighet per telefon", "Andel heltidsanställda", "Resultat i medarbetarenkät",
            "Antal avvikelser", "Andel behöriga lärare", "Utnyttjandegrad lokaler", "Antal insatser")
QUALIFIERS = ("totalt", "kvinnor", "män", "yngre", "äldre", "tätort", "landsbygd", "helår", "tertial", "nyinskrivna")
ACTIVITY_TITLES = ("Införa digital signering", "Ta fram rutin för introduktion", "Ses över schemaläggningen",
                   "Utbilda personalen i bemötande", "Kartlägga lokalbehov", "Starta brukarråd",
                   "Minska matsvinnet", "Testa ny samverkansmodell", "Uppdatera krisplanen",
                   "Förbättra skyltningen", "Följa upp sjukskrivningar tidigt", "Arbeta fram gemensamma mål")
STATUSES = ("ide", "ej_paborjad", "pagar", "pagar", "klar", "pausad")
ROLES_EXTRA = ("controller", "ekonom", "hr")


# --- the bulk writer: COPY on PostgreSQL, executemany on SQLite --------------------------------------


class Writer:
    """Writes rows (tuples in ``columns`` order) of one model's table in the connection's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.rows = 0
        self.seconds: dict[str, float] = {}

    async def write(self, model: type[models.Base], columns: Sequence[str], records: Iterable[tuple[Any, ...]],
                    chunk: int = 50_000) -> int:
        table = model.__table__
        started = time.perf_counter()
        json_cols = {i for i, c in enumerate(columns) if isinstance(table.c[c].type, models.JSON)}
        written = 0
        batch: list[tuple[Any, ...]] = []

        async def flush() -> None:
            nonlocal written
            if not batch:
                return
            if self.postgres:
                rows = [tuple(json.dumps(v) if i in json_cols else v for i, v in enumerate(r)) for r in batch]
                raw = await self.conn.get_raw_connection()
                await raw.driver_connection.copy_records_to_table(table.name, records=rows, columns=list(columns))
            else:
                await self.conn.execute(insert(table), [dict(zip(columns, r)) for r in batch])
            written += len(batch)
            batch.clear()

        for record in records:
            batch.append(record)
            if len(batch) >= chunk:
                await flush()
        await flush()
        self.rows += written
        self.seconds[table.name] = time.perf_counter() - started
        return written


async def _next_ids(conn: AsyncConnection) -> dict[str, int]:
    out = {}
    for model in (models.OrgUnit, models.Person, models.Membership, models.Goal, models.ActionPlan,
                  models.Activity, models.ActivityUpdate, models.Indicator, models.IndicatorTarget,
                  models.IndicatorValue, models.BudgetLine, models.Utfall):
        out[model.__tablename__] = ((await conn.execute(select(func.max(model.id)))).scalar() or 0) + 1
    return out


def _months(first_year: int, last_year: int, last_month: int) -> list[tuple[int, int]]:
    return [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)
            if y < last_year or m <= last_month]


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


# --- the fill -----------------------------------------------------------------------------------------


@dataclass
class Report:
    rows: dict[str, int]
    seconds: float
    phases: dict[str, float]

    def line(self) -> str:
        parts = ", ".join(f"{k} {v:,}".replace(",", " ") for k, v in self.rows.items())
        return f"{parts} ({self.seconds:.0f} s)"


async def fill(store: Store, sizes: Sizes = FULL, *, seed: int = 2018, recompute: bool = True) -> Report:
    """Add the scale data in one transaction (all or nothing); returns the rows written per table."""
    rng = random.Random(seed)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    phases: dict[str, float] = {}
    first_year = LAST_YEAR - sizes.years + 1
    async with store.engine.begin() as conn:
        w = Writer(conn)
        ids = await _next_ids(conn)
        marker = (await conn.execute(select(models.OrgUnit.id).where(models.OrgUnit.code == "SK-E00001"))).first()
        if marker is not None:
            raise RuntimeError("the store already holds the scale data (org unit SK-E00001)")
        areas = {code: uid for code, uid in (await conn.execute(
            select(models.OrgUnit.code, models.OrgUnit.id).where(models.OrgUnit.kind == "verksamhetsomrade"))).all()}
        root = (await conn.execute(select(models.OrgUnit.id).where(models.OrgUnit.parent_id.is_(None)))).scalar_one()
        parent_goals = list((await conn.execute(
            select(models.Goal.id).where(models.Goal.kind.in_(("forvaltningsmal", "resultatmal", "utmaningsomrade")))
            .order_by(models.Goal.id))).scalars())
        area_codes = [c for c in UNIT_KINDS if c in areas] or list(areas)

        # enheter, spread over the areas in proportion to how many kinds of unit each has
        weights = [len(UNIT_KINDS.get(c, ("Enheten",))) for c in area_codes]
        unit_rows, units = [], []  # units: (id, area code, name)
        for n in range(1, sizes.enheter + 1):
            area = rng.choices(area_codes, weights)[0]
            kind = rng.choice(UNIT_KINDS.get(area, ("Enheten",)))
            name = f"{kind} {rng.choice(PLACES)} {n}"
            uid = ids["org_unit"] + n - 1
            units.append((uid, area, name))
            unit_rows.append((uid, f"SK-E{n:05d}", name, "enhet", areas[area], first_year, None, None, None, [],
                              rng.randrange(5), True, SOURCE))
        counts["org_unit"] = await w.write(models.OrgUnit, (
            "id", "code", "name", "kind", "parent_id", "valid_from", "valid_to", "successor_id", "description",
            "synonyms", "meeting_weekday", "is_demo", "source"), unit_rows)

        # people: everyone medarbetare in one enhet; the first of each enhet its chef; some ekonomer/HR/controllers
        person_rows, member_rows, unit_people = [], [], {u[0]: [] for u in units}
        mid = ids["membership"]
        for n in range(sizes.people):
            pid = ids["person"] + n
            unit = units[n % len(units)]
            unit_people[unit[0]].append(pid)
            person_rows.append((pid, f"5ca1e000-0000-4000-8000-{n:012d}", f"p{n}@skala.example.se",
                                f"{rng.choice(FIRST)} {rng.choice(LAST)}", True, False, None, True, CREATED))
            member_rows.append((mid, pid, unit[0], "medarbetare", None, CREATED, True))
            mid += 1
            if n < len(units):
                member_rows.append((mid, pid, unit[0], "chef", None, CREATED, True))
                mid += 1
            elif n % 400 == 0:
                member_rows.append((mid, pid, areas[unit[1]], ROLES_EXTRA[n % 3], None, CREATED, True))
                mid += 1
        counts["person"] = await w.write(models.Person, (
            "id", "aad_object_id", "upn", "name", "active", "reminders_opt_out", "locale", "is_demo", "created_at"),
            person_rows)
        counts["membership"] = await w.write(models.Membership, (
            "id", "person_id", "org_unit_id", "role", "granted_by_id", "granted_at", "active"), member_rows)

        # verksamhetsmål per area, a handlingsplan per enhet and year, activities with their update log
        goal_rows, area_goals, gid = [], {}, ids["goal"]
        for code in area_codes:
            area_goals[code] = []
            for k in range(sizes.goals_per_area):
                goal_rows.append((gid, f"SK-VM-{code}-{k + 1}", "verksamhetsmal",
                                  f"Verksamhetsmål {k + 1} för {code} (skalgenerator)", None,
                                  parent_goals[(gid) % len(parent_goals)] if parent_goals else None, areas[code],
                                  LAST_YEAR, LAST_YEAR, 100 + k, True, SOURCE))
                area_goals[code].append(gid)
                gid += 1
        counts["goal"] = await w.write(models.Goal, (
            "id", "code", "kind", "title", "description", "parent_id", "org_unit_id", "year_from", "year_to",
            "sort_order", "is_demo", "source"), goal_rows)
        plan_rows, plan_of_unit = [], {}
        for i, (uid, area, name) in enumerate(units):
            pid = ids["action_plan"] + i
            plan_of_unit[uid] = pid
            plan_rows.append((pid, uid, rng.choice(area_goals[area]), LAST_YEAR, f"Handlingsplan {name}", True, CREATED))
        counts["action_plan"] = await w.write(models.ActionPlan, (
            "id", "org_unit_id", "goal_id", "year", "title", "is_demo", "created_at"), plan_rows)
        act_rows, upd_rows, uid_next = [], [], ids["activity_update"]
        for n in range(sizes.activities):
            aid = ids["activity"] + n
            unit = units[n % len(units)]
            owner = rng.choice(unit_people[unit[0]]) if unit_people[unit[0]] else None
            status = rng.choice(STATUSES)
            progress = {"klar": 100, "ide": 0, "ej_paborjad": 0}.get(status, rng.randrange(5, 95, 5))
            start = date(LAST_YEAR, 1, 1) + timedelta(days=rng.randrange(120))
            updates = sizes.updates_per_activity
            at = CREATED
            for k in range(updates):
                at = at + timedelta(days=rng.randrange(1, 30), minutes=rng.randrange(600))
                old = {"progress": max(0, progress - 10 * (updates - k))}
                new = {"progress": max(0, progress - 10 * (updates - k - 1))}
                upd_rows.append((uid_next, aid, owner, at, "chat", k + 2, old, new,
                                 "Uppdaterat på tavelmötet" if k % 2 else None))
                uid_next += 1
            act_rows.append((aid, plan_of_unit[unit[0]], f"{rng.choice(ACTIVITY_TITLES)} ({n + 1})", None, owner,
                             start, start + timedelta(days=rng.randrange(30, 300)), status, progress, 1 + updates,
                             None, True, CREATED, at, owner))
        counts["activity"] = await w.write(models.Activity, (
            "id", "plan_id", "title", "description", "owner_id", "start_date", "deadline", "status", "progress",
            "version", "carried_from_id", "is_demo", "created_at", "updated_at", "updated_by_id"), act_rows)
        counts["activity_update"] = await w.write(models.ActivityUpdate, (
            "id", "activity_id", "person_id", "at", "via", "version", "old", "new", "comment"), upd_rows)
        del act_rows, upd_rows, person_rows, member_rows

        # indicators: targets per year; monthly values for the kommun and every area, ten years
        ind_rows, target_rows, indicators = [], [], []
        tid = ids["indicator_target"]
        units_measured = [root, *[areas[c] for c in area_codes]]
        for n in range(sizes.indicators):
            iid = ids["indicator"] + n
            subject = SUBJECTS[n % len(SUBJECTS)]
            qualifier = QUALIFIERS[(n // len(SUBJECTS)) % len(QUALIFIERS)]
            unit = ("%", "antal", "index", "poäng")[n % 4]
            direction = ("higher", "lower", "interval")[n % 3]
            base = Decimal(rng.randrange(200, 900)) / 10
            indicators.append((iid, base))
            ind_rows.append((iid, f"SK-I{n + 1:04d}", f"{subject} – {qualifier} ({n + 1})", f"{subject[:40]} {n + 1}",
                             [], unit, direction, parent_goals[n % len(parent_goals)], "Påhittat nyckeltal (exempeldata).",
                             "månad", 1, None, 1000 + n, SOURCE))
            for year in range(first_year, LAST_YEAR + 1):
                low = base if direction != "lower" else None
                high = base + 5 if direction != "higher" else None
                target_rows.append((tid, iid, year, low, high, f"Målnivå {year}", SOURCE))
                tid += 1
        counts["indicator"] = await w.write(models.Indicator, (
            "id", "code", "name", "short_name", "synonyms", "unit", "direction", "goal_id", "definition", "frequency",
            "decimals", "kolada_kpi", "sort_order", "source"), ind_rows)
        counts["indicator_target"] = await w.write(models.IndicatorTarget, (
            "id", "indicator_id", "year", "low", "high", "label", "source"), target_rows)
        months = _months(first_year, LAST_YEAR, 12)

        def values() -> Iterable[tuple[Any, ...]]:
            vid = ids["indicator_value"]
            for iid, base in indicators:
                for ou in units_measured:
                    level = base
                    for year, month in months:
                        level = max(Decimal(0), level + Decimal(rng.randrange(-20, 21)) / 10)
                        yield (vid, iid, ou, f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month),
                               level, "matning", None, SOURCE, None, True, None, CREATED, "demo")
                        vid += 1

        counts["indicator_value"] = await w.write(models.IndicatorValue, (
            "id", "indicator_id", "org_unit_id", "period", "period_start", "period_end", "value", "kind", "footnote",
            "source", "note", "is_demo", "recorded_by_id", "recorded_at", "via"), values())

        # budget: one verksamhet per enhet (the first ``verksamheter`` enheter), every year; monthly utfall
        lines = []
        line_rows = []
        lid = ids["budget_line"]
        for year in range(first_year, LAST_YEAR + 1):
            for k, (uid, _area, name) in enumerate(units[: sizes.verksamheter]):
                net = Decimal(rng.randrange(500, 60_000)) / 10 * (1 + Decimal(year - first_year) / 50)
                net = net.quantize(Decimal("0.1"))
                line_rows.append((lid, year, uid, f"Verksamhet {name}", None, net, 1000 + k, True, SOURCE))
                lines.append((lid, year, net))
                lid += 1
        counts["budget_line"] = await w.write(models.BudgetLine, (
            "id", "year", "org_unit_id", "verksamhet", "verksamhet_code", "net_cost", "sort_order", "is_demo",
            "source"), line_rows)

        def utfall() -> Iterable[tuple[Any, ...]]:
            fid = ids["utfall"]
            for line_id, year, net in lines:
                last = LAST_MONTH if year == LAST_YEAR else 12
                for month in range(1, last + 1):
                    share = Decimal(rng.randrange(70, 130)) / 1200
                    yield (fid, line_id, year, month, (net * share).quantize(Decimal("0.001")), None, True)
                    fid += 1

        counts["utfall"] = await w.write(models.Utfall, (
            "id", "budget_line_id", "year", "month", "amount", "import_id", "is_demo"), utfall())

        if w.postgres:
            for name in ids:
                await conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
        phases.update(w.seconds)
        mark = time.perf_counter()
    phases["commit"] = time.perf_counter() - mark
    if recompute:
        mark = time.perf_counter()
        counts["budget_status"] = await recompute_budget(store, range(first_year, LAST_YEAR + 1))
        phases["budget_status"] = time.perf_counter() - mark
    mark = time.perf_counter()
    await analyze(store)
    phases["analyze"] = time.perf_counter() - mark
    return Report(counts, time.perf_counter() - started, phases)


async def recompute_budget(store: Store, years: Iterable[int]) -> int:
    """The budget colleague's stored aggregates (``budget_status``), one transaction per year."""
    try:
        from storage.budget import recompute_status
    except ImportError:  # the budget feature is not in this tree
        return 0
    total = 0
    for year in years:
        async with store.session() as session:
            total += len(await recompute_status(session, year))
    return total


ANALYZED = (models.OrgUnit, models.Person, models.Membership, models.Goal, models.ActionPlan, models.Activity,
            models.ActivityUpdate, models.Indicator, models.IndicatorTarget, models.IndicatorValue,
            models.BudgetLine, models.Utfall, models.BudgetStatus)


async def analyze(store: Store) -> None:
    """Fresh planner statistics after a bulk load (what an operator runs after a big import)."""
    async with store.engine.begin() as conn:
        for model in ANALYZED:
            await conn.execute(text(f"ANALYZE {model.__tablename__}"))  # this schema's tables only


async def prepare(url: str) -> Store:
    """Migrate and seed an empty store at ``url`` (Årsplan + demo), as ``python -m bench`` does."""
    from app import prepare_store
    from settings import Settings
    from storage.demo import seed_demo

    store = await prepare_store(Settings(database_url=url))
    await seed_demo(store, date(2018, 5, 15))
    return store


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--factor", type=float, default=1.0, help="scale every count (0.1 = a tenth)")
    parser.add_argument("--no-budget-status", action="store_true", help="skip recomputing budget_status")
    args = parser.parse_args()

    async def run() -> None:
        store = await prepare(args.database_url)
        try:
            report = await fill(store, FULL.scaled(args.factor), recompute=not args.no_budget_status)
        finally:
            await store.dispose()
        print(report.line())
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.phases.items()))

    asyncio.run(run())


if __name__ == "__main__":
    main()
