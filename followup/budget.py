"""Budget follow-up rules: utfall to date, periodised budget, förbrukningsgrad, avvikelse, helårsprognos.

Two halves, so a question stays cheap:

- ``compute_status`` runs with pandas when utfall, a profile, a prognosis or a budget is imported:
  DataFrames of one year's budget lines, monthly utfall, monthly profiles and manual prognoses in, one
  ``StatusRow`` per budget line out (stored in ``budget_status``).
- ``LineFigures`` / ``Totals`` / ``AreaFigures`` turn stored rows into what a card shows with plain
  ``Decimal`` arithmetic (a turn never starts pandas).

The rules (written out for people in ``docs/budget.md``):

- **Utfall t.o.m.** (``through_month``) is one month for the whole year: the last month any utfall is
  imported for. A line without rows in an imported month had no bookings: it counts as 0.
- **Periodiserad budget** t.o.m. month *m*: årsbudget × *m*/12 (linear), or årsbudget × the profile's
  shares of months 1..*m* when a monthly profile is imported for the line.
- **Förbrukningsgrad** = utfall ÷ årsbudget, read against the share of the year passed (*m*/12, or the
  profile's share). A line whose budget is 0,0 tkr has none (the card shows its utfall only).
- **Avvikelse** = periodiserad budget − utfall: **+ = överskott** (less net cost than planned so far),
  − = underskott. The same sign for net-revenue lines: fewer revenues than planned is a − .
- **Helårsprognos**, in this order: a prognosis entered by an ekonom/controller (the newest) →
  *manuell*; with a profile whose share of months 1..*m* is above 0: utfall ÷ that share → *profil*
  (the months so far, seasonally adjusted); otherwise utfall ÷ *m* × 12 → *trend* (the months so far
  at the same pace). No utfall and no manual prognosis: no prognosis.
- **Negative budget lines** are net revenue (Flykting −33 048,0 tkr): "kvar" is revenue still to come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

TKR = Decimal("0.001")  # what the store keeps (Numeric(18, 3) tkr = whole kronor)
PCT = Decimal("0.1")
SHOWN_TKR = Decimal("0.1")  # what a card shows (cards.format.tkr)
ZERO = Decimal(0)
HUNDRED = Decimal(100)
TWELVE = Decimal(12)

METHOD_TREND = "trend"
METHOD_PROFILE = "profil"
METHOD_MANUAL = "manuell"
METHODS = (METHOD_MANUAL, METHOD_PROFILE, METHOD_TREND)

STATUS_NO_UTFALL = "inget_utfall"
STATUS_SURPLUS = "overskott"
STATUS_DEFICIT = "underskott"
STATUS_ON_BUDGET = "enligt_budget"

PROFILE_TOLERANCE = Decimal("0.01")  # a profile's twelve shares may sum to 1 ± this (rounding in files)


class BudgetDataError(ValueError):
    """Input frames that break the rules' assumptions (a programming or import error, never user text)."""


def q_tkr(value: Decimal) -> Decimal:
    return value.quantize(TKR, rounding=ROUND_HALF_UP)


def q_shown(value: Decimal) -> Decimal:
    """A figure as a card shows it (0,1 tkr, half up): a difference of two shown figures is what a reader who
    checks the card gets (150 853,2 − 38 005,0 = 112 848,2, not the 112 848,3 of the unrounded utfall)."""
    return value.quantize(SHOWN_TKR, rounding=ROUND_HALF_UP)


def q_pct(value: Decimal) -> Decimal:
    return value.quantize(PCT, rounding=ROUND_HALF_UP)


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise BudgetDataError(f"belopp som float/bool ({value!r}): använd Decimal")
    return Decimal(str(value))


# --- Import time: pandas ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """The stored aggregate of one budget line for one year (one row of ``budget_status``)."""

    budget_line_id: int
    through_month: int | None
    utfall_to_date: Decimal | None
    periodised_budget: Decimal | None
    prognosis: Decimal | None
    prognosis_method: str | None
    monthly: dict[str, str] = field(default_factory=dict)  # {"1": "12345.678", ...}: utfall per month


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BudgetDataError(f"{name}: kolumner saknas: {missing}")
    return frame


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def normalise_profile(shares: dict[int, Decimal]) -> dict[int, Decimal]:
    """Twelve shares summing to 1 ± ``PROFILE_TOLERANCE`` → scaled to exactly 1 (8 decimals, the rest in December).

    Raises ``BudgetDataError`` (with a Swedish reason) for missing months, negative shares or a sum that is off.
    """
    if sorted(shares) != list(range(1, 13)):
        missing = [m for m in range(1, 13) if m not in shares]
        raise BudgetDataError(f"profilen ska ha tolv månader (saknas: {', '.join(map(str, missing))})")
    if any(s < 0 for s in shares.values()):
        raise BudgetDataError("en andel i profilen är negativ")
    total = sum(shares.values(), ZERO)
    if abs(total - 1) > PROFILE_TOLERANCE:
        raise BudgetDataError(f"andelarna summerar till {total.normalize():f}, ska vara 1 (100 %)")
    step = Decimal("0.00000001")
    scaled = {m: (shares[m] / total).quantize(step, rounding=ROUND_HALF_UP) for m in range(1, 12)}
    scaled[12] = Decimal(1) - sum(scaled.values(), ZERO)
    if scaled[12] < 0:  # cannot happen for non-negative input, kept as a guard for the invariant
        raise BudgetDataError("profilen går inte att normera")
    return scaled


