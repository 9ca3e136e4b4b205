"""The ``tavla`` command: ``serve``, ``chat``, ``migrate``, ``seed`` — and whatever features add.

Adding a command is one module and one line: a module with ``register(commands)`` that adds its
parser(s) with ``commands.add_parser(...)`` (or ``group(commands, "import", …)`` for ``tavla import …``)
and sets ``run`` — ``def run(args, settings) -> int | None`` or ``async def`` — then its name in
``COMMANDS``. Keep heavy imports (pandas, botbuilder) inside ``run`` so ``tavla --help`` stays fast.

Errors end as one Swedish line on stderr and a non-zero exit code, never a traceback (``--debug`` shows it):
raise ``CliError`` for a mistake the user can fix; ``StoreUnavailable`` and ``UserError`` are shown as is.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import logging
import re
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Store

# The modules that add subcommands, in the order --help lists them. One line per feature.
COMMANDS: list[str] = [
    "bot.cli",  # serve, chat, migrate, seed (below)
    "bot.cli_plans",  # import handlingsplaner, roles grant, export audit
    "bot.cli_manifest",  # manifest build (the Teams app package)
    "bot.cli_admin",  # admin add (the first administrator)
    "bot.cli_digest",  # digest run [--now] [--conversation ID], digest uncertain
    "bot.cli_org",  # import org/people/goals/targets, export person, gallra
    "bot.cli_indicators",  # import indicator-values
    "bot.cli_budget",  # import utfall/profil/budget/prognos
]

Subcommands = argparse._SubParsersAction  # noqa: SLF001 - what add_subparsers() returns
Runner = Callable[[argparse.Namespace, "Settings"], Any]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """A mistake the person at the command line can fix; its message is the one line they see."""


# --- argparse in Swedish ----------------------------------------------------------------------------

_ARGPARSE_SV: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (.*)$"), r"det saknas: \1"),
    (re.compile(r"^argument KOMMANDO: invalid choice: (.+?) \(choose from (.*)\)$"),
     r"okänt kommando \1 (välj bland \2)"),
    (re.compile(r"^argument (.+?): invalid choice: (.+?) \(choose from (.*)\)$"), r"okänt val \2 (välj bland \3)"),
    (re.compile(r"^invalid choice: (.+?) \(choose from (.*)\)$"), r"okänt val \1 (välj bland \2)"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"okända argument: \1"),
    (re.compile(r"^argument (.+?): expected one argument$"), r"\1 behöver ett värde"),
    (re.compile(r"^argument (.+?): expected (.*)$"), r"\1 behöver fler värden"),
    (re.compile(r"^argument (.+?): invalid (\w+) value: (.*)$"), r"\1: ogiltigt värde \3"),
    (re.compile(r"^argument (.+?): not allowed with argument (.*)$"), r"\1 går inte ihop med \2"),
    (re.compile(r"^ambiguous option: (.+?) could match (.*)$"), r"flaggan \1 är tvetydig (\2)"),
]


def swedish(message: str) -> str:
    for pattern, replacement in _ARGPARSE_SV:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "användning: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Swedish and fails with one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "argument"
        self._optionals.title = "flaggor"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="visa den här hjälpen och avsluta")

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {swedish(message)} (se {self.prog} --help)\n")
        sys.exit(EXIT_USAGE)


def group(commands: Subcommands, name: str, help: str) -> Subcommands:  # noqa: A002 - argparse's name
    """The subcommands of ``tavla <name> …``, shared by every module that adds to it."""
    existing = commands.choices.get(name)
    if existing is None:
        existing = commands.add_parser(name, help=help, description=help)
        existing.set_defaults(run=None, group_parser=existing)
        existing._tavla_sub = existing.add_subparsers(title="kommandon", metavar="KOMMANDO")  # noqa: SLF001
    return existing._tavla_sub  # noqa: SLF001


def build_parser() -> Parser:
    parser = Parser(
        prog="tavla",
        description="Tavla – Teams-bot för uppföljning enligt Göingemodellen.",
        epilog="Exempel:\n  tavla serve            starta boten (samma som make run)\n"
               "  tavla chat             chatta med en bot som redan är igång\n"
               "  tavla seed --demo      lägg till exempeldata\n\n"
               "Inställningar läses från miljön (DATABASE_URL, PORT, MicrosoftAppId, TAVLA_AS_OF …).",
    )
    parser.add_argument("--version", action="version", version=f"tavla {_version()}",
                        help="visa versionen och avsluta")
    parser.add_argument("--debug", action="store_true", help="visa hela felet (traceback) när något går fel")
    parser.set_defaults(run=None, group_parser=parser)
    commands = parser.add_subparsers(title="kommandon", metavar="KOMMANDO")
    for name in COMMANDS:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # one feature's broken import must not take every command down
            print(f"Tavla: varning: kommandona i {name} saknas ({_one_line(str(exc))})", file=sys.stderr)
            continue
        module.register(commands)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tavla")
    except Exception:  # noqa: BLE001 - not installed (running from a checkout)
        return "okänd version"


# --- running a command -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    """Parse, read the settings once, run the command; every failure becomes one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.run is None:
        args.group_parser.print_help()
        return EXIT_USAGE
    try:
        settings = _settings()
        result = args.run(args, settings)
        if inspect.isawaitable(result):
            result = asyncio.run(result)
        return int(result or 0)
    except KeyboardInterrupt:
        print("Avbrutet.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``tavla … | head``): nothing left to tell anyone
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if args.debug:
            traceback.print_exc()
        print(f"Tavla: {_one_line(_message(exc))}", file=sys.stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _settings() -> "Settings":
    from pydantic import ValidationError

    from settings import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error.get("loc", ())) or "?"
            problems.append(f"{name}: {_in_swedish(error)} (värde {error.get('input')!r})")
        raise CliError("ogiltig inställning i miljön – " + "; ".join(problems)) from exc


def _in_swedish(error: Any) -> str:
    """A settings error (pydantic's) as a person reading Swedish would want it; pydantic's English otherwise."""
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    if kind == "int_parsing":
        return "ska vara ett heltal"
    if kind == "bool_parsing":
        return "ska vara true eller false"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return "ska vara ett datum, ÅÅÅÅ-MM-DD"
    if kind == "greater_than_equal":
        return f"ska vara minst {limits.get('ge')}"
    if kind == "less_than_equal":
        return f"får vara högst {limits.get('le')}"
    return str(error.get("msg") or "ogiltigt värde")


def _message(exc: BaseException) -> str:
    from followup.errors import UserError
    from storage.db import StoreUnavailable

    if isinstance(exc, (CliError, StoreUnavailable)):
        return str(exc)
    if isinstance(exc, UserError):
        return exc.text("sv")
    if isinstance(exc, FileNotFoundError):
        return f"filen finns inte: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"saknar behörighet: {exc.filename or exc}"
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"oväntat fel ({type(exc).__name__}{': ' + detail if detail else ''}). Kör med --debug för detaljer."


def _one_line(text: str) -> str:
    return " ".join(text.split())


@asynccontextmanager
async def open_store(settings: "Settings") -> AsyncIterator["Store"]:
    """The configured database, checked reachable (``StoreUnavailable`` naming the URL otherwise)."""
    from storage.db import Store, StoreUnavailable, check_reachable

    url = settings.effective_database_url
    try:
        store = Store.from_url(url, pool_size=settings.db_pool_size)
    except Exception as exc:  # noqa: BLE001 - a malformed URL, a missing driver, an unwritable folder
        raise StoreUnavailable(f"Databasen kunde inte öppnas: {_shown_url(url)} ({_one_line(str(exc))})") from exc
    try:
        await check_reachable(store, url)
        yield store
    finally:
        await store.dispose()


async def person_id(store: "Store", ref: str | None) -> int | None:
    """The active person an ``--av`` option names (UPN, AAD object id or full name); one or a CliError."""
    if not ref:
        return None
    from sqlalchemy import func, or_, select

    from storage.models import Person

    async with store.session() as session:
        found = (await session.execute(select(Person.id).where(Person.active.is_(True), or_(
            func.lower(Person.upn) == ref.lower(), Person.aad_object_id == ref, func.lower(Person.name) == ref.lower(),
        )))).scalars().all()
    if len(found) != 1:
        raise CliError(f"hittar ingen (eller flera) personer som heter eller har id ”{ref}”")
    return found[0]


def _shown_url(url: str) -> str:
    from storage.db import safe_url

    try:
        return safe_url(url)
    except Exception:  # noqa: BLE001 - not even parseable: show it without anything after an @
        return url.split("@")[-1] if "@" in url else url


# --- the core commands -------------------------------------------------------------------------------


def register(commands: Subcommands) -> None:
    serve = commands.add_parser("serve", help="starta boten (migrerar och läser in Årsplan 2018 vid behov)",
                                description="Startar Tavla på HOST:PORT (standard 127.0.0.1:3978). Utan "
                                            "MicrosoftAppId körs boten lokalt utan inloggning.")
    serve.set_defaults(run=run_serve)

    chat = commands.add_parser("chat", help="chatta med en bot som är igång, i terminalen",
                               description="Konsolchatt mot en Tavla som redan är igång (starta den med "
                                           "make run). Skriv som i Teams; en siffra trycker på en knapp.")
    chat.add_argument("--url", help="botens adress (standard http://127.0.0.1:PORT/api/messages)")
    chat.add_argument("--name", help="ditt namn i chatten (standard Anna Andersson; en person i exempeldatan "
                                     "räcker att ange med förnamn, t.ex. Bo)")
    chat.add_argument("--aad", metavar="ID", help="ditt AAD-objekt-id (standard: exempeldatans id för namnet, "
                                                  "annars ett fast id som räknas fram ur namnet)")
    chat.add_argument("--en", action="store_true", help="skriv på engelska (språk en-US i stället för sv-SE)")
    chat.set_defaults(run=run_chat)

    migrate = commands.add_parser("migrate", help="uppdatera databasens schema till senaste versionen",
                                  description="Kör databasmigreringarna (Alembic) mot DATABASE_URL.")
    migrate.set_defaults(run=run_migrate)

    seed = commands.add_parser("seed", help="läs in Årsplan 2018 (och med --demo exempeldata)",
                               description="Migrerar vid behov och läser in Årsplan 2018 i en tom databas.")
    seed.add_argument("--demo", action="store_true",
                      help="lägg också till tydligt märkt exempeldata (personer, planer, utfall, värden)")
    seed.set_defaults(run=run_seed)


def run_serve(args: argparse.Namespace, settings: "Settings") -> int:
    from app import serve  # first: importing it must not log through the handler set up below

    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    return serve(settings)


def run_chat(args: argparse.Namespace, settings: "Settings") -> int:
    from bot.console import DEFAULT_USER, TENANT, Identity, chat, parse_identity

    url = args.url or f"http://127.0.0.1:{settings.port}/api/messages"
    if args.name and args.aad:
        who = Identity(args.name, args.aad)
    elif args.name:
        who = parse_identity(args.name.split()) or DEFAULT_USER  # an exempeldata person by (first) name
    elif args.aad:
        who = Identity(DEFAULT_USER.name, args.aad)
    else:
        who = DEFAULT_USER
    tenant = sorted(settings.tenant_allowlist)[0] if settings.tenant_allowlist else TENANT
    try:
        return asyncio.run(chat(url, who=who, locale="en-US" if args.en else "sv-SE", tenant=tenant))
    except KeyboardInterrupt:
        print("\nHej då!")
        return EXIT_OK


async def run_migrate(args: argparse.Namespace, settings: "Settings") -> int:
    from storage.migrate import current_revision, head_revision, upgrade

    async with open_store(settings) as store:
        before = await current_revision(store)
        await _prepared(store, settings, upgrade)
        after = await current_revision(store)
    where = _shown_url(settings.effective_database_url)
    if before == after:
        print(f"Databasen är redan aktuell (version {after}): {where}")
    else:
        print(f"Databasen uppdaterades från version {before or 'tom'} till {after or head_revision()}: {where}")
    return EXIT_OK


async def run_seed(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage.migrate import upgrade
    from storage.seeding import seed_arsplan

    async with open_store(settings) as store:
        await _prepared(store, settings, upgrade)
        loaded = await seed_arsplan(store)
        print("Årsplan 2018 är inläst." if loaded else "Årsplan 2018 fanns redan i databasen.")
        if not args.demo:
            return EXIT_OK
        if importlib.util.find_spec("storage.demo") is None:
            print("Tavla: exempeldata finns inte än (storage.demo saknas) – bara Årsplan 2018 lästes in.",
                  file=sys.stderr)
            return EXIT_ERROR
        from storage.demo import seed_demo  # type: ignore[import-not-found]

        added = await seed_demo(store, Clock(settings.as_of).today())
        print("Exempeldata är inläst (märkt ”Exempeldata” överallt)." if added else "Exempeldata fanns redan.")
    return EXIT_OK


async def _prepared(store: "Store", settings: "Settings", step: Callable[["Store"], Any]) -> None:
    """A schema step; a failure (read-only file, no permission) becomes one line naming the database."""
    from storage.db import StoreUnavailable

    try:
        await step(store)
    except Exception as exc:  # noqa: BLE001 - turned into one clear line for the operator
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(
            f"Databasen kunde inte förberedas: {_shown_url(settings.effective_database_url)} ({first})") from exc


if __name__ == "__main__":
    from bot.cli import main as _main  # the registered module, not a second copy named __main__

    _main()
