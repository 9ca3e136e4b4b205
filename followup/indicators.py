"""Indicator rules: periods, status against the Målnivå, trend forecast, who may record values.

Pure functions over plain values (no database, no Teams). The same rules are written out for people
in ``docs/indicators.md``; keep the two in step.

**Status** of an indicator on a date (``as_of``), in this order:

1. *inga mätvärden än* — no value whose period has started by ``as_of``.
2. The **applicable target** is the Målnivå of ``as_of``'s year; without one, the latest earlier year's;
   without one, the earliest later year's. Targets are never carried over from a stricter year: when
   a target goes down (nationella prov åk 3: 93 in 2018, 90 in 2019), 2019 is judged against 90.
   No target at all → *ingen målnivå* (not one of the five; no seed indicator lacks a target).
3. What is judged: the latest value — except for a monthly series with the 12 months up to the latest
   one all recorded, where it is their mean (*rullande 12 månader*): a target for the year is about the
   year's mean, and single months swing with the seasons (sick leave peaks in winter).
4. *uppnått* — the judged value meets the applicable target: ``higher`` value ≥ target, ``lower``
   value ≤ target, ``interval`` low ≤ value ≤ high (too low is also off target). While the target's year is
   open, the forecast for it is made too (the card shows where the trend leads).
5. *ej uppnått* — it misses, and the target's year is decided: ``as_of`` is past that year, or the
   latest value's period reaches the end of that year (the year's figure is in).
6. The year is still open, the judged value misses:
   - with a **forecast** (at least two values, see below): *på väg* when the forecast for the target
     year meets the target, otherwise *risk*;
   - with a single value: *på väg* when the gap to the target is at most ``ON_TRACK_MARGIN`` (2 %) of
     the target level (for an interval: of the nearest bound), otherwise *risk*.

**Forecast** ("i nuvarande takt"): an ordinary least-squares straight line through the most recent
values that have the same period length as the latest one (at most ``FORECAST_POINTS``), over the
midpoints of their periods; read at the midpoint of the target year's last period of that length
(a yearly series: the target year; a monthly one: December of the target year), and kept inside what
the unit allows (a share 0–100 %, an index 0–100, a count ≥ 0). When the judged value is a rolling
12-month mean, the line goes through the rolling means instead, so the forecast for December is the
forecast of the target year's mean. Fewer than two such values, or all in one period: no forecast —
the card says so instead of guessing.

**Recording** values: people with the role hr, controller or admin on the value's org unit or any unit
above it. Values must fit the unit (``value_problem``).

**Health data**: frisknärvaro is computed from sick leave, which is health data (GDPR art. 9). Tavla
shows it only as an aggregate for the unit it was recorded for, never broken down further, and an
import refuses a value whose underlag (number of people) is below ``MIN_GROUP_SIZE``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from functools import lru_cache

ON_TRACK_MARGIN = Decimal("0.02")
FORECAST_POINTS = 12
ROLLING_MONTHS = 12
MIN_GROUP_SIZE = 5
RECORDER_ROLES = ("hr", "controller", "admin")
HEALTH_DATA_CODES = frozenset({"frisknarvaro", "sjukfranvaro"})  # computed from sick leave
NEGATIVE_ALLOWED_CODES = frozenset({"resultat-andel-skatter-statsbidrag"})  # a deficit is a negative share
DIRECTIONS = ("higher", "lower", "interval")


# --- Periods -------------------------------------------------------------------------------

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
_MONTH_WORDS: dict[str, int] = {}
for _number, _names in enumerate((
    ("januari", "jan", "january"), ("februari", "feb", "february"), ("mars", "mar", "march"),
    ("april", "apr"), ("maj", "may"), ("juni", "jun", "june"), ("juli", "jul", "july"),
    ("augusti", "aug", "august"), ("september", "sep", "sept"), ("oktober", "okt", "oct", "october"),
    ("november", "nov"), ("december", "dec"),
), start=1):
    for _name in _names:
        _MONTH_WORDS[_name] = _number
_MONTH_RE = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_YEAR_RE = r"(?:19[9]\d|20\d\d|2100)"

GRAINS = ("year", "tertial", "month")


@dataclass(frozen=True, order=True)
class Period:
    """A measuring period: a calendar year (``2018``), a tertial (``2018T1``) or a month (``2018-03``)."""

    start: date
    end: date
    grain: str
    code: str

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31), "year", f"{year:04d}")

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        if not 1 <= month <= 12:
            raise ValueError(f"månad {month} finns inte")
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        return cls(date(year, month, 1), end, "month", f"{year:04d}-{month:02d}")

    @classmethod
    def tertial(cls, year: int, number: int) -> "Period":
        if not 1 <= number <= 3:
            raise ValueError(f"tertial {number} finns inte")
        first = 4 * (number - 1) + 1
        end = Period.month(year, first + 3).end
        return cls(date(year, first, 1), end, "tertial", f"{year:04d}T{number}")

    @property
    def midpoint(self) -> date:
        return self.start + (self.end - self.start) / 2

    def last_of_year(self, year: int) -> "Period":
        """The period of this one's length that ends a year: the year itself, T3 or December."""
        if self.grain == "month":
            return Period.month(year, 12)
        if self.grain == "tertial":
            return Period.tertial(year, 3)
        return Period.year(year)

    def label(self, lang: str = "sv") -> str:
        """``2018``, ``mars 2018`` / ``March 2018``, ``tertial 1 2018`` / ``T1 2018``."""
        if self.grain == "month":
            names = MONTHS if lang == "sv" else ("January", "February", "March", "April", "May", "June", "July",
                                                  "August", "September", "October", "November", "December")
            return f"{names[self.start.month - 1]} {self.start.year}"
        if self.grain == "tertial":
            number = self.code[-1]
            return f"tertial {number} {self.start.year}" if lang == "sv" else f"T{number} {self.start.year}"
        return str(self.start.year)


