"""``tavla import org|people|goals|targets FIL``, ``tavla export person PERSON``, ``tavla gallra``.

- The imports (``storage/import_org.py``, ``import_people.py``, ``import_goals.py``, ``import_targets.py``)
  validate the whole file and write nothing when a row is wrong; ``--kontrollera`` only checks. Exit code
  0 when written (or checked without errors), 1 otherwise.
- ``export person`` writes the register extract (everything stored about one person) as JSON; logged.
- ``gallra --before DATUM --kind REGEL …`` thins by rule (``storage/personal_data.py``: each rule names
  exactly what it may remove); ``--prova`` counts without removing; activity logs (allmänna handlingar)
  need ``--enligt`` naming the dokumenthanteringsplan's decision. Logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CliError, Subcommands, group, open_store

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Store

EXIT_OK, EXIT_PROBLEMS = 0, 1

IMPORTS: dict[str, tuple[str, str, str]] = {
    # name: (module, function, help)
    "org": ("storage.import_org", "import_org",
            "organisationen: enheter med kod, namn, typ, överordnad och giltighetsår (byten av namn och "
            "sammanslagningar behåller historiken)"),
    "people": ("storage.import_people", "import_people",
               "personer (AAD-objekt-id och/eller e-post, namn) och deras roller i enheter"),
    "goals": ("storage.import_goals", "import_goals",
              "verksamhetsmål per verksamhetsområde och år, kopplade till förvaltningsmål, resultatmål eller "
              "prioriteringar"),
    "targets": ("storage.import_targets", "import_targets",
                "målnivåer för indikatorer (nya år; tidigare år lämnas orörda)"),
}
DESCRIPTIONS = {
    "org": "Kolumner: kod, namn (krävs), typ, överordnad, giltig från, giltig till, ersätts av, synonymer, "
           "beskrivning. Samma kod med ett senare ”giltig från” är ett namnbyte: den tidigare versionen avslutas "
           "året före. Enheter som inte finns i filen lämnas orörda.",
    "people": "Kolumner: aad och/eller e-post, namn, enhet, roll (medarbetare, chef, controller, ekonom, hr, "
              "admin). En rad per person och enhet. Med --hela är filen hela personalen: de som saknas inaktiveras "
              "(de tas aldrig bort; administratörer och exempeldata berörs inte).",
    "goals": "Kolumner: verksamhetsområde, verksamhetsmål, överordnat mål (krävs), år, kod, beskrivning, ordning.",
    "targets": "Kolumner: indikator, år, målnivå (eller lägst/högst), eller en kolumn per år (”Målnivå 2019”). "
               "Tidigare års målnivåer ändras aldrig.",
}


def register(commands: Subcommands) -> None:
    importing = group(commands, "import", help="läs in filer (Excel eller CSV)")
    for name, (_, _, text) in IMPORTS.items():
        parser = importing.add_parser(name, help=text, description=f"Läser in {text}. {DESCRIPTIONS[name]} "
                                      "Hela filen kontrolleras först; finns ett fel skrivs ingenting. Samma fil två "
                                      "gånger ändrar ingenting.")
        parser.add_argument("file", metavar="FIL", type=Path, help="Excel- (.xlsx) eller CSV-fil")
        parser.add_argument("--kontrollera", dest="dry_run", action="store_true", help="kontrollera bara, skriv inget")
        parser.add_argument("--blad", dest="sheet", metavar="BLAD", help="Excel-bladet att läsa (standard det första)")
        parser.add_argument("--av", dest="by", metavar="PERSON",
                            help="vem som läser in (e-post, AAD-id eller namn) – står i loggen")
        if name == "people":
            parser.add_argument("--hela", dest="full", action="store_true",
                                help="filen är hela personalen: inaktivera personer och roller som inte finns i den")
        parser.set_defaults(run=run_import, import_kind=name)

    export = group(commands, "export", help="exportera data")
    person = export.add_parser(
        "person", help="registerutdrag: allt Tavla sparar om en person (JSON)",
        description="Skriver allt som finns sparat om personen (roller, aktiviteter, ändringar, värden, prognoser, "
                    "importer, adminlogg, chatt, påminnelser) som JSON. Personen anges med AAD-objekt-id, e-post, "
                    "hela namnet eller #id. Utdraget loggas.")
    person.add_argument("person", metavar="PERSON")
    person.add_argument("--out", metavar="FIL", type=Path, help="filen att skriva (standard: skärmen)")
    person.add_argument("--av", dest="by", metavar="PERSON", help="vem som tar ut utdraget (står i loggen)")
    person.set_defaults(run=run_export_person)

    from storage.personal_data import RULES

    rules = "\n".join(f"  {rule.kind:<26}{rule.label}" for rule in RULES.values())
    gallra = commands.add_parser(
        "gallra", help="gallra enligt regel (dokumenthanteringsplanen)",
        description="Tar bort det som är äldre än --before och som en namngiven regel tillåter – inget annat. "
                    "Varje körning loggas i adminloggen.\n\nRegler (--kind):\n" + rules
                    + "\n\naktivitetsloggar är allmänna handlingar: de gallras bara när dokumenthanteringsplanen "
                      "säger det, och beslutet anges med --enligt.")
    gallra.add_argument("--before", required=True, metavar="DATUM", help="gallra det som är äldre än DATUM (ÅÅÅÅ-MM-DD)")
    gallra.add_argument("--kind", required=True, action="append", choices=list(RULES), metavar="REGEL",
                        help="regeln att tillämpa (kan anges flera gånger)")
    gallra.add_argument("--enligt", metavar="BESLUT", help="dokumenthanteringsplanens beslut (krävs för allmänna handlingar)")
    gallra.add_argument("--prova", action="store_true", help="räkna bara, ta inte bort något")
    gallra.add_argument("--av", dest="by", metavar="PERSON", help="vem som gallrar (står i loggen)")
    gallra.set_defaults(run=run_gallra)


async def _by(store: "Store", ref: str | None) -> int | None:
    if not ref:
        return None
    from followup.errors import UserError
    from storage.personal_data import find_person

    async with store.session() as session:
        try:
            return (await find_person(session, ref)).id
        except UserError as exc:
            raise CliError(f"--av: {exc.sv}") from None


async def run_import(args: argparse.Namespace, settings: "Settings") -> int:
    import importlib

    from followup.clock import Clock

    path: Path = args.file
    if not path.exists():
        raise CliError(f"filen finns inte: {path}")
    if path.is_dir():
        raise CliError(f"{path} är en mapp, inte en fil")
    module_name, function, _ = IMPORTS[args.import_kind]
    importer = getattr(importlib.import_module(module_name), function)
    clock = Clock(settings.as_of)
    extra: dict[str, Any] = {"full": True} if getattr(args, "full", False) else {}
    async with open_store(settings) as store:
        by = await _by(store, args.by)
        report = await importer(store, path, at=clock.utcnow(), today=clock.today(), imported_by_id=by, via="cli",
                                sheet=args.sheet, dry_run=args.dry_run, **extra)
    print("\n".join(report.lines()))
    return EXIT_OK if report.ok and (report.written or report.dry_run) else EXIT_PROBLEMS


async def run_export_person(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from followup.errors import UserError
    from storage.personal_data import find_person, log_extract, register_extract

    clock = Clock(settings.as_of)
    async with open_store(settings) as store:
        by = await _by(store, args.by)
        async with store.session() as session:
            try:
                person = await find_person(session, args.person)
            except UserError as exc:
                raise CliError(exc.sv) from None
            extract = await register_extract(session, person)
        text = json.dumps(extract, ensure_ascii=False, indent=2)
        if args.out:
            try:
                args.out.write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise CliError(f"kunde inte skriva {args.out}: {exc.strerror or exc}") from None
        else:
            print(text)
        async with store.session() as session:
            await log_extract(session, person, by_id=by, at=clock.utcnow(), sections=extract,
                              target=str(args.out) if args.out else None)
    if args.out:
        print(f"Registerutdrag för {person.name} skrivet till {args.out}.", file=sys.stderr)
    return EXIT_OK


async def run_gallra(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from followup.errors import UserError
    from storage.personal_data import gallra

    try:
        before = date.fromisoformat(args.before.strip())
    except ValueError:
        raise CliError(f"--before: ”{args.before}” är inget datum (skriv ÅÅÅÅ-MM-DD)") from None
    clock = Clock(settings.as_of)
    async with open_store(settings) as store:
        by = await _by(store, args.by)
        async with store.session() as session:
            try:
                result = await gallra(session, args.kind, before, by_id=by, at=clock.utcnow(), reference=args.enligt,
                                      dry_run=args.prova)
            except UserError as exc:
                raise CliError(exc.sv) from None
    verb = "Skulle gallra" if args.prova else "Gallrat"
    for thinned in result:
        print(f"{verb} {thinned.count} – {thinned.label} (äldre än {before.isoformat()}).")
    if not args.prova:
        print("Gallringen är loggad i adminloggen.")
    return EXIT_OK
