"""The in-process scheduler: every minute or so, send what is due according to the database.

Nothing is remembered between ticks but the database: a tick reads the active subscriptions, and
``DigestRunner`` claims each due one with an INSERT guarded by the UNIQUE constraint. So a server that
restarts, or several replicas on one PostgreSQL, each tick independently and still send each digest once.
Started with the server when ``settings.scheduler`` is true (``app.py``); ``tavla digest run`` does a tick
by hand or from cron.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

from bot.digest_sender import DeliveryPolicy, DigestRunner, ProactiveSender, ReminderReport, ReminderRunner, RunReport
from followup.schedule import CatchUp
from bot.turn import Services

log = logging.getLogger("tavla.scheduler")

TICK_S = 60.0
JITTER_S = 10.0  # replicas should not all query at the same second


@dataclass
class TickResult:
    digests: RunReport | None
    reminders: ReminderReport | None


class Scheduler:
    """A background task that ticks until stopped; a tick that fails is logged and the next one runs."""

    def __init__(self, digests: DigestRunner, reminders: ReminderRunner | None = None, *, tick: float = TICK_S,
                 jitter: float = JITTER_S, rng: random.Random | None = None) -> None:
        self.digests = digests
        self.reminders = reminders
        self.tick = tick
        self.jitter = jitter
        self.rng = rng or random.Random()
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @classmethod
    def for_services(cls, services: Services, adapter: Any, **kwargs: Any) -> "Scheduler":
        settings = services.settings
        sender = ProactiveSender(adapter, settings.app_id)
        # The catch-up window: the rest of the due day unless a number of hours is configured.
        policy = DeliveryPolicy(catch_up=CatchUp(getattr(settings, "digest_catch_up_hours", None)))
        digests = DigestRunner(services.store, sender, services.clock, policy=policy)
        reminders = ReminderRunner(services.store, sender, services.clock, stale_days=settings.reminder_days,
                                   policy=policy)
        return cls(digests, reminders, **kwargs)

    async def run_once(self) -> TickResult:
        digests = reminders = None
        try:
            digests = await self.digests.run_due()
        except Exception:  # noqa: BLE001 - e.g. the database is down: the next tick tries again
            log.exception("digest tick failed")
        if self.reminders is not None:
            try:
                reminders = await self.reminders.run_due()
            except Exception:  # noqa: BLE001
                log.exception("reminder tick failed")
        self.ticks += 1
        return TickResult(digests, reminders)

    async def _loop(self) -> None:
        # A first tick soon after start: a server that was down at 07:30 catches up now.
        delay = self.rng.uniform(0, min(self.jitter, self.tick))
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
                return
            except asyncio.TimeoutError:
                pass
            await self.run_once()
            delay = self.tick + self.rng.uniform(-self.jitter, self.jitter) / 2

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name="tavla-scheduler")
            log.info("scheduler started (tick %.0f s)", self.tick)

    async def stop(self, timeout: float = 15.0) -> None:
        """Stop ticking; a pass that is sending gets ``timeout`` seconds to finish, then is cancelled
        (its runs in flight stay claimed and are resolved by the next process: see ``bot.digest_sender``)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except asyncio.TimeoutError:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        log.info("scheduler stopped")
