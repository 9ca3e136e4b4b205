"""Sending the weekly digests and tavelmöte reminders: claimed in the database, paced, retried, recorded.

At most one digest per subscription and ISO week, exactly one whenever delivery is possible:

* A run is claimed by INSERTing its ``digest_run`` row (UNIQUE per subscription and week) with
  ``attempts = 1`` committed *before* the POST; the outcome is recorded after it (compare-and-set on the
  owner and the attempt count, see ``storage.digest``). No lock lives in memory, so replicas on one
  PostgreSQL and restarts are safe.
* Not delivered (429, 412, 503 before processing, 502/504 from the gateway, connection refused, rate-limit budget) →
  ``failed`` and retried: here with ``Retry-After`` or exponential backoff with jitter, later by another
  tick within the catch-up window.
* Outcome unknown (timeout or reset after the request was written, 500, a crash during the POST)
  → ``uncertain``: never repeated automatically (Teams has no idempotency key) and listed in the report.
* 403/404 (``BotNotInConversationRoster``, ``ConversationBlockedByUser``, ``BotDisabledByAdmin``,
  ``ConversationNotFound``) → the subscription is paused with the reason, logged; the others continue.
* A crash leaves rows ``claimed``: after ``lease`` another process takes them over — with no attempt
  begun it sends, with an attempt begun it records ``uncertain``. Subscriptions never claimed are simply
  claimed on the next pass: a crashed run resumes with the unsent ones only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.ratelimit import TEAMS_APP_WINDOWS, TEAMS_CONVERSATION_WINDOWS, OutboundLimiter, PacedWindows, Windows
from cards.digest import ReminderItem, ReminderView, digest_card, quiet_text, reminder_card
from followup.clock import Clock
from followup.digest import DigestContent, build_digest, reminder_items
from followup.schedule import CatchUp, Slot, due_slot, iso_week, local_moment, meeting_for_reminder, parse_time
from storage import digest as repo
from storage.db import Store
from storage.digest_sources import digest_input, recipients, reminder_candidates, reminder_units

log = logging.getLogger("tavla.digest")

CLAIM_CHUNK = 250
PAUSE_STATUSES = frozenset({403, 404})
RETRYABLE_STATUSES = frozenset({412, 429, 502, 503, 504})  # transient (issue #6); 500 = perhaps processed


# --- the sending interface ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    card: dict[str, Any] | None = None
    text: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one send. ``failed`` = definitely not delivered; ``uncertain`` = perhaps delivered."""

    kind: str  # sent / failed / uncertain
    message_id: str | None = None
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None
    detail: str = ""

    @property
    def reason(self) -> str:
        return " ".join(str(p) for p in (self.status, self.code) if p) or self.detail or self.kind


class Sender(Protocol):
    """Posts one proactive message to a stored conversation reference; never raises for delivery problems."""

    async def send(self, reference: dict[str, Any], message: Outgoing) -> Outcome: ...


class ProactiveSender:
    """``Sender`` over the outbound path (``bot.proactive.send_proactive``): the real app id, the shared
    session, the Teams rate limiter and its safe retries; its typed errors become an ``Outcome``."""

    def __init__(self, adapter: Any, app_id: str | None, *, policy: Any = None) -> None:
        self.adapter = adapter
        self.app_id = app_id or None
        self.policy = policy

    async def send(self, reference: dict[str, Any], message: Outgoing) -> Outcome:
        from bot.outbound import DeliveryFailed, DeliveryUncertain
        from bot.proactive import send_proactive

        payload: Any = message.card if message.card is not None else (message.text or "")
        try:
            message_id = await send_proactive(self.adapter, reference, payload, self.app_id, policy=self.policy)
        except DeliveryUncertain as exc:
            return Outcome("uncertain", status=exc.status, code=exc.code, detail=str(exc))
        except DeliveryFailed as exc:
            return Outcome("failed", status=exc.status, code=exc.code, retry_after=exc.retry_after, detail=str(exc))
        return Outcome("sent", message_id=message_id or None)