@lru_cache(maxsize=4096)  # a status card reads a hundred stored values over a few dozen periods
def period_from_code(code: str) -> Period:
    """The period a stored code names (``2018``, ``2018-03``, ``2018T2``); ``ValueError`` otherwise."""
    if re.fullmatch(r"\d{4}", code):
        return Period.year(int(code))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", code):
        return Period.month(int(m.group(1)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})T([1-3])", code):
        return Period.tertial(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"okänd period {code!r}")


_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o"})
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("month_name_year", rf"\b(?P<m>{_MONTH_RE})\.?\s*(?P<y>{_YEAR_RE})\b"),
        ("year_month_name", rf"\b(?P<y>{_YEAR_RE})\s+(?P<m>{_MONTH_RE})\b"),
        ("tertial", rf"\b(?:(?P<y1>{_YEAR_RE})\s*(?:t|tertial\s*)(?P<t1>[1-3])|(?:t|tertial\s*)(?P<t2>[1-3])\s*(?P<y2>{_YEAR_RE}))\b"),
        ("iso_date", rf"\b(?P<y>{_YEAR_RE})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[ t]00:00(?::00)?)?\b"),
        ("year_month", rf"\b(?P<y>{_YEAR_RE})[-/.](?P<m>0?[1-9]|1[0-2])\b(?![-/.]\d)"),
        ("compact", rf"\b(?P<y>{_YEAR_RE})(?P<m>0[1-9]|1[0-2])\b"),
        ("month_year", rf"(?<![\d.,/-])(?P<m>0?[1-9]|1[0-2])[-/.](?P<y>{_YEAR_RE})\b"),
        ("year", rf"(?<![\d.,−-])\b(?P<y>{_YEAR_RE})\b(?![.,]\d)"),
    )
)


def _period_of(kind: str, m: re.Match[str]) -> Period:
    if kind in ("month_name_year", "year_month_name"):
        return Period.month(int(m.group("y")), _MONTH_WORDS[m.group("m")])
    if kind == "tertial":
        year = m.group("y1") or m.group("y2")
        number = m.group("t1") or m.group("t2")
        return Period.tertial(int(year), int(number))
    if kind == "year":
        return Period.year(int(m.group("y")))
    if kind == "iso_date":
        date(int(m.group("y")), int(m.group("m")), int(m.group("d")))  # a real date, or ValueError
    return Period.month(int(m.group("y")), int(m.group("m")))


