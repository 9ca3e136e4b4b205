"""The activities the benchmark sends: the same JSON shape Teams sends (see tests/support/harness.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_ids = itertools.count(1)
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
BOT = {"id": "28:bench-bot", "name": "Tavla"}
ANY_AAD = "bbbbbbbb-0000-4000-8000-{:012d}"


def message(index: int, service_url: str, text: str, aad: str | None = None) -> dict[str, Any]:
    aad = aad or ANY_AAD.format(index)
    return {
        "type": "message", "id": str(next(_ids)), "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": f"29:user-{index}", "name": f"User {index}", "aadObjectId": aad},
        "recipient": dict(BOT),
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:bench-{index}"},
        "channelData": {"tenant": {"id": TENANT}}, "locale": "sv-SE", "text": text, "textFormat": "plain",
    }


def echo_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "hej")


def status_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "status frisknärvaro")


def budget_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "budget kvar äldreomsorg")


def card_action(index: int, service_url: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """An ``invoke`` named ``adaptiveCard/action`` (Action.Execute) from bench user ``index``."""
    activity = message(index, service_url, "")
    del activity["text"], activity["textFormat"]
    activity.update({"type": "invoke", "name": "adaptiveCard/action", "replyToId": f"card-{index}",
                     "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}})
    return activity


# Activity update: every bench user is a person in Förskolan Humlan (demo) with an activity of their own
# (``prepare_people``); each press sends the version the previous press produced and a progress that
# differs from the current one, so every press is a real, logged update (checked by ``applied_updates``).
BENCH_UNIT = "DEMO-HUMLAN"
ACTIVITIES: dict[int, list[int]] = {}  # user index → [activity id, version the next press expects]


def activity_update_activity(index: int, service_url: str) -> dict[str, Any]:
    state = ACTIVITIES[index]
    activity_id, version = state
    state[1] += 1
    return card_action(index, service_url, "activity.update", {
        "id": activity_id, "version": version, "page": 1, f"progress_{activity_id}": str(40 + version % 2)})


async def prepare_people(store: Any, users: int) -> None:
    """Register the bench users (``ANY_AAD``) as medarbetare of ``BENCH_UNIT``, each owning one activity."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from storage import models, plans

    at = datetime(2018, 5, 14, 8, 0, tzinfo=timezone.utc)
    ACTIVITIES.clear()
    async with store.session() as s:
        unit = (await s.execute(select(models.OrgUnit.id).where(models.OrgUnit.code == BENCH_UNIT))).scalar_one()
        plan = (await s.execute(select(models.ActionPlan.id).where(models.ActionPlan.org_unit_id == unit)
                                .order_by(models.ActionPlan.id))).scalars().first()
        for index in range(users):
            person = models.Person(aad_object_id=ANY_AAD.format(index), name=f"User {index}", is_demo=True)
            s.add(person)
            await s.flush()
            s.add(models.Membership(person_id=person.id, org_unit_id=unit, role="medarbetare"))
            view = await plans.create_activity(s, plan, f"Benchmark-aktivitet {index}", person_id=person.id,
                                               via="card", at=at, owner_id=person.id, status="pagar",
                                               progress=40, is_demo=True)
            ACTIVITIES[index] = [view.id, view.version]


async def applied_updates(store: Any) -> tuple[int, int]:
    """(presses sent, updates logged) for the bench users' activities: equal when every press applied."""
    from sqlalchemy import func, select

    from storage import models

    ids = [a for a, _ in ACTIVITIES.values()]
    async with store.session() as s:
        logged = (await s.execute(select(func.count()).select_from(models.ActivityUpdate).where(
            models.ActivityUpdate.activity_id.in_(ids), models.ActivityUpdate.version > 1))).scalar_one()
    return sum(v - 1 for _, v in ACTIVITIES.values()), logged


# name → (activity factory, answered in the invoke response rather than on the connector)
TURNS: dict[str, tuple[Callable[[int, str], dict[str, Any]], bool]] = {
    "indicator_status": (status_activity, False),
    "budget_remainder": (budget_activity, False),
    "activity_update": (activity_update_activity, True),
}
