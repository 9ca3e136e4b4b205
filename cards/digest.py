"""Cards of the weekly digest: the digest itself, its quiet line, the subscription card, the reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cards import core
from cards.common import as_of_line, ask_button, demo_badge
from cards.format import clock, day, day_span, month_name, number, percent, short_day
from cards.texts import pick
from followup.digest import (
    ActivityLine,
    BudgetDeviation,
    CalendarLine,
    Change,
    DigestContent,
    IndicatorLine,
    Section,
    UpdateLine,
)
from followup.indicators import period_from_code
from followup.schedule import weekday_name

VERB_SETTINGS = "digest_settings"
VERB_SUBSCRIBE = "digest_subscribe"
VERB_CHANGE = "digest_change"
VERB_PAUSE = "digest_pause"
VERB_RESUME = "digest_resume"
VERB_STOP = "digest_stop"
VERB_PREVIEW = "digest_preview"

TEXTS: dict[str, dict[str, str]] = {
    "title": {"sv": "Veckosammanfattning v. {week} – {scope}", "en": "Weekly digest week {week} – {scope}"},
    "period": {"sv": "Det som hänt {span} jämfört med veckan innan.",
               "en": "What happened {span} compared with the week before."},
    "quiet": {"sv": "Veckosammanfattning v. {week} – {scope}: inget nytt sedan förra veckan.",
              "en": "Weekly digest week {week} – {scope}: nothing new since last week."},
    "quiet_still": {"sv": " Fortfarande: {items}.", "en": " Still: {items}."},
    "still_overdue": {"sv": "{n} försenade aktiviteter", "en": "{n} overdue activities"},
    "still_indicators_off": {"sv": "{n} indikatorer under målnivå", "en": "{n} indicators below target"},
    "still_budget": {"sv": "{n} budgetområden avviker", "en": "{n} budget areas deviate"},
    "updates": {"sv": "Uppdaterade aktiviteter ({n})", "en": "Updated activities ({n})"},
    "completed": {"sv": "Klara den här veckan ({n})", "en": "Completed this week ({n})"},
    "overdue": {"sv": "Försenade ({n}, varav {new} {nya})", "en": "Overdue ({n}, {new} new)"},
    "due_soon": {"sv": "Ska vara klara inom 7 dagar ({n})", "en": "Due within 7 days ({n})"},
    "new_ideas": {"sv": "Nya idéer ({n})", "en": "New ideas ({n})"},
    "indicators_changed": {"sv": "Indikatorer med ändrad status ({n})", "en": "Indicators whose status changed ({n})"},
    "indicators_off": {"sv": "Indikatorer under målnivå ({n})", "en": "Indicators off target ({n})"},
    "budget": {"sv": "Budget: förbrukning avviker från periodiserad budget ({n})",
               "en": "Budget: spending deviates from the periodised budget ({n})"},
    "calendar": {"sv": "Kommande i årshjulet", "en": "Coming up in the annual cycle"},
    "more": {"sv": "… och {n} till", "en": "… and {n} more"},
    "unavailable": {"sv": "Finns inte med än: {items}.", "en": "Not included yet: {items}."},
    "section_activities": {"sv": "handlingsplaner", "en": "action plans"},
    "section_indicators": {"sv": "indikatorer", "en": "indicators"},
    "section_budget": {"sv": "budget", "en": "budget"},
    "section_calendar": {"sv": "årshjulet", "en": "annual cycle"},
    "by": {"sv": " – {who}", "en": " – {who}"},
    "late": {"sv": " – {days} dagar sen (slutdatum {deadline})", "en": " – {days} days late (due {deadline})"},
    "due": {"sv": " – slutdatum {deadline}", "en": " – due {deadline}"},
    "owner": {"sv": ", ansvarig {owner}", "en": ", owner {owner}"},
    "no_owner": {"sv": ", ingen ansvarig", "en": ", no owner"},
    "indicator_change": {"sv": ": {before} → {now}", "en": ": {before} → {now}"},
    "indicator_first": {"sv": ": {now}", "en": ": {now}"},
    "indicator_value": {"sv": " – {value}, målnivå {target}", "en": " – {value}, target {target}"},
    "budget_line": {"sv": "{verksamhet} ({area}): förbrukat {used} mot periodiserat {periodised} ({dev} procentenheter{month})",
                    "en": "{verksamhet} ({area}): used {used} against periodised {periodised} ({dev} percentage points{month})"},
    "through_month": {"sv": ", t.o.m. {month}", "en": ", through {month}"},
    "fresh": {"sv": " – nytt utfall", "en": " – new figures"},
    "calendar_day": {"sv": "{date}: ", "en": "{date}: "},
    "calendar_month": {"sv": "under {month}: ", "en": "during {month}: "},
    "settings_button": {"sv": "Inställningar", "en": "Settings"},
    # subscription card
    "sub_title": {"sv": "Veckosammanfattning – {scope}", "en": "Weekly digest – {scope}"},
    "state": {"sv": "Läge", "en": "State"},
    "active": {"sv": "Aktiv", "en": "Active"},
    "paused_user": {"sv": "Pausad", "en": "Paused"},
    "paused_user_by": {"sv": "Pausad av {name}", "en": "Paused by {name}"},
    "paused_delivery": {"sv": "Pausad: Tavla kunde inte skicka hit ({reason})",
                        "en": "Paused: Tavla could not post here ({reason})"},
    "stopped": {"sv": "Stoppad", "en": "Stopped"},
    "when": {"sv": "När", "en": "When"},
    "when_value": {"sv": "{weekday}ar {time}", "en": "{weekday}s at {time}"},
    "next": {"sv": "Nästa", "en": "Next"},
    "next_value": {"sv": "{weekday} {date} {time}", "en": "{weekday} {date} {time}"},
    "quiet_mode": {"sv": "Veckor utan nyheter", "en": "Weeks without news"},
    "quiet_line": {"sv": "En kort rad", "en": "One short line"},
    "quiet_nothing": {"sv": "Inget meddelande", "en": "No message"},
    "meeting": {"sv": "Tavelmöte", "en": "Board meeting"},
    "meeting_value": {"sv": "{weekday}ar", "en": "{weekday}s"},
    "meeting_unset": {"sv": "{weekday}ar (samma dag som sammanfattningen – chefen kan ändra med ”tavelmöte på torsdagar”)",
                      "en": "{weekday}s (the digest's day – the manager can change it with “tavelmöte på torsdagar”)"},
    "weekday": {"sv": "Veckodag", "en": "Weekday"},
    "time": {"sv": "Klockslag (tt:mm)", "en": "Time (hh:mm)"},
    "save": {"sv": "Spara", "en": "Save"},
    "pause": {"sv": "Pausa", "en": "Pause"},
    "resume": {"sv": "Återuppta", "en": "Resume"},
    "stop": {"sv": "Stoppa", "en": "Stop"},
    "preview": {"sv": "Förhandsvisa", "en": "Preview"},
    "none_here": {"sv": "Ingen veckosammanfattning här än", "en": "No weekly digest here yet"},
    "offer": {"sv": "Varje vecka ({when}) skickar Tavla en kort sammanfattning hit: uppdaterade, klara och försenade "
                    "aktiviteter, indikatorer, budgetavvikelser och årshjulet.",
              "en": "Every week ({when}) Tavla posts a short summary here: updated, completed and overdue activities, "
                    "indicators, budget deviations and the annual cycle."},
    "offer_when": {"sv": "förvalt måndag kl. {time}, före veckans tavelmöten",
                   "en": "by default Monday {time}, before the week's board meetings"},
    "offer_meeting": {"sv": "förvalt {day} kl. {time}, samma morgon som tavelmötet i {unit}",
                      "en": "by default {day} {time}, the morning of the board meeting of {unit}"},
    "scope": {"sv": "Sammanfattningen gäller", "en": "The digest covers"},
    "subscribe": {"sv": "Prenumerera", "en": "Subscribe"},
    "whole": {"sv": "Hela förvaltningen", "en": "The whole organisation"},
    # what a command just did
    "note_subscribed": {"sv": "Klart! Veckosammanfattningen för {scope} kommer hit {weekday}ar {time}.",
                        "en": "Done! The weekly digest for {scope} will be posted here on {weekday}s at {time}."},
    "note_already": {"sv": "Den här konversationen får redan veckosammanfattningen för {scope}.",
                     "en": "This conversation already gets the weekly digest for {scope}."},
    "note_changed": {"sv": "Ändrat: {weekday}ar {time}.", "en": "Changed: {weekday}s at {time}."},
    "note_paused": {"sv": "Pausad. Skriv ”återuppta veckosammanfattning” eller tryck Återuppta när ni vill ha den igen.",
                    "en": "Paused. Write “återuppta veckosammanfattning” or press Resume to get it again."},
    "note_resumed": {"sv": "Veckosammanfattningen är igång igen.", "en": "The weekly digest is running again."},
    "note_stopped": {"sv": "Veckosammanfattningen för {scope} är stoppad. Inget mer skickas hit.",
                     "en": "The weekly digest for {scope} is stopped. Nothing more will be posted here."},
    "meeting_next": {"sv": "{unit} har tavelmöte på {weekday}ar – nästa är {when}.",
                     "en": "{unit} holds its board meeting on {weekday}s – the next is {when}."},
    "meeting_today": {"sv": "i dag", "en": "today"},
    "meeting_unknown": {"sv": "{unit} har ingen tavelmötesdag än. Chefen sätter den med ”tavelmöte på torsdagar”.",
                        "en": "{unit} has no board meeting day yet. Its manager sets it with “tavelmöte på torsdagar”."},
    "meeting_unknown_yours": {"sv": "{unit} har ingen tavelmötesdag än. Du sätter den med ”tavelmöte på torsdagar”.",
                              "en": "{unit} has no board meeting day yet. You set it with “tavelmöte på torsdagar”."},
    "meeting_last": {"sv": "Förra tavelmötet var {when}.", "en": "The last board meeting was on {when}."},
    "meeting_daily": {"sv": "Tavla håller reda på en tavelmötesdag i veckan (påminnelsen går ut arbetsdagen före). Har "
                            "ni tavelmöte varje dag, välj den dag då veckans påminnelse passar bäst, t.ex. ”tavelmöte "
                            "på måndagar”.",
                      "en": "Tavla keeps one board meeting day a week (the reminder goes out the working day before). If "
                            "you meet every day, choose the day the week's reminder suits best, e.g. “tavelmöte på "
                            "måndagar”."},
    "meeting_time_not_kept": {"sv": "Klockslaget ({time}) sparas inte: Tavla håller reda på veckodagen, för "
                                    "påminnelsen och veckosammanfattningen.",
                              "en": "The time ({time}) is not kept: Tavla keeps the weekday, for the reminder and the "
                                    "weekly digest."},
    "meeting_set": {"sv": "{unit} har tavelmöte på {weekday}ar. Påminnelser går ut arbetsdagen före ({reminder}).",
                    "en": "{unit} holds its board meeting on {weekday}s. Reminders go out the working day before ({reminder})."},
    "reminders_off": {"sv": "Du får inga fler påminnelser inför tavelmöten. Skriv ”påminnelser igen” om du ångrar dig.",
                      "en": "You will get no more reminders before board meetings. Write “påminnelser igen” to undo."},
    "reminders_on": {"sv": "Du får påminnelser igen dagen före tavelmötet, när något av dina aktiviteter behöver uppdateras.",
                     "en": "You will get reminders again the day before the board meeting when one of your activities needs an update."},
    "preview_note": {"sv": "Förhandsvisning – så här ser veckans sammanfattning ut just nu.",
                     "en": "Preview – this is what this week's digest looks like right now."},
    # reminder
    "rem_title": {"sv": "Inför tavelmötet {weekday} {date} – {unit}", "en": "Before the board meeting {weekday} {date} – {unit}"},
    "rem_intro": {"sv": "De här aktiviteterna är försenade eller ska vara klara den här veckan, och ingen har uppdaterat dem på {days} dagar:",
                  "en": "These activities are overdue or due this week, and nobody has updated them for {days} days:"},
    "rem_status": {"sv": "{status}, {progress}", "en": "{status}, {progress}"},
    "rem_opt_out": {"sv": "Vill du inte ha påminnelser? Skriv ”inga påminnelser”.",
                    "en": "Don't want reminders? Write “inga påminnelser”."},
    "rem_opt_out_button": {"sv": "Inga påminnelser", "en": "No reminders"},
    "rem_mine": {"sv": "Mina aktiviteter", "en": "My activities"},
    "rem_update": {"sv": "Spara", "en": "Save"},
    "rem_status_label": {"sv": "Status", "en": "Status"},
    "rem_progress_label": {"sv": "Klart (%)", "en": "Progress (%)"},
    "rem_comment_label": {"sv": "Kommentar (valfri)", "en": "Comment (optional)"},
}

STATUS_WORDS = {
    "ide": {"sv": "idé", "en": "idea"},
    "ej_paborjad": {"sv": "ej påbörjad", "en": "not started"},
    "pagar": {"sv": "pågår", "en": "in progress"},
    "klar": {"sv": "klar", "en": "done"},
    "pausad": {"sv": "pausad", "en": "paused"},
}
FIELD_WORDS = {
    "status": {"sv": "status", "en": "status"},
    "progress": {"sv": "klart", "en": "progress"},
    "deadline": {"sv": "slutdatum", "en": "due"},
    "title": {"sv": "nytt namn", "en": "renamed"},
    "owner": {"sv": "ny ansvarig", "en": "new owner"},
    "created": {"sv": "ny aktivitet", "en": "new activity"},
}


def status_word(status: Any, lang: str) -> str:
    entry = STATUS_WORDS.get(str(status))
    return entry.get(lang, entry["sv"]) if entry else str(status)


def run(value: str, *, bold: bool = False, subtle: bool = False, user: bool = False) -> core.Element:
    """A TextRun: never parsed as markdown, so user text is shown as written."""
    element: core.Element = {"type": "TextRun", "text": core.bounded(value, 300) if user else value}
    if bold:
        element["weight"] = "Bolder"
    if subtle:
        element["isSubtle"] = True
    return element


def rich(*runs: core.Element, spacing: str | None = "Small") -> core.Element:
    element: core.Element = {"type": "RichTextBlock", "inlines": list(runs)}
    if spacing:
        element["spacing"] = spacing
    return element


def _date(value: Any, lang: str) -> str:
    if isinstance(value, date):
        return short_day(value, lang)
    if isinstance(value, str):
        try:
            return short_day(date.fromisoformat(value[:10]), lang)
        except ValueError:
            return value
    return "–" if value is None else str(value)


def describe_change(change: Change, lang: str) -> str:
    name = pick(FIELD_WORDS, change.field, lang)
    if change.field == "status":
        return f"{name} {status_word(change.old, lang)} → {status_word(change.new, lang)}"
    if change.field == "progress":
        return f"{name} {_progress(change.old, lang)} → {_progress(change.new, lang)}"
    if change.field == "deadline":
        return f"{name} {_date(change.old, lang)} → {_date(change.new, lang)}"
    return name


def _progress(value: Any, lang: str) -> str:
    try:
        return percent(Decimal(str(value)), 0, lang)
    except Exception:  # noqa: BLE001 - a value from the log that is not a number is shown as it is
        return str(value)


def _update_line(line: UpdateLine, lang: str) -> core.Element:
    runs = [run(line.title, bold=True, user=True)]
    if line.who:
        runs.append(run(pick(TEXTS, "by", lang, who=", ".join(line.who)), subtle=True))
    if line.changes:
        runs.append(run(": " + ", ".join(describe_change(c, lang) for c in line.changes)))
    if line.comment:
        runs.append(run(" – ”"))
        runs.append(run(line.comment, user=True))
        runs.append(run("”"))
    return rich(*runs)


def _activity_line(line: ActivityLine, lang: str, *, late: bool = False) -> core.Element:
    runs = [run(line.title, bold=True, user=True)]
    if line.deadline is not None:
        key = "late" if late and line.days_late else "due"
        runs.append(run(pick(TEXTS, key, lang, days=line.days_late, deadline=short_day(line.deadline, lang))))
    if line.owner:
        runs.append(run(pick(TEXTS, "owner", lang, owner="")))
        runs.append(run(line.owner, user=True))
    else:
        runs.append(run(pick(TEXTS, "no_owner", lang), subtle=True))
    return rich(*runs)


def indicator_status(code: str | None, lang: str) -> str:
    """A status in words (never colour alone): the indicator cards' own wording."""
    if code is None:
        return "–"
    try:
        from cards.indicators import TEXTS as INDICATOR_TEXTS

        return pick(INDICATOR_TEXTS, f"status_{code}", lang)
    except (ImportError, KeyError):
        return code


