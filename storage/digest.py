"""Digest subscriptions, digest runs and reminder runs.

The database is the only guarantee of "at most one": a run is *claimed* by INSERTing its row, and the
UNIQUE constraint (subscription, ISO year, ISO week) — or (person, enhet, meeting date) for reminders —
makes a second claim fail with an IntegrityError, on any replica. No lock lives in memory.

A digest run moves ``claimed`` → (``attempts`` += 1 committed *before* each POST) → ``sent`` |
``failed`` (definitely not delivered: may be retried) | ``uncertain`` (the outcome of a POST is unknown:
never repeated automatically) | ``skipped`` (a quiet week the subscription wants nothing for). Every
transition is a compare-and-set on the owner (``claimed_by``) and the attempt count, so a run taken over
after a crash can never be sent by two processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from followup.schedule import meeting_weekday
from storage.models import Conversation, DigestRun, DigestSubscription, OrgUnit, Person, ReminderRun, utcnow

STOPPED = "stopped"  # paused_reason of a subscription someone stopped ("stoppa veckosammanfattning")
PAUSED_BY_USER = "paused"  # paused_reason prefix: "paused:<name>"
DELIVERY = "delivery"  # paused_reason prefix: "delivery:<status> <code>"
QUIET_MODES = ("line", "nothing")
CLAIMED, SENT, UNCERTAIN, FAILED, SKIPPED = "claimed", "sent", "uncertain", "failed", "skipped"
RUNS = DigestRun.__table__  # Core statements for the hot path: no ORM bookkeeping per send
REMINDERS = ReminderRun.__table__
SENDING = "sending"  # reminder_run only: a POST has begun


# --- subscriptions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    id: int
    conversation_pk: int
    conversation_id: str
    conversation_type: str | None
    installed: bool
    scope_org_unit_id: int
    scope_name: str
    scope_kind: str
    weekday: int
    send_time: str
    active: bool
    paused_reason: str | None
    quiet_weeks: str
    reference: dict[str, Any] | None = None

    @property
    def stopped(self) -> bool:
        return not self.active and self.paused_reason == STOPPED

    @property
    def paused(self) -> bool:
        return not self.active and self.paused_reason != STOPPED


def _select_subscriptions(with_reference: bool = False) -> Any:
    columns = [DigestSubscription, Conversation.conversation_id, Conversation.conversation_type,
               Conversation.installed, OrgUnit.name, OrgUnit.kind]
    if with_reference:
        columns.append(Conversation.reference)
    return (select(*columns)
            .join(Conversation, Conversation.id == DigestSubscription.conversation_pk)
            .join(OrgUnit, OrgUnit.id == DigestSubscription.scope_org_unit_id))


def _subscription(row: Any) -> Subscription:
    sub: DigestSubscription = row[0]
    return Subscription(sub.id, sub.conversation_pk, row[1], row[2], bool(row[3]), sub.scope_org_unit_id, row[4],
                        row[5], sub.weekday, sub.send_time, bool(sub.active), sub.paused_reason, sub.quiet_weeks,
                        row[6] if len(row) > 6 else None)


async def get_subscription(session: AsyncSession, subscription_id: int, *,
                           with_reference: bool = False) -> Subscription | None:
    row = (await session.execute(
        _select_subscriptions(with_reference).where(DigestSubscription.id == subscription_id)
    )).first()
    return _subscription(row) if row else None


async def for_conversation(session: AsyncSession, conversation_pk: int, *,
                           include_stopped: bool = False) -> list[Subscription]:
    query = _select_subscriptions().where(DigestSubscription.conversation_pk == conversation_pk)
    rows = (await session.execute(query.order_by(DigestSubscription.id))).all()
    subs = [_subscription(r) for r in rows]
    return subs if include_stopped else [s for s in subs if not s.stopped]


async def subscribe(session: AsyncSession, *, conversation_pk: int, scope_org_unit_id: int,
                    weekday: int = 0, send_time: str = "07:30", created_by_id: int | None = None,
                    now: datetime | None = None) -> tuple[Subscription, bool]:
    """Subscribe (or re-activate a stopped/paused one); returns (subscription, newly_created).

    Re-subscribing keeps the row and so its runs: a channel that stops and subscribes again in the same
    week does not get that week's digest twice.
    """
    existing = (await session.execute(
        select(DigestSubscription).where(DigestSubscription.conversation_pk == conversation_pk,
                                         DigestSubscription.scope_org_unit_id == scope_org_unit_id)
    )).scalar_one_or_none()
    created = False
    if existing is None:
        try:
            async with session.begin_nested():
                row = DigestSubscription(conversation_pk=conversation_pk, scope_org_unit_id=scope_org_unit_id,
                                         weekday=weekday, send_time=send_time, active=True,
                                         created_by_id=created_by_id, created_at=now or utcnow())
                session.add(row)
                await session.flush()
            created = True
            sub_id = row.id
        except IntegrityError:  # someone subscribed the same scope at the same moment
            sub_id = (await session.execute(
                select(DigestSubscription.id).where(DigestSubscription.conversation_pk == conversation_pk,
                                                    DigestSubscription.scope_org_unit_id == scope_org_unit_id)
            )).scalar_one()
    else:
        sub_id = existing.id
        if not existing.active:
            existing.active = True
            existing.paused_reason = None
            existing.weekday = weekday
            existing.send_time = send_time
            await session.flush()
    sub = await get_subscription(session, sub_id)
    assert sub is not None
    return sub, created


async def set_schedule(session: AsyncSession, subscription_id: int, *, weekday: int | None = None,
                       send_time: str | None = None) -> bool:
    values: dict[str, Any] = {}
    if weekday is not None:
        values["weekday"] = weekday
    if send_time is not None:
        values["send_time"] = send_time
    if not values:
        return False
    result = await session.execute(update(DigestSubscription).where(DigestSubscription.id == subscription_id)
                                   .values(**values))
    return bool(result.rowcount)


async def set_quiet_weeks(session: AsyncSession, subscription_id: int, mode: str) -> bool:
    if mode not in QUIET_MODES:
        raise ValueError(f"quiet_weeks must be one of {QUIET_MODES}")
    result = await session.execute(update(DigestSubscription).where(DigestSubscription.id == subscription_id)
                                   .values(quiet_weeks=mode))
    return bool(result.rowcount)


async def set_active(session: AsyncSession, subscription_id: int, active: bool, reason: str | None = None) -> bool:
    """Resume (``active``), pause with a reason, or stop (reason ``STOPPED``)."""
    result = await session.execute(
        update(DigestSubscription).where(DigestSubscription.id == subscription_id)
        .values(active=active, paused_reason=None if active else (reason or PAUSED_BY_USER))
    )
    return bool(result.rowcount)


async def pause_for_delivery(session: AsyncSession, subscription_id: int, reason: str) -> bool:
    """Pause after 403/404 from Teams (uninstalled, blocked, conversation gone) — the others continue."""
    result = await session.execute(
        update(DigestSubscription).where(DigestSubscription.id == subscription_id,
                                         DigestSubscription.active.is_(True))
        .values(active=False, paused_reason=f"{DELIVERY}:{reason}"[:300])
    )
    return bool(result.rowcount)


async def active_subscriptions(session: AsyncSession, *, conversation_id: str | None = None,
                               with_reference: bool = True) -> list[Subscription]:
    """Active subscriptions in installed conversations (the scheduler filters by time in Python)."""
    query = _select_subscriptions(with_reference).where(DigestSubscription.active.is_(True),
                                                        Conversation.installed.is_(True))
    if conversation_id is not None:
        query = query.where(Conversation.conversation_id == conversation_id)
    rows = (await session.execute(query.order_by(DigestSubscription.id))).all()
    return [_subscription(r) for r in rows]


# --- digest runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    id: int
    subscription_id: int
    iso_year: int
    iso_week: int
    state: str
    claimed_by: str | None
    claimed_at: datetime
    attempts: int
    finished_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None


def _run(row: DigestRun) -> Run:
    return Run(row.id, row.subscription_id, row.iso_year, row.iso_week, row.state, row.claimed_by, row.claimed_at,
               row.attempts, row.finished_at, row.message_id, row.error)


async def claim_run(session: AsyncSession, subscription_id: int, iso_year: int, iso_week: int, owner: str,
                    now: datetime | None = None, *, sending: bool = False) -> Run | None:
    """INSERT the run for this subscription and week; None when it already exists (someone claimed it).

    ``sending=True`` claims and begins the first attempt in one write (``attempts = 1``): commit it, then POST.
    """
    now = now or utcnow()
    attempts = 1 if sending else 0
    try:
        async with session.begin_nested():
            result = await session.execute(
                insert(RUNS).values(subscription_id=subscription_id, iso_year=iso_year, iso_week=iso_week,
                                    state=CLAIMED, claimed_by=owner, claimed_at=now, attempts=attempts)
                .returning(RUNS.c.id)
            )
            run_id = result.scalar_one()
    except IntegrityError:
        return None
    return Run(run_id, subscription_id, iso_year, iso_week, CLAIMED, owner, now, attempts)


async def claim_runs(session: AsyncSession, wanted: list[tuple[int, int, int]], owner: str,
                     now: datetime | None = None) -> list[Run]:
    """Claim many (subscription, ISO year, ISO week) runs with ``attempts = 0`` (nothing sent yet).

    One multi-row INSERT; when any row is taken already (another replica), the IntegrityError sends us
    one by one, each claim on its own. Returns the runs this call claimed.
    """
    if not wanted:
        return []
    now = now or utcnow()
    rows = [{"subscription_id": sub, "iso_year": year, "iso_week": week, "state": CLAIMED, "claimed_by": owner,
             "claimed_at": now, "attempts": 0} for sub, year, week in wanted]
    try:
        async with session.begin_nested():
            result = await session.execute(
                insert(RUNS).returning(RUNS.c.id, RUNS.c.subscription_id, sort_by_parameter_order=True), rows)
            ids = result.all()
    except IntegrityError:
        claimed = []
        for sub, year, week in wanted:
            run = await claim_run(session, sub, year, week, owner, now)
            if run is not None:
                claimed.append(run)
        return claimed
    return [Run(run_id, sub, year, week, CLAIMED, owner, now, 0)
            for (run_id, sub), (_, year, week) in zip(ids, wanted)]


async def get_run(session: AsyncSession, subscription_id: int, iso_year: int, iso_week: int) -> Run | None:
    row = (await session.execute(
        select(DigestRun).where(DigestRun.subscription_id == subscription_id, DigestRun.iso_year == iso_year,
                                DigestRun.iso_week == iso_week)
    )).scalar_one_or_none()
    return _run(row) if row else None


async def runs_for_week(session: AsyncSession, iso_year: int, iso_week: int,
                        subscription_ids: list[int] | None = None) -> dict[int, Run]:
    query = select(DigestRun).where(DigestRun.iso_year == iso_year, DigestRun.iso_week == iso_week)
    if subscription_ids is not None:
        query = query.where(DigestRun.subscription_id.in_(subscription_ids))
    return {r.subscription_id: _run(r) for r in (await session.execute(query)).scalars().all()}


async def take_over(session: AsyncSession, run: Run, owner: str, now: datetime) -> Run | None:
    """Become the owner of a run another process left (compare-and-set on its owner and attempt count).

    A run left ``claimed`` with ``attempts > 0`` may have been POSTed: the caller must record it
    ``uncertain`` rather than send it again.
    """
    result = await session.execute(
        update(RUNS)
        .where(RUNS.c.id == run.id, RUNS.c.state == run.state, RUNS.c.attempts == run.attempts,
               RUNS.c.claimed_by == run.claimed_by if run.claimed_by is not None else RUNS.c.claimed_by.is_(None))
        .values(claimed_by=owner, claimed_at=now)
    )
    if not result.rowcount:
        return None
    return Run(run.id, run.subscription_id, run.iso_year, run.iso_week, run.state, owner, now, run.attempts,
               run.finished_at, run.message_id, run.error)


async def begin_attempt(session: AsyncSession, run: Run, now: datetime) -> Run | None:
    """Record that a POST is about to start (commit this before sending); None when no longer ours."""
    result = await session.execute(
        update(RUNS)
        .where(RUNS.c.id == run.id, RUNS.c.claimed_by == run.claimed_by, RUNS.c.attempts == run.attempts,
               RUNS.c.state.in_((CLAIMED, FAILED)))
        .values(state=CLAIMED, attempts=run.attempts + 1, claimed_at=now)
    )
    if not result.rowcount:
        return None
    return Run(run.id, run.subscription_id, run.iso_year, run.iso_week, CLAIMED, run.claimed_by, now,
               run.attempts + 1)


async def finish_run(session: AsyncSession, run: Run, state: str, now: datetime, *, message_id: str | None = None,
                     error: str | None = None) -> bool:
    """Record the outcome of the current attempt (only the owner of that attempt can)."""
    assert state in (SENT, UNCERTAIN, FAILED, SKIPPED)
    result = await session.execute(
        update(RUNS)
        .where(RUNS.c.id == run.id, RUNS.c.claimed_by == run.claimed_by, RUNS.c.attempts == run.attempts)
        .values(state=state, finished_at=now, message_id=message_id, error=(error or None) and error[:2000])
    )
    return bool(result.rowcount)


async def uncertain_runs(session: AsyncSession, *, since: datetime | None = None) -> list[tuple[Run, Subscription]]:
    """Runs whose delivery is unknown, with their subscription — for the operator to check by hand."""
    query = select(DigestRun).where(DigestRun.state == UNCERTAIN)
    if since is not None:
        query = query.where(DigestRun.claimed_at >= since)
    out: list[tuple[Run, Subscription]] = []
    for row in (await session.execute(query.order_by(DigestRun.id))).scalars().all():
        sub = await get_subscription(session, row.subscription_id)
        if sub is not None:
            out.append((_run(row), sub))
    return out


# --- tavelmöte day and reminder opt-out ------------------------------------------------------


async def set_meeting_weekday(session: AsyncSession, org_unit_id: int, weekday: int | None) -> bool:
    result = await session.execute(update(OrgUnit).where(OrgUnit.id == org_unit_id).values(meeting_weekday=weekday))
    return bool(result.rowcount)


async def unit_meeting_weekday(session: AsyncSession, org_unit_id: int) -> tuple[str, int | None] | None:
    """(the enhet's name, its tavelmöte weekday — its own, else its digest's, as the reminders take it — or None);
    None when there is no such unit."""
    row = (await session.execute(select(OrgUnit.name, OrgUnit.meeting_weekday)
                                 .where(OrgUnit.id == org_unit_id))).first()
    if row is None:
        return None
    days = await subscription_weekdays(session, org_unit_id)
    return row[0], meeting_weekday(row[1], days.get(org_unit_id, []))


async def subscription_weekdays(session: AsyncSession, org_unit_id: int | None = None) -> dict[int, list[int]]:
    """The weekdays of the active digests (in installed conversations) per enhet they are for — of one enhet, or
    of all: without a tavelmöte day of its own, an enhet meets on its digest's weekday."""
    query = (select(DigestSubscription.scope_org_unit_id, DigestSubscription.weekday)
             .join(Conversation, Conversation.id == DigestSubscription.conversation_pk)
             .where(DigestSubscription.active.is_(True), Conversation.installed.is_(True)))
    if org_unit_id is not None:
        query = query.where(DigestSubscription.scope_org_unit_id == org_unit_id)
    days: dict[int, list[int]] = {}
    for unit_id, weekday in (await session.execute(query)).all():
        days.setdefault(unit_id, []).append(weekday)
    return days


