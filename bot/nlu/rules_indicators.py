"""Indicator rules: a status question, the overview, and recording a value — told apart by what the text names.

One rule (``indicators``) looks at the text once and proposes one of three intents:

- ``indicator_record`` — the text names an indicator, has exactly one value and a period or a ``%``, and
  asks nothing: "frisknärvaro 94,2 % mars 2018", "HME 78 2018". Without an indicator named it is *not* a
  value (``"introduktion nyanställda 60 %"`` is an activity report for ``rules_plans``), and activity words
  (klar, pågår, aktivitet …) or budget words (budget, kvar, tkr …) outside the indicator's name veto it.
- ``indicator_overview`` — "visa indikatorer", "indikatorer kunskap och kompetens", "show indicators for
  housing": the plural word, optionally an utmaningsområde / förvaltningsmål and an org unit.
- ``indicator_status`` — an indicator named (fuzzy, typos allowed, å/ä/ö-less, English names below), or
  words every name of a few indicators shares ("bostäder" → three). Slots: ``indicator_ids`` (more than
  one = ambiguous: the handler shows a choice card), ``org_unit_id`` when a unit is named.

Ambiguity: a name that is not an indicator's own full or short name but occurs in another indicator's full
name ("meritvärde", "nöjd region", "resultat") offers both. Names come from the catalog (the seed's names,
short names and synonyms) plus ``EXTRA_NAMES`` (English and colloquial Swedish), matched with rapidfuzz by
``Catalog.locate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from bot.nlu.catalog import Catalog, Entry, Located, key
from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance, clean, parse_decimal
from followup.indicators import SICK_LEAVE_NAMES, find_month, find_period

# Extra names by indicator code (the seed's own names, short names and synonyms come from the catalog).
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "nri": ("citizen satisfaction index", "citizen satisfaction", "nöjd-region", "medborgarundersökningen",
            "SCB:s medborgarundersökning"),
    "nyproducerade-bostader-goingehem": ("Göingehem bostäder", "Göingehems bostäder", "new homes Göingehem",
                                         "Göingehem nybyggnation"),
    "nri-nojd-bostad": ("housing satisfaction", "nöjda med bostaden", "nöjd med bostaden"),
    "producerade-bostader-totalt": ("housing construction", "new homes", "homes built", "bostadsproduktion",
                                    "bostadsproduktionen"),
    "sysselsatta": ("employed", "number employed", "people in work", "antal förvärvsarbetande"),
    "registrerade-foretag": ("companies", "number of companies", "businesses", "antal bolag"),
    "behoriga-gymnasieskolan": ("upper secondary eligibility", "eligible for upper secondary", "gymnasiebehöriga",
                                "behöriga till gymnasiet åk 9"),
    "gymnasieexamen-inom-4-ar": ("upper secondary graduation", "graduation within 4 years", "examen gymnasiet",
                                 "gymnasieexamen inom fyra år"),
    "nationella-prov-ak3": ("national tests year 3", "national tests grade 3", "nationella proven åk 3",
                            "nationella prov trean"),
    "meritvarde-ak9": ("merit value", "merit rating", "grade 9 merit value", "meritpoäng åk 9"),
    "meritvarde-300-eller-hogre": ("merit value 300", "meritvärde 300 poäng"),
    "aldre-80-kvarboende-utan-insatser": ("elderly 80+", "over 80 living at home", "80+ bor hemma",
                                          "äldre som bor kvar hemma"),
    "resultat-andel-skatter-statsbidrag": ("financial result", "financial goal", "surplus target",
                                           "finansiella målet", "kommunens resultat", "ekonomiskt resultat",
                                           "årets resultat"),
    "frisknarvaro": ("sick leave", "sickness absence", "health presence", "sjukfrånvaro", "sjukfrånvaron",
                     "frisk närvaro"),
    "personalomsattning": ("staff turnover", "employee turnover", "personnel turnover", "turnover"),
    "hme": ("employee engagement", "sustainable employee engagement", "medarbetarundersökningen",
            "medarbetarenkät"),
}
# Extra names of the goals indicators belong to, by the goal's folded title.
EXTRA_GOAL_NAMES: dict[str, tuple[str, ...]] = {
    "boende": ("housing",),
    "arbete och foretagande": ("work and business", "employment and business", "arbete", "företagande"),
    "kunskap och kompetens": ("knowledge and skills", "knowledge and competence", "skola", "utbildning"),
    "aldrande": ("ageing", "aging", "äldre", "äldreomsorg"),
    "finansiellt mal": ("financial goal", "finansiella mål", "ekonomi"),
    "attraktiv arbetsgivare": ("attractive employer", "arbetsgivare", "hr", "personal"),
    "15 000 stolta goingar": ("vision", "visionen", "15000 stolta göingar"),
}

STATUS_SCORE_MIN, STATUS_SCORE_MAX = 0.75, 0.95
RECORD_SCORE = 0.92
OVERVIEW_SCORE = 0.95
NOT_FOUND_SCORE = 0.55  # "status blomkål": say no such indicator — any other rule that knows the word wins

QUESTION_WORDS = frozenset(
    "status statusen lage laget hur vad vilken vilket visa visar show how what whats kolla prognos prognosen "
    "trend trenden forecast utveckling utvecklingen".split())
FILLER = frozenset(
    "status statusen lage laget hur gar gick det med for om vad ar visa visar ge mig oss kolla vi ligger till "
    "nu just aktuellt aktuella aktuell senaste varde vardet vardena utfall utfallet och pa i idag indikator "
    "indikatorn prognos prognosen trend trenden utveckling utvecklingen malniva malnivan mal malet kan du jag "
    "se fa far tack hej snalla lite hela kommunen kommunens kommunovergripande ostra goinge totalt inom var "
    "vart vilken vilket ser ut bra nagot om the how is are we doing on with of for show me latest value "
    "forecast target going s our about tell please in at whole municipality check it what whats status "
    "indicator av tavla".split())
RECORD_WORDS = frozenset(
    "registrera registrerar registrerat spara sparar lagg in mata nytt nya varde vardet blev var ar for i under "
    "manad manaden aret till procent percent rapportera rapporterar matt matning matningen utfall utfallet "
    "record log add set value for in was is it to new kommunen hela januari februari mars april maj juni "
    "juli augusti september oktober november december".split())
OVERVIEW_WORDS = frozenset(
    "indikatorer indikatorerna resultatindikatorer resultatindikatorerna indicators nyckeltal nyckeltalen "
    "kpi kpier kpis malnivaer".split())
# "vad har vi för mål?": Göingemodellens goals are what the overview shows — unless a number is written ("sätta
# mål 60 %" reports on an activity)
GOAL_WORDS = frozenset("mal malen malet resultatmal resultatmalen maluppfyllelse maluppfyllelsen goals".split())
# "vilka indikatorer är röda?": the overview of those with that status (the colours are the statuses' own)
STATUS_FILTERS = {
    **dict.fromkeys("roda rod risk riskerar daliga samst varning varningar".split(), "risk"),
    **dict.fromkeys("grona gron uppnadda uppnatt nadda klarade".split(), "uppnatt"),
    **dict.fromkeys("gula gul".split(), "pa_vag"),
    **dict.fromkeys("red failing".split(), "risk"), **dict.fromkeys("green achieved met".split(), "uppnatt"),
}
# "vilka indikatorer är …", "vad har vi för mål?", "vilka är våra mål": not a goal's name
NOT_REACHED = frozenset("nar nas klarar uppfyller uppfylls".split())  # with "inte": not reached
_WHICH = frozenset("vilka vilken vilket which are is har vi vara vart ni era ert de dom ser ut our we have do what "
                   "whats".split())
BUDGET_WORDS = frozenset(
    "budget budgeten budgetar tkr mkr kronor kr pengar nettokostnad kostnad kostnader forbrukat forbrukning "
    "forbrukningsgrad avvikelse budgetavvikelse underskott kvar money spent spend cost costs remaining left "
    "helarsprognos periodiserad".split())
ACTIVITY_WORDS = frozenset(
    "klar klart klara fardig fardigt pagar paborjad paborjat paborjade aktivitet aktiviteten aktiviteter "
    "aktiviteterna handlingsplan handlingsplanen uppgift uppgiften tavelmote done finished started "
    "activity activities task ide forslag avbruten pausad".split())
SOURCE_MARK = re.compile(r"\s(?:källa|kalla|enligt|source)\s*:?\s+(.+)$", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.,])([-−+]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?|[-−+]?\d+(?:[.,]\d+)?)(?!\w)\s*(%|procent\b|percent\b)?")
GOAL_KINDS = ("utmaningsomrade", "forvaltningsmal", "vision", "finansiellt_mal")


# --- The catalog with the extra names ------------------------------------------------------

def _extra_names(entry: Entry) -> tuple[str, ...]:
    if entry.kind == "indicator":
        return EXTRA_NAMES.get(str(entry.extra.get("code")), ())
    if entry.kind == "goal":
        return EXTRA_GOAL_NAMES.get(key(entry.label), ())
    return ()


def extended(catalog: Catalog) -> Catalog:
    """The catalog plus ``EXTRA_NAMES``/``EXTRA_GOAL_NAMES``, built once per catalog object."""
    return catalog.with_names("indicators", _extra_names)


# --- Reading the text once -------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-−:/]+", text) if w]


@lru_cache(maxsize=4096)
def _label_words(label: str) -> tuple[str, ...]:
    return tuple(_words(key(label)))


@lru_cache(maxsize=4096)
def _own_names(label: str, short: str) -> frozenset[str]:
    """An indicator's own full name (with and without its parenthesised parts) and short name, as words."""
    core = key(re.sub(r"\([^)]*\)", " ", label))
    return frozenset(" ".join(_words(n)) for n in (key(label), core, key(short)))


