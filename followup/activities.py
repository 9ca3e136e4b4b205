"""Pure rules for handlingsplan activities: status words, progress, "försenad", and who may do what.

Decisions (documented here, tested in tests/followup/test_activity_rules.py):

* Status is one of Idé / Ej påbörjad / Pågår / Klar / Pausad (stored ``ide``/``ej_paborjad``/``pagar``/
  ``klar``/``pausad``). "Försenad" is never stored or typed: it is derived from the deadline and the
  clock — an activity is försenad when its deadline has passed and it is Ej påbörjad, Pågår or Pausad
  (an Idé is not yet a commitment; a Klar one is done).
* Progress and status agree: **Klar ⇔ 100 %**. Klar sets 100 %; reporting 100 % alone sets Klar; Idé and
  Ej påbörjad mean 0 %. Reporting 1–99 % alone on an Idé/Ej påbörjad/Klar activity makes it Pågår (work is
  under way); on Pågår/Pausad it keeps the status. Contradictions ("klar 60 %", "ej påbörjad 40 %",
  "pågår 100 %") are refused with a message that says how to write it — never silently "fixed". Reopening a
  Klar activity as Pågår/Pausad needs a new % (0–99), since 100 % would say it is still done.
* Permissions (the AAD object id identifies the person; the roles come from the store):
  - anyone may *view* any unit's plan and board (handlingsplaner are public in the organisation);
  - a **medarbetare** of an enhet may update (status, %, comment) the activities of that enhet, and propose
    ideas ("nytt förslag") there; the **owner** of an activity may always update it;
  - a medarbetare may mark Klar only activities they own — closing someone else's, prioritising an Idé
    into work, creating activities, reassigning (owner, deadline, title), linking a channel and starting a
    tavelmöte are for a **chef** of the enhet or of any unit above it (verksamhetsområde, förvaltning);
  - an **admin** may do everything, including granting roles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from followup.errors import Forbidden, UserError

# --- Statuses -------------------------------------------------------------------------------

IDE, EJ_PABORJAD, PAGAR, KLAR, PAUSAD = "ide", "ej_paborjad", "pagar", "klar", "pausad"
STATUSES: tuple[str, ...] = (IDE, EJ_PABORJAD, PAGAR, KLAR, PAUSAD)  # = storage.models.ACTIVITY_STATUSES

LABELS: dict[str, dict[str, str]] = {
    IDE: {"sv": "Idé", "en": "Idea"},
    EJ_PABORJAD: {"sv": "Ej påbörjad", "en": "Not started"},
    PAGAR: {"sv": "Pågår", "en": "In progress"},
    KLAR: {"sv": "Klar", "en": "Done"},
    PAUSAD: {"sv": "Pausad", "en": "Paused"},
}
OVERDUE_LABEL = {"sv": "Försenad", "en": "Overdue"}

# The board's columns, in the order of the tavelmöte: ideas → to do → in progress → done.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ideer", (IDE,)),
    ("att_gora", (EJ_PABORJAD, PAUSAD)),
    ("pagar", (PAGAR,)),
    ("klart", (KLAR,)),
)
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "ideer": {"sv": "Idéer", "en": "Ideas"},
    "att_gora": {"sv": "Att göra", "en": "To do"},
    "pagar": {"sv": "Pågår", "en": "In progress"},
    "klart": {"sv": "Klart", "en": "Done"},
}
OPEN_STATUSES = frozenset({EJ_PABORJAD, PAGAR, PAUSAD})  # committed and not done: can be försenad


def label(status: str, lang: str = "sv") -> str:
    entry = LABELS.get(status)
    if entry is None:
        return status
    return entry.get(lang, entry["sv"])


def column_of(status: str) -> str:
    return next(col for col, statuses in COLUMNS if status in statuses)


def _fold(text: str) -> str:
    return text.lower().translate(str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e"}))


# Status words people write, folded (å/ä/ö → a/a/o), longest and negated forms first so that
# "inte påbörjad" is not read as "påbörjad".
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("ej paborjad", EJ_PABORJAD), ("ej paborjat", EJ_PABORJAD), ("inte paborjad", EJ_PABORJAD),
    ("inte paborjat", EJ_PABORJAD), ("inte borjat", EJ_PABORJAD), ("ej startad", EJ_PABORJAD),
    ("inte startad", EJ_PABORJAD), ("inte startat", EJ_PABORJAD), ("ej borjad", EJ_PABORJAD),
    ("not started", EJ_PABORJAD), ("att gora", EJ_PABORJAD),
    ("pa is", PAUSAD), ("on hold", PAUSAD), ("pausad", PAUSAD), ("pausat", PAUSAD), ("pausade", PAUSAD),
    ("vilande", PAUSAD), ("paused", PAUSAD), ("paus", PAUSAD),
    ("klar med", KLAR), ("klart med", KLAR), ("fardig med", KLAR), ("klar", KLAR), ("klart", KLAR),
    ("klara", KLAR), ("fardig", KLAR), ("fardigt", KLAR), ("avklarad", KLAR), ("avklarat", KLAR),
    ("slutford", KLAR), ("slutfort", KLAR), ("genomford", KLAR), ("genomfort", KLAR), ("done", KLAR),
    ("finished", KLAR), ("completed", KLAR), ("complete", KLAR),
    ("pagar", PAGAR), ("paborjad", PAGAR), ("paborjat", PAGAR), ("har borjat", PAGAR), ("startad", PAGAR),
    ("startat", PAGAR), ("igang", PAGAR), ("i gang", PAGAR), ("in progress", PAGAR), ("ongoing", PAGAR),
    ("started", PAGAR),
    ("ide", IDE), ("idea", IDE),
)
_STATUS_RES = tuple((re.compile(rf"(?<!\w){re.escape(w)}(?!\w)"), s) for w, s in STATUS_WORDS)


def find_status(text: str) -> tuple[str, int, int] | None:
    """The first status word in ``text`` (any case, å/ä/ö or not): ``(status, start, end)`` in the folded text."""
    folded = _fold(text)
    best: tuple[str, int, int] | None = None
    for pattern, status in _STATUS_RES:
        match = pattern.search(folded)
        if match and (best is None or match.start() < best[1]
                      or (match.start() == best[1] and match.end() > best[2])):
            best = (status, match.start(), match.end())
    return best


def parse_status(text: str) -> str | None:
    """A status code from a word or a code: "Pågår", "pagar", "klart", "Not started" → code; None otherwise."""
    value = (text or "").strip()
    if value in STATUSES:
        return value
    folded = _fold(value)
    for code, names in LABELS.items():
        if folded in (_fold(names["sv"]), _fold(names["en"])):
            return code
    found = find_status(value)
    # Only a whole answer that *is* a status word: "pågår" yes, "det pågår nog snart" no.
    if found and found[1] == 0 and found[2] == len(folded.rstrip(" .!")):
        return found[0]
    return None


# --- Progress and status --------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: str
    progress: int


def parse_progress(value: object) -> int:
    """A whole percentage 0–100 from card input or text ("60", "60 %", 60); ``UserError`` otherwise."""
    if isinstance(value, bool) or value is None:
        raise UserError("Ange hur långt aktiviteten har kommit som ett heltal 0–100 %.",
                        "Give the progress as a whole number 0–100 %.")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, (float, Decimal)):
        number = Decimal(str(value))
    elif isinstance(value, str):
        raw = re.sub(r"\s*(?:%|procent|percent)$", "", value.strip().lower()).replace(",", ".").replace("\u00a0", "")
        try:
            number = Decimal(raw)
        except ArithmeticError:
            number = Decimal("NaN")
        if raw == "":
            number = Decimal("NaN")
    else:
        number = Decimal("NaN")
    if number.is_nan() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise UserError("Ange hur långt aktiviteten har kommit som ett heltal 0–100 %.",
                        "Give the progress as a whole number 0–100 %.")
    return int(number)


def next_state(current: State, status: str | None = None, progress: int | None = None) -> State:
    """The status and progress after a report (rules in the module docstring); ``UserError`` on a contradiction."""
    if status is not None and status not in STATUSES:
        raise UserError(f"Okänd status: {status}.", f"Unknown status: {status}.")
    if progress is not None and not 0 <= progress <= 100:
        raise UserError("Procent ska vara mellan 0 och 100.", "Progress must be between 0 and 100.")
    if status is None and progress is None:
        return current
    if status is None:
        assert progress is not None
        if progress == 100:
            return State(KLAR, 100)
        if current.status in (IDE, EJ_PABORJAD) and progress > 0:
            return State(PAGAR, progress)
        if current.status == KLAR:
            return State(PAGAR, progress)
        return State(current.status, progress)
    if status == KLAR:
        if progress is not None and progress != 100:
            raise UserError(f"Klar betyder 100 %, men du skrev {progress} %. Skriv ”klar” eller ”pågår {progress} %”.",
                            f"Done means 100 %, but you wrote {progress} %. Write “done” or “in progress {progress} %”.")
        return State(KLAR, 100)
    if status in (IDE, EJ_PABORJAD):
        if progress:
            raise UserError(f"{label(status)} betyder 0 %. Skriv ”pågår {progress} %” om arbetet har börjat.",
                            f"{label(status, 'en')} means 0 %. Write “in progress {progress} %” if work has started.")
        return State(status, 0)
    # Pågår or Pausad
    if progress == 100:
        raise UserError("100 % betyder att aktiviteten är klar. Skriv ”klar”, eller ange en lägre procent.",
                        "100 % means the activity is done. Write “done”, or give a lower percentage.")
    if progress is None:
        if current.status == KLAR:
            raise UserError(f"Aktiviteten är klar (100 %). Ange hur långt den har kommit om den öppnas igen, "
                            f"t.ex. ”{label(status).lower()} 80 %”.",
                            f"The activity is done (100 %). Give its progress to reopen it, e.g. "
                            f"“{label(status, 'en').lower()} 80 %”.")
        return State(status, current.progress)
    return State(status, progress)


# --- Försenad and meetings ------------------------------------------------------------------


def is_overdue(status: str, deadline: date | None, today: date) -> bool:
    """Försenad: the deadline has passed and the activity is committed but not done."""
    return deadline is not None and deadline < today and status in OPEN_STATUSES


def days_overdue(status: str, deadline: date | None, today: date) -> int:
    return (today - deadline).days if deadline is not None and is_overdue(status, deadline, today) else 0


def reference_meeting(held: Iterable[datetime], now: datetime, tz: ZoneInfo) -> datetime | None:
    """The meeting "since the last meeting" counts from: the latest one held before today (local date).

    A meeting started today is the one going on now; what changed during it should still show as new.
    """
    today = now.astimezone(tz).date()
    earlier = [h for h in held if h.astimezone(tz).date() < today]
    return max(earlier) if earlier else None


# --- Permissions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts: the person (None = not registered) and their (role, org unit id) memberships."""

    person_id: int | None
    roles: frozenset[tuple[str, int]] = frozenset()

    @property
    def known(self) -> bool:
        return self.person_id is not None

    @property
    def is_admin(self) -> bool:
        return any(role == "admin" for role, _ in self.roles)

    def is_chef_for(self, unit_path: Sequence[int]) -> bool:
        """Chef of the unit or of any unit above it (``unit_path`` = the unit first, then its ancestors)."""
        return any(role == "chef" and unit in unit_path for role, unit in self.roles)

    def is_member_of(self, unit_id: int) -> bool:
        return any(role in ("medarbetare", "chef") and unit == unit_id for role, unit in self.roles)

    def can_lead(self, unit_path: Sequence[int]) -> bool:
        return self.is_admin or self.is_chef_for(unit_path)

    def can_contribute(self, unit_path: Sequence[int]) -> bool:
        return self.can_lead(unit_path) or (bool(unit_path) and self.is_member_of(unit_path[0]))