def compute_status(lines: pd.DataFrame, utfall: pd.DataFrame, profiles: pd.DataFrame | None = None,
                   prognoses: pd.DataFrame | None = None, *, through: int | None = None) -> list[StatusRow]:
    """One year's stored aggregates.

    ``lines``: budget_line_id, net_cost. ``utfall``: budget_line_id, month, amount (that year's months).
    ``profiles``: budget_line_id, month, share (twelve per profiled line, summing to 1).
    ``prognoses``: budget_line_id, amount, entered_at, id (manual ones; the newest per line wins).
    ``through``: compute as of that month instead of the last month imported. Amounts are Decimal tkr.
    """
    _require(lines, "lines", ("budget_line_id", "net_cost"))
    _require(utfall, "utfall", ("budget_line_id", "month", "amount"))
    profiles = _require(profiles if profiles is not None else _empty(("budget_line_id", "month", "share")),
                        "profiles", ("budget_line_id", "month", "share"))
    prognoses = _require(prognoses if prognoses is not None else _empty(("budget_line_id", "amount", "entered_at", "id")),
                         "prognoses", ("budget_line_id", "amount", "entered_at", "id"))
    if lines["budget_line_id"].duplicated().any():
        raise BudgetDataError("lines: en budgetrad förekommer två gånger")
    if len(utfall) and not utfall["month"].between(1, 12).all():
        raise BudgetDataError("utfall: månad utanför 1–12")
    if through is not None and not 1 <= through <= 12:
        raise BudgetDataError("through: månad utanför 1–12")

    month = through if through is not None else (int(utfall["month"].max()) if len(utfall) else None)

    monthly_sums = (utfall.groupby(["budget_line_id", "month"])["amount"].sum() if len(utfall)
                    else pd.Series(dtype=object))
    monthly: dict[int, dict[str, str]] = {}
    for (line_id, m), amount in monthly_sums.items():
        monthly.setdefault(int(line_id), {})[str(int(m))] = str(q_tkr(_decimal(amount)))

    to_date: dict[int, Decimal] = {}
    if month is not None and len(utfall):
        upto = utfall[utfall["month"] <= month]
        to_date = {int(k): _decimal(v) for k, v in upto.groupby("budget_line_id")["amount"].sum().items()}

    profiled: set[int] = {int(x) for x in profiles["budget_line_id"].unique()}
    for line_id, group in profiles.groupby("budget_line_id"):
        if len(group) != 12 or sorted(int(m) for m in group["month"]) != list(range(1, 13)):
            raise BudgetDataError(f"profil för budgetrad {line_id}: tolv månader krävs")
    cum_share: dict[int, Decimal] = {}
    if month is not None and len(profiles):
        upto_p = profiles[profiles["month"] <= month]
        cum_share = {int(k): _decimal(v) for k, v in upto_p.groupby("budget_line_id")["share"].sum().items()}

    manual: dict[int, Decimal] = {}
    if len(prognoses):
        newest = prognoses.sort_values(["entered_at", "id"]).drop_duplicates("budget_line_id", keep="last")
        manual = {int(k): _decimal(v) for k, v in zip(newest["budget_line_id"], newest["amount"])}

    rows: list[StatusRow] = []
    for line_id, net_cost in zip(lines["budget_line_id"], lines["net_cost"]):
        line_id = int(line_id)
        budget = _decimal(net_cost)
        utfall_to_date = periodised = prognosis = None
        method: str | None = None
        if month is not None:
            utfall_to_date = to_date.get(line_id, ZERO)
            share = cum_share.get(line_id, ZERO) if line_id in profiled else Decimal(month) / TWELVE
            periodised = budget * share
            if line_id in profiled and share > 0:
                prognosis, method = utfall_to_date / share, METHOD_PROFILE
            else:
                prognosis, method = utfall_to_date / Decimal(month) * TWELVE, METHOD_TREND
        if line_id in manual:
            prognosis, method = manual[line_id], METHOD_MANUAL
        rows.append(StatusRow(
            budget_line_id=line_id,
            through_month=month,
            utfall_to_date=None if utfall_to_date is None else q_tkr(utfall_to_date),
            periodised_budget=None if periodised is None else q_tkr(periodised),
            prognosis=None if prognosis is None else q_tkr(prognosis),
            prognosis_method=method,
            monthly=monthly.get(line_id, {}),
        ))
    return rows


