"""The indicator rules: a table that produces all five statuses, forecasts, periods, who may record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from followup.indicators import (
    Period,
    Point,
    Status,
    Target,
    allows_negative,
    assess,
    default_period,
    grain_of,
    find_period,
    forecast,
    is_stale,
    may_record,
    meets,
    parse_period,
    period_from_code,
    rolling_means,
    target_for,
    value_problem,
)

D = Decimal


def year(y: int, v: str, kind: str = "utfall") -> Point:
    return Point(Period.year(y), D(v), kind)


def month(y: int, m: int, v: str) -> Point:
    return Point(Period.month(y, m), D(v))


HIGHER_95 = [Target(2018, D(95), None)]
LOWER_8 = [Target(2018, None, D(8))]
INTERVAL_5_8 = [Target(2018, D(5), D(8))]
NP_AK3 = [Target(2018, D(93), None), Target(2019, D(90), None)]  # the target goes down
MAY_2018 = date(2018, 5, 15)

# (case, direction, targets, points, as_of, status, reason)
TABLE = [
    ("no values at all", "higher", HIGHER_95, [], MAY_2018, Status.INGA_VARDEN, "no_values"),
    ("only a value for a period not yet begun", "higher", HIGHER_95, [month(2018, 6, "96")], MAY_2018,
     Status.INGA_VARDEN, "no_values"),
    ("higher: latest meets", "higher", HIGHER_95, [month(2018, 2, "93"), month(2018, 3, "95.3")], MAY_2018,
     Status.UPPNATT, "met"),
    ("higher: exactly the target", "higher", HIGHER_95, [month(2018, 3, "95")], MAY_2018, Status.UPPNATT, "met"),
    ("lower: latest meets", "lower", LOWER_8, [month(2018, 3, "7.5")], MAY_2018, Status.UPPNATT, "met"),
    ("interval: inside", "interval", INTERVAL_5_8, [month(2018, 3, "6.0")], MAY_2018, Status.UPPNATT, "met"),
    ("interval: on the upper bound", "interval", INTERVAL_5_8, [month(2018, 3, "8")], MAY_2018, Status.UPPNATT,
     "met"),
    ("interval: too low, one value, far", "interval", INTERVAL_5_8, [month(2018, 3, "4.2")], MAY_2018,
     Status.RISK, "margin"),
    ("interval: just above, one value, within 2 %", "interval", INTERVAL_5_8, [month(2018, 3, "8.1")], MAY_2018,
     Status.PA_VAG, "margin"),
    ("higher: one value within 2 % of target", "higher", HIGHER_95, [month(2018, 3, "93.2")], MAY_2018,
     Status.PA_VAG, "margin"),
    ("higher: one value just outside 2 %", "higher", HIGHER_95, [month(2018, 3, "93.0")], MAY_2018,
     Status.RISK, "margin"),
    ("higher: rising trend reaches target by December", "higher", HIGHER_95,
     [month(2018, 1, "92"), month(2018, 2, "93"), month(2018, 3, "94")], MAY_2018, Status.PA_VAG, "trend"),
    ("higher: falling trend", "higher", HIGHER_95,
     [month(2018, 1, "94.5"), month(2018, 2, "94.0"), month(2018, 3, "93.5")], MAY_2018, Status.RISK, "trend"),
    ("lower: falling trend reaches target", "lower", LOWER_8,
     [month(2018, 1, "10"), month(2018, 2, "9.5"), month(2018, 3, "9")], MAY_2018, Status.PA_VAG, "trend"),
    ("interval: trend overshoots the interval", "interval", INTERVAL_5_8,
     [month(2018, 1, "3"), month(2018, 2, "4"), month(2018, 3, "4.9")], MAY_2018, Status.RISK, "trend"),
    ("the year's own figure misses", "higher", HIGHER_95, [year(2018, "93")], MAY_2018, Status.EJ_UPPNATT,
     "decided"),
    ("target year over, no newer target", "higher", HIGHER_95, [month(2018, 12, "94")], date(2019, 2, 1),
     Status.EJ_UPPNATT, "decided"),
    ("lower: last year's target missed", "lower", [Target(2017, None, D(8))], [year(2017, "9")], MAY_2018,
     Status.EJ_UPPNATT, "decided"),
    ("target going down, 2018: 92 is below 93, rising", "higher", NP_AK3, [year(2015, "82"), year(2016, "92")],
     MAY_2018, Status.PA_VAG, "trend"),
    ("target going down, 2019: 92 meets 90", "higher", NP_AK3, [year(2015, "82"), year(2016, "92")],
     date(2019, 5, 15), Status.UPPNATT, "met"),
    ("target going down, 2018 missed but 2019's lower target met", "higher", NP_AK3,
     [year(2017, "94"), year(2018, "91")], date(2019, 3, 1), Status.UPPNATT, "met"),
    ("seed: meritvärde 197 → 199, Målnivå 215", "higher", [Target(2018, D(215), None), Target(2019, D(220), None)],
     [year(2015, "197", "utgangslage"), year(2016, "199")], MAY_2018, Status.RISK, "trend"),
    ("seed: NRI 53 only, Målnivå 60", "higher", [Target(2018, D(60), None)], [year(2015, "53", "utgangslage")],
     MAY_2018, Status.RISK, "margin"),
    ("no target at all", "higher", [], [year(2016, "5")], MAY_2018, Status.INGEN_MALNIVA, "no_target"),
    ("monthly: a summer month above target, the 12-month mean below it", "higher", HIGHER_95,
     [month(2017, m, "94") for m in range(9, 13)] + [month(2018, m, "94") for m in range(1, 8)]
     + [month(2018, 8, "95.5")], date(2018, 9, 15), Status.PA_VAG, "margin"),
    ("monthly: the 12-month mean meets the target though the last month does not", "higher", HIGHER_95,
     [month(2017, m, "96") for m in range(5, 13)] + [month(2018, m, "96") for m in range(1, 4)]
     + [month(2018, 4, "93")], MAY_2018, Status.UPPNATT, "met"),
]


@pytest.mark.parametrize(("case", "direction", "targets", "points", "as_of", "status", "reason"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_status_table(case: str, direction: str, targets: list[Target], points: list[Point], as_of: date,
                      status: Status, reason: str) -> None:
    result = assess(direction, targets, points, as_of, unit="%")
    assert (result.status, result.reason) == (status, reason), case


def test_rolling_means_need_twelve_months_in_a_row() -> None:
    points = [month(2017, m, str(m)) for m in range(1, 13)] + [month(2018, 1, "25")]
    means = rolling_means(points)
    assert [m.period.code for m in means] == ["2017-12", "2018-01"]
    assert means[0].value == D("6.5") and means[1].value == D("8.5")
    assert [m.period.code for m in rolling_means(points[1:])] == ["2018-01"]
    assert rolling_means(points[:6] + points[7:]) == []  # July 2017 missing: no twelve in a row


def test_the_table_produces_all_five_statuses() -> None:
    produced = {row[5] for row in TABLE}
    assert {Status.UPPNATT, Status.PA_VAG, Status.RISK, Status.EJ_UPPNATT, Status.INGA_VARDEN} <= produced


def test_applicable_target_follows_the_year_even_when_it_goes_down() -> None:
    assert target_for(NP_AK3, 2018).low == 93
    assert target_for(NP_AK3, 2019).low == 90
    assert target_for(NP_AK3, 2020).low == 90  # the latest earlier target
    assert target_for(NP_AK3, 2017).low == 93  # the earliest later target
    assert target_for([], 2018) is None
    result = assess("higher", NP_AK3, [year(2015, "82"), year(2016, "92")], MAY_2018, unit="%")
    assert result.target and result.target.year == 2018
    assert result.next_target and result.next_target.year == 2019
    assert result.gap == D(-1)


def test_meets_by_direction() -> None:
    t = Target(2018, D(5), D(8))
    assert meets(D(5), t, "interval") and meets(D(8), t, "interval") and not meets(D("8.01"), t, "interval")
    assert not meets(D("4.99"), t, "interval")
    assert meets(D(96), Target(2018, D(95), None), "higher") and not meets(D(94), Target(2018, D(95), None), "higher")
    assert meets(D(7), Target(2018, None, D(8)), "lower") and not meets(D(9), Target(2018, None, D(8)), "lower")
    with pytest.raises(ValueError):
        meets(D(1), t, "sideways")


def test_forecast_is_a_least_squares_line_read_at_the_target_period() -> None:
    points = [year(2015, "197"), year(2016, "199")]
    result = forecast(points, Period.year(2018), unit="poäng", target=Target(2018, D(215), None))
    assert result is not None
    assert result.value.quantize(D("0.1")) == D("203.0")
    assert result.slope_per_year.quantize(D("0.01")) == D("2.00")
    assert result.points == 2 and result.meets is False
    assert (result.first.code, result.last.code) == ("2015", "2016")


def test_forecast_uses_the_latest_grain_and_at_most_twelve_values() -> None:
    monthly = [month(2017, m, str(90 + m * 0)) for m in range(1, 13)]  # flat at 90 in 2017
    monthly += [month(2018, m, str(91 + m)) for m in range(1, 5)]  # 92..95 in 2018: rising fast
    with_yearly = monthly + [year(2016, "50")]  # another grain: ignored
    result = forecast(with_yearly, Period.month(2018, 12), unit="%")
    assert result is not None and result.points == 12
    assert result.first.code == "2017-05" and result.last.code == "2018-04"


def test_no_forecast_from_fewer_than_two_values() -> None:
    assert forecast([], Period.year(2018)) is None
    assert forecast([year(2016, "5")], Period.year(2018)) is None
    assert forecast([year(2016, "5"), year(2016, "6")], Period.year(2018)) is None  # one period
    result = assess("higher", HIGHER_95, [month(2018, 3, "90")], MAY_2018, unit="%")
    assert result.forecast is None and result.next_forecast is None


def test_forecast_stays_inside_the_unit() -> None:
    rising = [year(2015, "82"), year(2016, "92")]
    assert forecast(rising, Period.year(2019), unit="%").value == 100
    falling = [year(2015, "20"), year(2016, "5")]
    assert forecast(falling, Period.year(2019), unit="antal").value == 0
    assert forecast(falling, Period.year(2019), unit="").value < 0


def test_forecast_for_the_next_target() -> None:
    result = assess("higher", [Target(2018, D(215), None), Target(2019, D(220), None)],
                    [year(2015, "197"), year(2016, "199")], MAY_2018, unit="poäng")
    assert result.next_forecast is not None and result.next_forecast.period.code == "2019"
    assert result.next_forecast.meets is False
    assert result.next_forecast.value.quantize(D("1")) == D(205)


def test_a_target_met_while_its_year_is_open_still_gets_a_forecast_for_that_year() -> None:
    """Personalomsättning 7,4 % in 2017 meets 5–8 % in May 2018: uppnått — and rising a point a year, the
    forecast for 2018 leaves the interval. Once the year's figure is in, there is nothing left to forecast."""
    rising = [year(2016, "6.4"), year(2017, "7.4")]
    open_year = assess("interval", INTERVAL_5_8, rising, MAY_2018, unit="%")
    assert (open_year.status, open_year.reason, open_year.decided) == (Status.UPPNATT, "met", False)
    assert open_year.forecast is not None and open_year.forecast.period.code == "2018"
    assert open_year.forecast.value.quantize(D("0.1")) == D("8.4") and open_year.forecast.meets is False
    decided = assess("interval", INTERVAL_5_8, [*rising, year(2018, "7.9")], date(2019, 2, 1), unit="%")
    assert (decided.status, decided.decided, decided.forecast) == (Status.UPPNATT, True, None)
    missed = assess("interval", INTERVAL_5_8, [*rising, year(2018, "8.9")], date(2019, 2, 1), unit="%")
    assert (missed.status, missed.decided, missed.forecast) == (Status.EJ_UPPNATT, True, None)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2018", "2018"), ("mars 2018", "2018-03"), ("Mars 2018", "2018-03"), ("mar 2018", "2018-03"),
        ("March 2018", "2018-03"), ("2018 mars", "2018-03"), ("2018-03", "2018-03"), ("2018-3", "2018-03"),
        ("2018/03", "2018-03"), ("3/2018", "2018-03"), ("03.2018", "2018-03"), ("201803", "2018-03"),
        ("2018-03-01", "2018-03"), ("2018-03-31 00:00:00", "2018-03"), ("T1 2018", "2018T1"),
        ("2018T2", "2018T2"), ("tertial 3 2018", "2018T3"), ("maj 2018", "2018-05"), ("okt 2017", "2017-10"),
        ("december 2017.", "2017-12"),
    ],
)
def test_parse_period(text: str, code: str) -> None:
    period = parse_period(text)
    assert period is not None and period.code == code
    assert period_from_code(code) == period


