"""``tavla import indicator-values FIL [--skip-invalid]`` — indicator values from CSV or Excel.

The importer (``storage/import_indicator_values.py``) checks the whole file first: any bad row → every
problem listed with its row number and nothing written, unless ``--skip-invalid`` (the valid rows are
written, the others listed). Importing the same file again changes nothing. Exit code 0 when the file was
written (or, with ``--kontrollera``, had no bad rows), 1 otherwise.

Registered through ``register(commands)``; until ``bot.cli_indicators`` is in ``bot.cli.COMMANDS``:
``python -m bot.cli_indicators import indicator-values FIL``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import CliError, Subcommands, group, open_store, person_id

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Store

EXIT_OK, EXIT_PROBLEMS = 0, 1


def register(commands: Subcommands) -> None:
    importing = group(commands, "import", help="läs in filer (Excel eller CSV)")
    values = importing.add_parser(
        "indicator-values", aliases=["indikatorvärden"],
        help="mätvärden för resultatindikatorer (CSV med ; eller , eller Excel)",
        description="Läser mätvärden: kolumnerna indikator (kod, namn, kortnamn eller synonym), period "
                    "(2018, 2018-03, mars 2018, T1 2018 eller ett datum) och värde (94,2 eller 94,2 %), och "
                    "gärna enhet (tom = hela kommunen), källa, kommentar och underlag (antal personer; "
                    "frisknärvaro tas inte emot för grupper under 5 personer). Hela filen kontrolleras först: "
                    "finns ett fel skrivs ingenting, och varje felaktig rad listas. Samma fil två gånger "
                    "ändrar ingenting.")
    values.add_argument("file", metavar="FIL", type=Path, help="CSV- (; , eller tabb) eller Excel-fil (.xlsx)")
    values.add_argument("--skip-invalid", action="store_true",
                        help="läs in de felfria raderna och hoppa över de felaktiga (som ändå listas)")
    values.add_argument("--kontrollera", dest="dry_run", action="store_true", help="kontrollera bara, skriv inget")
    values.add_argument("--blad", dest="sheet", metavar="NAMN", help="Excel-blad (standard: det första)")
    values.add_argument("--av", dest="by", metavar="PERSON",
                        help="vem som importerar (e-post, AAD-objekt-id eller namn); antecknas på värdena")
    values.set_defaults(run=run_import)


async def run_import(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage.import_indicator_values import import_indicator_values
    from storage.migrate import upgrade
    from storage.seeding import seed_arsplan

    path: Path = args.file
    if not path.exists():
        raise CliError(f"filen finns inte: {path}")
    if path.is_dir():
        raise CliError(f"{path} är en mapp, inte en fil")
    clock = Clock(settings.as_of)
    async with open_store(settings) as store:
        await upgrade(store)
        await seed_arsplan(store)  # a fresh database: the indicators must be there to import values for
        by = await person_id(store, args.by)
        report = await import_indicator_values(
            store, path, at=clock.utcnow(), today=clock.today(), skip_invalid=args.skip_invalid,
            imported_by_id=by, via="cli", sheet=args.sheet, dry_run=args.dry_run)
    print("\n".join(report.lines()))
    if report.written or (report.dry_run and report.ok):
        return EXIT_OK
    return EXIT_PROBLEMS


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.cli_indicators import indicator-values …``: ``tavla`` with this module registered."""
    import bot.cli as cli

    if "bot.cli_indicators" not in cli.COMMANDS:
        cli.COMMANDS.append("bot.cli_indicators")
    return cli.run(argv)


if __name__ == "__main__":
    sys.exit(main())
