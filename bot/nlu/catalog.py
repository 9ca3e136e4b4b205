"""The names Tavla knows (indicators, budget lines, areas, enheter), loaded from the store and cached.

A catalog is immutable; ``CatalogCache`` reloads it after ``ttl`` seconds or when told it changed
(imports call ``invalidate``), so replicas converge within the TTL and a turn never waits for a reload
it does not need.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, select

from bot.nlu.normalize import fold, normalize
from storage.catalogue import current_stamp
from storage.db import Store
from storage.models import BudgetLine, Goal, Indicator, OrgUnit

log = logging.getLogger("tavla.nlu")

STAMPS_SEEN = 16  # catalogue stamps remembered by a CatalogCache


@lru_cache(maxsize=4096)
def key(text: str) -> str:
    """The form names are compared in: normalised and å/ä/ö-folded (cached: every rule keys the same text)."""
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
class Located:
    """A name found in a text, and where: ``start``/``end`` index ``key(text)`` (whole words)."""

    entry: Entry
    score: float  # 0..100
    name: str
    start: int
    end: int


def _word_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to whole words of ``text`` (so 'företag' never hides in 'företagande')."""
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    while start > 0 and text[start - 1] != " ":
        start -= 1
    while end < len(text) and text[end] != " ":
        end += 1
    return start, end


def _covered(hit: Located) -> tuple[int, float]:
    """How much of the text a hit explains (its span), then how well it matched."""
    return (hit.end - hit.start, hit.score)


_NUMERIC = re.compile(r"[-−+]?\d+(?:[.,]\d+)?%?")


def _foreign_number(window: str, name: str) -> bool:
    """A fuzzy window that contains a number the name does not have."""
    own = set(name.split())
    return any(_NUMERIC.fullmatch(token) and token not in own for token in window.split())


def other_number(name: str, words: set[str] | str) -> bool:
    """The text writes a number and the (keyed) name has one it does not: 'hemtjänst grupp 4' is not Hemtjänst
    grupp 2 (but 'hemtjänst grupp', with no number, may be either)."""
    if isinstance(words, str):
        words = set(key(words).split())
    if not any(_NUMERIC.fullmatch(word) for word in words):
        return False
    return any(_NUMERIC.fullmatch(token) and token not in words for token in name.split())


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)]


def bigram_floor(length: int | np.ndarray, threshold: float) -> float | np.ndarray:
    """How many of a name's ``length - 1`` bigrams (counted by position) a text must contain for
    ``fuzz.partial_ratio(name, text) >= threshold`` to be possible, for a name no longer than the text.

    The best window W of the text (|W| = w) aligns with the name (length L) with M = (L + w − indel) / 2 kept
    characters, and ratio ≥ c means indel ≤ (1 − c)(L + w). A name bigram is in W unless one of its
    characters is dropped (L − M characters, two bigrams each at most) or a character of W was inserted
    between its two (w − M, one bigram each): at least 3M − L − w − 1 ≥ (1.5c − 1)(L + w) − 1 bigrams remain,
    and M ≤ w gives w ≥ cL / (2 − c). For a name longer than the text the roles swap: use the text's length.
    Below c = 2/3 the floor is no bound at all (≤ 0) and nothing is filtered.
    """
    c = threshold / 100.0
    return (1.5 * c - 1.0) * 2.0 * length / (2.0 - c) - 1.0 - 1e-9


