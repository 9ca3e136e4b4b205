"""What the file handlers share: the import context of a turn and the preview card's view."""

from __future__ import annotations

from decimal import Decimal

from bot.turn import Turn
from cards import imports as cards
from storage.files import Ctx, Preview


def ctx(turn: Turn, person_id: int) -> Ctx:
    return Ctx(person_id=person_id, memberships=tuple((m.role, m.org_unit_id) for m in turn.caller.memberships),
               at=turn.clock.utcnow(), today=turn.clock.today())


def preview_view(preview: Preview, kind_label: str, token: str, digest: str) -> cards.PreviewView:
    return cards.PreviewView(
        kind_label=kind_label, file_name=preview.file_name, rows=preview.rows, valid=preview.valid,
        period=preview.period, totals_title=preview.totals_title,
        totals=tuple(cards.TotalRow(t.label, t.count, Decimal(t.amount) if t.amount is not None else None)
                     for t in preview.totals),
        problems=tuple(preview.problems), problem_count=preview.problem_count, lines=tuple(preview.lines),
        warnings=tuple(preview.warnings), writable=preview.writable, token=token, sha256=digest,
        full_option=preview.full_option)
