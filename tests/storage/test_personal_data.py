"""Register extract (everything about one person, nothing about others) and gallring by rule (only what a
named rule allows, logged; allmänna handlingar only with the dokumenthanteringsplan's decision) — SQLite and
PostgreSQL; and the two commands."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from followup.errors import UserError
from storage import files, plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import (
    ActivityUpdate,
    AdminLog,
    BotState,
    Conversation,
    DigestRun,
    DigestSubscription,
    ImportBatch,
    OrgUnit,
    Person,
    ReminderRun,
)
from storage.personal_data import RULES, find_person, gallra, register_extract
from storage.state_repo import StateRepo
from tests.bot.test_cli import sqlite_url, tavla

OLD = datetime(2017, 3, 1, 8, 0, tzinfo=timezone.utc)
NEW = datetime(2018, 5, 14, 8, 0, tzinfo=timezone.utc)
AT = datetime(2018, 5, 15, 8, 0, tzinfo=timezone.utc)
ANNA_AAD = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture
async def demo(store: Store) -> Store:
    await seed_demo(store, date(2018, 5, 15))
    return store


async def test_register_extract_has_everything_about_the_person_and_nothing_else(demo: Store) -> None:
    async with demo.session() as s:
        anna = await find_person(s, "anna.andersson@example.se")
        s.add(Conversation(conversation_id="a:personal-anna", conversation_type="personal", service_url="https://x",
                           person_id=anna.id, reference={"user": {"aadObjectId": ANNA_AAD}}))
        await StateRepo(s).write("msteams/conversations/a:personal-anna/users/29:anna/tavla", {"dialog": "open"})
        await StateRepo(s).write("msteams/conversations/a:personal-bo/users/29:bo/tavla", {"dialog": "bo's"})
    await files.save_pending(demo, kind="utfall", file_name="anna.csv", data=b"Period;Belopp\r\n", person_id=anna.id,
                             conversation_id="a:personal-anna", preview=files.Preview("utfall", "anna.csv"), at=AT)
    async with demo.session() as s:
        extract = await register_extract(s, await find_person(s, "Anna Andersson"))
        bo = await find_person(s, "Bo Berg")
        bo_updates = (await s.execute(select(func.count()).select_from(ActivityUpdate).where(
            ActivityUpdate.person_id == bo.id))).scalar_one()
    assert extract["person"]["namn"] == "Anna Andersson" and extract["person"]["aad_objekt_id"] == ANNA_AAD
    assert [(r["roll"], r["enhet"]) for r in extract["roller"]] == [("medarbetare", "Förskolan Humlan")]
    owned = {a["titel"] for a in extract["ansvarig_för_aktiviteter"]}
    assert "Digital introduktion för nyanställda" in owned and "Mentorskap för nya förskollärare" not in owned
    assert extract["ändringar_i_handlingsplaner"] and bo_updates > 0
    texts = json.dumps(extract, ensure_ascii=False)
    assert "bo's" not in texts  # Bo's dialog state is not Anna's
    states = {s["nyckel"]: s for s in extract["sparat_tillstånd"]}
    assert "msteams/conversations/a:personal-anna/users/29:anna/tavla" in states
    pending = next(s for k, s in states.items() if k.startswith("tavla:pending-import:"))
    assert pending["innehåll"]["data"] == "<fil, 15 byte>"  # the file's size, not its bytes
    assert extract["chattar_med_tavla"][0]["konversation"] == "a:personal-anna"
    json.dumps(extract)  # plain JSON all through (dates and Decimals as text)
    with pytest.raises(UserError, match="Hittar ingen"):
        async with demo.session() as s:
            await find_person(s, "Ingen Alls")


async def _fill(store: Store) -> None:
    """Old and new rows of every kind a rule names, and of kinds no rule names."""
    async with store.session() as s:
        repo = StateRepo(s)
        for key in ("msteams/conversations/a:1/users/29:1/tavla", "msteams/conversations/a:2/users/29:2/tavla",
                    "tavla:pending-import:gammal-token-123", "tavla:pending-import:ny-token-12345",
                    "tavla:something-else-old"):
            await repo.write(key, {"k": key})
        await s.execute(BotState.__table__.update().where(BotState.key.in_((
            "msteams/conversations/a:1/users/29:1/tavla", "tavla:pending-import:gammal-token-123",
            "tavla:something-else-old"))).values(updated_at=OLD))
        root = (await s.execute(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).scalar_one()
        conv = Conversation(conversation_id="19:c", service_url="https://x", conversation_type="channel")
        s.add(conv)
        await s.flush()
        sub = DigestSubscription(conversation_pk=conv.id, scope_org_unit_id=root)
        s.add(sub)
        await s.flush()
        s.add_all([DigestRun(subscription_id=sub.id, iso_year=2017, iso_week=9, state="sent", claimed_at=OLD),
                   DigestRun(subscription_id=sub.id, iso_year=2017, iso_week=10, state="claimed", claimed_at=OLD),
                   DigestRun(subscription_id=sub.id, iso_year=2018, iso_week=19, state="sent", claimed_at=NEW)])
        person = (await s.execute(select(Person.id).limit(1))).scalar_one()
        s.add_all([ReminderRun(person_id=person, org_unit_id=root, meeting_date=date(2017, 3, 6), state="sent"),
                   ReminderRun(person_id=person, org_unit_id=root, meeting_date=date(2018, 5, 14), state="sent")])
        s.add_all([ImportBatch(kind="utfall", file_name="old.csv", rows=3, imported_at=OLD, summary={"x": 1}),
                   ImportBatch(kind="utfall", file_name="new.csv", rows=3, imported_at=NEW, summary={"x": 2})])
        activity = (await plans.list_activities(s, year=2018))[0]
        await plans.update_activity(s, activity.id, activity.version, {}, person_id=None, via="chat", at=OLD,
                                    comment="gammal kommentar")


async def _state(store: Store) -> dict[str, Any]:
    async with store.session() as s:
        return {
            "keys": sorted((await s.execute(select(BotState.key))).scalars()),
            "runs": sorted((r.iso_week, r.state) for r in (await s.execute(select(DigestRun))).scalars()),
            "reminders": sorted(r.meeting_date for r in (await s.execute(select(ReminderRun))).scalars()),
            "summaries": sorted((b.file_name, json.dumps(b.summary)) for b in (await s.execute(
                select(ImportBatch).where(ImportBatch.file_name.in_(("old.csv", "new.csv"))))).scalars()),
            "updates": (await s.execute(select(func.count()).select_from(ActivityUpdate))).scalar_one(),
            "old_updates": (await s.execute(select(func.count()).select_from(ActivityUpdate).where(
                ActivityUpdate.at < datetime(2018, 1, 1, tzinfo=timezone.utc)))).scalar_one(),
            "log": (await s.execute(select(func.count()).select_from(AdminLog))).scalar_one(),
        }


async def test_each_rule_thins_only_what_it_names_and_is_logged(demo: Store) -> None:
    await _fill(demo)
    before = await _state(demo)
    async with demo.session() as s:  # a trial run counts and changes nothing (not even the log)
        trial = await gallra(s, list(RULES)[:-1], date(2018, 1, 1), by_id=None, at=AT, dry_run=True)
    assert [t.count for t in trial] == [1, 1, 1, 1, 1] and await _state(demo) == before

    async with demo.session() as s:
        done = await gallra(s, ["dialogtillstand"], date(2018, 1, 1), by_id=None, at=AT)
    after = await _state(demo)
    assert done[0].count == 1
    assert set(before["keys"]) - set(after["keys"]) == {"msteams/conversations/a:1/users/29:1/tavla"}
    assert "tavla:something-else-old" in after["keys"] and "tavla:pending-import:gammal-token-123" in after["keys"]
    assert {k: v for k, v in after.items() if k not in ("keys", "log")} == \
           {k: v for k, v in before.items() if k not in ("keys", "log")}

    async with demo.session() as s:
        await gallra(s, ["vantande-importer", "sammanfattningskorningar", "paminnelsekorningar",
                         "importsammanfattningar"], date(2018, 1, 1), by_id=None, at=AT)
    after = await _state(demo)
    assert "tavla:pending-import:gammal-token-123" not in after["keys"]
    assert "tavla:pending-import:ny-token-12345" in after["keys"] and "tavla:something-else-old" in after["keys"]
    assert after["runs"] == [(10, "claimed"), (19, "sent")]  # the in-flight claim stays
    assert after["reminders"] == [date(2018, 5, 14)]
    assert after["summaries"] == [("new.csv", '{"x": 2}'), ("old.csv", '{"gallrad": "2018-01-01"}')]
    assert after["updates"] == before["updates"]  # activity logs are allmänna handlingar: untouched
    async with demo.session() as s:
        logs = (await s.execute(select(AdminLog).where(AdminLog.action == "gallring").order_by(AdminLog.id))
                ).scalars().all()
    assert len(logs) == 2 and logs[1].detail["kinds"] == {"vantande-importer": 1, "sammanfattningskorningar": 1,
                                                          "paminnelsekorningar": 1, "importsammanfattningar": 1}
    assert after["log"] == before["log"] + 2


async def test_activity_logs_only_with_the_dokumenthanteringsplan_named(demo: Store) -> None:
    await _fill(demo)
    before = await _state(demo)
    with pytest.raises(UserError, match="allmänna handlingar"):
        async with demo.session() as s:
            await gallra(s, ["aktivitetsloggar"], date(2018, 1, 1), by_id=None, at=AT)
    with pytest.raises(UserError, match="framtiden"):
        async with demo.session() as s:
            await gallra(s, ["dialogtillstand"], date(2019, 1, 1), by_id=None, at=AT)
    with pytest.raises(UserError, match="Okänd gallringsregel"):
        async with demo.session() as s:
            await gallra(s, ["allt"], date(2018, 1, 1), by_id=None, at=AT)
    assert await _state(demo) == before
    async with demo.session() as s:
        done = await gallra(s, ["aktivitetsloggar"], date(2018, 1, 1), by_id=None, at=AT,
                            reference="Dokumenthanteringsplan KS 2019/123 punkt 4.2")
        log = (await s.execute(select(AdminLog).where(AdminLog.action == "gallring"))).scalar_one()
    after = await _state(demo)
    assert done[0].count == before["old_updates"] == 1 and after["old_updates"] == 0
    assert after["updates"] == before["updates"] - 1 and after["keys"] == before["keys"]
    assert log.detail["reference"] == "Dokumenthanteringsplan KS 2019/123 punkt 4.2"


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("cli-pd") / "tavla.sqlite3"
    env = {"DATABASE_URL": sqlite_url(path), "TAVLA_AS_OF": "2018-05-15"}
    result = tavla("seed", "--demo", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_export_person_and_gallra_commands(cli_db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "anna.json"
    result = tavla("export", "person", "anna.andersson@example.se", "--out", str(out), "--av", "Tavla Admin",
                   env=cli_db)
    assert result.returncode == 0, result.stderr
    assert "Registerutdrag för Anna Andersson skrivet till" in result.stderr
    extract = json.loads(out.read_text(encoding="utf-8"))
    assert extract["person"]["e_post"] == "anna.andersson@example.se" and extract["roller"]
    unknown = tavla("export", "person", "Ingen Alls", env=cli_db)
    assert unknown.returncode == 1 and "Hittar ingen person" in unknown.stderr
    trial = tavla("gallra", "--before", "2018-01-01", "--kind", "dialogtillstand", "--prova", env=cli_db)
    assert trial.returncode == 0 and "Skulle gallra 0 – dialogtillstånd" in trial.stdout
    refused = tavla("gallra", "--before", "2018-01-01", "--kind", "aktivitetsloggar", env=cli_db)
    assert refused.returncode == 1 and "--enligt" in refused.stderr
    bad = tavla("gallra", "--before", "2018-01-01", "--kind", "allt", env=cli_db)
    assert bad.returncode == 2 and "okänt val" in bad.stderr
    done = tavla("gallra", "--before", "2018-01-01", "--kind", "sammanfattningskorningar", env=cli_db)
    assert done.returncode == 0 and "Gallringen är loggad" in done.stdout

    async def logged() -> list[str]:
        store = Store.from_url(cli_db["DATABASE_URL"])
        try:
            async with store.session() as s:
                return list((await s.execute(select(AdminLog.action).where(AdminLog.action.in_(
                    ("export_person", "gallring"))).order_by(AdminLog.id))).scalars())
        finally:
            await store.dispose()

    assert asyncio.run(logged()) == ["export_person", "gallring"]