@dataclass(frozen=True)
class _Names:
    """The names of some kinds, indexed for ``Catalog.locate``; built once per catalog and kinds."""

    pairs: list[tuple[str, str, Entry]]  # (name, ' name ' with hyphens as spaces, entry), catalog order
    by_first_word: dict[str, list[int]]  # a needle's first word → indexes into ``pairs``
    by_length: list[str]  # names sorted by length (for the fuzzy pass) …
    lengths: np.ndarray  # … their lengths …
    positions: list[int]  # … and their indexes into ``pairs``
    gram_ids: dict[str, int]  # every bigram of a name → a number …
    grams: np.ndarray  # … the numbers of each name's bigrams in ``by_length`` order, one run per name …
    gram_starts: np.ndarray  # … where each name's run starts in ``grams`` (one more at the end)

    @classmethod
    def build(cls, entries: list[Entry]) -> "_Names":
        pairs = [(name, f" {name.replace('-', ' ')} ", entry) for entry in entries for name in entry.names
                 if len(name) >= 2]
        by_first_word: dict[str, list[int]] = {}
        for i, (_, needle, _) in enumerate(pairs):
            words = needle.split()
            if words:
                by_first_word.setdefault(words[0], []).append(i)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
        by_length = [pairs[i][0] for i in order]
        gram_ids: dict[str, int] = {}
        runs = [[gram_ids.setdefault(g, len(gram_ids)) for g in _bigrams(name)] for name in by_length]
        grams = np.fromiter((g for run in runs for g in run), dtype=np.int32)
        gram_starts = np.zeros(len(runs) + 1, dtype=np.int64)
        np.cumsum([len(run) for run in runs], out=gram_starts[1:])
        return cls(pairs, by_first_word, by_length, np.array([len(name) for name in by_length], dtype=np.int64),
                   order, gram_ids, grams, gram_starts)

    def fuzzy_candidates(self, text: str, lo: int, hi: int, threshold: float) -> list[int]:
        """The indexes in ``lo:hi`` of ``by_length`` whose bigrams ``text`` holds enough of (``bigram_floor``):
        the only names ``fuzz.partial_ratio`` can score ``threshold`` against it. One pass in numpy."""
        if hi <= lo:
            return []
        if threshold <= 200 / 3:
            return list(range(lo, hi))
        held = np.zeros(len(self.gram_ids) + 1, dtype=np.int32)
        held[np.fromiter((self.gram_ids[g] for g in set(_bigrams(text)) if g in self.gram_ids), dtype=np.intp)] = 1
        first, last = int(self.gram_starts[lo]), int(self.gram_starts[hi])
        counts = np.add.reduceat(held[self.grams[first:last]], self.gram_starts[lo:hi] - first) \
            if last > first else np.zeros(hi - lo, dtype=np.int32)
        lengths = np.minimum(self.lengths[lo:hi], len(text))
        return (np.flatnonzero(counts >= bigram_floor(lengths, threshold)) + lo).tolist()


