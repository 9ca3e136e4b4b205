"""A PostgreSQL connection pool that hands connections out in the order they were asked for.

SQLAlchemy's async pool keeps its idle connections in an ``asyncio.Queue`` and takes one without waiting
whenever the queue holds one. When a connection comes back while turns wait, the queue wakes the first
waiter — but the waiter runs only at a later step of the event loop, and a turn that arrives in between finds
the connection in the queue and takes it. The woken waiter finds the queue empty and goes to the back of the
line. Under 100 people's turns some turns were passed over again and again: in the tenth session, with one
checkout a turn instead of two, the median status turn fell from 131 to 37 ms and its p99 rose from 369 to
861 ms (``docs/benchmarks.md``).

``FairQueue`` gives a returned connection straight to the first waiter, and a newcomer takes an idle one only
when nobody waits: first come, first served, whatever the loop does in between. It replaces the pool's queue
through the pool's own extension point (``QueuePool._queue_class``); everything else — the pool's size, its
timeout and the "QueuePool limit … timed out" error, invalidation, events — stays SQLAlchemy's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Generic, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_only
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

_T = TypeVar("_T")


class FairQueue(AsyncAdaptedQueue, Generic[_T]):  # type: ignore[type-arg]
    """``AsyncAdaptedQueue`` with a line of waiters that returned items are handed to directly."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[_T]] = deque()

    def _waiting(self) -> bool:
        while self._waiters and self._waiters[0].done():  # a waiter whose wait ended (timed out, cancelled)
            self._waiters.popleft()
        return bool(self._waiters)

    def peek(self) -> _T | None:
        """What ``get`` would hand out now without waiting, or None (somebody waits, or nothing is idle)."""
        if self._waiting():
            return None
        idle = self._queue._queue  # type: ignore[attr-defined]  # asyncio.Queue's deque (LifoQueue's list)
        if not idle:
            return None
        return idle[-1] if self.use_lifo else idle[0]

    def put_nowait(self, item: _T) -> None:
        if self._waiting():
            self._waiters.popleft().set_result(item)
            return
        super().put_nowait(item)

    def put(self, item: _T, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # the pool puts without blocking; a waiter never makes a put wait

    def get(self, block: bool = True, timeout: float | None = None) -> _T:
        if not self._waiting():
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                pass
        if not block:
            raise Empty()
        return await_only(self._wait(timeout))

    async def _wait(self, timeout: float | None) -> _T:
        waiter: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:  # timed out, or the turn was cancelled
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed over just as the wait ended: to the next in line
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise Empty() from None
            raise


IDLE_SINCE = "tavla.idle_since"  # a pooled connection's record: when it last came back (``storage.db.ping_when_idle``)


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async pool with ``FairQueue`` in place of its queue."""

    _queue_class = FairQueue
    ping_after: float | None = None  # a connection idle this long is pinged at checkout (``ping_when_idle``)

    def ready(self) -> bool:
        """Whether a checkout now takes an idle connection that needs nothing: no wait in line, no connect, no
        recycling after an invalidation, no ping (``ping_after``). Such a checkout never awaits, so it can run
        outside a greenlet (``storage.driver.Checkout.take``). The conditions are ``_ConnectionRecord``'s
        ``get_connection``'s; SQLAlchemy is pinned (``constraints.txt``), and the outcome is checked anyway."""
        record = self._pool.peek()  # type: ignore[attr-defined]
        if record is None or record.dbapi_connection is None or self._recycle > -1:
            return False
        started = record.starttime
        if self._invalidate_time > started or record._soft_invalidate_time > started:  # noqa: SLF001
            return False
        idle_since = record.info.get(IDLE_SINCE)
        return self.ping_after is None or idle_since is None or time.monotonic() - idle_since < self.ping_after
