"""Cards for handlingsplaner and the tavelmöte: confirmation with undo, choices, "mina aktiviteter" with
inline inputs, the board, conflicts, history, and the guided report's prompts.

Pure functions of frozen view models. Every title and comment people wrote goes through
``core.user_text``/TextRuns (never markdown); status and "försenad" are always said in words.
Every button is an ``Action.Execute`` whose data the handlers re-check (ids, versions, types, rights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from cards import core
from cards.common import as_of_line, ask_button, demo_badge
from cards.format import clock, day, number, percent, short_day, tkr, month_name
from cards.texts import pick, t
from followup.activities import COLUMN_LABELS, COLUMNS, IDE, EJ_PABORJAD, KLAR, PAGAR, PAUSAD, STATUSES, label
from followup.indicators import Target, gap_to, meets

# Verbs of the cards in this module (routed in bot/routing.py).
V_UPDATE = "activity.update"  # "mina aktiviteter": save one activity's inline inputs
V_PICK = "activity.pick"  # a choice/conflict card: apply the carried change to the chosen activity
V_UNDO = "activity.undo"
V_HISTORY = "activity.history"
V_MINE = "plan.mine"  # page of "mina aktiviteter"
V_BOARD = "board.show"  # show/refresh/page the board
V_BOARD_MOVE = "board.move"  # a board button: move an activity to the next column
V_PROPOSE = "board.propose"  # "nytt förslag" from the board's input
V_START = "board.start"
V_CREATE = "activity.create"  # the plan choice of a new activity / idea

MINE_PAGE = 6
BOARD_PAGE = 12
BOARD_TITLE_LIMIT = 120  # the board shows titles shorter; the full title is in history and "mina aktiviteter"
DONE_SHOWN = 3
CHANGES_SHOWN = 5
HISTORY_SHOWN = 15
HISTORY_COMMENT_LIMIT = 300
MINE_COMMENT_LIMIT = 300  # "mina aktiviteter" shows the latest comment this long; the whole one is in history
MAX_REFRESH_USERS = 60  # Teams: refresh.userIds holds at most 60 ids
TITLE_LIMIT = 200
COMMENT_LIMIT = 1000

TEXTS = {
    "saved": {"sv": "Sparat", "en": "Saved"},
    "undone": {"sv": "Ångrat – tillbaka som förut", "en": "Undone – back as before"},
    "undo": {"sv": "Ångra", "en": "Undo"},
    "history": {"sv": "Historik", "en": "History"},
    "my_activities": {"sv": "Mina aktiviteter", "en": "My activities"},
    "status": {"sv": "Status", "en": "Status"},
    "progress": {"sv": "Klart till", "en": "Progress"},
    "comment": {"sv": "Kommentar", "en": "Comment"},
    "last_comment": {"sv": "Senaste kommentar: ", "en": "Latest comment: "},
    "owner": {"sv": "Ansvarig", "en": "Owner"},
    "no_owner": {"sv": "ingen ansvarig än", "en": "no owner yet"},
    "owner_is": {"sv": "Ansvarig: {name}", "en": "Owner: {name}"},
    "owner_none": {"sv": "Ingen ansvarig är satt för aktiviteten.", "en": "No owner is set for this activity."},
    "undone_mark": {"sv": "(ångrade en ändring)", "en": "(undid a change)"},
    "due_count_none": {"sv": "Inga aktiviteter i {unit} ska vara klara till och med {date}.",
                       "en": "No activities in {unit} are due by {date}."},
    "due_count_one": {"sv": "1 aktivitet i {unit} ska vara klar till och med {date} – den står efter de försenade.",
                      "en": "1 activity in {unit} is due by {date} – it comes after the overdue ones."},
    "due_count_many": {"sv": "{count} aktiviteter i {unit} ska vara klara till och med {date} – de står efter de "
                             "försenade i sina kolumner.",
                       "en": "{count} activities in {unit} are due by {date} – they come after the overdue ones in "
                             "their columns."},
    "more_listed": {"sv": "… och {count} till", "en": "… and {count} more"},
    "late_count_none": {"sv": "Inga försenade aktiviteter i {unit}.", "en": "No overdue activities in {unit}."},
    "late_count_one": {"sv": "1 försenad aktivitet i {unit} – den står först i sin kolumn.",
                    "en": "1 overdue activity in {unit} – it comes first in its column."},
    "late_count_many": {"sv": "{count} försenade aktiviteter i {unit} – de står först i sina kolumner.",
                     "en": "{count} overdue activities in {unit} – they come first in their columns."},
    # an activity's number: what "aktivitet 12 pågår" names (the guided report's "3." is only a place in its list)
    "number": {"sv": "nr {number}", "en": "no. {number}"},
    "deadline": {"sv": "Klart senast", "en": "Due"},
    "start": {"sv": "Startdatum", "en": "Start"},
    "no_deadline": {"sv": "inget slutdatum", "en": "no due date"},
    "due": {"sv": "senast {date}", "en": "due {date}"},
    "overdue": {"sv": "⚠ FÖRSENAD {days} dagar", "en": "⚠ OVERDUE {days} days"},
    "overdue_one": {"sv": "⚠ FÖRSENAD 1 dag", "en": "⚠ OVERDUE 1 day"},
    "unit": {"sv": "Enhet", "en": "Unit"},
    "plan": {"sv": "Handlingsplan", "en": "Action plan"},
    "which": {"sv": "Vilken aktivitet menar du?", "en": "Which activity do you mean?"},
    "you_wrote": {"sv": "Du skrev:", "en": "You wrote:"},
    "none_found": {
        "sv": "Jag hittade ingen aktivitet som liknar det bland dina eller enhetens aktiviteter.",
        "en": "I found no activity like that among yours or your unit's.",
    },
    "mine_title": {"sv": "Mina aktiviteter", "en": "My activities"},
    "mine_empty": {
        "sv": "Du är inte ansvarig för någon aktivitet {year}. Skriv ”tavla” för att se enhetens tavla.",
        "en": "You own no activity in {year}. Write “board” to see your unit's board.",
    },
    "mine_hint": {
        "sv": "Ändra status, procent eller skriv en kommentar och tryck Spara för just den aktiviteten.",
        "en": "Change the status or progress, or add a comment, and press Save for that activity.",
    },
    "save": {"sv": "Spara", "en": "Save"},
    "more": {"sv": "Visa fler", "en": "Show more"},
    "previous": {"sv": "Föregående", "en": "Previous"},
    "next_page": {"sv": "Nästa sida", "en": "Next page"},
    "page": {"sv": "Sida {page} av {pages}", "en": "Page {page} of {pages}"},
    "comment_placeholder": {
        "sv": "Kort kommentar (inga känsliga personuppgifter)",
        "en": "Short comment (no sensitive personal details)",
    },
    "board_title": {"sv": "Tavla – {unit}", "en": "Board – {unit}"},
    "board_sub": {"sv": "Handlingsplaner {year}", "en": "Action plans {year}"},
    # a meeting held today (nobody ends a ten-minute stand-up in Tavla: "pågår" stood all day)
    "meeting_now": {"sv": "Dagens tavelmöte startade {time} ({who})", "en": "Today's board meeting started at {time} ({who})"},
    "meeting_last": {"sv": "Förra tavelmötet: {date} ({who})", "en": "Last board meeting: {date} ({who})"},
    "meeting_none": {"sv": "Inget tavelmöte registrerat än", "en": "No board meeting recorded yet"},
    "since": {"sv": "Sedan förra mötet ({date}): {count} ändringar", "en": "Since the last meeting ({date}): {count} changes"},
    "since_one": {"sv": "Sedan förra mötet ({date}): 1 ändring", "en": "Since the last meeting ({date}): 1 change"},
    "since_year": {"sv": "Ändringar i år: {count}", "en": "Changes this year: {count}"},
    "no_changes": {"sv": "Inga ändringar sedan förra mötet.", "en": "No changes since the last meeting."},
    "more_changes": {"sv": "… och {count} till (skriv ”historik <aktivitet>”)", "en": "… and {count} more (write “history <activity>”)"},
    "empty_column": {"sv": "Inget här just nu.", "en": "Nothing here right now."},
    "done_more": {"sv": "… och {count} till som är klara", "en": "… and {count} more done"},
    "results": {"sv": "Resultat", "en": "Results"},
    "budget": {"sv": "Budget", "en": "Budget"},
    "target_min": {"sv": "målnivå {year}: minst {value}", "en": "target {year}: at least {value}"},
    "target_max": {"sv": "målnivå {year}: högst {value}", "en": "target {year}: at most {value}"},
    "target_range": {"sv": "målnivå {year}: {low}–{high}", "en": "target {year}: {low}–{high}"},
    "target_met": {"sv": "✔ når målnivån", "en": "✔ meets the target"},
    "target_below": {"sv": "⚠ under målnivån", "en": "⚠ below the target"},
    "target_above": {"sv": "⚠ över målnivån", "en": "⚠ above the target"},
    "measured": {"sv": "mätt {period}", "en": "measured {period}"},
    "budget_line": {"sv": "{area}: årsbudget {total}", "en": "{area}: annual budget {total}"},
    "utfall_line": {
        "sv": "utfall t.o.m. {month}: {amount} ({share} av årsbudgeten)",
        "en": "actuals through {month}: {amount} ({share} of the annual budget)",
    },
    "no_utfall": {"sv": "inget utfall registrerat än", "en": "no actuals recorded yet"},
    "new_idea": {"sv": "Nytt förslag", "en": "New idea"},
    "idea_label": {"sv": "Ditt förslag (blir en Idé på tavlan)", "en": "Your idea (becomes an Idea on the board)"},
    "idea_save": {"sv": "Lägg till förslaget", "en": "Add the idea"},
    "start_meeting": {"sv": "Starta tavelmöte", "en": "Start board meeting"},
    "refresh": {"sv": "Uppdatera", "en": "Refresh"},
    "move_prioritise": {"sv": "Prioritera", "en": "Prioritise"},
    "move_start": {"sv": "Starta", "en": "Start"},
    "move_resume": {"sv": "Återuppta", "en": "Resume"},
    "move_done": {"sv": "Klar", "en": "Done"},
    "conflict": {
        "sv": "Ändrad av {who} {when} – din ändring sparades inte. Så här ser den ut nu:",
        "en": "Changed by {who} {when} – your change was not saved. This is how it looks now:",
    },
    "conflict_title": {"sv": "Någon hann före dig", "en": "Someone got there first"},
    "your_change": {"sv": "Din ändring", "en": "Your change"},
    "apply_anyway": {"sv": "Spara min ändring ändå", "en": "Save my change anyway"},
    "gone": {"sv": "Aktiviteten finns inte längre.", "en": "The activity no longer exists."},
    "history_title": {"sv": "Historik", "en": "History"},
    "history_empty": {"sv": "Inga ändringar loggade.", "en": "No changes logged."},
    "history_more": {
        "sv": "… och {count} äldre ändringar (hela loggen: tavla export audit)",
        "en": "… and {count} older changes (the whole log: tavla export audit)",
    },
    "history_note": {
        "sv": "Ändringsloggen sparas och kan lämnas ut som allmän handling.",
        "en": "The change log is kept and may be released as a public record.",
    },
    "created": {"sv": "Ny aktivitet i {unit}", "en": "New activity in {unit}"},
    "proposed": {"sv": "Förslaget ligger nu under Idéer på tavlan för {unit}", "en": "The idea is now under Ideas on the board of {unit}"},
    "show_board": {"sv": "Visa tavlan", "en": "Show the board"},
    "deadline_passed": {"sv": "Obs: slutdatumet har redan passerat.", "en": "Note: the due date has already passed."},
    "choose_plan": {"sv": "Vilken handlingsplan (verksamhetsmål) hör det till?", "en": "Which action plan (goal) does it belong to?"},
    "choose_unit": {"sv": "Vilken enhets tavla vill du se?", "en": "Which unit's board do you want to see?"},
    "linked": {"sv": "Kanalen är kopplad till {unit}", "en": "The channel is linked to {unit}"},
    "linked_hint": {
        "sv": "Skriv @Tavla tavla här för enhetens tavla, och @Tavla starta tavelmöte när ni börjar.",
        "en": "Write @Tavla board here for the unit's board, and @Tavla start board meeting when you begin.",
    },
    "meeting_started": {"sv": "Tavelmöte startat {time} av {who}", "en": "Board meeting started {time} by {who}"},
    "via_chat": {"sv": "chatt", "en": "chat"},
    "via_card": {"sv": "kort", "en": "card"},
    "via_dialog": {"sv": "guidad rapport", "en": "guided report"},
    "via_import": {"sv": "import", "en": "import"},
    "via_demo": {"sv": "exempeldata", "en": "example data"},
    "created_entry": {"sv": "skapad", "en": "created"},
    "commented": {"sv": "kommentar", "en": "comment"},
    "title_field": {"sv": "Titel", "en": "Title"},
    # The guided report (dialogs/report_progress.py)
    "d_pick": {"sv": "Vilken aktivitet vill du rapportera på? Svara med dess nummer (t.ex. ”{example}”) eller namnet.",
               "en": "Which activity do you want to report on? Answer with its number (e.g. “{example}”) or the name."},
    "d_pick_others": {"sv": "Dina egna först, sedan enhetens övriga: alla på enheten kan rapportera på dem.",
                      "en": "Your own first, then the unit's others: everyone at the unit can report on them."},
    "d_pick_unit": {"sv": "Du är inte ansvarig för någon öppen aktivitet; här är enhetens – alla på enheten kan "
                          "rapportera på dem.",
                    "en": "You own no open activity; here are the unit's – everyone at the unit can report on them."},
    "d_status": {"sv": "Vilken status har ”{title}” nu? (nu: {status})", "en": "What is the status of “{title}” now? (now: {status})"},
    "d_not_yours": {"sv": "Klar kan bara ansvarig eller chefen för {unit} markera.",
                    "en": "Only the owner or the manager of {unit} can mark it done."},
    "d_progress": {"sv": "Hur många procent är klart? (nu: {progress}) Svara med ett tal 0–100, eller ”samma”.",
                   "en": "How many percent are done? (now: {progress}) Answer with a number 0–100, or “same”."},
    "d_comment": {"sv": "Vill du lägga till en kommentar? Skriv den, eller ”nej”.",
                  "en": "Do you want to add a comment? Write it, or “no”."},
    "d_confirm": {"sv": "Spara den här ändringen?", "en": "Save this change?"},
    "d_yes": {"sv": "Ja, spara", "en": "Yes, save"},
    "d_no": {"sv": "Nej", "en": "No"},
    "d_same": {"sv": "Samma", "en": "Same"},
    "d_skip": {"sv": "Ingen kommentar", "en": "No comment"},
    "d_cancel": {"sv": "Avbryt", "en": "Cancel"},
    "d_cancel_hint": {"sv": "Skriv ”avbryt” när du vill sluta.", "en": "Write “cancel” to stop."},
    "d_cancelled": {"sv": "Avbrutet – inget ändrades.", "en": "Cancelled – nothing was changed."},
    "d_none": {"sv": "Du har inga aktiviteter att rapportera på {year}.", "en": "You have no activities to report on in {year}."},
    "d_retry_pick": {"sv": "Jag hittade ingen sådan aktivitet i listan. Svara med dess nummer (t.ex. ”{example}”) eller "
                            "namnet, eller skriv ”avbryt”.",
                     "en": "I can't find that activity in the list. Answer with its number (e.g. “{example}”) or the "
                           "name, or write “cancel”."},
    "d_retry_status": {"sv": "Svara med en status: Idé, Ej påbörjad, Pågår, Klar eller Pausad, eller hur långt den "
                             "har kommit (t.ex. 60 %) – eller ”avbryt”.",
                       "en": "Answer with a status: Idea, Not started, In progress, Done or Paused, or how far it has "
                             "come (e.g. 60%) – or “cancel”."},
    "d_retry_progress": {"sv": "Svara med ett heltal 0–100 (t.ex. 60) eller ”samma” – eller ”avbryt”.",
                         "en": "Answer with a whole number 0–100 (e.g. 60) or “same” – or “cancel”."},
    "d_retry_confirm": {"sv": "Svara ”ja” för att spara eller ”avbryt”.", "en": "Answer “yes” to save or “cancel”."},
    "d_channel": {
        "sv": "I en kanal rapporterar du direkt i kortet nedan. För en guidad rapport, skriv ”rapportera” i chatten med Tavla.",
        "en": "In a channel, report right in the card below. For a guided report, write “report” in your chat with Tavla.",
    },
}


def _t(key: str, lang: str, **values: object) -> str:
    return pick(TEXTS, key, lang, **values)


# --- View models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An activity as a card shows it (the handler fills it from the store and the clock)."""

    id: int
    version: int
    title: str
    unit_id: int
    unit_name: str
    owner_name: str | None
    deadline: date | None
    status: str
    progress: int
    overdue_days: int = 0  # > 0: försenad (derived from the deadline and the clock)
    goal_title: str = ""
    is_demo: bool = False
    updated_by: str | None = None
    updated_at: datetime | None = None  # local time
    last_comment: str | None = None  # user text: written with the latest update that had one