def _indicator_figures(line: IndicatorLine, lang: str) -> str | None:
    if line.value is None:
        return None
    from cards.indicators import fmt_value, target_text
    from followup.indicators import Target

    value = fmt_value(line.value, line.unit, line.decimals, lang)
    if line.target_low is None and line.target_high is None:
        return value
    target = target_text(Target(0, line.target_low, line.target_high), line.direction, line.unit, line.decimals, lang)
    return pick(TEXTS, "indicator_value", lang, value=value, target=target)


def _indicator_line(line: IndicatorLine, lang: str, *, changed: bool) -> core.Element:
    runs = [run(line.name, bold=True)]
    now = indicator_status(line.status, lang)
    if changed and line.before:
        runs.append(run(pick(TEXTS, "indicator_change", lang, before=indicator_status(line.before, lang), now=now)))
    else:
        runs.append(run(pick(TEXTS, "indicator_first", lang, now=now)))
    figures = _indicator_figures(line, lang)
    if figures:
        runs.append(run(figures, subtle=True))
    if line.period:  # the stored code ("2018-04") as the cards write a period ("april 2018")
        runs.append(run(f" ({_period_label(line.period, lang)})", subtle=True))
    return rich(*runs)


def _period_label(code: str, lang: str) -> str:
    try:
        return period_from_code(code).label(lang)
    except ValueError:
        return code


