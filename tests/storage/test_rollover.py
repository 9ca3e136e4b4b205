"""A year rollover with 2018 and 2019 data: a new internbudget, new målnivåer and verksamhetsmål are
imported, unfinished activities are carried over in chat (chef only) — then questions as of 2019 show 2019,
questions naming 2018 show 2018, and the history of 2018 is intact. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from settings import Settings
from storage import rollover
from storage.db import Store
from storage.demo import seed_demo
from storage.import_budget import import_budget
from storage.import_goals import import_goals
from storage.import_targets import import_targets
from storage.models import (
    Activity,
    ActivityUpdate,
    ActionPlan,
    BudgetLine,
    Goal,
    IndicatorTarget,
    OrgUnit,
    Utfall,
)
from tests.support.harness import ANNA, User, card_text, running

SEED = Path(__file__).resolve().parents[2] / "storage" / "seed"
BO = User("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002")  # chef Förskolan Humlan
AS_OF_2019 = Settings(database_url="sqlite+aiosqlite:///unused", as_of="2019-03-15", scheduler=False)
AT_2019 = datetime(2019, 1, 10, 8, 0, tzinfo=timezone.utc)
INTRO = "Alla nyanställda i Familj och utbildning får en strukturerad introduktion under sin första månad"


async def snapshot_2018(store: Store) -> dict[str, Any]:
    """Everything of 2018 a rollover must not change (activity versions aside: the carry-over note is logged)."""
    async with store.session() as s:
        lines = sorted((b.org_unit_id, b.verksamhet, b.net_cost) for b in (await s.execute(
            select(BudgetLine).where(BudgetLine.year == 2018))).scalars())
        utfall = (await s.execute(select(func.count(), func.sum(Utfall.amount)).where(Utfall.year == 2018))).one()
        targets = sorted((t.indicator_id, t.low, t.high, t.label) for t in (await s.execute(
            select(IndicatorTarget).where(IndicatorTarget.year == 2018))).scalars())
        activities = sorted((a.id, a.plan_id, a.title, a.status, a.progress, a.owner_id, a.deadline) for a in (
            await s.execute(select(Activity).join(ActionPlan).where(ActionPlan.year == 2018))).scalars())
        updates = sorted((u.id, u.activity_id, u.version, repr(u.new)) for u in (await s.execute(
            select(ActivityUpdate))).scalars())
        units = sorted((u.id, u.name, u.valid_from, u.valid_to) for u in (await s.execute(select(OrgUnit))).scalars())
    return {"lines": lines, "utfall": tuple(utfall), "targets": targets, "activities": activities, "updates": updates,
            "units": units}


@pytest.fixture
async def two_years(store: Store) -> Store:
    """2018: the Årsplan and the exempeldata. 2019: a new internbudget, målnivåer and one verksamhetsmål."""
    await seed_demo(store, date(2018, 5, 15))
    budget = (SEED / "budget_2018.csv").read_text(encoding="utf-8").replace(
        "HOO;1;Äldreomsorg;150 853,2", "HOO;1;Äldreomsorg;155 000,0")
    report = await import_budget(store, budget.encode("utf-8"), file_name="internbudget 2019.csv")
    assert report.written and report.year == 2019, report.text()
    targets = "Indikator;Målnivå 2019\r\nFrisknärvaro;95,5\r\nPersonalomsättning;5–7\r\n".encode("cp1252")
    assert (await import_targets(store, targets, at=AT_2019, today=date(2019, 1, 10))).written
    goals = f"Verksamhetsområde;År;Verksamhetsmål;Överordnat mål\r\nFamilj och utbildning;2019;{INTRO};" \
            "Attraktiv arbetsgivare\r\n"
    assert (await import_goals(store, goals.encode(), at=AT_2019, today=date(2019, 1, 10))).written
    return store


async def test_questions_as_of_2019_show_2019_and_2018_is_intact(two_years: Store) -> None:
    store = two_years
    before = await snapshot_2018(store)
    async with running(store, AS_OF_2019) as h:
        # Budget: this year (2019) by default, 2018 when named.
        got = await h.ask("budget äldreomsorg")
        text = card_text(got[0].cards[0])
        assert "155 000,0 tkr" in text and "2019" in text and "Inget utfall registrerat än för 2019" in text
        assert "Visar läget 15 mars 2019" in text
        text = card_text((await h.ask("budget förskola 2018"))[0].cards[0])
        assert "85 734,6 tkr" in text and "Budget 2018" in text
        text = card_text((await h.ask("budget äldreomsorg 2019"))[0].cards[0])
        assert "155 000,0 tkr" in text
        # Indicators: judged against the 2019 målnivå.
        text = card_text((await h.ask("frisknärvaro"))[0].cards[0])
        assert "Målnivå 2019" in text and "95,5" in text

        # Carry over: a medarbetare may not, the chef may (preview, then the button).
        refused = card_text((await h.ask("för över ej klara aktiviteter till 2019", ANNA))[0].cards[0])
        assert "Bara chefer för enheten" in refused
        preview = (await h.ask("för över ej klara aktiviteter till 2019", BO))[0].cards[0]
        text = card_text(preview)
        assert "För över till 2019" in text and "Förskolan Humlan" in text
        assert "Mentorskap för nya förskollärare" in text
        button = preview["actions"][0]
        assert button["verb"] == "year.carry_over" and button["data"]["to"] == 2019
        # Tampered card data (someone else's enhet) is refused and carries nothing.
        async with store.session() as s:
            knislinge = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "DEMO-HT-KNISLINGE"))).scalar_one()
        tampered = await h.press(button["verb"], {**button["data"], "units": [knislinge]}, BO)
        assert "Bara chefen för Hemtjänst Knislinge" in tampered["value"]
        body = await h.press(button["verb"], button["data"], BO)
        result = card_text(body["value"])
        count = int(result.split(" aktiviteter är överförda")[0].split()[-1])
        assert count >= 5 and "Förskolan Humlan" in result
        assert "Barn och elever använder digitala verktyg" in result  # no 2019 goal of that name: kept, said
        again = card_text((await h.ask("för över ej klara aktiviteter till 2019", BO))[0].cards[0])
        assert "Inga ej klara aktiviteter från 2018 att föra över" in again
        # "mina aktiviteter" as of 2019: the carried ones.
        text = card_text((await h.ask("mina aktiviteter", BO))[0].cards[0])
        assert "Mentorskap för nya förskollärare" in text

    after = await snapshot_2018(store)
    assert after["lines"] == before["lines"] and after["utfall"] == before["utfall"]
    assert after["targets"] == before["targets"] and after["units"] == before["units"]
    assert after["activities"] == before["activities"]  # same plans, titles, statuses, progress, owners, deadlines
    assert set(before["updates"]) <= set(after["updates"])  # every 2018 log row is still there
    async with store.session() as s:
        carried = (await s.execute(select(Activity, ActionPlan.year, Goal.title, Goal.year_from).join(
            ActionPlan, ActionPlan.id == Activity.plan_id).join(Goal, Goal.id == ActionPlan.goal_id)
            .where(Activity.carried_from_id.is_not(None)))).all()
        originals = {a.id: a for a in (await s.execute(select(Activity).where(
            Activity.id.in_([c.carried_from_id for c, *_ in carried])))).scalars()}
        notes = (await s.execute(select(func.count()).select_from(ActivityUpdate).where(
            ActivityUpdate.comment == "Överförd till 2019"))).scalar_one()
    assert len(carried) == count == notes
    for activity, year, goal_title, goal_year in carried:
        old = originals[activity.carried_from_id]
        assert year == 2019 and (activity.title, activity.status, activity.progress, activity.owner_id) == (
            old.title, old.status, old.progress, old.owner_id)
        assert activity.deadline is None or activity.deadline.year >= 2019
        if goal_title == INTRO:
            assert goal_year == 2019  # hung from the 2019 verksamhetsmål of the same name
    assert any(goal_title == INTRO for _, _, goal_title, _ in carried)


async def test_carry_over_is_idempotent_and_leaves_klar_behind(two_years: Store) -> None:
    store = two_years
    async with store.session() as s:
        humlan = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "DEMO-HUMLAN"))).scalar_one()
        first = await rollover.carry_over(s, [humlan], 2018, 2019, person_id=None, at=AT_2019)
    async with store.session() as s:
        second = await rollover.carry_over(s, [humlan], 2018, 2019, person_id=None, at=AT_2019)
        klar = (await s.execute(select(func.count()).select_from(Activity).join(ActionPlan).where(
            ActionPlan.year == 2019, Activity.status == "klar"))).scalar_one()
        plans_2019 = (await s.execute(select(func.count()).select_from(ActionPlan).where(
            ActionPlan.year == 2019))).scalar_one()
    assert first.carried > 0 and first.plans_created == plans_2019 and second.carried == 0
    assert klar == 0 and Decimal(first.carried) == Decimal(sum(first.per_unit.values()))


async def test_naming_an_earlier_year_finds_a_line_whose_name_starts_with_a_swedish_capital(two_years: Store) -> None:
    """SQLite's lower() is ASCII-only: 'Äldreomsorg' must still be found for 2018 when the catalog is 2019's."""
    async with running(two_years, AS_OF_2019) as h:
        text = card_text((await h.ask("budget äldreomsorg 2018"))[0].cards[0])
    assert "150 853,2 tkr" in text and "Budget 2018" in text