@pytest.mark.parametrize("text", ["", "13/2018", "2018-13", "mars", "2018 och 2019", "94,2", "läsåret", "1800"])
def test_parse_period_refuses(text: str) -> None:
    assert parse_period(text) is None


def test_find_period_in_free_text() -> None:
    found = find_period("frisknärvaro 94,2 % mars 2018")
    assert found is not None and found[0].code == "2018-03"
    assert "frisknärvaro 94,2 % mars 2018"[found[1]:found[2]] == "mars 2018"
    assert find_period("hme 78 2018")[0].code == "2018"
    assert find_period("sysselsatta 6 147")  is None
    assert find_period("201803 hme") is None  # compact form only in files


def test_periods() -> None:
    assert Period.month(2018, 2).end == date(2018, 2, 28)
    assert Period.month(2016, 2).end == date(2016, 2, 29)
    assert Period.month(2018, 12).end == date(2018, 12, 31)
    t2 = Period.tertial(2018, 2)
    assert (t2.start, t2.end) == (date(2018, 5, 1), date(2018, 8, 31))
    assert Period.month(2018, 3).label("sv") == "mars 2018" and Period.month(2018, 3).label("en") == "March 2018"
    assert t2.label() == "tertial 2 2018"
    assert Period.month(2018, 3).last_of_year(2019).code == "2019-12"
    with pytest.raises(ValueError):
        period_from_code("2018-13")


