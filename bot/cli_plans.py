"""``tavla import handlingsplaner FILE``, ``tavla roles grant PERSON ROLL ENHET``, ``tavla export audit``.

- The import validates the whole file and writes nothing when a row is wrong (``storage/import_plans.py``).
- ``roles grant`` gives a person a role in an org unit (what a chef or admin may then do is decided by
  ``followup/activities.py``); logged in the admin log.
- ``export audit --from 2018-01-01 --to 2018-05-31`` writes every logged change to handlingsplaner in
  those days (Europe/Stockholm, both days included) as CSV for Excel (``;``, UTF-8 with BOM) — the
  update log is an allmän handling and must be possible to hand out. The export itself is logged.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import CliError, Subcommands, group, open_store

if TYPE_CHECKING:
    from settings import Settings


def register(commands: Subcommands) -> None:
    importing = group(commands, "import", help="läs in filer (Excel eller CSV)")
    plans = importing.add_parser(
        "handlingsplaner", help="handlingsplaner och aktiviteter från Excel eller CSV",
        description="Läser handlingsplaner: en rad per aktivitet med kolumnerna enhet, verksamhetsmål, aktivitet "
                    "och gärna ansvarig, start, klart, status, procent, beskrivning, år (och överordnat mål för "
                    "ett verksamhetsmål som inte finns än). Hela filen kontrolleras först; finns fel importeras "
                    "inget. Samma fil två gånger ändrar ingenting.")
    plans.add_argument("file", metavar="FIL", type=Path, help="Excel- (.xlsx) eller CSV-fil")
    plans.add_argument("--skip-invalid", action="store_true", help="importera de giltiga raderna och hoppa över fel")
    plans.add_argument("--blad", dest="sheet", metavar="BLAD", help="Excel-bladet att läsa (standard det första)")
    plans.add_argument("--av", dest="by", metavar="PERSON",
                       help="vem som importerar (e-post, AAD-id eller namn) – står i loggen")
    plans.set_defaults(run=run_import)

    roles = group(commands, "roles", help="roller och behörigheter")
    grant = roles.add_parser(
        "grant", help="ge en person en roll i en enhet eller ett verksamhetsområde",
        description="Ger PERSON (e-post, AAD-objekt-id eller hela namnet) rollen ROLL i ENHET (kod eller namn). "
                    "Roller: medarbetare, chef, controller, ekonom, hr, admin. En chef för ett "
                    "verksamhetsområde är chef för alla enheter under det.")
    grant.add_argument("person", metavar="PERSON")
    grant.add_argument("role", metavar="ROLL")
    grant.add_argument("unit", metavar="ENHET")
    grant.add_argument("--av", dest="by", metavar="PERSON", help="vem som ger rollen (står i loggen)")
    grant.set_defaults(run=run_grant)

    export = group(commands, "export", help="exportera data")
    audit = export.add_parser(
        "audit", help="ändringsloggen för handlingsplaner som CSV",
        description="Skriver alla loggade ändringar av aktiviteter från och med --from till och med --to "
                    "(datum i svensk tid) som CSV (semikolon, UTF-8 med BOM, öppnas direkt i Excel).")
    audit.add_argument("--from", dest="start", required=True, metavar="DATUM", help="första dagen, t.ex. 2018-01-01")
    audit.add_argument("--to", dest="end", required=True, metavar="DATUM", help="sista dagen, t.ex. 2018-05-31")
    audit.add_argument("--out", metavar="FIL", type=Path, help="filen att skriva (standard: skärmen)")
    audit.set_defaults(run=run_audit)


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{flag}: ”{text}” är inget datum (skriv ÅÅÅÅ-MM-DD, t.ex. 2018-05-31)") from None


async def _person_id(session: object, ref: str | None) -> int | None:
    if not ref:
        return None
    from storage import plans

    person = await plans.find_person(session, ref)  # type: ignore[arg-type]
    if person is None:
        raise CliError(f"hittar ingen (eller flera) personer som heter eller har id ”{ref}”")
    return person.id


async def run_import(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage.import_plans import import_plans

    clock = Clock(settings.as_of)
    async with open_store(settings) as store:
        async with store.session() as session:
            by = await _person_id(session, args.by)
        report = await import_plans(store, args.file, at=clock.utcnow(), today=clock.today(),
                                    skip_invalid=args.skip_invalid, imported_by_id=by, sheet=args.sheet)
    for line in report.lines():
        print(line)
    return 0 if report.written or not report.problems else 1


async def run_grant(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage import plans

    clock = Clock(settings.as_of)
    async with open_store(settings) as store:
        async with store.session() as session:
            by = await _person_id(session, args.by)
            try:
                person, unit, newly = await plans.grant_role(session, args.person, args.unit, args.role.strip().lower(),
                                                             year=clock.today().year, granted_by_id=by,
                                                             at=clock.utcnow())
            except plans.RoleError as exc:
                raise CliError(str(exc)) from None
    print(f"{person.name} är nu {args.role.strip().lower()} i {unit.name}." if newly
          else f"{person.name} hade redan rollen {args.role.strip().lower()} i {unit.name}.")
    return 0


async def run_audit(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage import plans
    from storage.models import AdminLog

    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    if last < first:
        raise CliError("--to ligger före --from")
    clock = Clock(settings.as_of)
    start = datetime.combine(first, time(0), tzinfo=clock.tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=clock.tz)
    async with open_store(settings) as store:
        async with store.session() as session:
            rows = await plans.audit_rows(session, start, end)
        if args.out:
            try:
                with args.out.open("w", encoding="utf-8-sig", newline="") as fh:
                    plans.write_audit_csv(rows, fh)
            except OSError as exc:
                raise CliError(f"kunde inte skriva {args.out}: {exc.strerror or exc}") from None
        else:
            plans.write_audit_csv(rows, sys.stdout)
        async with store.session() as session:  # who exported what is itself on record
            session.add(AdminLog(at=clock.utcnow(), action="export_audit",
                                 detail={"from": first.isoformat(), "to": last.isoformat(), "rows": len(rows),
                                         "file": str(args.out) if args.out else None}))
    if args.out:
        print(f"{len(rows)} ändringar {first}–{last} skrivna till {args.out}.", file=sys.stderr)
    return 0