def _budget_line(line: BudgetDeviation, lang: str) -> core.Element:
    dev = number(line.deviation_pp, 1, lang)
    if line.deviation_pp > 0:
        dev = "+" + dev
    month = pick(TEXTS, "through_month", lang, month=month_name(line.through_month, lang)) if line.through_month else ""
    text = pick(TEXTS, "budget_line", lang, verksamhet=line.verksamhet, area=line.area_name,
                used=percent(line.used_pct, 1, lang), periodised=percent(line.periodised_pct, 1, lang), dev=dev,
                month=month)
    runs = [run(text)]
    if line.fresh:
        runs.append(run(pick(TEXTS, "fresh", lang), subtle=True))
    return rich(*runs)


def _calendar_line(line: CalendarLine, lang: str) -> core.Element:
    if line.on is not None:
        lead = pick(TEXTS, "calendar_day", lang, date=short_day(line.on, lang))
    else:
        lead = pick(TEXTS, "calendar_month", lang, month=month_name(line.month, lang))
    return rich(run(lead, bold=True), run(line.title))


def _section(body: list[core.Element], title: str, section: Section, render: Any, lang: str) -> None:
    if not section:
        return
    body.append(core.text(title, weight="Bolder", spacing="Medium"))
    body.extend(render(line) for line in section.lines)
    if section.more:
        body.append(core.text(pick(TEXTS, "more", lang, n=section.more), subtle=True, spacing="None"))


