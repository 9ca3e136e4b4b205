"""The deployment documents stay true: every setting documented, every command they name exists, the
systemd unit gives a graceful stop its time."""

from __future__ import annotations

import configparser
import re

import pytest

from app import SHUTDOWN_TIMEOUT_S
from settings import Settings
from tests.conftest import ROOT

DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
UNIT = ROOT / "deploy" / "tavla.service"


def env_names() -> list[str]:
    names = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.append(str(choices[0]))
    return names


@pytest.mark.parametrize("name", env_names())
def test_every_setting_is_documented_for_the_it_department(name: str) -> None:
    assert f"`{name}`" in DEPLOY, f"{name} is missing from docs/deploy.md"


def _commands(text: str) -> set[tuple[str, ...]]:
    found = set()
    for match in re.finditer(r"\btavla ((?:[a-z]+ ?){1,2})", text):
        words = tuple(match.group(1).split())
        found.add(words)
    return found


def test_the_commands_the_documents_name_exist() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    top = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")  # noqa: SLF001
    for words in _commands(DEPLOY) | _commands(README.split("## Install in Teams", 1)[1]):
        first = words[0]
        if first not in top.choices:
            continue  # prose such as "tavla serve (1…n replicas)" is checked through its first word below
        sub = top.choices[first]
        nested = getattr(sub, "_tavla_sub", None)
        if nested is not None and len(words) > 1:
            assert words[1] in nested.choices, f"tavla {' '.join(words)}"
    for needed in ("serve", "manifest", "admin", "roles", "export"):
        assert needed in top.choices, needed


def test_readme_ends_with_install_in_teams() -> None:
    sections = re.findall(r"^## (.+)$", README, flags=re.M)
    assert sections[-1] == "Install in Teams"
    install = README.split("## Install in Teams", 1)[1]
    for step in ("Single Tenant", "messaging endpoint", "tavla manifest build", "Upload new app", "tavla admin add",
                 "deploy/tavla.service", "ALLOWED_TENANT_IDS", "docs/deploy.md"):
        assert step in install, step


def test_the_systemd_unit_runs_tavla_and_waits_for_a_graceful_stop() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # keys are case-sensitive in systemd
    unit.read(UNIT, encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/.venv/bin/tavla serve")
    assert service["User"] == "tavla" and service["EnvironmentFile"] == "/etc/tavla/tavla.env"
    assert service["KillSignal"] == "SIGTERM"
    assert float(service["TimeoutStopSec"]) > SHUTDOWN_TIMEOUT_S
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
