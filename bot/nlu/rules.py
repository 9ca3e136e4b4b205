"""The ordered rule list of the one recogniser. Ties go to the rule listed first."""

from __future__ import annotations

from typing import Any

from bot.nlu.intents import Rule, recognize
from bot.nlu.rules_admin import RULES_ADMIN
from bot.nlu.rules_budget import RULES_BUDGET
from bot.nlu.rules_calendar import RULES_CALENDAR
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
    *RULES_CALENDAR,
]

# Questions of every kind, for ``warm``: each makes the rules build the name indexes they look names up in.
WARM_TEXTS = (
    "status frisknärvaro", "status frisknärvaro hälsa och omsorg", "visa indikatorer för hälsa och omsorg",
    "budget kvar äldreomsorg", "hur mycket har hälsa och omsorg kvar?", "över budget förskola",
    "klar med kartlägga lokalbehov", "lärplattor 60 %", "mina aktiviteter", "tavla förskolan humlan",
    "ny aktivitet i förskolan humlan: digital introduktion", "veckosammanfattning måndag 08:00 hälsa och omsorg",
    "vem är chef i ekonomi och intern service", "ge anna rollen medarbetare i förskolan humlan",
)


def warm(catalog: Any) -> None:
    """Recognise ``WARM_TEXTS`` against a newly loaded catalog (``CatalogCache(warm=…)``, in a worker thread), so
    the indexes of names are built before a turn uses the catalog. A missed index is built by the first turn
    that needs it, as before."""
    for text in WARM_TEXTS:
        recognize(text, catalog, RULES)
