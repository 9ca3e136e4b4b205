"""The activities the benchmark sends: the same JSON shape Teams sends (see tests/support/harness.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_ids = itertools.count(1)
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
BOT = {"id": "28:bench-bot", "name": "Tavla"}
ANY_AAD = "bbbbbbbb-0000-4000-8000-{:012d}"


def message(index: int, service_url: str, text: str, aad: str | None = None) -> dict[str, Any]:
    aad = aad or ANY_AAD.format(index)
    return {
        "type": "message", "id": str(next(_ids)), "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": f"29:user-{index}", "name": f"User {index}", "aadObjectId": aad},
        "recipient": dict(BOT),
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:bench-{index}"},
        "channelData": {"tenant": {"id": TENANT}}, "locale": "sv-SE", "text": text, "textFormat": "plain",
    }


def echo_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "hej")


def status_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "status frisknärvaro")


def budget_activity(index: int, service_url: str) -> dict[str, Any]:
    return message(index, service_url, "budget kvar äldreomsorg")


# name → (activity factory, answered in the invoke response rather than on the connector)
TURNS: dict[str, tuple[Callable[[int, str], dict[str, Any]], bool]] = {
    "indicator_status": (status_activity, False),
    "budget_remainder": (budget_activity, False),
}