def quiet_text(content: DigestContent, lang: str) -> str:
    """The single short line of a week with nothing new."""
    text = pick(TEXTS, "quiet", lang, week=content.iso_week, scope=content.scope_name)
    items = [pick(TEXTS, f"still_{key}", lang, n=n) for key, n in content.still.items()]
    if items:
        text += pick(TEXTS, "quiet_still", lang, items=", ".join(items))
    return text


def digest_card(content: DigestContent, lang: str, *, subscription_id: int | None = None,
                pinned: bool = False) -> core.Element:
    """The weekly digest for one scope (an Adaptive Card 1.5)."""
    start = content.today - timedelta(days=7)
    body: list[core.Element] = [
        core.heading(pick(TEXTS, "title", lang, week=content.iso_week, scope=content.scope_name)),
        core.text(pick(TEXTS, "period", lang, span=day_span(start, content.today, lang)),
                  subtle=True, spacing="None"),
    ]
    if content.is_demo:
        body.append(demo_badge(lang))
    _section(body, pick(TEXTS, "updates", lang, n=content.updates.total), content.updates,
             lambda line: _update_line(line, lang), lang)
    _section(body, pick(TEXTS, "completed", lang, n=content.completed.total), content.completed,
             lambda line: _activity_line(line, lang), lang)
    _section(body, pick(TEXTS, "overdue", lang, n=content.overdue.total, new=content.newly_overdue,
                        nya="ny" if content.newly_overdue == 1 else "nya"), content.overdue,
             lambda line: _activity_line(line, lang, late=True), lang)
    _section(body, pick(TEXTS, "due_soon", lang, n=content.due_soon.total), content.due_soon,
             lambda line: _activity_line(line, lang), lang)
    _section(body, pick(TEXTS, "new_ideas", lang, n=content.new_ideas.total), content.new_ideas,
             lambda line: _activity_line(line, lang), lang)
    _section(body, pick(TEXTS, "indicators_changed", lang, n=content.indicators_changed.total),
             content.indicators_changed, lambda line: _indicator_line(line, lang, changed=True), lang)
    _section(body, pick(TEXTS, "indicators_off", lang, n=content.indicators_off.total), content.indicators_off,
             lambda line: _indicator_line(line, lang, changed=False), lang)
    _section(body, pick(TEXTS, "budget", lang, n=content.budget.total), content.budget,
             lambda line: _budget_line(line, lang), lang)
    _section(body, pick(TEXTS, "calendar", lang), content.calendar, lambda line: _calendar_line(line, lang), lang)
    if content.quiet:
        body.append(core.text(quiet_text(content, lang), spacing="Medium"))
    if content.unavailable:
        items = ", ".join(pick(TEXTS, f"section_{name}", lang) for name in content.unavailable)
        body.append(core.text(pick(TEXTS, "unavailable", lang, items=items), size="Small", subtle=True,
                              spacing="Medium"))
    body.append(as_of_line(content.today, pinned, lang))
    actions = []
    if subscription_id is not None:
        actions.append(core.execute(pick(TEXTS, "settings_button", lang), VERB_SETTINGS,
                                    {"subscription_id": subscription_id}))
    return core.card(body, actions or None,
                     fallback_text=pick(TEXTS, "title", lang, week=content.iso_week, scope=content.scope_name))


