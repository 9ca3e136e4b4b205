"""The catalog's indexes give the answers a plain walk over every name gives, on a catalog of kommun size."""

from __future__ import annotations

import random
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.nlu.catalog import Catalog, Entry, Located, Match, _covered, _foreign_number, _word_span, bigram_floor, key
from bot.nlu.catalog import _catalog as build_catalog

WORDS = ("hemtjänst särskilt boende förskola grundskola fritidshem gymnasieskola vuxenutbildning bibliotek "
         "kultur fritid gata park räddningstjänst socialpsykiatri ekonomiskt bistånd familjehem lss "
         "personlig assistans kost städ lokalvård måltid anläggning idrott simhall").split()


def _catalog(n: int, seed: int = 7) -> Catalog:
    rng = random.Random(seed)
    entries = [Entry("area", 1, "Omsorg och stöd", (key("Omsorg och stöd"), "omsorg"))]
    for i in range(n):
        label = " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" {i}"
        entries.append(Entry("budget_line", 10 + i, label.capitalize(), (key(label),), 1, "Omsorg och stöd"))
    entries += [
        Entry("budget_line", 5, "Hemtjänst", (key("Hemtjänst"),), 1, "Omsorg och stöd"),
        Entry("budget_line", 6, "Hemtjänst", (key("Hemtjänst"),), 2, "Annat område"),
        Entry("enhet", 7, "Förskolan Humlan", (key("Förskolan Humlan"), "humlan"), 1, "Omsorg och stöd"),
        Entry("indicator", 8, "Frisknärvaro", (key("Frisknärvaro"), "hme"), None, None),
        Entry("budget_line", 9, "Räddningstjänst Göinge-Hässleholm", (key("Räddningstjänst Göinge-Hässleholm"),)),
    ]
    return Catalog(tuple(entries), 2018)


def _walk(catalog: Catalog, text: str, *kinds: str, threshold: float = 85.0, exact_below: int = 5) -> list[Located]:
    """What ``locate`` promises, by walking every name (the reference the indexes must agree with)."""
    t = key(text)
    padded = f" {t.replace('-', ' ')} "
    found: dict[tuple[str, int], Located] = {}
    for entry in catalog.entries:
        if entry.kind not in kinds:
            continue
        for name in entry.names:
            if len(name) < 2:
                continue
            at = padded.find(f" {name.replace('-', ' ')} ")
            if at >= 0:
                hit = Located(entry, 100.0, name, at, at + len(name))
            elif exact_below <= len(name) <= len(t) + 2 and fuzz.partial_ratio(name, t) >= threshold:
                aligned = fuzz.partial_ratio_alignment(name, t, score_cutoff=threshold)
                if aligned is None:
                    continue
                start, end = _word_span(t, aligned.dest_start, aligned.dest_end)
                if _foreign_number(t[start:end], name) or fuzz.ratio(name, t[start:end]) < threshold:
                    continue
                hit = Located(entry, float(fuzz.ratio(name, t[start:end])), name, start, end)
            else:
                continue
            best = found.get((entry.kind, entry.id))
            if best is None or _covered(hit) > _covered(best):
                found[(entry.kind, entry.id)] = hit
    return sorted(found.values(), key=lambda m: (-m.score, -(m.end - m.start), m.start))