def find_period(text: str, *, allow_compact: bool = False) -> tuple[Period, int, int] | None:
    """The first period named in free text and where (``mars 2018``, ``2018-03``, ``T1 2018``, ``2018``).

    ``text`` is lower-cased and å/ä/ö-folded here; positions refer to it (same length as the input).
    ``201803`` is only read as a month when ``allow_compact`` (a file column), never in chat.
    """
    folded = text.lower().translate(_FOLD)
    for kind, pattern in _PERIOD_PATTERNS:
        if kind == "compact" and not allow_compact:
            continue
        for m in pattern.finditer(folded):
            try:
                return _period_of(kind, m), m.start(), m.end()
            except ValueError:
                continue
    return None


_BARE_MONTH = re.compile(r"\b(?P<m>" + "|".join(sorted(
    (n for n in _MONTH_WORDS if len(n) >= 4 or n == "maj"), key=len, reverse=True)) + r")\b")


def find_month(text: str) -> tuple[int, int, int] | None:
    """A month named without a year in free text — ``mars``, ``i mars``, ``för mars`` — and where: (month,
    start, end), positions as ``find_period``'s. Written names only (``mars``, ``sept``, ``maj``), not the
    three-letter ones that are words too (``mar``, ``jul``)."""
    found = _BARE_MONTH.search(text.lower().translate(_FOLD))
    return (_MONTH_WORDS[found.group("m")], found.start(), found.end()) if found else None


def latest_month(month: int, today: date) -> Period:
    """The most recent month ``month`` that has begun by ``today``: "mars" in May 2018 is March 2018, in
    February 2018 March 2017."""
    return Period.month(today.year if month <= today.month else today.year - 1, month)


def parse_period(text: str) -> Period | None:
    """A period written alone (a file cell or a card input): the whole text must be the period."""
    cleaned = " ".join(text.replace("\u00a0", " ").split()).strip().rstrip(".")
    found = find_period(cleaned, allow_compact=True)
    if found is None:
        return None
    period, start, end = found
    rest = (cleaned[:start] + cleaned[end:]).strip(" ,;")
    return period if rest == "" else None


# --- Targets, values, status ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Målnivå for a year: ``low`` for higher-is-better, ``high`` for lower-is-better, both for an interval."""

    year: int
    low: Decimal | None
    high: Decimal | None
    label: str | None = None


@dataclass(frozen=True)
class Point:
    """One recorded value."""

    period: Period
    value: Decimal
    kind: str = "matning"  # utgangslage / utfall / matning


class Status(str, Enum):
    UPPNATT = "uppnatt"
    PA_VAG = "pa_vag"
    RISK = "risk"
    EJ_UPPNATT = "ej_uppnatt"
    INGA_VARDEN = "inga_varden"
    INGEN_MALNIVA = "ingen_malniva"


@dataclass(frozen=True)
class Forecast:
    """A straight-line forecast: ``value`` at ``period`` from ``points`` values, ``slope`` per year."""

    period: Period
    value: Decimal
    slope_per_year: Decimal
    points: int
    first: Period
    last: Period
    meets: bool | None  # against the target it was made for; None without one
    rolling: bool = False  # made from rolling 12-month means (a monthly series)


@dataclass(frozen=True)
class Assessment:
    """What the rules say about an indicator on a date."""

    status: Status
    target: Target | None  # the applicable target
    latest: Point | None
    forecast: Forecast | None  # for the applicable target's year (None: under two values or decided)
    next_target: Target | None
    next_forecast: Forecast | None  # for the next target's year
    gap: Decimal | None  # judged − target (nearest bound); negative = below
    reason: str  # a short code: met / decided / trend / margin / no_values / no_target
    judged: Point | None = None  # what was compared with the target: the latest value or its rolling mean
    basis: str = "latest"  # latest / rolling12 (the mean of the 12 months up to the latest month)
    decided: bool = False  # the applicable target's year is over, or its figure is in: nothing left to forecast


def meets(value: Decimal, target: Target, direction: str) -> bool:
    """True when ``value`` is at or better than the target level (an interval includes its bounds)."""
    if direction == "higher":
        return target.low is None or value >= target.low
    if direction == "lower":
        return target.high is None or value <= target.high
    if direction == "interval":
        return (target.low is None or value >= target.low) and (target.high is None or value <= target.high)
    raise ValueError(f"okänd riktning {direction!r}")