# --- Question time: plain Decimal ------------------------------------------------------------


class _Figures:
    """What every level shows; subclasses provide net_cost, utfall, periodised, prognosis, through_month."""

    net_cost: Decimal
    utfall: Decimal | None
    periodised: Decimal | None
    prognosis: Decimal | None
    through_month: int | None

    @property
    def has_utfall(self) -> bool:
        return self.through_month is not None and self.utfall is not None

    @property
    def is_revenue(self) -> bool:
        """A negative budget is a net revenue: the card speaks of revenue still to come."""
        return self.net_cost < 0

    @property
    def is_zero(self) -> bool:
        return self.net_cost == 0

    @property
    def kvar(self) -> Decimal | None:
        """Årsbudget − utfall (for a net-revenue line: minus the revenue still to come), of the figures as shown."""
        return None if self.utfall is None else q_shown(self.net_cost) - q_shown(self.utfall)

    @property
    def revenue_to_come(self) -> Decimal | None:
        """For a net-revenue line: the net revenue still to come (positive while some is)."""
        return None if self.kvar is None else -self.kvar

    @property
    def consumption_exact(self) -> Decimal | None:
        """Förbrukningsgrad in %, unrounded (round it once, where it is shown)."""
        if self.utfall is None or self.net_cost == 0:
            return None
        return self.utfall / self.net_cost * HUNDRED

    @property
    def consumption_pct(self) -> Decimal | None:
        """Förbrukningsgrad in % (utfall ÷ årsbudget) to 0,1; None for a 0,0 tkr budget or before any utfall."""
        exact = self.consumption_exact
        return None if exact is None else q_pct(exact)

    @property
    def year_share_exact(self) -> Decimal | None:
        """The share of the year's budget that should be used by now, in %, unrounded."""
        if self.through_month is None:
            return None
        if self.periodised is not None and self.net_cost != 0:
            return self.periodised / self.net_cost * HUNDRED
        return Decimal(self.through_month) / TWELVE * HUNDRED

    @property
    def year_share_pct(self) -> Decimal | None:
        """The share of the year's budget that should be used by now (linear or by the profile), in % to 0,1."""
        exact = self.year_share_exact
        return None if exact is None else q_pct(exact)

    @property
    def avvikelse(self) -> Decimal | None:
        """Periodiserad budget − utfall: + = överskott, − = underskott."""
        if self.utfall is None or self.periodised is None:
            return None
        return q_shown(self.periodised) - q_shown(self.utfall)

    @property
    def prognosis_avvikelse(self) -> Decimal | None:
        """Årsbudget − helårsprognos: + = överskott at year end."""
        return None if self.prognosis is None else q_shown(self.net_cost) - q_shown(self.prognosis)

    @property
    def status(self) -> str:
        dev = self.avvikelse
        if dev is None:
            return STATUS_NO_UTFALL
        if dev > 0:
            return STATUS_SURPLUS
        if dev < 0:
            return STATUS_DEFICIT
        return STATUS_ON_BUDGET

    @property
    def over_budget(self) -> bool:
        return self.status == STATUS_DEFICIT


@dataclass(frozen=True)
class LineFigures(_Figures):
    """One budget line as a card shows it, from its stored ``budget_status`` row."""

    line_id: int
    year: int
    verksamhet: str
    area_id: int
    area_name: str
    net_cost: Decimal
    through_month: int | None = None
    utfall: Decimal | None = None
    periodised: Decimal | None = None
    prognosis: Decimal | None = None
    method: str | None = None
    has_profile: bool = False
    sort_order: int = 0
    is_demo: bool = False
    prognosis_note: str | None = None
    prognosis_by: str | None = None
    prognosis_at: datetime | None = None


@dataclass(frozen=True)
class Totals(_Figures):
    """Sums over several lines (an area, or the whole förvaltning)."""

    net_cost: Decimal
    utfall: Decimal | None
    periodised: Decimal | None
    prognosis: Decimal | None
    through_month: int | None
    methods: tuple[tuple[str, int], ...] = ()  # (method, number of lines), for "summan av radernas prognoser"
    is_demo: bool = False
    lines: int = 0  # how many lines were summed
    profiled: int = 0  # how many of them are periodised by a monthly profile (the others linearly)

    @property
    def single_method(self) -> str | None:
        return self.methods[0][0] if len(self.methods) == 1 else None


