"""The ``tavla`` command: its commands, one clear line on every failure, and the registry for features."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from storage.migrate import head_revision

TAVLA = Path(sys.executable).parent / "tavla"
SETTINGS_ENV = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId", "DATABASE_URL",
                "HOST", "PORT", "TAVLA_AS_OF", "ALLOWED_TENANT_IDS", "TAVLA_DEMO")


def tavla(*args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
          ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    clean.update(env or {})
    return subprocess.run([str(TAVLA), *args], env=clean, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def test_help_lists_the_commands_in_swedish() -> None:
    result = tavla("--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "chat", "migrate", "seed"):
        assert f"\n    {command} " in result.stdout
    assert "användning: tavla" in result.stdout and "visa den här hjälpen" in result.stdout
    chat = tavla("chat", "--help")
    assert "--url" in chat.stdout and "--name" in chat.stdout and "--aad" in chat.stdout and "--en" in chat.stdout


def test_usage_errors_are_one_swedish_line() -> None:
    result = tavla("nope")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("tavla: okänt kommando 'nope' (välj bland 'serve', 'chat', 'migrate', 'seed'")
    assert line.endswith(") (se tavla --help)")
    result = tavla("chat", "--url")
    assert result.returncode == 2 and result.stderr.strip() == "tavla chat: --url behöver ett värde (se tavla chat --help)"


def test_migrate_a_fresh_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "fresh.sqlite3"
    result = tavla("migrate", env={"DATABASE_URL": sqlite_url(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists()
    assert f"uppdaterades från version tom till {head_revision()}" in result.stdout
    again = tavla("migrate", env={"DATABASE_URL": sqlite_url(db)})
    assert again.returncode == 0 and "redan aktuell" in again.stdout


def test_seed_loads_the_arsplan_once(tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_url(tmp_path / "seed.sqlite3"), "TAVLA_AS_OF": "2018-05-15"}
    first = tavla("seed", env=env)
    assert first.returncode == 0, first.stderr
    assert "Årsplan 2018 är inläst" in first.stdout
    second = tavla("seed", env=env)
    assert second.returncode == 0 and "fanns redan" in second.stdout


def test_unreachable_database_is_one_line_naming_the_url() -> None:
    url = "postgresql+asyncpg://nobody:hemligt@127.0.0.1:1/x"
    result = tavla("migrate", env={"DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "postgresql+asyncpg://nobody:***@127.0.0.1:1/x" in lines[0]
    assert "hemligt" not in result.stderr and "Traceback" not in result.stderr


def test_bad_settings_and_unusable_database_urls_are_one_line(tmp_path: Path) -> None:
    for env in ({"PORT": "abc"}, {"DATABASE_URL": "mysql://x/y"}, {"DATABASE_URL": "inte en url"}):
        result = tavla("migrate", env=env)
        assert result.returncode == 1, env
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("Tavla: ") and "Traceback" not in result.stderr


def test_a_bad_setting_is_named_and_explained_in_swedish() -> None:
    cases = {"PORT": ("abc", "PORT: ska vara ett heltal (värde 'abc')"),
             "TAVLA_DB_POOL_SIZE": ("0", "TAVLA_DB_POOL_SIZE: ska vara minst 1 (värde '0')"),
             "TAVLA_AS_OF": ("igår", "TAVLA_AS_OF: ska vara ett datum, ÅÅÅÅ-MM-DD (värde 'igår')"),
             "TAVLA_SCHEDULER": ("kanske", "TAVLA_SCHEDULER: ska vara true eller false (värde 'kanske')")}
    for name, (value, message) in cases.items():
        result = tavla("migrate", env={name: value})
        assert result.returncode == 1 and message in result.stderr, (name, result.stderr)
    both = tavla("migrate", env={"TAVLA_DB_POOL_SIZE": "501", "PORT": "x"})
    assert "TAVLA_DB_POOL_SIZE: får vara högst 500" in both.stderr and "PORT: ska vara ett heltal" in both.stderr


def test_serve_refuses_an_open_host_without_app_id(tmp_path: Path) -> None:
    result = tavla("serve", env={"HOST": "0.0.0.0", "DATABASE_URL": sqlite_url(tmp_path / "s.sqlite3")}, timeout=60)
    assert result.returncode != 0
    assert "MicrosoftAppId" in result.stderr and "0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_chat_without_a_running_bot_says_how_to_start_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = tavla("chat", env={"PORT": str(port)}, stdin="hej\n", timeout=60)
    assert result.returncode == 1
    assert f"http://127.0.0.1:{port}/api/messages" in result.stderr and "make run" in result.stderr
    assert "Traceback" not in result.stderr


# --- the registry ------------------------------------------------------------------------------------


def _feature(name: str, register: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.register = register  # type: ignore[attr-defined]
    return module


def test_feature_modules_add_commands_and_share_groups(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    calls: list[tuple[str, Any]] = []

    def register_utfall(commands: cli.Subcommands) -> None:
        imports = cli.group(commands, "import", "läs in data från filer")
        parser = imports.add_parser("prov-utfall", help="läs in budgetutfall (prov)")
        parser.add_argument("file", metavar="FIL")

        async def run(args: argparse.Namespace, settings: Any) -> int:
            calls.append(("utfall", args.file))
            return 0

        parser.set_defaults(run=run)

    def register_values(commands: cli.Subcommands) -> None:
        imports = cli.group(commands, "import", "läs in data från filer")
        parser = imports.add_parser("prov-varden", help="läs in indikatorvärden (prov)")
        parser.add_argument("file", metavar="FIL")

        def run(args: argparse.Namespace, settings: Any) -> None:
            calls.append(("values", settings.port))
            raise cli.CliError(f"filen {args.file} har ingen kolumn ”värde”\noch mer")

        parser.set_defaults(run=run)

    monkeypatch.setitem(sys.modules, "tests_fake_cli_utfall", _feature("tests_fake_cli_utfall", register_utfall))
    monkeypatch.setitem(sys.modules, "tests_fake_cli_values", _feature("tests_fake_cli_values", register_values))
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, "tests_fake_cli_utfall", "tests_fake_cli_values"])
    monkeypatch.setattr(cli, "_settings", lambda: types.SimpleNamespace(port=1234))

    assert cli.run(["import", "prov-utfall", "utfall.xlsx"]) == 0
    assert cli.run(["import", "prov-varden", "v.csv"]) == 1
    assert calls == [("utfall", "utfall.xlsx"), ("values", 1234)]
    err = capsys.readouterr().err
    assert err == "Tavla: filen v.csv har ingen kolumn ”värde” och mer\n"

    assert cli.run(["import"]) == 2  # a group alone shows its commands
    out = capsys.readouterr().out
    assert "prov-utfall" in out and "prov-varden" in out and "handlingsplaner" in out
    with pytest.raises(SystemExit) as exit_info:
        cli.run(["--help"])
    assert exit_info.value.code == 0
    assert "import" in capsys.readouterr().out


def test_a_missing_feature_module_is_a_warning_not_a_crash(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, "tests_no_such_cli_module"])
    parser = cli.build_parser()
    assert "serve" in parser.format_help()
    assert capsys.readouterr().err.startswith("Tavla: varning: kommandona i tests_no_such_cli_module saknas")


def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: Any) -> None:
    def register(commands: cli.Subcommands) -> None:
        parser = commands.add_parser("boom", help="går sönder")

        def run(args: argparse.Namespace, settings: Any) -> int:
            raise ValueError("trasigt\nvärde")

        parser.set_defaults(run=run)

    monkeypatch.setitem(sys.modules, "tests_fake_cli_boom", _feature("tests_fake_cli_boom", register))
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, "tests_fake_cli_boom"])
    monkeypatch.setattr(cli, "_settings", lambda: None)
    assert cli.run(["boom"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "oväntat fel (ValueError: trasigt)" in err and "--debug" in err
    assert cli.run(["--debug", "boom"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_swedish_argparse_messages() -> None:
    assert cli.swedish("the following arguments are required: FIL") == "det saknas: FIL"
    assert cli.swedish("unrecognized arguments: --x") == "okända argument: --x"
    assert cli.swedish("something new") == "something new"
