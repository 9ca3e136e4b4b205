"""Handlingsplan repositories on SQLite and PostgreSQL: the versioned update and its log, the demo data,
meetings, history, the audit export, channel links, role grants and the board's headline."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storage import plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import (
    Activity,
    ActivityUpdate,
    ActionPlan,
    AdminLog,
    BoardMeeting,
    BudgetLine,
    BudgetStatus,
    Conversation,
    Goal,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Membership,
    OrgUnit,
    Person,
)

AT = datetime(2018, 5, 15, 7, 14, tzinfo=timezone.utc)  # 09:14 in Stockholm
TODAY = date(2018, 5, 15)


@pytest.fixture
async def demo(store: Store) -> Store:
    assert await seed_demo(store, TODAY)
    return store


async def _ids(store: Store) -> dict[str, int]:
    async with store.session() as s:
        people = {p.name.split()[0].lower(): p.id for p in (await s.execute(select(Person))).scalars()}
        units = {u.code: u.id for u in (await s.execute(select(OrgUnit))).scalars()}
    return {**people, **units}


async def _activity(store: Store, title: str) -> plans.ActivityView:
    async with store.session() as s:
        views = [v for v in await plans.list_activities(s, year=2018) if v.title == title]
    assert len(views) == 1, title
    return views[0]


async def _log_count(store: Store, activity_id: int | None = None) -> int:
    async with store.session() as s:
        stmt = select(func.count(ActivityUpdate.id))
        if activity_id is not None:
            stmt = stmt.where(ActivityUpdate.activity_id == activity_id)
        return int((await s.execute(stmt)).scalar_one())


# --- The demo data --------------------------------------------------------------------------


async def test_demo_plans_cover_every_status_with_overdue_ones_and_a_consistent_log(demo: Store) -> None:
    ids = await _ids(demo)
    async with demo.session() as s:
        views = await plans.list_activities(s, year=2018)
        goals = {g.id: g for g in (await s.execute(select(Goal))).scalars()}
        plan_rows = (await s.execute(select(ActionPlan))).scalars().all()
        logs = Counter((await s.execute(select(ActivityUpdate.activity_id))).scalars().all())
        meetings = (await s.execute(select(BoardMeeting))).scalars().all()
    by_unit: dict[int, list[plans.ActivityView]] = {}
    for view in views:
        by_unit.setdefault(view.unit_id, []).append(view)
    demo_units = [ids[c] for c in ("DEMO-HUMLAN", "DEMO-SNAPPHANE", "DEMO-HT-KNISLINGE", "DEMO-GUC")]
    assert set(by_unit) == set(demo_units)
    for unit_id, unit_views in by_unit.items():
        assert 8 <= len(unit_views) <= 15
        assert {v.status for v in unit_views} == {"ide", "ej_paborjad", "pagar", "klar", "pausad"}
        assert any(v.deadline and v.deadline < TODAY and v.status in ("ej_paborjad", "pagar", "pausad")
                   for v in unit_views), unit_id
    assert all(v.is_demo for v in views)
    assert {v.owner_name for v in views if v.owner_name} <= {"Anna Andersson", "Bo Berg", "Dana Dahl", "Fatima Fors",
                                                              "Gustav Gran", "Cecilia Carlsson", "Erik Ek"}
    for plan in plan_rows:
        goal = goals[plan.goal_id]
        assert plan.is_demo and goal.kind == "verksamhetsmal" and goal.is_demo
        parent = goals[goal.parent_id]  # hung under a real goal of the Årsplan
        assert not parent.is_demo and parent.kind in ("forvaltningsmal", "prioritering", "digital_agenda")
    for view in views:  # every version has exactly one log row
        assert logs[view.id] == view.version
        if view.status == "klar":
            assert view.progress == 100
        if view.status in ("ide", "ej_paborjad"):
            assert view.progress == 0
    assert len(meetings) == 3
    digital = next(v for v in views if v.title == "Digital introduktion för nyanställda")
    assert (digital.owner_id, digital.status, digital.progress, digital.deadline) == (ids["anna"], "pagar", 60,
                                                                                        date(2018, 4, 30))


async def test_demo_is_added_once(demo: Store) -> None:
    before = await _log_count(demo)
    assert await seed_demo(demo, TODAY) is False
    assert await _log_count(demo) == before


# --- The versioned update -------------------------------------------------------------------


async def test_update_applies_bumps_version_and_logs_old_and_new(demo: Store) -> None:
    ids = await _ids(demo)
    view = await _activity(demo, "Digital introduktion för nyanställda")
    async with demo.session() as s:
        outcome = await plans.update_activity(s, view.id, view.version, {"status": "klar", "progress": 100},
                                              person_id=ids["anna"], via="chat", at=AT, comment="Alla filmer uppe")
    assert outcome.applied and outcome.activity is not None and outcome.update is not None
    assert (outcome.activity.status, outcome.activity.progress, outcome.activity.version) == ("klar", 100,
                                                                                             view.version + 1)
    assert outcome.activity.updated_by_name == "Anna Andersson" and outcome.activity.updated_at == AT
    log = outcome.update
    assert (log.old, log.new) == ({"status": "pagar", "progress": 60}, {"status": "klar", "progress": 100})
    assert (log.version, log.via, log.comment, log.person_name) == (view.version + 1, "chat", "Alla filmer uppe",
                                                                     "Anna Andersson")
    assert await _log_count(demo, view.id) == view.version + 1
    async with demo.session() as s:  # the log row handed back is the row stored
        assert await plans.get_update(s, log.id) == log


@pytest.mark.parametrize("changes", [
    {"progress": 30}, {"status": "klar", "progress": 100}, {"title": "Nytt namn", "description": "Ny text"},
    {"deadline": date(2018, 9, 30), "start_date": date(2018, 6, 1)}, {"description": None}, {},
    {"owner_id": "bo"}, {"progress": 45, "owner_id": "anna"},
], ids=["progress", "status", "texts", "dates", "no-description", "comment-only", "owner", "owner-progress"])
async def test_with_the_current_view_the_update_hands_back_what_a_fresh_read_gives(demo: Store, changes) -> None:
    """``current`` spares the reads before and after the update: the old values and the activity after it are the
    ones the database holds, for every kind of change (the owner's name is another row: read again)."""
    ids = await _ids(demo)
    changes = {k: ids[v] if k == "owner_id" else v for k, v in changes.items()}
    view = await _activity(demo, "Digital introduktion för nyanställda")
    async with demo.session() as s:
        current = await plans.get_activity(s, view.id)
        outcome = await plans.update_activity(s, view.id, view.version, changes, person_id=ids["bo"], via="card",
                                              at=AT, comment="Kort rad", current=current, editor_name="Bo Berg")
    assert outcome.applied and outcome.activity is not None and outcome.update is not None
    async with demo.session() as s:
        stored = await plans.get_activity(s, view.id)
        log = await plans.get_update(s, outcome.update.id)
    assert outcome.activity == stored
    assert outcome.update == log
    assert log is not None and log.old == {k: plans._jsonable(getattr(view, k)) for k in changes}
    assert stored is not None and stored.version == view.version + 1 and stored.updated_by_name == "Bo Berg"


async def _bo_reported_60(store: Store) -> tuple[dict[str, int], plans.ActivityView, plans.Outcome]:
    """Bo sets "Lärplattor på varje avdelning" to 60 %: (ids, the view before, his outcome)."""
    ids = await _ids(store)
    view = await _activity(store, "Lärplattor på varje avdelning")
    async with store.session() as s:
        first = await plans.update_activity(s, view.id, view.version, {"progress": 60}, person_id=ids["bo"],
                                            via="card", at=AT)
    return ids, view, first


async def test_a_current_view_of_another_version_is_not_taken_for_the_old_values(demo: Store) -> None:
    ids, view, first = await _bo_reported_60(demo)
    assert first.applied and first.activity is not None
    async with demo.session() as s:  # a view read before that update: its values are not the old ones
        outcome = await plans.update_activity(s, view.id, first.activity.version, {"progress": 80},
                                              person_id=ids["anna"], via="card", at=AT, current=view,
                                              editor_name="Anna Andersson")
        stale = await plans.update_activity(s, view.id, view.version, {"progress": 90}, person_id=ids["anna"],
                                            via="card", at=AT, current=view, editor_name="Anna Andersson")
    assert outcome.applied and outcome.update is not None and outcome.update.old == {"progress": 60}
    assert outcome.activity is not None and outcome.activity.progress == 80
    assert not stale.applied and stale.activity is not None and stale.activity.progress == 80


async def test_stale_version_is_refused_by_the_database_with_the_fresh_state(demo: Store) -> None:
    ids, view, first = await _bo_reported_60(demo)
    assert first.applied
    logs = await _log_count(demo)
    async with demo.session() as s:  # a card opened on the old version
        second = await plans.update_activity(s, view.id, view.version, {"status": "klar", "progress": 100},
                                             person_id=ids["anna"], via="card", at=AT + timedelta(minutes=1))
    assert not second.applied and second.update is None
    assert second.activity is not None
    assert (second.activity.progress, second.activity.version, second.activity.updated_by_name) == (
        60, view.version + 1, "Bo Berg")
    assert second.activity.updated_at == AT
    assert await _log_count(demo) == logs  # nothing written
    async with demo.session() as s:  # a forged future version is refused the same way
        forged = await plans.update_activity(s, view.id, view.version + 50, {"progress": 70}, person_id=ids["bo"],
                                             via="card", at=AT)
    assert not forged.applied
    async with demo.session() as s:
        gone = await plans.update_activity(s, 999_999, 1, {"progress": 70}, person_id=ids["bo"], via="card", at=AT)
    assert not gone.applied and gone.activity is None


async def test_comment_only_is_a_logged_change(demo: Store) -> None:
    ids = await _ids(demo)
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    async with demo.session() as s:
        outcome = await plans.update_activity(s, view.id, view.version, {}, person_id=ids["anna"], via="chat", at=AT,
                                              comment="Bo har bokat första träffen")
    assert outcome.applied and outcome.activity is not None and outcome.update is not None
    assert outcome.activity.version == view.version + 1 and outcome.activity.status == view.status
    assert outcome.update.old == {} and outcome.update.new == {}


async def test_a_failed_transaction_writes_neither_the_change_nor_its_log(demo: Store) -> None:
    ids = await _ids(demo)
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    logs = await _log_count(demo)
    with pytest.raises(RuntimeError):
        async with demo.session() as s:
            outcome = await plans.update_activity(s, view.id, view.version, {"status": "pagar"}, person_id=ids["bo"],
                                                  via="card", at=AT)
            assert outcome.applied
            raise RuntimeError("crash after the update")
    assert (await _activity(demo, "Mentorskap för nya förskollärare")).version == view.version
    assert await _log_count(demo) == logs


async def test_in_a_one_write_session_the_update_and_its_log_are_committed_together(demo: Store) -> None:
    """``Store.one_write_session`` (Spara's): on PostgreSQL no transaction, the update and its log row one
    statement; on SQLite one transaction. Either way both are stored, or — a stale version — neither."""
    ids = await _ids(demo)
    view = await _activity(demo, "Lärplattor på varje avdelning")
    logs = await _log_count(demo)
    async with demo.one_write_session() as s:
        outcome = await plans.update_activity(s, view.id, view.version, {"progress": 60}, person_id=ids["bo"],
                                              via="card", at=AT, current=view, editor_name="Bo Berg")
    assert outcome.applied and outcome.update is not None
    assert await _activity(demo, "Lärplattor på varje avdelning") == outcome.activity
    assert await _log_count(demo) == logs + 1
    async with demo.session() as s:
        assert await plans.get_update(s, outcome.update.id) == outcome.update
    async with demo.one_write_session() as s:  # the card pressed again, at its old version
        stale = await plans.update_activity(s, view.id, view.version, {"progress": 90}, person_id=ids["bo"],
                                            via="card", at=AT, current=view, editor_name="Bo Berg")
    assert not stale.applied and stale.activity == outcome.activity
    assert await _log_count(demo) == logs + 1


async def _seeded_tablets(store: Store) -> tuple[dict[str, int], plans.ActivityView, int]:
    """The demo seeded: (people's ids, "Lärplattor på varje avdelning" as stored, logged updates so far)."""
    await seed_demo(store, TODAY)
    return await _ids(store), await _activity(store, "Lärplattor på varje avdelning"), await _log_count(store)


async def test_on_sqlite_a_one_write_session_is_one_transaction_for_core_and_orm_writes(sqlite_store: Store) -> None:
    """On SQLite Spara's session is a plain connection in one transaction (``Store._sqlite_write``): its update
    and log row go straight to the connection, and should anything write through the ORM in it, the ORM's
    session joins that transaction — committed with it, or rolled back with it."""
    ids, view, logs = await _seeded_tablets(sqlite_store)
    with pytest.raises(RuntimeError, match="crash"):
        async with sqlite_store.one_write_session() as s:
            outcome = await plans.update_activity(s, view.id, view.version, {"progress": 60}, person_id=ids["bo"],
                                                  via="card", at=AT, current=view, editor_name="Bo Berg")
            assert outcome.applied
            s.add(Person(name="Ny Person", aad_object_id="aad-ny"))
            await s.flush()
            raise RuntimeError("crash after both writes")
    assert await _activity(sqlite_store, "Lärplattor på varje avdelning") == view
    assert await _log_count(sqlite_store) == logs
    async with sqlite_store.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person).where(Person.aad_object_id == "aad-ny")) == 0
    async with sqlite_store.one_write_session() as s:
        s.add(Person(name="Ny Person", aad_object_id="aad-ny"))  # pending, flushed before the Core write
        outcome = await plans.update_activity(s, view.id, view.version, {"progress": 60}, person_id=ids["bo"],
                                              via="card", at=AT, current=view, editor_name="Bo Berg")
    assert (await _activity(sqlite_store, "Lärplattor på varje avdelning")).progress == 60
    assert await _log_count(sqlite_store) == logs + 1
    async with sqlite_store.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person).where(Person.aad_object_id == "aad-ny")) == 1


