"""Withdrawing a prognosis entered in chat (``storage.budget.withdraw_prognosis``): who, when, which one, and
what is kept — SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from followup.budget import METHOD_MANUAL, METHOD_TREND
from followup.errors import Conflict, Forbidden, UserError
from storage import budget
from storage.db import Store
from storage.demo import seed_demo
from storage.models import AdminLog, BudgetLine, BudgetPrognosis, Person

AT = datetime(2018, 5, 15, 9, 0, tzinfo=timezone.utc)


async def _setup(store: Store) -> tuple[int, int, int]:
    """Äldreomsorg's line id, Erik's and Cecilia's person ids."""
    assert await seed_demo(store, date(2018, 5, 15))
    async with store.session() as session:
        line_id = await session.scalar(select(BudgetLine.id).where(BudgetLine.verksamhet == "Äldreomsorg",
                                                                   BudgetLine.year == 2018))
        erik = await session.scalar(select(Person.id).where(Person.name == "Erik Ek"))
        cecilia = await session.scalar(select(Person.id).where(Person.name == "Cecilia Carlsson"))
    return line_id, erik, cecilia


async def _enter(store: Store, line_id: int, amount: str, person_id: int, at: datetime) -> int:
    async with store.session() as session:
        pid = await budget.add_prognosis(session, line_id=line_id, year=2018, amount=D(amount), note="n",
                                         person_id=person_id, via="chat", at=at)
        await budget.recompute_status(session, 2018)
    return pid


async def _in_force(store: Store, line_id: int) -> tuple[D | None, str | None]:
    async with store.read_session() as session:
        (line,) = await budget.line_figures(session, 2018, line_ids=[line_id])
    return line.prognosis, line.method


async def _withdraw(store: Store, pid: int, person_id: int, at: datetime) -> budget.Withdrawn:
    async with store.session() as session:
        withdrawn = await budget.withdraw_prognosis(session, pid, person_id=person_id, at=at)
        await budget.recompute_status(session, withdrawn.year)
    return withdrawn


async def test_the_prognosis_before_is_in_force_again_and_the_withdrawn_one_is_logged(store: Store) -> None:
    line_id, erik, _ = await _setup(store)
    trend = await _in_force(store, line_id)
    assert trend[1] == METHOD_TREND
    first = await _enter(store, line_id, "152000", erik, AT)
    second = await _enter(store, line_id, "150000", erik, AT + timedelta(minutes=5))
    assert await _in_force(store, line_id) == (D("150000.0"), METHOD_MANUAL)
    withdrawn = await _withdraw(store, second, erik, AT + timedelta(minutes=6))
    assert (withdrawn.line_id, withdrawn.year, withdrawn.amount) == (line_id, 2018, D("150000"))
    assert await _in_force(store, line_id) == (D("152000.0"), METHOD_MANUAL)
    await _withdraw(store, first, erik, AT + timedelta(minutes=7))
    assert await _in_force(store, line_id) == trend  # Tavla's estimate from the utfall again
    async with store.read_session() as session:
        assert (await session.execute(select(BudgetPrognosis.id).where(BudgetPrognosis.id.in_([first, second])))
                ).all() == []
        logs = (await session.execute(select(AdminLog).where(AdminLog.action == budget.PROGNOSIS_WITHDRAWN)
                                      .order_by(AdminLog.id))).scalars().all()
        assert [(log.person_id, log.detail["prognosis_id"], D(log.detail["amount"])) for log in logs] == [
            (erik, second, D("150000")), (erik, first, D("152000"))]
        assert logs[0].detail["note"] == "n" and logs[0].detail["budget_line_id"] == line_id
        latest = await budget.latest_withdrawal_by(session, erik, AT)
        assert (latest.id, latest.verksamhet, latest.amount) == (logs[1].id, "Äldreomsorg", D("152000"))
        assert await budget.latest_prognosis_by(session, erik, AT) is None


async def test_only_the_newest_own_chat_prognosis_of_the_day_is_withdrawn(store: Store) -> None:
    line_id, erik, cecilia = await _setup(store)
    mine = await _enter(store, line_id, "152000", erik, AT)
    with pytest.raises(Forbidden, match="Bara den som lade in prognosen"):
        await _withdraw(store, mine, cecilia, AT + timedelta(minutes=1))
    with pytest.raises(UserError, match="samma dygn"):
        await _withdraw(store, mine, erik, AT + timedelta(hours=24, minutes=1))
    theirs = await _enter(store, line_id, "151000", cecilia, AT + timedelta(minutes=2))
    with pytest.raises(Conflict, match="Cecilia Carlsson har lagt in en nyare prognos"):
        await _withdraw(store, mine, erik, AT + timedelta(minutes=3))
    await _withdraw(store, theirs, cecilia, AT + timedelta(minutes=4))
    await _withdraw(store, mine, erik, AT + timedelta(minutes=5))  # newest again once theirs is gone
    with pytest.raises(UserError, match="redan ångrad"):
        await _withdraw(store, mine, erik, AT + timedelta(minutes=6))
    async with store.session() as session:  # an imported prognosis is not withdrawn in chat
        imported = await budget.add_prognosis(session, line_id=line_id, year=2018, amount=D("1"), note=None,
                                              person_id=erik, via="import", at=AT + timedelta(minutes=7))
    with pytest.raises(UserError, match="finns inte längre"):
        await _withdraw(store, imported, erik, AT + timedelta(minutes=8))


async def test_a_refused_withdrawal_changes_nothing(store: Store) -> None:
    line_id, erik, cecilia = await _setup(store)
    mine = await _enter(store, line_id, "152000", erik, AT)
    await _enter(store, line_id, "151000", cecilia, AT + timedelta(minutes=2))
    with pytest.raises(Conflict):
        await _withdraw(store, mine, erik, AT + timedelta(minutes=3))
    assert await _in_force(store, line_id) == (D("151000.0"), METHOD_MANUAL)
    async with store.read_session() as session:
        assert await session.get(BudgetPrognosis, mine) is not None
        assert await budget.latest_withdrawal_by(session, erik, AT) is None
