"""From a Turn to a Reply: recognise, route, and turn every failure into a clear message.

No botbuilder here: ``bot/teams_bot.py`` builds the Turn from the activity and sends the Reply.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.attachments import is_file_message
from bot.nlu.intents import recognize_remembered
from bot.nlu.rules import RULES
from bot.routing import INTENTS, VERBS
from bot.turn import Reply, Turn
from cards.common import ASK_VERB, notice
from cards.texts import t
from followup.errors import UserError

log = logging.getLogger("tavla.dispatch")

TURN_TIMEOUT_S = 25.0  # Teams gives up on an invoke after ~30 s; answer before that
TRANSIENT = (OperationalError, PoolTimeout, ConnectionError, OSError, asyncio.TimeoutError)


async def understand(turn: Turn) -> None:
    catalog = await turn.catalog()
    turn.intent = recognize_remembered(turn.text, catalog, RULES)


async def route(turn: Turn) -> Reply:
    if turn.verb == ASK_VERB:
        question = turn.data.get("text")
        turn.text = question if isinstance(question, str) else ""
        turn.verb = None
    if turn.verb is not None:
        handler = VERBS.get(turn.verb)
        if handler is None:
            return short_answer(turn, t("unknown_action", turn.lang))
        return await handler(turn)
    if turn.attachments and is_file_message(turn.attachments, turn.text):  # a file sent in chat (bot/attachments.py)
        return await INTENTS["file_received"](turn)
    await understand(turn)
    assert turn.intent is not None
    return await INTENTS.get(turn.intent.name, INTENTS["unknown"])(turn)


def short_answer(turn: Turn, text: str, style: str = "default") -> Reply:
    """A one-line answer: inline for a card action (the card stays), a small card in chat otherwise."""
    if turn.is_invoke:
        return Reply(toast=text)
    return Reply.card(notice(text, style=style))


def is_transient(exc: BaseException) -> bool:
    """A database outage (connection lost or refused, pool exhausted, timeout): worth trying again soon."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


async def dispatch(turn: Turn) -> Reply:
    """The reply to a turn; user errors become their message, anything else a short apology."""
    try:
        async with asyncio.timeout(TURN_TIMEOUT_S):  # in this task: wait_for would start another one a turn
            return await route(turn)
    except UserError as exc:
        return short_answer(turn, exc.text(turn.lang), "warning")
    except Exception as exc:  # noqa: BLE001 - the user gets a message, the log gets the details
        transient = is_transient(exc)
        log.error(
            "turn failed (%s): conversation=%s activity=%s verb=%s intent=%s",
            "transient" if transient else "bug", turn.where.conversation_id, turn.activity_id, turn.verb,
            turn.intent.name if turn.intent else None, exc_info=not transient,
        )
        return short_answer(turn, t("temporary" if transient else "apology", turn.lang), "attention")
