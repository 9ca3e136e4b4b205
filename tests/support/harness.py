"""End-to-end harness: Tavla's real aiohttp app on a local port, a local connector as ``serviceUrl``,
and activity JSON shaped like what Teams sends (see ../shared/teams-payloads)."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from app import SERVICES, create_app
from settings import Settings
from storage.db import Store
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector, Received

TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
BOT = {"id": "28:aabdbd62-bc97-4afb-83ee-575594577de5", "name": "Tavla"}
_ids = itertools.count(1_767_000_000_000)


@dataclass(frozen=True)
class User:
    name: str
    aad: str
    teams_id: str = ""

    @property
    def account(self) -> dict[str, Any]:
        return {"id": self.teams_id or f"29:{self.aad}", "name": self.name, "aadObjectId": self.aad}


ANNA = User("Anna Andersson", "aaaaaaaa-0000-4000-8000-000000000001")
STRANGER = User("Okänd Användare", "ffffffff-0000-4000-8000-00000000ffff")


def personal_conversation(user: User) -> dict[str, Any]:
    return {"conversationType": "personal", "tenantId": TENANT, "id": f"a:personal-{user.aad}"}


CHANNEL_ID = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
TEAM_ID = "19:66P469zibfbsGI-_a0aN_toLTZpyzS6u7CT3TsXdgPw1@thread.tacv2"


def channel_conversation(thread: str = "1759881511856", channel_id: str = CHANNEL_ID) -> dict[str, Any]:
    return {"id": f"{channel_id};messageid={thread}", "isGroup": True, "conversationType": "channel",
            "tenantId": TENANT}


def channel_data(channel_id: str = CHANNEL_ID, team_id: str = TEAM_ID) -> dict[str, Any]:
    return {"teamsChannelId": channel_id, "teamsTeamId": team_id, "channel": {"id": channel_id},
            "team": {"id": team_id}, "tenant": {"id": TENANT}}


@dataclass
class Harness:
    base_url: str
    connector: FakeConnector
    store: Store
    settings: Settings
    app: Any
    http: aiohttp.ClientSession
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def services(self) -> Any:
        return self.app[SERVICES]

    # --- activity builders (shapes of real Teams payloads) -----------------------------------

    def _base(self, kind: str, user: User, conversation: dict[str, Any], locale: str,
              data: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "type": kind, "id": str(next(_ids)), "channelId": "msteams", "serviceUrl": self.connector.url,
            "timestamp": "2018-05-15T07:00:00.000Z", "localTimestamp": "2018-05-15T09:00:00.000+02:00",
            "from": user.account, "recipient": dict(BOT), "conversation": conversation,
            "channelData": data or {"tenant": {"id": TENANT}}, "locale": locale,
            "entities": [{"locale": locale, "country": "SE", "platform": "Web", "timezone": "Europe/Stockholm",
                          "type": "clientInfo"}],
        }

    def message(self, text: str, user: User = ANNA, *, channel: bool = False, locale: str = "sv-SE",
                conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        if channel:
            activity = self._base("message", user, conversation or channel_conversation(), locale, channel_data())
            activity["text"] = f"<at>{BOT['name']}</at> {text}"
            activity["entities"].insert(0, {"mentioned": dict(BOT), "text": f"<at>{BOT['name']}</at>",
                                            "type": "mention"})
        else:
            activity = self._base("message", user, conversation or personal_conversation(user), locale)
            activity["text"] = text
        activity["textFormat"] = "plain"
        return activity

    def action(self, verb: str, data: dict[str, Any], user: User = ANNA, *, reply_to: str = "1767765488332",
               locale: str = "sv-SE", conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        """An ``invoke`` named ``adaptiveCard/action`` (Action.Execute), as Teams sends it."""
        activity = self._base("invoke", user, conversation or personal_conversation(user), locale)
        activity.update({
            "name": "adaptiveCard/action", "replyToId": reply_to,
            "value": {"action": {"type": "Action.Execute", "title": verb, "verb": verb, "data": data},
                      "trigger": "manual"},
        })
        activity["channelData"].update({"source": {"name": "message"}, "legacy": {"replyToId": "1:x"}})
        return activity

    def submit(self, data: dict[str, Any], user: User = ANNA, *, reply_to: str = "1767765488332",
               locale: str = "sv-SE") -> dict[str, Any]:
        """A ``message`` produced by an Action.Submit click: no text, value = the action's data."""
        activity = self._base("message", user, personal_conversation(user), locale)
        activity.update({"value": data, "replyToId": reply_to})
        return activity

    def installed_in_team(self, user: User = ANNA, locale: str = "sv-SE") -> dict[str, Any]:
        activity = self._base("conversationUpdate", user, {"isGroup": True, "conversationType": "channel",
                                                          "tenantId": TENANT, "id": CHANNEL_ID}, locale,
                              {**channel_data(), "eventType": "teamMemberAdded",
                               "settings": {"selectedChannel": {"id": CHANNEL_ID}}})
        activity["membersAdded"] = [dict(BOT)]
        return activity

    def installed_personal(self, user: User = ANNA, locale: str = "sv-SE") -> dict[str, Any]:
        activity = self._base("conversationUpdate", user, personal_conversation(user), locale)
        activity["membersAdded"] = [dict(BOT)]
        return activity

    # --- sending -----------------------------------------------------------------------------

    async def post(self, activity: dict[str, Any] | bytes | str, headers: dict[str, str] | None = None
                   ) -> tuple[int, Any]:
        body = activity if isinstance(activity, (bytes, str)) else json.dumps(activity)
        if isinstance(activity, dict):
            self.sent.append(copy.deepcopy(activity))
        async with self.http.post(f"{self.base_url}/api/messages", data=body,
                                  headers={"Content-Type": "application/json", **(headers or {})}) as resp:
            text = await resp.text()
            try:
                payload = json.loads(text) if text else None
            except json.JSONDecodeError:
                payload = text
            return resp.status, payload

    async def ask(self, text: str, user: User = ANNA, **kwargs: Any) -> list[Received]:
        """Send a message; return what the connector received for it (all cards schema-checked)."""
        before = len(self.connector.received)
        status, _ = await self.post(self.message(text, user, **kwargs))
        assert status in (200, 201), status
        got = self.connector.received[before:]
        for received in got:
            for card in received.cards:
                assert_valid_card(card)
        return got

    async def press(self, verb: str, data: dict[str, Any], user: User = ANNA, **kwargs: Any) -> dict[str, Any]:
        """Press an Action.Execute button; return the invoke response body (card checked)."""
        status, body = await self.post(self.action(verb, data, user, **kwargs))
        assert status == 200, (status, body)
        if body and body.get("type") == "application/vnd.microsoft.card.adaptive":
            assert_valid_card(body["value"])
        return body

    async def press_answer(self, verb: str, data: dict[str, Any], user: User = ANNA, **kwargs: Any) -> str:
        """What the person sees after pressing: the replacing card's text, or the short answer shown on the card."""
        body = await self.press(verb, data, user, **kwargs)
        if body["type"] == "application/vnd.microsoft.card.adaptive":
            return card_text(body["value"])
        assert body["type"] == "application/vnd.microsoft.activity.message", body
        return str(body["value"])


@asynccontextmanager
async def running(store: Store, settings: Settings | None = None, **connector_kwargs: Any) -> AsyncIterator[Harness]:
    """Tavla on a local port over ``store``, with a fresh local connector."""
    settings = settings or Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False)
    async with FakeConnector(**connector_kwargs) as connector:
        app = create_app(settings, store=store)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                yield Harness(str(server.make_url("")).rstrip("/"), connector, store, settings, app, http)
        finally:
            await server.close()


def card_text(card: dict[str, Any]) -> str:
    """Every string in a card, joined — for assertions on what a person would read."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("text", "title", "value", "label", "placeholder", "fallbackText") and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(out).replace("\u00a0", " ")
