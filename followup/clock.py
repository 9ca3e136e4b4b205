"""The one clock: real time, or pinned to an as-of date (the seed is 2018 data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class Clock:
    """`today()` and `now()` in Europe/Stockholm; with `as_of` set, that date at the current time of day."""

    as_of: date | None = None
    tz: ZoneInfo = STOCKHOLM

    def now(self) -> datetime:
        real = datetime.now(self.tz)
        if self.as_of is None:
            return real
        return real.replace(year=self.as_of.year, month=self.as_of.month, day=self.as_of.day)

    def today(self) -> date:
        return self.as_of if self.as_of is not None else datetime.now(self.tz).date()

    def utcnow(self) -> datetime:
        return self.now().astimezone(timezone.utc)

    @property
    def pinned(self) -> bool:
        return self.as_of is not None

    def at(self, day: date, clock_time: time) -> datetime:
        """A local wall-clock moment as an aware datetime (DST handled by zoneinfo)."""
        return datetime.combine(day, clock_time, tzinfo=self.tz)
