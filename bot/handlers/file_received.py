"""A file dropped in the 1:1 chat: fetch it (bounded), find which import it is, check the role, preview it.

Nothing is written here: the file waits in the database (``storage.files.save_pending``) until the person
presses "Importera" on the preview (``file_confirm``). A wrong role, an unknown or ambiguous kind, a file
too large or not a spreadsheet get a clear message.
"""

from __future__ import annotations

import logging

from bot.attachments import FileRef, download, file_in
from bot.handlers import file_common as common
from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import imports as cards
from cards.common import notice
from followup.errors import Forbidden
from storage import files

log = logging.getLogger("tavla.files")

IMPORT_ROLES = frozenset({"admin", "ekonom", "controller", "hr", "chef"})


async def handle(turn: Turn) -> Reply:
    found = file_in(turn.attachments)
    if not isinstance(found, FileRef):
        what = "en bild" if found is not None and found.content_type.startswith("image/") else "något jag inte kan läsa"
        return Reply.card(notice(f"Det du skickade är {what}, inget kalkylark. Skicka en Excel- (.xlsx) eller "
                                 "CSV-fil så läser jag in den." if turn.lang != "en" else
                                 "That is not a spreadsheet. Send an Excel (.xlsx) or CSV file and I will import it.",
                                 style="warning"))
    if turn.where.conversation_type != "personal":
        return Reply.card(notice("Filer tar jag emot i en 1:1-chatt med mig (Tavla), inte här." if turn.lang != "en"
                                 else "I take files in a 1:1 chat with me (Tavla), not here.", style="warning"))
    person_id = require_known(turn)
    if not turn.caller.roles() & IMPORT_ROLES:
        raise Forbidden("Filer läses in av ekonomer, controllers, HR, chefer (handlingsplaner) och administratörer. "
                        "Be någon av dem skicka filen.",
                        "Files are imported by finance officers, controllers, HR, managers (action plans) and "
                        "administrators.")
    files.check_name(found.name)  # the name first: a PDF is never downloaded
    data = await download(found)
    files.check_spreadsheet(data, found.name)
    headers = files.headers_of(data, found.name)
    detected = files.detect(headers)
    if detected.kind is None and detected.candidates:
        return Reply.card(cards.ambiguous_card([k.label(turn.lang) for k in detected.candidates], turn.lang,
                                               [k.amount_header for k in detected.candidates]))
    if detected.kind is None:
        near = [cards.Lacking(n.kind.label(turn.lang), n.missing_en if turn.lang == "en" else n.missing_sv, n.count)
                for n in files.nearest(headers)]
        return Reply.card(cards.unknown_card(list(headers), turn.lang, near))
    kind = detected.kind
    context = common.ctx(turn, person_id)
    await files.check_may_import(turn.store, kind, context, data, found.name)
    preview = await kind.preview(turn.store, data, found.name, context)
    token, digest = "", files.sha256(data)
    if preview.writable:
        token, digest = await files.save_pending(
            turn.store, kind=kind.key, file_name=found.name, data=data, person_id=person_id,
            conversation_id=turn.where.conversation_id, preview=preview, at=turn.clock.utcnow())
    log.info("file preview: kind=%s rows=%s valid=%s problems=%s bytes=%s person=%s", kind.key, preview.rows,
             preview.valid, preview.problem_count, len(data), person_id)
    view = common.preview_view(preview, kind.label(turn.lang), token, digest)
    return Reply.card(cards.preview_card(view, turn.lang))