def _typo(rng: random.Random, text: str) -> str:
    """One or two letters dropped, doubled, swapped or replaced."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(chars) - 1)
        how = rng.choice("dpsr")
        if how == "d":
            del chars[i]
        elif how == "p":
            chars.insert(i, chars[i])
        elif how == "s":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice("aeiounrst")
    return "".join(chars)


def test_locate_agrees_with_a_walk_over_every_name() -> None:
    catalog = _catalog(3000)
    rng = random.Random(11)
    texts = ["budget kvar hemtjänst", "hur går det för förskolan humlan?", "hemtjanst", "hemtjäsnt kvar",
             "räddningstjänst göinge hässleholm", "räddningstjänst göinge-hässleholm utfall",
             "frisknärvaro 94,2 %", "status hme", "omsorg och stöd", "kvar i omsorg och stod"]
    texts += [" ".join(rng.sample(WORDS, 3)) + f" {rng.randint(0, 3100)}" for _ in range(40)]
    texts += [_typo(rng, " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" {rng.randint(0, 3100)}")
              for _ in range(60)]  # near the fuzzy threshold: the bigram prefilter must let these through
    for text in texts:
        for kinds in [("budget_line", "area", "enhet"), ("indicator",), ("enhet",)]:
            assert catalog.locate(text, *kinds) == _walk(catalog, text, *kinds), (text, kinds)


def test_locate_finds_a_name_as_a_phrase_not_as_scattered_words() -> None:
    catalog = _catalog(0)
    hits = catalog.locate("vad är kvar för Göinge-Hässleholm räddningstjänst", "budget_line")
    assert 9 not in [h.entry.id for h in hits]  # the words are there, the name is not
    hits = catalog.locate("utfall räddningstjänst göinge hässleholm", "budget_line")
    assert [h.entry.id for h in hits] == [9]


def test_labelled_keeps_catalog_order_and_every_area() -> None:
    catalog = _catalog(50)
    assert [e.id for e in catalog.labelled("budget_line", ["Hemtjänst"])] == [5, 6]
    assert [e.id for e in catalog.labelled("budget_line", ["Räddningstjänst Göinge-Hässleholm", "Hemtjänst"])] == [5, 6, 9]
    assert catalog.labelled("budget_line", ["Förskolan Humlan"]) == []  # an enhet, not a line
    assert catalog.labelled("budget_line", []) == []


def test_by_id_and_of_kind() -> None:
    catalog = _catalog(20)
    assert catalog.by_id("enhet", 7).label == "Förskolan Humlan"
    assert catalog.by_id("budget_line", 7) is None
    lines = catalog.of_kind("budget_line")
    lines.clear()  # a caller's own list: the catalog is unchanged
    assert len(catalog.of_kind("budget_line")) == 23


def test_with_names_adds_synonyms_once_per_catalog() -> None:
    catalog = _catalog(5)
    calls: list[str] = []

    def extra(entry: Entry) -> tuple[str, ...]:
        calls.append(entry.label)
        return ("äldreomsorg i hemmet",) if entry.label == "Hemtjänst" else ()

    first = catalog.with_names("test", extra)
    assert first is catalog.with_names("test", extra)
    assert len(calls) == len(catalog.entries)
    assert [h.entry.id for h in first.locate("kvar äldreomsorg i hemmet", "budget_line")] == [5, 6]
    assert catalog.locate("kvar äldreomsorg i hemmet", "budget_line") == []


def _find_walk(catalog: Catalog, text: str, *kinds: str, threshold: float = 85.0) -> list[Match]:
    """What ``find_in`` promises, by scoring every name."""
    t = key(text)
    found: dict[tuple[str, int], Match] = {}
    for entry in catalog.entries:
        if entry.kind not in kinds:
            continue
        for name in entry.names:
            if len(name) < 3:
                continue
            if f" {name} " in f" {t} ":
                score = 100.0
            elif len(name) < 5 or (any(w.isdigit() for w in t.split())
                                   and any(w.isdigit() and w not in t.split() for w in name.split())):
                continue
            else:
                score = float(fuzz.partial_ratio(name, t))
            k = (entry.kind, entry.id)
            if score >= threshold and (k not in found or score > found[k].score):
                found[k] = Match(entry, score, name)
    return sorted(found.values(), key=lambda m: (-m.score, -len(m.name)))


def test_find_in_agrees_with_scoring_every_name() -> None:
    catalog = _catalog(3000)
    rng = random.Random(13)
    texts = ["tavla förskolan humlan", "tavla forskolan hulman", "humlan", "lss", "", "hemtjänst 12",
             "veckosammanfattning för omsorg och stöd", "räddningstjänst göinge-hässleholm"]
    texts += [_typo(rng, " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" {rng.randint(0, 3100)}")
              for _ in range(60)]
    for text in texts:
        for kinds, threshold in [(("enhet",), 85.0), (("budget_line", "area"), 88.0), (("budget_line",), 60.0)]:
            assert catalog.find_in(text, *kinds, threshold=threshold) == \
                _find_walk(catalog, text, *kinds, threshold=threshold), (text, kinds)


def test_find_in_takes_a_number_in_a_name_as_part_of_it() -> None:
    entries = tuple(Entry("enhet", n, f"Hemtjänst grupp {n}", (key(f"Hemtjänst grupp {n}"),)) for n in (2, 3))
    catalog = Catalog(entries + (Entry("enhet", 9, "Förskolan Humlan", (key("Förskolan Humlan"),)),), 2018)
    assert [m.entry.id for m in catalog.find_in("tavla hemtjänst grupp 3", "enhet")] == [3]
    assert [m.entry.id for m in catalog.find_in("tavla hemtjänst grup 3", "enhet")] == [3]
    assert catalog.find_in("tavla hemtjänst grupp 4", "enhet") == []
    assert [m.entry.id for m in catalog.find_in("tavla förskolan humlan 2", "enhet")] == [9]
    assert sorted(m.entry.id for m in catalog.find_in("tavla hemtjänst grupp", "enhet")) == [2, 3]


def _held(name: str, text: str) -> int:
    grams = {text[i:i + 2] for i in range(len(text) - 1)}
    return sum(name[i:i + 2] in grams for i in range(len(name) - 1))


@settings(max_examples=3000, deadline=None)
@given(name=st.text("abcdeno ", min_size=2, max_size=30), text=st.text("abcdeno ", min_size=2, max_size=40),
       threshold=st.sampled_from([70.0, 80.0, 85.0, 88.0, 95.0]))
def test_the_bigram_floor_never_hides_a_fuzzy_match(name: str, text: str, threshold: float) -> None:
    """The prefilter's bound (``bigram_floor``) holds for any pair rapidfuzz scores at the threshold."""
    if fuzz.partial_ratio(name, text) >= threshold:
        assert _held(name, text) >= bigram_floor(min(len(name), len(text)), threshold)


