"""A board button: move an activity to the next column (Prioritera / Starta / Återuppta / Klar), in place.

Data: ``id``, ``version``, ``to``, ``unit``, ``page`` — re-checked: the activity must belong to that
board's enhet, the caller must be allowed, and the version must still be current (checked in SQL).
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError


async def handle(turn: Turn) -> Reply:
    data = turn.data
    unit_id = common.int_field(data, "unit")
    page = common.int_field(data, "page", required=False, maximum=10_000) or 1
    assert unit_id is not None
    async with turn.store.session() as session:
        banner: cards.Banner
        try:
            common.require_known(turn)
            activity_id = common.int_field(data, "id")
            version = common.int_field(data, "version")
            to = common.status_field(data, "to", required=True)
            assert activity_id is not None and version is not None
            applied = await common.apply_change(session, turn, activity_id, version, cards.Change(status=to),
                                                via="card", expect_unit=unit_id)
            banner = (common.saved_banner(turn, applied) if applied.outcome.applied
                      else common.conflict_banner(turn, applied.outcome))
        except UserError as error:
            banner = common.error_banner(turn, error)
    async with turn.store.session() as session:
        return Reply.replacing(await common.board_card(session, turn, unit_id, page, banner))
