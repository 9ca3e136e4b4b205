"""``bot.activity_reader.read_activity`` gives the very objects msrest's ``Activity().deserialize`` gives — for
the real Teams payloads, the benchmark's activities, and thousands of generated activity-shaped bodies with
odd values in every field (where msrest converts or refuses, the reader hands the body to msrest)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.turns import TURNS
from bot.activity_reader import read_activity
from tests.conftest import need_shared

PAYLOADS = ("conversationUpdate-membersAdded-bot-installed-in-team.json",
            "conversationUpdate-membersAdded-bot-installed-personal.json", "installationUpdate-add-team.json",
            "invoke-adaptiveCard-action-Action.Execute.personal.json", "invoke-composeExtension-query.json",
            "message-Action.Submit-value.channel.json", "message-channel-mention.teams-net.json",
            "message-channel-mention.vercel-chat.json", "message-personal-1to1.json",
            "messageReaction-like.channel.json")


def _same(body: dict[str, Any]) -> None:
    try:
        want: Any = Activity().deserialize(body)
    except Exception as exc:  # noqa: BLE001 - msrest refuses: so must the reader
        with pytest.raises(type(exc)):
            read_activity(body)
        return
    got = read_activity(body)
    assert type(got) is Activity
    assert _plain(got) == _plain(want)


def _plain(value: Any) -> Any:
    """Models as (class, attributes) all the way down, so a difference shows where it is (NaN equals NaN)."""
    if hasattr(value, "_attribute_map"):
        return (type(value).__name__, {k: _plain(v) for k, v in sorted(vars(value).items())})
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


@pytest.mark.parametrize("name", PAYLOADS)
def test_real_teams_payloads_read_alike(name: str) -> None:
    body = json.loads(need_shared("teams-payloads", name).read_text(encoding="utf-8"))
    _same(body)
    assert read_activity(body).conversation.id == body["conversation"]["id"]


@pytest.mark.parametrize("turn", sorted(TURNS))
def test_benchmark_activities_read_alike(turn: str) -> None:
    import bench.turns as turns

    turns.ACTIVITIES.setdefault(0, [1, 1])
    _same(TURNS[turn][0](0, "http://127.0.0.1:9/"))


def test_unknown_keys_are_kept_as_msrest_keeps_them() -> None:
    body = {"type": "message", "id": "1", "text": "hej", "tavlaExtra": {"a": 1},
            "from": {"id": "29:x", "name": "Anna", "aadObjectId": "aad", "okänd": True},
            "conversation": {"id": "a:1", "tenantId": "t"}, "recipient": {"id": "28:bot"},
            "entities": [{"type": "mention", "text": "<at>Tavla</at>", "mentioned": {"id": "28:bot"}}]}
    _same(body)
    activity = read_activity(body)
    assert activity.additional_properties == {"tavlaExtra": {"a": 1}}
    assert activity.from_property.aad_object_id == "aad"
    assert activity.from_property.additional_properties == {"okänd": True}
    assert activity.entities[0].additional_properties["mentioned"] == {"id": "28:bot"}


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True)
                    | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
ACCOUNT = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=8)},
                                optional={"name": JSON, "aadObjectId": JSON, "role": JSON, "x": JSON})
FIELDS = {"type": st.sampled_from(["message", "invoke", "conversationUpdate", "event"]) | JSON,
          "id": JSON, "timestamp": st.sampled_from(["2026-11-26T10:00:00.123Z", "2026-11-26T10:00:00Z", "igår"]) | JSON,
          "localTimestamp": JSON, "serviceUrl": JSON, "channelId": JSON, "text": JSON, "locale": JSON,
          "from": ACCOUNT | JSON, "recipient": ACCOUNT, "conversation": ACCOUNT | JSON,
          "membersAdded": st.lists(ACCOUNT | JSON, max_size=2) | JSON, "attachments": st.lists(
              st.fixed_dictionaries({}, optional={"contentType": JSON, "content": JSON, "name": JSON}), max_size=2),
          "entities": st.lists(st.dictionaries(st.sampled_from(["type", "text", "mentioned"]), JSON), max_size=2),
          "value": JSON, "channelData": JSON, "replyToId": JSON, "name": JSON, "textFormat": JSON,
          "relatesTo": JSON, "suggestedActions": JSON, "importance": JSON, "listenFor": JSON}


@settings(max_examples=1500, deadline=None)
@given(st.fixed_dictionaries({}, optional=FIELDS))
def test_generated_bodies_read_alike_or_fail_alike(body: dict[str, Any]) -> None:
    _same(body)
