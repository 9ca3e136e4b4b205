"""The Teams activity handler: activity → Turn → dispatch → activities (or an invoke response).

This and ``bot/adapter.py`` are the only places that know botbuilder's activity types.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount
from sqlalchemy.exc import IntegrityError

from bot.dispatch import dispatch, is_transient
from bot.outbound import DeliveryFailed
from bot.nlu.normalize import clean
from bot.outbound import DeliveryError
from bot.routing import INVOKES
from bot.state_storage import SqlStorage
from bot.turn import Caller, Membership, Message, Reply, Services, Turn, Where
from cards.common import notice
from cards.texts import t
from dialogs.host import DialogHost
from storage import conversations
from storage.import_people import link_teams_user, unlinked_people_exist
from storage.people import person_and_state, person_by_aad
from storage.plans import linked_unit

log = logging.getLogger("tavla.bot")

CARD = "application/vnd.microsoft.card.adaptive"
KNOWN_REFERENCES = 10_000
UNMATCHED_TTL_S = 600.0  # a sender Teams' member lookup did not match is looked up again after this
MEMBER_LOOKUP_TIMEOUT_S = 5.0
NEWLY_SEEN = "tavla.newly_seen"  # turn_state key: this activity introduced (or re-installed) the conversation  # conversations whose serviceUrl this process has already stored


def lang_of(activity: Activity) -> str:
    """'en' for an English locale (activity or clientInfo entity), else Swedish."""
    locale = activity.locale or ""
    if not locale:
        for entity in activity.entities or []:
            props = getattr(entity, "additional_properties", None) or {}
            if getattr(entity, "type", None) == "clientInfo" and props.get("locale"):
                locale = props["locale"]
    return "en" if locale.lower().startswith("en") else "sv"


def tenant_of(activity: Activity) -> str | None:
    """The tenant id: ``conversation.tenant_id`` is always None in 4.17 (PLATFORM.md, item 6)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    return tenant.get("id") if isinstance(tenant.get("id"), str) else None


def strip_mention(turn_context: TurnContext) -> str:
    activity = turn_context.activity
    text = activity.text or ""
    if activity.recipient is not None and activity.entities:
        try:
            text = TurnContext.remove_recipient_mention(activity) or text
        except Exception:  # noqa: BLE001 - malformed mention entities: fall back to the raw text
            text = activity.text or ""
    return clean(text)  # strips the leading space the SDK leaves, and any other <at> tag


def card_activity(message: Message) -> Activity:
    if message.card is not None:
        activity = MessageFactory.attachment(Attachment(content_type=CARD, content=message.card))
        if message.text:
            activity.text = message.text
        return activity
    return MessageFactory.text(message.text or "")


