"""'rapportera': a guided report in five steps — activity → status → % → comment → confirm.

Each answer may be typed or given by a button (an imBack: the button writes the answer in the chat).
"avbryt" works at every step (``dialogs/host.py``). The activity's version is remembered when it is
picked and the save is the same versioned update as everywhere else, so a change someone made while
the user was answering is never overwritten: the user gets "ändrad av … kl. …" and the fresh state.
State lives in the SQL store: a restart between two answers loses nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import Dialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from bot.handlers import plan_common as common
from cards import plans as cards
from cards.texts import t
from dialogs.host import say, tavla_turn
from followup.activities import (EJ_PABORJAD, IDE, KLAR, PAGAR, PAUSAD, State, label, next_state, parse_progress,
                                 parse_status)
from followup.errors import UserError
from storage import plans

DIALOG_ID = "report_progress"
PICK, STATUS, PROGRESS, COMMENT, CONFIRM = (f"{DIALOG_ID}.{n}" for n in ("pick", "status", "progress", "comment",
                                                                            "confirm"))
MAX_CHOICES = 8
SAME = "__same__"
PERCENT = "__percent__"  # the status prompt's answer when a % was written instead: "__percent__50"
NO_WORDS = frozenset({"nej", "no", "ingen", "ingen kommentar", "no comment", "-", "inget", "nej tack"})
YES_WORDS = frozenset({"ja", "yes", "ja, spara", "spara", "ok", "okej", "japp", "yes, save", "save"})
SAME_WORDS = frozenset({"samma", "same", "oförändrat", "oforandrat", "som förut", "som forut"})


def _card(card: dict[str, Any]) -> Any:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def _answer(ctx: Any) -> str:
    """The user's answer, cleaned (mention stripped) — from the Tavla turn, not the raw activity."""
    return tavla_turn(ctx).text.strip()


def _pct(value: int, lang: str) -> str:
    """"70 %" (Swedish writes a space before %), "70%" in English."""
    return f"{value} %" if lang == "sv" else f"{value}%"


def _folded(text: str) -> str:
    return text.strip().lower().rstrip(".!")


# --- Validators (the answer must be usable; otherwise the step asks again) ------------------


_NUMBER = re.compile(r"(?:nr\.?|no\.?|nummer|number|#)?\s*(\d{1,9})", re.IGNORECASE)


async def _pick_ok(prompt: PromptValidatorContext) -> bool:
    """The activity's own number ("12", "nr 12" — the one every listing shows and "aktivitet 12" names; the list
    has no numbers of its own, so there is one number per activity) or its name."""
    options: list[dict[str, Any]] = prompt.options.validations or []
    text = _answer(prompt.context)
    number = _NUMBER.fullmatch(text.strip())
    if number:
        chosen = next((o for o in options if o["id"] == int(number.group(1))), None)
        if chosen is None:
            return False
        prompt.recognized.value = str(chosen["id"])
        return True
    views = [(option["id"], option["title"]) for option in options]
    scored = sorted(((common.score(text, title), i) for i, title in views), reverse=True)
    if scored and scored[0][0] >= common.MATCH_CUTOFF and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 5):
        prompt.recognized.value = str(scored[0][1])
        return True
    return False


NOT_FINISHABLE = {"may_finish": False}  # the status prompt's validations: "klar" is not the caller's to set


async def _status_ok(prompt: PromptValidatorContext) -> bool:
    text = _answer(prompt.context)
    if _folded(text) in SAME_WORDS:
        prompt.recognized.value = SAME
        return True
    status = parse_status(text)
    if status is None:  # "50" or "50 %" at the status question: how far it has come (Pågår, 0 % Ej påbörjad,
        try:           # 100 % Klar), the % question skipped
            progress = parse_progress(text)
        except UserError:
            return False
        if progress == 100 and prompt.options.validations == NOT_FINISHABLE:
            return False
        prompt.recognized.value = f"{PERCENT}{progress}"
        return True
    if status == KLAR and prompt.options.validations == NOT_FINISHABLE:
        return False
    prompt.recognized.value = status
    return True


async def _progress_ok(prompt: PromptValidatorContext) -> bool:
    text = _answer(prompt.context)
    if _folded(text) in SAME_WORDS:
        prompt.recognized.value = SAME
        return True
    try:
        prompt.recognized.value = str(parse_progress(text))
    except UserError:
        return False
    return True


def _status_for(progress: int, current: str) -> str:
    """The status a % written at the status question means: 100 Klar, 0 Ej påbörjad, else Pågår (a Pausad one
    stays Pausad: its % moved, it was not resumed)."""
    if progress in (0, 100):
        return KLAR if progress == 100 else EJ_PABORJAD
    return current if current == PAUSAD else PAGAR


async def _comment_ok(prompt: PromptValidatorContext) -> bool:
    text = _answer(prompt.context)
    if not text or len(text) > cards.COMMENT_LIMIT:
        return False
    prompt.recognized.value = text
    return True