# --- policy and report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPolicy:
    max_sends: int = 6  # sends of one run within one pass (each may retry inside the outbound path too)
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    lease: timedelta = timedelta(minutes=10)  # a claimed run untouched this long belongs to a dead process
    retry_failed_after: timedelta = timedelta(minutes=2)  # a later pass retries a failed run after this
    concurrency: int = 48  # runs between claim and outcome at once (≈ rate × latency, with room)
    catch_up: CatchUp = CatchUp()


@dataclass(frozen=True)
class UncertainRun:
    subscription_id: int
    conversation_id: str
    scope_name: str
    iso_year: int
    iso_week: int
    detail: str


@dataclass
class RunReport:
    """What one pass did; ``uncertain`` lists the runs an operator should check by hand."""

    due: int = 0
    sent: list[int] = field(default_factory=list)
    quiet_lines: int = 0
    skipped: list[int] = field(default_factory=list)
    already: int = 0
    busy: int = 0  # claimed by a live process
    uncertain: list[UncertainRun] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    paused: list[tuple[int, str]] = field(default_factory=list)
    retries: int = 0

    def summary(self) -> str:
        return (f"due {self.due}, sent {len(self.sent)} ({self.quiet_lines} quiet lines), skipped "
                f"{len(self.skipped)}, already done {self.already}, busy {self.busy}, uncertain "
                f"{len(self.uncertain)}, failed {len(self.failed)}, paused {len(self.paused)}, retries {self.retries}")


class WriteGate:
    """Short write transactions, one at a time in this process on SQLite.

    SQLite has one writer; sixty concurrent sends each committing would meet in its busy handler, which
    sleeps up to 100 ms per retry. Queueing them here keeps each commit at a millisecond or two. This is
    only about speed: the guarantees are the database's (UNIQUE claim, compare-and-set transitions), so
    another process writing at the same time is still safe. PostgreSQL needs no gate.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock() if store.dialect == "sqlite" else None

    @property
    def serial(self) -> bool:
        return self._lock is not None

    @contextlib.asynccontextmanager
    async def core(self) -> Any:
        """A Core connection in one transaction — for the per-send writes, which are Core statements and
        do not need the ORM session's bookkeeping (the largest CPU cost per send otherwise)."""
        if self._lock is None:
            async with self.store.engine.begin() as conn:
                yield conn
            return
        async with self._lock:
            async with self.store.engine.begin() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def __call__(self) -> Any:
        if self._lock is None:
            async with self.store.session() as session:
                yield session
            return
        async with self._lock:
            async with self.store.session() as session:
                yield session