@lru_cache(maxsize=4096)
def _vocabulary(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for name in names for w in _words(name))


def _specific(hits: list[Located]) -> list[Located]:
    """Drop a hit whose span lies inside a longer hit's span ('meritvärde' inside 'meritvärde 300')."""
    kept: list[Located] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), -h.score)):
        if any(k.start <= hit.start and hit.end <= k.end for k in kept):
            continue
        if any(hit.start < k.end and k.start < hit.end for k in kept):
            continue  # a partial overlap: the longer (first) one stands
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _decisive(hit: Located) -> bool:
    """The hit is the indicator's own full or short name (then no other indicator is offered)."""
    own = _own_names(hit.entry.label, str(hit.entry.extra.get("short") or ""))
    return " ".join(_words(hit.name)) in own


def _contains_words_fuzzy(words: tuple[str, ...], needle: str) -> bool:
    """``needle``'s words, give or take an ending ('meritvärdet'), occur in a row in ``words``."""
    wanted = _words(needle)
    size = len(wanted)
    return any(all(fuzz.ratio(a, b) >= 88 for a, b in zip(words[i:i + size], wanted))
               for i in range(len(words) - size + 1))


def _sharing(hit: Located, indicators: list[Entry]) -> list[Entry]:
    """Other indicators whose full name contains the hit's words ('meritvärde' → Meritvärde 300+)."""
    return [e for e in indicators if e.id != hit.entry.id and _contains_words_fuzzy(_label_words(e.label), hit.name)]