@dataclass(frozen=True)
class Target:
    """The activity acted on: its enhet and the units above it, owner and current status."""

    unit_path: tuple[int, ...]
    unit_name: str
    owner_id: int | None
    status: str


def _need_known(actor: Actor) -> None:
    if not actor.known:
        raise Forbidden("Du finns inte registrerad i Tavla än. Be din chef eller Tavlas administratör att lägga "
                        "till dig, så kan du rapportera på enhetens aktiviteter.",
                        "You are not registered in Tavla yet. Ask your manager or Tavla's administrator to add you.")


def check_update(actor: Actor, target: Target, new_status: str | None) -> None:
    """May ``actor`` change status/progress/comment of ``target`` (to ``new_status``)? ``Forbidden`` if not."""
    _need_known(actor)
    leads = actor.can_lead(target.unit_path)
    owns = target.owner_id is not None and target.owner_id == actor.person_id
    if not (leads or owns or actor.is_member_of(target.unit_path[0])):
        raise Forbidden(f"Bara medarbetare i {target.unit_name}, enhetens chef eller en administratör kan "
                        f"uppdatera den här aktiviteten. Alla kan däremot se tavlan.",
                        f"Only staff of {target.unit_name}, its manager or an administrator can update this "
                        f"activity. Anyone can view the board.")
    if leads:
        return
    if target.status == IDE and new_status not in (None, IDE):
        raise Forbidden(f"En idé prioriteras av chefen för {target.unit_name} på tavelmötet.",
                        f"An idea is prioritised by the manager of {target.unit_name} at the board meeting.")
    if new_status == KLAR and target.status != KLAR and not owns:
        raise Forbidden(f"Bara ansvarig för aktiviteten eller chefen för {target.unit_name} kan markera den som klar.",
                        f"Only the activity's owner or the manager of {target.unit_name} can mark it done.")


def check_lead(actor: Actor, unit_path: Sequence[int], unit_name: str, what_sv: str, what_en: str) -> None:
    """Chef (of the unit or above) or admin: create, reassign, link a channel, start a tavelmöte."""
    _need_known(actor)
    if not actor.can_lead(unit_path):
        raise Forbidden(f"Bara chefen för {unit_name} (eller en administratör) kan {what_sv}.",
                        f"Only the manager of {unit_name} (or an administrator) can {what_en}.")


def check_propose(actor: Actor, unit_path: Sequence[int], unit_name: str) -> None:
    """Anyone who belongs to the enhet (or leads it) may put an idea on its board."""
    _need_known(actor)
    if not actor.can_contribute(unit_path):
        raise Forbidden(f"Bara medarbetare i {unit_name} och enhetens chef kan lägga förslag på dess tavla.",
                        f"Only staff of {unit_name} and its manager can add ideas to its board.")


def check_admin(actor: Actor) -> None:
    _need_known(actor)
    if not actor.is_admin:
        raise Forbidden("Bara Tavlas administratörer kan ge roller.", "Only Tavla's administrators can grant roles.")
