"""Proactive sends (digests, reminders): ``send_proactive(adapter, reference, card, app_id) -> message id``.

Goes through ``adapter.continue_conversation`` and so through the same outbound path as replies (shared
session, rate limits, retries). Outcomes for the caller:

- returns the new message's id: delivered;
- ``DeliveryFailed``: definitely not delivered (403 ``BotNotInConversationRoster`` = uninstalled,
  ``ConversationBlockedByUser``, 404 ``ConversationNotFound``, 429/503 after the retries — see
  ``.retry_after`` for when to try again, no token…): safe to try again later, or to give up;
- ``DeliveryUncertain``: perhaps delivered (timeout or reset after the request was sent, 5xx): do NOT
  resend automatically, it may post twice.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.adapter import SEND_POLICY_KEY, TavlaAdapter
from bot.outbound import DeliveryFailed, SendPolicy

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def as_activity(activity_or_card: Activity | dict[str, Any] | str) -> Activity:
    """An Activity as is; an Adaptive Card dict as a card message; an activity dict deserialised; text."""
    if isinstance(activity_or_card, Activity):
        return activity_or_card
    if isinstance(activity_or_card, str):
        return MessageFactory.text(activity_or_card)
    if isinstance(activity_or_card, dict):
        if activity_or_card.get("type") == "AdaptiveCard":
            return MessageFactory.attachment(CardFactory.adaptive_card(activity_or_card))
        if isinstance(activity_or_card.get("type"), str):
            return Activity().deserialize(activity_or_card)
    raise TypeError(f"cannot send {type(activity_or_card).__name__} proactively")


async def send_proactive(adapter: TavlaAdapter, reference: dict[str, Any] | ConversationReference,
                         activity_or_card: Activity | dict[str, Any] | str, app_id: str | None, *,
                         policy: SendPolicy | None = None) -> str:
    """Send one message into a stored conversation; return the new message's id (see module docstring).

    ``reference`` is what ``TurnContext.get_conversation_reference(activity).serialize()`` stored;
    ``app_id`` is ``settings.app_id`` (empty in local mode). ``policy`` defaults to the adapter's
    proactive policy (a longer budget than a user turn's, same attempt timeout).
    """
    ref = reference if isinstance(reference, ConversationReference) else ConversationReference().deserialize(reference)
    if not ref.service_url or ref.conversation is None or not ref.conversation.id:
        raise DeliveryFailed("conversation reference without serviceUrl or conversation id", code="BadReference")
    activity = as_activity(activity_or_card)
    sent: list[str] = []

    async def callback(turn_context: TurnContext) -> None:
        turn_context.turn_state[SEND_POLICY_KEY] = policy or adapter.proactive_policy
        response = await turn_context.send_activity(activity)
        sent.append((response.id if response is not None else None) or "")

    try:
        await adapter.continue_conversation(ref, callback, bot_app_id=app_id or None)
    except PermissionError as exc:  # the app id does not match the configured one: nothing was sent
        raise DeliveryFailed(f"cannot send as app {app_id!r}: {exc}", code="InvalidAppId",
                             conversation_id=ref.conversation.id) from exc
    return sent[0] if sent else ""
