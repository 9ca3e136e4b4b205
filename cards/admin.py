"""Cards for people and roles: a role given or taken (with "Ångra"), who holds a role where, my roles, and
the choice when a name fits several people or units. Names are stored user data: shown with ``user_text``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards import core
from cards.common import ask_button
from cards.texts import pick

REVOKE_VERB = "admin.revoke"  # data: {"membership": id}
ROLE_LABELS = {
    "medarbetare": {"sv": "medarbetare", "en": "staff member"}, "chef": {"sv": "chef", "en": "manager"},
    "controller": {"sv": "controller", "en": "controller"}, "ekonom": {"sv": "ekonom", "en": "finance officer"},
    "hr": {"sv": "HR", "en": "HR"}, "admin": {"sv": "administratör", "en": "administrator"},
}
ROLE_PLURAL = {"medarbetare": "Medarbetare", "chef": "Chefer", "controller": "Controllers", "ekonom": "Ekonomer",
               "hr": "HR", "admin": "Administratörer"}
ROLE_CAN = {
    "medarbetare": {"sv": "rapportera på enhetens aktiviteter och lägga förslag på dess tavla",
                    "en": "report on the unit's activities and add ideas to its board"},
    "chef": {"sv": "leda enhetens handlingsplaner och tavelmöten (även enheterna under), läsa in handlingsplaner "
                   "och föra över ej klara aktiviteter till nästa år",
             "en": "lead the unit's action plans and board meetings (and the units below), import plans and carry "
                   "over unfinished activities"},
    "controller": {"sv": "läsa in utfall, budget, prognoser, indikatorvärden, verksamhetsmål och målnivåer",
                   "en": "import actuals, budget, forecasts, indicator values, goals and target levels"},
    "ekonom": {"sv": "läsa in utfall, budget och prognoser och lägga in helårsprognoser",
               "en": "import actuals, budget and forecasts and enter full-year forecasts"},
    "hr": {"sv": "registrera och läsa in indikatorvärden (t.ex. frisknärvaro)",
           "en": "record and import indicator values (e.g. attendance)"},
    "admin": {"sv": "allt, även ge roller och läsa in organisation och personer",
              "en": "everything, including granting roles and importing the organisation and people"},
}

TEXTS: dict[str, dict[str, str]] = {
    "granted": {"sv": "{person} är nu {role} i {unit}.", "en": "{person} is now {role} in {unit}."},
    "had": {"sv": "{person} var redan {role} i {unit}.", "en": "{person} already was {role} in {unit}."},
    "added": {"sv": "{person} fanns inte i Tavla och lades till med e-postadressen. Kopplingen till Teams görs "
                    "första gången hen skriver till Tavla.",
              "en": "{person} was not in Tavla and was added by e-mail address; linked to Teams on first message."},
    "logged": {"sv": "Ändringen är loggad.", "en": "The change is logged."},
    "undo": {"sv": "Ångra", "en": "Undo"},
    "revoked": {"sv": "{person} är inte längre {role} i {unit}.", "en": "{person} is no longer {role} in {unit}."},
    "who_title": {"sv": "{roles} i {unit}", "en": "{roles} in {unit}"},
    "nobody": {"sv": "Ingen har rollen {role} i {unit}.", "en": "Nobody has the role {role} in {unit}."},
    "above": {"sv": "Ovanför: {unit} ({role})", "en": "Above: {unit} ({role})"},
    "mine_title": {"sv": "Dina roller i Tavla", "en": "Your roles in Tavla"},
    "mine_none": {"sv": "Du har inga roller i Tavla än.", "en": "You have no roles in Tavla yet."},
    "mine_can": {"sv": "Som {role} kan du {what}.", "en": "As {role} you can {what}."},
    "pick_person": {"sv": "Vem menar du?", "en": "Whom do you mean?"},
    "pick_unit": {"sv": "Vilken enhet menar du?", "en": "Which unit do you mean?"},
}


def _t(key: str, lang: str, **values: object) -> str:
    return pick(TEXTS, key, lang, **values)


def role_label(role: str, lang: str) -> str:
    entry = ROLE_LABELS.get(role, {"sv": role})
    return entry.get(lang, entry["sv"])


def granted_card(person: str, role: str, unit: str, membership_id: int, *, newly: bool, added: bool, lang: str
                 ) -> dict[str, Any]:
    line = _t("granted" if newly else "had", lang, person=person, role=role_label(role, lang), unit=unit)
    body: list[core.Element] = [core.container([core.user_text(("✔ " if newly else "") + line)],
                                               style="good" if newly else None)]
    if added:
        body.append(core.user_text(_t("added", lang, person=person)))
    if newly:
        body.append(core.text(_t("logged", lang), size="Small", subtle=True))
    actions = [core.execute(_t("undo", lang), REVOKE_VERB, {"membership": membership_id})] if newly else None
    return core.card(body, actions)


def revoked_card(person: str, role: str, unit: str, lang: str) -> dict[str, Any]:
    return core.card([core.user_text(_t("revoked", lang, person=person, role=role_label(role, lang), unit=unit)),
                      core.text(_t("logged", lang), size="Small", subtle=True)])


@dataclass(frozen=True)
class HolderLine:
    person: str
    role: str
    unit: str
    above: bool  # held in a unit above the one asked about


def who_card(role: str, unit: str, lines: list[HolderLine], lang: str) -> dict[str, Any]:
    roles = ROLE_PLURAL.get(role, role) if lang == "sv" else role_label(role, lang).capitalize()
    body: list[core.Element] = [core.heading(_t("who_title", lang, roles=roles, unit=unit))]
    own = [line for line in lines if not line.above]
    if not own:
        body.append(core.text(_t("nobody", lang, role=role_label(role, lang), unit=unit)))
    body += [core.user_text(line.person) for line in own[:40]]
    for line in [x for x in lines if x.above][:10]:
        body.append(core.user_text(f"{_t('above', lang, unit=line.unit, role=role_label(line.role, lang))}: "
                                   f"{line.person}", subtle=True))
    return core.card(body)


def my_roles_card(roles: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    body: list[core.Element] = [core.heading(_t("mine_title", lang))]
    if not roles:
        body.append(core.text(_t("mine_none", lang)))
        return core.card(body)
    body.append(core.facts([(role_label(role, lang).capitalize(), unit) for role, unit in roles]))
    for role in dict.fromkeys(role for role, _ in roles):
        what = ROLE_CAN.get(role, {}).get(lang) or ROLE_CAN.get(role, {}).get("sv")
        if what:
            body.append(core.text(_t("mine_can", lang, role=role_label(role, lang), what=what), size="Small"))
    return core.card(body)


def choice_card(question_key: str, options: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    """Buttons that ask the question again with an exact name (``options``: (title, question))."""
    return core.card([core.text(_t(question_key, lang), weight="Bolder")],
                     [ask_button(title[:60], question) for title, question in options[:6]])


# --- A new planning year ------------------------------------------------------------------------------------

CARRY_VERB = "year.carry_over"  # data: {"to": year, "units": [enhet ids]}
CARRY_TEXTS: dict[str, dict[str, str]] = {
    "carry_title": {"sv": "För över till {year}", "en": "Carry over to {year}"},
    "carry_intro": {"sv": "{n} aktiviteter från {old} är inte klara. De förs över till handlingsplanerna för {year} "
                          "med sin status och historik; {old} ligger kvar som det är.",
                    "en": "{n} activities from {old} are not done. They are carried over to the {year} plans with "
                          "their status and history; {old} stays as it is."},
    "carry_none": {"sv": "Inga ej klara aktiviteter från {old} att föra över (eller så är de redan överförda).",
                   "en": "No unfinished activities from {old} to carry over (or they already were)."},
    "carry_button": {"sv": "För över {n} aktiviteter", "en": "Carry over {n} activities"},
    "carry_more": {"sv": "… och {n} till", "en": "… and {n} more"},
    "carried": {"sv": "{n} aktiviteter är överförda till {year}.", "en": "{n} activities were carried over to {year}."},
    "carried_skipped": {"sv": "{n} ändrades av någon under tiden och fördes inte över – fråga igen.",
                        "en": "{n} were changed meanwhile and not carried over – ask again."},
    "carried_old_goal": {"sv": "Verksamhetsmålet ”{goal}” finns inte för {year}; aktiviteterna hänger kvar på det "
                               "(läs in årets verksamhetsmål med samma namn för att flytta dem).",
                         "en": "The goal “{goal}” does not exist for {year}; the activities stay under it."},
}


@dataclass(frozen=True)
class CarryGroup:
    unit: str
    titles: tuple[str, ...]


def carry_preview_card(groups: list[CarryGroup], unit_ids: list[int], old: int, year: int, lang: str) -> dict[str, Any]:
    total = sum(len(g.titles) for g in groups)
    body: list[core.Element] = [core.heading(pick(CARRY_TEXTS, "carry_title", lang, year=year))]
    if not total:
        body.append(core.text(pick(CARRY_TEXTS, "carry_none", lang, old=old)))
        return core.card(body)
    body.append(core.text(pick(CARRY_TEXTS, "carry_intro", lang, n=total, old=old, year=year)))
    for group in groups[:10]:
        body.append(core.text(f"{group.unit} ({len(group.titles)})", weight="Bolder", spacing="Medium"))
        body += [core.user_text("• " + title, limit=200) for title in group.titles[:8]]
        if len(group.titles) > 8:
            body.append(core.text(pick(CARRY_TEXTS, "carry_more", lang, n=len(group.titles) - 8), subtle=True,
                                  size="Small"))
    action = core.execute(pick(CARRY_TEXTS, "carry_button", lang, n=total), CARRY_VERB,
                          {"to": year, "units": unit_ids}, style="positive")
    return core.card(body, [action])


def carried_card(count: int, skipped: int, old_goals: list[str], per_unit: dict[str, int], year: int, lang: str
                 ) -> dict[str, Any]:
    body: list[core.Element] = [core.container([core.text("✔ " + pick(CARRY_TEXTS, "carried", lang, n=count,
                                                                            year=year), weight="Bolder")],
                                               style="good")]
    if per_unit:
        body.append(core.facts([(unit, str(n)) for unit, n in sorted(per_unit.items())][:15]))
    if skipped:
        body.append(core.text(pick(CARRY_TEXTS, "carried_skipped", lang, n=skipped)))
    for goal in old_goals[:5]:
        body.append(core.user_text(pick(CARRY_TEXTS, "carried_old_goal", lang, goal=goal, year=year)))
    body.append(core.text(pick(TEXTS, "logged", lang), size="Small", subtle=True))
    return core.card(body)
