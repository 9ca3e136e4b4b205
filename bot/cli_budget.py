"""``tavla import utfall | profil | budget | prognos FIL`` — the budget imports (``storage/import_budget.py``).

Each checks the whole file first and writes nothing when a row is wrong (unless ``--skip-invalid``); the
report lists every wrong row with its row number, column, value and reason. ``--kontrollera`` only checks.
Exit code 0 when the import was written (or the check found nothing wrong), 1 otherwise.

Run on its own (before ``bot.cli_budget`` is listed in ``bot.cli.COMMANDS``): ``python -m bot.cli_budget import …``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli import CliError, Subcommands, group, open_store, person_id

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Store
    from storage.import_budget import ImportReport

EXIT_OK, EXIT_PROBLEMS = 0, 1
PROGRESS_FROM_ROWS = 20_000  # smaller files are read before a progress line would help


def register(commands: Subcommands) -> None:
    importing = group(commands, "import", help="läs in filer (Excel eller CSV)")

    utfall = importing.add_parser(
        "utfall", help="månadsutfall per verksamhet från ekonomisystemet (CSV eller Excel)",
        description="Läser utfall: kolumnerna period (2018-04, 201804 eller ett datum), verksamhetsområde, "
                    "verksamhet och belopp. Flera rader för samma period och verksamhet (en per konto/ansvar) "
                    "summeras. En månad som importeras ersätter hela den månaden – samma fil två gånger "
                    "dubblerar aldrig. Beloppen är i kr eller tkr: ange --enhet, eller skriv det i rubriken "
                    "(”Belopp (kr)”).")
    utfall.add_argument("file", metavar="FIL", type=Path, help="CSV- (; , eller tabb) eller Excel-fil (.xlsx)")
    utfall.add_argument("--enhet", choices=("kr", "tkr"), help="beloppens enhet, om rubriken inte säger det")
    utfall.add_argument("--år", "--ar", dest="year", type=int, metavar="ÅR",
                        help="budgetåret (standard: året i filens perioder)")
    utfall.add_argument("--mappning", dest="mapping", type=Path, metavar="FIL",
                        help="fil som översätter en kodkolumn (t.ex. Ansvar) till verksamhetsområde och verksamhet; "
                             "första kolumnens rubrik är kolumnen i utfallsfilen")
    _common(utfall)
    utfall.set_defaults(run=run_utfall)

    profil = importing.add_parser(
        "profil", help="månadsprofil (tolv andelar per verksamhet) för periodiserad budget",
        description="Läser profiler: verksamhetsområde, verksamhet och tolv månadskolumner (jan … dec eller "
                    "1 … 12), eller kolumnerna månad och andel. Andelarna summerar till 1 (eller 100 %). "
                    "Ersätter profilen för varje verksamhet i filen.")
    profil.add_argument("file", metavar="FIL", type=Path)
    profil.add_argument("--år", "--ar", dest="year", type=int, metavar="ÅR", help="budgetåret (standard: i år)")
    _common(profil)
    profil.set_defaults(run=run_profil)

    budget = importing.add_parser(
        "budget", help="ett års internbudget (samma form som Årsplanens: area;sort_order;verksamhet;net_cost_tkr…)",
        description="Läser internbudget: verksamhetsområde (namn eller kod), verksamhet, nettokostnad (tkr; "
                    "negativ = nettointäkt) och gärna sort_order, scb_code, source. En rad ”Total” per område "
                    "kontrolleras mot summan. Befintliga rader uppdateras, nya läggs till.")
    budget.add_argument("file", metavar="FIL", type=Path)
    budget.add_argument("--år", "--ar", dest="year", type=int, metavar="ÅR",
                        help="budgetåret (standard: kolumnen år, eller året i filnamnet)")
    budget.add_argument("--enhet", choices=("kr", "tkr"), help="beloppens enhet, om rubriken inte säger det")
    _common(budget)
    budget.set_defaults(run=run_budget)

    prognos = importing.add_parser(
        "prognos", help="helårsprognoser från ekonom/controller (ersätter den beräknade prognosen)",
        description="Läser prognoser: verksamhetsområde, verksamhet, prognos (kr eller tkr) och gärna kommentar. "
                    "En prognos ersätter den beräknade helårsprognosen för sin verksamhet; tidigare prognoser "
                    "sparas för uppföljning av prognossäkerheten.")
    prognos.add_argument("file", metavar="FIL", type=Path)
    prognos.add_argument("--år", "--ar", dest="year", type=int, metavar="ÅR", help="budgetåret (standard: i år)")
    prognos.add_argument("--enhet", choices=("kr", "tkr"), help="beloppens enhet, om rubriken inte säger det")
    _common(prognos)
    prognos.set_defaults(run=run_prognos)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-invalid", action="store_true",
                        help="läs in de felfria raderna och hoppa över de felaktiga (som ändå listas)")
    parser.add_argument("--kontrollera", dest="dry_run", action="store_true", help="kontrollera bara, skriv inget")
    parser.add_argument("--rapport", dest="report", type=Path, metavar="FIL",
                        help="skriv alla felaktiga rader till en CSV-fil (rad;kolumn;värde;orsak)")
    parser.add_argument("--av", dest="by", metavar="PERSON", help="vem som importerar (e-post, AAD-id eller namn)")
    parser.add_argument("--tyst", dest="quiet", action="store_true", help="ingen förloppsrad")


class ProgressLine:
    """A one-line progress bar on stderr: redrawn in place on a terminal, a line per quarter otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_step = -1
        self._shown = False
        self._started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_FROM_ROWS and stage != "skriver":
            return
        if stage == "skriver":
            if self._shown and done == 0:
                self._write(f"Skriver till databasen … ({time.monotonic() - self._started:.1f} s)")
            return
        share = min(1.0, done / total) if total else 1.0
        bar = "#" * int(share * 30) + "." * (30 - int(share * 30))
        line = f"[{bar}] {share * 100:3.0f} % kontrollerat ({done:,} av ~{total:,} rader)".replace(",", "\u00a0")
        step = int(share * 4)
        if self.tty or step != self._last_step:
            self._write(line)
            self._last_step = step

    def _write(self, line: str) -> None:
        self._shown = True
        if self.tty:
            self.stream.write("\r" + line.ljust(78))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def _ready(store: "Store", upgrade: object, seed: object) -> None:
    """Migrate and seed like ``tavla serve`` — but only when needed (parsing the seed files costs half a second)."""
    from sqlalchemy import select

    from storage.migrate import is_current
    from storage.models import OrgUnit
    from storage.seeding import ROOT_CODE

    if not await is_current(store):
        await upgrade(store)  # type: ignore[operator]
    async with store.session() as session:
        seeded = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE).limit(1))
    if seeded is None:
        await seed(store)  # type: ignore[operator]


