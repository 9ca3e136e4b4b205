"""The årshjul rule among all the rules (the real catalog): what reaches it, and what stays with the others."""

from __future__ import annotations

import pytest

from bot.nlu.catalog import Catalog
from bot.nlu.intents import recognize
from bot.nlu.rules import RULES
from tests.bot.test_rules_budget import catalog  # noqa: F401 - the seeded catalog, built once


@pytest.mark.parametrize("text, slots", [
    ("årshjulet", {}), ("Visa årshjulet", {}), ("årshjulet i november", {"month": 11}),
    ("vad händer i maj?", {"month": 5}), ("Vad händer i september", {"month": 9}),
    ("vad sker i december?", {"month": 12}), ("what happens in september?", {"month": 9}), ("annual cycle", {}),
    ("när fastställs budgeten?", {"query": "när fastställs budgeten"}),
    ("När beslutar KF om budgeten?", {"query": "när beslutar kf om budgeten"}),
    ("när ska VP vara klar?", {"query": "när ska vp vara klar"}), ("what happens in may?", {"month": 5}),
    ("vad händer härnäst?", {}), ("vad händer nästa månad?", {"next_month": True}),
])
def test_arshjul_questions(catalog: Catalog, text: str, slots: dict[str, object]) -> None:  # noqa: F811
    intent = recognize(text, catalog, RULES)
    assert intent.name == "arshjul" and intent.slots == slots, (text, intent)


@pytest.mark.parametrize("text, name", [
    ("budget kvar äldreomsorg i mars", "budget"), ("när är nästa tavelmöte?", "digest_meeting_next"),
    ("frisknärvaro 94,2 mars", "indicator_record"), ("vad händer?", "unknown"),
    ("när ska lärplattor vara klar?", "unknown"), ("status frisknärvaro", "indicator_status"),
])
def test_other_questions_stay_where_they_were(catalog: Catalog, text: str, name: str) -> None:  # noqa: F811
    assert recognize(text, catalog, RULES).name == name, text