class GroupCommit:
    """Many small writes, few transactions: writes arriving within ``window`` share one commit.

    Each caller gets its own result only after the shared transaction committed, so "claimed before the
    POST" and "recorded after it" hold exactly as with one transaction each. Up to ``parallel`` groups
    commit at the same time (PostgreSQL: several connections; SQLite: one writer). An operation must not
    raise for expected conflicts (claims catch their IntegrityError in a savepoint); a database error fails
    its whole group, and every caller in it sees it.
    """

    def __init__(self, gate: "WriteGate", window: float = 0.005, parallel: int | None = None) -> None:
        self.gate = gate
        self.window = window
        self.parallel = parallel or (1 if gate.serial else 8)
        self._pending: list[tuple[Callable[[Any], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._flushers: set[asyncio.Task[None]] = set()

    async def run(self, op: Callable[[Any], Awaitable[Any]]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        if len(self._flushers) < self.parallel:
            task = asyncio.create_task(self._flush())
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        await asyncio.sleep(self.window)
        while self._pending:
            batch, self._pending = self._pending, []
            results: list[Any] = []
            try:
                async with self.gate.core() as session:
                    for op, _ in batch:
                        results.append(await op(session))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)


def owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(policy: DeliveryPolicy, attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter in the upper half: 0.5–1 × base·2^(n−1), capped."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * (2 ** max(0, attempt - 1)))
    return rng.uniform(ceiling / 2, ceiling)


PACE_CONVERSATION_MARGIN_S = 0.25  # the service counts arrivals: a new connection or a busy loop delays one
PACE_APP_MARGIN_S = 0.002
PACE_APP_INTERVAL_S = 0.0217  # one send every 21.7 ms ≈ 46/s: 1 000 channels in ≈ 21.7 s (floor 20 s)
# A send may go up to 10 ms before its slot, so one that went a few ms late (a busy loop) does not move every
# later one back: with the slot counted from the last send, lateness added up (≈ 1.1 × the floor became ≈ 1.2 ×).
# Any 1 s holds at most 1 + 1.01 / 0.0217 = 47 sends: Teams allows 50.
PACE_APP_TOLERANCE_S = 0.010


def _paced_apps(windows: Windows) -> PacedWindows:
    return PacedWindows(windows, interval=PACE_APP_INTERVAL_S, tolerance=PACE_APP_TOLERANCE_S,
                        margin=PACE_APP_MARGIN_S, max_keys=1_000)


def pace_limiter() -> OutboundLimiter:
    """The runner's own pacing (``bot.ratelimit.OutboundLimiter``), before each attempt is committed.

    Sends are spread *evenly* at ≈46/s instead of in bursts of 50 per second: the service counts arrival
    times, and with even spacing arrivals may jitter by ≈85 ms before any 1 s window holds more than 50
    (a burst tolerates only the margin). Per conversation, Teams' four windows with a wide margin. Each
    429 avoided saves a ``Retry-After``.
    """
    limiter = OutboundLimiter(TEAMS_CONVERSATION_WINDOWS, TEAMS_APP_WINDOWS)
    limiter.conversations.margin = PACE_CONVERSATION_MARGIN_S
    limiter.apps = _paced_apps(TEAMS_APP_WINDOWS)
    return limiter


def smoothing_limiter() -> OutboundLimiter:
    """Even spacing only, right before the POST: turns a group of runs released by one commit back into
    a steady stream (the pace before the commit already keeps the rate and the per-conversation windows)."""
    limiter = OutboundLimiter(((3600.0, 1_000_000),), ((3600.0, 1_000_000),))
    limiter.apps = _paced_apps(((3600.0, 1_000_000),))
    return limiter


def channel_post(reference: dict[str, Any]) -> dict[str, Any]:
    """A reference stored from a channel thread posts into that thread; a digest is a new post in the channel."""
    conversation = reference.get("conversation")
    if isinstance(conversation, dict) and isinstance(conversation.get("id"), str) and ";messageid=" in conversation["id"]:
        return {**reference, "conversation": {**conversation, "id": conversation["id"].split(";messageid=", 1)[0]}}
    return reference


def _lang(reference: dict[str, Any] | None) -> str:
    locale = (reference or {}).get("locale") or ""
    return "en" if isinstance(locale, str) and locale.lower().startswith("en") else "sv"


# --- the digest runner ----------------------------------------------------------------------------


class DigestRunner:
    """Finds due subscriptions in the database, claims and sends them. Safe to run anywhere, any time."""

    def __init__(self, store: Store, sender: Sender, clock: Clock, *, policy: DeliveryPolicy | None = None,
                 owner: str | None = None, pace: OutboundLimiter | bool = True, rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        self.owner = owner or owner_id()
        self.pace = pace_limiter() if pace is True else (pace or None)
        self.smooth = smoothing_limiter() if self.pace is not None else None
        self.rng = rng or random.Random()
        self._sleep = sleep
        self._tx = WriteGate(store)
        self._writes = GroupCommit(self._tx)

    # --- one pass ---------------------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None, *, force: bool = False,
                      conversation_id: str | None = None) -> RunReport:
        """Send every digest due at ``now``; ``force`` sends this week's now, whatever its schedule says
        (still at most one per week)."""
        now = now or self.clock.now()
        report = RunReport()
        async with self.store.session() as session:
            subs = await repo.active_subscriptions(session, conversation_id=conversation_id)
        due: list[tuple[repo.Subscription, Slot]] = []
        for sub in subs:
            slot = self._slot(sub, now, force)
            if slot is not None:
                due.append((sub, slot))
        report.due = len(due)
        if not due:
            return report
        existing: dict[tuple[int, int], dict[int, repo.Run]] = {}
        async with self.store.session() as session:
            for week in {slot.key for _, slot in due}:
                existing[week] = await repo.runs_for_week(session, week[0], week[1])
        contents: dict[tuple[int, int, int], asyncio.Future[DigestContent | None]] = {}
        gate = asyncio.Semaphore(max(1, self.policy.concurrency))

        async def one(sub: repo.Subscription, slot: Slot, run: repo.Run, resume: bool) -> None:
            async with gate:
                await self._one(sub, slot, run, resume, now, report, contents)

        # Each scope's digest is built once, all at the start, so sending is paced by the limits alone.
        first_of_scope = {(sub.scope_org_unit_id, slot.key): (sub, slot) for sub, slot in reversed(due)}
        await asyncio.gather(*(self._content(sub, slot, now, contents) for sub, slot in first_of_scope.values()),
                             return_exceptions=True)  # a failure is met again (and reported) by its runs
        # Runs left by an earlier pass (failed, or claimed by a process that died) are looked at one by one.
        await asyncio.gather(*(one(sub, slot, existing[slot.key][sub.id], True) for sub, slot in due
                               if sub.id in existing[slot.key]))
        # The rest are claimed a chunk at a time (one multi-row INSERT, attempts = 0: nothing sent yet), so a
        # process that dies leaves at most a chunk waiting for the lease, and sent.
        fresh = [(sub, slot) for sub, slot in due if sub.id not in existing[slot.key]]
        for start in range(0, len(fresh), CLAIM_CHUNK):
            chunk = fresh[start:start + CLAIM_CHUNK]
            async with self._tx() as session:
                claimed = {run.subscription_id: run for run in await repo.claim_runs(
                    session, [(sub.id, slot.iso_year, slot.iso_week) for sub, slot in chunk], self.owner,
                    self.clock.utcnow())}
            report.already += len(chunk) - len(claimed)  # another process claimed those first
            await asyncio.gather(*(one(sub, slot, claimed[sub.id], False) for sub, slot in chunk if sub.id in claimed))
        if report.uncertain:
            log.warning("digest: %d runs uncertain (perhaps delivered, not repeated): %s", len(report.uncertain),
                        ", ".join(f"subscription {u.subscription_id} ({u.conversation_id})" for u in report.uncertain))
        log.info("digest pass: %s", report.summary())
        return report

    def _slot(self, sub: repo.Subscription, now: datetime, force: bool) -> Slot | None:
        try:
            at = parse_time(sub.send_time)
        except ValueError:
            log.error("subscription %s has an unusable time %r; using 07:30", sub.id, sub.send_time)
            at = parse_time("07:30")
        if force:
            year, week = iso_week(now.astimezone(self.clock.tz).date())
            return Slot(year, week, now, now + timedelta(hours=1))
        return due_slot(now, sub.weekday, at, self.policy.catch_up, self.clock.tz)

    async def _one(self, sub: repo.Subscription, slot: Slot, run: repo.Run, resume: bool, now: datetime,
                   report: RunReport, contents: dict[Any, Any]) -> None:
        try:
            await self._deliver(sub, slot, run, resume, now, report, contents)
        except Exception:  # noqa: BLE001 - one subscription's bug must not stop the others; logged with ids
            log.exception("digest for subscription %s (%s) failed unexpectedly", sub.id, sub.conversation_id)
            report.failed.append((sub.id, "internal error"))

    async def _deliver(self, sub: repo.Subscription, slot: Slot, run: repo.Run | None, resume: bool, now: datetime,
                       report: RunReport, contents: dict[Any, Any]) -> None:
        policy = self.policy
        if run is not None and resume:
            run = await self._resume(sub, run, now, report)
            if run is None:
                return
        content = await self._content(sub, slot, now, contents)
        if content is None:
            report.failed.append((sub.id, "scope missing"))
            if run is not None:
                async with self._tx() as session:
                    await repo.finish_run(session, run, repo.FAILED, self.clock.utcnow(), error="final: scope missing")
            return
        lang = _lang(sub.reference)
        if content.quiet and sub.quiet_weeks == "nothing":
            await self._skip(sub, slot, run, report)
            return
        message = (Outgoing(text=quiet_text(content, lang)) if content.quiet
                   else Outgoing(card=digest_card(content, lang, subscription_id=sub.id, pinned=self.clock.pinned)))
        reference = channel_post(sub.reference or {})
        conversation = ((reference.get("conversation") or {}).get("id")) or sub.conversation_id
        sends = 0
        while True:
            if self.pace is not None:
                await self.pace.acquire(conversation)
            stamp = self.clock.utcnow()
            if run is None:
                run = await self._writes.run(lambda session: repo.claim_run(
                    session, sub.id, slot.iso_year, slot.iso_week, self.owner, stamp, sending=True))
                if run is None:  # another process claimed it between our read and now
                    report.already += 1
                    return
            else:
                current = run
                run = await self._writes.run(lambda session: repo.begin_attempt(session, current, stamp))
                if run is None:  # taken over by another process while we waited
                    report.busy += 1
                    return
            # Commits finish in groups, sends must not: re-space them (a short wait, only after a bunch).
            if self.smooth is not None:
                await self.smooth.acquire(conversation)
            sends += 1
            try:
                outcome = await self.sender.send(reference, message)
            except Exception as exc:  # noqa: BLE001 - a sender bug after the POST may have begun: unknown
                log.exception("sender raised for subscription %s", sub.id)
                outcome = Outcome("uncertain", detail=f"sender error {type(exc).__name__}")
            done = self.clock.utcnow()
            attempt = run
            if outcome.kind == "sent":
                await self._writes.run(lambda session: repo.finish_run(session, attempt, repo.SENT, done,
                                                                       message_id=outcome.message_id))
                report.sent.append(sub.id)
                report.quiet_lines += int(content.quiet)
                return
            if outcome.kind == "uncertain":
                await self._writes.run(lambda session: repo.finish_run(session, attempt, repo.UNCERTAIN, done,
                                                                       error=f"uncertain: {outcome.reason}"))
                report.uncertain.append(UncertainRun(sub.id, sub.conversation_id, sub.scope_name, slot.iso_year,
                                                     slot.iso_week, outcome.reason))
                return
            if outcome.status in PAUSE_STATUSES:
                reason = outcome.reason
                async with self._tx() as session:
                    await repo.finish_run(session, run, repo.FAILED, done, error=f"final: {reason}")
                    await repo.pause_for_delivery(session, sub.id, reason)
                log.warning("digest subscription %s paused: %s (conversation %s)", sub.id, reason,
                            sub.conversation_id)
                report.paused.append((sub.id, reason))
                return
            retryable = outcome.status is None or outcome.status in RETRYABLE_STATUSES
            error = f"{'retry' if retryable else 'final'}: {outcome.reason}"
            await self._writes.run(lambda session: repo.finish_run(session, attempt, repo.FAILED, done, error=error))
            run = repo.Run(run.id, run.subscription_id, run.iso_year, run.iso_week, repo.FAILED, run.claimed_by,
                           run.claimed_at, run.attempts, done)
            if not retryable or sends >= policy.max_sends or done >= slot.until:
                report.failed.append((sub.id, outcome.reason))
                return
            wait = outcome.retry_after if outcome.retry_after is not None else backoff(policy, sends, self.rng)
            wait = min(max(0.0, wait), policy.backoff_cap) + self.rng.uniform(0, 0.1 * max(wait, 0.1))
            if outcome.status == 429 and self.pace is not None:
                self.pace.pause_conversation(conversation, wait)
            report.retries += 1
            await self._sleep(wait)

    async def _resume(self, sub: repo.Subscription, run: repo.Run, now: datetime,
                      report: RunReport) -> repo.Run | None:
        """Decide about a run that exists already: done, someone else's, or ours to take over."""
        stamp = self.clock.utcnow()
        if run.state in (repo.SENT, repo.SKIPPED, repo.UNCERTAIN):
            report.already += 1
            return None
        if run.state == repo.FAILED:
            if (run.error or "").startswith("final:") or (
                    run.finished_at is not None and run.finished_at > stamp - self.policy.retry_failed_after):
                report.already += 1
                return None
        elif run.claimed_by == self.owner or not repo.stale(run.claimed_at, stamp, self.policy.lease):
            report.busy += 1
            return None
        async with self._tx() as session:
            mine = await repo.take_over(session, run, self.owner, stamp)
            if mine is None:
                report.busy += 1
                return None
            if mine.state == repo.CLAIMED and mine.attempts > 0:
                # Its owner died after committing an attempt: the POST may have gone out.
                await repo.finish_run(session, mine, repo.UNCERTAIN, stamp,
                                      error=f"uncertain: process stopped during send (attempt {mine.attempts})")
                report.uncertain.append(UncertainRun(sub.id, sub.conversation_id, sub.scope_name, run.iso_year,
                                                     run.iso_week, "process stopped during send"))
                return None
        return mine

    async def _skip(self, sub: repo.Subscription, slot: Slot, run: repo.Run | None, report: RunReport) -> None:
        stamp = self.clock.utcnow()
        async with self._tx() as session:
            if run is None:
                run = await repo.claim_run(session, sub.id, slot.iso_year, slot.iso_week, self.owner, stamp)
                if run is None:
                    report.already += 1
                    return
            await repo.finish_run(session, run, repo.SKIPPED, stamp, error=None)
        report.skipped.append(sub.id)

    async def _content(self, sub: repo.Subscription, slot: Slot, now: datetime,
                       contents: dict[Any, Any]) -> DigestContent | None:
        """The digest for the subscription's scope, built once per scope and week in a pass."""
        key = (sub.scope_org_unit_id, slot.iso_year, slot.iso_week)
        future = contents.get(key)
        if future is None:
            future = contents[key] = asyncio.get_running_loop().create_future()
            try:
                today = now.astimezone(self.clock.tz).date()
                async with self.store.session() as session:
                    data = await digest_input(session, sub.scope_org_unit_id, today, now)
                future.set_result(build_digest(data) if data is not None else None)
            except BaseException as exc:
                future.set_exception(exc)
                contents.pop(key, None)
                raise
        return await asyncio.shield(future)


# --- tavelmöte reminders ----------------------------------------------------------------------------


@dataclass
class ReminderReport:
    sent: list[tuple[int, int]] = field(default_factory=list)  # (person, enhet)
    already: int = 0
    uncertain: list[tuple[int, int]] = field(default_factory=list)
    failed: list[tuple[int, int, str]] = field(default_factory=list)
    no_conversation: int = 0


class ReminderRunner:
    """The working day before an enhet's tavelmöte: one 1:1 message per activity owner with stale work."""

    def __init__(self, store: Store, sender: Sender, clock: Clock, *, stale_days: int = 7,
                 send_time: str = "09:00", policy: DeliveryPolicy | None = None,
                 pace: OutboundLimiter | bool = True) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.stale_days = stale_days
        self.send_time = parse_time(send_time)
        self.policy = policy or DeliveryPolicy()
        self.pace = pace_limiter() if pace is True else (pace or None)
        self._tx = WriteGate(store)

    async def run_due(self, now: datetime | None = None, *, force: bool = False,
                      only_unit: int | None = None) -> ReminderReport:
        now = now or self.clock.now()
        today = now.astimezone(self.clock.tz).date()
        report = ReminderReport()
        start = local_moment(today, self.send_time, self.clock.tz)
        if not force and not (start <= now < self.policy.catch_up.deadline(start, self.clock.tz)):
            return report
        async with self.store.session() as session:
            units = await reminder_units(session, today.year)
        for unit in units:
            if only_unit is not None and unit.id != only_unit:
                continue
            meeting = meeting_for_reminder(today, unit.meeting_weekday)
            if meeting is None:
                continue
            await self._unit(unit, meeting, today, now, report)
        return report

    async def _unit(self, unit: Any, meeting: date, today: date, now: datetime, report: ReminderReport) -> None:
        async with self.store.session() as session:
            candidates = await reminder_candidates(session, unit.id, today.year)
            per_owner = reminder_items(candidates, meeting=meeting, today=today, now=now, stale_days=self.stale_days)
            people = await recipients(session, list(per_owner))
        report.no_conversation += len(set(per_owner) - set(people))
        for person_id, items in per_owner.items():
            recipient = people.get(person_id)
            if recipient is None:
                continue
            lang = "en" if (recipient.locale or "").lower().startswith("en") or _lang(recipient.reference) == "en" else "sv"
            view = ReminderView(unit.name, meeting, self.stale_days, tuple(
                ReminderItem(c.activity_id, c.title, c.deadline, c.status, c.progress, c.version,
                             bool(c.deadline and c.deadline < today)) for c in items), unit.is_demo)
            await self._send(recipient, unit.id, meeting, Outgoing(card=reminder_card(view, lang)), report)

    async def _send(self, recipient: Any, unit_id: int, meeting: date, message: Outgoing,
                    report: ReminderReport) -> None:
        stamp = self.clock.utcnow()
        existing = None
        async with self._tx() as session:
            claim = await repo.claim_reminder(session, recipient.person_id, unit_id, meeting, stamp)
        if claim is None:
            async with self._tx() as session:
                existing = await repo.get_reminder(session, recipient.person_id, unit_id, meeting)
            claim = await self._retake(existing, stamp)
            if claim is None:
                report.already += 1
                return
        if self.pace is not None:
            await self.pace.acquire(recipient.conversation_id)
        async with self._tx() as session:
            sending = await repo.move_reminder(session, claim, repo.SENDING, self.clock.utcnow())
        if sending is None:
            report.already += 1
            return
        try:
            outcome = await self.sender.send(recipient.reference, message)
        except Exception as exc:  # noqa: BLE001 - unknown whether it went out
            log.exception("reminder sender raised for person %s", recipient.person_id)
            outcome = Outcome("uncertain", detail=type(exc).__name__)
        state = {"sent": repo.SENT, "uncertain": repo.UNCERTAIN}.get(outcome.kind, repo.FAILED)
        error = None
        if state == repo.UNCERTAIN:
            error = f"uncertain: {outcome.reason}"
        elif state == repo.FAILED:
            retryable = outcome.status is None or outcome.status in RETRYABLE_STATUSES
            error = f"{'retry' if retryable else 'final'}: {outcome.reason}"
        async with self._tx() as session:
            await repo.move_reminder(session, sending, state, self.clock.utcnow(), error=error)
        key = (recipient.person_id, unit_id)
        if state == repo.SENT:
            report.sent.append(key)
        elif state == repo.UNCERTAIN:
            report.uncertain.append(key)
        else:
            report.failed.append((*key, outcome.reason))

    async def _retake(self, existing: repo.ReminderClaim | None, stamp: datetime) -> repo.ReminderClaim | None:
        """A failed reminder, or one claimed by a process that died before sending, may be taken again."""
        if existing is None:
            return None
        if (existing.state == repo.FAILED and not (existing.error or "").startswith("final:")
                and existing.claimed_at <= stamp - self.policy.retry_failed_after):
            pass  # definitely not delivered (429/503…): try again; 403/404 and the like are final
        elif existing.state == repo.CLAIMED and repo.stale(existing.claimed_at, stamp, self.policy.lease):
            pass
        else:
            if existing.state == repo.SENDING and repo.stale(existing.claimed_at, stamp, self.policy.lease):
                async with self._tx() as session:
                    await repo.move_reminder(session, existing, repo.UNCERTAIN, stamp,
                                             error="process stopped during send")
            return None
        async with self._tx() as session:
            return await repo.move_reminder(session, existing, repo.CLAIMED, stamp)
