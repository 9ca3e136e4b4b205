"""The routing table: each intent and each card verb maps to one handler.

Free text goes through the recogniser (``bot/nlu/rules.py``) to an intent; a card button
(``Action.Execute`` verb or ``Action.Submit`` data ``verb``) goes straight to its verb's handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import message_extension
from bot.handlers import (
    digest_change,
    digest_meeting_day,
    digest_meeting_next,
    digest_pause,
    digest_preview,
    digest_reminders_off,
    digest_reminders_on,
    digest_resume,
    digest_show,
    digest_stop,
    digest_subscribe,
)
from bot.handlers import help as help_handler
from bot.handlers import (  # indicators
    indicator_overview,
    indicator_record,
    indicator_record_cancel,
    indicator_record_confirm,
    indicator_record_undo,
    indicator_status,
)
from bot.handlers import budget_over, budget_prognosis, budget_prognosis_undo, budget_show, budget_status  # budget
from bot.handlers import arshjul_show  # the årshjul
from bot.handlers import unknown
from bot.handlers import (  # handlingsplaner and the tavelmöte
    activity_create,
    activity_history,
    activity_assign,
    activity_owner,
    activity_pick,
    activity_undo,
    activity_update,
    board,
    board_link,
    board_move,
    board_propose,
    board_start,
    plan_mine,
    plan_propose,
    plan_report,
    plan_report_start,
    undo_last,
)
from bot.handlers import file_cancel, file_confirm, file_received  # files dropped in the chat
from bot.handlers import admin_grant, admin_my_roles, admin_revoke, admin_who  # people and roles
from bot.handlers import year_carry_confirm, year_carry_over  # a new planning year
from bot.turn import Reply, Turn

Handler = Callable[[Turn], Awaitable[Reply]]
InvokeHandler = Callable[[Turn], Awaitable[dict[str, Any]]]  # Turn (data = the invoke's value) → response body

INTENTS: dict[str, Handler] = {
    "help": help_handler.handle,
    "empty": help_handler.handle,
    "nothing_to_cancel": help_handler.nothing_to_cancel,
    "thanks": help_handler.thanks,
    "unknown": unknown.handle,
    "file_received": file_received.handle,  # routed by bot.dispatch.route when a message carries a file
    "admin_grant": admin_grant.handle,
    "admin_revoke": admin_revoke.handle,
    "admin_who": admin_who.handle,
    "admin_my_roles": admin_my_roles.handle,
    "year_carry_over": year_carry_over.handle,
    "digest_show": digest_show.handle,
    "digest_subscribe": digest_subscribe.handle,
    "digest_change": digest_change.handle,
    "digest_pause": digest_pause.handle,
    "digest_resume": digest_resume.handle,
    "digest_stop": digest_stop.handle,
    "digest_meeting_day": digest_meeting_day.handle,
    "digest_meeting_next": digest_meeting_next.handle,
    "digest_reminders_off": digest_reminders_off.handle,
    "digest_reminders_on": digest_reminders_on.handle,
    "plan_report": plan_report.handle,
    "plan_report_start": plan_report_start.handle,
    "undo_last": undo_last.handle,
    "plan_mine": plan_mine.handle,
    "plan_propose": plan_propose.handle,
    "activity_create": activity_create.handle,
    "activity_history": activity_history.handle,
    "activity_assign": activity_assign.handle,
    "activity_owner": activity_owner.handle,
    "board_show": board.handle,
    "board_start": board_start.handle,
    "board_link": board_link.handle,
    "indicator_status": indicator_status.handle,
    "indicator_overview": indicator_overview.handle,
    "indicator_record": indicator_record.handle,
    "budget": budget_status.handle,
    "budget_over": budget_over.handle,
    "budget_prognosis_set": budget_prognosis.handle,
    "arshjul": arshjul_show.handle,
}

VERBS: dict[str, Handler] = {
    "help": help_handler.handle,
    "import.confirm": file_confirm.handle,
    "import.cancel": file_cancel.handle,
    "admin.revoke": admin_revoke.handle,
    "year.carry_over": year_carry_confirm.handle,
    "digest_settings": digest_show.handle,
    "digest_subscribe": digest_subscribe.handle,
    "digest_change": digest_change.handle,
    "digest_pause": digest_pause.handle,
    "digest_resume": digest_resume.handle,
    "digest_stop": digest_stop.handle,
    "digest_preview": digest_preview.handle,
    "activity.update": activity_update.handle,
    "activity.pick": activity_pick.handle,
    "activity.undo": activity_undo.handle,
    "activity.history": activity_history.handle,
    "activity.create": activity_create.handle,
    "plan.mine": plan_mine.handle,
    "board.show": board.handle,
    "board.move": board_move.handle,
    "board.propose": board_propose.handle,
    "board.start": board_start.handle,
    "indicator_status": indicator_status.handle,
    "indicator_overview": indicator_overview.handle,
    "indicator_record_confirm": indicator_record_confirm.handle,
    "indicator_record_cancel": indicator_record_cancel.handle,
    "indicator_record_undo": indicator_record_undo.handle,
    "budget_show": budget_show.handle,
    "budget_prognosis_undo": budget_prognosis_undo.handle,
}

# Other invokes by name (``adaptiveCard/action`` goes through VERBS): answered with HTTP 200 and the body.
INVOKES: dict[str, InvokeHandler] = {
    "composeExtension/query": message_extension.handle,
}
