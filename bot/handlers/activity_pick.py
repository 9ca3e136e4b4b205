"""A choice or conflict card's button: apply the change it carries to the chosen activity.

Data: ``id``, ``version`` (as shown), and ``status``/``progress``/``comment`` — all re-checked.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    data = turn.data
    activity_id = common.int_field(data, "id")
    version = common.int_field(data, "version")
    assert activity_id is not None and version is not None
    change = cards.Change(status=common.status_field(data, "status"), progress=common.progress_field(data, "progress"),
                          comment=common.clean_text(data.get("comment"), limit=cards.COMMENT_LIMIT))
    if change.status is None and change.progress is None and not change.comment:
        raise common.BadCardData()
    async with turn.store.write_session() as session:
        applied = await common.apply_change(session, turn, activity_id, version, change, via="card")
    return Reply.replacing(common.confirmation(turn, applied))