@pytest.mark.postgres
async def test_on_postgresql_a_one_write_session_writes_once_and_a_read_session_never(pg_store: Store) -> None:
    """In autocommit each statement commits as it runs: a second write would not be atomic with the first, so
    it is refused before it reaches the database; a read session writes nothing at all."""
    ids, view, logs = await _seeded_tablets(pg_store)
    with pytest.raises(RuntimeError, match="one-write session only once"):
        async with pg_store.one_write_session() as s:
            first = await plans.update_activity(s, view.id, view.version, {"progress": 60}, person_id=ids["bo"],
                                                via="card", at=AT)
            assert first.applied and first.activity is not None
            await plans.update_activity(s, view.id, first.activity.version, {"progress": 70}, person_id=ids["bo"],
                                        via="card", at=AT)
    now = await _activity(pg_store, "Lärplattor på varje avdelning")
    assert (now.progress, now.version) == (60, view.version + 1)  # the first, committed as it ran
    assert await _log_count(pg_store) == logs + 1
    with pytest.raises(RuntimeError, match="read session may not write"):
        async with pg_store.read_session() as reads:
            await plans.update_activity(reads, view.id, now.version, {"progress": 80}, person_id=ids["bo"],
                                        via="card", at=AT)
    assert await _activity(pg_store, "Lärplattor på varje avdelning") == now
    assert await _log_count(pg_store) == logs + 1