async def set_reminders_opt_out(session: AsyncSession, person_id: int, opt_out: bool) -> bool:
    result = await session.execute(update(Person).where(Person.id == person_id).values(reminders_opt_out=opt_out))
    return bool(result.rowcount)


async def reminders_opted_out(session: AsyncSession, person_id: int) -> bool:
    value = (await session.execute(select(Person.reminders_opt_out).where(Person.id == person_id))).scalar_one_or_none()
    return bool(value)


# --- reminder runs --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderClaim:
    id: int
    person_id: int
    org_unit_id: int
    meeting_date: date
    state: str
    claimed_at: datetime  # the owner's token: every transition compares it
    error: str | None = None


async def claim_reminder(session: AsyncSession, person_id: int, org_unit_id: int, meeting_date: date,
                         now: datetime) -> ReminderClaim | None:
    try:
        async with session.begin_nested():
            result = await session.execute(
                insert(REMINDERS).values(person_id=person_id, org_unit_id=org_unit_id, meeting_date=meeting_date,
                                           state=CLAIMED, claimed_at=now).returning(REMINDERS.c.id)
            )
            run_id = result.scalar_one()
    except IntegrityError:
        return None
    return ReminderClaim(run_id, person_id, org_unit_id, meeting_date, CLAIMED, now)


