"""Loads the Årsplan 2018 (storage/seed/) into an empty store on first start. Real data only.

``load_seed_files()`` parses and checks the readable seed files (no database); ``seed_arsplan()``
writes them in one transaction, once. Every figure is a ``Decimal``; see storage/seed/SOURCES.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import MIGRATION_LOCK_ID, Store
from storage.models import (
    DIRECTIONS,
    GOAL_KINDS,
    ORG_KINDS,
    VALUE_KINDS,
    AdminLog,
    Base,
    BudgetLine,
    CalendarStep,
    Goal,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    OrgUnit,
)

SEED_DIR = Path(__file__).resolve().parent / "seed"
ROOT_CODE = "OG"  # the one förvaltning; kommun-wide indicator values hang on it
SEED_YEAR = 2018
SEED_LOCK_ID = MIGRATION_LOCK_ID + 1  # own key: never waits on a session that holds the migration lock
MISSING = "-"  # a dash in the document's tables: no value, no row
READINGS = ("datum", "figur", "saknas")  # how an årshjul step's month was read (SOURCES.md)

_TKR = re.compile(r"-?\d{1,3}(?: \d{3})*,\d")  # "10 442,0", "-4 572,0": tkr exactly as printed
_FIGURE = re.compile(r"-?\d+(?:\.\d+)?")  # "6109", "95", "2.5" in YAML (quoted: never a float)


class SeedError(ValueError):
    """The seed files are inconsistent or malformed (caught before anything is written)."""


# --- What the files hold --------------------------------------------------------------------


@dataclass(frozen=True)
class OrgUnitSeed:
    """A row of org_units.csv: the förvaltning (root) or a verksamhetsområde."""

    code: str
    parent: str | None
    kind: str
    name: str
    valid_from: int
    valid_to: int | None
    synonyms: tuple[str, ...]
    description: str | None
    source: str


@dataclass(frozen=True)
class BudgetLineSeed:
    """A row of budget_2018.csv: one verksamhet's net cost in tkr (negative = net revenue)."""

    area: str
    sort_order: int
    verksamhet: str
    net_cost: Decimal
    scb_code: str | None
    source: str


@dataclass(frozen=True)
class BudgetTotalSeed:
    """A row of budget_totals_2018.csv: the area's printed "Total budget" (a check, not stored)."""

    area: str
    total: Decimal
    source: str


@dataclass(frozen=True)
class GoalSeed:
    """An entry of goals.yaml."""

    code: str
    kind: str
    title: str
    description: str | None
    parent: str | None
    org_unit: str
    year_from: int | None
    year_to: int | None
    sort_order: int
    source: str


@dataclass(frozen=True)
class TargetSeed:
    """A Målnivå: ``low`` for higher-is-better, ``high`` for lower-is-better, both for an interval."""

    year: int
    low: Decimal | None
    high: Decimal | None
    label: str


@dataclass(frozen=True)
class ValueSeed:
    """A printed measurement (Utgångsläge 2015 / Utfall 2016) with its own table's footnote."""

    kind: str
    period: str
    value: Decimal
    footnote: str | None

    @property
    def label(self) -> str:
        return f"{'Utgångsläge' if self.kind == 'utgangslage' else 'Utfall'} {self.period}"


@dataclass(frozen=True)
class IndicatorSeed:
    """An entry of indicators.yaml; ``missing`` lists the periods printed as "-"."""

    code: str
    name: str
    short_name: str
    synonyms: tuple[str, ...]
    unit: str
    direction: str
    goal: str
    definition: str | None
    frequency: str | None
    decimals: int
    kolada_kpi: str | None
    sort_order: int
    source: str
    values: tuple[ValueSeed, ...]
    missing: tuple[str, ...]
    targets: tuple[TargetSeed, ...]

    def value(self, period: str) -> ValueSeed | None:
        return next((v for v in self.values if v.period == period), None)

    def target(self, year: int) -> TargetSeed | None:
        return next((t for t in self.targets if t.year == year), None)


