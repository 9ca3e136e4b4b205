"""People and roles over HTTP: a person imported by UPN is linked when first seen in Teams (the member lookup
on the local connector), and the admin commands "ge … rollen … i …", "vem är chef i …", "mina roller"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from storage.db import Store
from storage.demo import seed_demo
from storage.import_people import import_people
from storage.models import AdminLog, Membership, OrgUnit, Person
from tests.support.harness import ANNA, User, card_text, running

ADMIN = User("Tavla Admin", "aaaaaaaa-0000-4000-8000-0000000000ad")
BO = User("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002")  # chef Förskolan Humlan
DANA = User("Dana Dahl", "aaaaaaaa-0000-4000-8000-000000000005")  # chef Familj och utbildning
NILS = User("Nils Nilsson", "bbbbbbbb-0000-4000-8000-000000000011")


@pytest.fixture
async def demo(store: Store) -> Store:
    await seed_demo(store, date(2018, 5, 15))
    return store


async def one_card(h, text: str, user: User = ANNA, **kwargs) -> str:  # type: ignore[no-untyped-def]
    got = await h.ask(text, user, **kwargs)
    assert len(got) == 1 and len(got[0].cards) == 1, h.connector.texts()
    return card_text(got[0].cards[0])


async def test_a_person_imported_by_upn_is_linked_when_first_seen_in_teams(demo: Store) -> None:
    people = "E-post;Namn;Enhet;Roll\r\nnils.nilsson@example.se;Nils Nilsson;Förskolan Humlan;medarbetare\r\n"
    report = await import_people(demo, people.encode(), at=__import__("datetime").datetime.now(
        __import__("datetime").timezone.utc), today=date(2018, 5, 15))
    assert report.written
    async with running(demo) as h:
        # Teams knows Nils: the member lookup answers with his UPN.
        h.connector.add_member(NILS.account["id"], NILS.name, NILS.aad, "Nils.Nilsson@example.se")
        text = await one_card(h, "mina roller", NILS)
        assert "medarbetare" in text and "Förskolan Humlan" in text
        # Someone Teams does not know stays unknown (and is not looked up again at once).
        stranger = User("Okänd", "bbbbbbbb-0000-4000-8000-000000000077")
        text = await one_card(h, "mina roller", stranger)
        assert "inte registrerad i Tavla" in text
    async with demo.session() as s:
        nils = (await s.execute(select(Person).where(Person.upn == "nils.nilsson@example.se"))).scalar_one()
        linked = (await s.execute(select(AdminLog).where(AdminLog.action == "link_person"))).scalars().all()
    assert nils.aad_object_id == NILS.aad and len(linked) == 1 and linked[0].detail["via"] == "teams"


async def test_admin_gives_and_takes_a_role_logged(demo: Store) -> None:
    async with running(demo) as h:
        got = await h.ask("ge Anna rollen chef i Förskolan Humlan", ADMIN)
        card = got[0].cards[0]
        assert "Anna Andersson är nu chef i Förskolan Humlan" in card_text(card)
        undo = card["actions"][0]
        assert undo["verb"] == "admin.revoke"
        # Anna's next turn sees the new role.
        assert "Chef" in await one_card(h, "mina roller", ANNA)
        text = await one_card(h, "vem är chef i Humlan", ANNA)
        assert "Chefer i Förskolan Humlan" in text and "Anna Andersson" in text and "Bo Berg" in text
        assert "Ovanför: Familj och utbildning (chef): Dana Dahl" in text
        again = await one_card(h, "ge Anna Andersson rollen chef i Förskolan Humlan", ADMIN)
        assert "var redan chef" in again
        body = await h.press(undo["verb"], undo["data"], ADMIN)
        assert "Anna Andersson är inte längre chef i Förskolan Humlan" in card_text(body["value"])
        twice = await h.press(undo["verb"], undo["data"], ADMIN)
        assert "redan borttagen" in twice["value"]
    async with demo.session() as s:
        anna = (await s.execute(select(Person).where(Person.aad_object_id == ANNA.aad))).scalar_one()
        actions = (await s.execute(select(AdminLog.action).where(AdminLog.action.in_(("grant_role", "revoke_role")))
                                   .order_by(AdminLog.id))).scalars().all()
        chef = (await s.execute(select(Membership).where(Membership.person_id == anna.id,
                                                         Membership.role == "chef"))).scalar_one()
    assert actions[-2:] == ["grant_role", "revoke_role"] and not chef.active  # kept, inactive: history


async def test_who_may_grant_and_names_that_fit_several(demo: Store) -> None:
    async with running(demo) as h:
        before = await count_memberships(demo)
        refused = await one_card(h, "ge Anna rollen chef i Förskolan Humlan", ANNA)
        assert "Bara Tavlas administratörer kan ge och ta bort roller" in refused
        # A chef may give the medarbetare role in their own enhet, but not make someone chef …
        assert "Bara Tavlas administratörer" in await one_card(h, "gör Anna till chef i Humlan", BO)
        # … nor give roles in someone else's enhet.
        assert "Bara Tavlas administratörer" in await one_card(h, "ge Anna rollen medarbetare i Hemtjänst Knislinge",
                                                               BO)
        assert await count_memberships(demo) == before
        # A new person by e-mail: added, linked to Teams on first message.
        text = await one_card(h, "lägg till nils.nilsson@example.se som medarbetare i Förskolan Humlan", BO)
        assert "Nils Nilsson är nu medarbetare i Förskolan Humlan" in text and "lades till med e-postadressen" in text
        # A name that fits two people: a choice, nothing granted.
        async with demo.session() as s:
            s.add(Person(aad_object_id="bbbbbbbb-0000-4000-8000-000000000031", upn="anna.berg@example.se",
                         name="Anna Berg"))
        got = await h.ask("ge Anna rollen hr i Förskolan Humlan", ADMIN)
        card = got[0].cards[0]
        assert "Vem menar du?" in card_text(card)
        assert {a["data"]["text"] for a in card["actions"]} == {
            "ge anna.andersson@example.se rollen hr i Förskolan Humlan",
            "ge anna.berg@example.se rollen hr i Förskolan Humlan"}
        unknown = await one_card(h, "ge Zlatan rollen hr i Förskolan Humlan", ADMIN)
        assert "Hittar ingen person som heter ”Zlatan”" in unknown
        nowhere = await one_card(h, "ge Anna Andersson rollen hr i Månbasen", ADMIN)
        assert "Hittar ingen enhet som heter ”Månbasen”" in nowhere
    assert await count_memberships(demo) == before + 1


async def count_memberships(store: Store) -> int:
    async with store.session() as s:
        return (await s.execute(select(func.count()).select_from(Membership).where(Membership.active.is_(True)))
                ).scalar_one()


async def test_my_roles_in_english_and_for_someone_unknown(demo: Store) -> None:
    async with running(demo) as h:
        text = await one_card(h, "my roles", BO, locale="en-US")
        assert "Your roles in Tavla" in text and "Manager" in text and "Förskolan Humlan" in text
        text = await one_card(h, "mina roller", User("Okänd", "bbbbbbbb-0000-4000-8000-000000000066"))
        assert "inte registrerad i Tavla" in text
        text = await one_card(h, "vem är ekonom i Hälsa och omsorg", ANNA)
        assert "Ingen har rollen ekonom i Hälsa och omsorg" in text and "Erik Ek" in text  # above: the förvaltning