async def test_only_editable_fields(demo: Store) -> None:
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    async with demo.session() as s:
        with pytest.raises(ValueError):
            await plans.update_activity(s, view.id, view.version, {"version": 99}, person_id=None, via="card", at=AT)
        with pytest.raises(ValueError):
            await plans.update_activity(s, view.id, view.version, {"progress": 1}, person_id=None, via="mail", at=AT)


async def test_database_refuses_impossible_values(demo: Store) -> None:
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    with pytest.raises(Exception):  # the CHECK constraints hold whatever the code does
        async with demo.session() as s:
            await plans.update_activity(s, view.id, view.version, {"progress": 101}, person_id=None, via="card", at=AT)
    with pytest.raises(Exception):
        async with demo.session() as s:
            await plans.update_activity(s, view.id, view.version, {"status": "avbruten"}, person_id=None, via="card",
                                        at=AT)


async def test_a_change_undone_since_the_meeting_is_not_a_change_but_an_undo_of_an_earlier_one_is(
        demo: Store) -> None:
    ids = await _ids(demo)
    humlan = ids["DEMO-HUMLAN"]
    async with demo.session() as s:
        since = (await plans.meetings(s, humlan))[0].held_at
        before = await plans.count_updates_since(s, humlan, since, year=2018)
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    steps = [({"progress": 55}, None, since - timedelta(hours=1)),  # before the meeting …
             ({"progress": view.progress}, "Ångrar ändringen 07/05 kl. 08:00", since + timedelta(hours=1)),  # … undone
             ({"progress": 65}, "klart snart", since + timedelta(hours=2)),  # after the meeting …
             ({"progress": view.progress}, "Ångrar ändringen 08/05 kl. 11:00", since + timedelta(hours=3))]  # … undone
    version = view.version
    async with demo.session() as s:
        for change, comment, at in steps:
            outcome = await plans.update_activity(s, view.id, version, change, person_id=ids["bo"], via="chat", at=at,
                                                  comment=comment)
            version = outcome.activity.version
    async with demo.session() as s:
        changes = await plans.updates_since(s, humlan, since, year=2018)
        total = await plans.count_updates_since(s, humlan, since, year=2018)
        year_changes = [c for c in await plans.updates_since(s, humlan, None, year=2018) if c.activity_id == view.id]
    mine = [c for c in changes if c.activity_id == view.id]
    assert [(c.new, c.comment) for c in mine] == [({"progress": view.progress}, "Ångrar ändringen 07/05 kl. 08:00")]
    assert total == before + 1 == len(changes)
    # over the whole year both pairs cancel out: only the activity's earlier changes are left
    assert all(c.new not in ({"progress": 55}, {"progress": 65}) and not plans.is_undo_note(c.comment)
               for c in year_changes)