# --- subscription card ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    scope_name: str
    weekday: int
    send_time: str
    active: bool
    paused_reason: str | None
    quiet_weeks: str
    next_due: datetime | None
    meeting_weekday: int | None  # the enhet's own tavelmöte day (None: not set or not an enhet)
    scope_is_enhet: bool


def _state_text(view: SubscriptionView, lang: str) -> str:
    if view.active:
        return pick(TEXTS, "active", lang)
    reason = view.paused_reason or ""
    if reason == "stopped":
        return pick(TEXTS, "stopped", lang)
    if reason.startswith("delivery:"):
        return pick(TEXTS, "paused_delivery", lang, reason=reason.split(":", 1)[1].strip())
    if reason.startswith("paused:") and reason.split(":", 1)[1].strip():
        return pick(TEXTS, "paused_user_by", lang, name=reason.split(":", 1)[1].strip())
    return pick(TEXTS, "paused_user", lang)


def weekday_choices(lang: str) -> list[tuple[str, str]]:
    return [(weekday_name(i, lang).capitalize(), str(i)) for i in range(7)]


def subscription_card(view: SubscriptionView, lang: str, *, note: str | None = None) -> core.Element:
    """One subscription: state, schedule, next send, and a small form to change it (``note``: what just
    happened, on top)."""
    facts = [
        (pick(TEXTS, "state", lang), _state_text(view, lang)),
        (pick(TEXTS, "when", lang), pick(TEXTS, "when_value", lang, weekday=weekday_name(view.weekday, lang).capitalize(),
                                         time=clock_text(view.send_time, lang))),
    ]
    if view.active and view.next_due is not None:
        facts.append((pick(TEXTS, "next", lang), pick(TEXTS, "next_value", lang,
                                                     weekday=weekday_name(view.next_due.weekday(), lang),
                                                     date=day(view.next_due, lang), time=clock(view.next_due, lang))))
    if view.scope_is_enhet:
        if view.meeting_weekday is not None:
            meeting = pick(TEXTS, "meeting_value", lang, weekday=weekday_name(view.meeting_weekday, lang).capitalize())
        else:
            meeting = pick(TEXTS, "meeting_unset", lang, weekday=weekday_name(view.weekday, lang).capitalize())
        facts.append((pick(TEXTS, "meeting", lang), meeting))
    facts.append((pick(TEXTS, "quiet_mode", lang), pick(TEXTS, f"quiet_{view.quiet_weeks}", lang)))
    body = [core.heading(pick(TEXTS, "sub_title", lang, scope=view.scope_name))]
    if note:
        body.append(core.container([core.text(note, weight="Bolder")], style="good"))
    body.append(core.facts(facts))
    if not (view.paused_reason == "stopped" and not view.active):
        body += [
            core.choice_input("weekday", pick(TEXTS, "weekday", lang), weekday_choices(lang), value=str(view.weekday)),
            core.text_input("send_time", pick(TEXTS, "time", lang), value=view.send_time, max_length=5),
            core.choice_input("quiet_weeks", pick(TEXTS, "quiet_mode", lang),
                              [(pick(TEXTS, "quiet_line", lang), "line"), (pick(TEXTS, "quiet_nothing", lang), "nothing")],
                              value=view.quiet_weeks, style="expanded"),
        ]
    data = {"subscription_id": view.id}
    actions = [core.execute(pick(TEXTS, "save", lang), VERB_CHANGE, data, style="positive")]
    if view.active:
        actions.append(core.execute(pick(TEXTS, "pause", lang), VERB_PAUSE, data))
    else:
        actions.append(core.execute(pick(TEXTS, "resume", lang), VERB_RESUME, data))
    actions.append(core.execute(pick(TEXTS, "preview", lang), VERB_PREVIEW, data))
    if not (view.paused_reason == "stopped" and not view.active):
        actions.append(core.execute(pick(TEXTS, "stop", lang), VERB_STOP, data, style="destructive"))
    return core.card(body, actions)


