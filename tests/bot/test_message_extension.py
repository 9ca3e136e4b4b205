"""The compose-box search over HTTP: Teams' ``composeExtension/query`` in, result cards out, in time."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import message_extension as me
from bot.nlu.catalog import key
from settings import Settings
from storage.db import Store
from storage.models import ActionPlan, Activity, Conversation, Goal, Indicator, OrgUnit, Person
from tests.conftest import need_shared
from tests.support.cards import MAX_CARD_BYTES, assert_valid_card
from tests.support.harness import ANNA, Harness, card_text, running

DEADLINE_S = 5.0  # Teams' limit for answering a message-extension query


def real_payload(h: Harness, text: str | None, *, command: str | None = None, name: str | None = None,
                 skip: int = 0, count: int = 25) -> dict[str, Any]:
    """../shared's recorded ``composeExtension/query`` with our serviceUrl and the words typed."""
    activity = json.loads(need_shared("teams-payloads", "invoke-composeExtension-query.json").read_text("utf-8"))
    activity["serviceUrl"] = h.connector.url
    value = activity["value"]
    if command is not None:
        value["commandId"] = command
    param = value["parameters"][0]
    if name is not None:
        param["name"] = name
    if text is None:
        value["parameters"] = [{"name": "initialRun", "value": "true"}]
    else:
        param["value"] = text
    value["queryOptions"] = {"skip": skip, "count": count}
    return activity