async def test_create_logs_version_one_and_history_is_newest_first(demo: Store) -> None:
    ids = await _ids(demo)
    async with demo.session() as s:
        plan = (await plans.plans_for_unit(s, ids["DEMO-HUMLAN"], 2018))[0]
        created = await plans.create_activity(s, plan.id, "Sommarfest för nyanställda", person_id=ids["bo"],
                                              via="chat", at=AT, owner_id=ids["anna"], deadline=date(2018, 6, 20))
        await plans.update_activity(s, created.id, 1, {"status": "pagar", "progress": 10}, person_id=ids["anna"],
                                    via="card", at=AT + timedelta(hours=1))
        rows = await plans.history(s, created.id)
    assert created.version == 1 and created.status == "ej_paborjad" and created.unit_name == "Förskolan Humlan"
    assert [r.version for r in rows] == [2, 1]
    assert rows[1].old == {} and rows[1].new["title"] == "Sommarfest för nyanställda"
    assert rows[1].new["deadline"] == "2018-06-20" and rows[1].new["owner_id"] == ids["anna"]


async def test_changes_since_the_last_meeting(demo: Store) -> None:
    ids = await _ids(demo)
    humlan = ids["DEMO-HUMLAN"]
    async with demo.session() as s:
        held = await plans.meetings(s, humlan)
        since = held[0].held_at
        changes = await plans.updates_since(s, humlan, since, year=2018)
        total = await plans.count_updates_since(s, humlan, since, year=2018)
        year_total = await plans.count_updates_since(s, humlan, None, year=2018)
    assert held[0].started_by_name == "Bo Berg"
    assert since == datetime(2018, 5, 8, 7, 0, tzinfo=timezone.utc)
    assert total == len(changes) == 3  # 9, 10 and 11 May in the demo
    assert [c.activity_title for c in changes] == ["Lärplattor på varje avdelning", "Fadder för varje ny vikarie",
                                                   "Digital introduktion för nyanställda"]
    assert all(c.at > since for c in changes)
    assert year_total > total
    async with demo.session() as s:
        meeting_id = await plans.start_meeting(s, humlan, ids["bo"], AT)
        assert (await plans.meetings(s, humlan))[0].id == meeting_id