@dataclass(frozen=True)
class Catalog:
    entries: tuple[Entry, ...] = ()
    year: int | None = None
    stamp: int | None = None  # the catalogue stamp read before the names (storage.catalogue)

    @cached_property
    def _derived(self) -> dict[Any, Any]:
        """Things computed from the entries once per catalog (a catalog never changes)."""
        return {}

    def derived(self, name: Any, build: Callable[["Catalog"], Any]) -> Any:
        """``build(self)``, computed once per catalog and ``name`` (indexes, extended catalogs)."""
        cache = self._derived
        if name not in cache:
            cache[name] = build(self)
        return cache[name]

    def with_names(self, name: str, extra_for: Callable[[Entry], tuple[str, ...]]) -> "Catalog":
        """This catalog with more names for some entries (the synonyms a rule knows), built once per catalog
        and ``name``."""
        def build(c: "Catalog") -> "Catalog":
            entries = []
            for entry in c.entries:
                extra = extra_for(entry)
                if extra:
                    names = entry.names + tuple(k for k in (key(x) for x in extra) if k and k not in entry.names)
                    entry = Entry(entry.kind, entry.id, entry.label, names, entry.parent_id, entry.parent_label,
                                  entry.extra)
                entries.append(entry)
            return Catalog(tuple(entries), c.year, c.stamp)

        return self.derived(("with names", name), build)

    def of_kind(self, *kinds: str) -> list[Entry]:
        return list(self.derived(("kinds", kinds), lambda c: tuple(e for e in c.entries if e.kind in kinds)))

    def labelled(self, kind: str, labels: list[str]) -> list[Entry]:
        """The entries of ``kind`` whose label is one of ``labels``, in catalog order."""
        def build(c: "Catalog") -> dict[str, list[tuple[int, Entry]]]:
            index: dict[str, list[tuple[int, Entry]]] = {}
            for i, e in enumerate(c.entries):
                if e.kind == kind:
                    index.setdefault(e.label, []).append((i, e))
            return index

        index = self.derived(("labels", kind), build)
        return [e for _, e in sorted((hit for label in dict.fromkeys(labels) for hit in index.get(label, ())),
                                     key=lambda hit: hit[0])]

    def by_id(self, kind: str, entry_id: int) -> Entry | None:
        index = self.derived("ids", lambda c: {(e.kind, e.id): e for e in reversed(c.entries)})
        return index.get((kind, entry_id))

    def search(self, query: str, *kinds: str, limit: int = 5, cutoff: float = 60.0) -> list[Match]:
        """Fuzzy matches of ``query`` against every name of the given kinds, best entry first."""
        q = key(query)
        if not q:
            return []
        names, owners = self.derived(("choices", kinds), lambda c: (
            [name for e in c.of_kind(*kinds) for name in e.names],
            [e for e in c.of_kind(*kinds) for _ in e.names]))
        best: dict[tuple[str, int], Match] = {}
        for name, score, idx in process.extract(q, names, scorer=fuzz.WRatio, limit=limit * 6, score_cutoff=cutoff):
            entry = owners[idx]
            k = (entry.kind, entry.id)
            if k not in best or score > best[k].score:
                best[k] = Match(entry, float(score), name)
        return sorted(best.values(), key=lambda m: -m.score)[:limit]

    def suggest(self, text: str, *kinds: str, limit: int = 4, cutoff: float = 70.0, spread: float = 10.0
                ) -> list[Match]:
        """Names to offer as "did you mean": clearly close (``cutoff``) and close to the best one (``spread``) —
        a guess from random letters ("asdf") is worse than no guess."""
        matches = self.search(text, *kinds, limit=limit, cutoff=cutoff)
        return [m for m in matches if m.score >= matches[0].score - spread]

    def find_in(self, text: str, *kinds: str, threshold: float = 85.0) -> list[Match]:
        """Entries whose names occur in ``text`` (as a fuzzy substring), best first.

        A name of three or four characters must occur as a word; a longer one scores ``fuzz.partial_ratio``
        (100 as a word), and only those the bigram prefilter lets through are scored at all. A text that
        writes a number matches a name with another number only exactly ("hemtjänst grupp 4" is not Hemtjänst
        grupp 2)."""
        t = key(text)
        if not t:
            return []
        padded = f" {t} "
        words = set(t.split())
        names = self._names_of(kinds)
        three, five = (int(np.searchsorted(names.lengths, n, side="left")) for n in (3, 5))
        maybe = [*range(three, five), *names.fuzzy_candidates(t, five, len(names.by_length), threshold)]
        found: dict[tuple[str, int], Match] = {}
        for i in sorted(maybe, key=names.positions.__getitem__):  # catalog order: the first of equals stays
            name, _, entry = names.pairs[names.positions[i]]
            if padded.find(f" {name} ") >= 0:
                score = 100.0
            elif len(name) < 5 or other_number(name, words):
                continue
            else:
                score = float(fuzz.partial_ratio(name, t))
            k = (entry.kind, entry.id)
            if score >= threshold and (k not in found or score > found[k].score):
                found[k] = Match(entry, score, name)
        return sorted(found.values(), key=lambda m: (-m.score, -len(m.name)))

    def _names_of(self, kinds: tuple[str, ...]) -> _Names:
        return self.derived(("names", kinds), lambda c: _Names.build(c.of_kind(*kinds)))

    def locate(self, text: str, *kinds: str, threshold: float = 85.0, exact_below: int = 5) -> list[Located]:
        """Names of ``kinds`` that occur in ``text`` as whole words, with their span; best entry first.

        A name shorter than ``exact_below`` characters (NRI, HME, HR) must occur exactly; a longer one may
        carry a typo: rapidfuzz aligns it in the text, the span is widened to whole words and must still
        score ``threshold`` with ``fuzz.ratio`` ("frisknärvarp" finds frisknärvaro, "företagande" does not
        find företag); a window with a number the name lacks is no match ("personalomsättning 6,5"). Hyphens
        count as spaces. One match per entry: the one that covers the most of the text, then the best score,
        so "meritvärde åk9" is Meritvärde åk 9 by its short name, not by the exact "meritvärde" alone.
        """
        t = key(text)
        if not t:
            return []
        padded = f" {t.replace('-', ' ')} "  # same length: positions still index key(text)
        names = self._names_of(kinds)
        pairs = names.pairs
        # exact: only names whose first word is a word of the text can occur in it
        candidates: set[int] = set()
        for word in set(padded.split()):
            candidates.update(names.by_first_word.get(word, ()))
        # fuzzy: names of a length that fits, one pass in C; only those close enough are aligned below
        lo = int(np.searchsorted(names.lengths, exact_below, side="left"))
        hi = int(np.searchsorted(names.lengths, len(t) + 2, side="right"))
        maybe = names.fuzzy_candidates(t, lo, hi, threshold)
        close = {names.positions[maybe[j]] for _, _, j in process.extract(
            t, [names.by_length[i] for i in maybe], scorer=fuzz.partial_ratio, score_cutoff=threshold, limit=None)}
        found: dict[tuple[str, int], Located] = {}
        for i in sorted(candidates | close):
            name, needle, entry = pairs[i]
            at = padded.find(needle)
            if at >= 0:
                hit = Located(entry, 100.0, name, at, at + len(name))
            elif i not in close:
                continue
            else:
                aligned = fuzz.partial_ratio_alignment(name, t, score_cutoff=threshold)
                if aligned is None:
                    continue
                start, end = _word_span(t, aligned.dest_start, aligned.dest_end)
                if _foreign_number(t[start:end], name):
                    continue  # 'personalomsättning 6,5' is a name and a value, not a longer name
                score = float(fuzz.ratio(name, t[start:end]))
                if score < threshold:
                    continue
                hit = Located(entry, score, name, start, end)
            k = (entry.kind, entry.id)
            best = found.get(k)
            if best is None or _covered(hit) > _covered(best):
                found[k] = hit
        return sorted(found.values(), key=lambda m: (-m.score, -(m.end - m.start), m.start))


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


