"""The routing table: each intent and each card verb maps to one handler.

Free text goes through the recogniser (``bot/nlu/rules.py``) to an intent; a card button
(``Action.Execute`` verb or ``Action.Submit`` data ``verb``) goes straight to its verb's handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.handlers import help as help_handler
from bot.handlers import unknown
from bot.turn import Reply, Turn

Handler = Callable[[Turn], Awaitable[Reply]]

INTENTS: dict[str, Handler] = {
    "help": help_handler.handle,
    "empty": help_handler.handle,
    "unknown": unknown.handle,
}

VERBS: dict[str, Handler] = {
    "help": help_handler.handle,
}