async def get_reminder(session: AsyncSession, person_id: int, org_unit_id: int,
                       meeting_date: date) -> ReminderClaim | None:
    row = (await session.execute(
        select(ReminderRun).where(ReminderRun.person_id == person_id, ReminderRun.org_unit_id == org_unit_id,
                                  ReminderRun.meeting_date == meeting_date)
    )).scalar_one_or_none()
    if row is None:
        return None
    return ReminderClaim(row.id, row.person_id, row.org_unit_id, row.meeting_date, row.state, row.claimed_at,
                         row.error)


async def move_reminder(session: AsyncSession, claim: ReminderClaim, state: str, now: datetime,
                        error: str | None = None) -> ReminderClaim | None:
    """Compare-and-set a reminder run's state (the token is its ``claimed_at``)."""
    result = await session.execute(
        update(REMINDERS).where(REMINDERS.c.id == claim.id, REMINDERS.c.state == claim.state,
                                  REMINDERS.c.claimed_at == claim.claimed_at)
        .values(state=state, claimed_at=now, error=(error or None) and error[:2000])
    )
    if not result.rowcount:
        return None
    return ReminderClaim(claim.id, claim.person_id, claim.org_unit_id, claim.meeting_date, state, now)


def stale(claimed_at: datetime, now: datetime, lease: timedelta) -> bool:
    return claimed_at <= now - lease


__all__ = [
    "CLAIMED", "DELIVERY", "FAILED", "PAUSED_BY_USER", "QUIET_MODES", "SENDING", "SENT", "SKIPPED", "STOPPED",
    "UNCERTAIN", "ReminderClaim", "Run", "Subscription", "active_subscriptions", "begin_attempt", "claim_reminder",
    "claim_run", "claim_runs", "finish_run", "for_conversation", "get_reminder", "get_run", "get_subscription", "move_reminder",
    "pause_for_delivery", "reminders_opted_out", "runs_for_week", "set_active", "set_meeting_weekday",
    "set_quiet_weeks", "set_reminders_opt_out", "set_schedule", "stale", "subscribe", "take_over",
    "subscription_weekdays", "uncertain_runs", "unit_meeting_weekday",
]