async def _run(args: argparse.Namespace, settings: "Settings", kind: str) -> int:
    from followup.clock import Clock
    from storage import import_budget as ib
    from storage.importing import ImportFileError
    from storage.migrate import upgrade
    from storage.seeding import seed_arsplan

    if not args.file.exists():
        raise CliError(f"filen finns inte: {args.file}")
    mapping = None
    if kind == "utfall" and args.mapping is not None:
        try:
            mapping = ib.read_mapping(args.mapping)
        except FileNotFoundError:
            raise CliError(f"mappningsfilen finns inte: {args.mapping}") from None
        except ImportFileError as exc:
            raise CliError(exc.sv) from None
    progress = ProgressLine(enabled=not args.quiet)
    this_year = Clock(settings.as_of).today().year
    async with open_store(settings) as store:
        await _ready(store, upgrade, seed_arsplan)
        by = await person_id(store, args.by)
        common = {"skip_invalid": args.skip_invalid, "dry_run": args.dry_run, "imported_by_id": by, "via": "cli"}
        try:
            if kind == "utfall":
                report = await ib.import_utfall(store, args.file, unit=args.enhet, year=args.year, mapping=mapping,
                                                progress=progress, **common)
            elif kind == "profil":
                report = await ib.import_profile(store, args.file, year=args.year, default_year=this_year, **common)
            elif kind == "budget":
                report = await ib.import_budget(store, args.file, year=args.year, unit=args.enhet, **common)
            else:
                report = await ib.import_prognosis(store, args.file, year=args.year, default_year=this_year,
                                                   unit=args.enhet, now=Clock(settings.as_of).utcnow(), **common)
        finally:
            progress.close()
    return _finish(report, args.report)


def _finish(report: "ImportReport", report_path: Path | None) -> int:
    print(report.text())
    if report_path is not None and report.problems:
        report_path.write_text(report.problems_csv(), encoding="utf-8-sig")
        print(f"Alla felaktiga rader finns i {report_path}.")
    if report.written or (report.dry_run and report.ok):
        return EXIT_OK
    return EXIT_PROBLEMS


async def run_utfall(args: argparse.Namespace, settings: "Settings") -> int:
    return await _run(args, settings, "utfall")


async def run_profil(args: argparse.Namespace, settings: "Settings") -> int:
    return await _run(args, settings, "profil")


async def run_budget(args: argparse.Namespace, settings: "Settings") -> int:
    return await _run(args, settings, "budget")


async def run_prognos(args: argparse.Namespace, settings: "Settings") -> int:
    return await _run(args, settings, "prognos")


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.cli_budget import …``: the ``tavla`` command with this module registered."""
    import bot.cli as cli

    if __name__ not in cli.COMMANDS and "bot.cli_budget" not in cli.COMMANDS:
        cli.COMMANDS.append("bot.cli_budget")
    return cli.run(argv)


if __name__ == "__main__":
    sys.exit(main())
