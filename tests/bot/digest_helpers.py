"""Test helpers for the digest: subscribed channels whose stored references point at a local connector."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from followup.clock import STOCKHOLM, Clock
from settings import Settings
from storage import digest as repo
from storage.db import Store
from storage.models import Conversation, OrgUnit

TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
BOT = {"id": "28:aabdbd62-bc97-4afb-83ee-575594577de5", "name": "Tavla"}
MONDAY_0731 = datetime(2018, 5, 14, 7, 31, tzinfo=STOCKHOLM)  # ISO week 2018-20
AS_OF = date(2018, 5, 14)


def channel_id(i: int) -> str:
    return f"19:{i:06d}digestchannel@thread.tacv2"


def reference(conversation_id: str, service_url: str, *, kind: str = "channel", locale: str = "sv-SE") -> dict[str, Any]:
    """Shaped like ``TurnContext.get_conversation_reference(activity).serialize()`` of a Teams activity."""
    return {
        "activityId": "1767765488332", "user": {"id": "29:user", "name": "Anna Andersson",
                                              "aadObjectId": "aaaaaaaa-0000-4000-8000-000000000001"},
        "bot": dict(BOT), "conversation": {"id": conversation_id, "conversationType": kind,
                                           "isGroup": kind != "personal", "tenantId": TENANT},
        "channelId": "msteams", "locale": locale, "serviceUrl": service_url,
    }


async def subscribed_channels(store: Store, n: int, service_url: str, *, scopes: list[int] | None = None,
                              per_conversation: int = 1, start: int = 0) -> list[int]:
    """``n`` channels each subscribed to ``per_conversation`` scopes (Monday 07:30); the subscription ids."""
    async with store.session() as s:
        units = scopes or list((await s.execute(select(OrgUnit.id).order_by(OrgUnit.id))).scalars())
        ids: list[int] = []
        assert per_conversation <= len(units)
        for i in range(start, start + n):
            conv = Conversation(conversation_id=channel_id(i), service_url=service_url,
                                reference=reference(channel_id(i), service_url), conversation_type="channel",
                                tenant_id=TENANT)
            s.add(conv)
            await s.flush()
            for k in range(per_conversation):
                sub, _ = await repo.subscribe(s, conversation_pk=conv.id,
                                              scope_org_unit_id=units[(i + k) % len(units)])
                ids.append(sub.id)
    return ids


def local_settings(**overrides: Any) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused", as_of=AS_OF.isoformat(), scheduler=False, **overrides)


class FixedClock(Clock):
    """A clock stopped at one moment (Stockholm time) — ``Clock`` pins only the date."""

    def __init__(self, moment: datetime) -> None:
        super().__init__(as_of=moment.astimezone(STOCKHOLM).date())
        object.__setattr__(self, "_moment", moment)

    def now(self) -> datetime:
        return self._moment.astimezone(self.tz)  # type: ignore[attr-defined]


async def personal_conversation(store: Store, aad: str, service_url: str, *, name: str = "Anna Andersson",
                                installed: bool = True) -> str:
    conversation_id = f"a:personal-{aad}"
    ref = reference(conversation_id, service_url, kind="personal")
    ref["user"] = {"id": f"29:{aad}", "name": name, "aadObjectId": aad}
    async with store.session() as s:
        s.add(Conversation(conversation_id=conversation_id, service_url=service_url, reference=ref,
                           conversation_type="personal", tenant_id=TENANT, installed=installed))
    return conversation_id
