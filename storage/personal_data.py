"""Personal data: a register extract for one person (GDPR art. 15) and gallring by rule.

**Register extract** (``tavla export person PERSON``): everything Tavla stores about one person — the
person row, roles (and who gave them), activities they own, every change they logged, indicator values
and prognoses they entered, files they imported, admin-log entries by or about them, their personal chat
with Tavla (conversation, subscriptions, reminders, dialog state, pending file imports) and tavelmöten
they started. The export itself is logged.

**Gallring** (``tavla gallra --before DATE --kind …``): thinning by rule, one rule per ``kind`` — each
rule names exactly the rows it may touch, and nothing else is ever touched. Every run is logged in the
admin log (never thinned: it is the record that thinning happened).

| kind | what goes | why it may go |
|---|---|---|
| ``dialogtillstand`` | bot-state rows of botbuilder's conversation/user state (keys ``…/conversations/…``) last written before the date | working memory of a dialog, no record value |
| ``vantande-importer`` | files sent in chat and waiting for "Importera" (or done), written before the date | a copy of a file that is either imported (the data is stored) or abandoned |
| ``sammanfattningskorningar`` | ``digest_run`` rows claimed before the date, finished (sent/failed/skipped/uncertain) | delivery bookkeeping; in-flight (claimed) rows are kept |
| ``paminnelsekorningar`` | ``reminder_run`` rows for meetings before the date | delivery bookkeeping |
| ``importsammanfattningar`` | the ``summary`` of ``import_batch`` rows imported before the date (the row — who, when, file, rows, checksum — stays) | the detailed report of a finished import |
| ``aktivitetsloggar`` | ``activity_update`` rows before the date | **allmänna handlingar**: only when the kommun's dokumenthanteringsplan says so — opt-in, and the decision must be named (``--enligt``) |
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from followup.errors import UserError
from storage.models import (
    Activity,
    ActivityUpdate,
    ActionPlan,
    AdminLog,
    BoardMeeting,
    BotState,
    BudgetLine,
    BudgetPrognosis,
    Conversation,
    DigestRun,
    DigestSubscription,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Membership,
    OrgUnit,
    Person,
    ReminderRun,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PENDING_PREFIX = "tavla:pending-import:"  # storage.files keeps files waiting for "Importera" under this prefix
DIALOG_MARK = "/conversations/"  # botbuilder's conversation and private-conversation state keys
PERSON_ACTIONS = ("grant_role", "revoke_role", "deactivate_person", "link_person", "export_person")


# --- Register extract ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-friendly: dates as ISO text, Decimal as text (exact), nested dicts/lists walked."""
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


async def find_person(session: AsyncSession, ref: str) -> Person:
    """A person (active or not) by id (``#12`` or ``12``), AAD object id, UPN or exact name; ``UserError``."""
    text = ref.strip()
    digits = text.lstrip("#")
    if digits.isdigit():
        person = await session.get(Person, int(digits))
        if person is None:
            raise UserError(f"Ingen person har id {digits}.")
        return person
    rows = (await session.execute(select(Person).where(or_(
        func.lower(Person.aad_object_id) == text.lower(), func.lower(Person.upn) == text.lower(),
        func.lower(Person.name) == text.lower())))).scalars().all()
    if not rows:
        raise UserError(f"Hittar ingen person som heter eller har id ”{text}”.")
    if len(rows) > 1:
        raise UserError(f"”{text}” passar {len(rows)} personer (id {', '.join(str(p.id) for p in rows)}) – ange "
                        "AAD-id, e-post eller #id.")
    return rows[0]


