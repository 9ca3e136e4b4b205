"""Load with faults: many people update activities at once (card button and chat) against PostgreSQL while
5 % of the Bot Connector calls fail → zero lost activity updates.

Every attempted update carries a unique comment token, so the append-only log says exactly what happened:
- every update a person was told was saved ("Sparat") is in the log exactly once;
- every update a person was told was not saved ("… din ändring sparades inte") is not in the log;
- no token is in the log twice (no duplicate from a retried send), whatever the person was told — also when
  the confirmation itself was lost to a connector failure;
- per activity, the versions logged during the run are contiguous (each version bump has exactly one log
  row) and end at the activity's version; its progress is the last logged one.

Several people share each activity (members of the same enhet may update its activities), so stale cards
and version conflicts happen for real. Connector faults: 429 (with Retry-After) and 503 are retried by the
outbound path; 500 is "perhaps delivered" and a reply POST is not retried — the person then misses the
confirmation, and the update must still be logged exactly once.

CI runs a short version (``USERS`` × ``SECONDS`` below). The full run — 100 users for 60 s — is
``TAVLA_LOAD_FULL=1 .venv/bin/pytest tests/resilience/test_load_with_faults.py`` (or set
``TAVLA_LOAD_USERS`` / ``TAVLA_LOAD_SECONDS``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import models
from storage.db import Store
from storage.demo import seed_demo
from tests.resilience.support import watching_bugs
from tests.support.cards import elements
from tests.support.connector import FakeConnector, Received
from tests.support.harness import Harness, User, card_text, running

pytestmark = pytest.mark.postgres
pytest.importorskip("bot.handlers.activity_update")  # the handlingsplan verbs
plans = pytest.importorskip("storage.plans")

FULL = os.environ.get("TAVLA_LOAD_FULL", "") == "1"
USERS = int(os.environ.get("TAVLA_LOAD_USERS", 100 if FULL else 30))
SECONDS = float(os.environ.get("TAVLA_LOAD_SECONDS", 60 if FULL else 12))
SHARING = 3  # people per activity
FAIL_RATE = 0.05
REQUEST_TIMEOUT_S = 30.0
SAVED, NOT_SAVED = "Sparat", "sparades inte"
CARD = "application/vnd.microsoft.card.adaptive"
SEED_DAY = date(2018, 5, 15)


@dataclass
class Person:
    user: User
    activity_id: int
    version: int = 0  # the version on the card this person holds (may be stale)


@dataclass
class Tally:
    told_saved: set[str] = field(default_factory=set)
    told_not_saved: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # no confirmation arrived (lost reply, error)
    http: Counter[int] = field(default_factory=Counter)
    via: Counter[str] = field(default_factory=Counter)


async def _people(store: Store, count: int) -> list[Person]:
    """``count`` registered people in Förskolan Humlan; every ``SHARING`` of them share one activity."""
    at = datetime(2018, 5, 14, 8, 0, tzinfo=timezone.utc)
    async with store.session() as s:
        unit = (await s.execute(select(models.OrgUnit.id).where(models.OrgUnit.code == "DEMO-HUMLAN"))).scalar_one()
        plan = (await s.execute(select(models.ActionPlan.id).where(models.ActionPlan.org_unit_id == unit)
                                .order_by(models.ActionPlan.id))).scalars().first()
        assert plan is not None, "the demo data has no handlingsplan for Förskolan Humlan"
        out: list[Person] = []
        activity_id = 0
        for i in range(count):
            user = User(f"Lastperson {i}", f"1ead0000-0000-4000-8000-{i:012d}")
            person = models.Person(aad_object_id=user.aad, name=user.name, is_demo=True)
            s.add(person)
            await s.flush()
            s.add(models.Membership(person_id=person.id, org_unit_id=unit, role="medarbetare"))
            if i % SHARING == 0:
                view = await plans.create_activity(s, plan, f"Lasttest aktivitet {i // SHARING}", person_id=person.id,
                                                   via="card", at=at, owner_id=person.id, status="pagar",
                                                   progress=10, is_demo=True)
                activity_id = view.id
            out.append(Person(user, activity_id, 1))
    return out


def inject_faults(connector: FakeConnector, rate: float, rng: random.Random) -> Counter[int]:
    """Fail ``rate`` of the connector's calls (``fail_next`` just before the call is answered)."""
    original = connector._fault_response  # noqa: SLF001 - wrapping the connector's own fault hook
    injected: Counter[int] = Counter()

    async def fault(record: Received) -> Any:
        if not connector.faults and rng.random() < rate:
            status = rng.choice((429, 503, 500))
            injected[status] += 1
            connector.fail_next(status, retry_after=0.2 if status == 429 else None)
        return await original(record)

    connector._fault_response = fault  # type: ignore[method-assign]  # noqa: SLF001
    return injected


def _outcome(shown: str, token: str, tally: Tally) -> None:
    if NOT_SAVED in shown:
        tally.told_not_saved.add(token)
    elif SAVED in shown:
        tally.told_saved.add(token)
    else:
        tally.unknown.add(token)


