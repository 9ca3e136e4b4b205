"""``tavla digest run [--now] [--conversation ID]`` and ``tavla digest uncertain`` — the scheduler by hand.

``run`` does what one scheduler tick does: sends the digests that are due now (and the tavelmöte
reminders), claimed in the database like the server's — safe to run from cron next to running servers.
``--now`` sends this week's digest at once, whatever its weekday and time (still at most one per ISO week);
``--conversation`` limits it to one conversation. Digests whose delivery is unknown are listed: they are
never sent again automatically (check the channel, then, if it is missing, ``--now`` cannot help: the week
is taken — post it by hand or wait for next week).

Registered through ``register(commands)``; until ``bot.cli_digest`` is in ``bot.cli.COMMANDS``:
``python -m bot.cli_digest digest run``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli import Subcommands, group, open_store

if TYPE_CHECKING:
    from settings import Settings

EXIT_OK, EXIT_PROBLEMS = 0, 1


def register(commands: Subcommands) -> None:
    digest = group(commands, "digest", help="veckosammanfattningar och påminnelser inför tavelmöten")
    run = digest.add_parser("run", help="skicka det som är dags nu (som schemaläggaren gör varje minut)",
                            description="Skickar veckosammanfattningar som ska gå ut nu (och påminnelser inför "
                                        "tavelmöten). Varje sammanfattning tas i databasen först, så den går ut "
                                        "högst en gång per vecka även om servrar kör samtidigt.")
    run.add_argument("--now", action="store_true",
                     help="skicka veckans sammanfattning direkt, oavsett veckodag och klockslag (högst en per vecka)")
    run.add_argument("--conversation", metavar="ID", help="bara den här konversationen (Teams konversations-id)")
    run.add_argument("--no-reminders", action="store_true", help="skicka inga påminnelser inför tavelmöten")
    run.set_defaults(run=run_digest)
    uncertain = digest.add_parser("uncertain", help="lista sammanfattningar som kanske inte kom fram",
                                  description="Listar sammanfattningar vars leverans är okänd (tidsgräns eller "
                                              "avbrott under sändningen). De skickas aldrig om automatiskt.")
    uncertain.set_defaults(run=run_uncertain)


async def run_digest(args: argparse.Namespace, settings: "Settings") -> int:
    from bot.adapter import build_adapter
    from bot.digest_sender import DeliveryPolicy, DigestRunner, ProactiveSender, ReminderRunner
    from followup.clock import Clock
    from followup.schedule import CatchUp

    clock = Clock(settings.as_of)
    policy = DeliveryPolicy(catch_up=CatchUp(getattr(settings, "digest_catch_up_hours", None)))
    async with open_store(settings) as store:
        adapter = build_adapter(settings)
        try:
            sender = ProactiveSender(adapter, settings.app_id)
            report = await DigestRunner(store, sender, clock, policy=policy).run_due(
                force=args.now, conversation_id=args.conversation)
            reminders = None
            if not args.no_reminders and not args.conversation:
                reminders = await ReminderRunner(store, sender, clock, stale_days=settings.reminder_days,
                                                 policy=policy).run_due()
        finally:
            await adapter.close()
    print(f"Veckosammanfattningar: {report.due} att skicka, {len(report.sent)} skickade "
          f"({report.quiet_lines} korta rader), {len(report.skipped)} tysta veckor utan meddelande, "
          f"{report.already} redan klara, {report.busy} hanteras av en annan process.")
    for sub_id, reason in report.paused:
        print(f"  pausad: prenumeration {sub_id} – {reason}")
    for sub_id, reason in report.failed:
        print(f"  misslyckades (försöks igen senare i dag): prenumeration {sub_id} – {reason}")
    for item in report.uncertain:
        print(f"  OKÄNT om den kom fram (skickas inte igen): prenumeration {item.subscription_id}, "
              f"{item.scope_name}, konversation {item.conversation_id}, v. {item.iso_week} – {item.detail}")
    if reminders is not None:
        print(f"Påminnelser: {len(reminders.sent)} skickade, {reminders.already} redan skickade, "
              f"{reminders.no_conversation} utan personlig chatt med Tavla, {len(reminders.uncertain)} okända, "
              f"{len(reminders.failed)} misslyckade.")
    return EXIT_PROBLEMS if report.failed or report.uncertain else EXIT_OK


async def run_uncertain(args: argparse.Namespace, settings: "Settings") -> int:
    from storage import digest as repo

    async with open_store(settings) as store:
        async with store.session() as session:
            rows = await repo.uncertain_runs(session)
    if not rows:
        print("Inga sammanfattningar med okänd leverans.")
        return EXIT_OK
    for run, sub in rows:
        print(f"v. {run.iso_week} {run.iso_year}: prenumeration {sub.id}, {sub.scope_name}, konversation "
              f"{sub.conversation_id} – {run.error or 'okänt'}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.cli_digest digest run …``: ``tavla`` with this module registered."""
    import bot.cli as cli

    if "bot.cli_digest" not in cli.COMMANDS:
        cli.COMMANDS.append("bot.cli_digest")
    return cli.run(argv)


if __name__ == "__main__":
    sys.exit(main())
