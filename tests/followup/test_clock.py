"""The one clock: pinned to an as-of date it keeps the time of day, in Stockholm's offset for that date."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from followup.clock import STOCKHOLM, Clock


def test_a_pinned_clock_is_that_date_at_the_current_time_of_day() -> None:
    for as_of, offset in ((date(2018, 5, 15), 2), (date(2018, 1, 15), 1)):  # summer and winter time
        clock = Clock(as_of)
        before = datetime.now(STOCKHOLM)
        now = clock.now()
        after = datetime.now(STOCKHOLM)
        assert now.date() == as_of and clock.today() == as_of and clock.pinned
        assert now.utcoffset() == timedelta(hours=offset)
        assert before.time().replace(tzinfo=None) <= now.time() <= after.time() or after.date() != before.date()
        utc = clock.utcnow()
        assert abs(utc - now) < timedelta(seconds=5) and utc.tzinfo == timezone.utc


def test_an_unpinned_clock_is_stockholms_now() -> None:
    clock = Clock()
    now, real = clock.now(), datetime.now(STOCKHOLM)
    assert abs(real - now) < timedelta(seconds=5) and now.tzinfo is STOCKHOLM and not clock.pinned
    assert clock.today() in (now.date(), datetime.now(STOCKHOLM).date())