# --- Audit export ---------------------------------------------------------------------------


async def test_audit_export_is_semicolon_csv_in_stockholm_time(demo: Store) -> None:
    ids = await _ids(demo)
    view = await _activity(demo, "Mentorskap för nya förskollärare")
    async with demo.session() as s:
        await plans.update_activity(s, view.id, view.version, {"status": "pagar"}, person_id=ids["bo"], via="card",
                                    at=AT, comment='Start; "snart" klart')
    async with demo.session() as s:
        rows = await plans.audit_rows(s, datetime(2018, 5, 15, tzinfo=timezone.utc),
                                      datetime(2018, 5, 16, tzinfo=timezone.utc))
        may = await plans.audit_rows(s, datetime(2018, 5, 1, tzinfo=timezone.utc),
                                     datetime(2018, 5, 16, tzinfo=timezone.utc))
    assert len(rows) == 1 and len(may) > 1
    assert [r.at for r in may] == sorted(r.at for r in may)
    text = plans.audit_csv(rows)
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed[0] == list(plans.AUDIT_COLUMNS)
    line = dict(zip(parsed[0], parsed[1]))
    assert line["tidpunkt"] == "2018-05-15T09:14:00+02:00"
    assert (line["enhet"], line["aktivitet"], line["person"], line["via"]) == (
        "Förskolan Humlan", "Mentorskap för nya förskollärare", "Bo Berg", "card")
    assert line["före"] == "status=ej_paborjad" and line["efter"] == "status=pagar"
    assert line["kommentar"] == 'Start; "snart" klart'