def _explaining(hits: list[Located], text: str) -> list[Located]:
    """Several hits that one indicator's single name covers together ('nya bostäder' + 'Göingehem')."""
    said = {w for h in hits for w in _words(text[h.start:h.end])}
    ids = {h.entry.id for h in hits}
    found = [h for h in hits if any(said <= set(_words(name)) for name in h.entry.names)]
    return found if len(found) == 1 and len(ids) > 1 else hits


def _word_candidates(core: list[str], indicators: list[Entry]) -> list[Entry]:
    """Indicators each of whose core words occurs (fuzzy) among the words of its names ('bostäder')."""
    found = []
    for entry in indicators:
        vocabulary = _vocabulary(entry.names)
        if all(any(fuzz.ratio(word, v) >= (92 if len(word) < 6 else 88) for v in vocabulary) for word in core):
            found.append(entry)
    return found


@dataclass
class Reading:
    """What the indicator rule found in a text (positions in the folded text)."""

    folded: str
    indicators: list[Located] = field(default_factory=list)
    units: list[Located] = field(default_factory=list)
    goals: list[Located] = field(default_factory=list)
    period: str | None = None
    month: int | None = None  # a month named without a year ("94,2 mars"): the handler knows which year
    numbers: list[tuple[Decimal, bool]] = field(default_factory=list)  # (value, followed by %)
    rest: list[str] = field(default_factory=list)  # words not explained by a name, period or number
    source: str | None = None