async def query(h: Harness, activity: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    status, body = await h.post(activity)
    elapsed = time.monotonic() - started
    assert status == 200, (status, body)
    assert elapsed < DEADLINE_S, f"answered after {elapsed:.1f} s"
    assert set(body) == {"composeExtension"}, body
    return body["composeExtension"]


def check_results(extension: dict[str, Any]) -> list[dict[str, Any]]:
    """Every result: an Adaptive Card 1.5 under 28 KB, valid against the schema, with a thumbnail preview."""
    assert extension["type"] == "result" and extension["attachmentLayout"] == "list", extension
    for attachment in extension["attachments"]:
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert_valid_card(attachment["content"])
        assert len(json.dumps(attachment["content"], ensure_ascii=False).encode()) < MAX_CARD_BYTES
        preview = attachment["preview"]
        assert preview["contentType"] == "application/vnd.microsoft.card.thumbnail"
        assert preview["content"]["title"] and preview["content"]["text"]
        assert "\n" not in preview["content"]["title"]
        # inserted into any chat, Tavla a member or not: no button that calls the bot, no auto-refresh
        raw = json.dumps(attachment["content"])
        assert '"Action.Execute"' not in raw and '"Action.Submit"' not in raw and '"refresh"' not in raw
    return extension["attachments"]


def titles(attachments: list[dict[str, Any]]) -> list[str]:
    return [a["preview"]["content"]["title"] for a in attachments]


async def conversations(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)


async def test_frisk_lists_frisknarvaro_from_the_real_payload(store: Store) -> None:
    async with running(store) as h:
        before = await conversations(store)
        # the recorded payload as Teams sends it: its own commandId and parameter name
        results = check_results(await query(h, real_payload(h, "frisk")))
        assert titles(results)[0] == "Frisknärvaro"
        card = card_text(results[0]["content"])
        assert "Målnivå 2018" in card and "95" in card
        assert "Inga mätvärden än" in card  # the årsplan has no measured frisknärvaro: said in words
        assert "Visar läget 15 maj 2018" in card
        assert results[0]["preview"]["content"]["text"] == "Indikator · Inga mätvärden än"
        # the answer is the HTTP body: nothing posted to the chat, the chat not stored as Tavla's
        assert h.connector.received == []
        assert await conversations(store) == before


async def test_aldreomsorg_lists_the_budget_line_with_its_figures(store: Store) -> None:
    async with running(store) as h:
        results = check_results(await query(h, real_payload(h, "äldreomsorg", command=me.COMMAND_ID,
                                                             name=me.PARAMETER)))
        assert titles(results)[0] == "Äldreomsorg"
        card = card_text(results[0]["content"])
        assert "Hälsa och omsorg" in card and "150 853,2 tkr" in card and "2018" in card
        assert results[0]["preview"]["content"]["text"] == "Budgetrad · Hälsa och omsorg · 150 853,2 tkr"


async def _add_activities(store: Store) -> dict[str, int]:
    """Two activities in a handlingsplan of an enhet, one owned by Anna (made here, not demo data)."""
    async with store.session() as session:
        area = await session.scalar(select(OrgUnit).where(OrgUnit.name == "Hälsa och omsorg"))
        unit = OrgUnit(code="T-HT", name="Hemtjänst Testby", kind="enhet", parent_id=area.id, valid_from=2018,
                       synonyms=[], is_demo=True, source="test")
        goal = await session.scalar(select(Goal).order_by(Goal.id).limit(1))
        anna = await session.scalar(select(Person).where(Person.aad_object_id == ANNA.aad))
        if anna is None:
            anna = Person(aad_object_id=ANNA.aad, name=ANNA.name, is_demo=True)
            session.add(anna)
        session.add(unit)
        await session.flush()
        plan = ActionPlan(org_unit_id=unit.id, goal_id=goal.id, year=2018, is_demo=True)
        session.add(plan)
        await session.flush()
        late = Activity(plan_id=plan.id, title="Digital tillsyn i äldreomsorgen", status="pagar", progress=40,
                        deadline=date(2018, 4, 30), owner_id=anna.id, is_demo=True)
        done = Activity(plan_id=plan.id, title="Måltidsenkät *äldreomsorg* [klar]", status="klar", progress=100,
                        deadline=date(2018, 3, 1), is_demo=True)
        session.add_all([late, done])
        await session.flush()
        return {"late": late.id, "done": done.id, "person": anna.id}


async def test_activities_are_found_by_title_with_status_in_words(store: Store) -> None:
    pytest.importorskip("storage.plans")
    await _add_activities(store)
    async with running(store) as h:
        results = check_results(await query(h, real_payload(h, "äldreomsorg")))
        found = titles(results)
        assert found[0] == "Äldreomsorg"  # the budget line's name is the exact match
        assert "Digital tillsyn i äldreomsorgen" in found
        late = results[found.index("Digital tillsyn i äldreomsorgen")]["content"]
        text = card_text(late)
        assert "Pågår, 40 %" in text and "försenad" in text  # deadline 30/4 passed on 15/5, in words
        assert "Hemtjänst Testby" in text and "Anna Andersson" in text
        assert "Exempeldata" in text  # invented rows say so
        # a user-written title is never markdown: it goes in a TextRun
        done = results[found.index("Måltidsenkät *äldreomsorg* [klar]")]["content"]
        runs = [i for e in done["body"] if e["type"] == "RichTextBlock" for i in e["inlines"]]
        assert any(r["text"] == "Måltidsenkät *äldreomsorg* [klar]" for r in runs)


async def test_the_flyout_opens_with_my_open_activities_then_the_indicators(store: Store) -> None:
    pytest.importorskip("storage.plans")
    await _add_activities(store)
    async with running(store) as h:
        activity = real_payload(h, None)
        activity["from"] = ANNA.account
        results = check_results(await query(h, activity))
        found = titles(results)
        assert found[0] == "Digital tillsyn i äldreomsorgen"  # Anna's, open
        assert "Måltidsenkät *äldreomsorg* [klar]" not in found  # done, and not hers
        async with store.session() as session:
            indicators = int(await session.scalar(select(func.count()).select_from(Indicator)) or 0)
        assert "Frisknärvaro" in found and len(found) == 1 + indicators


async def test_paging_follows_query_options(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        everything = check_results(await query(h, real_payload(h, "hälsa och omsorg", count=25)))
        area_lines = titles(everything)
        assert len(area_lines) >= 4  # the area's budget lines, by the area's name
        first = titles(check_results(await query(h, real_payload(h, "hälsa och omsorg", count=2))))
        second = titles(check_results(await query(h, real_payload(h, "hälsa och omsorg", skip=2, count=2))))
        assert first + second == area_lines[:4]
        beyond = await query(h, real_payload(h, "hälsa och omsorg", skip=500))
        assert beyond == {"type": "result", "attachmentLayout": "list", "attachments": []}


async def test_the_features_own_cards_are_inserted_without_their_buttons(sqlite_store: Store) -> None:
    if me.indicator_cards is None or me.budget_cards is None:
        pytest.skip("the indicator and budget cards are not merged yet")
    async with running(sqlite_store) as h:
        [indicator] = check_results(await query(h, real_payload(h, "HME")))
        assert indicator["content"]["body"][0]["text"] == "Hållbart medarbetarengagemang (HME-index)"
        assert "Från Tavla" not in card_text(indicator["content"])  # not the compact fallback


async def test_compact_cards_when_the_features_cards_are_not_there(sqlite_store: Store,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("indicator_status_view", "indicator_cards", "budget_cards", "budget_repo"):
        monkeypatch.setattr(me, name, None)
    async with running(sqlite_store) as h:
        [frisk] = check_results(await query(h, real_payload(h, "frisknärvaro")))
        text = card_text(frisk["content"])
        assert "Indikator · Från Tavla" in text and "Målnivå 2018" in text and "minst 95,0 %" in text
        assert "Status" in text and "Inga mätvärden än" in text and "Attraktiv arbetsgivare" in text
        [line] = check_results(await query(h, real_payload(h, "äldreomsorg")))
        text = card_text(line["content"])
        assert "Budgetrad · Från Tavla" in text and "Budget 2018 (nettokostnad)" in text
        assert "150 853,2 tkr" in text and "Inget utfall inläst än" in text


async def test_a_busy_server_inserts_compact_cards_rather_than_miss_the_deadline(
        sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(me, "FEATURE_CARDS_S", 0.0)
    async with running(sqlite_store) as h:
        results = check_results(await query(h, real_payload(h, None)))
        assert len(results) >= 16
        assert all("Indikator · Från Tavla" in card_text(r["content"]) for r in results)


def test_for_any_chat_keeps_content_and_drops_bot_buttons() -> None:
    from cards.search import for_any_chat

    card = {"type": "AdaptiveCard", "version": "1.5", "refresh": {"action": {"type": "Action.Execute"}},
            "body": [{"type": "TextBlock", "text": "kvar"},
                     {"type": "ActionSet", "actions": [{"type": "Action.Execute", "verb": "x"}]},
                     {"type": "Container", "selectAction": {"type": "Action.Submit", "data": {}}, "items": [],
                      "id": "c"},
                     {"type": "ActionSet", "actions": [{"type": "Action.OpenUrl", "url": "https://kommun.se"}]}],
            "actions": [{"type": "Action.Execute", "verb": "y"}, {"type": "Action.ToggleVisibility",
                                                                 "targetElements": ["c"]}]}
    cleaned = for_any_chat(card)
    assert cleaned["body"][0] == {"type": "TextBlock", "text": "kvar"}
    assert [e["type"] for e in cleaned["body"]] == ["TextBlock", "Container", "ActionSet"]
    assert "selectAction" not in cleaned["body"][1] and "refresh" not in cleaned
    assert cleaned["actions"] == [{"type": "Action.ToggleVisibility", "targetElements": ["c"]}]
    assert card["actions"][0]["verb"] == "y"  # the original is not changed


async def test_no_match_says_so_in_the_flyout(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        answer = await query(h, real_payload(h, "Toronto"))  # the doc sample's own query
        assert answer["type"] == "message"
        assert "Inget i Tavla matchar ”Toronto”" in answer["text"]
        english = real_payload(h, "Toronto")
        english["locale"] = "en-US"
        answer = await query(h, english)
        assert answer["type"] == "message" and "Nothing in Tavla matches" in answer["text"]


async def test_english_locale_gets_english_cards(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        activity = real_payload(h, "meritvärde")
        activity["locale"] = "en-US"
        results = check_results(await query(h, activity))
        text = card_text(results[0]["content"])
        assert "15 May 2018" in text and "Visar" not in text
        assert results[0]["preview"]["content"]["text"].startswith("Indicator · ")


@pytest.mark.parametrize("value", [
    None, "frisk", [], {"parameters": "frisk"}, {"parameters": [None, 3, {"name": "sokord"}]},
    {"parameters": [{"name": "sokord", "value": "frisk"}], "queryOptions": {"skip": "x", "count": -4}},
    {"parameters": [{"name": "sokord", "value": "x" * 50_000}], "queryOptions": {"count": 10**9}},
])
async def test_malformed_values_get_an_answer_not_an_error(sqlite_store: Store, value: Any) -> None:
    async with running(sqlite_store) as h:
        activity = real_payload(h, "frisk")
        activity["value"] = copy.deepcopy(value)
        answer = await query(h, activity)
        assert answer["type"] in ("result", "message")
        if answer["type"] == "result":
            check_results(answer)
            assert len(answer["attachments"]) <= me.MAX_RESULTS


async def test_a_failure_is_a_line_in_the_flyout(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(me.facts, "budget_facts", broken)
    async with running(sqlite_store) as h:
        answer = await query(h, real_payload(h, "äldreomsorg"))
        assert answer["type"] == "message" and "Förlåt" in answer["text"]
        assert "exploded" not in answer["text"]


async def test_a_slow_search_answers_before_teams_gives_up(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(30)

    monkeypatch.setattr(me.facts, "indicator_facts", slow)
    monkeypatch.setattr(me, "TIME_BUDGET_S", 0.3)
    async with running(sqlite_store) as h:
        answer = await query(h, real_payload(h, "frisk"))
        assert answer == {"type": "message", "text": me.TEXTS["too_slow"]["sv"]}


async def test_a_foreign_tenant_cannot_search(sqlite_store: Store) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
                        allowed_tenant_ids="11111111-2222-3333-4444-555555555555")
    async with running(sqlite_store, settings) as h:
        activity = real_payload(h, "äldreomsorg")
        activity["channelData"] = {"tenant": {"id": "99999999-0000-0000-0000-000000000000"}}
        status, body = await h.post(activity)
        assert status == 403
        assert "150 853" not in json.dumps(body) and "Äldreomsorg" not in json.dumps(body)


# --- ranking (pure) -------------------------------------------------------------------------


def test_parse_query_prefers_our_parameter_and_bounds_everything() -> None:
    q = me.parse_query({"commandId": "sok", "parameters": [{"name": "other", "value": "a"},
                                                           {"name": "sokord", "value": "  frisk  närvaro "}],
                        "queryOptions": {"skip": 3, "count": 99}})
    assert (q.text, q.skip, q.count, q.initial_run) == ("frisk närvaro", 3, me.MAX_RESULTS, False)
    q = me.parse_query({"parameters": [{"name": "initialRun", "value": "true"}]})
    assert q.initial_run and q.text == "" and q.count == me.MAX_RESULTS
    assert me.parse_query({"parameters": [{"name": "searchKeywords", "value": "Toronto"}]}).text == "Toronto"
    q = me.parse_query({"queryOptions": {"skip": float("inf"), "count": float("nan")}})
    assert (q.skip, q.count) == (0, me.MAX_RESULTS)
    q = me.parse_query({"queryOptions": {"skip": -float("inf"), "count": 1e300}})
    assert (q.skip, q.count) == (0, me.MAX_RESULTS)


@pytest.mark.parametrize("typed, name, expected", [
    ("frisknärvaro", "frisknärvaro", 100.0),
    ("frisk", "frisknärvaro", 95.0),
    ("omsorg", "övergripande stöd o omsorg", 90.0),
    ("narvaro", "frisknärvaro", 85.0),
    ("omsorg stöd", "övergripande stöd o omsorg", 82.0),
    ("ab", "frisknärvaro", 0.0),
])
def test_name_score_orders_exact_prefix_word_part(typed: str, name: str, expected: float) -> None:
    assert me.name_score(key(typed), (key(name),)) == expected


def test_close_spellings_match_but_rank_below_real_matches() -> None:
    typo = me.name_score(key("äldreomosrg"), (key("Äldreomsorg"),))
    assert 0 < typo < 85


def test_best_first_breaks_ties_by_kind_then_source_order() -> None:
    ranked = [me.Ranked("activity", 1, 90.0, 0), me.Ranked("budget_line", 2, 90.0, 5),
              me.Ranked("indicator", 3, 90.0, 9), me.Ranked("budget_line", 4, 95.0, 7)]
    assert [r.id for r in me.best_first(ranked)] == [4, 3, 2, 1]


def test_decimal_figures_are_never_floats() -> None:
    from cards.search import figure

    assert figure(Decimal("95.25"), "%", 1, "sv") == "95,3\u00a0%"
    assert figure(Decimal("199"), "poäng", 0, "sv") == "199\u00a0poäng"