@dataclass(frozen=True)
class CalendarStepSeed:
    """A row of arshjul.csv; rows whose month cannot be read (``saknas``) are kept but not stored."""

    month: int | None
    day: int | None
    title: str
    description: str | None
    reading: str
    source: str

    @property
    def stored(self) -> bool:
        return self.month is not None


@dataclass(frozen=True)
class SeedData:
    """Everything in storage/seed/, parsed and cross-checked."""

    org_units: tuple[OrgUnitSeed, ...]
    budget_lines: tuple[BudgetLineSeed, ...]
    budget_totals: tuple[BudgetTotalSeed, ...]
    goals: tuple[GoalSeed, ...]
    indicators: tuple[IndicatorSeed, ...]
    calendar_steps: tuple[CalendarStepSeed, ...]

    @property
    def root(self) -> OrgUnitSeed:
        return self.org_unit(ROOT_CODE)

    def org_unit(self, code: str) -> OrgUnitSeed:
        return next(u for u in self.org_units if u.code == code)

    def lines_for(self, area: str) -> tuple[BudgetLineSeed, ...]:
        return tuple(b for b in self.budget_lines if b.area == area)

    def total_for(self, area: str) -> Decimal:
        return next(t.total for t in self.budget_totals if t.area == area)

    def indicator(self, code: str) -> IndicatorSeed:
        return next(i for i in self.indicators if i.code == code)

    def goal(self, code: str) -> GoalSeed:
        return next(g for g in self.goals if g.code == code)


# --- Parsing --------------------------------------------------------------------------------


def parse_tkr(printed: str) -> Decimal:
    """ "-4 572,0" → Decimal("-4572.0"): the document's tkr format, strictly, one decimal."""
    if not _TKR.fullmatch(printed):
        raise SeedError(f"belopp {printed!r} är inte i formen '10 442,0'")
    return Decimal(printed.replace(" ", "").replace(",", "."))