def test_staleness_depends_on_the_period_length() -> None:
    assert not is_stale(Period.year(2016), MAY_2018)  # a 2016 figure is the newest one in May 2018
    assert is_stale(Period.year(2015), MAY_2018)
    assert not is_stale(Period.month(2018, 3), MAY_2018)
    assert is_stale(Period.month(2018, 1), MAY_2018)


def test_who_may_record() -> None:
    chain = [12, 3, 1]  # enhet 12 under area 3 under the förvaltning 1
    assert may_record([("hr", 1)], chain)
    assert may_record([("controller", 3)], chain)
    assert may_record([("admin", 1)], [1])
    assert not may_record([("hr", 3)], [1])  # HR of one area cannot record kommun-wide values
    assert not may_record([("chef", 12), ("medarbetare", 12), ("ekonom", 1)], chain)
    assert not may_record([], chain)


@pytest.mark.parametrize(
    ("value", "unit", "negative", "problem"),
    [
        ("94.2", "%", False, None), ("101", "%", False, "mellan 0 och 100"), ("-1", "%", False, "negativ"),
        ("-1", "%", True, None), ("78", "index", False, None), ("120", "index", False, "index"),
        ("45", "antal", False, None), ("4.5", "antal", False, "heltal"), ("-3", "antal", False, "negativt"),
        ("215", "poäng", False, None), ("1.2345", "%", False, "tre decimaler"),
    ],
)
def test_value_problem(value: str, unit: str, negative: bool, problem: str | None) -> None:
    found = value_problem(D(value), unit, allow_negative=negative)
    assert (found is None) if problem is None else (found is not None and problem in found[0])