_UNITS = (select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id, OrgUnit.synonyms)
          .where(OrgUnit.valid_from <= bindparam("year"),
                 OrgUnit.valid_to.is_(None) | (OrgUnit.valid_to >= bindparam("year"))))
_GOALS = select(Goal.id, Goal.kind, Goal.title, Goal.parent_id)
_INDICATORS = (select(Indicator.id, Indicator.code, Indicator.name, Indicator.short_name, Indicator.synonyms,
                      Indicator.goal_id).order_by(Indicator.sort_order, Indicator.id))
_LINES = (select(BudgetLine.id, BudgetLine.verksamhet, BudgetLine.verksamhet_code, BudgetLine.org_unit_id)
          .where(BudgetLine.year == bindparam("year")).order_by(BudgetLine.sort_order, BudgetLine.id))


async def load_catalog(store: Store, year: int) -> Catalog:
    """Read the names valid in ``year`` from the store: four selects of the columns needed, then the entries
    built in a worker thread. On the biggest kommun's store (6 300 names) the ORM objects this read before took
    ≈ 420 ms to load, all of it holding the event loop, every 30 s; now ≈ 150 ms, most of it normalising the
    names beside the loop rather than on it."""
    async with store.read_session() as session:
        stamp = await current_stamp(session)
        units = (await session.execute(_UNITS, {"year": year})).all()
        goals = (await session.execute(_GOALS)).all()
        indicators = (await session.execute(_INDICATORS)).all()
        lines = (await session.execute(_LINES, {"year": year})).all()
    return await asyncio.to_thread(_catalog, year, units, goals, indicators, lines, stamp)


# The word for what kind of place an enhet is, before its own name: "Förskolan Humlan" is "Humlan" at the
# tavelmöte. Folded (``key``), as names are compared.
_UNIT_TYPE_WORDS = ("forskolan", "forskola", "grundskolan", "skolan", "hemtjansten", "hemtjanst", "enheten",
                    "avdelningen", "aldreboendet", "boendet", "gruppbostaden", "gruppboendet", "fritidsgarden",
                    "biblioteket")
SHORT_NAME_MIN = 4  # a shorter own name ("Förskolan Ek") is too easily another word


def _own_name(name: str) -> str | None:
    """An enhet's own name without the word for its kind ("Förskolan Humlan" → "humlan"), or None."""
    folded = key(name)
    first, _, rest = folded.partition(" ")
    return rest if first in _UNIT_TYPE_WORDS and len(rest) >= SHORT_NAME_MIN else None