def _card_version(card: dict[str, Any], activity_id: int) -> int | None:
    """The version the replacing card's Save button for this activity carries."""
    found = elements(card, lambda e: e.get("verb") == "activity.update" and isinstance(e.get("data"), dict)
                     and e["data"].get("id") == activity_id)
    return int(found[0]["data"]["version"]) if found else None


async def _by_card(h: Harness, p: Person, token: str, progress: int, tally: Tally) -> None:
    data = {"id": p.activity_id, "version": p.version, "page": 1, f"progress_{p.activity_id}": progress,
            f"comment_{p.activity_id}": token}
    status, body = await asyncio.wait_for(h.post(json.dumps(h.action("activity.update", data, p.user))),
                                          REQUEST_TIMEOUT_S)
    tally.http[status] += 1
    tally.via["card"] += 1
    if status != 200 or not isinstance(body, dict) or body.get("type") != CARD:
        tally.unknown.add(token)
        return
    _outcome(card_text(body["value"]), token, tally)
    fresh = _card_version(body["value"], p.activity_id)
    if fresh is None:  # not their own activity: "mina aktiviteter" does not show it; they reopen the board
        async with h.store.session() as s:
            fresh = (await s.execute(select(models.Activity.version).where(models.Activity.id == p.activity_id))).scalar_one()
    p.version = fresh


async def _by_chat(h: Harness, p: Person, token: str, progress: int, tally: Tally) -> None:
    conversation = f"a:personal-{p.user.aad}"
    before = len(h.connector.to(conversation))
    status, _ = await asyncio.wait_for(
        h.post(json.dumps(h.message(f"aktivitet {p.activity_id} {progress} % {token}", p.user))), REQUEST_TIMEOUT_S)
    tally.http[status] += 1
    tally.via["chat"] += 1
    replies = h.connector.to(conversation)[before:]
    if status not in (200, 201) or not replies:
        tally.unknown.add(token)  # the confirmation was lost on the way (a 500 from the connector)
        return
    _outcome(" ".join(card_text(c) for r in replies for c in r.cards), token, tally)


async def test_no_activity_update_is_lost_under_load_with_connector_faults(pg_store: Store) -> None:
    await seed_demo(pg_store, SEED_DAY)
    people = await _people(pg_store, USERS)
    rng = random.Random(8)
    tally = Tally()
    async with pg_store.session() as s:
        first_new = ((await s.execute(select(func.max(models.ActivityUpdate.id)))).scalar() or 0) + 1

    async with running(pg_store) as h:
        injected = inject_faults(h.connector, FAIL_RATE, rng)
        stop_at = time.monotonic() + SECONDS

        async def person_loop(index: int, p: Person) -> None:
            k = 0
            while time.monotonic() < stop_at:
                token = f"lt{index}x{k}y"
                progress = rng.randrange(11, 99)
                if rng.random() < 0.5:
                    await _by_card(h, p, token, progress, tally)
                else:
                    await _by_chat(h, p, token, progress, tally)
                k += 1

        with watching_bugs() as bugs:
            await asyncio.wait_for(asyncio.gather(*(person_loop(i, p) for i, p in enumerate(people))),
                                   SECONDS + REQUEST_TIMEOUT_S + 10)
        async with h.http.get(f"{h.base_url}/healthz") as resp:
            assert resp.status == 200

    async with pg_store.session() as s:
        rows = (await s.execute(select(models.ActivityUpdate.activity_id, models.ActivityUpdate.version,
                                       models.ActivityUpdate.comment, models.ActivityUpdate.new)
                                .where(models.ActivityUpdate.id >= first_new)
                                .order_by(models.ActivityUpdate.id))).all()
        final = {a.id: a for a in (await s.execute(
            select(models.Activity).where(models.Activity.id.in_({p.activity_id for p in people})))).scalars()}

    logged = Counter(r.comment for r in rows)
    attempts = len(tally.told_saved) + len(tally.told_not_saved) + len(tally.unknown)
    summary = (f"{attempts} attempts ({dict(tally.via)}), saved {len(tally.told_saved)}, refused "
               f"{len(tally.told_not_saved)}, unknown {len(tally.unknown)}, http {dict(tally.http)}, "
               f"connector faults {dict(injected)}, logged {len(rows)}")
    assert sum(injected.values()) > 0 and tally.told_saved and tally.told_not_saved, summary
    assert set(tally.http) <= {200, 201}, summary  # no 5xx from the bot, whatever the connector did
    assert all(re.fullmatch(r"lt\d+x\d+y", c or "") for c in logged), "a log row without its token"
    assert [c for c, n in logged.items() if n > 1] == [], "an update logged twice"
    assert [t for t in tally.told_saved if logged[t] != 1] == [], "a confirmed update is missing from the log"
    assert [t for t in tally.told_not_saved if logged[t]] == [], "a refused update was logged"
    by_activity: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_activity[r.activity_id].append(r)
    for activity_id, activity in final.items():
        logged_versions = [r.version for r in by_activity[activity_id]]
        assert logged_versions == list(range(2, activity.version + 1)), (activity_id, logged_versions)
        progress = [r.new["progress"] for r in by_activity[activity_id] if "progress" in r.new]
        assert not progress or activity.progress == progress[-1]
    assert bugs.lines() == [], bugs.lines()
    print(summary)