# --- Channels, people, roles, headline ------------------------------------------------------


async def _conversation(store: Store, conversation_id: str, kind: str = "channel", user: dict | None = None) -> None:
    async with store.session() as s:
        s.add(Conversation(conversation_id=conversation_id, conversation_type=kind, service_url="http://x/",
                           reference={"user": user} if user else {}))


async def test_link_channel_covers_every_thread_of_that_channel_only(demo: Store) -> None:
    ids = await _ids(demo)
    channel = "19:abc_def@thread.tacv2"
    await _conversation(demo, f"{channel};messageid=1")
    await _conversation(demo, f"{channel};messageid=2")
    await _conversation(demo, "19:abcXdef@thread.tacv2;messageid=3")  # '_' must not act as a wildcard
    async with demo.session() as s:
        linked = await plans.link_channel(s, f"{channel};messageid=1", channel, ids["DEMO-HUMLAN"], ids["bo"], AT)
    assert linked == 2
    async with demo.session() as s:
        assert await plans.linked_unit(s, f"{channel};messageid=9", channel) == ids["DEMO-HUMLAN"]
        assert await plans.linked_unit(s, "19:abcXdef@thread.tacv2;messageid=3", "19:abcXdef@thread.tacv2") is None
        log = (await s.execute(select(AdminLog).where(AdminLog.action == "link_channel"))).scalar_one()
    assert log.person_id == ids["bo"] and log.detail["org_unit_id"] == ids["DEMO-HUMLAN"]


async def test_known_user_ids_from_stored_personal_chats(demo: Store) -> None:
    await _conversation(demo, "a:1", "personal", {"id": "29:anna", "aadObjectId": "aad-anna"})
    await _conversation(demo, "a:2", "personal", {"id": "29:bo", "aadObjectId": "aad-bo"})
    await _conversation(demo, "19:x;messageid=1", "channel", {"id": "29:carl", "aadObjectId": "aad-carl"})
    async with demo.session() as s:
        found = await plans.known_user_ids(s, ["aad-anna", "aad-carl", "aad-none"])
    assert found == {"aad-anna": "29:anna"}


