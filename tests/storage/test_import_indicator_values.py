"""Importing indicator values: CSV/Excel, Swedish numbers, whole-file validation, --skip-invalid, idempotency."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import Store
from storage.import_indicator_values import ImportReport, import_indicator_values
from storage.importing import ImportFileError
from storage.models import AdminLog, ImportBatch, Indicator, IndicatorValue, OrgUnit

AT = datetime(2018, 5, 15, 8, 0, tzinfo=timezone.utc)
TODAY = date(2018, 5, 15)

GOOD = (
    "Indikator;Period;Värde;Enhet;Källa;Kommentar\n"
    "Frisknärvaro;januari 2018;93,8;;Heroma;\n"
    "frisknärvaro;2018-02;94,1 %;;Heroma;\n"
    "FRISKNARVARO;3/2018;94,2;Hälsa och omsorg;Heroma;efter omorganisation\n"
    "Personalomsättning;2017;6,5;;;\n"
    "HME;2017;78;HoO;;\n"
    "Antal sysselsatta 16+ med bostad i kommunen;2017;6 152;;SCB;\n"
    "resultat-andel-skatter-statsbidrag;2017;−0,5;;;\n"
)


async def _import(store: Store, data: bytes | Path, name: str = "värden.csv", **kwargs: object) -> ImportReport:
    return await import_indicator_values(store, data, at=AT, today=TODAY, file_name=name, **kwargs)  # type: ignore[arg-type]


async def _values(store: Store) -> list[tuple[str, str, str, Decimal, str | None, str | None, str]]:
    async with store.session() as s:
        rows = (await s.execute(
            select(Indicator.code, OrgUnit.code, IndicatorValue.period, IndicatorValue.value, IndicatorValue.source,
                   IndicatorValue.note, IndicatorValue.via)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .join(OrgUnit, OrgUnit.id == IndicatorValue.org_unit_id)
            .where(IndicatorValue.via == "import").order_by(Indicator.code, IndicatorValue.period, OrgUnit.code)
        )).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def _count(store: Store, model: type) -> int:
    async with store.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_good_csv_is_imported_with_swedish_numbers(store: Store) -> None:
    before = await _count(store, IndicatorValue)
    report = await _import(store, GOOD.replace("−", "–").encode("cp1252"))  # cp1252 has the en dash, not U+2212
    assert report.written and report.problems == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (7, 7, 0, 0)
    assert "cp1252" in report.read_as and "avgränsare ;" in report.read_as
    assert await _count(store, IndicatorValue) == before + 7
    values = await _values(store)
    assert ("frisknarvaro", "HOO", "2018-03", Decimal("94.2"), "Heroma", "efter omorganisation", "import") in values
    assert ("frisknarvaro", "OG", "2018-02", Decimal("94.1"), "Heroma", None, "import") in values
    assert ("hme", "HOO", "2017", Decimal("78"), "Import: värden.csv", None, "import") in values
    assert ("sysselsatta", "OG", "2017", Decimal("6152"), "SCB", None, "import") in values
    assert ("resultat-andel-skatter-statsbidrag", "OG", "2017", Decimal("-0.5"), "Import: värden.csv", None,
            "import") in values
    async with store.session() as s:
        batch = (await s.execute(select(ImportBatch))).scalar_one()
        logs = (await s.execute(select(func.count()).select_from(AdminLog)
                                .where(AdminLog.action == "indicator_value_recorded"))).scalar_one()
    assert batch.kind == "indicator_values" and batch.rows == 7 and len(batch.checksum) == 64
    assert batch.summary["created"] == 7 and logs == 7


async def test_reimporting_the_same_file_changes_nothing(store: Store) -> None:
    await _import(store, GOOD.encode())
    values = await _values(store)
    counts = (await _count(store, IndicatorValue), await _count(store, AdminLog), await _count(store, ImportBatch))
    again = await _import(store, GOOD.encode())
    assert again.written and (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert again.batch_id is None
    assert "Inget ändrades" in "\n".join(again.lines())
    assert await _values(store) == values
    assert (await _count(store, IndicatorValue), await _count(store, AdminLog), await _count(store, ImportBatch)) == counts


async def test_the_same_file_under_another_name_changes_nothing_and_keeps_the_source(store: Store) -> None:
    data = "Indikator;Period;Värde\nFrisknärvaro;2018-02;94,1\n".encode()
    await _import(store, data, name="februari.csv")
    logs = await _count(store, AdminLog)
    again = await _import(store, data, name="februari (2).csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1) and await _count(store, AdminLog) == logs
    async with store.session() as s:
        sources = (await s.execute(select(IndicatorValue.source).where(IndicatorValue.period == "2018-02"))).scalars()
        assert "Import: februari.csv" in list(sources)


async def test_a_changed_value_is_updated_and_logged_with_the_old_one(store: Store) -> None:
    await _import(store, GOOD.encode())
    changed = GOOD.replace("HME;2017;78;", "HME;2017;79;")
    report = await _import(store, changed.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    async with store.session() as s:
        log = (await s.execute(select(AdminLog).where(AdminLog.action == "indicator_value_recorded")
                               .order_by(AdminLog.id.desc()).limit(1))).scalar_one()
    assert log.detail["outcome"] == "updated"
    assert log.detail["old"]["value"] == "78" and log.detail["new"]["value"] == "79"


async def test_a_check_says_what_the_file_would_do_and_names_each_value_it_replaces(store: Store) -> None:
    first = await _import(store, GOOD.encode(), dry_run=True)
    assert not first.written and (first.created, first.updated, first.unchanged) == (7, 0, 0)
    assert first.replacing == [] and "Om filen läses in: 7 nya värden." in first.lines()
    await _import(store, GOOD.encode())
    changed = GOOD.replace("HME;2017;78;", "HME;2017;79;").replace(";2017;−0,5;", ";2017;0,25;") \
        + "Personalomsättning;2016;7;;;\n"
    before = await _values(store)
    check = await _import(store, changed.encode(), dry_run=True)
    assert (check.created, check.updated, check.unchanged) == (1, 2, 5) and await _values(store) == before
    assert check.replacing == ["HME, Hälsa och omsorg, 2017: 78 → 79",
                               "Resultat av skatter och statsbidrag, Östra Göinge kommun, 2017: "
                               "−0,5 % → 0,25 %"], check.replacing
    assert "Om filen läses in: 1 nytt värde, 2 ersätter lagrade värden, 5 finns redan med samma värde." in check.lines()
    # a big file names twenty in a check, then how many more
    many = "Indikator;Period;Värde\n" + "".join(f"Frisknärvaro;{y}-{m:02d};90\n" for y in (2016, 2017)
                                                 for m in range(1, 13))
    await _import(store, many.encode())
    check = await _import(store, many.replace(";90\n", ";91\n").encode(), dry_run=True)
    assert check.updated == 24 and len(check.replacing) == 24
    lines = check.lines()
    assert sum(line.startswith("  Frisknärvaro") for line in lines) == 20 and "  … och 4 till som ersätts." in lines


async def test_one_bad_row_means_nothing_written_and_every_problem_reported(store: Store) -> None:
    before = await _count(store, IndicatorValue)
    bad = GOOD + (
        "Frisknärvarp;2018-04;94,0;;;\n"  # typo: suggestion, not a silent match
        "HME;13/2018;78;;;\n"  # no such month
        "Personalomsättning;2018;sju;;;\n"  # not a number
        "Frisknärvaro;2018-04;101;;;\n"  # a share above 100
        "Sysselsatta;2017;6152,5;;;\n"  # a count with decimals
        "Frisknärvaro;2018-04;94;Blomkålsavdelningen;;\n"  # no such unit
        "HME;2019;80;;;\n"  # a period that has not begun
        ";2018;1;;;\n"  # no indicator
        "HME;2017;77;HoO;;\n"  # the same key as an earlier row with another value
    )
    report = await _import(store, bad.encode())
    assert not report.written
    assert await _count(store, IndicatorValue) == before
    assert await _count(store, ImportBatch) == 0
    text = "\n".join(report.lines())
    assert "inget importerades" in text
    lines = report.skipped_lines
    assert lines == [9, 10, 11, 12, 13, 14, 15, 16, 17]
    messages = {p.line: str(p) for p in report.problems}
    assert "menade du ”Frisknärvaro”" in messages[9]
    assert "ingen period" in messages[10]
    assert "inte ett tal" in messages[11]
    assert "mellan 0 och 100" in messages[12]
    assert "heltal" in messages[13]
    assert "okänd enhet" in messages[14]
    assert "har inte börjat" in messages[15]
    assert "indikator saknas" in messages[16]
    assert "rad 6" in messages[17]


async def test_skip_invalid_writes_the_good_rows_and_reports_the_rest(store: Store) -> None:
    bad = GOOD + "Frisknärvarp;2018-04;94,0;;;\nHME;2018;x;;;\n"
    report = await _import(store, bad.encode(), skip_invalid=True)
    assert report.written and report.created == 7
    assert report.skipped_lines == [9, 10]
    text = "\n".join(report.lines())
    assert "2 rader hoppades över" in text and "rad 9" in text and "rad 10" in text
    async with store.session() as s:
        batch = (await s.execute(select(ImportBatch))).scalar_one()
    assert batch.summary["skipped_lines"] == [9, 10]


async def test_health_data_refused_for_groups_under_five(store: Store) -> None:
    data = ("indikator;period;värde;enhet;underlag\n"
            "Frisknärvaro;2018-03;91,0;HoO;4\n"
            "Frisknärvaro;2018-03;94,0;;120\n"
            "HME;2017;80;HoO;3\n").encode()  # HME is not health data: a small group is fine
    report = await _import(store, data)
    assert not report.written
    assert [p.line for p in report.problems] == [2]
    assert "GDPR art. 9" in str(report.problems[0])


async def test_comma_separated_utf8_bom_and_excel(store: Store, tmp_path: Path) -> None:
    csv = '\ufeffindicator,period,value,source\nHME,2017,"78,5",Enkät\nfrisktal,March 2018,94.2,Heroma\n'
    report = await _import(store, csv.encode("utf-8"), name="values.csv")
    assert report.written and report.created == 2 and report.problems == []
    assert "utf-8" in report.read_as and "avgränsare ," in report.read_as

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Indikator", "Period", "Värde", "Enhet"])
    ws.append(["Personalomsättning", datetime(2018, 3, 1), 6.8, "Hälsa och omsorg"])
    ws.append(["Personalomsättning", 2017, 7.25, None])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "omsättning.xlsx"
    path.write_bytes(buf.getvalue())
    report = await import_indicator_values(store, path, at=AT, today=TODAY)
    assert report.written and report.created == 2 and report.read_as.startswith("Excel")
    values = await _values(store)
    assert ("personalomsattning", "HOO", "2018-03", Decimal("6.8"), "Import: omsättning.xlsx", None, "import") in values
    assert ("personalomsattning", "OG", "2017", Decimal("7.25"), "Import: omsättning.xlsx", None, "import") in values


async def test_shares_in_percent_cells_import_as_shown_and_a_share_written_as_a_fraction_is_refused(
        store: Store, tmp_path: Path) -> None:
    """Frisknärvaro 0.953 in a ``0,0 %`` cell was saved as 0,953 % and shown to every chef; now it is 95,3 %. The
    same number without the format (or in a CSV) is refused, with the reading meant — where the målnivå is high;
    personalomsättning (5–8 %) can be under 1 %."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Indikator", "Period", "Värde", "Enhet"])
    for row, shown_as in ((["Frisknärvaro", "2018-03", 0.953, "Hälsa och omsorg"], "0.0%"),
                          (["Personalomsättning", "2018-03", 0.062, "Hälsa och omsorg"], "0.0%"),
                          (["Personalomsättning", "2018-02", 0.9, "Hälsa och omsorg"], "General")):
        ws.append(row)
        ws.cell(ws.max_row, 3).number_format = shown_as
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "hr.xlsx"
    path.write_bytes(buf.getvalue())
    report = await import_indicator_values(store, path, at=AT, today=TODAY)
    assert report.written and report.created == 3 and report.problems == []
    values = {(code, period): value for code, _, period, value, *_ in await _values(store)}
    assert values[("frisknarvaro", "2018-03")] == Decimal("95.3")
    assert values[("personalomsattning", "2018-03")] == Decimal("6.2")
    assert values[("personalomsattning", "2018-02")] == Decimal("0.9")  # a low share is one
    before = await _count(store, ImportBatch)
    report = await _import(store, "indikator;period;värde\nFrisknärvaro;2018-04;0,953\nHME;2017;0,8\n".encode())
    assert not report.written and await _count(store, ImportBatch) == before
    assert [str(p) for p in report.problems] == [
        "rad 2, värde: 0,953 ser ut som en andel i decimalform – menas 95,3 %? Skriv värdet som Frisknärvaro mäts "
        "(målnivå 95 %)",
        "rad 3, värde: 0,8 ser ut som en andel i decimalform – menas 80? Skriv värdet som HME mäts (målnivå 80)"]


async def test_unreadable_files_are_clear_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="Kolumner saknas") as missing:
        await _import(store, "namn;summa\nHME;1\n".encode())
    # the headers a file should have, as a user writes them (it said "indicator (…); value (…)", our field names)
    assert missing.value.text("sv").startswith("Kolumner saknas: ”period” (eller ”månad”, ”år”); ”värde” (eller "
                                               "”mätvärde”, ”utfall”). Filens rubriker: ”namn”, ”summa”.")
    with pytest.raises(ImportFileError, match="finns inte"):
        await import_indicator_values(store, tmp_path / "saknas.csv", at=AT, today=TODAY)
    assert await _count(store, ImportBatch) == 0


async def test_header_only_file_writes_nothing(store: Store) -> None:
    report = await _import(store, b"indikator;period;v\xc3\xa4rde\n")
    assert not report.written and report.rows == 0
    assert "Inget att importera" in "\n".join(report.lines())
