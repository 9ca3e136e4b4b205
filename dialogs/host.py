"""Runs Tavla's multi-turn dialogs, with their state in the SQL store so they survive restarts.

The hook in ``bot/teams_bot.py`` is two calls: on a text message ``continue_active`` goes first (an open
dialog takes the message); when a handler returns ``Reply(dialog=name)``, ``begin`` starts that dialog.
State is kept per conversation *and* user (``PrivateConversationState``), so two people in a group chat
never answer each other's questions. "avbryt"/"cancel" ends any dialog at any step; a dialog left
unanswered for ``ttl`` is dropped, so yesterday's half-finished report never swallows today's question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, PrivateConversationState, Storage, TurnContext
from botbuilder.dialogs import Dialog, DialogSet
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.nlu.normalize import fold, normalize
from bot.nlu.rules_core import CANCEL_WORDS, UNDO_TEXTS  # one list for "avbryt" and "ångra" in and out of a dialog
from bot.turn import Turn
from cards.common import notice
from cards.texts import t
from followup.errors import UserError
from storage.state_repo import state_exists

log = logging.getLogger("tavla.dialogs")

TURN_KEY = "tavla.turn"  # turn_state: the Tavla Turn of this activity (caller, services, clean text)
NONE_OPEN_KEY = "tavla.no_dialog"  # turn_state: True when ``probe`` found no dialog state for this turn
DEFAULT_TTL = timedelta(minutes=30)
TRANSIENT = (OperationalError, PoolTimeout, ConnectionError, OSError, asyncio.TimeoutError)
CANCELLED = {"sv": "Avbrutet – inget ändrades.", "en": "Cancelled – nothing was changed."}
INTERRUPTED = {"sv": "(Den guidade rapporten avbröts – inget ändrades.)",
               "en": "(The guided report was stopped – nothing was changed.)"}
INTERRUPT_SCORE = 0.9
ANSWER_INTENTS = frozenset({"plan_report", "unknown", "empty"})


def _registry() -> Mapping[str, Callable[[], Iterable[Dialog]]]:
    from dialogs import report_progress

    return {report_progress.DIALOG_ID: report_progress.build}


def tavla_turn(turn_context: TurnContext) -> Turn:
    """The Tavla ``Turn`` the host put in the turn state (dialog steps read the caller and services here)."""
    return turn_context.turn_state[TURN_KEY]


async def say(turn_context: TurnContext, *, text: str | None = None, card: dict[str, Any] | None = None) -> None:
    if card is not None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if text:
            activity.text = text
    else:
        activity = MessageFactory.text(text or "")
    await turn_context.send_activity(activity)


def _stops(text: str) -> bool:
    """'avbryt' — and 'ångra' / 'undo', which in the middle of a dialog means this dialog (nothing is saved yet),
    not the change made before it: it stops the dialog and undoes nothing else."""
    folded = fold(normalize(text))
    return folded in CANCEL_WORDS or folded in UNDO_TEXTS


class DialogHost:
    """The dialog set over ``PrivateConversationState`` in ``storage`` (``bot.state_storage.SqlStorage``)."""

    def __init__(self, storage: Storage, *, ttl: timedelta = DEFAULT_TTL,
                 registry: Mapping[str, Callable[[], Iterable[Dialog]]] | None = None) -> None:
        self.state = PrivateConversationState(storage, "tavla")
        self._dialog_state = self.state.create_property("dialogs")
        self._meta = self.state.create_property("meta")
        self.dialogs = DialogSet(self._dialog_state)
        self.names: set[str] = set()
        for name, build in (registry or _registry()).items():
            self.names.add(name)
            for dialog in build():
                self.dialogs.add(dialog)
        self.ttl = ttl

    async def probe(self, conn: AsyncSession | AsyncConnection, turn_context: TurnContext) -> None:
        """Look, on a connection the turn uses anyway (the caller's lookup), whether a dialog is open; when
        none is, ``continue_active`` needs no read of its own."""
        key = self.state_key(turn_context)
        if key is not None:
            self.probed(turn_context, await state_exists(conn, key))

    def state_key(self, turn_context: TurnContext) -> str | None:
        """Where this turn's dialog state would be stored; None when there can be no dialog."""
        return self.state.get_storage_key(turn_context) if _addressable(turn_context) else None

    def probed(self, turn_context: TurnContext, stored: bool) -> None:
        """What a read of ``state_key`` found (``probe``, or the caller's lookup that read it as well)."""
        turn_context.turn_state[NONE_OPEN_KEY] = not stored

    async def continue_active(self, turn_context: TurnContext, turn: Turn) -> bool:
        """Give the message to the open dialog, if any; True when a dialog took it.

        The common case (no dialog open) costs one primary-key read that finds nothing — on the caller's
        connection when the turn was ``probe``d: the state row of a person and conversation exists only
        while a dialog is open.
        """
        if not _addressable(turn_context) or turn_context.turn_state.get(NONE_OPEN_KEY):
            return False
        turn_context.turn_state[TURN_KEY] = turn
        try:
            await self.state.load(turn_context)
        except Exception as exc:  # noqa: BLE001 - the store is down: the normal turn answers "tillfälligt fel"
            log.warning("dialog state unreadable (%s): conversation=%s", type(exc).__name__, turn.where.conversation_id)
            return False
        cached = self.state.get_cached_state(turn_context)
        if cached is None or not cached.state:
            return False
        dc = await self.dialogs.create_context(turn_context)
        if dc.active_dialog is None:
            await self._forget(turn_context)
            return False
        now = turn.clock.utcnow()
        meta = await self._meta.get(turn_context, dict)
        last = _parse(meta.get("last")) if isinstance(meta, dict) else None
        if last is None or now - last > self.ttl:
            await self._forget(turn_context)
            return False
        if _stops(turn.text):
            await dc.cancel_all_dialogs()
            await say(turn_context, text=CANCELLED.get(turn.lang, CANCELLED["sv"]))
        elif await self._interrupts(dc, turn):
            # A clear command ("tavla", "mina aktiviteter", "status frisknärvaro") is not an answer: the
            # dialog ends and the command is answered as usual.
            await self._forget(turn_context)
            await say(turn_context, text=INTERRUPTED.get(turn.lang, INTERRUPTED["sv"]))
            return False
        else:
            await self._guarded(turn_context, turn, dc.continue_dialog())
        await self._touch(turn_context, turn, now, dc)
        return True

    async def begin(self, turn_context: TurnContext, turn: Turn, name: str, options: Any = None) -> None:
        """Start dialog ``name`` (replacing any open one)."""
        if name not in self.names:
            raise KeyError(f"no dialog {name!r}")
        turn_context.turn_state[TURN_KEY] = turn
        if not _addressable(turn_context):
            return
        try:
            await self.state.load(turn_context)
        except Exception as exc:  # noqa: BLE001 - the store went away since the handler ran
            log.warning("dialog not started (%s): conversation=%s", type(exc).__name__, turn.where.conversation_id)
            await say(turn_context, text=t("temporary", turn.lang))
            return
        dc = await self.dialogs.create_context(turn_context)
        if dc.active_dialog is not None:
            await dc.cancel_all_dialogs()
        await self._guarded(turn_context, turn, dc.begin_dialog(name, options))
        await self._touch(turn_context, turn, turn.clock.utcnow(), dc)

    async def _interrupts(self, dc: Any, turn: Turn) -> bool:
        """Whether the text is a command of its own rather than an answer to the open prompt.

        Where the prompt takes free text (a comment) only an exact command (score 1.0) interrupts; elsewhere
        anything the recogniser is sure of, except a progress report (those are answers here: "Pågår", "75 %").
        """
        from bot.dispatch import understand

        try:
            await understand(turn)
        except Exception:  # noqa: BLE001 - without the catalog, treat the text as an answer
            return False
        intent = turn.intent
        if intent is None or intent.name in ANSWER_INTENTS:
            return False
        prompt = dc.find_dialog_sync(dc.active_dialog.id) if dc.active_dialog is not None else None
        threshold = 1.0 if getattr(prompt, "free_text", False) else INTERRUPT_SCORE
        return intent.score >= threshold

    async def _touch(self, turn_context: TurnContext, turn: Turn, now: datetime, dc: Any) -> None:
        """Save the open dialog with the time of this answer, or remove the state when the dialog ended."""
        try:
            if dc.active_dialog is None:
                await self._forget(turn_context)
                return
            await self._meta.set(turn_context, {"last": now.isoformat()})
            await self.state.save_changes(turn_context)
        except Exception as exc:  # noqa: BLE001 - a lost save repeats a question; versions prevent double updates
            log.warning("dialog state not saved (%s): conversation=%s", type(exc).__name__, turn.where.conversation_id)
            await say(turn_context, text=t("temporary", turn.lang))

    async def _forget(self, turn_context: TurnContext) -> None:
        """Remove the person's dialog state (no row while no dialog is open)."""
        try:
            await self.state.delete(turn_context)
        except Exception as exc:  # noqa: BLE001 - left behind, it is dropped by the TTL or the next dialog
            log.warning("dialog state not removed (%s)", type(exc).__name__)

    async def _guarded(self, turn_context: TurnContext, turn: Turn, step: Any) -> None:
        """Run a dialog step; a user error ends the dialog with its message, anything else with an apology."""
        try:
            await step
        except UserError as exc:
            await self._end(turn_context)
            await say(turn_context, card=notice(exc.text(turn.lang), style="warning"))
        except Exception as exc:  # noqa: BLE001 - the user gets a message, the log gets the details
            transient = isinstance(exc, TRANSIENT) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
            log.error("dialog step failed (%s): conversation=%s activity=%s", "transient" if transient else "bug",
                      turn.where.conversation_id, turn.activity_id, exc_info=not transient)
            await self._end(turn_context)
            await say(turn_context, card=notice(t("temporary" if transient else "apology", turn.lang),
                                                style="attention"))

    async def _end(self, turn_context: TurnContext) -> None:
        dc = await self.dialogs.create_context(turn_context)
        await dc.cancel_all_dialogs()


def _addressable(turn_context: TurnContext) -> bool:
    """Dialog state is kept per channel, conversation and user: without those there can be no dialog."""
    activity = turn_context.activity
    return bool(activity.channel_id and activity.conversation is not None and activity.conversation.id
                and activity.from_property is not None and activity.from_property.id)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
