"""The first administrator: ``tavla admin add`` creates the person and grants admin at the top, once."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.admins import AdminError, make_admin
from storage.db import Store
from storage.models import AdminLog, Membership, OrgUnit, Person
from storage.people import person_by_aad

AAD = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
AT = datetime(2018, 5, 15, 7, 0, tzinfo=timezone.utc)


async def test_the_first_admin_is_created_with_the_role_at_the_top(store: Store) -> None:
    async with store.session() as session:
        granted = await make_admin(session, AAD.upper(), "  Tove   Tekniker ", upn="Tove.T@Kommun.se", at=AT)
    assert granted.person_created and granted.role_granted and granted.name == "Tove Tekniker"
    async with store.session() as session:
        person = await person_by_aad(session, AAD)
        root = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        upn = await session.scalar(select(Person.upn).where(Person.aad_object_id == AAD))
        logged = await session.scalar(select(func.count()).select_from(AdminLog).where(AdminLog.action == "grant_role"))
    assert person is not None and person.roles == (("admin", root.id, root.name),)
    assert upn == "tove.t@kommun.se" and logged == 1


async def test_running_it_again_changes_nothing_but_the_log(store: Store) -> None:
    async with store.session() as session:
        await make_admin(session, AAD, "Tove Tekniker", upn=None, at=AT)
    async with store.session() as session:
        again = await make_admin(session, AAD, "Tove Tekniker", upn=None, at=AT)
    assert not again.person_created and not again.role_granted
    async with store.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1


@pytest.mark.parametrize("aad, name, upn, complaint", [
    ("anna", "Anna", None, "inget AAD-objekt-id"),
    (AAD, "   ", None, "1–200 tecken"),
    (AAD, "Anna", "anna.kommun.se", "ingen e-postadress"),
])
async def test_mistakes_are_refused_and_nothing_is_written(sqlite_store: Store, aad: str, name: str,
                                                           upn: str | None, complaint: str) -> None:
    with pytest.raises(AdminError, match=complaint):
        async with sqlite_store.session() as session:
            await make_admin(session, aad, name, upn=upn, at=AT)
    async with sqlite_store.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_an_empty_store_asks_for_the_seed_first(empty_store: Store) -> None:
    with pytest.raises(AdminError, match="tavla seed"):
        async with empty_store.session() as session:
            await make_admin(session, AAD, "Tove", upn=None, at=AT)


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tavla.sqlite3'}")
    assert cli.run(["seed"]) == 0
    assert cli.run(["admin", "add", AAD, "Tove Tekniker", "--upn", "tove@kommun.se"]) == 0
    assert "Tove Tekniker är nu administratör för Östra Göinge kommun (ny i Tavla)." in capsys.readouterr().out
    assert cli.run(["admin", "add", "not-a-guid", "Tove"]) == 1
    assert "inget AAD-objekt-id" in capsys.readouterr().err
