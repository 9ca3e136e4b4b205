"""``tavla import handlingsplaner``: Swedish CSV and Excel, whole-file validation, one transaction, idempotent
re-import, updates through the versioned update and its log — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from storage import plans
from storage.db import Store
from storage.demo import seed_demo
from storage.import_plans import import_plans, parse_date
from storage.importing import ImportFileError
from storage.models import Activity, ActivityUpdate, ActionPlan, Goal, ImportBatch

AT = datetime(2018, 5, 15, 8, 0, tzinfo=timezone.utc)
TODAY = date(2018, 5, 15)
HEADER = "Enhet;Verksamhetsmål;Överordnat mål;Aktivitet;Ansvarig;Start;Klart;Status;Procent;Beskrivning\r\n"
GOOD = (
    HEADER
    + "Förskolan Humlan;Alla nyanställda i Familj och utbildning får en strukturerad introduktion under sin första "
      "månad;;Välkomstfika för nya vikarier;anna.andersson@example.se;2018-05-01;30/6;Pågår;40 %;Varje måndag\r\n"
    + "DEMO-HUMLAN;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Utegympa på förskolegården;Bo Berg;;"
      "2018-09-30;Ej påbörjad;;\r\n"
    + "Hemtjänst Knislinge;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Promenadgrupp;Fatima Fors;;30/8/2018;"
      "Klar;;\r\n"
)


@pytest.fixture
async def demo(store: Store) -> Store:
    await seed_demo(store, TODAY)
    return store


async def state(store: Store) -> tuple[Any, ...]:
    async with store.session() as s:
        acts = sorted((a.id, a.version, a.status, a.progress, a.owner_id, a.deadline)
                      for a in (await s.execute(select(Activity))).scalars())
        counts = [(await s.execute(select(func.count(m.id)))).scalar_one()
                  for m in (ActivityUpdate, ActionPlan, Goal, ImportBatch)]
    return acts, counts


async def run(store: Store, text: str, encoding: str = "cp1252", **kwargs: Any) -> Any:
    return await import_plans(store, text.encode(encoding), at=AT, today=TODAY, file_name="plan.csv", **kwargs)


async def test_import_creates_plans_goals_and_activities_with_the_log(demo: Store) -> None:
    before = await state(demo)
    report = await run(demo, GOOD)
    assert report.written and not report.problems, report.lines()
    assert (report.created, report.updated, report.unchanged, report.goals_created, report.plans_created) == (3, 0, 0,
                                                                                                              2, 2)
    assert "cp1252" in report.read_as and report.batch_id is not None
    async with demo.session() as s:
        views = {v.title: v for v in await plans.list_activities(s, year=2018)}
        goal = (await s.execute(select(Goal).where(Goal.title == "Fler barn rör sig varje dag"))).scalars().all()
        batch = await s.get(ImportBatch, report.batch_id)
        log = (await s.execute(select(ActivityUpdate).where(
            ActivityUpdate.activity_id == views["Promenadgrupp"].id))).scalar_one()
    fika = views["Välkomstfika för nya vikarier"]
    assert (fika.unit_name, fika.owner_name, fika.status, fika.progress) == ("Förskolan Humlan", "Anna Andersson",
                                                                            "pagar", 40)
    assert (fika.start_date, fika.deadline, fika.description) == (date(2018, 5, 1), date(2018, 6, 30), "Varje måndag")
    assert fika.goal_title.startswith("Alla nyanställda")  # the existing demo goal, by title
    walk = views["Promenadgrupp"]
    assert (walk.status, walk.progress, walk.deadline) == ("klar", 100, date(2018, 8, 30))  # Klar ⇒ 100 %
    # One new verksamhetsmål per verksamhetsområde, under the named förvaltningsmål.
    assert len(goal) == 2 and {g.kind for g in goal} == {"verksamhetsmal"} and len({g.org_unit_id for g in goal}) == 2
    assert batch.kind == "handlingsplaner" and batch.rows == 3 and batch.summary["created"] == 3
    assert (log.via, log.version, log.comment) == ("import", 1, "Import: plan.csv")
    acts, counts = await state(demo)
    assert len(acts) == len(before[0]) + 3 and counts[3] == before[1][3] + 1


async def test_reimport_changes_nothing_and_a_changed_row_is_a_logged_update(demo: Store) -> None:
    await run(demo, GOOD)
    after_first = await state(demo)
    again = await run(demo, GOOD)
    assert again.written and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert "Inget ändrades" in "\n".join(again.lines())
    assert await state(demo) == after_first  # no new log rows, no new batch
    changed = await run(demo, GOOD.replace("Pågår;40 %", "Pågår;70 %"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    async with demo.session() as s:
        fika = next(v for v in await plans.list_activities(s, year=2018) if v.title == "Välkomstfika för nya vikarier")
        last = (await plans.history(s, fika.id))[0]
    assert (fika.progress, fika.version) == (70, 2)
    assert (last.via, last.old, last.new) == ("import", {"progress": 40}, {"progress": 70})


async def test_a_bad_row_anywhere_writes_nothing_and_every_problem_is_reported(demo: Store) -> None:
    before = await state(demo)
    bad = (GOOD
           + "Månbasen;Fler barn rör sig varje dag;Attraktiv arbetsgivare;X;;;;;;\r\n"
           + "Familj och utbildning;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Y;;;;;;\r\n"
           + "Förskolan Humlan;Ett helt nytt mål;;Z;;;;;;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Å;Okänd Person;;;;;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Ä;;;31/4;;;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Ö;;;;Klar;60;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;P;;;;Avbruten;150;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Utegympa på förskolegården;;;;;;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;;;;;;;\r\n"
           + "Förskolan Humlan;Fler barn rör sig varje dag;Okänt mål;Q;;2018-06-01;2018-05-01;;;\r\n")
    report = await run(demo, bad)
    assert not report.written
    text = "\n".join(report.lines())
    for expected in ("rad 5, enhet: ”Månbasen” finns inte",
                     "rad 6, enhet: ”Familj och utbildning” är ingen enhet",
                     "rad 7, verksamhetsmål: verksamhetsmålet ”Ett helt nytt mål” finns inte; ange dess överordnade",
                     "rad 8, ansvarig: ”Okänd Person” finns inte i Tavla",
                     "rad 9, klart: datumet ”31/4” finns inte",
                     "rad 10, status: Klar betyder 100 %",
                     "rad 11, status: ”Avbruten” är ingen status",
                     "rad 11, procent: ”150” är inget heltal 0–100",
                     "rad 12, aktivitet: samma aktivitet finns redan på rad 3",
                     "rad 13, aktivitet: aktivitet saknas",
                     "rad 14, överordnat mål: ”Okänt mål” finns inte",
                     "rad 14, start: startdatum efter slutdatum",
                     "10 rader har fel – inget importerades"):
        assert expected in text, (expected, text)
    assert await state(demo) == before
    skipped = await run(demo, bad, skip_invalid=True)
    assert skipped.written and skipped.created == 3 and "10 rader hoppades över" in "\n".join(skipped.lines())


async def test_excel_with_date_cells(demo: Store) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["enhet", "verksamhetsmål", "aktivitet", "ansvarig", "klart", "status", "procent", "år"])
    sheet.append(["Snapphaneskolan", "Barn och elever använder digitala verktyg i sitt lärande varje vecka",
                  "Skolbibliotek med e-böcker", "Dana Dahl", datetime(2018, 11, 30), "pågår", 0.25 * 100, 2018])
    buffer = io.BytesIO()
    book.save(buffer)
    report = await import_plans(demo, buffer.getvalue(), at=AT, today=TODAY, file_name="plan.xlsx")
    assert report.written and report.created == 1, report.lines()
    async with demo.session() as s:
        view = next(v for v in await plans.list_activities(s, year=2018) if v.title == "Skolbibliotek med e-böcker")
    assert (view.deadline, view.status, view.progress, view.owner_name) == (date(2018, 11, 30), "pagar", 25, "Dana Dahl")


async def test_missing_columns_and_empty_files_are_one_clear_error(demo: Store) -> None:
    with pytest.raises(ImportFileError) as info:
        await run(demo, "Enhet;Namn\r\nFörskolan Humlan;X\r\n")
    assert "Kolumner saknas" in info.value.text("sv") and "verksamhetsmål" in info.value.text("sv").lower()
    with pytest.raises(ImportFileError):
        await run(demo, "")
    report = await run(demo, HEADER, encoding="utf-8")
    assert not report.written and "Inget att importera" in "\n".join(report.lines())


def test_parse_date() -> None:
    assert parse_date("2018-04-30", 2018) == date(2018, 4, 30)
    assert parse_date("2018-04-30 00:00:00", 2018) == date(2018, 4, 30)
    assert parse_date("30/4", 2019) == date(2019, 4, 30)
    assert parse_date("30/4/18", 2019) == date(2018, 4, 30)
    for bad in ("31/4", "i morgon", "2018-13-01"):
        with pytest.raises(ValueError):
            parse_date(bad, 2018)
