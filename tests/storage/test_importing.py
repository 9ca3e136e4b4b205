"""Reading Swedish export files: encodings, separators, Swedish numbers, Excel cells, column matching."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from storage.importing import (
    ImportFileError,
    decode,
    header_key,
    is_missing,
    parse_number,
    read_table,
    sniff_separator,
)

WANTED = {"name": ("namn", "indikator"), "value": ("värde", "belopp"), "note": ("kommentar",)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("94,2", "94.2"),
        ("94.2", "94.2"),
        ("6147", "6147"),
        ("6 147", "6147"),
        ("150 853,2", "150853.2"),
        ("150\u00a0853,2", "150853.2"),
        ("150\u202f853,2", "150853.2"),
        ("1 234 567", "1234567"),
        ("−4 572,0", "-4572.0"),
        ("-4572,0", "-4572.0"),
        ("–3", "-3"),
        ("+2", "2"),
        ("95,3 %", "95.3"),
        ("95,3%", "95.3"),
        ("10 442,0 tkr", "10442.0"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("(12,5)", "-12.5"),
        ("0,1", "0.1"),
        ("1'234", "1234"),
    ],
)
def test_parse_number_reads_swedish_and_english_forms(raw: str, expected: str) -> None:
    value = parse_number(raw)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "-", "–", "abc", "12 34", "1,2,3", "9 4,2", "12a", "1.2.3,4,5", "tkr"])
def test_parse_number_refuses_what_is_not_a_number(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_number(raw)


def test_missing_markers() -> None:
    assert is_missing("") and is_missing(" - ") and is_missing("–") and is_missing("saknas")
    assert not is_missing("0") and not is_missing("0,0")


def test_decode_utf8_bom_utf8_and_cp1252() -> None:
    text = "indikator;värde\nFrisknärvaro;94,2\n"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(text.encode("cp1252")) == (text, "cp1252")
    assert decode("Göinge −3".encode("utf-8"))[0] == "Göinge −3"


def test_decode_refuses_unknown_bytes() -> None:
    with pytest.raises(ImportFileError) as err:
        decode(b"abc\x81\x8d\x90")  # undefined in Windows-1252, invalid UTF-8
    assert "teckenkodning" in err.value.sv


def test_sniff_separator() -> None:
    assert sniff_separator("a;b;c\n1,5;2;3") == ";"
    assert sniff_separator("a,b,c\n1;2;3") == ","
    assert sniff_separator("a\tb\n1\t2") == "\t"
    assert sniff_separator('"a;x",b,c\n') == ","
    assert sniff_separator("\n\nbara en kolumn\n") == ";"


def test_header_key_folds_case_accents_and_punctuation() -> None:
    assert header_key(" Värde (%) ") == "varde_%"
    assert header_key("Org-enhet") == "org_enhet"
    assert header_key("\ufeffIndikator") == "indikator"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_read_csv_in_every_encoding_and_separator(encoding: str, sep: str) -> None:
    value = '"94,2"' if sep == "," else "94,2"
    text = f"Indikator{sep}Värde{sep}Kommentar\r\nFrisknärvaro{sep}{value}{sep}Göinge\r\n\r\nHME{sep}78{sep}\r\n"
    table = read_table(text.encode(encoding), WANTED, required=("name", "value"), file_name="v.csv")
    assert table.kind == "csv" and table.separator == sep and table.encoding == encoding
    assert [r.line for r in table.rows] == [2, 4]
    assert table.rows[0].get("name") == "Frisknärvaro"
    assert table.rows[0].get("value") == "94,2"
    assert table.rows[0].get("note") == "Göinge"
    assert table.rows[1].get("note") == ""
    assert table.columns == {"name": "Indikator", "value": "Värde", "note": "Kommentar"}
    assert len(table.checksum) == 64


def test_nbsp_in_cells_is_cleaned() -> None:
    table = read_table("namn;värde\nA\u00a0B;1\u202f234,5\n".encode(), WANTED, required=("name",), file_name="x.csv")
    assert table.rows[0].get("name") == "A B"
    assert parse_number(table.rows[0].get("value")) == Decimal("1234.5")


def test_missing_required_column_names_what_is_there() -> None:
    with pytest.raises(ImportFileError) as err:
        read_table("namn;summa\nA;1\n".encode(), WANTED, required=("name", "value"), file_name="x.csv")
    # the header a file should have, as a user writes it — not our field name ("value")
    assert err.value.sv == "Kolumner saknas: ”värde” (eller ”belopp”). Filens rubriker: ”namn”, ”summa”."
    assert "“värde”" in err.value.en and "value" not in err.value.sv


def test_empty_file_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="tom"):
        read_table(b"", WANTED, file_name="x.csv")
    with pytest.raises(ImportFileError, match="finns inte"):
        read_table(tmp_path / "nope.csv", WANTED)
    with pytest.raises(ImportFileError, match=".xls"):
        read_table(b"\xd0\xcf\x11\xe0", WANTED, file_name="gammal.xls")


def test_read_excel_keeps_numbers_exact_and_dates(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Värden"
    ws.append([None])  # an empty first row: the header is the first non-empty row
    ws.append(["Indikator", "Värde", "Kommentar"])
    ws.append(["Frisknärvaro", 94.2, datetime(2018, 3, 1)])
    ws.append(["HME", 78, date(2018, 1, 31)])
    ws.append([None, None, None])
    ws.append(["Resultat", -1234.5, "text\u00a0med nbsp"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "värden.xlsx"
    path.write_bytes(buf.getvalue())
    table = read_table(path, WANTED, required=("name", "value"))
    assert table.kind == "excel" and table.sheet == "Värden"
    assert [r.line for r in table.rows] == [3, 4, 6]
    assert [r.get("value") for r in table.rows] == ["94.2", "78", "-1234.5"]
    assert parse_number(table.rows[0].get("value")) == Decimal("94.2")
    assert table.rows[0].get("note") == "2018-03-01"
    assert table.rows[2].get("note") == "text med nbsp"
    with pytest.raises(ImportFileError, match="Bladet"):
        read_table(path, WANTED, sheet="Finns inte")


def test_a_number_in_a_percent_format_is_read_as_excel_shows_it(tmp_path: Path) -> None:
    """An HR export's Frisknärvaro 0.953 formatted ``0,0 %`` shows as 95,3 % in Excel, and was imported as 0,953 %."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for _ in range(2):
        ws.append([None])  # the sheet starts lower down: rows keep Excel's numbers
    ws.append(["Indikator", "Värde"])
    for name, value, shown_as in (("Frisknärvaro", 0.953, "0.0%"), ("Omsättning", 0.0625, "0.00 %"), ("Hel", 1, "0%"),
                                  ("Citerad", 95.3, '0.0"%"'), ("Escapad", 95.3, "0.0\\%"), ("Allmän", 0.953, "General"),
                                  ("Röd", -0.05, "[Red]0.0%"), ("Text", "95,3 %", "0.0%")):
        ws.append([name, value])
        ws.cell(ws.max_row, 2).number_format = shown_as
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), WANTED, required=("name", "value"), file_name="frisk.xlsx")
    assert [(r.line, r.get("value")) for r in table.rows] == [
        (4, "95.3 %"), (5, "6.25 %"), (6, "100 %"), (7, "95.3"), (8, "95.3"), (9, "0.953"), (10, "-5 %"),
        (11, "95,3 %")]
    assert parse_number(table.rows[0].get("value")) == Decimal("95.3")


def test_damaged_excel_is_a_clear_error() -> None:
    with pytest.raises(ImportFileError, match="Excel-filen"):
        read_table(b"PK\x03\x04 not really a zip", WANTED, file_name="x.xlsx")