@dataclass(frozen=True)
class Change:
    """A change someone asked for (carried in choice/conflict buttons): status, %, comment."""

    status: str | None = None
    progress: int | None = None
    comment: str | None = None

    def data(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.status is not None:
            out["status"] = self.status
        if self.progress is not None:
            out["progress"] = self.progress
        if self.comment:
            out["comment"] = self.comment[:COMMENT_LIMIT]
        return out


@dataclass(frozen=True)
class Banner:
    """A line at the top of a replaced card: what just happened (``style``: good/warning/attention)."""

    style: str
    text: str
    detail: str | None = None  # user text (an activity title), shown verbatim
    lines: tuple[str, ...] = ()  # the activities it counts, one a line (titles are user text: shown verbatim)


@dataclass(frozen=True)
class Footer:
    as_of: date
    pinned: bool


def _footer(body: list[core.Element], footer: Footer, lang: str) -> None:
    body.append(as_of_line(footer.as_of, footer.pinned, lang))


def _runs(*parts: tuple[str, str], limit: int = TITLE_LIMIT) -> core.Element:
    """A RichTextBlock of TextRuns: ``("b", text)`` bold, ``("u", text)`` plain user text, ``("s", text)`` subtle,
    ``("w", text)`` a warning in words, ``("c", text)`` a comment (longer limit)."""
    inlines = []
    for kind, value in parts:
        if not value:
            continue
        run: dict[str, object] = {"type": "TextRun", "text": core.bounded(value, limit if kind != "c" else COMMENT_LIMIT)}
        if kind == "b":
            run["weight"] = "Bolder"
        elif kind == "s":
            run["isSubtle"] = True
        elif kind == "w":
            run["weight"] = "Bolder"
            run["color"] = "Attention"
        inlines.append(run)
    return {"type": "RichTextBlock", "inlines": inlines}


def _status_words(status: str, progress: int, lang: str) -> str:
    if status in (PAGAR, PAUSAD):
        return f"{label(status, lang)} · {percent(progress, 0, lang)}"
    return label(status, lang)


def _due(item: Item, lang: str, *, short: bool = True) -> str:
    if item.deadline is None:
        return _t("no_deadline", lang)
    when = short_day(item.deadline, lang) if short else day(item.deadline, lang)
    return _t("due", lang, date=when)


def _overdue(item: Item, lang: str) -> str:
    if item.overdue_days <= 0:
        return ""
    return _t("overdue_one" if item.overdue_days == 1 else "overdue", lang, days=item.overdue_days)


def _meta(item: Item, lang: str, *, with_unit: bool = False, with_status: bool = True, with_owner: bool = True
          ) -> core.Element:
    parts: list[tuple[str, str]] = []
    if with_unit:
        parts.append(("s", item.unit_name + " · "))
    if with_owner:
        parts.append(("s", (item.owner_name or _t("no_owner", lang)) + " · "))
    parts.append(("s", _due(item, lang)))
    if with_status:
        parts.append(("s", " · " + _status_words(item.status, item.progress, lang)))
    if item.overdue_days > 0:
        parts.append(("w", " · " + _overdue(item, lang)))
    parts.append(("s", " · " + number_label(item.id, lang)))
    return _runs(*parts)


def _banner(banner: Banner | None) -> list[core.Element]:
    if banner is None:
        return []
    items = [core.text(banner.text, weight="Bolder")]
    if banner.detail:
        items.append(core.user_text(banner.detail, limit=TITLE_LIMIT))
    items += [core.user_text(line, limit=TITLE_LIMIT + 80) for line in banner.lines]
    return [core.container(items, style=banner.style)]


def _status_choices(lang: str) -> list[tuple[str, str]]:
    return [(label(s, lang), s) for s in STATUSES]


# --- Confirmation with undo -----------------------------------------------------------------


@dataclass(frozen=True)
class Confirm:
    item: Item
    old_status: str
    old_progress: int
    comment: str | None
    update_id: int | None
    footer: Footer
    undone: bool = False
    notes: tuple[str, ...] = ()


def confirmation_card(view: Confirm, lang: str) -> core.Element:
    """Old → new with an undo button (the undo carries the version it produced: a later change wins)."""
    item = view.item
    body: list[core.Element] = []
    if item.is_demo:
        body.append(demo_badge(lang))
    body.append(core.text(_t("undone" if view.undone else "saved", lang), size="Medium", weight="Bolder",
                          color="Good" if not view.undone else None))
    body.append(_runs(("b", item.title)))
    pairs = []
    if view.old_status != item.status:
        pairs.append((_t("status", lang), f"{label(view.old_status, lang)} → {label(item.status, lang)}"))
    else:
        pairs.append((_t("status", lang), label(item.status, lang)))
    if view.old_progress != item.progress:
        pairs.append((_t("progress", lang), f"{percent(view.old_progress, 0, lang)} → {percent(item.progress, 0, lang)}"))
    else:
        pairs.append((_t("progress", lang), percent(item.progress, 0, lang)))
    pairs.append((_t("unit", lang), item.unit_name))
    body.append(core.facts(pairs))
    body.append(_meta(item, lang, with_status=False))
    if view.comment:
        body.append(_runs(("b", _t("comment", lang) + ": "), ("c", view.comment)))
    for note in view.notes:
        body.append(core.text(note, size="Small", subtle=True))
    _footer(body, view.footer, lang)
    actions = []
    if view.update_id is not None and not view.undone:
        actions.append(core.execute(_t("undo", lang), V_UNDO, {"id": item.id, "version": item.version,
                                                               "update": view.update_id}))
    actions.append(core.execute(_t("history", lang), V_HISTORY, {"id": item.id}))
    actions.append(core.execute(_t("my_activities", lang), V_MINE, {"page": 1}))
    return core.card(body, actions)


# --- Choosing among candidates --------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    said: str
    candidates: tuple[Item, ...]
    change: Change
    footer: Footer


def choice_card(view: Choice, lang: str) -> core.Element:
    """Several activities fit: one button each, carrying the change and the version it was shown at."""
    body: list[core.Element] = [core.text(_t("which", lang), size="Medium", weight="Bolder"),
                                _runs(("s", _t("you_wrote", lang) + " "), ("u", view.said))]
    for item in view.candidates:
        body.append(core.container([_runs(("b", item.title)), _meta(item, lang, with_unit=True)], separator=True))
    _footer(body, view.footer, lang)
    actions = [core.execute(core.bounded(item.title, 60), V_PICK, {"id": item.id, "version": item.version,
                                                                  **view.change.data()})
               for item in view.candidates[:5]]
    return core.card(body, actions)


def not_found_card(said: str, footer: Footer, lang: str) -> core.Element:
    body = [core.text(_t("none_found", lang), weight="Bolder"), _runs(("s", _t("you_wrote", lang) + " "), ("u", said))]
    _footer(body, footer, lang)
    return core.card(body, [core.execute(_t("my_activities", lang), V_MINE, {"page": 1}),
                            ask_button(_t("show_board", lang), "tavla" if lang == "sv" else "board")])


def owner_card(items: list[Item], footer: Footer, lang: str) -> core.Element:
    """'vem är ansvarig för …?': each activity the question names with its owner first, then where it is, its
    deadline, status and number; buttons to its history and its enhet's board (the first one's)."""
    body: list[core.Element] = []
    if any(item.is_demo for item in items):
        body.append(demo_badge(lang))
    for item in items:
        owner = _t("owner_is", lang, name=item.owner_name) if item.owner_name else _t("owner_none", lang)
        body.append(core.container([_runs(("b", item.title)), _runs(("u", owner)),
                                    _meta(item, lang, with_unit=True, with_owner=False)],
                                   separator=len(body) > 0, spacing="Small"))
    _footer(body, footer, lang)
    first = items[0]
    return core.card(body, [core.execute(_t("history", lang), V_HISTORY, {"id": first.id}),
                            core.execute(_t("show_board", lang), V_BOARD, {"unit": first.unit_id, "page": 1})])


# --- Conflict -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictView:
    item: Item | None  # None: the activity is gone
    change: Change
    footer: Footer


def conflict_when(updated_at: datetime | None, today: date, lang: str) -> str:
    """"kl. 09:14" today, "14 maj kl. 09:14" another day."""
    if updated_at is None:
        return ""
    if updated_at.date() == today:
        return clock(updated_at, lang)
    return f"{updated_at.day} {month_name(updated_at.month, lang)} {clock(updated_at, lang)}"


def conflict_banner(item: Item | None, today: date, lang: str) -> Banner:
    if item is None:
        return Banner("attention", _t("gone", lang))
    who = item.updated_by or ("någon" if lang == "sv" else "someone")
    return Banner("warning", _t("conflict", lang, who=who, when=conflict_when(item.updated_at, today, lang)),
                  item.title)


def conflict_card(view: ConflictView, lang: str) -> core.Element:
    """"Ändrad av Anna kl. 09:14": the fresh state, and the change the user wanted, to save again if still right."""
    body: list[core.Element] = [core.text(_t("conflict_title", lang), size="Medium", weight="Bolder")]
    body += _banner(conflict_banner(view.item, view.footer.as_of, lang))
    actions: list[core.Element] = []
    if view.item is not None:
        item = view.item
        body.append(core.facts([(_t("status", lang), _status_words(item.status, item.progress, lang)),
                                (_t("owner", lang), item.owner_name or _t("no_owner", lang)),
                                (_t("deadline", lang), _due(item, lang, short=False))]))
        wanted = []
        if view.change.status:
            wanted.append(label(view.change.status, lang))
        if view.change.progress is not None:
            wanted.append(percent(view.change.progress, 0, lang))
        parts: list[tuple[str, str]] = [("b", _t("your_change", lang) + ": "), ("s", ", ".join(wanted))]
        if view.change.comment:
            parts += [("s", " – "), ("c", view.change.comment)]
        body.append(_runs(*parts))
        actions.append(core.execute(_t("apply_anyway", lang), V_PICK, {"id": item.id, "version": item.version,
                                                                        **view.change.data()}))
        actions.append(core.execute(_t("history", lang), V_HISTORY, {"id": item.id}))
    _footer(body, view.footer, lang)
    return core.card(body, actions)


# --- "Mina aktiviteter" ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mine:
    items: tuple[Item, ...]  # all of the user's activities (the card pages them)
    page: int
    year: int
    footer: Footer
    banner: Banner | None = None
    draft: tuple[int, str] | None = None  # (activity id, comment) typed into a Spara the card comes back from


def _pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


def mine_card(view: Mine, lang: str) -> core.Element:
    """One container per activity with status, % and comment inputs and its own Save (Action.Execute)."""
    pages = _pages(len(view.items), MINE_PAGE)
    page = min(max(view.page, 1), pages)
    shown = view.items[(page - 1) * MINE_PAGE: page * MINE_PAGE]
    body: list[core.Element] = []
    if any(i.is_demo for i in view.items):
        body.append(demo_badge(lang))
    body += _banner(view.banner)
    body.append(core.heading(_t("mine_title", lang)))
    if not view.items:
        body.append(core.text(_t("mine_empty", lang, year=view.year)))
        _footer(body, view.footer, lang)
        return core.card(body, [ask_button(_t("show_board", lang), "tavla" if lang == "sv" else "board")])
    body.append(core.text(_t("mine_hint", lang), subtle=True, spacing="Small"))
    body.append(core.text(t("sensitive", lang), size="Small", subtle=True, spacing="Small"))
    for item in shown:
        inputs = [
            core.choice_input(f"status_{item.id}", _t("status", lang), _status_choices(lang), value=item.status),
            core.number_input(f"progress_{item.id}", _t("progress", lang) + " (%)", value=item.progress, minimum=0,
                              maximum=100),
            core.text_input(f"comment_{item.id}", _t("comment", lang), placeholder=_t("comment_placeholder", lang),
                            max_length=COMMENT_LIMIT,
                            value=view.draft[1] if view.draft is not None and view.draft[0] == item.id else ""),
        ]
        last = [_runs(("s", _t("last_comment", lang)), ("u", f"”{item.last_comment}”"), limit=MINE_COMMENT_LIMIT)
                ] if item.last_comment else []
        body.append(core.container([
            _runs(("b", item.title)),
            _meta(item, lang, with_unit=True),
            *last,
            *inputs,
            core.action_set([core.execute(_t("save", lang), V_UPDATE,
                                          {"id": item.id, "version": item.version, "page": page},
                                          style="positive")]),
        ], separator=True, spacing="Medium"))
    if pages > 1:
        body.append(core.text(_t("page", lang, page=page, pages=pages), size="Small", subtle=True))
    _footer(body, view.footer, lang)
    actions = []
    if page > 1:
        actions.append(core.execute(_t("previous", lang), V_MINE, {"page": page - 1}))
    if page < pages:
        actions.append(core.execute(_t("more", lang), V_MINE, {"page": page + 1}))
    return core.card(body, actions)


# --- The board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    who: str | None
    title: str  # user text
    what: str  # "Pågår → Klar", "40 % → 60 %", "ny", "kommentar"
    comment: str | None = None  # user text: what was written with the change (the board shows its start)


@dataclass(frozen=True)
class HeadlineView:
    indicator: str | None = None
    value: str | None = None  # formatted, e.g. "94,2 %"
    measured: str | None = None  # "mars 2018"
    scope: str | None = None
    target: str | None = None  # formatted target words
    against: str | None = None  # the latest value against the target, in words with a sign ("⚠ under målnivån")
    budget: str | None = None  # formatted budget line
    utfall: str | None = None


@dataclass(frozen=True)
class Board:
    unit_id: int
    unit_name: str
    year: int
    items: tuple[Item, ...]  # every activity of the unit's plans for the year
    page: int
    footer: Footer
    meeting_now: tuple[datetime, str | None] | None = None  # a meeting held today: when (local), who
    meeting_last: tuple[datetime, str | None] | None = None  # the reference meeting
    changes: tuple[ChangeLine, ...] = ()
    changes_total: int = 0
    headline: HeadlineView | None = None
    user_ids: tuple[str, ...] = ()
    banner: Banner | None = None
    is_demo: bool = False
    plans: tuple[tuple[int, str], ...] = ()  # (plan id, verksamhetsmål) for the idea form


MOVES = {IDE: (EJ_PABORJAD, "move_prioritise"), EJ_PABORJAD: (PAGAR, "move_start"), PAUSAD: (PAGAR, "move_resume"),
         PAGAR: (KLAR, "move_done")}


def _sort_key(item: Item) -> tuple[int, date, str]:
    return (-item.overdue_days, item.deadline or date.max, item.title.lower())


def board_pages(items: tuple[Item, ...] | list[Item]) -> int:
    return _pages(sum(1 for i in items if i.status != KLAR), BOARD_PAGE)


def _board_item(item: Item, view: Board, page: int, lang: str) -> core.Element:
    parts: list[core.Element] = [_runs(("b", item.title), limit=BOARD_TITLE_LIMIT), _meta(item, lang)]
    move = MOVES.get(item.status)
    if move is not None:
        target, key = move
        parts.append(core.action_set([core.execute(_t(key, lang), V_BOARD_MOVE, {
            "id": item.id, "version": item.version, "to": target, "unit": view.unit_id, "page": page})]))
    return core.container(parts, spacing="Small")


def _headline(h: HeadlineView, lang: str) -> list[core.Element]:
    lines: list[core.Element] = []
    if h.indicator and h.value:
        text = f"{_t('results', lang)}: {h.indicator} {h.value}"
        extras = [x for x in (_t("measured", lang, period=h.measured) if h.measured else None, h.scope, h.target,
                              h.against) if x]
        if extras:
            text += " (" + ", ".join(extras) + ")"
        lines.append(core.text(text, size="Small"))
    if h.budget:
        text = f"{_t('budget', lang)}: {h.budget}" + (f", {h.utfall}" if h.utfall else "")
        lines.append(core.text(text, size="Small"))
    return [core.container(lines, style="emphasis", spacing="Small")] if lines else []


def undone_mark(lang: str) -> str:
    """After a change on the board that undid an earlier one."""
    return " " + _t("undone_mark", lang)


BANNER_LINES = 8  # activities a banner names before "… och N till"


def _listed(items: Sequence[Item], what: Callable[[Item], str], lang: str) -> tuple[str, ...]:
    """"nr 1 Digital introduktion – ⚠ FÖRSENAD 15 dagar – Anna Andersson", the first ``BANNER_LINES``."""
    shown = sorted(items, key=_sort_key)
    lines = [f"{number_label(i.id, lang)} {i.title} – {what(i)} – {i.owner_name or _t('no_owner', lang)}"
             for i in shown[:BANNER_LINES]]
    if len(shown) > BANNER_LINES:
        lines.append(_t("more_listed", lang, count=len(shown) - BANNER_LINES))
    return tuple(lines)


def overdue_banner(count: int, unit_name: str, lang: str, items: Sequence[Item] = ()) -> Banner:
    """Above the board when someone asked what is försenade: how many, and which (``items``)."""
    if count == 0:
        return Banner("good", _t("late_count_none", lang, unit=unit_name))
    return Banner("attention", _t("late_count_one" if count == 1 else "late_count_many", lang, count=count,
                                  unit=unit_name), lines=_listed(items, lambda i: _overdue(i, lang), lang))


def due_soon_banner(count: int, unit_name: str, until: date, lang: str, items: Sequence[Item] = ()) -> Banner:
    """Above the board when someone asked what is due soon: how many, and which (``items``)."""
    if count == 0:
        return Banner("good", _t("due_count_none", lang, unit=unit_name, date=day(until, lang)))
    return Banner("emphasis", _t("due_count_one" if count == 1 else "due_count_many", lang, count=count,
                                 unit=unit_name, date=day(until, lang)),
                  lines=_listed(items, lambda i: f"{_t('deadline', lang).lower()} {day(i.deadline, lang)}"
                                if i.deadline else "", lang))


def board_card(view: Board, lang: str) -> core.Element:
    """Idéer / Att göra / Pågår / Klart with owners, deadlines and "FÖRSENAD" in words; paged to stay small."""
    open_items = sorted((i for i in view.items if i.status != KLAR), key=_sort_key)
    done = sorted((i for i in view.items if i.status == KLAR),
                  key=lambda i: i.updated_at or datetime.min, reverse=True)
    pages = _pages(len(open_items), BOARD_PAGE)
    page = min(max(view.page, 1), pages)
    on_page = {i.id for i in open_items[(page - 1) * BOARD_PAGE: page * BOARD_PAGE]}
    body: list[core.Element] = []
    if view.is_demo:
        body.append(demo_badge(lang))
    body += _banner(view.banner)
    body.append(core.heading(_t("board_title", lang, unit=view.unit_name)))
    body.append(core.text(_t("board_sub", lang, year=view.year), subtle=True, spacing="None"))
    if view.meeting_now is not None:
        when, who = view.meeting_now
        body.append(core.text(_t("meeting_now", lang, time=clock(when, lang), who=who or "–"), weight="Bolder",
                              size="Small"))
    if view.meeting_last is not None:
        when, who = view.meeting_last
        body.append(core.text(_t("meeting_last", lang, date=day(when, lang), who=who or "–"), size="Small", subtle=True))
    elif view.meeting_now is None:
        body.append(core.text(_t("meeting_none", lang), size="Small", subtle=True))
    if view.headline is not None:
        body += _headline(view.headline, lang)
    # What changed since the last meeting
    if view.meeting_last is not None:
        changes_head = _t("since_one" if view.changes_total == 1 else "since", lang, date=day(view.meeting_last[0], lang),
                          count=view.changes_total)
    else:
        changes_head = _t("since_year", lang, count=view.changes_total)
    change_items: list[core.Element] = [core.text(changes_head, weight="Bolder", size="Small")]
    if not view.changes and view.meeting_last is not None:
        change_items.append(core.text(_t("no_changes", lang), size="Small", subtle=True))
    for change in view.changes[:CHANGES_SHOWN]:
        comment = (("s", ": ”"), ("u", change.comment), ("s", "”")) if change.comment else ()
        change_items.append(_runs(("s", f"{change.who or '–'}: "), ("u", change.title), ("s", f" – {change.what}"),
                                  *comment, limit=BOARD_TITLE_LIMIT))
    if view.changes_total > len(view.changes[:CHANGES_SHOWN]):
        change_items.append(core.text(_t("more_changes", lang, count=view.changes_total - len(view.changes[:CHANGES_SHOWN])),
                                      size="Small", subtle=True))
    body.append(core.container(change_items, separator=True))
    # The columns
    for column, statuses in COLUMNS:
        in_column = [i for i in open_items if i.status in statuses] if column != "klart" else done
        header = f"{COLUMN_LABELS[column].get(lang, COLUMN_LABELS[column]['sv'])} ({len(in_column)})"
        items: list[core.Element] = [core.text(header, weight="Bolder", size="Medium")]
        if column == "klart":
            for item in done[:DONE_SHOWN]:
                items.append(_runs(("u", "✓ " + item.title), ("s", " · " + (item.owner_name or _t("no_owner", lang))),
                                   limit=BOARD_TITLE_LIMIT))
            if len(done) > DONE_SHOWN:
                items.append(core.text(_t("done_more", lang, count=len(done) - DONE_SHOWN), size="Small", subtle=True))
        else:
            shown = [i for i in in_column if i.id in on_page]
            items += [_board_item(i, view, page, lang) for i in shown]
            if not in_column:
                items.append(core.text(_t("empty_column", lang), size="Small", subtle=True))
        body.append(core.container(items, separator=True, spacing="Medium"))
    if pages > 1:
        body.append(core.text(_t("page", lang, page=page, pages=pages), size="Small", subtle=True))
    body.append(core.text(t("sensitive", lang), size="Small", subtle=True))
    _footer(body, view.footer, lang)
    idea_inputs = [core.text_input("idea", _t("idea_label", lang), placeholder=_t("comment_placeholder", lang),
                                   max_length=TITLE_LIMIT)]
    if len(view.plans) > 1:
        idea_inputs.append(core.choice_input("idea_plan", _t("plan", lang),
                                             [(core.bounded(title, 80), str(plan_id)) for plan_id, title in view.plans],
                                             value=str(view.plans[0][0])))
    idea = core.card(idea_inputs, [core.execute(_t("idea_save", lang), V_PROPOSE, {"unit": view.unit_id, "page": page}, style="positive")])
    idea.pop("$schema", None)
    actions: list[core.Element] = [core.show_card(_t("new_idea", lang), idea)]
    if view.meeting_now is None:
        actions.append(core.execute(_t("start_meeting", lang), V_START, {"unit": view.unit_id}))
    if page > 1:
        actions.append(core.execute(_t("previous", lang), V_BOARD, {"unit": view.unit_id, "page": page - 1}))
    if page < pages:
        actions.append(core.execute(_t("next_page", lang), V_BOARD, {"unit": view.unit_id, "page": page + 1}))
    else:
        actions.append(core.execute(_t("refresh", lang), V_BOARD, {"unit": view.unit_id, "page": page}))
    refresh = {"action": {"type": "Action.Execute", "title": _t("refresh", lang), "verb": V_BOARD,
                          "data": {"unit": view.unit_id, "page": page}}}
    if view.user_ids:
        refresh["userIds"] = list(dict.fromkeys(view.user_ids))[:MAX_REFRESH_USERS]
    return core.card(body, actions, refresh=refresh)


def choose_unit_card(units: list[tuple[int, str]], footer: Footer, lang: str) -> core.Element:
    body = [core.text(_t("choose_unit", lang), weight="Bolder")]
    _footer(body, footer, lang)
    return core.card(body, [core.execute(name, V_BOARD, {"unit": unit_id, "page": 1}) for unit_id, name in units[:6]])


def linked_card(unit_name: str, lang: str) -> core.Element:
    return core.card([core.text(_t("linked", lang, unit=unit_name), weight="Bolder", size="Medium"),
                      core.text(_t("linked_hint", lang), spacing="Small")])


# --- New activity / idea --------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    item: Item
    plan_title: str
    footer: Footer
    proposed: bool = False  # an idea ("nytt förslag")


def created_card(view: Created, lang: str) -> core.Element:
    item = view.item
    body: list[core.Element] = []
    if item.is_demo:
        body.append(demo_badge(lang))
    heading = _t("proposed", lang, unit=item.unit_name) if view.proposed else _t("created", lang, unit=item.unit_name)
    body.append(core.text(heading, size="Medium", weight="Bolder", color="Good"))
    body.append(_runs(("b", item.title)))
    pairs = [(_t("status", lang), label(item.status, lang)), (_t("plan", lang), view.plan_title)]
    if not view.proposed:
        pairs += [(_t("owner", lang), item.owner_name or _t("no_owner", lang)),
                  (_t("deadline", lang), day(item.deadline, lang) if item.deadline else _t("no_deadline", lang))]
    body.append(core.facts(pairs))
    if item.overdue_days > 0:
        body.append(core.text(_t("deadline_passed", lang), color="Warning", weight="Bolder"))
    _footer(body, view.footer, lang)
    return core.card(body, [core.execute(_t("show_board", lang), V_BOARD, {"unit": item.unit_id, "page": 1}),
                            core.execute(_t("history", lang), V_HISTORY, {"id": item.id})])


@dataclass(frozen=True)
class PlanChoice:
    unit_name: str
    plans: tuple[tuple[int, str], ...]  # (plan id, verksamhetsmål title)
    data: dict[str, object]  # what to create: title, owner, deadline…, ``kind`` activity/idea
    footer: Footer


def plan_choice_card(view: PlanChoice, lang: str) -> core.Element:
    body = [core.text(_t("choose_plan", lang), weight="Bolder"), core.text(view.unit_name, subtle=True)]
    title = view.data.get("title")
    if isinstance(title, str):
        body.append(_runs(("b", title)))
    for _plan_id, goal in view.plans:
        body.append(core.text("• " + goal, size="Small", wrap=True))
    _footer(body, view.footer, lang)
    return core.card(body, [core.execute(core.bounded(goal, 60), V_CREATE, {**view.data, "plan": plan_id})
                            for plan_id, goal in view.plans[:6]])


# --- History --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    at: datetime  # local
    who: str | None
    via: str
    what: str  # "Pågår → Klar, 60 % → 100 %" / "skapad"
    comment: str | None


@dataclass(frozen=True)
class HistoryView:
    item: Item
    lines: tuple[HistoryLine, ...]  # newest first
    footer: Footer
    total: int = 0  # all logged changes (one per version); more than shown → "… och N äldre"


def history_card(view: HistoryView, lang: str) -> core.Element:
    item = view.item
    body: list[core.Element] = []
    if item.is_demo:
        body.append(demo_badge(lang))
    body += [core.text(_t("history_title", lang), size="Medium", weight="Bolder"), _runs(("b", item.title)),
             _meta(item, lang, with_unit=True)]
    if not view.lines:
        body.append(core.text(_t("history_empty", lang), subtle=True))
    for line in view.lines[:HISTORY_SHOWN]:
        when = f"{day(line.at, lang)} {clock(line.at, lang)}"
        via = _t(f"via_{line.via}", lang) if f"via_{line.via}" in TEXTS else line.via
        parts: list[tuple[str, str]] = [("b", when), ("s", f" · {line.who or '–'} · {via}"), ("u", "\n" + line.what)]
        if line.comment:
            parts += [("s", "\n" + _t("comment", lang) + ": "), ("u", core.bounded(line.comment, HISTORY_COMMENT_LIMIT))]
        body.append(core.container([_runs(*parts)], separator=True, spacing="Small"))
    shown = min(len(view.lines), HISTORY_SHOWN)
    if max(view.total, len(view.lines)) > shown:
        body.append(core.text(_t("history_more", lang, count=max(view.total, len(view.lines)) - shown), size="Small",
                              subtle=True))
    body.append(core.text(_t("history_note", lang), size="Small", subtle=True))
    _footer(body, view.footer, lang)
    return core.card(body, [core.execute(_t("show_board", lang), V_BOARD, {"unit": item.unit_id, "page": 1})])


def _logged_day(value: object, lang: str) -> str:
    """A date as the log keeps it ("2018-06-30") as the cards write one ("30/6"); "–" for none."""
    if isinstance(value, str):
        try:
            return short_day(date.fromisoformat(value[:10]), lang)
        except ValueError:
            return value
    return short_day(value, lang) if isinstance(value, date) else "–"


def describe_change(old: dict[str, object], new: dict[str, object], lang: str, *, owner_names: dict[int, str] | None = None
                    ) -> str:
    """A log row's change in words: "Pågår → Klar, 60 % → 100 %"; "skapad" for the first one."""
    if not old and new:
        return _t("created_entry", lang)
    parts = []
    for key in ("status", "progress", "title", "owner_id", "deadline", "start_date", "description"):
        if key not in new:
            continue
        before, after = old.get(key), new.get(key)
        if key == "status":
            parts.append(f"{label(str(before), lang)} → {label(str(after), lang)}")
        elif key == "progress":
            parts.append(f"{percent(int(before or 0), 0, lang)} → {percent(int(after or 0), 0, lang)}")
        elif key == "owner_id":
            names = owner_names or {}
            parts.append(f"{_t('owner', lang).lower()}: {names.get(before, '–') if isinstance(before, int) else '–'} → "
                         f"{names.get(after, '–') if isinstance(after, int) else '–'}")
        elif key in ("deadline", "start_date"):
            parts.append(f"{_t('deadline' if key == 'deadline' else 'start', lang).lower()}: {_logged_day(before, lang)} → "
                         f"{_logged_day(after, lang)}")
        else:
            parts.append(f"{_t('title_field', lang).lower()}")
    return ", ".join(parts) if parts else _t("commented", lang)


# --- Headline formatting (kept here so the board says numbers the Swedish way) --------------


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def format_headline(*, indicator: str | None, value: object, unit: str, decimals: int, period_end: date | None,
                    scope: str | None, low: object, high: object, year: int, direction: str | None,
                    budget_area: str | None, budget_total: object, utfall: object, through_month: int | None,
                    lang: str) -> HeadlineView | None:
    def fmt(v: object) -> str:
        d = Decimal(str(v))
        return percent(d, decimals, lang) if unit == "%" else f"{number(d, decimals, lang)} {unit}".strip()

    view: dict[str, str | None] = {}
    if indicator and value is not None:
        view["indicator"] = indicator
        view["value"] = fmt(value)
        view["measured"] = f"{month_name(period_end.month, lang)} {period_end.year}" if period_end else None
        view["scope"] = scope
        if direction == "interval" and low is not None and high is not None:
            view["target"] = _t("target_range", lang, year=year, low=fmt(low), high=fmt(high))
        elif low is not None and direction != "lower":
            view["target"] = _t("target_min", lang, year=year, value=fmt(low))
        elif high is not None:
            view["target"] = _t("target_max", lang, year=year, value=fmt(high))
        if view.get("target") and direction in ("higher", "lower", "interval"):
            latest, target = Decimal(str(value)), Target(year, _decimal(low), _decimal(high))
            if meets(latest, target, direction):
                view["against"] = _t("target_met", lang)
            else:
                view["against"] = _t("target_below" if gap_to(latest, target, direction) < 0 else "target_above", lang)
    if budget_area and budget_total is not None:
        total = Decimal(str(budget_total))
        view["budget"] = _t("budget_line", lang, area=budget_area, total=tkr(total, lang))
        if utfall is not None and through_month:
            amount = Decimal(str(utfall))
            share = percent(amount / total * 100, 0, lang) if total != 0 else "–"  # as the budget cards: whole %
            view["utfall"] = _t("utfall_line", lang, month=month_name(through_month, lang), amount=tkr(amount, lang),
                                share=share)
        else:
            view["utfall"] = _t("no_utfall", lang)
    return HeadlineView(**view) if view else None


# --- Prompts of the guided report (dialogs/report_progress.py) ------------------------------


def _im_back(title: str, value: str) -> core.Element:
    """A button that answers as if typed (Teams imBack): the dialog reads it as the next message."""
    return {"type": "Action.Submit", "title": title, "data": {"msteams": {"type": "imBack", "value": value}}}


def prompt_card(question: str, *, lines: list[tuple[str, str]] | None = None, answers: list[tuple[str, str]] | None = None,
                note: str | None = None, lang: str = "sv") -> core.Element:
    """One step of the guided report: the question, optional numbered lines, answer buttons and "Avbryt"."""
    body: list[core.Element] = [core.text(question, weight="Bolder")]
    for lead, user in lines or []:
        body.append(_runs(("b", lead), ("u", user)))
    if note:
        body.append(core.text(note, size="Small", subtle=True))
    body.append(core.text(_t("d_cancel_hint", lang), size="Small", subtle=True))
    actions = [_im_back(title, value) for title, value in (answers or [])[:5]]
    actions.append(_im_back(_t("d_cancel", lang), "avbryt" if lang == "sv" else "cancel"))
    return core.card(body, actions)


def prompt_text(key: str, lang: str, **values: object) -> str:
    return _t(key, lang, **values)


def pick_lines(items: list[Item], lang: str, others: frozenset[int] = frozenset()) -> list[tuple[str, str]]:
    """The guided report's list; an activity someone else owns (``others``) says whose it is."""
    return [(number_label(item.id, lang) + " ", f"{item.title} – {_status_words(item.status, item.progress, lang)}"
             + (f" – {_overdue(item, lang)}" if item.overdue_days else "")
             + (f" – {_t('owner', lang).lower()}: {item.owner_name or _t('no_owner', lang)}" if item.id in others
                else ""))
            for item in items]


def number_label(activity_id: int, lang: str) -> str:
    """"nr 12": an activity's number, as every listing shows it and "aktivitet 12" names it."""
    return _t("number", lang, number=activity_id)


def status_answers(lang: str) -> list[tuple[str, str]]:
    return [(label(s, lang), label(s, lang)) for s in (PAGAR, KLAR, PAUSAD, EJ_PABORJAD)]


