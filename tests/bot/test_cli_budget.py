"""``tavla import utfall/profil/budget/prognos`` as a person runs it: exit codes, the report, the progress line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli_budget import ProgressLine, main

ROWS = "Period;Verksamhetsområde;Verksamhet;Belopp (kr)\r\n" + "".join(
    f"2018{m:02d};Hälsa och omsorg;Äldreomsorg;12\u00a0500\u00a0000,00\r\n" for m in (1, 2, 3))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("TAVLA_AS_OF", "2018-05-15")
    return path


def test_import_utfall_then_the_same_file_again(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "utfall.csv"
    file.write_bytes(ROWS.encode("cp1252"))
    assert main(["import", "utfall", str(file)]) == 0
    out = capsys.readouterr().out.replace("\u00a0", " ")
    assert "Windows-1252" in out and "Ersatte januari–mars 2018" in out and "37 500,0 tkr" in out
    assert main(["import", "utfall", str(file)]) == 0
    assert "samma fil importerades redan" in capsys.readouterr().out


def test_bad_rows_exit_1_and_the_report_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "fel.csv"
    file.write_text(ROWS + "201804;Hälsa och omsorg;Äldreomsrog;5\r\n", encoding="utf-8")
    report = tmp_path / "rapport.csv"
    assert main(["import", "utfall", str(file), "--rapport", str(report)]) == 1
    out = capsys.readouterr().out
    assert "INGET skrevs" in out and "rad 5, verksamhet, ”Äldreomsrog”" in out
    assert report.read_text(encoding="utf-8-sig").splitlines()[0] == "rad;kolumn;värde;orsak"
    assert main(["import", "utfall", str(file), "--kontrollera"]) == 1
    assert main(["import", "utfall", str(file), "--skip-invalid"]) == 0
    assert "hoppades över" in capsys.readouterr().out


def test_other_kinds_and_missing_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prognos = tmp_path / "prognos.csv"
    prognos.write_text("Verksamhet;Prognos (tkr)\nÄldreomsorg;152 000,0\n", encoding="utf-8")
    assert main(["import", "prognos", str(prognos)]) == 0  # the year defaults to TAVLA_AS_OF's
    assert "Sparade 1 helårsprognoser för 2018" in capsys.readouterr().out
    budget = tmp_path / "budget_2019.csv"
    budget.write_text("area;verksamhet;net_cost_tkr\nHOO;Äldreomsorg;155 000,0\n", encoding="utf-8")
    assert main(["import", "budget", str(budget)]) == 0
    assert "Internbudget 2019: 1 rader" in capsys.readouterr().out
    assert main(["import", "profil", str(tmp_path / "finns-inte.csv")]) == 1
    assert "filen finns inte" in capsys.readouterr().err


def test_progress_line() -> None:
    import io

    stream = io.StringIO()
    progress = ProgressLine(stream)
    for done in range(0, 1_000_001, 100_000):
        progress("kontrollerar", done, 1_000_000)
    progress("skriver", 0, 1)
    lines = stream.getvalue().replace("\u00a0", " ").splitlines()
    assert lines[0].startswith("[") and "0 % kontrollerat" in lines[0]
    assert any("100 % kontrollerat (1 000 000 av ~1 000 000 rader)" in line for line in lines)
    assert 5 <= len(lines) <= 7 and lines[-1].startswith("Skriver till databasen")
    quiet = io.StringIO()
    small = ProgressLine(quiet)
    small("kontrollerar", 10, 10)
    assert quiet.getvalue() == ""
