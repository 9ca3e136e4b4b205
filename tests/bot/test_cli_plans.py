"""``tavla import handlingsplaner``, ``tavla roles grant`` and ``tavla export audit`` as a person runs them."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Store
from storage.models import AdminLog, Membership, Person
from tests.bot.test_cli import sqlite_url, tavla

CSV = ("enhet;verksamhetsmål;aktivitet;ansvarig;klart;status\r\n"
       "Förskolan Humlan;Barn och elever använder digitala verktyg i sitt lärande varje vecka;"
       "Digitalt lekrum;Bo Berg;2018-10-01;Pågår\r\n")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store with the Årsplan and the exempeldata, made with ``tavla seed --demo`` (as of 2018-05-15)."""
    path = tmp_path_factory.mktemp("cli-plans") / "tavla.sqlite3"
    env = {"DATABASE_URL": sqlite_url(path), "TAVLA_AS_OF": "2018-05-15"}
    result = tavla("seed", "--demo", env=env)
    assert result.returncode == 0, result.stderr
    return env


async def _query(env: dict[str, str], statement: object) -> list[object]:
    store = Store.from_url(env["DATABASE_URL"])
    try:
        async with store.session() as s:
            return list((await s.execute(statement)).scalars())  # type: ignore[arg-type]
    finally:
        await store.dispose()


def query(env: dict[str, str], statement: object) -> list[object]:
    return asyncio.run(_query(env, statement))


def test_import_handlingsplaner(db: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "plan.csv"
    good.write_bytes(CSV.encode("cp1252"))
    result = tavla("import", "handlingsplaner", str(good), "--av", "tavla.admin@example.se", env=db)
    assert result.returncode == 0, result.stderr
    assert "Importerat: 1 nya, 0 ändrade, 0 oförändrade aktiviteter" in result.stdout
    again = tavla("import", "handlingsplaner", str(good), env=db)
    assert again.returncode == 0 and "Inget ändrades (filen var redan importerad)." in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes((CSV + "Månbasen;X;Y;;;\r\n").encode("utf-8"))
    result = tavla("import", "handlingsplaner", str(bad), env=db)
    assert result.returncode == 1
    assert "rad 3, enhet: ”Månbasen” finns inte" in result.stdout and "inget importerades" in result.stdout
    missing = tavla("import", "handlingsplaner", str(tmp_path / "nope.csv"), env=db)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1 and "finns inte" in missing.stderr
    unknown_by = tavla("import", "handlingsplaner", str(good), "--av", "Ingen", env=db)
    assert unknown_by.returncode == 1 and "hittar ingen" in unknown_by.stderr


def test_roles_grant(db: dict[str, str]) -> None:
    result = tavla("roles", "grant", "fatima.fors@example.se", "chef", "Förskolan Humlan", "--av", "Tavla Admin",
                   env=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Fatima Fors är nu chef i Förskolan Humlan."
    again = tavla("roles", "grant", "Fatima Fors", "CHEF", "DEMO-HUMLAN", env=db)
    assert again.stdout.strip() == "Fatima Fors hade redan rollen chef i Förskolan Humlan."
    fatima = query(db, select(Person).where(Person.name == "Fatima Fors"))[0]
    roles = query(db, select(Membership).where(Membership.person_id == fatima.id, Membership.role == "chef"))
    assert len(roles) == 1
    for args, words in ((("Fatima Fors", "kung", "Förskolan Humlan"), "Okänd roll"),
                        (("Ingen Alls", "chef", "Förskolan Humlan"), "Hittar ingen"),
                        (("Fatima Fors", "chef", "Månbasen"), "Hittar ingen enhet")):
        result = tavla("roles", "grant", *args, env=db)
        assert result.returncode == 1 and words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_export_audit(db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "logg.csv"
    result = tavla("export", "audit", "--from", "2018-05-01", "--to", "2018-05-14", "--out", str(out), env=db)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["tidpunkt", "enhet", "handlingsplan"]
    assert all("2018-05-01" <= row[0][:10] <= "2018-05-14" for row in rows[1:])
    assert any(row[4] == "Digital introduktion för nyanställda" and row[10] == "Väntar på IT-konton för nyanställda."
               for row in rows[1:])
    assert f"{len(rows) - 1} ändringar" in result.stderr
    printed = tavla("export", "audit", "--from", "2018-05-09", "--to", "2018-05-09", env=db)
    assert printed.returncode == 0 and printed.stdout.startswith("tidpunkt;enhet;")
    assert len(printed.stdout.strip().splitlines()) == 3  # header + two changes on 9 May
    logged = query(db, select(AdminLog).where(AdminLog.action == "export_audit"))
    assert len(logged) >= 2
    for args, words in ((("--from", "maj", "--to", "2018-05-01"), "är inget datum"),
                        (("--from", "2018-05-02", "--to", "2018-05-01"), "--to ligger före --from")):
        result = tavla("export", "audit", *args, env=db)
        assert result.returncode == 1 and words in result.stderr
