"""A closed-loop load generator with its own connector endpoint.

N simulated users, each in its own conversation, send real activity JSON over HTTP to a bot and wait for
the reply: for a message, until the reply arrives on this process's connector endpoint (the serviceUrl);
for an invoke (Action.Execute), until the HTTP response carries the card. Latency is end to end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

ActivityFactory = Callable[[int, str], dict[str, Any]]  # (user index, serviceUrl) → activity


@dataclass
class Result:
    turns: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    ramp_s: float = 0.0  # from the start until every user had an answer to a first turn

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


class Connector:
    """Receives the bot's replies; wakes the user waiting on that conversation."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""
        self._ids = itertools.count(1)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conv}/activities", self._post)
        app.router.add_post("/v3/conversations/{conv}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", self._post)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        self.url = f"http://127.0.0.1:{port}/"

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        future = self.waiting.pop(request.match_info["conv"], None)
        if future is not None and not future.done():
            future.set_result(body)
        return web.json_response({"id": f"r{next(self._ids)}"}, status=201)


async def run_load(bot_url: str, make_activity: ActivityFactory, *, users: int, seconds: float,
                   warmup: float = 1.0, expect_invoke: bool = False,
                   authorization: Callable[[str], str] | None = None,
                   on_start: Callable[[], None] | None = None, on_stop: Callable[[], None] | None = None,
                   max_ramp: float = 60.0) -> Result:
    """Drive ``users`` closed-loop users for ``seconds``; return what was measured.

    Measuring starts after ``warmup`` seconds and once every user has had an answer to a first turn (at most
    ``max_ramp`` seconds): a steady state, not N new conversations arriving in the same instant — how long
    that took is ``Result.ramp_s``. ``on_start``/``on_stop`` are called as the measured window opens and
    closes (the caller reads the server's CPU time there). ``authorization(service_url)``: a bearer token
    sent with every request (production auth mode).
    """
    connector = Connector()
    await connector.start()
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = f"Bearer {authorization(connector.url)}"
    result = Result(0, seconds)
    measuring = False
    stop_at = 0.0
    timeout = aiohttp.ClientTimeout(total=30)
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=conn) as http:

        answered: set[int] = set()
        all_answered = asyncio.Event()
        began = time.perf_counter()

        async def user(index: int) -> None:
            nonlocal measuring
            while True:
                if measuring and time.perf_counter() >= stop_at:
                    return
                activity = make_activity(index, connector.url)
                conv = activity["conversation"]["id"]
                loop = asyncio.get_running_loop()
                future: asyncio.Future[dict[str, Any]] = loop.create_future()
                if not expect_invoke:
                    connector.waiting[conv] = future
                started = time.perf_counter()
                try:
                    async with http.post(bot_url, data=json.dumps(activity), headers=headers) as resp:
                        payload = await resp.read()
                        ok = resp.status in (200, 201)
                    if expect_invoke:
                        ok = ok and b"application/vnd.microsoft.card.adaptive" in payload
                    elif ok:  # a refused request (4xx/5xx) gets no reply: count it now, do not wait 30 s
                        await asyncio.wait_for(future, 30)
                    else:
                        connector.waiting.pop(conv, None)
                except Exception:  # noqa: BLE001 - counted, the run goes on
                    ok = False
                    connector.waiting.pop(conv, None)
                elapsed = (time.perf_counter() - started) * 1000
                if ok and index not in answered:
                    answered.add(index)
                    if len(answered) == users:
                        result.ramp_s = time.perf_counter() - began
                        all_answered.set()
                if measuring and time.perf_counter() < stop_at:
                    if ok:
                        result.turns += 1
                        result.latencies_ms.append(elapsed)
                    else:
                        result.errors += 1

        tasks = [asyncio.create_task(user(i)) for i in range(users)]
        await asyncio.sleep(warmup)
        try:
            await asyncio.wait_for(all_answered.wait(), max(0.0, max_ramp - warmup))
        except asyncio.TimeoutError:
            result.ramp_s = float("nan")  # not every user was answered: measured anyway, errors will show
        stop_at = time.perf_counter() + seconds
        measuring = True
        if on_start is not None:
            on_start()
        await asyncio.sleep(seconds)
        if on_stop is not None:
            on_stop()
        await asyncio.gather(*tasks)
    await connector.stop()
    return result
