"""'hej', 'hjälp', install: the welcome/help card with examples from the store's own names."""

from __future__ import annotations

from bot.turn import Reply, Turn
from cards.help import HelpSection, HelpView, help_card

WORKPLACES = ("förskolan", "skolan", "boendet", "hemtjänsten", "biblioteket", "enheten")


async def help_view(turn: Turn, *, welcome: bool = False) -> HelpView:
    today = turn.clock.today()
    catalog = await turn.catalog(today.year)
    indicators = [e.extra.get("short") or e.label for e in catalog.of_kind("indicator")]
    lines = sorted(catalog.of_kind("budget_line"), key=lambda e: e.label)
    areas = [e.label for e in catalog.of_kind("area")]
    enheter = [e.label for e in catalog.of_kind("enhet")]
    sv = turn.lang == "sv"

    # Examples a newcomer recognises: frisknärvaro (the förvaltningsmål everyone reports on) first, an enhet
    # that sounds like a workplace rather than a line of the budget ("Kommunchef").
    indicators.sort(key=lambda name: 0 if name.lower().startswith("frisknärvaro") else 1)
    ind = [f"status {indicators[0].lower()}" if indicators else "status frisknärvaro"]
    ind += [f"hur går det med {name.lower() if len(name) > 4 else name}" for name in indicators[1:2]]
    enheter.sort(key=lambda name: 0 if name.lower().startswith(WORKPLACES) else 1)
    ind.append("visa indikatorer" if sv else "show indicators")
    aldre = next((e.label for e in lines if e.label.lower().startswith("äldre")), lines[0].label if lines else "")
    budget = [f"budget kvar {aldre.lower()}" if aldre else "budget totalt"]
    if areas:
        budget.append(f"hur mycket har {areas[min(7, len(areas) - 1)]} kvar?")
    if "budget totalt" not in budget:  # a year without budget lines already has it first
        budget.append("budget totalt")
    plans = ["mina aktiviteter", "rapportera", f"tavla {enheter[0]}" if enheter else "tavla", "nytt förslag"]
    digest = ["veckosammanfattning", "stoppa veckosammanfattning", "vad händer i september?"]
    workplace = next((n for n in enheter if n.lower().startswith(WORKPLACES)), None)
    named_area = next((a for a in areas if a.lower() != "kommunchef"), "Hälsa och omsorg")  # not "chef i Kommunchef"
    admin = ["mina roller", f"vem är chef i {workplace or named_area}"]
    sections = (
        HelpSection("indicators", tuple(ind)),
        HelpSection("budget", tuple(budget)),
        HelpSection("plans", tuple(plans)),
        HelpSection("digest", tuple(digest)),
        HelpSection("admin", tuple(admin)),
    )
    buttons = (ind[0], budget[0], "mina aktiviteter", ind[-1])
    in_channel = turn.where.conversation_type == "channel"
    return HelpView(welcome=welcome, sections=sections, buttons=buttons, as_of=today, pinned=turn.clock.pinned,
                    in_channel=in_channel, channel_buttons=channel_buttons(turn, enheter) if in_channel else ())


def channel_buttons(turn: Turn, enheter: list[str]) -> tuple[tuple[str, str], ...]:
    """In a channel: link it to the caller's enhet (the handlingsplaner feature's command) and subscribe."""
    sv = turn.lang == "sv"
    mine = sorted({m.org_unit_name for m in turn.caller.memberships if m.org_unit_name in enheter})
    link = (f"Koppla kanalen till {mine[0]}" if sv else f"Link the channel to {mine[0]}",
            f"koppla kanalen till {mine[0]}") if len(mine) == 1 else (
        "Koppla kanalen till en enhet" if sv else "Link the channel to a unit", "koppla kanalen")
    subscribe = ("Prenumerera på veckosammanfattning" if sv else "Subscribe to the weekly digest",
                 "prenumerera på veckosammanfattning")
    return (link, subscribe)


async def handle(turn: Turn) -> Reply:
    welcome = bool(turn.slots.get("greeting")) or bool(turn.data.get("welcome"))
    return Reply.card(help_card(await help_view(turn, welcome=welcome), turn.lang))


async def nothing_to_cancel(turn: Turn) -> Reply:
    """'avbryt' with no dialog open: say so (and no guessing at what else it might mean)."""
    from bot.dispatch import short_answer
    from cards.texts import t

    return short_answer(turn, t("nothing_to_cancel", turn.lang))


async def thanks(turn: Turn) -> Reply:
    """'tack!', 'tusen tack', '👍': a short answer (the whole help card was the answer to a thumbs-up)."""
    from bot.dispatch import short_answer
    from cards.texts import t

    return short_answer(turn, t("thanks", turn.lang))