def test_the_bigram_floor_still_filters() -> None:
    """Not vacuous: an unrelated name of kommun length is ruled out without rapidfuzz."""
    assert _held("forskolan larkan 12", "budget kvar aldreomsorg") < bigram_floor(19, 85.0)
    assert bigram_floor(19, 85.0) > 7


def _unit(id_: int, name: str, kind: str = "enhet", parent: int | None = 1) -> SimpleNamespace:
    return SimpleNamespace(id=id_, name=name, kind=kind, parent_id=parent, synonyms=None, code=f"u{id_}")


def test_an_enhet_is_also_known_by_its_own_name_without_the_word_for_its_kind() -> None:
    """"status personalomsättning humlan" answered for the whole kommun: "Förskolan Humlan" was only its full name.
    Its own name names it too — unless another unit has the same one, or it is too short to be sure of."""
    units = [_unit(1, "Utbildning", "verksamhetsomrade", None), _unit(7, "Förskolan Humlan"),
             _unit(8, "Förskolan Centrum"), _unit(9, "Skolan Centrum"), _unit(10, "Förskolan Ek"),
             _unit(11, "Snapphaneskolan")]
    catalog = build_catalog(2018, units, [], [], [])
    assert "humlan" in catalog.by_id("enhet", 7).names
    assert catalog.by_id("enhet", 8).names == (key("Förskolan Centrum"),)  # "centrum" is two units' own name
    assert catalog.by_id("enhet", 10).names == (key("Förskolan Ek"),)
    assert [h.entry.id for h in catalog.locate("status personalomsättning humlan", "area", "enhet")] == [7]
    assert [h.entry.id for h in catalog.locate("frisknärvaro på humlan?", "area", "enhet")] == [7]