def clock_text(send_time: str, lang: str) -> str:
    return f"kl. {send_time}" if lang == "sv" else send_time


@dataclass(frozen=True)
class SubscribeOffer:
    choices: tuple[tuple[str, int], ...]  # (label, org unit id)
    default: int | None
    weekday: int = 0
    send_time: str = "07:30"
    meeting_of: str | None = None  # the default scope's enhet, when ``weekday`` is its tavelmöte day


def subscribe_card(offer: SubscribeOffer, lang: str) -> core.Element:
    """No subscription here yet: choose a scope (enhet, område or the whole förvaltning) and a time."""
    when = (pick(TEXTS, "offer_meeting", lang, day=weekday_name(offer.weekday, lang), time=offer.send_time,
                 unit=offer.meeting_of) if offer.meeting_of else pick(TEXTS, "offer_when", lang, time=offer.send_time))
    body = [
        core.heading(pick(TEXTS, "none_here", lang)),
        core.text(pick(TEXTS, "offer", lang, when=when), spacing="Small"),
        core.choice_input("scope", pick(TEXTS, "scope", lang), [(label, str(uid)) for label, uid in offer.choices[:200]],
                          value=str(offer.default) if offer.default is not None else None),
        core.choice_input("weekday", pick(TEXTS, "weekday", lang), weekday_choices(lang), value=str(offer.weekday)),
        core.text_input("send_time", pick(TEXTS, "time", lang), value=offer.send_time, max_length=5),
    ]
    return core.card(body, [core.execute(pick(TEXTS, "subscribe", lang), VERB_SUBSCRIBE, {}, style="positive")])


