"""The årshjul's steps as stored (``CalendarStep``: seeded from the Årsplan, ``storage/seed/arshjul.csv``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.arshjul import Step
from storage.models import CalendarStep

_STEPS = select(CalendarStep.month, CalendarStep.day, CalendarStep.title, CalendarStep.description).order_by(
    CalendarStep.month, CalendarStep.day, CalendarStep.title)


async def steps(session: AsyncSession) -> list[Step]:
    """Every step, in the order of the year (a step without a day first in its month)."""
    return [Step(r[0], r[1], r[2], r[3]) for r in (await session.execute(_STEPS)).all()]
