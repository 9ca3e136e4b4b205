"""``tavla manifest build --out tavla.zip``: the Teams app package for this installation.

The app id comes from ``MicrosoftAppId``, the domain from ``TAVLA_PUBLIC_DOMAIN``, the version from the
installed package; flags override each. The work is done by ``manifest/build.py``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from bot.cli import CliError, Subcommands, group

if TYPE_CHECKING:
    from settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def register(commands: Subcommands) -> None:
    manifest = group(commands, "manifest", help="Teams-appaketet (manifest, ikoner) för den här installationen")
    build = manifest.add_parser(
        "build", help="skriv appaketet (zip) som laddas upp i Teams",
        description="Skriver Teams-appaketet: manifest.json, ikonerna och den engelska översättningen. "
                    "App-id läses från MicrosoftAppId, domänen från TAVLA_PUBLIC_DOMAIN och versionen från "
                    "Tavlas version; flaggorna nedan ersätter dem. Se docs/deploy.md.")
    build.add_argument("--out", default="tavla.zip", metavar="FIL", help="var zip-filen skrivs (standard tavla.zip)")
    build.add_argument("--app-id", metavar="GUID", help="Azure-botens app-id (standard MicrosoftAppId)")
    build.add_argument("--domain", metavar="DOMÄN", help="publikt domännamn (standard TAVLA_PUBLIC_DOMAIN)")
    build.add_argument("--version", dest="app_version", metavar="X.Y.Z",
                       help="appens version; måste öka vid varje uppdatering i Teams (standard Tavlas version)")
    build.add_argument("--developer", metavar="NAMN", help="utgivarens namn i Teams (standard Östra Göinge kommun)")
    build.add_argument("--website-url", metavar="URL", help="webbsida om Tavla (standard https://DOMÄN/)")
    build.add_argument("--privacy-url", metavar="URL", help="kommunens integritetspolicy (standard webbsidan)")
    build.add_argument("--terms-url", metavar="URL", help="användarvillkor (standard webbsidan)")
    build.set_defaults(run=run_build)


def _build_module() -> ModuleType:
    """``manifest.build``; from the checkout when the installed package does not list ``manifest`` yet."""
    try:
        return importlib.import_module("manifest.build")
    except ModuleNotFoundError:
        path = PROJECT_ROOT / "manifest" / "build.py"
        if not path.is_file():
            raise CliError(f"appaketets byggskript saknas ({path})") from None
        spec = importlib.util.spec_from_file_location("tavla_manifest_build", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


def run_build(args: argparse.Namespace, settings: "Settings") -> int:
    build = _build_module()
    info = build.info_from_settings(
        settings, app_id=args.app_id, domain=args.domain, version=args.app_version, developer_name=args.developer,
        website_url=args.website_url, privacy_url=args.privacy_url, terms_url=args.terms_url)
    try:
        checked = build.check_info(info)
        out = build.write_package(checked, args.out)
    except build.ManifestError as exc:
        raise CliError(str(exc)) from exc
    print(f"Skrev {out} (app-id {checked.app_id}, version {checked.version}, domän {checked.domain}).")
    print("Ladda upp den i Teams administrationscenter: Teams-appar → Hantera appar → Ladda upp ny app "
          "(se docs/deploy.md).")
    return 0
