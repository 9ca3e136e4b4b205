"""The ordered rule list of the one recogniser. Ties go to the rule listed first."""

from __future__ import annotations

from bot.nlu.intents import Rule
from bot.nlu.rules_admin import RULES_ADMIN
from bot.nlu.rules_budget import RULES_BUDGET
from bot.nlu.rules_core import greeting_or_help
from bot.nlu.rules_digest import RULES_DIGEST
from bot.nlu.rules_indicators import RULES_INDICATORS
from bot.nlu.rules_plans import RULES as RULES_PLANS

RULES: list[Rule] = [
    greeting_or_help,
    *RULES_ADMIN,  # people, roles, carry-over: exact command shapes, before the feature rules
    *RULES_DIGEST,
    *RULES_PLANS,
    *RULES_INDICATORS,
    *RULES_BUDGET,
]
