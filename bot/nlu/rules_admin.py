"""People, roles and planning years in chat (Swedish and English):

- ``admin_grant``: "ge Anna rollen chef i Förskolan Humlan", "gör Bo till chef för Humlan", "lägg till
  nils.nilsson@kommun.se som medarbetare i Humlan", "give Anna the manager role in …";
- ``admin_revoke``: "ta bort rollen chef för Bo i Humlan", "ta bort Bo som chef i Humlan";
- ``admin_who``: "vem är chef i Förskolan Humlan", "vilka är medarbetare i Humlan", "who is the manager of …";
- ``admin_my_roles``: "mina roller", "vilka roller har jag", "my roles";
- ``year_carry_over``: "för över ej klara aktiviteter till 2019" (optionally "… i Förskolan Humlan").

Slots: ``person`` and ``unit`` as written (the handler finds them in the store), ``role`` (one of
``storage.models.ROLES``), ``year``. Person and unit text is taken from the original message (an e-mail
address keeps its ``@``).
"""

from __future__ import annotations

import re
from typing import Any

from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance, clean, fold

ROLE_WORDS: dict[str, str] = {
    "medarbetare": "medarbetare", "medarbetarna": "medarbetare", "anstalld": "medarbetare", "anstallda": "medarbetare",
    "chef": "chef", "chefer": "chef", "chefen": "chef", "enhetschef": "chef", "controller": "controller",
    "controllers": "controller", "controllern": "controller", "ekonom": "ekonom", "ekonomer": "ekonom",
    "ekonomen": "ekonom", "hr": "hr", "admin": "admin", "administrator": "admin", "administratorer": "admin",
    "administratoren": "admin", "manager": "chef", "managers": "chef", "employee": "medarbetare",
    "employees": "medarbetare", "staff": "medarbetare", "economist": "ekonom", "administrators": "admin",
    "hr-person": "hr",
}
_ROLE = r"(?P<role>[a-zåäöé-]+)"
_IN = r"(?:i|på|pa|för|for|inom|in|at|of)"

GRANT = [re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:ge|tilldela)\s+(?P<person>.+?)\s+(?:rollen\s+|roll\s+)?{_ROLE}(?:\s*-?rollen)?\s+{_IN}\s+(?P<unit>.+)$",
    rf"^(?:gör|gor)\s+(?P<person>.+?)\s+till\s+{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
    rf"^lägg\s+till\s+(?P<person>.+?)\s+som\s+{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
    rf"^(?:give|grant)\s+(?P<person>.+?)\s+(?:the\s+)?(?:role\s+)?{_ROLE}(?:\s+role)?\s+{_IN}\s+(?P<unit>.+)$",
    rf"^make\s+(?P<person>.+?)\s+(?:an?\s+|the\s+)?{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
)]
REVOKE = [re.compile(p, re.IGNORECASE) for p in (
    rf"^ta\s+bort\s+(?:rollen\s+)?{_ROLE}\s+(?:för|for|från|fran)\s+(?P<person>.+?)\s+{_IN}\s+(?P<unit>.+)$",
    rf"^ta\s+bort\s+(?P<person>.+?)\s+som\s+{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
    rf"^remove\s+(?:the\s+)?(?:role\s+)?{_ROLE}(?:\s+role)?\s+from\s+(?P<person>.+?)\s+{_IN}\s+(?P<unit>.+)$",
)]
WHO = [re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:vem|vilka)\s+(?:är|ar|har\s+rollen)\s+{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
    rf"^who\s+(?:is|are)\s+(?:the\s+)?{_ROLE}\s+{_IN}\s+(?P<unit>.+)$",
)]
MY_ROLES = ("mina roller", "vilka roller har jag", "vad har jag for roller", "vad har jag for roll", "min roll",
            "vilken roll har jag", "my roles", "what are my roles", "what roles do i have", "mina behorigheter",
            "vad far jag gora")
CARRY = re.compile(
    r"^(?:för|for)\s+över\s+(?:alla\s+)?(?:ej|inte)\s+(?:klara|avslutade|färdiga)\s+aktiviteter"
    r"(?:\s+(?:i|på|för)\s+(?P<unit>.+?))?\s+till\s+(?P<year>(?:19|20)\d\d)(?:\s+(?:i|på|för)\s+(?P<unit2>.+?))?$",
    re.IGNORECASE)
CARRY_EN = re.compile(r"^carry\s+over\s+(?:all\s+)?(?:unfinished|open)\s+activities(?:\s+(?:in|of|for)\s+(?P<unit>.+?))?"
                      r"\s+to\s+(?P<year>(?:19|20)\d\d)(?:\s+(?:in|of|for)\s+(?P<unit2>.+?))?$", re.IGNORECASE)


def role_of(word: str) -> str | None:
    return ROLE_WORDS.get(fold(word.lower()).strip("-"))


def _text(u: Utterance) -> str:
    return clean(u.raw).strip().rstrip("?!.").strip()


def _tidy(value: str) -> str:
    return value.strip().strip("”\"'").strip()


def admin_rule(u: Utterance, _catalog: Any) -> Intent | None:
    text = _text(u)
    if not text or len(text) > 300:
        return None
    if u.folded in MY_ROLES or u.starts_with("mina roller", "my roles"):
        return Intent("admin_my_roles", 1.0)
    for patterns, name in ((GRANT, "admin_grant"), (REVOKE, "admin_revoke")):
        for pattern in patterns:
            match = pattern.match(text)
            if match and role_of(match.group("role")):
                return Intent(name, 1.0, {"person": _tidy(match.group("person")), "unit": _tidy(match.group("unit")),
                                          "role": role_of(match.group("role"))})
    for pattern in WHO:
        match = pattern.match(text)
        if match and role_of(match.group("role")):
            return Intent("admin_who", 1.0, {"unit": _tidy(match.group("unit")), "role": role_of(match.group("role"))})
    match = CARRY.match(text) or CARRY_EN.match(text)
    if match:
        unit = match.group("unit") or match.group("unit2")
        return Intent("year_carry_over", 1.0, {"year": int(match.group("year")), "unit": _tidy(unit) if unit else None})
    return None


RULES_ADMIN = [admin_rule]