def parse_figure(raw: object, where: str) -> Decimal:
    """A YAML figure as Decimal; floats are refused so no binary rounding slips in."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise SeedError(f"{where}: {raw!r} ska vara en sträng som '6109' (aldrig float)")
    if not _FIGURE.fullmatch(str(raw)):
        raise SeedError(f"{where}: {raw!r} är inget tal")
    return Decimal(str(raw))


def _cell(row: Mapping[str, str | None], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def _required(row: Mapping[str, str | None], key: str, where: str) -> str:
    value = _cell(row, key)
    if value is None:
        raise SeedError(f"{where}: kolumnen {key!r} är tom")
    return value


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _read_csv(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise SeedError(f"{path.name} rad {number}: fel antal kolumner")
    return rows


def _read_yaml(path: Path, key: str) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    entries = document.get(key) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise SeedError(f"{path.name}: listan {key!r} saknas")
    return entries


def _org_units(path: Path) -> tuple[OrgUnitSeed, ...]:
    units = []
    for number, row in enumerate(_read_csv(path), start=2):
        where = f"{path.name} rad {number}"
        synonyms = _cell(row, "synonyms")
        units.append(
            OrgUnitSeed(
                code=_required(row, "code", where),
                parent=_cell(row, "parent"),
                kind=_required(row, "kind", where),
                name=_required(row, "name", where),
                valid_from=int(_required(row, "valid_from", where)),
                valid_to=_int(_cell(row, "valid_to")),
                synonyms=tuple(s.strip() for s in synonyms.split("|") if s.strip()) if synonyms else (),
                description=_cell(row, "description"),
                source=_required(row, "source", where),
            )
        )
    return tuple(units)


def _budget_lines(path: Path) -> tuple[BudgetLineSeed, ...]:
    lines = []
    for number, row in enumerate(_read_csv(path), start=2):
        where = f"{path.name} rad {number}"
        lines.append(
            BudgetLineSeed(
                area=_required(row, "area", where),
                sort_order=int(_required(row, "sort_order", where)),
                verksamhet=_required(row, "verksamhet", where),
                net_cost=parse_tkr(_required(row, "net_cost_tkr", where)),
                scb_code=_cell(row, "scb_code"),
                source=_required(row, "source", where),
            )
        )
    return tuple(lines)


def _budget_totals(path: Path) -> tuple[BudgetTotalSeed, ...]:
    totals = []
    for number, row in enumerate(_read_csv(path), start=2):
        where = f"{path.name} rad {number}"
        totals.append(
            BudgetTotalSeed(
                area=_required(row, "area", where),
                total=parse_tkr(_required(row, "total_tkr", where)),
                source=_required(row, "source", where),
            )
        )
    return tuple(totals)


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SeedError(f"{where}: {key!r} saknas")
        return None
    if not isinstance(value, str):
        raise SeedError(f"{where}: {key!r} ska vara text")
    return " ".join(value.split())


def _goals(path: Path) -> tuple[GoalSeed, ...]:
    goals = []
    for entry in _read_yaml(path, "goals"):
        where = f"{path.name} {entry.get('code')!r}"
        goals.append(
            GoalSeed(
                code=str(_text(entry, "code", where)),
                kind=str(_text(entry, "kind", where)),
                title=str(_text(entry, "title", where)),
                description=_text(entry, "description", where, required=False),
                parent=_text(entry, "parent", where, required=False),
                org_unit=str(_text(entry, "org_unit", where)),
                year_from=_int(None if entry.get("year_from") is None else str(entry["year_from"])),
                year_to=_int(None if entry.get("year_to") is None else str(entry["year_to"])),
                sort_order=int(entry.get("sort_order", 0)),
                source=str(_text(entry, "source", where)),
            )
        )
    return tuple(goals)


def _targets(entry: Mapping[str, Any], direction: str, where: str) -> tuple[TargetSeed, ...]:
    targets = []
    for raw in entry.get("targets") or []:
        year = int(raw["year"])
        here = f"{where} målnivå {year}"
        low = high = None
        if direction == "interval":
            if "value" in raw or "low" not in raw or "high" not in raw:
                raise SeedError(f"{here}: ett intervall anges med low och high")
            low, high = parse_figure(raw["low"], here), parse_figure(raw["high"], here)
            if low > high:
                raise SeedError(f"{here}: low > high")
        else:
            if "value" not in raw or "low" in raw or "high" in raw:
                raise SeedError(f"{here}: en målnivå för {direction} anges med value")
            figure = parse_figure(raw["value"], here)
            low, high = (figure, None) if direction == "higher" else (None, figure)
        targets.append(TargetSeed(year=year, low=low, high=high, label=str(raw.get("label") or f"Målnivå {year}")))
    return tuple(targets)


def _values(entry: Mapping[str, Any], where: str) -> tuple[tuple[ValueSeed, ...], tuple[str, ...]]:
    values, missing = [], []
    for raw in entry.get("values") or []:
        period = str(raw["period"])
        here = f"{where} {period}"
        if raw.get("value") == MISSING:
            if raw.get("footnote"):
                raise SeedError(f"{here}: ett streck har ingen fotnot")
            missing.append(period)
            continue
        values.append(
            ValueSeed(
                kind=str(raw["kind"]),
                period=period,
                value=parse_figure(raw.get("value"), here),
                footnote=_text(raw, "footnote", here, required=False),
            )
        )
    return tuple(values), tuple(missing)


def _indicators(path: Path) -> tuple[IndicatorSeed, ...]:
    indicators = []
    for sort_order, entry in enumerate(_read_yaml(path, "indicators"), start=1):
        where = f"{path.name} {entry.get('code')!r}"
        direction = str(_text(entry, "direction", where))
        values, missing = _values(entry, where)
        indicators.append(
            IndicatorSeed(
                code=str(_text(entry, "code", where)),
                name=str(_text(entry, "name", where)),
                short_name=str(_text(entry, "short_name", where)),
                synonyms=tuple(" ".join(str(s).split()) for s in entry.get("synonyms") or []),
                unit=str(_text(entry, "unit", where)),
                direction=direction,
                goal=str(_text(entry, "goal", where)),
                definition=_text(entry, "definition", where, required=False),
                frequency=_text(entry, "frequency", where, required=False),
                decimals=int(entry.get("decimals", 0)),
                kolada_kpi=_text(entry, "kolada_kpi", where, required=False),
                sort_order=sort_order,
                source=str(_text(entry, "source", where)),
                values=values,
                missing=missing,
                targets=_targets(entry, direction, where),
            )
        )
    return tuple(indicators)


def _calendar_steps(path: Path) -> tuple[CalendarStepSeed, ...]:
    steps = []
    for number, row in enumerate(_read_csv(path), start=2):
        where = f"{path.name} rad {number}"
        steps.append(
            CalendarStepSeed(
                month=_int(_cell(row, "month")),
                day=_int(_cell(row, "day")),
                title=_required(row, "title", where),
                description=_cell(row, "description"),
                reading=_required(row, "reading", where),
                source=_required(row, "source", where),
            )
        )
    return tuple(steps)


# --- Cross-checks ---------------------------------------------------------------------------


def _unique(items: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for item in items:
        if item in seen:
            raise SeedError(f"{what} {item!r} förekommer två gånger")
        seen.add(item)


def _fits(model: type[Base], column: str, value: str | None, where: str) -> None:
    """Strings must fit their column (PostgreSQL refuses, SQLite would silently keep them)."""
    length = getattr(model.__table__.c[column].type, "length", None)
    if value is not None and length is not None and len(value) > length:
        raise SeedError(f"{where}: {column} är längre än {length} tecken")


def _check(data: SeedData) -> None:
    units = {u.code: u for u in data.org_units}
    _unique((u.code for u in data.org_units), "org unit")
    roots = [u.code for u in data.org_units if u.parent is None]
    if roots != [ROOT_CODE]:
        raise SeedError(f"exakt en rot med koden {ROOT_CODE!r} krävs, fick {roots}")
    for u in data.org_units:
        if u.kind not in ORG_KINDS or (u.parent is not None and u.parent not in units):
            raise SeedError(f"org unit {u.code}: okänd kind eller parent")
        for column in ("code", "name", "source"):
            _fits(OrgUnit, column, getattr(u, column), f"org unit {u.code}")

    _unique(((b.area, b.verksamhet) for b in data.budget_lines), "budgetrad")
    _unique((t.area for t in data.budget_totals), "total för")
    for b in data.budget_lines:
        if b.area not in units or b.area == ROOT_CODE:
            raise SeedError(f"budgetrad {b.verksamhet}: okänt område {b.area}")
        for column in ("verksamhet", "source"):
            _fits(BudgetLine, column, getattr(b, column), f"budgetrad {b.area}/{b.verksamhet}")
    areas_with_lines = {b.area for b in data.budget_lines}
    if areas_with_lines != {t.area for t in data.budget_totals}:
        raise SeedError("varje område med budgetrader ska ha en total, och tvärtom")
    for t in data.budget_totals:
        summed = sum((b.net_cost for b in data.lines_for(t.area)), Decimal(0))
        if summed != t.total:
            raise SeedError(f"{t.area}: raderna summerar till {summed}, tryckt total är {t.total}")

    goals = {g.code: g for g in data.goals}
    _unique((g.code for g in data.goals), "mål")
    for g in data.goals:
        if g.kind not in GOAL_KINDS or g.org_unit not in units or (g.parent is not None and g.parent not in goals):
            raise SeedError(f"mål {g.code}: okänd kind, org_unit eller parent")
        for column in ("code", "title", "source"):
            _fits(Goal, column, getattr(g, column), f"mål {g.code}")
    for g in data.goals:  # no cycles
        seen, at = set(), g
        while at.parent is not None:
            if at.code in seen:
                raise SeedError(f"mål {g.code}: cirkulär parent")
            seen.add(at.code)
            at = goals[at.parent]

    _unique((i.code for i in data.indicators), "indikator")
    for i in data.indicators:
        where = f"indikator {i.code}"
        if i.direction not in DIRECTIONS or i.goal not in goals:
            raise SeedError(f"{where}: okänd direction eller goal")
        _unique((t.year for t in i.targets), f"{where} målnivå")
        _unique([v.period for v in i.values] + list(i.missing), f"{where} period")
        for v in i.values:
            if v.kind not in VALUE_KINDS:
                raise SeedError(f"{where}: okänd kind {v.kind}")
            _fits(IndicatorValue, "footnote", v.footnote, where)
            _fits(IndicatorValue, "source", _value_source(i, v), where)
        for t in i.targets:
            _fits(IndicatorTarget, "label", t.label, where)
        for column in ("code", "name", "short_name", "unit", "frequency", "source"):
            _fits(Indicator, column, getattr(i, column), where)

    _unique(((s.month, s.day, s.title) for s in data.calendar_steps), "årshjulssteg")
    for s in data.calendar_steps:
        where = f"årshjulssteg {s.title!r}"
        if s.reading not in READINGS or (s.month is None) != (s.reading == "saknas"):
            raise SeedError(f"{where}: reading ska vara en av {READINGS}, 'saknas' precis när månad saknas")
        if s.month is not None and not 1 <= s.month <= 12:
            raise SeedError(f"{where}: månad {s.month}")
        if s.day is not None and (s.month is None or s.reading != "datum"):
            raise SeedError(f"{where}: ett datum kräver månad och reading 'datum'")
        if s.day is not None and s.month is not None:
            date(SEED_YEAR, s.month, s.day)  # raises for 31/11 and the like
        for column in ("title", "source"):
            _fits(CalendarStep, column, getattr(s, column), where)


@lru_cache(maxsize=4)
def _load(directory: Path) -> SeedData:
    data = SeedData(
        org_units=_org_units(directory / "org_units.csv"),
        budget_lines=_budget_lines(directory / "budget_2018.csv"),
        budget_totals=_budget_totals(directory / "budget_totals_2018.csv"),
        goals=_goals(directory / "goals.yaml"),
        indicators=_indicators(directory / "indicators.yaml"),
        calendar_steps=_calendar_steps(directory / "arshjul.csv"),
    )
    _check(data)
    return data


def load_seed_files(directory: Path | None = None) -> SeedData:
    """Parse and cross-check storage/seed/ (pure: no database); raises ``SeedError`` when inconsistent."""
    return _load((directory or SEED_DIR).resolve())


# --- Writing --------------------------------------------------------------------------------


def _value_source(indicator: IndicatorSeed, value: ValueSeed) -> str:
    return f"{indicator.source}: {value.label}"


def _year_span(period: str) -> tuple[date, date]:
    year = int(period)
    return date(year, 1, 1), date(year, 12, 31)


async def _insert(session: AsyncSession, data: SeedData) -> dict[str, int]:
    """Add every row of the seed; parents first, flushing to learn their ids."""
    unit_ids: dict[str, int] = {}
    pending = list(data.org_units)
    while pending:
        ready = [u for u in pending if u.parent is None or u.parent in unit_ids]
        rows = {
            u.code: OrgUnit(
                code=u.code,
                name=u.name,
                kind=u.kind,
                parent_id=unit_ids.get(u.parent) if u.parent else None,
                valid_from=u.valid_from,
                valid_to=u.valid_to,
                description=u.description,
                synonyms=list(u.synonyms),
                source=u.source,
            )
            for u in ready
        }
        session.add_all(rows.values())
        await session.flush()
        unit_ids.update({code: row.id for code, row in rows.items()})
        pending = [u for u in pending if u.code not in unit_ids]

    session.add_all(
        BudgetLine(
            year=SEED_YEAR,
            org_unit_id=unit_ids[b.area],
            verksamhet=b.verksamhet,
            verksamhet_code=b.scb_code,
            net_cost=b.net_cost,
            sort_order=b.sort_order,
            source=b.source,
        )
        for b in data.budget_lines
    )

    goal_ids: dict[str, int] = {}
    pending_goals = list(data.goals)
    while pending_goals:
        ready_goals = [g for g in pending_goals if g.parent is None or g.parent in goal_ids]
        goal_rows = {
            g.code: Goal(
                code=g.code,
                kind=g.kind,
                title=g.title,
                description=g.description,
                parent_id=goal_ids.get(g.parent) if g.parent else None,
                org_unit_id=unit_ids[g.org_unit],
                year_from=g.year_from,
                year_to=g.year_to,
                sort_order=g.sort_order,
                source=g.source,
            )
            for g in ready_goals
        }
        session.add_all(goal_rows.values())
        await session.flush()
        goal_ids.update({code: row.id for code, row in goal_rows.items()})
        pending_goals = [g for g in pending_goals if g.code not in goal_ids]

    indicator_rows = {
        i.code: Indicator(
            code=i.code,
            name=i.name,
            short_name=i.short_name,
            synonyms=list(i.synonyms),
            unit=i.unit,
            direction=i.direction,
            goal_id=goal_ids[i.goal],
            definition=i.definition,
            frequency=i.frequency,
            decimals=i.decimals,
            kolada_kpi=i.kolada_kpi,
            sort_order=i.sort_order,
            source=i.source,
        )
        for i in data.indicators
    }
    session.add_all(indicator_rows.values())
    await session.flush()

    root_id = unit_ids[ROOT_CODE]
    for i in data.indicators:
        indicator_id = indicator_rows[i.code].id
        session.add_all(
            IndicatorTarget(
                indicator_id=indicator_id, year=t.year, low=t.low, high=t.high, label=t.label, source=i.source
            )
            for t in i.targets
        )
        for v in i.values:
            start, end = _year_span(v.period)
            session.add(
                IndicatorValue(
                    indicator_id=indicator_id,
                    org_unit_id=root_id,
                    period=v.period,
                    period_start=start,
                    period_end=end,
                    value=v.value,
                    kind=v.kind,
                    footnote=v.footnote,
                    source=_value_source(i, v),
                    via="seed",
                )
            )

    stored_steps = [s for s in data.calendar_steps if s.stored]
    session.add_all(
        CalendarStep(month=s.month, day=s.day, title=s.title, description=s.description, source=s.source)
        for s in stored_steps
    )
    counts = {
        "org_units": len(data.org_units),
        "budget_lines": len(data.budget_lines),
        "goals": len(data.goals),
        "indicators": len(data.indicators),
        "indicator_targets": sum(len(i.targets) for i in data.indicators),
        "indicator_values": sum(len(i.values) for i in data.indicators),
        "calendar_steps": len(stored_steps),
    }
    session.add(AdminLog(action="seed_arsplan", detail={"year": SEED_YEAR, **counts}))
    await session.flush()
    return counts


async def seed_arsplan(store: Store, data: SeedData | None = None) -> bool:
    """Load the Årsplan 2018 into an empty store in one transaction; False (nothing changed) if already there.

    On PostgreSQL a transaction-scoped advisory lock makes replicas that start together seed once:
    the second waits, then sees the first one's committed root unit and returns False.
    """
    data = data if data is not None else load_seed_files()
    async with store.session() as session:
        if store.dialect == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEED_LOCK_ID})
        existing = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE).limit(1))
        if existing is not None:
            return False
        await _insert(session, data)
    return True
