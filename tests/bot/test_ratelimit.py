"""bot/ratelimit.py on a fake clock: Teams' per-conversation windows and the per-app rate, together."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ratelimit import (
    TEAMS_APP_WINDOWS,
    TEAMS_CONVERSATION_WINDOWS,
    OutboundLimiter,
    PacedWindows,
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


def _paced(apps: SlidingWindows, lateness: list[float]) -> list[float]:
    """A digest run's pace on a fake clock: each send as soon as allowed, then ``lateness[i]`` late (a busy loop)."""
    now = 1000.0
    times = []
    for late in lateness:
        now = max(now, apps.earliest("app", now)) + late
        apps.record("app", now)
        times.append(now)
    return times


def test_the_digest_pace_keeps_its_time_when_sends_go_a_little_late() -> None:
    """46 a second, evenly; sends a few ms late do not push every later one back (they did with the slot counted
    from the last send: 1 000 sends each up to 9 ms late took ≈ 4.5 s more), and no 1 s holds more than 47."""
    from bot.digest_sender import PACE_APP_INTERVAL_S, _paced_apps

    rng = __import__("random").Random(4)
    lateness = [rng.uniform(0, 0.009) for _ in range(1000)]
    times = _paced(_paced_apps(TEAMS_APP_WINDOWS), lateness)
    assert times[-1] - times[0] < 999 * PACE_APP_INTERVAL_S + 0.02  # ≈ 4.5 s of lateness in all, all made good
    assert violations(times, TEAMS_APP_WINDOWS) == []
    assert max(sum(1 for s in times if t - 1.0 < s <= t) for t in times) <= 47
    on_time = _paced(_paced_apps(TEAMS_APP_WINDOWS), [0.0] * 200)
    assert {round(b - a, 4) for a, b in zip(on_time[1:], on_time[2:])} == {PACE_APP_INTERVAL_S}  # evenly, once started
    old = _paced(SlidingWindows(((PACE_APP_INTERVAL_S - 0.002, 1),), margin=0.002), lateness)  # the previous pace
    assert old[-1] - old[0] > times[-1] - times[0] + 4.0


def test_a_paced_key_waits_its_slot_and_a_long_stall_is_not_made_up_in_a_burst() -> None:
    apps = PacedWindows(((1.0, 50),), interval=0.02, tolerance=0.005, margin=0.0)
    apps.record("a", 10.0)
    assert apps.earliest("a", 10.0) == pytest.approx(10.015)  # the next slot (10.02) less the tolerance
    assert apps.earliest("b", 10.0) == 10.0  # keys are paced apart
    apps.record("a", 11.0)  # a second late: the schedule starts again from here, no catching up
    assert apps.earliest("a", 11.0) == pytest.approx(11.015)
    with pytest.raises(ValueError):
        PacedWindows(((1.0, 50),), interval=0.02, tolerance=0.02)
