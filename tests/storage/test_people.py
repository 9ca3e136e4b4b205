"""``storage.people``: the caller's lookup, alone and together with the dialog-state probe (one statement)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Store
from storage.models import BotState, Membership, OrgUnit, Person
from storage.people import person_and_state, person_by_aad
from storage.state_repo import state_exists, storage_key

LONG_KEY = "msteams/conversations/" + "a:" + "x" * 600 + "/users/29:u/tavla"  # stored under a hashed key


async def _people(store: Store) -> None:
    async with store.session() as s:
        unit = (await s.execute(select(OrgUnit).order_by(OrgUnit.id).limit(1))).scalar_one()
        chef = Person(name="Cecilia Chef", aad_object_id="aad-chef")
        plain = Person(name="Per Utan Roll", aad_object_id="aad-plain")
        gone = Person(name="Slutat", aad_object_id="aad-gone", active=False)
        s.add_all([chef, plain, gone])
        await s.flush()
        s.add_all([Membership(person_id=chef.id, org_unit_id=unit.id, role="chef"),
                   Membership(person_id=chef.id, org_unit_id=unit.id, role="medarbetare")])
        s.add_all([BotState(key="open/dialog", document={"dialogs": {}}),
                   BotState(key=storage_key(LONG_KEY), document={})])


@pytest.mark.parametrize("aad", ["aad-chef", "aad-plain", "aad-gone", "aad-nobody"])
@pytest.mark.parametrize("key", ["open/dialog", "no/dialog", LONG_KEY])
async def test_person_and_state_reads_what_the_two_reads_do(store: Store, aad: str, key: str) -> None:
    await _people(store)
    async with store.read() as conn:
        person, stored = await person_and_state(conn, aad, key)
        alone = await person_by_aad(conn, aad)
        exists = await state_exists(conn, key)
    assert person == alone
    assert stored == (exists if alone is not None else None)  # no caller: the state was not read
    if aad == "aad-chef":
        assert person is not None and sorted(r for r, _, _ in person.roles) == ["chef", "medarbetare"]
        assert stored is (key != "no/dialog")
    if aad in ("aad-gone", "aad-nobody"):
        assert person is None