class TavlaBot(TeamsActivityHandler):
    """Routes messages, card actions and install events; keeps conversation references fresh."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._known: OrderedDict[str, str] = OrderedDict()  # conversation id → serviceUrl stored
        self._unmatched: dict[str, float] = {}  # AAD ids a Teams member lookup did not match, and when
        self.dialogs = DialogHost(SqlStorage(services.store))  # multi-turn dialogs, state in the store

    # --- every activity -----------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        allow = self.services.settings.tenant_allowlist
        if allow and tenant_of(activity) not in allow:
            log.warning("refused activity from foreign tenant %s (conversation %s)", tenant_of(activity),
                        activity.conversation.id if activity.conversation else None)
            await self._refuse_foreign(turn_context)
            return
        # A message-extension search comes from any chat the person types in, Tavla a member or not:
        # it is no reason to store that chat as a conversation to send to.
        searching = activity.type == ActivityTypes.invoke and (activity.name or "").startswith("composeExtension/")
        try:
            if activity.conversation is not None and activity.conversation.id and activity.service_url and not searching:
                turn_context.turn_state[NEWLY_SEEN] = await self._remember(turn_context, installing=False)
            await super().on_turn(turn_context)
        except Exception as exc:
            if not is_transient(exc):
                raise
            await self._temporary(turn_context)

    async def _temporary(self, turn_context: TurnContext) -> None:
        """A database outage outside a handler (the caller, the conversation, dialog state): the short
        "tillfälligt fel, försök igen" a handler's outage gets (bot/dispatch.py), not a server error."""
        activity = turn_context.activity
        log.error("turn failed (transient): conversation=%s activity=%s type=%s",
                  activity.conversation.id if activity.conversation else None, activity.id, activity.type)
        text = t("temporary", lang_of(activity))
        if activity.type == ActivityTypes.invoke:
            turn_context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = Activity(  # noqa: SLF001
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=HTTPStatus.OK, body={
                    "statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}))
        elif activity.type == ActivityTypes.message:
            await turn_context.send_activity(card_activity(Message(card=notice(text, style="attention"))))

    async def _refuse_foreign(self, turn_context: TurnContext) -> None:
        lang = lang_of(turn_context.activity)
        if turn_context.activity.type == ActivityTypes.invoke:
            turn_context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = Activity(  # noqa: SLF001
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=HTTPStatus.FORBIDDEN, body={
                    "statusCode": 403, "type": "application/vnd.microsoft.error",
                    "value": {"code": "Forbidden", "message": t("foreign_tenant", lang)}}),
            )
        elif turn_context.activity.type == ActivityTypes.message:
            await turn_context.send_activity(MessageFactory.text(t("foreign_tenant", lang)))

    async def _remember(self, turn_context: TurnContext, *, installing: bool) -> bool:
        """Store/refresh the reference when new or its serviceUrl changed; True when newly installed."""
        activity = turn_context.activity
        conv_id, service_url = activity.conversation.id, activity.service_url
        if not installing and self._known.get(conv_id) == service_url:
            return False
        reference = TurnContext.get_conversation_reference(activity).serialize()
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        team = data.get("team") if isinstance(data.get("team"), dict) else {}
        channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
        fields = dict(
            conversation_id=conv_id, service_url=service_url, reference=reference,
            conversation_type=activity.conversation.conversation_type, tenant_id=tenant_of(activity),
            team_id=team.get("id") if isinstance(team.get("id"), str) else None,
            channel_name=channel.get("name") if isinstance(channel.get("name"), str) else None,
            installing=installing,
        )
        try:  # a short write: on SQLite on the loop's thread (a turn's first, of every new conversation)
            async with self.services.store.write_session() as session:
                _, newly = await conversations.remember(session, **fields)
        except IntegrityError:  # two first activities of one conversation at once: the other stored it
            async with self.services.store.write_session() as session:
                _, newly = await conversations.remember(session, **fields)
        self._known[conv_id] = service_url
        self._known.move_to_end(conv_id)
        while len(self._known) > KNOWN_REFERENCES:
            self._known.popitem(last=False)
        return newly

    # --- building a Turn ----------------------------------------------------------------------

    async def _turn(self, turn_context: TurnContext, **fields: Any) -> Turn:
        activity = turn_context.activity
        sender: ChannelAccount = activity.from_property or ChannelAccount(id="", name="")
        aad = getattr(sender, "aad_object_id", None)
        caller = Caller(teams_id=sender.id or "", name=sender.name or "", aad_object_id=aad)
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
        team = data.get("team") if isinstance(data.get("team"), dict) else {}
        channel_id = channel.get("id") if isinstance(channel.get("id"), str) else None
        person = None
        linked = None
        # text: a dialog may take it; whether one is open is read with the caller when it can be
        state_key = (self.dialogs.state_key(turn_context)
                     if activity.type == ActivityTypes.message and "verb" not in fields else None)
        async with self.services.store.read() as conn:  # reads only: a connection, no ORM session
            if aad and state_key is not None:
                person, stored = await person_and_state(conn, aad, state_key)
                if stored is not None:
                    self.dialogs.probed(turn_context, stored)
                    state_key = None
            elif aad:
                person = await person_by_aad(conn, aad)
            if activity.conversation is not None and activity.conversation.conversation_type == "channel":
                # the channel's link, whichever thread this is (thread ids end ";messageid=…")
                linked = await linked_unit(conn, activity.conversation.id, channel_id)
            if state_key is not None:  # no caller found (or none to look for): read on its own
                await self.dialogs.probe(conn, turn_context)
        if aad and person is None:  # first seen in Teams: known by UPN only? (Teams' member lookup)
            person = await self._first_seen(turn_context, aad)
        if person is not None:
            caller = Caller(teams_id=caller.teams_id, name=person.name, aad_object_id=aad, person_id=person.person_id,
                            memberships=tuple(Membership(r, u, n) for r, u, n in person.roles))
        where = Where(
            conversation_id=activity.conversation.id if activity.conversation else "",
            conversation_type=(activity.conversation.conversation_type if activity.conversation else None) or "personal",
            tenant_id=tenant_of(activity), team_id=team.get("id"), channel_id=channel_id,
            service_url=activity.service_url, linked_org_unit_id=linked,
        )
        return Turn(services=self.services, caller=caller, where=where, lang=lang_of(activity),
                    activity_id=activity.id, reply_to_id=activity.reply_to_id,
                    catalogue_stamp=person.catalogue_stamp if person is not None else None,
                    values_stamp=person.values_stamp if person is not None else None,
                    budget_stamp=person.budget_stamp if person is not None else None, **fields)

    async def _first_seen(self, turn_context: TurnContext, aad: str) -> Any:
        """A person imported with only a UPN (``tavla import people``) writes for the first time: ask Teams for
        the sender's UPN and link the AAD object id to that person (``storage.import_people.link_teams_user``).
        Nobody known only by UPN → no lookup; a sender Teams does not match → not asked again for a while."""
        now = time.monotonic()
        last = self._unmatched.get(aad)
        if last is not None and now - last < UNMATCHED_TTL_S:
            return None
        async with self.services.store.session() as session:
            if not await unlinked_people_exist(session):
                return None
        upn = None
        try:
            member = await asyncio.wait_for(
                TeamsInfo.get_member(turn_context, turn_context.activity.from_property.id), MEMBER_LOOKUP_TIMEOUT_S)
            upn = getattr(member, "user_principal_name", None) or getattr(member, "email", None)
        except Exception as exc:  # noqa: BLE001 - no lookup (no rights, timeout): the person stays unknown
            log.info("member lookup failed for %s: %s", aad, type(exc).__name__)
        person = None
        if upn:
            async with self.services.store.session() as session:
                person = await link_teams_user(session, aad, upn, at=self.services.clock.utcnow())
        if person is None:
            self._unmatched[aad] = now
            while len(self._unmatched) > KNOWN_REFERENCES:
                self._unmatched.pop(next(iter(self._unmatched)))
        else:
            log.info("linked %s to person %s by UPN", aad, person.person_id)
        return person

    async def _send(self, turn_context: TurnContext, reply: Reply) -> None:
        if reply.toast and turn_context.activity.type != ActivityTypes.invoke:
            reply.messages.append(Message(text=reply.toast))
        for message in reply.messages:
            await turn_context.send_activity(card_activity(message))

    # --- messages -------------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        attachments = [a.serialize() for a in activity.attachments or []
                       if getattr(a, "content_type", "") not in ("text/html",)]
        if value is not None and not (activity.text or "").strip():
            verb = value.get("verb") or value.get("action")
            turn = await self._turn(turn_context, verb=verb if isinstance(verb, str) else "", data=dict(value))
        else:
            turn = await self._turn(turn_context, text=strip_mention(turn_context)[:20_000],
                                    attachments=attachments)
        # An open multi-turn dialog takes typed text first; a handler opens one with Reply(dialog=name).
        if turn.verb is None and await self.dialogs.continue_active(turn_context, turn):
            return
        reply = await dispatch(turn)
        if reply.replace is not None and activity.reply_to_id:
            updated = card_activity(Message(card=reply.replace))
            updated.id = activity.reply_to_id
            try:
                await turn_context.update_activity(updated)
            except DeliveryFailed:  # refused for good (not an unknown outcome): send it as a new message
                reply.messages.insert(0, Message(card=reply.replace))
        elif reply.replace is not None:
            reply.messages.insert(0, Message(card=reply.replace))
        await self._send(turn_context, reply)
        if reply.dialog:
            await self.dialogs.begin(turn_context, turn, reply.dialog)

    # --- invokes --------------------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name or ""
        if name == "adaptiveCard/action":
            return await self._card_action(turn_context)
        invoke = INVOKES.get(name)
        if invoke is not None:
            value = turn_context.activity.value
            turn = await self._turn(turn_context, data=dict(value) if isinstance(value, dict) else {}, is_invoke=True)
            return InvokeResponse(status=HTTPStatus.OK, body=await invoke(turn))
        handler = self.services.extras.get("invoke_handlers", {}).get(name)
        if handler is not None:
            return await handler(self, turn_context)
        log.info("ignored invoke %r", name)
        return InvokeResponse(status=HTTPStatus.OK, body={})

    async def _card_action(self, turn_context: TurnContext) -> InvokeResponse:
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        verb = action.get("verb") if isinstance(action.get("verb"), str) else ""
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        turn = await self._turn(turn_context, verb=verb, data=dict(data), is_invoke=True)
        turn.data["_trigger"] = value.get("trigger")
        reply = await dispatch(turn)
        try:
            await self._send(turn_context, reply)
        except DeliveryError:  # logged once by bot.outbound; the press itself must still be answered, or
            # the turn would end without an invoke response and Teams would show an error on the card (501)
            reply = Reply(replace=reply.replace, toast=t("temporary", turn.lang))
        if reply.replace is not None:
            return InvokeResponse(status=HTTPStatus.OK, body={"statusCode": 200, "type": CARD, "value": reply.replace})
        return InvokeResponse(status=HTTPStatus.OK, body={
            "statusCode": 200, "type": "application/vnd.microsoft.activity.message",
            "value": reply.toast or t("done", turn.lang)})

    # --- install / uninstall --------------------------------------------------------------------

    async def _welcome(self, turn_context: TurnContext) -> None:
        newly = await self._remember(turn_context, installing=True)
        if newly or turn_context.turn_state.get(NEWLY_SEEN):
            turn = await self._turn(turn_context, verb="help", data={"welcome": True})
            await self._send(turn_context, await dispatch(turn))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self._welcome(turn_context)

    async def on_teams_members_added_dispatch(self, members_added: list[ChannelAccount], team_info: Any,
                                              turn_context: TurnContext) -> None:
        """Only whether Tavla itself was added matters here. The SDK's version fetches every other added member
        from the connector first (one call each, in the turn) and fails the whole turn — a 500 to Teams, which
        retries — when the connector does not know one of them."""
        await self.on_teams_members_added(members_added, team_info, turn_context)

    async def on_teams_members_added(self, teams_members_added: list[Any], team_info: Any,
                                     turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in teams_members_added):
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def _removed(self, turn_context: TurnContext) -> None:
        async with self.services.store.session() as session:
            await conversations.mark_removed(session, turn_context.activity.conversation.id)
        self._known.pop(turn_context.activity.conversation.id, None)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._removed(turn_context)

    async def on_members_removed_activity(self, members_removed: list[ChannelAccount],
                                          turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_removed):
            await self._removed(turn_context)

    async def on_teams_members_removed(self, teams_members_removed: list[Any], team_info: Any,
                                       turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in teams_members_removed):
            await self._removed(turn_context)