def totals(lines: Iterable[LineFigures]) -> Totals:
    """Sum lines; utfall/prognosis sums exist when every line has one (else the sum would mislead)."""
    items = list(lines)
    if not items:
        return Totals(ZERO, None, None, None, None)
    months = {line.through_month for line in items}
    if len(months) > 1:
        raise BudgetDataError("raderna har olika utfallsmånad")
    month = months.pop()
    net_cost = sum((line.net_cost for line in items), ZERO)
    with_utfall = month is not None and all(line.utfall is not None for line in items)
    utfall = sum((line.utfall or ZERO for line in items), ZERO) if with_utfall else None
    periodised = (sum((line.periodised or ZERO for line in items), ZERO)
                  if with_utfall and all(line.periodised is not None for line in items) else None)
    has_all_prognoses = all(line.prognosis is not None for line in items)
    prognosis = sum((line.prognosis or ZERO for line in items), ZERO) if has_all_prognoses else None
    counted = Counter(line.method for line in items if line.method)
    methods = tuple(sorted(counted.items(), key=lambda kv: METHODS.index(kv[0]) if kv[0] in METHODS else 9))
    return Totals(net_cost, utfall, periodised, prognosis, month, methods, any(line.is_demo for line in items),
                  len(items), sum(1 for line in items if line.has_profile))


@dataclass(frozen=True)
class AreaFigures:
    """A verksamhetsområde: its lines and their totals."""

    area_id: int
    name: str
    lines: tuple[LineFigures, ...]
    totals: Totals


def by_area(lines: Iterable[LineFigures]) -> list[AreaFigures]:
    """Lines grouped by area, areas in the order they first appear (the store orders them)."""
    grouped: dict[int, list[LineFigures]] = {}
    names: dict[int, str] = {}
    for line in lines:
        grouped.setdefault(line.area_id, []).append(line)
        names[line.area_id] = line.area_name
    return [AreaFigures(area_id, names[area_id], tuple(items), totals(items)) for area_id, items in grouped.items()]


def largest_deviations(lines: Iterable[LineFigures], limit: int = 5) -> list[LineFigures]:
    """Lines with the largest avvikelse either way (absolute tkr), largest first; none before utfall."""
    with_dev = [line for line in lines if line.avvikelse is not None and line.avvikelse != 0]
    return sorted(with_dev, key=lambda line: (-abs(line.avvikelse or ZERO), line.sort_order, line.line_id))[:limit]


def over_budget(lines: Iterable[LineFigures]) -> list[LineFigures]:
    """Lines whose utfall is above the periodised budget (avvikelse < 0), the largest underskott first."""
    return sorted((line for line in lines if line.over_budget),
                  key=lambda line: (line.avvikelse or ZERO, line.sort_order, line.line_id))


def as_of_month(line: LineFigures, month: int, monthly: dict[str, str], shares: dict[int, Decimal] | None
                ) -> LineFigures:
    """``line`` as it stood after ``month`` ("budget äldreomsorg mars" in May): utfall of months 1..``month``
    (``monthly``, the stored utfall per month), and the periodised budget by the same rule as
    ``compute_status`` (the profile's ``shares`` of months 1..``month``, or ``month``/12). Its helårsprognos is
    today's, made from later months or entered since: not shown (None). ``line`` unchanged when ``month`` is
    not before its utfall month."""
    if line.through_month is None or month >= line.through_month:
        return line
    utfall = sum((_decimal(v) for k, v in monthly.items() if int(k) <= month), ZERO)
    share = sum((v for m, v in shares.items() if m <= month), ZERO) if shares else Decimal(month) / TWELVE
    return replace(line, through_month=month, utfall=q_tkr(utfall), periodised=q_tkr(line.net_cost * share),
                   prognosis=None, method=None, prognosis_note=None, prognosis_by=None, prognosis_at=None)


PLAUSIBLE_FACTOR = Decimal(10)  # a helårsprognos a tenth of the budget or ten times it is a typo more often than not


def prognosis_doubt(amount: Decimal, net_cost: Decimal, utfall: Decimal | None) -> str | None:
    """Why a helårsprognos of ``amount`` tkr is probably mistyped, or None: ``far_below`` / ``far_above`` the
    årsbudget (a tenth, ten times), ``sign`` (a cost line forecast as revenue or the other way round),
    ``below_utfall`` (a cost line forecast below what is already spent). A line budgeted at 0 is never doubted."""
    if net_cost == 0:
        return None
    if (amount < 0) != (net_cost < 0) and amount != 0:
        return "sign"
    size, budget = abs(amount), abs(net_cost)
    if size * PLAUSIBLE_FACTOR < budget:
        return "far_below"
    if size > budget * PLAUSIBLE_FACTOR:
        return "far_above"
    if net_cost > 0 and utfall is not None and utfall > 0 and amount < utfall:
        return "below_utfall"
    return None

