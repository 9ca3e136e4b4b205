"""bot/ratelimit.py on a fake clock: Teams' per-conversation windows and the per-app rate, together."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ratelimit import (
    TEAMS_APP_WINDOWS,
    TEAMS_CONVERSATION_WINDOWS,
    OutboundLimiter,
    RateLimitExceeded,
    SlidingWindows,
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def violations(times: list[float], windows, margin: float = 0.0) -> list[tuple[float, float, int]]:
    """Sends the service would refuse, judged as the local connector does: a send at t is refused when
    ``limit`` earlier sends lie within [t - window, t]."""
    bad = []
    for i, t in enumerate(times):
        for window, limit in windows:
            earlier = sum(1 for s in times[:i] if t - s <= window - margin)
            if earlier >= limit:
                bad.append((t, window, limit))
    return bad


def send(limiter: OutboundLimiter, clock: FakeClock, key: str, app: str = "app") -> float:
    """Send as soon as allowed (advancing the fake clock); return the send's time."""
    while (wait := limiter.try_acquire(key, app)) > 0:
        clock.now += wait
    return clock.now


def send_as_fast_as_allowed(limiter: OutboundLimiter, clock: FakeClock, keys: list[str], count: int) -> list[
        tuple[str, float]]:
    return [(keys[i % len(keys)], send(limiter, clock, keys[i % len(keys)])) for i in range(count)]


def test_seven_go_at_once_the_eighth_waits_a_second() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.05)
    start = clock.now
    assert [limiter.try_acquire("a:1", "app") for _ in range(7)] == [0.0] * 7
    assert limiter.try_acquire("a:1", "app") == pytest.approx(1.05)
    assert limiter.try_acquire("a:1", "app") == pytest.approx(1.05)  # asking again reserves nothing
    assert send(limiter, clock, "a:1") - start == pytest.approx(1.05)


def test_eight_in_two_seconds() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.0)
    times = [send(limiter, clock, "c") for _ in range(9)]
    # 7 at t0, the 8th one second later, the 9th only when the first leaves the 2 s window.
    assert times[7] - times[0] == pytest.approx(1.0)
    assert times[8] - times[0] == pytest.approx(2.0)


def test_a_long_burst_keeps_every_teams_window() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.01)
    sent = send_as_fast_as_allowed(limiter, clock, ["a:1"], 2000)
    times = [t for _, t in sent]
    assert times == sorted(times)
    assert violations(times, TEAMS_CONVERSATION_WINDOWS) == []
    # ... and is not slower than it must be: 60 per 30 s is the binding window for a long burst,
    # the hourly 1800 then stops the 1801st until an hour after the first.
    assert sum(1 for t in times if t - times[0] < 30.0) == 60
    assert times[1800] - times[0] >= 3600.0
    assert times[1799] - times[0] < 3600.0


def test_app_rate_across_conversations() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.0)
    sent = send_as_fast_as_allowed(limiter, clock, [f"a:{i}" for i in range(500)], 500)
    times = [t for _, t in sent]
    assert violations(times, TEAMS_APP_WINDOWS) == []
    assert sum(1 for t in times if t - times[0] < 1.0) == 50
    assert times[-1] - times[0] == pytest.approx(9.0)  # 500 at 50/s


def test_both_limits_hold_together_when_mixed() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.0)
    keys = ["hot"] * 5 + [f"c{i}" for i in range(60)]  # one busy conversation among many
    sent = send_as_fast_as_allowed(limiter, clock, keys, 3000)
    all_times = sorted(t for _, t in sent)
    assert violations(all_times, TEAMS_APP_WINDOWS) == []
    hot = [t for k, t in sent if k == "hot"]
    assert violations(hot, TEAMS_CONVERSATION_WINDOWS) == []


def test_channel_threads_count_against_the_channel() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.0)
    channel = "19:abc@thread.tacv2"
    waits = [limiter.try_acquire(f"{channel};messageid={i}", "app") for i in range(8)]
    assert waits[:7] == [0.0] * 7 and waits[7] == pytest.approx(1.0)


async def test_max_wait_refuses_without_recording() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, sleep=clock.sleep, margin=0.0)
    for _ in range(7):
        await limiter.acquire("c", "app")
    with pytest.raises(RateLimitExceeded) as info:
        await limiter.acquire("c", "app", max_wait=0.5)
    assert info.value.wait == pytest.approx(1.0)
    assert clock.now == 1000.0  # refused at once, without sleeping
    assert await limiter.acquire("c", "app", max_wait=1.5) == pytest.approx(1.0)  # the refused one took no slot


def test_pause_after_retry_after() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, margin=0.0)
    limiter.pause_conversation("c", 3.0)
    assert limiter.try_acquire("c", "app") == pytest.approx(3.0)
    assert limiter.try_acquire("other", "app") == 0.0  # a paused conversation holds nobody else up
    clock.now += 3.0
    assert limiter.try_acquire("c", "app") == 0.0


def test_disabled_is_a_no_op() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, enabled=False)
    assert all(limiter.try_acquire("c", "app") == 0.0 for _ in range(100))


def test_keys_are_bounded() -> None:
    windows = SlidingWindows(((1.0, 2),), max_keys=100)
    for i in range(10_000):
        windows.record(f"k{i}", float(i))
    assert len(windows) <= 100
    # A forgotten key is free again; a remembered one is still limited.
    assert windows.earliest("k0", 10_000.0) == 10_000.0


def test_history_is_bounded_by_the_deepest_window() -> None:
    windows = SlidingWindows(TEAMS_CONVERSATION_WINDOWS)
    for i in range(5000):
        windows.record("c", float(i))
    assert len(windows._history["c"]) == 1800  # noqa: SLF001


async def test_acquire_sleeps_on_the_injected_clock() -> None:
    clock = FakeClock()
    limiter = OutboundLimiter(clock=clock, sleep=clock.sleep, margin=0.0)
    for _ in range(7):
        assert await limiter.acquire("c", "app") == 0.0
    start = clock.now
    assert await limiter.acquire("c", "app") == pytest.approx(1.0)
    assert clock.now - start == pytest.approx(1.0)


async def test_concurrent_senders_on_the_real_clock() -> None:
    limiter = OutboundLimiter(((0.2, 2),), ((1.0, 1000),), margin=0.01)
    started = time.monotonic()
    done: list[tuple[int, float]] = []

    async def one(i: int) -> None:
        await limiter.acquire("c", "app")
        done.append((i, time.monotonic() - started))

    async with asyncio.timeout(5):
        await asyncio.gather(*(one(i) for i in range(6)))
    assert sorted(i for i, _ in done) == list(range(6))
    times = [t for _, t in done]
    assert violations(times, ((0.2, 2),), margin=0.02) == []
    assert times[-1] == pytest.approx(0.4, abs=0.15)
