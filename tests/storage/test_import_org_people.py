"""``tavla import org | people | goals | targets``: whole-file validation, one transaction, history kept,
idempotent re-import — on SQLite and PostgreSQL; the people importer's Teams linking; the CLI."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from storage.db import Store
from storage.demo import seed_demo
from storage.import_goals import import_goals
from storage.import_org import import_org
from storage.import_people import import_people, link_teams_user
from storage.import_targets import import_targets
from storage.models import (
    AdminLog,
    Goal,
    ImportBatch,
    Indicator,
    IndicatorTarget,
    Membership,
    OrgUnit,
    Person,
)
from storage.people import person_by_aad
from tests.bot.test_cli import sqlite_url, tavla

AT = datetime(2018, 5, 15, 8, 0, tzinfo=timezone.utc)
TODAY = date(2018, 5, 15)
SEED = Path(__file__).resolve().parents[2] / "storage" / "seed"
NILS = "bbbbbbbb-0000-4000-8000-000000000011"


async def units(store: Store) -> list[tuple[Any, ...]]:
    async with store.session() as s:
        rows = (await s.execute(select(OrgUnit).order_by(OrgUnit.id))).scalars().all()
        return [(u.id, u.code, u.name, u.kind, u.parent_id, u.valid_from, u.valid_to, u.successor_id) for u in rows]


async def batches(store: Store, kind: str) -> int:
    async with store.session() as s:
        return (await s.execute(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == kind))).scalar_one()


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- org ---------------------------------------------------------------------------------------------------


async def test_the_seed_file_imports_unchanged(store: Store) -> None:
    before = await units(store)
    report = await import_org(store, SEED / "org_units.csv", at=AT, today=TODAY)
    assert report.ok and report.written, report.lines()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert await units(store) == before and await batches(store, "org") == 0


async def test_rename_and_merge_across_years_keep_history(store: Store) -> None:
    await seed_demo(store, TODAY)
    # 2019: Familj och utbildning is renamed (same code, new name); Inflyttning och arbete and Strategi och
    # tillväxt merge into a new area; Förskolan Humlan moves under the renamed area.
    text = ("Kod;Namn;Typ;Överordnad;Giltig från;Giltig till;Ersätts av\r\n"
            "FOU;Barn och utbildning;verksamhetsområde;OG;2019;;\r\n"
            "TILL;Tillväxt och arbete;verksamhetsområde;OG;2019;;\r\n"
            "IOA;Inflyttning och arbete;verksamhetsområde;OG;2018;2018;TILL\r\n"
            "SOT;Strategi och tillväxt;verksamhetsområde;OG;2018;2018;TILL\r\n"
            "DEMO-HUMLAN;Förskolan Humlan;enhet;FOU;2018;;\r\n")
    report = await import_org(store, text.encode("cp1252"), at=AT, today=TODAY, file_name="org 2019.csv")
    assert report.ok and report.written, report.lines()
    assert (report.created, report.unchanged) == (2, 1) and report.batch_id is not None
    assert any("Snapphaneskolan" in w for w in report.warnings)  # still under the closed 2018 version
    async with store.session() as s:
        fou = {u.valid_from: u for u in (await s.execute(select(OrgUnit).where(OrgUnit.code == "FOU"))).scalars()}
        till = (await s.execute(select(OrgUnit).where(OrgUnit.code == "TILL"))).scalar_one()
        merged = (await s.execute(select(OrgUnit).where(OrgUnit.code.in_(("IOA", "SOT"))))).scalars().all()
        humlan = (await s.execute(select(OrgUnit).where(OrgUnit.code == "DEMO-HUMLAN"))).scalar_one()
        members = (await s.execute(select(func.count()).select_from(Membership))).scalar_one()
    assert (fou[2018].name, fou[2018].valid_to, fou[2018].successor_id) == ("Familj och utbildning", 2018, fou[2019].id)
    assert (fou[2019].name, fou[2019].valid_to) == ("Barn och utbildning", None)
    assert {(u.valid_to, u.successor_id) for u in merged} == {(2018, till.id)}
    assert humlan.parent_id == fou[2018].id  # "FOU" valid in 2018 (the enhet's first year) is the 2018 version
    assert members > 0
    # The same file again changes nothing and records no new batch.
    again = await import_org(store, text.encode("cp1252"), at=AT, today=TODAY, file_name="org 2019.csv")
    assert again.ok and (again.created, again.updated) == (0, 0) and await batches(store, "org") == 1


async def test_bad_org_rows_are_reported_and_nothing_is_written(store: Store) -> None:
    before = await units(store)
    text = ("Kod;Namn;Typ;Överordnad;Giltig från;Giltig till\r\n"
            "NY1;Ny enhet;enhet;FINNSINTE;2018;\r\n"
            "NY2;;enhet;FOU;2018;\r\n"
            "NY3;Ny enhet 3;planet;FOU;2018;\r\n"
            "NY4;Ny enhet 4;enhet;FOU;tjugo;\r\n"
            "NY5;Ny enhet 5;enhet;FOU;2019;2018\r\n"
            "NY6;Ny enhet 6;verksamhetsområde;;2018;\r\n"
            "NY7;Ny enhet 7;enhet;FOU;2018;\r\n"
            "NY7;Ny enhet 7 igen;enhet;FOU;2018;\r\n"
            "CYA;A;enhet;CYB;2018;\r\n"
            "CYB;B;enhet;CYA;2018;\r\n"
            "FOU;Familj och utbildning;verksamhetsområde;HOO;2018;\r\n")
    report = await import_org(store, text.encode(), at=AT, today=TODAY)
    shown = "\n".join(report.lines())
    assert not report.written and await units(store) == before
    for expected in ("rad 2, överordnad: ”FINNSINTE” finns inte 2018", "rad 3, namn: namn saknas",
                     "rad 4, typ: ”planet” är ingen typ", "rad 5, giltig från: ”tjugo” är inget år",
                     "rad 6, giltig till: giltig till (2018) ligger före giltig från (2019)",
                     "rad 7, överordnad: ett verksamhetsområde behöver en överordnad enhet",
                     "rad 9, kod: NY7 från 2018 står redan på rad 8", "i en ring",
                     "rad 12, typ: ett verksamhetsområde kan inte ligga under verksamhetsområde Hälsa och omsorg"):
        assert expected in shown, shown
    assert "inget importerades" in shown and "rad 2, överordnad: en enhet behöver" not in shown
    assert "rad 8, överordnad: enheterna ligger under varandra i en ring" not in shown


# --- people ------------------------------------------------------------------------------------------------


PEOPLE = ("AAD-objekt-id;E-post;Namn;Enhet;Roll\r\n"
          "aaaaaaaa-0000-4000-8000-000000000001;anna.andersson@example.se;Anna Andersson;Förskolan Humlan;medarbetare\r\n"
          ";nils.nilsson@example.se;Nils Nilsson;Förskolan Humlan;medarbetare\r\n"
          ";nils.nilsson@example.se;Nils Nilsson;Snapphaneskolan;chef, medarbetare\r\n")


async def test_people_are_added_matched_and_linked_when_first_seen_in_teams(store: Store) -> None:
    await seed_demo(store, TODAY)
    report = await import_people(store, PEOPLE.encode("cp1252"), at=AT, today=TODAY, file_name="personal.csv")
    assert report.ok and report.written, report.lines()
    assert (report.created, report.updated, report.unchanged) == (1, 0, 1)
    assert report.summary["roles_granted"] == 3 and report.summary["deactivated"] == 0
    assert any("finns inte i filen och behölls" in w for w in report.warnings) is False  # demo people are not "missing"
    async with store.session() as s:
        nils = (await s.execute(select(Person).where(Person.upn == "nils.nilsson@example.se"))).scalar_one()
        roles = sorted((m.role, m.org_unit_id) for m in (await s.execute(
            select(Membership).where(Membership.person_id == nils.id))).scalars())
        grants = (await s.execute(select(AdminLog).where(AdminLog.action == "grant_role"))).scalars().all()
    assert nils.aad_object_id is None and len(roles) == 3 and len([g for g in grants
                                                                  if g.detail["person_id"] == nils.id]) == 3
    # Nils writes to Tavla: Teams' member lookup gives his UPN; the AAD id is linked to him (once).
    async with store.session() as s:
        assert await person_by_aad(s, NILS) is None
        linked = await link_teams_user(s, NILS, "Nils.Nilsson@example.se", at=AT)
        assert linked is not None and linked.name == "Nils Nilsson" and len(linked.roles) == 3
        other = await link_teams_user(s, "bbbbbbbb-0000-4000-8000-000000000099", "nils.nilsson@example.se", at=AT)
        assert other is None  # the UPN is taken now: nobody else gets Nils' roles
        assert await link_teams_user(s, "bbbbbbbb-0000-4000-8000-000000000098", "okand@example.se", at=AT) is None
    again = await import_people(store, PEOPLE.encode("cp1252"), at=AT, today=TODAY, file_name="personal.csv")
    assert again.ok and (again.created, again.updated) == (0, 0) and again.summary["roles_granted"] == 0
    assert await batches(store, "people") == 1


async def test_a_full_import_deactivates_the_missing_but_never_deletes_admins_or_history(store: Store) -> None:
    await seed_demo(store, TODAY)
    async with store.session() as s:
        real = Person(aad_object_id="bbbbbbbb-0000-4000-8000-000000000021", upn="olle@example.se", name="Olle Olsson")
        s.add(real)
        await s.flush()
        humlan = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "DEMO-HUMLAN"))).scalar_one()
        s.add(Membership(person_id=real.id, org_unit_id=humlan, role="chef"))
    before_people = await count(store, Person)
    report = await import_people(store, PEOPLE.encode("cp1252"), at=AT, today=TODAY, full=True)
    assert report.ok and report.written
    assert report.summary["deactivated"] == 1 and "Olle Olsson" in "\n".join(report.warnings)
    async with store.session() as s:
        olle = (await s.execute(select(Person).where(Person.upn == "olle@example.se"))).scalar_one()
        olle_roles = (await s.execute(select(Membership).where(Membership.person_id == olle.id))).scalars().all()
        admin = (await s.execute(select(Person).where(Person.name == "Tavla Admin"))).scalar_one()
        logs = (await s.execute(select(AdminLog.action).where(AdminLog.action.in_(
            ("deactivate_person", "revoke_role"))))).scalars().all()
    assert not olle.active and [m.active for m in olle_roles] == [False]
    assert admin.active and await count(store, Person) == before_people + 1  # nobody deleted; Nils added
    assert sorted(logs) == ["deactivate_person", "revoke_role"]


async def count(store: Store, model: Any) -> int:
    async with store.session() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def test_bad_people_rows_write_nothing(store: Store) -> None:
    await seed_demo(store, TODAY)
    text = ("AAD;E-post;Namn;Enhet;Roll\r\n"
            "inte-ett-guid;x@example.se;X;;\r\n"
            ";inte-en-adress;Y;;\r\n"
            ";;Z;;\r\n"
            ";ny@example.se;;;\r\n"
            ";p@example.se;P;Månbasen;chef\r\n"
            ";q@example.se;Q;Förskolan Humlan;kung\r\n"
            "aaaaaaaa-0000-4000-8000-000000000002;anna.andersson@example.se;Bo Berg;;\r\n")
    before = await count(store, Person), await count(store, Membership)
    report = await import_people(store, text.encode(), at=AT, today=TODAY)
    shown = "\n".join(report.lines())
    for expected in ("rad 2, aad: ”inte-ett-guid” är inget AAD-objekt-id", "rad 3, e-post: ”inte-en-adress” är ingen",
                     "rad 4, aad: varken AAD-objekt-id eller e-post", "rad 5, namn: namn saknas för en ny person",
                     "rad 6, enhet: ”Månbasen” finns inte 2018", "rad 7, roll: ”kung” är ingen roll",
                     "rad 8, e-post: anna.andersson@example.se tillhör redan Anna Andersson"):
        assert expected in shown, shown
    assert not report.written and (await count(store, Person), await count(store, Membership)) == before


# --- goals and targets ---------------------------------------------------------------------------------------


async def test_verksamhetsmal_for_a_new_year_linked_to_forvaltningsmal(store: Store) -> None:
    rows = [["Verksamhetsområde", "År", "Verksamhetsmål", "Överordnat mål", "Beskrivning"],
            ["Hälsa och omsorg", 2019, "Alla brukare har en aktuell genomförandeplan", "Attraktiv arbetsgivare", ""],
            ["HOO", 2019, "Fler äldre bor kvar hemma", "Digitalisering", "Välfärdsteknik"],
            ["Familj och utbildning", 2019, "Fler barn rör sig varje dag", "attraktiv-arbetsgivare", ""]]
    report = await import_goals(store, xlsx(rows), at=AT, today=TODAY, file_name="mål 2019.xlsx")
    assert report.ok and report.written and report.created == 3, report.lines()
    assert dict(report.totals) == {"Hälsa och omsorg": 2, "Familj och utbildning": 1} and report.period == "2019"
    assert any("”Attraktiv arbetsgivare” gäller t.o.m. 2018" in w for w in report.warnings)  # the 2018 årsplan's
    async with store.session() as s:
        goals = (await s.execute(select(Goal).where(Goal.kind == "verksamhetsmal"))).scalars().all()
        parents = {g.id: g.code for g in (await s.execute(select(Goal))).scalars()}
    assert {(g.year_from, g.year_to) for g in goals} == {(2019, 2019)}
    assert {parents[g.parent_id] for g in goals} == {"attraktiv-arbetsgivare", "digitalisering"}
    again = await import_goals(store, xlsx(rows), at=AT, today=TODAY, file_name="mål 2019.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    bad = await import_goals(store, xlsx([rows[0], ["Månbasen", 2019, "X", "Attraktiv arbetsgivare"],
                                          ["Hälsa och omsorg", 2019, "Y", "Vision"],
                                          ["Hälsa och omsorg", 2019, "", "Attraktiv arbetsgivare"]]), at=AT, today=TODAY)
    shown = "\n".join(bad.lines())
    assert "”Månbasen” är inget verksamhetsområde 2019" in shown and "”Vision” är inget förvaltningsmål" in shown
    assert "verksamhetsmål saknas" in shown and not bad.written


async def test_targets_for_new_years_leave_earlier_years_untouched(store: Store) -> None:
    async with store.session() as s:
        frisk = (await s.execute(select(Indicator).where(Indicator.code == "frisknarvaro"))).scalar_one()
        stored_2018 = (await s.execute(select(IndicatorTarget).where(
            IndicatorTarget.indicator_id == frisk.id, IndicatorTarget.year == 2018))).scalar_one()
        before_2018 = (stored_2018.low, stored_2018.high, stored_2018.label)
    wide = ("Indikator;Målnivå 2018;Målnivå 2019;Målnivå 2020\r\n"
            "Frisknärvaro;95;95,5;96\r\n"
            "Personalomsättning;5–8;5–7;\r\n").encode("cp1252")
    as_of_2019 = date(2019, 2, 1)
    report = await import_targets(store, wide, at=AT, today=as_of_2019, file_name="målnivåer.csv")
    assert report.ok and report.written, report.lines()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 2) and report.period == "2018, 2019, 2020"
    async with store.session() as s:
        got = {(t.year): (t.low, t.high, t.label) for t in (await s.execute(select(IndicatorTarget).where(
            IndicatorTarget.indicator_id == frisk.id))).scalars()}
    assert got[2018] == before_2018
    assert got[2019][:2] == (Decimal("95.5"), None) and got[2019][2] == "Målnivå 2019"
    assert got[2020][0] == Decimal("96")
    # A different 2018 level is refused as of 2019; the whole file writes nothing.
    changed = ("Indikator;År;Målnivå\r\nFrisknärvaro;2018;90\r\nFrisknärvaro;2021;97\r\n").encode()
    refused = await import_targets(store, changed, at=AT, today=as_of_2019)
    assert not refused.written and "tidigare år ändras inte" in "\n".join(refused.lines())
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(IndicatorTarget).where(
            IndicatorTarget.year == 2021))).scalar_one() == 0
    wrong = ("Indikator;År;Målnivå\r\nPersonalomsättning;2019;6\r\nFrisknärvaro;2019;90–95\r\nOkänd;2019;1\r\n").encode()
    shown = "\n".join((await import_targets(store, wrong, at=AT, today=as_of_2019)).lines())
    assert "är ett intervall" in shown and "har ett gränsvärde" in shown and "okänd indikator ”Okänd”" in shown


# --- the commands ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("cli-org") / "tavla.sqlite3"
    env = {"DATABASE_URL": sqlite_url(path), "TAVLA_AS_OF": "2018-05-15"}
    result = tavla("seed", "--demo", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_import_commands(cli_db: dict[str, str], tmp_path: Path) -> None:
    people = tmp_path / "personal.csv"
    people.write_bytes(PEOPLE.encode("cp1252"))
    checked = tavla("import", "people", str(people), "--kontrollera", env=cli_db)
    assert checked.returncode == 0, checked.stderr
    assert "Skulle läsa in: 1 nya" in checked.stdout and "Kontroll: inget är skrivet." in checked.stdout
    done = tavla("import", "people", str(people), "--av", "tavla.admin@example.se", env=cli_db)
    assert done.returncode == 0 and "Inläst: 1 nya" in done.stdout
    org = tmp_path / "org.csv"
    org.write_bytes("Kod;Namn;Överordnad\r\nX;Y;Månbasen\r\n".encode())
    bad = tavla("import", "org", str(org), env=cli_db)
    assert bad.returncode == 1 and "rad 2, överordnad: ”Månbasen” finns inte 2018" in bad.stdout
    missing = tavla("import", "targets", str(tmp_path / "nej.csv"), env=cli_db)
    assert missing.returncode == 1 and "finns inte" in missing.stderr and len(missing.stderr.splitlines()) == 1
    goals = tmp_path / "mal.csv"
    goals.write_bytes("Verksamhetsområde;Verksamhetsmål;Överordnat mål;År\r\nHOO;Trygg hemtjänst;Attraktiv arbetsgivare;"
                      "2019\r\n".encode())
    assert tavla("import", "goals", str(goals), env=cli_db).returncode == 0

    async def check() -> tuple[int, int]:
        store = Store.from_url(cli_db["DATABASE_URL"])
        try:
            async with store.session() as s:
                batch = (await s.execute(select(ImportBatch).where(ImportBatch.kind == "people"))).scalar_one()
                admin = (await s.execute(select(Person.id).where(Person.name == "Tavla Admin"))).scalar_one()
                return batch.imported_by_id or 0, admin
        finally:
            await store.dispose()

    by, admin = asyncio.run(check())
    assert by == admin
