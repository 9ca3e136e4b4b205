"""``POST /api/messages``: JSON in, activity through the adapter, invoke responses out.

Works around botbuilder 4.17's invoke bug (``CloudAdapter.process`` re-serialises the invoke body →
HTTP 500): the body is parsed and checked here and handed to ``process_activity`` directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botbuilder.schema.teams import TeamsChannelData

from bot import jsonio
from bot.activity_reader import read_activity
from bot.logging_setup import turn_context

log = logging.getLogger("tavla.http")

MAX_BODY_BYTES = 1_000_000
MAX_ID_CHARS = 1_024
# Activity types whose Teams channelData botbuilder's TeamsActivityHandler deserialises itself (msrest, ≈ 0.15 ms):
# checked here so a malformed one is a 400, not a failed turn. For messages and invokes it reads none of it.
SDK_READS_CHANNEL_DATA = frozenset({"conversationUpdate", "messageUpdate", "messageDelete"})


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket, a port that is not a number
        return False


def parse_activity(raw: bytes) -> Activity | str:
    """The activity in a request body, or a short reason why it is not one."""
    try:
        body: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "body is not JSON"
    except RecursionError:  # nesting deeper than the parser's recursion limit (hostile bodies)
        return "body is nested too deeply"
    if not isinstance(body, dict):
        return "body is not a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "activity has no type"
    for name in ("conversation", "from", "recipient"):
        if name in body and not isinstance(body[name], dict):
            return f"activity field {name} is not an object"
        # Every activity a channel sends names its conversation, sender and recipient; without them there
        # is no one to answer (and nothing to key state on).
        if not isinstance(body.get(name), dict) or not isinstance(body[name].get("id"), str) or not body[name]["id"]:
            return f"activity has no {name} id"
    if not isinstance(body.get("serviceUrl", ""), str):
        return "serviceUrl is not a string"
    for name in ("attachments", "entities", "membersAdded", "membersRemoved"):  # lists of objects, or absent
        items = body.get(name)
        if items is not None and not (isinstance(items, list) and all(isinstance(i, dict) for i in items)):
            return f"activity field {name} is not a list of objects"
    for name in ("id", "replyToId"):  # ids go into the reply's URL: strings, as every channel sends them
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"activity field {name} is not a string"
    # Real ids are a few hundred characters at most; longer ones would make reply URLs no server accepts.
    ids = [body.get("id"), body.get("replyToId"), *(body[n]["id"] for n in ("conversation", "from", "recipient"))]
    if any(isinstance(value, str) and len(value) > MAX_ID_CHARS for value in ids):
        return "activity id too long"
    if not _is_http_url(body.get("serviceUrl", "")):  # where the answer goes: an absolute http(s) URL
        return "serviceUrl is not an http(s) URL"
    try:
        activity = read_activity(body)
        if activity.channel_id == "msteams" and body.get("channelData") is None and kind == "conversationUpdate":
            return "Teams conversationUpdate without channelData"  # the SDK's Teams handler reads its team
        if activity.channel_id == "msteams" and body.get("channelData") is not None:
            # absent is fine (message-extension queries come without it), not an object is not; Tavla reads
            # the dict field by field, checking each
            if not isinstance(body["channelData"], dict):
                return "Teams channelData is not an object"
            if kind in SDK_READS_CHANNEL_DATA:  # the SDK's Teams handler deserialises it for these: it must
                TeamsChannelData().deserialize(body["channelData"])
    except Exception:  # noqa: BLE001 - msrest raises many kinds for malformed input
        return "not a valid activity"
    return activity


def _reason(exc: BaseException) -> str:
    """The exception in one short line for the log (tokens are scrubbed by the log filter as well)."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}{': ' + text if text else ''}"


def auth_failure_status(exc: BaseException) -> int:
    """What a failed token check answers: 503 when the signing keys could not be fetched (the network, the
    identity provider: ours to fix, and the sender should try again), else 401. ``PermissionError`` is an
    ``OSError`` but a refusal. So is an error ``requests`` raises before sending anything (``MissingSchema``,
    ``InvalidURL``: ``OSError`` and ``ValueError`` both) — the SDK asks it for the keys of an issuer this
    configuration has no address for, as for a token claiming to come from the Emulator when the channel's
    endpoints are configured."""
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError) and isinstance(exc, ValueError)):
        return 401
    if isinstance(exc, (OSError, asyncio.TimeoutError)):
        return 503
    return 401


def messages_route(adapter: CloudAdapter, bot: Bot) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large"}, status=413)
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large"}, status=413)
        activity = parse_activity(raw)
        if isinstance(activity, str):
            log.info("rejected request: %s", activity)
            return _bad_request(activity)
        auth_header = request.headers.get("Authorization", "")
        with turn_context(activity.id, activity.conversation.id if activity.conversation else None):
            # Authentication first, on its own: whatever it raises means "not let in" (the SDK raises
            # PermissionError, but also jwt errors, IndexError for an unknown key id, AttributeError for an
            # empty header on some paths) — 401, and nothing of the turn runs. Failures of the turn itself
            # stay server errors.
            try:
                authenticated = await adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
            except Exception as exc:  # noqa: BLE001 - sorted by auth_failure_status
                status = auth_failure_status(exc)
                if status == 503:
                    log.error("could not check the request's token: %s", _reason(exc))
                    return web.json_response({"error": "authentication unavailable"}, status=503)
                log.info("refused request: %s", _reason(exc))
                return web.json_response({"error": "unauthorized"}, status=401)
            response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        if response is not None:
            return web.Response(body=jsonio.dumps(response.body), status=response.status,
                                content_type="application/json", charset="utf-8")
        return web.Response(status=200 if activity.type == "invoke" else 201)

    return handle
