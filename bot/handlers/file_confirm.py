""""Importera" on a file preview: claim the waiting file in the database, re-check the role, run the import.

Card data is user input: the token and SHA-256 must match the stored file of this person (else nothing is
written); the role is checked again (it may have changed since the preview). The importer writes in one
transaction; a failure in the middle writes nothing and the file stays waiting for another press. Who,
when and the file name are on the import batch and in the admin log.
"""

from __future__ import annotations

import logging

from bot.handlers import file_common as common
from bot.handlers.plan_common import BadCardData, require_known
from bot.turn import Reply, Turn
from cards import imports as cards
from cards.format import clock, day
from followup.errors import UserError
from storage import files
from storage.models import AdminLog

log = logging.getLogger("tavla.files")


async def handle(turn: Turn) -> Reply:
    person_id = require_known(turn)
    mode = turn.data.get("mode", "add")
    if mode not in ("add", "full"):
        raise BadCardData()
    now = turn.clock.utcnow()
    pending = await files.claim_pending(turn.store, turn.data.get("pending"), turn.data.get("sha256"),
                                        person_id=person_id, now=now)
    kind = files.BY_KEY.get(pending.kind)
    if kind is None or (mode == "full" and kind.key != "people"):
        await files.finish_pending(turn.store, pending, state="pending", result={}, at=now)
        raise BadCardData()
    context = common.ctx(turn, person_id)
    try:
        await files.check_may_import(turn.store, kind, context, pending.data, pending.file_name)
        applied = await kind.apply(turn.store, pending.data, pending.file_name, context, mode)
    except UserError:
        await files.finish_pending(turn.store, pending, state="pending", result={}, at=now)
        raise
    except Exception:  # noqa: BLE001 - the import rolled back; the user is told, the file stays waiting
        log.exception("file import failed: kind=%s file=%r person=%s", kind.key, pending.file_name, person_id)
        await files.finish_pending(turn.store, pending, state="pending", result={"error": True}, at=now)
        return Reply.replacing(cards.aborted_card(kind.label(turn.lang), turn.lang))
    changed = applied.batch_id is not None
    await files.finish_pending(turn.store, pending, state="done" if applied.written else "failed", at=now, result={
        "written": applied.written, "batch_id": applied.batch_id, "problem_count": applied.problem_count})
    async with turn.store.session() as session:
        session.add(AdminLog(at=now, person_id=person_id, action="import_file", detail={
            "kind": kind.key, "file_name": pending.file_name, "sha256": pending.sha256, "bytes": len(pending.data),
            "mode": mode, "written": applied.written, "batch_id": applied.batch_id, "via": "chat",
            "conversation_id": turn.where.conversation_id}))
    if applied.written:
        turn.services.catalogs.invalidate()  # new names (budget lines, units) are known at once on this replica
    local = now.astimezone(turn.clock.tz)
    view = cards.ResultView(
        kind_label=kind.label(turn.lang), file_name=pending.file_name, written=applied.written, changed=changed,
        lines=tuple(applied.lines), problems=tuple(applied.problems), problem_count=applied.problem_count,
        who=turn.caller.name, when=f"{day(local, turn.lang)} {clock(local, turn.lang)}")
    return Reply.replacing(cards.result_card(view, turn.lang))