async def register_extract(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything stored about ``person``, as one JSON-friendly document with Swedish section names."""
    pid = person.id
    granter = aliased(Person, name="granter")
    memberships = (await session.execute(
        select(Membership, OrgUnit.name, granter.name).join(OrgUnit, OrgUnit.id == Membership.org_unit_id)
        .outerjoin(granter, granter.id == Membership.granted_by_id).where(Membership.person_id == pid)
        .order_by(Membership.id))).all()
    owned = (await session.execute(
        select(Activity, ActionPlan.year, OrgUnit.name).join(ActionPlan, ActionPlan.id == Activity.plan_id)
        .join(OrgUnit, OrgUnit.id == ActionPlan.org_unit_id).where(Activity.owner_id == pid).order_by(Activity.id))).all()
    updates = (await session.execute(
        select(ActivityUpdate, Activity.title).join(Activity, Activity.id == ActivityUpdate.activity_id)
        .where(ActivityUpdate.person_id == pid).order_by(ActivityUpdate.at, ActivityUpdate.id))).all()
    values = (await session.execute(
        select(IndicatorValue, Indicator.name, OrgUnit.name).join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .join(OrgUnit, OrgUnit.id == IndicatorValue.org_unit_id).where(IndicatorValue.recorded_by_id == pid)
        .order_by(IndicatorValue.id))).all()
    prognoses = (await session.execute(
        select(BudgetPrognosis, BudgetLine.verksamhet).join(BudgetLine, BudgetLine.id == BudgetPrognosis.budget_line_id)
        .where(BudgetPrognosis.entered_by_id == pid).order_by(BudgetPrognosis.id))).all()
    imports = (await session.execute(select(ImportBatch).where(ImportBatch.imported_by_id == pid)
                                     .order_by(ImportBatch.id))).scalars().all()
    logs = (await session.execute(select(AdminLog).where(or_(
        AdminLog.person_id == pid, AdminLog.action.in_(PERSON_ACTIONS))).order_by(AdminLog.id))).scalars().all()
    logs = [log for log in logs if log.person_id == pid or (log.detail or {}).get("person_id") == pid]
    meetings = (await session.execute(
        select(BoardMeeting, OrgUnit.name).join(OrgUnit, OrgUnit.id == BoardMeeting.org_unit_id)
        .where(BoardMeeting.started_by_id == pid).order_by(BoardMeeting.id))).all()
    conversations = (await session.execute(select(Conversation).where(Conversation.person_id == pid)
                                           .order_by(Conversation.id))).scalars().all()
    if person.aad_object_id:
        personal = (await session.execute(select(Conversation).where(
            Conversation.conversation_type == "personal", Conversation.person_id.is_(None)))).scalars().all()
        conversations += [c for c in personal
                          if ((c.reference or {}).get("user") or {}).get("aad_object_id") == person.aad_object_id
                          or ((c.reference or {}).get("user") or {}).get("aadObjectId") == person.aad_object_id]
    conversation_pks = [c.id for c in conversations]
    subscriptions = (await session.execute(select(DigestSubscription).where(or_(
        DigestSubscription.created_by_id == pid, DigestSubscription.conversation_pk.in_(conversation_pks or [-1])))
    )).scalars().all()
    reminders = (await session.execute(select(ReminderRun).where(ReminderRun.person_id == pid)
                                       .order_by(ReminderRun.id))).scalars().all()
    state_rows = (await session.execute(select(BotState).where(or_(
        BotState.key.like(f"{PENDING_PREFIX}%"),
        *[BotState.key.like(f"%{_like(c.conversation_id)}%", escape="\\") for c in conversations])))).scalars().all()
    states = []
    for row in state_rows:
        document = dict(row.document or {})
        if row.key.startswith(PENDING_PREFIX) and document.get("person_id") != pid:
            continue
        if "data" in document:  # the file itself: its size, not its bytes
            document["data"] = f"<fil, {len(base64.b64decode(document['data'] or ''))} byte>"
        states.append({"nyckel": row.key, "senast_skriven": row.updated_at, "innehåll": document})
    extract = {
        "person": {"id": person.id, "namn": person.name, "e_post": person.upn, "aad_objekt_id": person.aad_object_id,
                   "aktiv": person.active, "språk": person.locale, "påminnelser_avstängda": person.reminders_opt_out,
                   "exempeldata": person.is_demo, "skapad": person.created_at},
        "roller": [{"roll": m.role, "enhet": unit, "aktiv": m.active, "given": m.granted_at, "given_av": by}
                   for m, unit, by in memberships],
        "ansvarig_för_aktiviteter": [
            {"id": a.id, "titel": a.title, "enhet": unit, "år": year, "status": a.status, "procent": a.progress,
             "klart_senast": a.deadline, "beskrivning": a.description} for a, year, unit in owned],
        "ändringar_i_handlingsplaner": [
            {"tid": u.at, "aktivitet_id": u.activity_id, "aktivitet": title, "via": u.via, "version": u.version,
             "före": u.old, "efter": u.new, "kommentar": u.comment} for u, title in updates],
        "registrerade_indikatorvärden": [
            {"indikator": name, "enhet": unit, "period": v.period, "värde": v.value, "tid": v.recorded_at,
             "via": v.via, "anteckning": v.note} for v, name, unit in values],
        "helårsprognoser": [{"verksamhet": line, "år": p.year, "belopp_tkr": p.amount, "anteckning": p.note,
                             "tid": p.entered_at, "via": p.via} for p, line in prognoses],
        "importerade_filer": [{"id": b.id, "typ": b.kind, "fil": b.file_name, "tid": b.imported_at, "rader": b.rows,
                               "via": b.via} for b in imports],
        "adminlogg": [{"tid": log.at, "händelse": log.action, "av_personen": log.person_id == pid,
                       "detaljer": log.detail} for log in logs],
        "tavelmöten_startade": [{"enhet": unit, "tid": m.held_at} for m, unit in meetings],
        "chattar_med_tavla": [{"konversation": c.conversation_id, "typ": c.conversation_type, "skapad": c.created_at,
                               "installerad": c.installed} for c in conversations],
        "veckosammanfattningar": [{"id": s.id, "veckodag": s.weekday, "tid": s.send_time, "aktiv": s.active,
                                   "skapad": s.created_at} for s in subscriptions],
        "påminnelser": [{"enhet_id": r.org_unit_id, "möte": r.meeting_date, "tillstånd": r.state} for r in reminders],
        "sparat_tillstånd": states,
    }
    return _plain(extract)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def log_extract(session: AsyncSession, person: Person, *, by_id: int | None, at: datetime,
                      sections: dict[str, Any], target: str | None) -> None:
    counts = {k: len(v) for k, v in sections.items() if isinstance(v, list)}
    session.add(AdminLog(at=at, person_id=by_id, action="export_person",
                         detail={"person_id": person.id, "counts": counts, "file": target}))
    await session.flush()


# --- Gallring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str
    label: str  # Swedish, for the report
    allman_handling: bool = False  # needs the dokumenthanteringsplan's decision named


RULES: dict[str, Rule] = {rule.kind: rule for rule in (
    Rule("dialogtillstand", "dialogtillstånd (botbuilders samtalsminne)"),
    Rule("vantande-importer", "filer skickade i chatten (väntande eller avslutade importer)"),
    Rule("sammanfattningskorningar", "körningar av veckosammanfattningen"),
    Rule("paminnelsekorningar", "körningar av påminnelser före tavelmöten"),
    Rule("importsammanfattningar", "detaljerade rapporter för avslutade importer (raden om vem/när/fil finns kvar)"),
    Rule("aktivitetsloggar", "ändringsloggen för handlingsplaner (allmän handling)", allman_handling=True),
)}


@dataclass(frozen=True)
class Thinned:
    kind: str
    label: str
    count: int


def start_of(day: date) -> datetime:
    """Midnight (Europe/Stockholm) starting ``day``: everything before it is 'before the date'."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM)


async def gallra(session: AsyncSession, kinds: Sequence[str], before: date, *, by_id: int | None, at: datetime,
                 reference: str | None = None, dry_run: bool = False) -> list[Thinned]:
    """Apply the named rules to what is older than ``before``; returns what went (or would go). Logged."""
    unknown = [k for k in kinds if k not in RULES]
    if unknown or not kinds:
        raise UserError(f"Okänd gallringsregel: {', '.join(unknown) or '(ingen angiven)'}. Regler: "
                        f"{', '.join(RULES)}.")
    if before > at.astimezone(STOCKHOLM).date():
        raise UserError("Datumet ligger i framtiden – gallring gäller bara det som redan är äldre.")
    needs = [k for k in kinds if RULES[k].allman_handling]
    if needs and not (reference and reference.strip()):
        raise UserError(f"{', '.join(needs)} är allmänna handlingar: de gallras bara när kommunens "
                        "dokumenthanteringsplan säger det. Ange beslutet med --enligt (t.ex. "
                        "”Dokumenthanteringsplan KS 2019/123, punkt 4.2”).")
    cutoff = start_of(before)
    out: list[Thinned] = []
    for kind in dict.fromkeys(kinds):
        count = await _apply(session, kind, cutoff, before, dry_run)
        out.append(Thinned(kind, RULES[kind].label, count))
    if not dry_run:
        session.add(AdminLog(at=at, person_id=by_id, action="gallring", detail={
            "before": before.isoformat(), "kinds": {t.kind: t.count for t in out},
            "reference": reference.strip() if reference else None}))
        await session.flush()
    return out


async def _apply(session: AsyncSession, kind: str, cutoff: datetime, before: date, dry_run: bool) -> int:
    if kind == "dialogtillstand":
        where = and_(BotState.key.like(f"%{DIALOG_MARK}%"), ~BotState.key.like(f"{PENDING_PREFIX}%"),
                     BotState.updated_at < cutoff)
        return await _delete(session, BotState, where, dry_run, BotState.key)
    if kind == "vantande-importer":
        where = and_(BotState.key.like(f"{PENDING_PREFIX}%"), BotState.updated_at < cutoff)
        return await _delete(session, BotState, where, dry_run, BotState.key)
    if kind == "sammanfattningskorningar":
        where = and_(DigestRun.claimed_at < cutoff, DigestRun.state != "claimed")
        return await _delete(session, DigestRun, where, dry_run, DigestRun.id)
    if kind == "paminnelsekorningar":
        where = and_(ReminderRun.meeting_date < before, ReminderRun.state != "claimed")
        return await _delete(session, ReminderRun, where, dry_run, ReminderRun.id)
    if kind == "importsammanfattningar":
        rows = (await session.execute(select(ImportBatch.id, ImportBatch.summary).where(
            ImportBatch.imported_at < cutoff))).all()
        ids = [i for i, summary in rows if summary and set(summary) != {"gallrad"}]
        if ids and not dry_run:
            await session.execute(update(ImportBatch).where(ImportBatch.id.in_(ids))
                                  .values(summary={"gallrad": before.isoformat()})
                                  .execution_options(synchronize_session=False))
        return len(ids)
    if kind == "aktivitetsloggar":
        return await _delete(session, ActivityUpdate, ActivityUpdate.at < cutoff, dry_run, ActivityUpdate.id)
    raise AssertionError(kind)  # pragma: no cover - gallra() checks the kinds


async def _delete(session: AsyncSession, model: Any, where: Any, dry_run: bool, counted: Any) -> int:
    count = (await session.execute(select(func.count(counted)).where(where))).scalar_one()
    if count and not dry_run:
        await session.execute(delete(model).where(where).execution_options(synchronize_session=False))
    return int(count)


__all__ = ["RULES", "Rule", "Thinned", "find_person", "gallra", "log_extract", "register_extract"]