def gap_to(value: Decimal, target: Target, direction: str) -> Decimal:
    """Signed distance from ``value`` to the target's nearest bound (0 when it meets it)."""
    if meets(value, target, direction):
        return Decimal(0)
    if direction == "higher" or (direction == "interval" and target.low is not None and value < target.low):
        assert target.low is not None
        return value - target.low
    assert target.high is not None
    return value - target.high


def target_for(targets: Iterable[Target], year: int) -> Target | None:
    """The target of ``year``; else the latest earlier year's; else the earliest later year's."""
    ordered = sorted(targets, key=lambda t: t.year)
    exact = [t for t in ordered if t.year == year]
    if exact:
        return exact[0]
    earlier = [t for t in ordered if t.year < year]
    if earlier:
        return earlier[-1]
    return ordered[0] if ordered else None


def next_target_after(targets: Iterable[Target], year: int) -> Target | None:
    later = sorted((t for t in targets if t.year > year), key=lambda t: t.year)
    return later[0] if later else None


def latest_point(points: Iterable[Point], as_of: date) -> Point | None:
    """The value of the most recent period that has started by ``as_of`` (a year beats its December)."""
    started = [p for p in points if p.period.start <= as_of]
    if not started:
        return None
    return max(started, key=lambda p: (p.period.end, p.period.end - p.period.start))


def bounds_for(unit: str, values: Iterable[Decimal] = ()) -> tuple[Decimal | None, Decimal | None]:
    """What a unit allows: a share 0–100 % (negative only for series that have negatives), index 0–100."""
    if unit == "%":
        return (Decimal(0) if all(v >= 0 for v in values) else None), Decimal(100)
    if unit == "index":
        return Decimal(0), Decimal(100)
    if unit in ("antal", "poäng"):
        return Decimal(0), None
    return None, None


def _years(day: date) -> Decimal:
    return Decimal(day.toordinal()) / Decimal("365.2425")


def rolling_means(points: Iterable[Point]) -> list[Point]:
    """For each month that ends 12 recorded months in a row: their mean (kind ``rullande``), oldest first.

    A monthly series swings with the seasons (sick leave peaks in winter); a yearly target such as
    "genomsnittlig frisknärvaro minst 95 %" is about the year's mean, which the rolling mean estimates.
    """
    monthly = {p.period.start.year * 12 + p.period.start.month - 1: p for p in points if p.period.grain == "month"}
    out = []
    for index in sorted(monthly):
        if all(index - k in monthly for k in range(1, ROLLING_MONTHS)):
            total = sum((monthly[index - k].value for k in range(ROLLING_MONTHS)), Decimal(0))
            out.append(Point(monthly[index].period, total / ROLLING_MONTHS, "rullande"))
    return out


def forecast(points: Sequence[Point], at: Period, *, unit: str = "", target: Target | None = None,
             direction: str = "higher", as_of: date | None = None, rolling: bool = False) -> Forecast | None:
    """Least-squares line through the latest values of the latest value's period length, read at ``at``.

    None with fewer than two such values (or all in one period). ``at`` is converted to that length
    (``Period.last_of_year``) by the caller; here it is read at its midpoint. ``rolling``: ``points`` are
    rolling 12-month means (the forecast is then the target year's mean).
    """
    usable = [p for p in points if as_of is None or p.period.start <= as_of]
    latest = latest_point(usable, as_of or date.max)
    if latest is None:
        return None
    same = sorted((p for p in usable if p.period.grain == latest.period.grain), key=lambda p: p.period.start)
    by_period: dict[str, Point] = {}
    for p in same:
        by_period[p.period.code] = p  # one value per period
    series = list(by_period.values())[-FORECAST_POINTS:]
    if len(series) < 2:
        return None
    xs = [_years(p.period.midpoint) for p in series]
    ys = [p.value for p in series]
    n = Decimal(len(series))
    mean_x = sum(xs, Decimal(0)) / n
    mean_y = sum(ys, Decimal(0)) / n
    sxx = sum(((x - mean_x) ** 2 for x in xs), Decimal(0))
    if sxx == 0:
        return None
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)), Decimal(0)) / sxx
    value = mean_y + slope * (_years(at.midpoint) - mean_x)
    low, high = bounds_for(unit, ys)
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return Forecast(period=at, value=value, slope_per_year=slope, points=len(series), first=series[0].period,
                    last=series[-1].period, meets=meets(value, target, direction) if target else None,
                    rolling=rolling)


