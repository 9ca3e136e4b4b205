"""``tavla import indicator-values FIL``: exit codes, the row report, --skip-invalid, --kontrollera, idempotency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli, cli_indicators
from storage.db import Store
from storage.models import ImportBatch, IndicatorValue

GOOD = "indikator;period;värde;enhet\nFrisknärvaro;mars 2018;94,2;\nHME;2017;78;Hälsa och omsorg\nPersonalomsättning;2017;6,5 %;\n"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "TAVLA_DEMO", "ALLOWED_TENANT_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("TAVLA_AS_OF", "2018-05-15")
    monkeypatch.setattr(cli, "COMMANDS", list(cli.COMMANDS))  # main() registers the module: undo afterwards
    return path


def _counts(path: Path) -> tuple[int, int]:
    async def count() -> tuple[int, int]:
        store = Store.from_url(f"sqlite+aiosqlite:///{path}")
        try:
            async with store.session() as s:
                values = await s.scalar(select(func.count()).select_from(IndicatorValue).where(IndicatorValue.via == "import"))
                batches = await s.scalar(select(func.count()).select_from(ImportBatch))
            return int(values or 0), int(batches or 0)
        finally:
            await store.dispose()

    return asyncio.run(count())


def test_import_then_reimport(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "värden.csv"
    file.write_text(GOOD, encoding="utf-8-sig")
    assert cli_indicators.main(["import", "indicator-values", str(file)]) == 0
    out = capsys.readouterr().out
    assert "värden.csv: 3 rader lästa (CSV, utf-8-sig, avgränsare ;)" in out
    assert "Importerat: 3 nya, 0 ändrade, 0 oförändrade värden." in out
    assert _counts(db) == (3, 1)
    assert cli_indicators.main(["import", "indicator-values", str(file)]) == 0
    out = capsys.readouterr().out
    assert "0 nya, 0 ändrade, 3 oförändrade" in out and "Inget ändrades" in out
    assert _counts(db) == (3, 1)


def test_bad_rows_write_nothing_unless_skip_invalid(db: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "fel.csv"
    file.write_text(GOOD + "Frisknärvarp;april 2018;94;\nHME;2017;hundra;\n", encoding="cp1252")
    assert cli_indicators.main(["import", "indicator-values", str(file), "--kontrollera"]) == 1
    assert cli_indicators.main(["import", "indicator-values", str(file)]) == 1
    out = capsys.readouterr().out
    assert "2 rader har fel – inget importerades:" in out
    assert "rad 5, indikator: okänd indikator ”Frisknärvarp” – menade du ”Frisknärvaro”?" in out
    assert "rad 6, värde: ”hundra” är inte ett tal" in out
    assert "--skip-invalid" in out
    assert _counts(db) == (0, 0)
    assert cli_indicators.main(["import", "indicator-values", str(file), "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "2 rader hoppades över:" in out and "Importerat: 3 nya" in out
    assert _counts(db) == (3, 1)


def test_check_only_and_missing_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "ok.csv"
    file.write_text(GOOD, encoding="utf-8")
    assert cli_indicators.main(["import", "indicator-values", str(file), "--kontrollera"]) == 0
    assert "Kontroll: 3 rader är giltiga – inget är skrivet." in capsys.readouterr().out
    assert _counts(db) == (0, 0)
    assert cli_indicators.main(["import", "indicator-values", str(tmp_path / "saknas.csv")]) == 1
    assert "filen finns inte" in capsys.readouterr().err
    (tmp_path / "tom.csv").write_text("namn;x\n", encoding="utf-8")
    assert cli_indicators.main(["import", "indicator-values", str(tmp_path / "tom.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Tavla: Kolumner saknas") and len(err.strip().splitlines()) == 1


def test_help_is_swedish(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli_indicators.main(["import", "indicator-values", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--skip-invalid" in out and "Hela filen kontrolleras först" in out
