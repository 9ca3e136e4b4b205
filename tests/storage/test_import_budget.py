"""Budget imports with Swedish-format files written here: BOM, Windows-1252, NBSP, −, kr vs tkr, bad files,
re-import, ambiguous names, mapping files, profiles, a new year's budget, prognoses — SQLite and PostgreSQL."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from followup.budget import METHOD_MANUAL, METHOD_PROFILE, METHOD_TREND
from storage import import_budget as ib
from storage.budget import line_figures
from storage.db import Store
from storage.import_budget import (
    CodeMapping,
    amounts_to_ore,
    import_budget,
    import_profile,
    import_prognosis,
    import_utfall,
    name_key,
    parse_period,
    read_mapping,
    unit_from_header,
)
from storage.models import BudgetLine, BudgetStatus, ImportBatch, OrgUnit, Utfall
from storage.seeding import load_seed_files

NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"


def csv_bytes(rows: list[list[str]], *, sep: str = ";", encoding: str = "cp1252", bom: bool = False,
              newline: str = "\r\n") -> bytes:
    text = newline.join(sep.join(cells) for cells in rows) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


async def line_id(store: Store, verksamhet: str, area_code: str, year: int = 2018) -> int:
    async with store.session() as s:
        return (await s.execute(select(BudgetLine.id).join(OrgUnit, OrgUnit.id == BudgetLine.org_unit_id).where(
            BudgetLine.verksamhet == verksamhet, OrgUnit.code == area_code, BudgetLine.year == year))).scalar_one()


async def utfall_of(store: Store, lid: int) -> dict[int, D]:
    async with store.session() as s:
        rows = (await s.execute(select(Utfall.month, Utfall.amount).where(Utfall.budget_line_id == lid))).all()
    return {m: a for m, a in rows}


async def count(store: Store, model: type) -> int:
    async with store.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def status_of(store: Store, lid: int) -> BudgetStatus:
    async with store.session() as s:
        return (await s.execute(select(BudgetStatus).where(BudgetStatus.budget_line_id == lid))).scalar_one()


HEADER = ["Period", "Verksamhetsområde", "Verksamhet", "Konto", "Belopp (kr)"]


def cp1252_file() -> bytes:
    """Windows-1252, semicolons, NBSP thousands, decimal comma, several konto rows per month."""
    return csv_bytes([
        HEADER,
        ["201801", "Hälsa och omsorg", "Äldreomsorg", "4010", f"12{NBSP}345,67"],
        ["201801", "Hälsa och omsorg", "Äldreomsorg", "4020", f"-1{NBSP}000,00"],
        ["201801", "Hälsa och omsorg", "Äldreomsorg", "4030", f"100{NBSP}000,50"],
        ["201802", "Hälsa och omsorg", "Äldreomsorg", "4010", "12 500 000"],
        ["201801", "Inflyttning och arbete", "Flykting", "3010", f"-2{NBSP}754{NBSP}000,00"],
        ["201801", "Ekonomi och intern service", "Lokalvård", "4010", "1500,4"],
        ["", "", "", "", ""],
        ["201802", "Familj och utbildning", "Förskola", "4010", f"7{NBSP}144{NBSP}550,00"],
    ])


# --- Happy paths --------------------------------------------------------------------------------------------


async def test_cp1252_nbsp_kr_rows_are_summed(store: Store) -> None:
    report = await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    assert report.ok and report.written, report.text()
    assert (report.encoding, report.separator, report.unit, report.year) == ("cp1252", ";", "kr", 2018)
    assert report.rows_read == 7 and report.rows_empty == 1
    aldre = await line_id(store, "Äldreomsorg", "HOO")
    # 12 345,67 − 1 000,00 + 100 000,50 = 111 346,17 kr → 111,346 tkr (whole kronor); February 12 500 000 kr
    assert await utfall_of(store, aldre) == {1: D("111.346"), 2: D("12500.000")}
    flykting = await line_id(store, "Flykting", "IOA")
    assert await utfall_of(store, flykting) == {1: D("-2754.000")}
    st_ = await status_of(store, aldre)
    assert st_.through_month == 2
    assert st_.utfall_to_date == D("12611.346")
    assert st_.periodised_budget == D("25142.200")  # 150 853,2 × 2/12
    assert (st_.prognosis, st_.prognosis_method) == (D("75668.076"), METHOD_TREND)  # 12 611,346 / 2 × 12
    assert st_.monthly == {"1": "111.346", "2": "12500.000"}
    async with store.session() as s:
        batch = (await s.execute(select(ImportBatch))).scalar_one()
    assert batch.kind == "utfall" and batch.rows == 7 and batch.summary["months"] == [1, 2] and len(batch.checksum) == 64
    assert "Ersatte januari och februari 2018" in report.text()


async def test_utf8_bom_true_minus_narrow_nbsp_tkr_by_option_and_area_codes(store: Store) -> None:
    data = csv_bytes([
        ["Period", "VO", "Verksamhet", "Utfall"],
        ["2018-03", "IOA", "Flykting", f"{MINUS}2{NNBSP}754,1"],
        ["2018-03-31", "HoO", "Äldreomsorg", f"12{NNBSP}571,1"],
        ["mars 2018", "Inflyttning & arbete", "Gymnasieskola", "5835,125"],
    ], encoding="utf-8", bom=True, newline="\n")
    report = await import_utfall(store, data, file_name="mars.csv", unit="tkr")
    assert report.ok and report.written, report.text()
    assert report.encoding == "utf-8-sig" and report.unit == "tkr"
    assert await utfall_of(store, await line_id(store, "Flykting", "IOA")) == {3: D("-2754.100")}
    assert await utfall_of(store, await line_id(store, "Äldreomsorg", "HOO")) == {3: D("12571.100")}
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "IOA")) == {3: D("5835.125")}
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "FOU")) == {}


async def test_utf16_tab_separated_excel_unicode_text(store: Store) -> None:
    text = "Period\tVerksamhet\tBelopp tkr\r\n2018-01\tFärdtjänst\t352,3\r\n2018-01\tFärdtjänst\t−2,3\r\n"
    report = await import_utfall(store, text.encode("utf-16"), file_name="unicode.txt")
    assert report.written, report.text()
    assert (report.encoding, report.separator) == ("utf-16", "\t")
    assert await utfall_of(store, await line_id(store, "Färdtjänst", "HOO")) == {1: D("350.000")}


async def test_reimporting_a_month_replaces_it(store: Store) -> None:
    first = await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    assert first.written
    again = await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    assert again.written and any("samma fil" in w for w in again.warnings)
    aldre = await line_id(store, "Äldreomsorg", "HOO")
    assert await utfall_of(store, aldre) == {1: D("111.346"), 2: D("12500.000")}  # not doubled
    corrected = csv_bytes([HEADER, ["2018-02", "Hälsa och omsorg", "Äldreomsorg", "1", "12 400 000,00"]])
    report = await import_utfall(store, corrected, file_name="feb.csv")
    assert report.written
    assert await utfall_of(store, aldre) == {1: D("111.346"), 2: D("12400.000")}
    # February is replaced for every line: Förskola's February row came only from the first file
    assert await utfall_of(store, await line_id(store, "Förskola", "FOU")) == {}
    assert await count(store, ImportBatch) == 3
    assert "tidigare 2 belopp" in report.text()


async def test_a_gap_is_reported(store: Store) -> None:
    data = csv_bytes([HEADER, ["201801", "HOO", "Äldreomsorg", "1", "10"], ["201803", "HOO", "Äldreomsorg", "1", "10"]])
    report = await import_utfall(store, data, file_name="gap.csv")
    assert report.written and any("februari 2018 saknas" in w for w in report.warnings)


# --- Bad files ------------------------------------------------------------------------------------------------


async def test_bad_rows_are_reported_row_by_row_and_nothing_is_written(store: Store) -> None:
    data = csv_bytes([
        HEADER,
        ["201801", "Hälsa och omsorg", "Äldreomsorg", "1", "1 000,00"],
        ["201801", "Hälsa och omsorg", "Äldreomsrog", "1", "5,00"],
        ["201801", "Hälsa och omsorg", "Äldreomsorg", "1", "tolv"],
        ["201901", "Hälsa och omsorg", "Äldreomsorg", "1", "5,00"],
        ["2018-13", "Hälsa och omsorg", "Äldreomsorg", "1", "5,00"],
        ["201802", "Hälsa och omsorg", "Äldreomsorg", "1", ""],
        ["201802", "Hälsa och omsorg", "Äldreomsorg", "1", "7,00"],
    ])
    report = await import_utfall(store, data, file_name="fel.csv")
    assert not report.written and report.problem_count == 5
    found = {(p.row, p.column, p.value) : p.reason for p in report.problems}
    assert "finns inte i budgeten för 2018" in found[(3, "verksamhet", "Äldreomsrog")]
    assert "Äldreomsorg" in found[(3, "verksamhet", "Äldreomsrog")]  # the suggestion
    assert "inte ett belopp" in found[(4, "Belopp (kr)", "tolv")]
    assert found[(5, "period", "2019-01")] == "utanför budgetåret 2018"
    assert "okänd period" in found[(6, "period", "2018-13")]
    assert found[(7, "Belopp (kr)", "")] == "belopp saknas"
    assert await count(store, Utfall) == 0 and await count(store, ImportBatch) == 0
    assert await count(store, BudgetStatus) == 0
    text = report.text()
    assert "INGET skrevs" in text and "rad 3, verksamhet, ”Äldreomsrog”" in text

    skipped = await import_utfall(store, data, file_name="fel.csv", skip_invalid=True)
    assert skipped.written and skipped.problem_count == 5 and skipped.rows_valid == 2
    assert await utfall_of(store, await line_id(store, "Äldreomsorg", "HOO")) == {1: D("1.000"), 2: D("0.007")}
    assert "hoppades över" in skipped.text()


async def test_ambiguous_names_are_never_picked_silently(store: Store) -> None:
    names = ["Gymnasieskola", "Räddningstjänst", "Fysisk o tekn planering", "Insatser enl LSS, SFB o HsL",
             "Insatser t personer m funktionshinder", "Övriga insatser till vuxna"]
    data = csv_bytes([["Period", "Verksamhet", "Belopp tkr"], *[["2018-01", n, "1,0"] for n in names],
                      ["2018-01", "Äldreomsorg", "2,0"]])
    report = await import_utfall(store, data, file_name="utan_vo.csv")
    assert not report.written and report.problem_count == len(names)
    by_row = {p.row: p for p in report.problems}
    assert "flera verksamhetsområden (Familj och utbildning, Inflyttning och arbete)" in by_row[2].reason
    assert "Kommunchef, Samhällsbyggnad" in by_row[3].reason
    assert "Ekonomi och intern service, Samhällsbyggnad" in by_row[4].reason
    assert all("lägg till kolumnen verksamhetsområde" in by_row[r].reason for r in range(2, 8))
    with_area = csv_bytes([["Period", "Område", "Verksamhet", "Belopp tkr"],
                           ["2018-01", "Familj och utbildning", "Gymnasieskola", "15,0"],
                           ["2018-01", "Inflyttning och arbete", "Gymnasieskola", "5 835,1"],
                           ["2018-01", "Stab", "Gymnasieskola", "1,0"]])
    report = await import_utfall(store, with_area, file_name="vo.csv")
    assert report.problem_count == 1 and "finns inte i Stab" in report.problems[0].reason
    report = await import_utfall(store, with_area, file_name="vo.csv", skip_invalid=True)
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "FOU")) == {1: D("15.000")}
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "IOA")) == {1: D("5835.100")}


async def test_file_level_problems(store: Store) -> None:
    no_unit = csv_bytes([["Period", "Verksamhetsområde", "Verksamhet", "Belopp"], ["201801", "HOO", "Äldreomsorg", "1"]])
    report = await import_utfall(store, no_unit, file_name="x.csv")
    assert not report.written and report.file_problem and "kr eller tkr" in report.problems[0].reason
    clash = await import_utfall(store, csv_bytes([HEADER, ["201801", "HOO", "Äldreomsorg", "1", "1"]]),
                                file_name="x.csv", unit="tkr")
    assert "rubriken säger kr men --enhet säger tkr" in clash.problems[0].reason
    missing = await import_utfall(store, csv_bytes([["Datum", "Summa kr"], ["201801", "1"]]), file_name="x.csv")
    assert "Kolumner saknas" in missing.problems[0].reason
    other_year = await import_utfall(store, csv_bytes([HEADER, ["201901", "HOO", "Äldreomsorg", "1", "1"]]),
                                     file_name="x.csv")
    assert "ingen budget för 2019" in other_year.problems[0].reason
    garbage = await import_utfall(store, b"\x81\x8d\x90abc", file_name="x.csv")
    assert "teckenkodning" in garbage.problems[0].reason
    ragged = csv_bytes([HEADER, ["201801", "HOO", "Äldreomsorg", "1", "1"], ["201801", "HOO", "Äldreomsorg"]])
    broken = await import_utfall(store, ragged, file_name="x.csv")
    assert not broken.written and (broken.problems[0].row, broken.problems[0].reason) == (3, "belopp saknas")
    assert await count(store, Utfall) == 0 and await count(store, ImportBatch) == 0


async def test_title_lines_above_the_header_and_comma_separated_points(store: Store) -> None:
    data = csv_bytes([["Utfall per verksamhet"], ["Utskrivet 2018-05-10"], [],
                      ["period", "verksamhetsområde", "verksamhet", "belopp (tkr)"],
                      ["2018-04", "Hälsa och omsorg", "Äldreomsorg", "12600.5"],
                      ["2018-04", "Hälsa och omsorg", "Äldreomsorg", '"1 000,25"']], sep=",", encoding="utf-8")
    report = await import_utfall(store, data, file_name="komma.csv")
    assert report.written, report.text()
    assert report.separator == ","
    assert await utfall_of(store, await line_id(store, "Äldreomsorg", "HOO")) == {4: D("13600.750")}


async def test_a_failure_while_writing_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ib, "recompute_status", boom)
    with pytest.raises(RuntimeError):
        await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    assert await count(store, Utfall) == 0 and await count(store, ImportBatch) == 0


async def test_dry_run_writes_nothing(store: Store) -> None:
    report = await import_utfall(store, cp1252_file(), file_name="utfall.csv", dry_run=True)
    assert report.ok and not report.written and "Skulle lägga till januari och februari 2018 (inget utfall för de " \
        "månaderna än)" in report.text()
    assert await count(store, Utfall) == 0
    # once they are stored, a check says they are replaced, and how many amounts are there today
    await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    stored = await count(store, Utfall)
    again = await import_utfall(store, cp1252_file(), file_name="utfall.csv", dry_run=True)
    assert f"Skulle ersätta januari och februari 2018 (i dag {stored} belopp):" in again.text(), again.text()


# --- Excel and mapping files ----------------------------------------------------------------------------------


async def test_excel_utfall(store: Store, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Period", "Verksamhetsområde", "Verksamhet", "Belopp (kr)"])
    ws.append([datetime(2018, 1, 31), "Hälsa och omsorg", "Äldreomsorg", 12345.67])
    ws.append(["201801", "Hälsa och omsorg", "Äldreomsorg", "1 000,33"])
    ws.append([201802, "Hälsa och omsorg", "Äldreomsorg", 500])
    path = tmp_path / "utfall.xlsx"
    wb.save(path)
    report = await import_utfall(store, path)
    assert report.written, report.text()
    assert await utfall_of(store, await line_id(store, "Äldreomsorg", "HOO")) == {1: D("13.346"), 2: D("0.500")}


async def test_mapping_file_for_ansvar_codes(store: Store) -> None:
    mapping = read_mapping(csv_bytes([["Ansvar", "Verksamhetsområde", "Verksamhet"],
                                      ["51000", "Hälsa och omsorg", "Äldreomsorg"],
                                      ["45010", "Inflyttning och arbete", "Gymnasieskola"],
                                      ["45020", "Familj och utbildning", "Gymnasieskola"]]))
    assert mapping.column == "Ansvar" and len(mapping.targets) == 3
    data = csv_bytes([["Period", "Ansvar", "Konto", "Belopp tkr"],
                      ["201801", "51000", "4010", "100,5"], ["201801", "51000", "4020", "0,5"],
                      ["201801", "45010", "4010", "7,0"], ["201801", "45020", "4010", "3,0"],
                      ["201801", "99999", "4010", "3,0"]])
    report = await import_utfall(store, data, file_name="ansvar.csv", mapping=mapping)
    assert not report.written and report.problem_count == 1
    assert (report.problems[0].row, report.problems[0].column, report.problems[0].value) == (6, "Ansvar", "99999")
    report = await import_utfall(store, data, file_name="ansvar.csv", mapping=mapping, skip_invalid=True)
    assert report.written
    assert await utfall_of(store, await line_id(store, "Äldreomsorg", "HOO")) == {1: D("101.000")}
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "IOA")) == {1: D("7.000")}
    assert await utfall_of(store, await line_id(store, "Gymnasieskola", "FOU")) == {1: D("3.000")}


def test_mapping_file_errors() -> None:
    from storage.importing import ImportFileError

    with pytest.raises(ImportFileError, match="rad 3"):
        read_mapping(csv_bytes([["Ansvar", "Verksamhet"], ["1", "Äldreomsorg"], ["1", "Förskola"]]))
    assert isinstance(read_mapping(csv_bytes([["Vht", "Verksamhet"], ["510", "Äldreomsorg"]])), CodeMapping)


# --- Profiles, a new year's budget, prognoses -----------------------------------------------------------------


async def test_profile_changes_periodisation_and_prognosis(store: Store) -> None:
    await import_utfall(store, csv_bytes([HEADER, *[[f"2018-0{m}", "Samhällsbyggnad", "Gator, vägar samt parkering",
                                                    "1", "2 000 000"] for m in (1, 2, 3, 4)]]), file_name="u.csv")
    percent = ["15", "15", "10", "5", "5", "5", "5", "5", "5", "10", "10", "10"]
    data = csv_bytes([["Verksamhetsområde", "Verksamhet", "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep",
                       "okt", "nov", "dec"], ["Samhällsbyggnad", "Gator, vägar samt parkering", *percent]],
                     encoding="utf-8")
    report = await import_profile(store, data, file_name="profil_2018.csv")
    assert report.written, report.text()
    gator = await line_id(store, "Gator, vägar samt parkering", "SB")
    st_ = await status_of(store, gator)
    assert st_.periodised_budget == D("6983.100")  # 15 518 × 0,45
    assert (st_.prognosis, st_.prognosis_method) == (D("17777.778"), METHOD_PROFILE)  # 8 000 / 0,45
    async with store.session() as s:
        figures = await line_figures(s, 2018, line_ids=[gator])
    assert figures[0].has_profile and figures[0].year_share_pct == D("45.0")


async def test_profile_errors(store: Store) -> None:
    long_rows = [["verksamhet", "månad", "andel"], *[["Äldreomsorg", str(m), "0,1"] for m in range(1, 13)]]
    report = await import_profile(store, csv_bytes(long_rows), file_name="p.csv", year=2018)
    assert not report.written and report.problem_count == 12
    assert "summerar till 1.2" in report.problems[0].reason
    report = await import_profile(store, csv_bytes([["verksamhet", "jan"], ["Äldreomsorg", "1"]]), file_name="p.csv",
                                  year=2018)
    assert report.file_problem and "tolv månadskolumner" in report.problems[0].reason


async def test_budget_for_a_new_year_in_the_seed_shape(store: Store) -> None:
    data = csv_bytes([["area", "sort_order", "verksamhet", "net_cost_tkr", "scb_code", "source"],
                      ["HOO", "1", "Äldreomsorg", "155 000,0", "510", "Internbudget 2019"],
                      ["HOO", "2", "Färdtjänst", "4 300,0", "", "Internbudget 2019"],
                      ["HOO", "", "Total budget", "159 300,0", "", ""],
                      ["IOA", "1", "Gymnasieskola", "71 000,0", "450", ""],
                      ["IOA", "2", "Flykting", f"{MINUS}30 000,0", "", ""]], encoding="utf-8")
    report = await import_budget(store, data, file_name="budget_2019.csv")
    assert report.written, report.text()
    assert report.year == 2019 and report.summary["new"] == 4
    async with store.session() as s:
        lines = {(r.verksamhet, r.net_cost) for r in (await s.execute(select(BudgetLine).where(BudgetLine.year == 2019))).scalars()}
    assert lines == {("Äldreomsorg", D("155000.0")), ("Färdtjänst", D("4300.0")), ("Gymnasieskola", D("71000.0")),
                     ("Flykting", D("-30000.0"))}
    utfall = await import_utfall(store, csv_bytes([HEADER, ["201901", "HOO", "Äldreomsorg", "1", "1000"]]),
                                 file_name="u2019.csv")
    assert utfall.written and utfall.year == 2019
    from storage.budget import lines_named

    async with store.session() as s:  # a name starting with Ä, any case (SQLite's lower() folds ASCII only)
        found = await lines_named(s, 2019, ["äldreomsorg"])
        assert found == await lines_named(s, 2019, ["ÄLDREOMSORG"]) and len(found) == 1
        assert await lines_named(s, 2019, ["Gymnasieskola"], [0]) == []  # no such area
    again = await import_budget(store, data.replace("155 000,0".encode(), "156 000,0".encode())
                                .replace("159 300,0".encode(), "160 300,0".encode()), file_name="budget_2019.csv")
    assert again.written and again.summary == {"year": 2019, "new": 0, "updated": 4, "kept": 0, "total_tkr": "201300.0"}


async def test_budget_file_errors(store: Store) -> None:
    data = csv_bytes([["verksamhetsområde", "verksamhet", "nettokostnad (tkr)"],
                      ["Hälsa och omsorg", "Äldreomsorg", "100,0"], ["Hälsa och omsorg", "Äldreomsorg", "1,0"],
                      ["Okänt område", "X", "1,0"], ["Hälsa och omsorg", "Total", "99,0"]], encoding="utf-8")
    report = await import_budget(store, data, file_name="b.csv", year=2020)
    assert not report.written and report.problem_count == 3
    reasons = " | ".join(p.reason for p in report.problems)
    assert "står redan på rad 2" in reasons and "okänt verksamhetsområde" in reasons and "totalen för Hälsa och omsorg" in reasons
    no_year = await import_budget(store, data, file_name="b.csv")
    assert no_year.file_problem and "--år" in no_year.problems[0].reason
    async with store.session() as s:
        assert await s.scalar(select(func.count()).select_from(BudgetLine).where(BudgetLine.year == 2020)) == 0


async def test_manual_prognosis_import(store: Store) -> None:
    await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    data = csv_bytes([["Verksamhetsområde", "Verksamhet", "Prognos (tkr)", "Kommentar"],
                      ["Hälsa och omsorg", "Äldreomsorg", "152 000,0", "Fler platser från hösten"]], encoding="utf-8")
    report = await import_prognosis(store, data, file_name="prognos.csv", default_year=2018)
    assert report.written, report.text()
    aldre = await line_id(store, "Äldreomsorg", "HOO")
    st_ = await status_of(store, aldre)
    assert (st_.prognosis, st_.prognosis_method) == (D("152000.000"), METHOD_MANUAL)
    async with store.session() as s:
        fig = (await line_figures(s, 2018, line_ids=[aldre]))[0]
    assert fig.prognosis_note == "Fler platser från hösten"
    # re-importing utfall keeps the manual prognosis in charge
    await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    assert (await status_of(store, aldre)).prognosis_method == METHOD_MANUAL
    dup = await import_prognosis(store, csv_bytes([["Verksamhet", "Prognos kr"], ["Äldreomsorg", "1"], ["Äldreomsorg", "2"]]),
                                 file_name="p.csv", default_year=2018)
    assert not dup.written and "har redan en prognos på rad 2" in dup.problems[0].reason


# --- Pure parts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("2018-04", (2018, 4)), ("201804", (2018, 4)), ("2018-04-30", (2018, 4)), ("2018-4", (2018, 4)),
    ("30.04.2018", (2018, 4)), ("04/2018", (2018, 4)), ("april 2018", (2018, 4)), ("Apr 2018", (2018, 4)),
    ("2018 okt", (2018, 10)), ("2018-04-30 00:00:00", (2018, 4)), ("2018-13", None), ("2018-02-30", None),
    ("april", None), ("", None), ("18-04", None)])
def test_parse_period(raw: str, expected: tuple[int, int] | None) -> None:
    assert parse_period(raw) == expected


def test_units_from_headers() -> None:
    assert [unit_from_header(h) for h in ("Belopp (tkr)", "Utfall kr", "Belopp, SEK", "Belopp", "Nettokostnad tkr")] == [
        "tkr", "kr", "kr", None, "tkr"]


def test_seed_names_collide_only_where_the_document_repeats_them() -> None:
    seed = load_seed_files()
    keys: dict[str, set[str]] = {}
    for line in seed.budget_lines:
        keys.setdefault(name_key(line.verksamhet), set()).add(line.area)
    repeated = {k for k, areas in keys.items() if len(areas) > 1}
    assert repeated == {name_key(n) for n in ("Gymnasieskola", "Räddningstjänst", "Fysisk o tekn planering",
                                              "Insatser enl LSS, SFB o HsL", "Insatser t personer m funktionshinder",
                                              "Övriga insatser till vuxna")}
    assert name_key("Protokoll & Juridik") == name_key("protokoll och juridik")
    assert name_key("Fysisk och tekn. planering") == name_key("Fysisk o tekn planering")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-(10**14), max_value=10**14), min_size=1, max_size=50))
def test_float_fast_path_is_exact_to_the_ore(values: list[int]) -> None:
    """Amounts with öre read by the C parser as floats come back as the exact integer öre."""
    cells = [("-" if v < 0 else "") + f"{abs(v) // 100:,}".replace(",", " ") + f",{abs(v) % 100:02d}" for v in values]
    text = "b\n" + "\n".join(cells) + "\n"
    column = pd.read_csv(io.StringIO(text), sep=";", decimal=",", thousands=" ")["b"]
    ore, status, _ = amounts_to_ore(column, 2, "kr")
    assert (status == 0).all()
    assert ore.tolist() == values


def test_text_path_and_limits() -> None:
    column = pd.Series(["1 234,50", "(12,5)", "–3", "abc", "", "99999999999999999999", "1.234,5 kr"], dtype=object)
    ore, status, bad = amounts_to_ore(column, 2, "kr")
    assert ore[:3].tolist() == [123450, -1250, -300] and ore[6] == 123450
    assert status.tolist() == [0, 0, 0, ib.AMOUNT_BAD, ib.AMOUNT_MISSING, ib.AMOUNT_LARGE, 0]
    assert bad == {3: "abc", 4: "", 5: "99999999999999999999"}
    huge = pd.Series([3.0e13, np.inf, np.nan, 12.5])
    ore, status, _ = amounts_to_ore(huge, 5, "tkr")
    assert status.tolist() == [ib.AMOUNT_LARGE, ib.AMOUNT_LARGE, ib.AMOUNT_MISSING, 0] and ore[3] == 1_250_000


async def test_line_figures_read_the_same_for_one_line_some_lines_an_area_and_all(store: Store) -> None:
    """One line is read with an equality, several with an IN list, an area and the year with neither; so are
    the notes of manual prognoses (two lines have one here)."""
    await import_utfall(store, cp1252_file(), file_name="utfall.csv")
    data = csv_bytes([["Verksamhetsområde", "Verksamhet", "Prognos (tkr)", "Kommentar"],
                      ["Hälsa och omsorg", "Äldreomsorg", "152 000,0", "Fler platser från hösten"],
                      ["Inflyttning och arbete", "Flykting", "-5 000,0", "Placeringar"]], encoding="utf-8")
    assert (await import_prognosis(store, data, file_name="prognos.csv", default_year=2018)).written
    async with store.read_session() as r:
        everything = await line_figures(r, 2018)
        assert len(everything) > 3
        by_id = {f.line_id: f for f in everything}
        for f in everything:
            assert await line_figures(r, 2018, line_ids=[f.line_id]) == [f]
        some = [everything[2].line_id, everything[0].line_id]
        assert await line_figures(r, 2018, line_ids=some) == [by_id[i] for i in sorted(some, key=list(by_id).index)]
        area = everything[0].area_id
        assert await line_figures(r, 2018, area_id=area) == [f for f in everything if f.area_id == area]
        noted = [f for f in everything if f.prognosis_note]
        assert {f.prognosis_note for f in noted} == {"Fler platser från hösten", "Placeringar"}
        assert await line_figures(r, 2018, line_ids=[noted[1].line_id, noted[0].line_id]) == noted
        assert await line_figures(r, 2018, line_ids=[]) == []
        assert await line_figures(r, 2019, line_ids=[everything[0].line_id]) == []