async def _confirm_ok(prompt: PromptValidatorContext) -> bool:
    return _folded(_answer(prompt.context)) in YES_WORDS


# --- Steps ----------------------------------------------------------------------------------


async def _candidates(step: WaterfallStepContext) -> list[dict[str, Any]]:
    """The caller's open activities first (försenade first), then their units' open ones."""
    turn = tavla_turn(step.context)
    person_id = common.require_known(turn)
    year = turn.clock.today().year
    async with turn.store.read_session() as session:
        own = [v for v in await plans.list_activities(session, year=year, owner_id=person_id) if v.status != KLAR]
        units = [u.id for u in await common.my_units(session, turn)]
        # The unit's open activities too (not its ideas: those are prioritised by the chef at the tavelmöte).
        others = [v for v in await plans.list_activities(session, year=year, unit_ids=units)
                  if v.status not in (KLAR, IDE) and v.owner_id != person_id] if units and len(own) < MAX_CHOICES else []

        def order(views: list[Any]) -> list[cards.Item]:
            return sorted((common.item(v, turn) for v in views),
                          key=lambda i: (-i.overdue_days, i.deadline or date.max))

        items = (order(own) + order(others))[:MAX_CHOICES]
        # who may mark each one klar (its owner, or a chef over its unit): the others are not offered "Klar"
        actor = common.actor(turn)
        owned = {v.id for v in own}
        leads = {u: actor.can_lead(await plans.unit_path(session, u)) for u in {i.unit_id for i in items}}
    return [{"id": i.id, "version": i.version, "title": i.title, "status": i.status, "progress": i.progress,
             "overdue": i.overdue_days, "unit": i.unit_name, "owner": i.owner_name,
             "may_finish": i.id in owned or leads[i.unit_id], "own": i.id in owned} for i in items]


def _items(options: list[dict[str, Any]]) -> list[cards.Item]:
    return [cards.Item(id=o["id"], version=o["version"], title=o["title"], unit_id=0, unit_name=o["unit"],
                       owner_name=o["owner"], deadline=None, status=o["status"], progress=o["progress"],
                       overdue_days=o["overdue"]) for o in options]


async def pick_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    chosen = (step.options or {}).get("chosen") if isinstance(step.options, dict) else None
    if chosen:  # restarted after a contradiction: keep the activity, ask the status again
        step.values["chosen"] = chosen
        return await step.next("1")
    options = await _candidates(step)
    if not options:
        await say(step.context, text=cards.prompt_text("d_none", turn.lang, year=turn.clock.today().year))
        return await step.end_dialog()
    step.values["options"] = options
    lang = turn.lang
    others = frozenset(o["id"] for o in options if not o.get("own", True))
    lines = cards.pick_lines(_items(options), lang, others)
    answers = [(f"{cards.number_label(o['id'], lang)} {o['title']}"[:60], str(o["id"])) for o in options[:5]]
    example = str(options[0]["id"])
    asked = cards.prompt_text("d_pick", lang, example=example)
    if others:
        asked += " " + cards.prompt_text("d_pick_others" if len(others) < len(options) else "d_pick_unit", lang)
    prompt = cards.prompt_card(asked, lines=lines, answers=answers, lang=lang)
    retry = cards.prompt_card(cards.prompt_text("d_retry_pick", lang, example=example), lines=lines, answers=answers,
                              lang=lang)
    return await step.prompt(PICK, PromptOptions(prompt=_card(prompt), retry_prompt=_card(retry), validations=options))


async def status_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    if "chosen" not in step.values:
        step.values["chosen"] = next(o for o in step.values["options"] if str(o["id"]) == str(step.result))
    chosen = step.values["chosen"]
    lang = turn.lang
    now = label(chosen["status"], lang) + (f", {_pct(chosen['progress'], lang)}" if chosen["status"] not in (IDE, EJ_PABORJAD, KLAR) else "")
    answers = cards.status_answers(lang) + [(cards.prompt_text("d_same", lang), "samma" if lang == "sv" else "same")]
    question = cards.prompt_text("d_status", lang, title=chosen["title"], status=now)
    retry_text = cards.prompt_text("d_retry_status", lang)
    finishable = chosen.get("may_finish", True)
    if not finishable:  # refused only at the end before, after four answers
        answers = [a for a in answers if a[1] != label(KLAR, lang)]
        note = cards.prompt_text("d_not_yours", lang, unit=chosen["unit"])
        question, retry_text = f"{question} {note}", f"{retry_text} {note}"
    prompt = cards.prompt_card(question, answers=answers, lang=lang)
    retry = cards.prompt_card(retry_text, answers=answers, lang=lang)
    return await step.prompt(STATUS, PromptOptions(prompt=_card(prompt), retry_prompt=_card(retry),
                                                   validations=None if finishable else NOT_FINISHABLE))