# --- reminder ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    activity_id: int
    title: str
    deadline: date | None
    status: str
    progress: int
    version: int
    overdue: bool


@dataclass(frozen=True)
class ReminderView:
    unit_name: str
    meeting: date
    days: int
    items: tuple[ReminderItem, ...]
    is_demo: bool = False


def reminder_inputs(item: ReminderItem, lang: str) -> list[core.Element]:
    """Inline update of one activity — the same inputs and verb as "mina aktiviteter" (``activity.update``),
    so the handlingsplaner feature checks the version, the permissions and logs the change."""
    from cards.plans import V_UPDATE
    from followup.activities import STATUSES, label

    return [
        core.choice_input(f"status_{item.activity_id}", pick(TEXTS, "rem_status_label", lang),
                          [(label(s, lang), s) for s in STATUSES], value=item.status),
        core.number_input(f"progress_{item.activity_id}", pick(TEXTS, "rem_progress_label", lang),
                          value=item.progress, minimum=0, maximum=100),
        core.text_input(f"comment_{item.activity_id}", pick(TEXTS, "rem_comment_label", lang), max_length=500),
        core.action_set([core.execute(pick(TEXTS, "rem_update", lang), V_UPDATE,
                                      {"id": item.activity_id, "version": item.version, "page": 1},
                                      style="positive")]),
    ]


