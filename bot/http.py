"""``POST /api/messages``: JSON in, activity through the adapter, invoke responses out.

Works around botbuilder 4.17's invoke bug (``CloudAdapter.process`` re-serialises the invoke body →
HTTP 500): the body is parsed and checked here and handed to ``process_activity`` directly.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

log = logging.getLogger("tavla.http")

MAX_BODY_BYTES = 1_000_000


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def parse_activity(raw: bytes) -> Activity | str:
    """The activity in a request body, or a short reason why it is not one."""
    try:
        body: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body is not a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "activity has no type"
    for name in ("conversation", "from", "recipient"):
        if name in body and not isinstance(body[name], dict):
            return f"activity field {name} is not an object"
    if not isinstance(body.get("serviceUrl", ""), str):
        return "serviceUrl is not a string"
    try:
        activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises many kinds for malformed input
        return "not a valid activity"
    return activity


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
        try:
            response = await adapter.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        if response is not None:
            return web.json_response(data=response.body, status=response.status)
        return web.Response(status=200 if activity.type == "invoke" else 201)

    return handle
