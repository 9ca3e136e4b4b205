"""Outbound rate limiting for the Bot Connector: Teams' per-conversation windows and the per-app rate.

Teams allows a bot, per conversation, 7 sends in any 1 s, 8 in 2 s, 60 in 30 s and 1800 in an hour, and
about 50 requests/s per app (PLATFORM.md, "Rate limits"). ``OutboundLimiter.acquire`` waits until one more
send keeps *every* window of its conversation *and* of the app, then records it in both — check and record
happen without an ``await`` in between, so concurrent senders cannot both take the last slot, and only
sends that really go out are recorded (a conversation that must wait does not hold up the others). Pure
bookkeeping (``SlidingWindows``) has no clock; the limiter's clock and sleep are injectable, so tests run
on a fake clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable, Sequence

Windows = Sequence[tuple[float, int]]  # (window length in seconds, max sends within it)

TEAMS_CONVERSATION_WINDOWS: Windows = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
TEAMS_APP_WINDOWS: Windows = ((1.0, 50),)
DEFAULT_MARGIN_S = 0.1  # slack for jitter: the service counts arrival times, we count send times
DEFAULT_MAX_KEYS = 100_000
_STRICT = 1e-6  # the service counts both ends of a window: be strictly past it


class RateLimitExceeded(Exception):
    """The next free slot is further away than the caller is willing to wait (nothing was reserved)."""

    def __init__(self, key: Hashable, wait: float) -> None:
        super().__init__(f"next send slot for {key!r} in {wait:.2f} s")
        self.key = key
        self.wait = wait


class SlidingWindows:
    """Send history per key under a set of sliding windows: when may the next send go, and recording it.

    A send at time ``t`` keeps window ``(w, n)`` when fewer than ``n`` earlier sends lie in ``[t - w, t]``,
    i.e. when the ``n``-th most recent send is older than ``t - w`` (the service counts both ends). Sends
    are recorded when they happen, so times never decrease and only the last ``max(n)`` per key are kept. Keys are evicted
    least-recently-used beyond ``max_keys``; a key idle for longer than the longest window has nothing
    left to remember.
    """

    def __init__(self, windows: Windows, *, margin: float = DEFAULT_MARGIN_S,
                 max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if not windows or any(w <= 0 or n < 1 for w, n in windows):
            raise ValueError(f"bad windows: {windows!r}")
        self.windows = tuple(sorted((float(w), int(n)) for w, n in windows))
        self.margin = margin
        self.max_keys = max_keys
        self._depth = max(n for _, n in self.windows)
        self._span = max(w for w, _ in self.windows)
        self._history: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._paused: dict[Hashable, float] = {}

    def __len__(self) -> int:
        return len(self._history)

    def earliest(self, key: Hashable, now: float) -> float:
        """The earliest time ≥ ``now`` at which one more send for ``key`` keeps every window."""
        at = now
        paused = self._paused.get(key)
        if paused is not None:
            if paused > now:
                at = paused
            else:
                del self._paused[key]
        history = self._history.get(key)
        if history:
            size = len(history)
            for window, limit in self.windows:
                if size >= limit:
                    at = max(at, history[-limit] + window + self.margin + _STRICT)
        return at

    def record(self, key: Hashable, at: float) -> None:
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = deque(maxlen=self._depth)
        else:
            self._history.move_to_end(key)
        history.append(at)
        if len(self._history) > self.max_keys:
            self._evict(at)

    def pause(self, key: Hashable, until: float) -> None:
        """No send for ``key`` before ``until`` (e.g. the service answered 429 with Retry-After)."""
        if until > self._paused.get(key, -math.inf):
            self._paused[key] = until

    def _evict(self, now: float) -> None:
        # Oldest-used first; those idle beyond the longest window are forgotten at no cost.
        while len(self._history) > self.max_keys:
            self._history.popitem(last=False)
        while self._history:
            key, history = next(iter(self._history.items()))
            if history[-1] >= now - self._span:
                break
            del self._history[key]
        if len(self._paused) > self.max_keys:
            self._paused = {k: v for k, v in self._paused.items() if v > now}


class PacedWindows(SlidingWindows):
    """Sliding windows plus an even pace per key: one send every ``interval`` on a schedule of its own (the
    generic cell rate algorithm). A send may go up to ``tolerance`` before its slot; one that went late by up to
    ``tolerance`` leaves the schedule where it was, so the next goes on time instead of every later send moving
    back by the same amount. A sender that is always ready sends exactly every ``interval``; any span of L
    seconds holds at most 1 + (L + tolerance) / interval sends."""

    def __init__(self, windows: Windows, *, interval: float, tolerance: float, margin: float = DEFAULT_MARGIN_S,
                 max_keys: int = DEFAULT_MAX_KEYS) -> None:
        super().__init__(windows, margin=margin, max_keys=max_keys)
        if interval <= 0 or not 0 <= tolerance < interval:
            raise ValueError(f"bad pace: interval {interval!r}, tolerance {tolerance!r}")
        self.interval = interval
        self.tolerance = tolerance
        self._slot: dict[Hashable, float] = {}  # the next send's slot per key (GCRA's theoretical arrival time)

    def earliest(self, key: Hashable, now: float) -> float:
        at = super().earliest(key, now)
        slot = self._slot.get(key)
        return at if slot is None else max(at, slot - self.tolerance)

    def record(self, key: Hashable, at: float) -> None:
        super().record(key, at)
        self._slot[key] = max(self._slot.get(key, at), at) + self.interval
        if len(self._slot) > self.max_keys:
            self._slot = {k: v for k, v in self._slot.items() if v > at}


class OutboundLimiter:
    """One instance per process, shared by replies and proactive sends.

    ``await acquire(conversation_id, app_key)`` returns the seconds it waited; with ``max_wait`` it raises
    ``RateLimitExceeded`` (and records nothing) when the send could not go within that time.
    ``enabled=False`` makes it a no-op (benchmarks against a local connector).
    """

    def __init__(self, conversation_windows: Windows = TEAMS_CONVERSATION_WINDOWS,
                 app_windows: Windows = TEAMS_APP_WINDOWS, *, margin: float = DEFAULT_MARGIN_S,
                 max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep, enabled: bool = True) -> None:
        self.conversations = SlidingWindows(conversation_windows, margin=margin, max_keys=max_keys)
        self.apps = SlidingWindows(app_windows, margin=margin, max_keys=1_000)
        self.clock = clock
        self._sleep = sleep
        self.enabled = enabled

    @staticmethod
    def conversation_key(conversation_id: str) -> str:
        """Threads of a channel (``…@thread.tacv2;messageid=…``) count against the channel."""
        return conversation_id.split(";messageid=", 1)[0]

    def try_acquire(self, conversation_id: str, app_key: str = "") -> float:
        """Record a send now and return 0 when both keys allow it; else the seconds until they may
        (nothing recorded)."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        conv = self.conversation_key(conversation_id)
        at = max(self.conversations.earliest(conv, now), self.apps.earliest(app_key, now))
        if at > now:
            return at - now
        self.conversations.record(conv, now)
        self.apps.record(app_key, now)
        return 0.0

    async def acquire(self, conversation_id: str, app_key: str = "", *, max_wait: float = math.inf) -> float:
        start = self.clock()
        deadline = start + max_wait
        while True:
            wait = self.try_acquire(conversation_id, app_key)
            if wait <= 0:
                return self.clock() - start
            if self.clock() + wait > deadline:
                raise RateLimitExceeded(self.conversation_key(conversation_id), self.clock() + wait - start)
            await self._sleep(wait)

    def pause_conversation(self, conversation_id: str, seconds: float) -> None:
        if self.enabled and seconds > 0:
            self.conversations.pause(self.conversation_key(conversation_id), self.clock() + seconds)