def test_only_the_result_share_may_be_negative() -> None:
    assert allows_negative("resultat-andel-skatter-statsbidrag", "%")
    assert not allows_negative("frisknarvaro", "%")
    assert allows_negative("x", "%", [D("-0.5")])


def test_default_period_for_a_value_written_without_one() -> None:
    assert default_period("month", MAY_2018).code == "2018-04"
    assert default_period("month", date(2018, 1, 10)).code == "2017-12"
    assert default_period("tertial", MAY_2018).code == "2018T1"
    assert default_period("tertial", date(2018, 3, 1)).code == "2017T3"
    assert default_period("year", MAY_2018).code == "2017"
    assert grain_of("månad") == "month" and grain_of("tertial") == "tertial" and grain_of(None) == "year"


def test_monthly_series_are_judged_and_forecast_by_their_rolling_mean() -> None:
    season = ["-1.2", "-1.0", "-0.6", "-0.2", "0.3", "0.6", "0.9", "0.8", "0.2", "-0.2", "-0.5", "-0.9"]
    points = [month(2017, m, str(D("95.2") + D(season[m - 1]))) for m in range(1, 13)]
    points += [month(2018, m, str(D("95.3") + D(season[m - 1]))) for m in range(1, 5)]
    result = assess("higher", HIGHER_95, points, MAY_2018, unit="%")
    assert result.basis == "rolling12" and result.judged is not None
    # May 2017–April 2018: eight months on base 95,2 and four on 95,3, the seasons averaging −0,15
    assert result.judged.value.quantize(D("0.01")) == D("95.08")
    assert result.status == Status.UPPNATT
    dec = assess("higher", [Target(2018, D("95.1"), None)], points, MAY_2018, unit="%")
    assert dec.forecast is not None and dec.forecast.rolling and dec.forecast.points == 5
    # the seasonal swing does not drag the forecast down: the rolling means rise slowly, so does it
    assert dec.forecast.value > D("95.1") and dec.status == Status.PA_VAG
    raw = forecast(points, Period.month(2018, 12), unit="%")
    assert raw is not None and raw.value < D(95)  # what a line through the raw months would have said
    with_gap = [p for p in points if p.period.code != "2017-07"]
    assert assess("higher", HIGHER_95, with_gap, MAY_2018, unit="%").basis == "latest"