_MENTION = re.compile(r"^\s*@\w+[:,]?\s*")


def read(u: Utterance, catalog: Catalog) -> Reading:
    raw = _MENTION.sub("", clean(u.raw))
    source = None
    marked = SOURCE_MARK.search(" " + raw)
    if marked:
        source = marked.group(1).strip()[:200] or None
        raw = (" " + raw)[: marked.start()].strip()
    text = key(raw)
    cat = extended(catalog)
    reading = Reading(folded=text, source=source)
    reading.indicators = _specific(cat.locate(raw, "indicator"))
    taken = [(h.start, h.end) for h in reading.indicators]
    reading.units = [h for h in cat.locate(raw, "area", "enhet")
                     if not any(h.start < e and s < h.end for s, e in taken)]
    reading.units = _specific(reading.units)[:1]
    taken += [(h.start, h.end) for h in reading.units]
    with_indicators = {e.parent_id for e in cat.of_kind("indicator")}
    reading.goals = [h for h in cat.locate(raw, "goal") if h.entry.id in with_indicators
                     and str(h.entry.extra.get("kind")) in GOAL_KINDS
                     and not any(h.start < e and s < h.end for s, e in taken)]
    chars = list(text)
    for s, e in taken + [(h.start, h.end) for h in reading.goals]:
        chars[s:e] = " " * (e - s)
    remainder = "".join(chars)
    found = find_period(remainder)
    if found is not None:
        period, s, e = found
        reading.period = period.code
        remainder = remainder[:s] + " " * (e - s) + remainder[e:]
    elif (bare := find_month(remainder)) is not None:
        reading.month, s, e = bare
        remainder = remainder[:s] + " " * (e - s) + remainder[e:]
    for m in _NUMBER.finditer(remainder):
        value = parse_decimal(m.group(1))
        if value is not None:
            reading.numbers.append((value, bool(m.group(2))))
    remainder = _NUMBER.sub(" ", remainder)
    reading.rest = [w for w in _words(remainder) if re.search(r"\w", w)]
    return reading


def _coverage(reading: Reading, filler: frozenset[str]) -> float:
    total = sum(len(w) for w in _words(reading.folded)) or 1
    unexplained = sum(len(w) for w in reading.rest if w not in filler)
    return max(0.0, 1.0 - unexplained / total)


# --- The rule ----------------------------------------------------------------------------


_GROUP_SIZE = re.compile(r"(?i)[,(]?\s*\b(?:underlag|group\s+size)\s*:?\s*(\d{1,6})(?:\s*(?:personer|pers\.?|anställda|people))?"
                         r"\b\)?|[,(]?\s*\b(\d{1,6})\s+(?:personer|anställda|people)\b\)?")