def reminder_card(view: ReminderView, lang: str) -> core.Element:
    body: list[core.Element] = [
        core.heading(pick(TEXTS, "rem_title", lang, weekday=weekday_name(view.meeting.weekday(), lang),
                          date=day(view.meeting, lang), unit=view.unit_name)),
        core.text(pick(TEXTS, "rem_intro", lang, days=view.days), spacing="Small"),
    ]
    if view.is_demo:
        body.append(demo_badge(lang))
    for item in view.items[:8]:
        key = "late" if item.overdue and item.deadline else "due"
        days_late = (view.meeting - item.deadline).days if item.deadline else 0
        runs = [run(item.title, bold=True, user=True)]
        if item.deadline:
            runs.append(run(pick(TEXTS, key, lang, days=days_late, deadline=short_day(item.deadline, lang))))
        runs.append(run(" – " + pick(TEXTS, "rem_status", lang, status=status_word(item.status, lang),
                                     progress=percent(item.progress, 0, lang)), subtle=True))
        body.append(core.container([rich(*runs, spacing=None), *reminder_inputs(item, lang)],
                                   separator=True, spacing="Medium"))
    if len(view.items) > 8:
        body.append(core.text(pick(TEXTS, "more", lang, n=len(view.items) - 8), subtle=True))
    body.append(core.text(pick(TEXTS, "rem_opt_out", lang), size="Small", subtle=True, spacing="Medium"))
    from cards.plans import V_MINE

    return core.card(body, [core.execute(pick(TEXTS, "rem_mine", lang), V_MINE, {"page": 1}),
                            ask_button(pick(TEXTS, "rem_opt_out_button", lang), "inga påminnelser")])