def test_a_bare_month_is_found_and_read_as_the_latest_one_that_has_begun() -> None:
    from followup.indicators import find_month, latest_month

    assert find_month("frisknärvaro 94,2 i mars") == (3, 20, 24)
    assert find_month("94,2 % för December") == (12, 11, 19)
    assert find_month("maj") == (5, 0, 3) and find_month("sept.") == (9, 0, 4)
    assert find_month("marskalk 12 jul") is None  # not inside a word, and not the short forms that are words
    assert latest_month(3, date(2018, 5, 15)).code == "2018-03"
    assert latest_month(5, date(2018, 5, 1)).code == "2018-05"  # has begun today
    assert latest_month(6, date(2018, 5, 31)).code == "2017-06"
    assert latest_month(12, date(2019, 1, 2)).code == "2018-12"


def test_a_value_far_from_the_latest_is_doubted() -> None:
    from followup.indicators import frisknarvaro_from_sick_leave, value_doubt

    assert frisknarvaro_from_sick_leave(Decimal("5.8")) == Decimal("94.2")
    assert value_doubt(Decimal("5.8"), Decimal("94.4"), "%") and not value_doubt(Decimal("90"), Decimal("94.4"), "%")
    assert not value_doubt(Decimal("5.8"), None, "%")  # nothing recorded yet
    assert value_doubt(Decimal("61470"), Decimal("6147"), "antal") and value_doubt(Decimal("614"), Decimal("6147"), "antal")
    assert not value_doubt(Decimal("6300"), Decimal("6147"), "antal") and not value_doubt(Decimal("3"), Decimal("0"), "antal")


def test_a_share_written_as_a_fraction_is_told_apart_from_a_low_share() -> None:
    from followup.indicators import Target, written_as_fraction

    high = (Target(2018, Decimal(95), None),)  # frisknärvaro
    band = (Target(2018, Decimal(5), Decimal(8)),)  # personalomsättning
    assert written_as_fraction(Decimal("0.953"), "%", high)
    assert written_as_fraction(Decimal("1"), "%", high) and written_as_fraction(Decimal("0.8"), "index", high)
    assert not written_as_fraction(Decimal("0.9"), "%", band)  # a low share can be that low
    assert not written_as_fraction(Decimal("0"), "%", high) and not written_as_fraction(Decimal("1.5"), "%", high)
    assert not written_as_fraction(Decimal("0.953"), "%", ())  # no målnivå: nothing to go by
    assert not written_as_fraction(Decimal("0.5"), "antal", high)