async def progress_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    chosen = step.values["chosen"]
    if isinstance(step.result, str) and step.result.startswith(PERCENT):  # a % given for the status
        progress = int(step.result[len(PERCENT):])
        status = _status_for(progress, chosen["status"])
        step.values["status"] = None if status == chosen["status"] else status
        return await step.next(None if progress == chosen["progress"] else str(progress))
    status = None if step.result == SAME else step.result
    step.values["status"] = status
    effective = status or chosen["status"]
    if status in (KLAR, IDE, EJ_PABORJAD):  # these settle the percentage (Klar = 100 %, the others 0 %)
        return await step.next(SAME)
    lang = turn.lang
    answers = [(cards.prompt_text("d_same", lang), "samma" if lang == "sv" else "same")] + [
        (_pct(p, lang), str(p)) for p in (25, 50, 75) if effective != KLAR]
    question = cards.prompt_text("d_progress", lang, progress=_pct(chosen["progress"], lang))
    prompt = cards.prompt_card(question, answers=answers, lang=lang)
    retry = cards.prompt_card(cards.prompt_text("d_retry_progress", lang), answers=answers, lang=lang)
    return await step.prompt(PROGRESS, PromptOptions(prompt=_card(prompt), retry_prompt=_card(retry)))


async def _contradiction(step: WaterfallStepContext, lang: str) -> DialogTurnResult | None:
    """When status and % contradict each other ("Pågår" and 100 %): say why, ask the status again."""
    chosen = step.values["chosen"]
    try:
        next_state(State(chosen["status"], chosen["progress"]), step.values["status"], step.values["progress"])
    except UserError as exc:
        await say(step.context, text=exc.text(lang))
        return await step.replace_dialog(DIALOG_ID, {"chosen": chosen})
    return None


async def comment_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    step.values["progress"] = None if step.result in (SAME, None) else int(step.result)
    lang = turn.lang
    restarted = await _contradiction(step, lang)
    if restarted is not None:
        return restarted
    answers = [(cards.prompt_text("d_skip", lang), "nej" if lang == "sv" else "no")]
    prompt = cards.prompt_card(cards.prompt_text("d_comment", lang), answers=answers, note=t("sensitive", lang),
                               lang=lang)
    return await step.prompt(COMMENT, PromptOptions(prompt=_card(prompt), retry_prompt=_card(prompt)))


async def confirm_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    text = str(step.result or "").strip()
    step.values["comment"] = None if _folded(text) in NO_WORDS else text
    chosen, lang = step.values["chosen"], turn.lang
    new = next_state(State(chosen["status"], chosen["progress"]), step.values["status"], step.values["progress"])
    parts = [f"{label(chosen['status'], lang)} → {label(new.status, lang)}" if new.status != chosen["status"]
             else label(new.status, lang),
             f"{_pct(chosen['progress'], lang)} → {_pct(new.progress, lang)}" if new.progress != chosen["progress"]
             else _pct(new.progress, lang)]
    lines = [("", chosen["title"]), ("", ", ".join(parts))]
    if step.values["comment"]:
        lines.append((cards.prompt_text("comment", lang) + ": ", step.values["comment"]))
    answers = [(cards.prompt_text("d_yes", lang), "ja" if lang == "sv" else "yes")]
    prompt = cards.prompt_card(cards.prompt_text("d_confirm", lang), lines=lines, answers=answers, lang=lang)
    retry = cards.prompt_card(cards.prompt_text("d_retry_confirm", lang), lines=lines, answers=answers, lang=lang)
    return await step.prompt(CONFIRM, PromptOptions(prompt=_card(prompt), retry_prompt=_card(retry)))


async def save_step(step: WaterfallStepContext) -> DialogTurnResult:
    turn = tavla_turn(step.context)
    chosen = step.values["chosen"]
    change = cards.Change(status=step.values["status"], progress=step.values["progress"],
                          comment=step.values["comment"])
    async with turn.store.write_session() as session:
        applied = await common.apply_change(session, turn, chosen["id"], chosen["version"], change, via="dialog")
    await say(step.context, card=common.confirmation(turn, applied))
    return await step.end_dialog(applied.outcome.applied)


def _free_text(prompt: TextPrompt) -> TextPrompt:
    """Mark a prompt whose answer is free text: only an exact command interrupts it (``dialogs/host.py``)."""
    prompt.free_text = True  # type: ignore[attr-defined]
    return prompt


def build() -> list[Dialog]:
    """The waterfall and its prompts, to add to the host's ``DialogSet``."""
    return [
        WaterfallDialog(DIALOG_ID, [pick_step, status_step, progress_step, comment_step, confirm_step, save_step]),
        TextPrompt(PICK, _pick_ok),
        TextPrompt(STATUS, _status_ok),
        TextPrompt(PROGRESS, _progress_ok),
        _free_text(TextPrompt(COMMENT, _comment_ok)),
        TextPrompt(CONFIRM, _confirm_ok),
    ]