async def test_grant_role(demo: Store) -> None:
    ids = await _ids(demo)
    async with demo.session() as s:
        person, unit, newly = await plans.grant_role(s, "fatima.fors@example.se", "Förskolan Humlan", "chef",
                                                     year=2018, granted_by_id=ids["tavla"], at=AT)
        again = await plans.grant_role(s, "Fatima Fors", "DEMO-HUMLAN", "chef", year=2018, granted_by_id=None, at=AT)
        for bad in (("Fatima Fors", "Förskolan Humlan", "kung"), ("Ingen Alls", "Förskolan Humlan", "chef"),
                    ("Fatima Fors", "Månbasen", "chef")):
            with pytest.raises(plans.RoleError):
                await plans.grant_role(s, *bad, year=2018, granted_by_id=None, at=AT)
    assert (person.name, unit.name, newly, again[2]) == ("Fatima Fors", "Förskolan Humlan", True, False)
    async with demo.session() as s:
        rows = (await s.execute(select(Membership).where(Membership.person_id == ids["fatima"],
                                                         Membership.role == "chef"))).scalars().all()
        logs = (await s.execute(select(AdminLog).where(AdminLog.action == "grant_role"))).scalars().all()
    assert len(rows) == 1 and rows[0].granted_by_id == ids["tavla"]
    assert len(logs) == 2


async def test_headline_reads_indicator_and_budget_when_there(demo: Store) -> None:
    ids = await _ids(demo)
    humlan, fou = ids["DEMO-HUMLAN"], ids["FOU"]
    async with demo.session() as s:
        # Whatever other features' exempeldata recorded for the enhet and its area is cleared first, so the
        # expectations below are about the rule, not about someone else's demo figures.
        cleared = [humlan, fou, ids["DEMO-SNAPPHANE"]]
        for row in (await s.execute(select(IndicatorValue).where(IndicatorValue.org_unit_id.in_(cleared)))).scalars():
            await s.delete(row)
        for row in (await s.execute(select(BudgetStatus))).scalars():
            await s.delete(row)
    async with demo.session() as s:
        plain = await plans.unit_headline(s, humlan, 2018)
    assert plain.budget_area == "Familj och utbildning" and plain.budget_total is not None
    assert plain.indicator_name is None and plain.utfall_to_date is None
    async with demo.session() as s:
        total = (await s.execute(select(func.sum(BudgetLine.net_cost)).where(BudgetLine.org_unit_id == fou,
                                                                             BudgetLine.year == 2018))).scalar_one()
        indicator = (await s.execute(select(Indicator).where(Indicator.code == "frisknarvaro"))).scalar_one()
        s.add(IndicatorValue(indicator_id=indicator.id, org_unit_id=humlan, period="2018-03",
                             period_start=date(2018, 3, 1), period_end=date(2018, 3, 31), value=Decimal("94.2"),
                             kind="matning", is_demo=True))
        s.add(IndicatorValue(indicator_id=indicator.id, org_unit_id=fou, period="2018-04",  # newer, but the area's
                             period_start=date(2018, 4, 1), period_end=date(2018, 4, 30), value=Decimal("91.0"),
                             kind="matning"))
        line = (await s.execute(select(BudgetLine).where(BudgetLine.org_unit_id == fou).limit(1))).scalar_one()
        s.add(BudgetStatus(budget_line_id=line.id, year=2018, through_month=4, utfall_to_date=Decimal("1000.5")))
    async with demo.session() as s:
        head = await plans.unit_headline(s, humlan, 2018)
        area_only = await plans.unit_headline(s, ids["DEMO-SNAPPHANE"], 2018)
        target = (await s.execute(select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id,
                                                                IndicatorTarget.year == 2018))).scalar_one_or_none()
    assert head.indicator_value == Decimal("94.2") and head.indicator_scope == "Förskolan Humlan"  # own value first
    assert head.indicator_period_end == date(2018, 3, 31) and head.is_demo
    assert head.target_low == (target.low if target else None)
    assert head.budget_total == total and head.utfall_to_date == Decimal("1000.5") and head.through_month == 4
    # Snapphaneskolan has no value of its own: its area's is shown, and says whose it is.
    assert area_only.indicator_value == Decimal("91.0") and area_only.indicator_scope == "Familj och utbildning"


