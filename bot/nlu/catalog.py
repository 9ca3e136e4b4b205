"""The names Tavla knows (indicators, budget lines, areas, enheter), loaded from the store and cached.

A catalog is immutable; ``CatalogCache`` reloads it after ``ttl`` seconds or when told it changed
(imports call ``invalidate``), so replicas converge within the TTL and a turn never waits for a reload
it does not need.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select

from bot.nlu.normalize import fold, normalize
from storage.db import Store
from storage.models import BudgetLine, Goal, Indicator, OrgUnit


def key(text: str) -> str:
    """The form names are compared in: normalised and å/ä/ö-folded."""
    return fold(normalize(text))


@dataclass(frozen=True)
class Entry:
    """Something a user can name: ``kind`` is indicator/budget_line/area/enhet/goal."""

    kind: str
    id: int
    label: str
    names: tuple[str, ...]  # folded keys: full name, short name, synonyms
    parent_id: int | None = None
    parent_label: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float  # 0..100
    name: str  # the name that matched


@dataclass(frozen=True)
class Catalog:
    entries: tuple[Entry, ...] = ()
    year: int | None = None

    def of_kind(self, *kinds: str) -> list[Entry]:
        return [e for e in self.entries if e.kind in kinds]

    def by_id(self, kind: str, entry_id: int) -> Entry | None:
        return next((e for e in self.entries if e.kind == kind and e.id == entry_id), None)

    def search(self, query: str, *kinds: str, limit: int = 5, cutoff: float = 60.0) -> list[Match]:
        """Fuzzy matches of ``query`` against every name of the given kinds, best entry first."""
        q = key(query)
        if not q:
            return []
        choices: list[tuple[str, Entry]] = [(name, e) for e in self.of_kind(*kinds) for name in e.names]
        best: dict[tuple[str, int], Match] = {}
        for name, score, idx in process.extract(
            q, [c[0] for c in choices], scorer=fuzz.WRatio, limit=limit * 6, score_cutoff=cutoff
        ):
            entry = choices[idx][1]
            k = (entry.kind, entry.id)
            if k not in best or score > best[k].score:
                best[k] = Match(entry, float(score), name)
        return sorted(best.values(), key=lambda m: -m.score)[:limit]

    def find_in(self, text: str, *kinds: str, threshold: float = 85.0) -> list[Match]:
        """Entries whose names occur in ``text`` (as a fuzzy substring), best first."""
        t = key(text)
        found: dict[tuple[str, int], Match] = {}
        for entry in self.of_kind(*kinds):
            for name in entry.names:
                if len(name) < 3:
                    continue
                score = 100.0 if f" {name} " in f" {t} " else float(fuzz.partial_ratio(name, t)) if len(name) >= 5 else 0.0
                k = (entry.kind, entry.id)
                if score >= threshold and (k not in found or score > found[k].score):
                    found[k] = Match(entry, score, name)
        return sorted(found.values(), key=lambda m: (-m.score, -len(m.name)))


def _names(*values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item:
                k = key(str(item))
                if k and k not in out:
                    out.append(k)
    return tuple(out)


async def load_catalog(store: Store, year: int) -> Catalog:
    """Read the names valid in ``year`` from the store (a handful of small queries)."""
    async with store.session() as session:
        units = (await session.execute(
            select(OrgUnit).where(OrgUnit.valid_from <= year, (OrgUnit.valid_to.is_(None)) | (OrgUnit.valid_to >= year))
        )).scalars().all()
        goals = {g.id: g for g in (await session.execute(select(Goal))).scalars().all()}
        indicators = (await session.execute(select(Indicator).order_by(Indicator.sort_order, Indicator.id))).scalars().all()
        lines = (await session.execute(
            select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.sort_order, BudgetLine.id)
        )).scalars().all()
    unit_by_id = {u.id: u for u in units}
    entries: list[Entry] = []
    for unit in units:
        if unit.kind in ("verksamhetsomrade", "enhet"):
            parent = unit_by_id.get(unit.parent_id) if unit.parent_id else None
            entries.append(Entry("area" if unit.kind == "verksamhetsomrade" else "enhet", unit.id, unit.name,
                                 _names(unit.name, unit.synonyms or []), unit.parent_id,
                                 parent.name if parent else None, {"code": unit.code}))
    for ind in indicators:
        goal = goals.get(ind.goal_id)
        entries.append(Entry("indicator", ind.id, ind.name, _names(ind.name, ind.short_name, ind.synonyms or []),
                             ind.goal_id, goal.title if goal else None, {"code": ind.code, "short": ind.short_name}))
    for line in lines:
        unit = unit_by_id.get(line.org_unit_id)
        entries.append(Entry("budget_line", line.id, line.verksamhet, _names(line.verksamhet), line.org_unit_id,
                             unit.name if unit else None, {"code": line.verksamhet_code}))
    for goal in goals.values():
        if goal.kind in ("utmaningsomrade", "forvaltningsmal", "prioritering", "finansiellt_mal", "vision"):
            entries.append(Entry("goal", goal.id, goal.title, _names(goal.title), goal.parent_id, None, {"kind": goal.kind}))
    return Catalog(tuple(entries), year)


class CatalogCache:
    """Per-process cache of the catalog for the current year; reloaded after ``ttl`` seconds."""

    def __init__(self, store: Store, ttl: float = 30.0) -> None:
        self._store = store
        self._ttl = ttl
        self._cached: dict[int, tuple[float, Catalog]] = {}
        self._lock = asyncio.Lock()

    async def get(self, year: int) -> Catalog:
        hit = self._cached.get(year)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        async with self._lock:
            hit = self._cached.get(year)
            if hit is not None and time.monotonic() - hit[0] < self._ttl:
                return hit[1]
            catalog = await load_catalog(self._store, year)
            self._cached[year] = (time.monotonic(), catalog)
            return catalog

    def invalidate(self) -> None:
        self._cached.clear()