def assess(direction: str, targets: Sequence[Target], points: Sequence[Point], as_of: date, *,
           unit: str = "") -> Assessment:
    """Status, applicable target, latest value and forecasts, by the rules in this module's docstring."""
    if direction not in DIRECTIONS:
        raise ValueError(f"okänd riktning {direction!r}")
    target = target_for(targets, as_of.year)
    latest = latest_point(points, as_of)
    next_target = next_target_after(targets, max(as_of.year, target.year if target else as_of.year))
    usable = [p for p in points if p.period.start <= as_of]
    judged, basis, trend_points = latest, "latest", usable
    if latest is not None and latest.period.grain == "month":
        rolling = rolling_means(usable)
        if rolling and rolling[-1].period == latest.period:
            judged, basis, trend_points = rolling[-1], "rolling12", rolling

    def _forecast_for(t: Target | None) -> Forecast | None:
        if t is None or latest is None:
            return None
        at = latest.period.last_of_year(t.year)
        if at.end <= latest.period.end:
            return None  # that year's figure is already in: nothing to forecast
        return forecast(trend_points, at, unit=unit, target=t, direction=direction, as_of=as_of,
                        rolling=basis == "rolling12")

    next_forecast = _forecast_for(next_target)
    if latest is None or judged is None:
        return Assessment(Status.INGA_VARDEN, target, None, None, next_target, None, None, "no_values")
    if target is None:
        return Assessment(Status.INGEN_MALNIVA, None, latest, None, None, None, None, "no_target", judged, basis)
    gap = gap_to(judged.value, target, direction)
    year_end = date(target.year, 12, 31)
    decided = as_of > year_end or latest.period.end >= year_end
    current = None if decided else _forecast_for(target)
    if meets(judged.value, target, direction):
        # met now; while the year is open the card still says where the trend leads (it may leave the interval)
        return Assessment(Status.UPPNATT, target, latest, current, next_target, next_forecast, gap, "met", judged,
                          basis, decided)
    if decided:
        return Assessment(Status.EJ_UPPNATT, target, latest, None, next_target, next_forecast, gap, "decided",
                          judged, basis, decided)
    if current is not None:
        status = Status.PA_VAG if current.meets else Status.RISK
        return Assessment(status, target, latest, current, next_target, next_forecast, gap, "trend", judged, basis)
    bound = target.low if (direction == "higher" or (direction == "interval" and gap < 0)) else target.high
    assert bound is not None
    margin = abs(bound) * ON_TRACK_MARGIN
    status = Status.PA_VAG if abs(gap) <= margin else Status.RISK
    return Assessment(status, target, latest, None, next_target, next_forecast, gap, "margin", judged, basis)


# --- Freshness -----------------------------------------------------------------------------

EXPECTED_LAG_DAYS = {"year": 550, "tertial": 150, "month": 62}  # after the period ends


def is_stale(period: Period, as_of: date) -> bool:
    """True when a newer value should have come by now (a yearly figure 18 months after its year)."""
    return (as_of - period.end).days > EXPECTED_LAG_DAYS.get(period.grain, 550)


# --- Recording -----------------------------------------------------------------------------

FREQUENCY_GRAINS = {"månad": "month", "manad": "month", "tertial": "tertial", "år": "year", "ar": "year"}


def grain_of(frequency: str | None) -> str:
    """The period length an indicator is measured in: ``månad`` → month, ``tertial``, else year."""
    return FREQUENCY_GRAINS.get((frequency or "").strip().lower(), "year")


def default_period(grain: str, today: date) -> Period:
    """The period a value written without one most likely is: last month, the last whole tertial, last year."""
    if grain == "month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period.month(last.year, last.month)
    if grain == "tertial":
        current = (today.month - 1) // 4 + 1
        return Period.tertial(today.year, current - 1) if current > 1 else Period.tertial(today.year - 1, 3)
    return Period.year(today.year - 1)