def _catalog(year: int, units: Any, goal_rows: Any, indicators: Any, lines: Any, stamp: int | None = None
             ) -> Catalog:
    goals = {g.id: g for g in goal_rows}
    unit_by_id = {u.id: u for u in units}
    entries: list[Entry] = []
    # an own name names an enhet only when no other unit has it (two "Centrum" of different kinds: neither)
    own = [_own_name(u.name) if u.kind == "enhet" else None for u in units]
    taken = Counter([n for n in own if n] + [key(u.name) for u in units])  # 3 000 enheter: counted once
    for unit, short in zip(units, own):
        if unit.kind in ("verksamhetsomrade", "enhet"):
            parent = unit_by_id.get(unit.parent_id) if unit.parent_id else None
            extra = [short] if short and taken[short] == 1 else []
            entries.append(Entry("area" if unit.kind == "verksamhetsomrade" else "enhet", unit.id, unit.name,
                                 _names(unit.name, unit.synonyms or [], extra), unit.parent_id,
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
    return Catalog(tuple(entries), year, stamp)


class CatalogCache:
    """Per-process cache of the catalog of a year; reloaded in the background after ``ttl`` seconds.

    One load at a time per year, and every turn that needs a catalog before there is one waits for that
    same load: when it ends they all go on in the same loop iteration. (Behind an ``asyncio.Lock`` they were
    handed the lock one after another, an iteration each: with 100 people's turns in the loop each iteration
    is ≈ 35 ms, and the 100th first turn after a start answered 3.5 s late — bench, 100 users.) Once there
    is a catalog, an expired one is still answered with while its reload runs, so a reload every ``ttl``
    makes nobody wait; a reload that fails is logged and tried again on a later turn. ``invalidate`` (the
    names changed: an import) drops the catalog: the next turns wait for a fresh load, never an older one.

    A turn that brings a catalogue stamp (``storage.catalogue``: read with the caller) other than the one the
    catalog was read at, and not seen before, does the same: the names were changed, here or in another
    replica, and that turn and the next wait for them. Each stamp does it once (a turn that read a stamp just
    before a write replaced it does not drop the newer catalog).
    """

    def __init__(self, store: Store, ttl: float = 30.0, warm: Callable[[Catalog], Any] | None = None) -> None:
        """``warm(catalog)``: run in a worker thread before a loaded catalog is used (``bot.nlu.rules.warm``
        builds the name indexes the rules use: on the biggest kommun's store 100–300 ms that a turn would
        otherwise pay on the loop, every reload)."""
        self._store = store
        self._ttl = ttl
        self._warm = warm
        self._cached: dict[int, tuple[float, Catalog]] = {}
        self._loading: dict[int, asyncio.Task[Catalog]] = {}
        self.loads = 0  # catalogs read from the store (tests)
        self._seen: deque[int] = deque(maxlen=STAMPS_SEEN)  # catalogue stamps that have dropped or made one

    async def get(self, year: int, stamp: int | None = None) -> Catalog:
        """The catalog of ``year``; ``stamp``: the turn's catalogue stamp (None: not known, the ttl decides)."""
        hit = self._cached.get(year)
        if hit is not None and stamp is not None and hit[1].stamp is not None and stamp != hit[1].stamp \
                and stamp not in self._seen:
            self._seen.append(stamp)
            self.invalidate()
            hit = None
        if hit is not None:
            if time.monotonic() - hit[0] >= self._ttl:
                self._load(year)  # in the background; this turn answers with the catalog it has
            return hit[1]
        # shielded: a turn that gives up (its time limit) does not cancel the load the others wait for
        return await asyncio.shield(self._load(year))

    def _load(self, year: int) -> "asyncio.Task[Catalog]":
        task = self._loading.get(year)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.get_running_loop().create_task(self._read(year))
            self._loading[year] = task
            task.add_done_callback(lambda done: self._loaded(year, done))
        return task

    async def _read(self, year: int) -> Catalog:
        self.loads += 1
        catalog = await load_catalog(self._store, year)
        if self._warm is not None:
            try:
                await asyncio.to_thread(self._warm, catalog)  # nobody else holds this catalog yet
            except Exception:  # noqa: BLE001 - the catalog is fine; its indexes are built by the turns instead
                log.exception("warming catalog %s failed", year)
        return catalog

    def _loaded(self, year: int, task: "asyncio.Task[Catalog]") -> None:
        if self._loading.get(year) is not task:  # invalidated while it ran: what it read may be older
            if not task.cancelled():
                task.exception()  # retrieved: the waiters (if any) have it
            return
        del self._loading[year]
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            if year in self._cached:  # a background reload: the catalog in use stays
                log.warning("catalog %s could not be reloaded, the loaded one stays: %s", year,
                            f"{type(error).__name__}: {error}"[:200])
            return
        catalog = task.result()
        self._cached[year] = (time.monotonic(), catalog)
        if catalog.stamp is not None and catalog.stamp not in self._seen:
            self._seen.append(catalog.stamp)

    def invalidate(self) -> None:
        self._cached.clear()
        self._loading.clear()  # a load already running may have read the old names: not cached
