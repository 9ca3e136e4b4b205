"""Budget rules against figures computed by hand (the expected numbers are written out, not computed).

Fixture year, utfall imported for January–April (through_month = 4):

| line | budget | utfall jan/feb/mar/apr | profile | manual prognoses |
|---|---|---|---|---|
| A | 1 200 | 90 / 110 / 100 / 120 | – | – |
| B | 1 000 | 160 / 140 / 95 / 55 | .15 .15 .10 .05 .05 .05 .05 .05 .05 .10 .10 .10 | – |
| C | 500 | 50 / 50 / 50 / 50 | – | 550 (1 mars), 580 (1 maj) |
| D | 0 | 3 / – / −1 / – | – | – |
| E | −1 200 (net revenue) | −80 / −100 / −90 / −90 | – | – |
| F | 300 | no rows at all | – | – |
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

import pandas as pd
import pytest

from followup.budget import (
    METHOD_MANUAL,
    METHOD_PROFILE,
    METHOD_TREND,
    STATUS_DEFICIT,
    STATUS_NO_UTFALL,
    STATUS_ON_BUDGET,
    STATUS_SURPLUS,
    BudgetDataError,
    LineFigures,
    as_of_month,
    by_area,
    compute_status,
    largest_deviations,
    normalise_profile,
    over_budget,
    totals,
)

A, B, C, DZ, E, F = 1, 2, 3, 4, 5, 6
PROFILE_B = ["0.15", "0.15", "0.10", "0.05", "0.05", "0.05", "0.05", "0.05", "0.05", "0.10", "0.10", "0.10"]


def lines() -> pd.DataFrame:
    return pd.DataFrame({"budget_line_id": [A, B, C, DZ, E, F],
                         "net_cost": [D("1200"), D("1000"), D("500"), D("0"), D("-1200"), D("300")]})


def utfall() -> pd.DataFrame:
    rows = [(A, 1, "90"), (A, 2, "110"), (A, 3, "100"), (A, 4, "120"),
            (B, 1, "160"), (B, 2, "140"), (B, 3, "95"), (B, 4, "55"),
            (C, 1, "50"), (C, 2, "50"), (C, 3, "50"), (C, 4, "50"),
            (DZ, 1, "3"), (DZ, 3, "-1"),
            (E, 1, "-80"), (E, 2, "-100"), (E, 3, "-90"), (E, 4, "-90")]
    return pd.DataFrame({"budget_line_id": [r[0] for r in rows], "month": [r[1] for r in rows],
                         "amount": [D(r[2]) for r in rows]})


def profiles() -> pd.DataFrame:
    return pd.DataFrame({"budget_line_id": [B] * 12, "month": list(range(1, 13)), "share": [D(s) for s in PROFILE_B]})


def prognoses() -> pd.DataFrame:
    return pd.DataFrame({
        "budget_line_id": [C, C],
        "amount": [D("580"), D("550")],  # the newer one first in the frame: order must come from entered_at
        "entered_at": [datetime(2018, 5, 1, tzinfo=timezone.utc), datetime(2018, 3, 1, tzinfo=timezone.utc)],
        "id": [2, 1],
    })


def status() -> dict[int, object]:
    return {row.budget_line_id: row for row in compute_status(lines(), utfall(), profiles(), prognoses())}


def test_linear_line_trend_prognosis() -> None:
    a = status()[A]
    assert a.through_month == 4
    assert a.utfall_to_date == D("420.000")  # 90 + 110 + 100 + 120
    assert a.periodised_budget == D("400.000")  # 1 200 × 4/12
    assert a.prognosis == D("1260.000")  # 420 / 4 × 12
    assert a.prognosis_method == METHOD_TREND
    assert a.monthly == {"1": "90.000", "2": "110.000", "3": "100.000", "4": "120.000"}


def test_profile_line_is_periodised_and_projected_by_its_profile() -> None:
    b = status()[B]
    assert b.utfall_to_date == D("450.000")  # 160 + 140 + 95 + 55
    assert b.periodised_budget == D("450.000")  # 1 000 × (.15 + .15 + .10 + .05)
    assert b.prognosis == D("1000.000")  # 450 / .45 (the trend would say 1 350)
    assert b.prognosis_method == METHOD_PROFILE


def test_manual_prognosis_overrides_and_the_newest_wins() -> None:
    c = status()[C]
    assert c.utfall_to_date == D("200.000")
    assert c.periodised_budget == D("166.667")  # 500 × 4/12 = 166,666…
    assert c.prognosis == D("580.000")  # entered 1 May beats 550 from 1 March; the trend (600) is not used
    assert c.prognosis_method == METHOD_MANUAL


def test_zero_budget_line_missing_months_count_as_zero() -> None:
    d = status()[DZ]
    assert d.utfall_to_date == D("2.000")  # 3 + (−1); February and April had no bookings
    assert d.periodised_budget == D("0.000")
    assert d.prognosis == D("6.000")  # 2 / 4 × 12
    assert d.monthly == {"1": "3.000", "3": "-1.000"}


def test_net_revenue_line() -> None:
    e = status()[E]
    assert e.utfall_to_date == D("-360.000")
    assert e.periodised_budget == D("-400.000")
    assert e.prognosis == D("-1080.000")


def test_line_without_rows_has_zero_utfall_through_the_year_month() -> None:
    f = status()[F]
    assert (f.through_month, f.utfall_to_date, f.periodised_budget, f.prognosis) == (4, D("0.000"), D("100.000"), D("0.000"))
    assert f.monthly == {}


def test_through_an_earlier_month() -> None:
    rows = {r.budget_line_id: r for r in compute_status(lines(), utfall(), profiles(), prognoses(), through=2)}
    assert rows[A].utfall_to_date == D("200.000") and rows[A].periodised_budget == D("200.000")
    assert rows[A].prognosis == D("1200.000")  # 200 / 2 × 12
    assert rows[B].periodised_budget == D("300.000")  # 1 000 × .30
    assert rows[B].prognosis == D("1000.000")  # 300 / .30


def test_before_any_utfall_only_manual_prognoses() -> None:
    empty = utfall().iloc[0:0]
    rows = {r.budget_line_id: r for r in compute_status(lines(), empty, profiles(), prognoses())}
    assert rows[A].through_month is None and rows[A].utfall_to_date is None and rows[A].prognosis is None
    assert rows[A].prognosis_method is None
    assert rows[C].prognosis == D("580.000") and rows[C].prognosis_method == METHOD_MANUAL


def test_profile_with_nothing_in_the_months_so_far_falls_back_to_trend() -> None:
    shares = ["0"] * 4 + ["0.125"] * 8
    prof = pd.DataFrame({"budget_line_id": [A] * 12, "month": list(range(1, 13)), "share": [D(s) for s in shares]})
    a = {r.budget_line_id: r for r in compute_status(lines(), utfall(), prof)}[A]
    assert a.periodised_budget == D("0.000")
    assert (a.prognosis, a.prognosis_method) == (D("1260.000"), METHOD_TREND)


def test_bad_frames_are_refused() -> None:
    with pytest.raises(BudgetDataError):
        compute_status(pd.concat([lines(), lines()]), utfall())
    bad = utfall()
    bad.loc[0, "month"] = 13
    with pytest.raises(BudgetDataError):
        compute_status(lines(), bad)
    floats = utfall()
    floats["amount"] = [1.5] * len(floats)
    with pytest.raises(BudgetDataError):
        compute_status(lines(), floats)
    short = profiles().iloc[:11]
    with pytest.raises(BudgetDataError):
        compute_status(lines(), utfall(), short)


def test_normalise_profile() -> None:
    shares = normalise_profile({m: D("0.0833") for m in range(1, 13)})  # sums to 0,9996 in the file
    assert sum(shares.values()) == D(1)
    assert shares[1] == D("0.08333333")  # 0.0833 / 0.9996
    assert shares[12] == D(1) - 11 * D("0.08333333")
    with pytest.raises(BudgetDataError, match="summerar till 0.9"):
        normalise_profile({m: D("0.075") for m in range(1, 13)})
    with pytest.raises(BudgetDataError, match="tolv månader"):
        normalise_profile({m: D("0.1") for m in range(1, 11)})
    with pytest.raises(BudgetDataError, match="negativ"):
        normalise_profile({**{m: D("0.1") for m in range(1, 12)}, 12: D("-0.1")})


# --- Question-time figures ---------------------------------------------------------------------------


def figures() -> dict[int, LineFigures]:
    names = {A: "Alfa", B: "Beta", C: "Gamma", DZ: "Noll", E: "Intäkt", F: "Tyst"}
    budgets = dict(zip(lines()["budget_line_id"], lines()["net_cost"]))
    out = {}
    for order, row in enumerate(compute_status(lines(), utfall(), profiles(), prognoses())):
        out[row.budget_line_id] = LineFigures(
            line_id=row.budget_line_id, year=2018, verksamhet=names[row.budget_line_id],
            area_id=10 if row.budget_line_id in (A, B) else 20, area_name="Ett" if row.budget_line_id in (A, B) else "Två",
            net_cost=budgets[row.budget_line_id], through_month=row.through_month, utfall=row.utfall_to_date,
            periodised=row.periodised_budget, prognosis=row.prognosis, method=row.prognosis_method,
            has_profile=row.budget_line_id == B, sort_order=order)
    return out


def test_line_figures_by_hand() -> None:
    f = figures()
    a = f[A]
    assert a.kvar == D("780.000")  # 1 200 − 420
    assert a.consumption_pct == D("35.0")  # 420 / 1 200
    assert a.year_share_pct == D("33.3")  # 4 / 12
    assert a.avvikelse == D("-20.000")  # 400 − 420: underskott
    assert a.prognosis_avvikelse == D("-60.000")  # 1 200 − 1 260
    assert a.status == STATUS_DEFICIT and a.over_budget
    b = f[B]
    assert b.year_share_pct == D("45.0")  # the profile's share, not 4/12
    assert b.consumption_pct == D("45.0")
    assert b.status == STATUS_ON_BUDGET and b.prognosis_avvikelse == D("0.000")
    assert f[F].status == STATUS_SURPLUS and f[F].avvikelse == D("100.000")


def test_zero_line_has_no_consumption_but_shows_utfall() -> None:
    d = figures()[DZ]
    assert d.is_zero and d.consumption_pct is None
    assert d.utfall == D("2.000") and d.kvar == D("-2.000") and d.avvikelse == D("-2.000")
    assert d.year_share_pct == D("33.3")


def test_revenue_line_speaks_of_revenue_to_come() -> None:
    e = figures()[E]
    assert e.is_revenue
    assert e.kvar == D("-840.000") and e.revenue_to_come == D("840.000")  # 1 200 − 360 still to come
    assert e.consumption_pct == D("30.0")  # −360 / −1 200
    assert e.avvikelse == D("-40.000")  # −400 − (−360): 40 less revenue than planned
    assert e.prognosis_avvikelse == D("-120.000")  # −1 200 − (−1 080)


def test_totals_and_lists() -> None:
    f = figures()
    area = totals([f[A], f[B]])
    assert (area.net_cost, area.utfall, area.periodised, area.prognosis) == (
        D("2200"), D("870.000"), D("850.000"), D("2260.000"))
    assert area.consumption_pct == D("39.5")  # 870 / 2 200 = 39,545…
    assert area.avvikelse == D("-20.000")
    assert area.methods == ((METHOD_PROFILE, 1), (METHOD_TREND, 1)) and area.single_method is None
    areas = by_area(f.values())
    assert [(x.name, len(x.lines)) for x in areas] == [("Ett", 2), ("Två", 4)]
    assert areas[1].totals.net_cost == D("-400")  # 500 + 0 − 1 200 + 300
    assert [x.verksamhet for x in largest_deviations(f.values(), 10)] == ["Tyst", "Intäkt", "Gamma", "Alfa", "Noll"]
    assert [x.verksamhet for x in over_budget(f.values())] == ["Intäkt", "Gamma", "Alfa", "Noll"]


def test_no_utfall_figures() -> None:
    line = LineFigures(line_id=1, year=2018, verksamhet="X", area_id=1, area_name="Y", net_cost=D("100"))
    assert line.status == STATUS_NO_UTFALL and line.kvar is None and line.consumption_pct is None
    assert line.avvikelse is None and line.year_share_pct is None and not line.over_budget
    t = totals([line])
    assert t.utfall is None and t.prognosis is None and t.status == STATUS_NO_UTFALL


def test_a_prognosis_far_from_its_budget_is_doubted() -> None:
    from decimal import Decimal as D

    from followup.budget import prognosis_doubt

    budget, spent = D("150853.2"), D("50489.0")
    assert prognosis_doubt(D("152"), budget, spent) == "far_below"
    assert prognosis_doubt(D("15085.32"), budget, spent) == "below_utfall"  # a tenth exactly: not far below
    assert prognosis_doubt(D("1508532.1"), budget, spent) == "far_above"
    assert prognosis_doubt(D("-5"), budget, spent) == "sign"
    assert prognosis_doubt(D("40000"), budget, spent) == "below_utfall"
    assert prognosis_doubt(D("152000"), budget, spent) is None
    assert prognosis_doubt(D("-30000"), D("-33048.0"), D("-12000")) is None  # a revenue line, forecast as revenue
    assert prognosis_doubt(D("30000"), D("-33048.0"), None) == "sign"
    assert prognosis_doubt(D("5"), D("0"), None) is None  # a line budgeted at 0: nothing to compare with


def test_as_of_month_is_compute_status_through_that_month() -> None:
    """A line shown as it stood after an earlier month equals ``compute_status(through=month)``'s utfall and
    periodised budget — linear and with a profile — without today's helårsprognos."""
    lines = pd.DataFrame({"budget_line_id": [1, 2], "net_cost": [D("1200"), D("-600")]})
    utfall = pd.DataFrame({"budget_line_id": [1, 1, 1, 2, 2], "month": [1, 2, 3, 1, 3],
                           "amount": [D("90"), D("110.5"), D("130"), D("-40"), D("-70")]})
    shares = {m: D("0.05") if m <= 6 else D("0.7") / 6 for m in range(1, 13)}
    profiles = pd.DataFrame({"budget_line_id": [1] * 12, "month": list(range(1, 13)), "share": list(shares.values())})
    latest = {r.budget_line_id: r for r in compute_status(lines, utfall, profiles)}
    for month in (1, 2):
        expected = {r.budget_line_id: r for r in compute_status(lines, utfall, profiles, through=month)}
        for line_id, line_shares in ((1, shares), (2, None)):
            row = latest[line_id]
            shown = LineFigures(line_id=line_id, year=2018, verksamhet="X", area_id=1, area_name="Y",
                                net_cost=lines["net_cost"][line_id - 1], through_month=row.through_month,
                                utfall=row.utfall_to_date, periodised=row.periodised_budget, prognosis=row.prognosis,
                                method=row.prognosis_method, has_profile=line_shares is not None)
            then = as_of_month(shown, month, row.monthly, line_shares)
            assert then.through_month == month
            assert then.utfall == expected[line_id].utfall_to_date
            assert then.periodised == expected[line_id].periodised_budget
            assert then.prognosis is None and then.method is None
            assert as_of_month(shown, 3, row.monthly, line_shares) is shown  # the latest month: as stored
            assert as_of_month(shown, 7, row.monthly, line_shares) is shown  # no utfall yet for July


def test_differences_are_of_the_figures_as_shown() -> None:
    """An ekonom checks the card: 150 853,2 − 38 005,0 must be the 112 848,2 it shows as kvar, although the
    utfall stored is 38 004,950 tkr (which, unrounded, gives 112 848,25 → 112 848,3)."""
    line = LineFigures(line_id=1, year=2018, verksamhet="Äldreomsorg", area_id=1, area_name="Hälsa och omsorg",
                       net_cost=D("150853.2"), through_month=3, utfall=D("38004.950"), periodised=D("37713.300"),
                       prognosis=D("152019.800"))
    assert line.kvar == D("112848.2")
    assert line.avvikelse == D("37713.3") - D("38005.0")
    assert line.prognosis_avvikelse == D("150853.2") - D("152019.8")
