"""A local Bot Connector: the ``serviceUrl`` the bot replies to, as Teams' connector service would be.

It records every activity the bot sends, answers like the real service (``{"id": …}``), and can be
told to fail (``fail_next``) or to enforce Teams' rate limits, so tests see what a user would receive.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

# Teams' per-bot-per-conversation windows (seconds → max sends) and the per-app rate.
TEAMS_CONVERSATION_WINDOWS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
TEAMS_APP_RATE = (1.0, 50)


@dataclass
class Received:
    """One request the bot made to the connector."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def text(self) -> str:
        return self.body.get("text") or ""


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout when longer than the client waits)


class FakeConnector:
    """Start with ``async with FakeConnector() as connector:``; ``connector.url`` is the serviceUrl."""

    def __init__(self, *, enforce_rate_limits: bool = False, latency: float = 0.0) -> None:
        self.latency = latency  # seconds between recording a POST and answering it (a crash then = delivered, unknown)
        self.received: list[Received] = []
        self.rejected: list[Received] = []
        self.faults: deque[Fault] = deque()
        self.enforce_rate_limits = enforce_rate_limits
        self.throttled = 0  # 429s sent by the rate limiter
        self.members: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._sends: dict[str, deque[float]] = defaultdict(deque)
        self._app_sends: deque[float] = deque()
        self._event = asyncio.Event()
        self._server: TestServer | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeConnector":
        app = web.Application()
        app.router.add_post("/v3/conversations/{conv}/activities", self._post)
        app.router.add_post("/v3/conversations/{conv}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", self._put)
        app.router.add_delete("/v3/conversations/{conv}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{conv}/members/{member}", self._member)
        app.router.add_get("/v3/conversations/{conv}/members", self._members)
        app.router.add_get("/v3/conversations/{conv}/pagedmembers", self._paged_members)
        app.router.add_post("/v3/conversations", self._create_conversation)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/"))

    # --- test controls --------------------------------------------------------------------

    def fail_next(self, status: int, count: int = 1, *, retry_after: float | None = None, delay: float = 0.0,
                  code: str = "") -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"error": {"code": code or f"Status{status}", "message": "simulated"}}
        for _ in range(count):
            self.faults.append(Fault(status, headers, body, delay))

    def add_member(self, member_id: str, name: str, aad_object_id: str, upn: str = "") -> None:
        self.members[member_id] = {
            "id": member_id, "name": name, "aadObjectId": aad_object_id,
            "userPrincipalName": upn, "email": upn, "givenName": name.split()[0], "tenantId": "t",
        }

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` activities have been received."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} activities, got {len(self.received)}: {self.texts()}")
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.received

    def texts(self) -> list[str]:
        return [r.text or json.dumps(r.cards, ensure_ascii=False)[:200] for r in self.received]

    def clear(self) -> None:
        self.received.clear()

    def to(self, conversation_id: str) -> list[Received]:
        return [r for r in self.received if r.conversation_id == conversation_id]

    # --- handlers -------------------------------------------------------------------------

    def _rate_limited(self, conversation_id: str) -> bool:
        if not self.enforce_rate_limits:
            return False
        now = time.monotonic()
        sends = self._sends[conversation_id]
        while sends and now - sends[0] > TEAMS_CONVERSATION_WINDOWS[-1][0]:
            sends.popleft()
        for window, limit in TEAMS_CONVERSATION_WINDOWS:
            if sum(1 for t in sends if now - t <= window) >= limit:
                return True
        while self._app_sends and now - self._app_sends[0] > TEAMS_APP_RATE[0]:
            self._app_sends.popleft()
        if len(self._app_sends) >= TEAMS_APP_RATE[1]:
            return True
        sends.append(now)
        self._app_sends.append(now)
        return False

    async def _fault_response(self, record: Received) -> web.Response | None:
        if self.faults:
            fault = self.faults.popleft()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            self.rejected.append(record)
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        if self._rate_limited(record.conversation_id):
            self.throttled += 1
            self.rejected.append(record)
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "1"})
        return None

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        record = Received("POST", request.match_info["conv"], request.match_info.get("aid"), body)
        fault = await self._fault_response(record)
        if fault is not None:
            return fault
        new_id = f"msg-{next(self._ids)}"
        body.setdefault("id", new_id)
        self.received.append(record)
        self._event.set()
        if self.latency:
            await asyncio.sleep(self.latency)
        return web.json_response({"id": new_id}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        record = Received("PUT", request.match_info["conv"], request.match_info["aid"], body)
        fault = await self._fault_response(record)
        if fault is not None:
            return fault
        self.received.append(record)
        self._event.set()
        return web.json_response({"id": request.match_info["aid"]})

    async def _delete(self, request: web.Request) -> web.Response:
        self.received.append(Received("DELETE", request.match_info["conv"], request.match_info["aid"], {}))
        self._event.set()
        return web.Response(status=200)

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _members(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.members.values()))

    async def _paged_members(self, request: web.Request) -> web.Response:
        return web.json_response({"members": list(self.members.values())})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        new_id = f"conv-{next(self._ids)}"
        activity = body.get("activity") or {}
        if activity:
            self.received.append(Received("POST", new_id, None, activity))
            self._event.set()
        return web.json_response({"id": new_id, "activityId": f"msg-{next(self._ids)}"}, status=201)