def may_record(memberships: Iterable[tuple[str, int]], unit_chain: Sequence[int]) -> bool:
    """A recorder role (hr/controller/admin) on the value's unit or a unit above it (``unit_chain``)."""
    chain = set(unit_chain)
    return any(role in RECORDER_ROLES and unit in chain for role, unit in memberships)


def value_problem(value: Decimal, unit: str, *, code: str = "", allow_negative: bool = False
                  ) -> tuple[str, str] | None:
    """Why ``value`` cannot be a value of an indicator in ``unit`` (sv, en), or None when it can."""
    if value != value.quantize(Decimal("0.001")):
        return ("högst tre decimaler", "at most three decimals")
    if abs(value) >= Decimal("1e11"):
        return ("talet är för stort", "the number is too large")
    if unit == "%":
        if value > 100 or value < -100:
            return ("en andel ligger mellan 0 och 100 %", "a share lies between 0 and 100%")
        if value < 0 and not allow_negative:
            return ("andelen kan inte vara negativ", "the share cannot be negative")
    if unit == "index" and not 0 <= value <= 100:
        return ("ett index ligger mellan 0 och 100", "an index lies between 0 and 100")
    if unit == "antal":
        if value < 0:
            return ("ett antal kan inte vara negativt", "a count cannot be negative")
        if value != value.to_integral_value():
            return ("ett antal är ett heltal", "a count is a whole number")
    if unit == "poäng" and value < 0:
        return ("poäng kan inte vara negativa", "points cannot be negative")
    return None


SICK_LEAVE_NAMES = frozenset({"sjukfranvaro", "sjukfranvaron", "sjukfranvaro procent", "sick leave",
                              "sickness absence"})  # names of frisknärvaro's complement, folded
HUNDRED = Decimal(100)


def frisknarvaro_from_sick_leave(sick_leave: Decimal) -> Decimal:
    """Tavla's definition (storage/seed/indicators.yaml): frisknärvaro = 100 − sjukfrånvaro, in %."""
    return HUNDRED - sick_leave


DOUBT_POINTS = Decimal(25)  # a share this many percentage points from the latest value is asked about
DOUBT_FACTOR = Decimal(10)  # any other value ten times the latest, or a tenth of it


def value_doubt(value: Decimal, latest: Decimal | None, unit: str) -> bool:
    """Whether ``value`` is so far from the latest value recorded (``latest``) that it is more likely a slip —
    sjukfrånvaro typed as frisknärvaro, a misplaced decimal — than a change: the card says so before Spara."""
    if latest is None:
        return False
    if unit == "%":
        return abs(value - latest) > DOUBT_POINTS
    if latest == 0 or value == 0:
        return False
    ratio = abs(value / latest)
    return ratio >= DOUBT_FACTOR or ratio * DOUBT_FACTOR <= 1


FRACTION_TARGET = Decimal(50)  # an indicator whose målnivå is this high or higher lives near the top of its scale


def written_as_fraction(value: Decimal, unit: str, targets: Iterable[Target]) -> bool:
    """Whether a share (or an index) was written as a fraction of one — 0,953 for 95,3 %: an Excel percent cell
    exported as its value, a CSV from a system that counts in fractions. A value above 0 and at most 1 of an
    indicator whose målnivå is 50 or more (frisknärvaro ≥ 95, HME ≥ 80) is refused with the reading it likely
    meant; a low share such as personalomsättning (5–8 %) can be that small."""
    if unit not in ("%", "index") or not 0 < value <= 1:
        return False
    return any(bound is not None and bound >= FRACTION_TARGET for t in targets for bound in (t.low, t.high))


def allows_negative(code: str, unit: str, values: Iterable[Decimal] = ()) -> bool:
    """Only result-type percentages (kommunens resultat) can be below zero — or a series that already is."""
    return unit == "%" and (code in NEGATIVE_ALLOWED_CODES or any(v < 0 for v in values))


def is_health_data(code: str) -> bool:
    """Indicators computed from sick leave (GDPR art. 9): aggregates only, no small groups."""
    return code in HEALTH_DATA_CODES