def indicators(u: Utterance, catalog: Any) -> Intent | None:
    """Status question, overview or a value being recorded — or None when the text is about something else."""
    if not isinstance(catalog, Catalog) or not u.text:
        return None
    group = _GROUP_SIZE.search(u.raw)
    if group:  # "frisknärvaro 97 % april underlag 3": how many people the value is computed from, checked apart
        intent = indicators(Utterance(u.raw[:group.start()] + " " + u.raw[group.end():]), catalog)
        if intent is not None and intent.name == "indicator_record":
            intent.slots["group_size"] = int(group.group(1) or group.group(2))
        return intent
    reading = read(u, catalog)
    rest = set(reading.rest)
    if rest & BUDGET_WORDS or rest & ACTIVITY_WORDS or "hur mycket" in " ".join(reading.rest):
        return None
    asks = "?" in u.raw or bool(rest & QUESTION_WORDS)
    unit_slots: dict[str, Any] = {}
    if reading.units:
        unit_slots = {"org_unit_id": reading.units[0].entry.id, "org_unit_name": reading.units[0].entry.label}
    all_indicators = extended(catalog).of_kind("indicator")

    if (rest & OVERVIEW_WORDS or rest & GOAL_WORDS and not reading.numbers) and not reading.indicators:
        slots: dict[str, Any] = dict(unit_slots)
        if reading.goals:
            slots["goal_id"] = reading.goals[0].entry.id
        filters = {STATUS_FILTERS[w] for w in reading.rest if w in STATUS_FILTERS}
        if rest & NOT_REACHED and "inte" in rest:  # "vilka mål når vi inte?": the red ones
            filters.add("risk")
        if len(filters) == 1:
            slots["status"] = filters.pop()
        if not reading.goals:
            leftover = [w for w in reading.rest if w not in FILLER and w not in OVERVIEW_WORDS and w not in GOAL_WORDS
                        and w not in QUESTION_WORDS and w not in STATUS_FILTERS and w not in _WHICH
                        and not (w in NOT_REACHED or w == "inte")]
            if leftover:
                slots["goal_query"] = " ".join(leftover)
        return Intent("indicator_overview", OVERVIEW_SCORE, slots)

    if reading.indicators:
        hits = _explaining(reading.indicators, reading.folded)
        ids: list[int] = []
        for hit in hits:
            ids.append(hit.entry.id)
        if len(hits) == 1 and not _decisive(hits[0]):
            ids += [e.id for e in _sharing(hits[0], all_indicators)]
        values = [n for n in reading.numbers]
        if values and not asks and not (rest - RECORD_WORDS - FILLER):
            slots = {"indicator_ids": ids, "value": str(values[0][0]), "percent": values[0][1],
                     "period": reading.period, "month": reading.month, "source": reading.source, **unit_slots}
            if len(hits) == 1 and hits[0].name in SICK_LEAVE_NAMES:  # "sjukfrånvaro 5,8 %": frisknärvaro's complement
                slots["sick_leave"] = True
            if len(values) > 1:
                slots["problem"] = "many_numbers"
            certain = (reading.period is not None or reading.month is not None or values[0][1]
                       or bool(rest & RECORD_WORDS))
            return Intent("indicator_record", RECORD_SCORE if certain else 0.8, slots)
        score = STATUS_SCORE_MIN + (STATUS_SCORE_MAX - STATUS_SCORE_MIN) * _coverage(reading, FILLER)
        when = {"period": reading.period} if reading.period else {"month": reading.month} if reading.month else {}
        return Intent("indicator_status", round(score, 3),
                      {"indicator_ids": ids, "ambiguous": len(ids) > 1, "query": reading.folded, **unit_slots, **when})

    if reading.goals and not reading.numbers:
        leftover = [w for w in reading.rest if w not in FILLER]
        if not leftover:
            return Intent("indicator_overview", 0.8, {"goal_id": reading.goals[0].entry.id, **unit_slots})

    core = [w for w in reading.rest if w not in FILLER and len(w) >= 4]
    if core and len(core) <= 3 and len(core) == len([w for w in reading.rest if w not in FILLER]):
        candidates = _word_candidates(core, all_indicators)
        if 0 < len(candidates) <= 6:
            return Intent("indicator_status", 0.7, {"indicator_ids": [e.id for e in candidates],
                                                    "ambiguous": len(candidates) > 1, "query": " ".join(core),
                                                    **unit_slots})
    if reading.folded.split()[:1] in (["status"], ["indikatorn"], ["indikator"]) or \
            reading.folded.startswith(("hur gar det med ", "how is ")):
        query = " ".join(w for w in reading.rest if w not in FILLER)
        if query:
            return Intent("indicator_status", NOT_FOUND_SCORE, {"indicator_ids": [], "query": query, **unit_slots})
    return None


RULES_INDICATORS = (indicators,)
