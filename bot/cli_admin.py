"""``tavla admin add AAD-ID NAMN``: the first administrator of a new installation (docs/deploy.md)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli import CliError, Subcommands, group, open_store

if TYPE_CHECKING:
    from settings import Settings


def register(commands: Subcommands) -> None:
    admin = group(commands, "admin", help="Tavlas administratörer")
    add = admin.add_parser(
        "add", help="gör en person till administratör (den första, innan någon kan ge roller i Tavla)",
        description="Lägger till personen (om den inte finns) och ger den rollen admin för hela organisationen. "
                    "AAD-objekt-id finns i Entra-administrationscentret under Användare → personen → Objekt-id "
                    "(eller: az ad user show --id namn@kommun.se --query id -o tsv). Loggas i adminloggen.")
    add.add_argument("aad", metavar="AAD-ID", help="personens objekt-id i Entra ID (ett GUID)")
    add.add_argument("name", metavar="NAMN", help="personens namn, t.ex. \"Anna Andersson\"")
    add.add_argument("--upn", metavar="E-POST", help="personens inloggningsnamn/e-post")
    add.set_defaults(run=run_add)


async def run_add(args: argparse.Namespace, settings: "Settings") -> int:
    from followup.clock import Clock
    from storage.admins import AdminError, make_admin

    async with open_store(settings) as store:
        async with store.session() as session:
            try:
                granted = await make_admin(session, args.aad, args.name, upn=args.upn, at=Clock(settings.as_of).utcnow())
            except AdminError as exc:
                raise CliError(str(exc)) from None
    if granted.role_granted:
        print(f"{granted.name} är nu administratör för {granted.unit_name}"
              f"{' (ny i Tavla)' if granted.person_created else ''}.")
    else:
        print(f"{granted.name} var redan administratör för {granted.unit_name}.")
    return 0