async def test_units_and_people_lookups(demo: Store) -> None:
    ids = await _ids(demo)
    async with demo.session() as s:
        path = await plans.unit_path(s, ids["DEMO-HUMLAN"])
        below = await plans.enheter_below(s, [ids["FOU"]], 2018)
        people = await plans.unit_people(s, path)
        assert (await plans.find_person(s, "ANNA.ANDERSSON@example.se")).name == "Anna Andersson"
        assert await plans.find_person(s, "Anna") is None  # a first name alone is not exact
    assert path == (ids["DEMO-HUMLAN"], ids["FOU"], ids["OG"])
    assert {u.name for u in below} == {"Förskolan Humlan", "Snapphaneskolan"}
    names = [(p.name, role) for p, role, _ in people]
    assert ("Anna Andersson", "medarbetare") in names and ("Dana Dahl", "chef") in names
    assert names.index(("Anna Andersson", "medarbetare")) < names.index(("Dana Dahl", "chef"))  # the enhet first
    assert all(p.name != "Fatima Fors" for p, _, _ in people)


async def test_activity_rows_are_not_deleted_by_the_repository(demo: Store) -> None:
    # The log is an allmän handling: the repository offers no delete at all.
    assert not [name for name in dir(plans) if "delete" in name.lower() or "remove" in name.lower()]
    async with demo.session() as s:
        assert (await s.execute(select(func.count(Activity.id)))).scalar_one() == 38


async def test_the_latest_comment_comes_with_the_list_and_survives_presses_without_one(demo: Store) -> None:
    """``ActivityView.last_comment``: what was written with the newest update that had a comment — read with
    the list, kept by updates without one, replaced by the next one; the view an update returns says the same
    as reading it again."""
    ids = await _ids(demo)
    view = await _activity(demo, "Lärplattor på varje avdelning")
    async with demo.session() as s:
        first = await plans.update_activity(s, view.id, view.version, {"progress": 50}, person_id=ids["bo"],
                                            via="card", at=AT, comment="Två avdelningar kvar", current=view,
                                            editor_name="Bo Berg")
    assert first.activity is not None and first.activity.last_comment == "Två avdelningar kvar"
    current = first.activity
    for progress in (55, 60, 65):  # presses without a comment
        async with demo.session() as s:
            outcome = await plans.update_activity(s, view.id, current.version, {"progress": progress},
                                                  person_id=ids["bo"], via="card", at=AT, current=current,
                                                  editor_name="Bo Berg")
        assert outcome.activity is not None
        current = outcome.activity
    assert current.last_comment == "Två avdelningar kvar"
    assert await _activity(demo, "Lärplattor på varje avdelning") == current
    async with demo.session() as s:
        latest = await plans.update_activity(s, view.id, current.version, {}, person_id=ids["bo"], via="card",
                                             at=AT, comment="En kvar", current=current, editor_name="Bo Berg")
    assert latest.activity is not None and latest.activity.last_comment == "En kvar"
    assert await _activity(demo, "Lärplattor på varje avdelning") == latest.activity


async def test_the_latest_comment_is_one_index_probe_however_long_the_history(sqlite_store: Store) -> None:
    """Without the partial index (migration 0005) SQLite walks every logged press of the activity to find the
    newest one with a comment — a list read that grows with the history."""
    from sqlalchemy import text

    statement = plans._list_statement((True, True, False, False, False))  # noqa: SLF001 - the list "mina aktiviteter" reads
    sql = str(statement.compile(dialect=sqlite_store.engine.dialect))
    async with sqlite_store.read() as conn:
        plan = (await conn.execute(text("EXPLAIN QUERY PLAN " + sql.replace("?", "1")))).all()
    steps = " / ".join(str(row[-1]) for row in plan)
    assert "activity_update USING INDEX ix_activity_update_commented (activity_id=?)" in steps, steps
