"""'Spara' on one activity of "mina aktiviteter": apply its inline inputs; the card replaces itself.

Data: ``id``, ``version``, ``page`` from the button, ``status_<id>``, ``progress_<id>``, ``comment_<id>``
from the inputs — all re-checked. A stale version is refused by the database and the card comes back
with the fresh state and "ändrad av … kl. …".
"""

from __future__ import annotations

from dataclasses import replace

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    data = turn.data
    page = common.int_field(data, "page", required=False, maximum=10_000) or 1
    # One write, the versioned update with its log row in one statement: no transaction around it on PostgreSQL
    async with turn.store.one_write_session() as session:
        # the card's list, read first: the pressed activity is in it (no read of its own), the others as they are
        mine = await common.my_activities(session, turn)
        draft = None  # a comment typed with a Spara that is refused stays in its box
        try:
            activity_id = common.int_field(data, "id")
            version = common.int_field(data, "version")
            assert activity_id is not None and version is not None
            change = cards.Change(
                status=common.status_field(data, f"status_{activity_id}"),
                progress=common.progress_field(data, f"progress_{activity_id}"),
                comment=common.clean_text(data.get(f"comment_{activity_id}"), limit=cards.COMMENT_LIMIT),
            )
            draft = (activity_id, change.comment) if change.comment else None
            # Inputs carry the current values: only what differs from the card's state is a change (a status
            # picked alone, with the old % still in its box, is not at odds with that %).
            shown = next((v for v in mine if v.id == activity_id), None)
            if shown is not None and shown.version == version:
                change = replace(change, status=None if change.status == shown.status else change.status,
                                 progress=None if change.progress == shown.progress else change.progress)
            applied = await common.apply_change(session, turn, activity_id, version, change, via="card", read=shown)
        except UserError as error:
            return Reply.replacing(common.mine_card_of(mine, turn, page, common.error_banner(turn, error), draft))
        if not applied.outcome.applied:
            banner = common.conflict_banner(turn, applied.outcome)
        else:
            banner, draft = common.saved_banner(turn, applied), None
        # The list with the activity as the update left it: the card shows what is committed (a failed write or
        # commit raises before the card is returned).
        return Reply.replacing(common.mine_card_of(
            common.with_change(mine, activity_id, applied.outcome.activity, year=turn.clock.today().year,
                               person_id=turn.caller.person_id), turn, page, banner, draft))
