"""The shared message catalogue (Swedish first, English when the activity's locale is English).

Feature cards keep their own texts in a ``TEXTS`` dict at the top of their module; what several
cards share lives here.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "as_of": {"sv": "Visar läget {date}", "en": "Showing the situation on {date}"},
    "as_of_pinned": {"sv": "Visar läget {date} (inställt datum)", "en": "Showing the situation on {date} (pinned date)"},
    "demo": {"sv": "Exempeldata – påhittade siffror för att prova Tavla", "en": "Example data – invented figures for trying Tavla"},
    "apology": {
        "sv": "Förlåt, något gick fel hos mig. Försök igen om en stund – inget av det du skrev har gått förlorat.",
        "en": "Sorry, something went wrong on my side. Please try again in a moment – nothing you wrote was lost.",
    },
    "temporary": {
        "sv": "Tillfälligt fel, försök igen om en liten stund.",
        "en": "Temporary error, please try again in a moment.",
    },
    "not_understood": {"sv": "Jag förstod inte det här:", "en": "I didn't understand this:"},
    "try_these": {"sv": "Prova till exempel:", "en": "Try for example:"},
    "did_you_mean": {"sv": "Menade du något av detta?", "en": "Did you mean one of these?"},
    "help_button": {"sv": "Visa hjälp", "en": "Show help"},
    "no_access": {
        "sv": "Du finns inte registrerad i Tavla än. Be din chef eller Tavlas administratör att lägga till dig "
              "(kommandot ”ge <namn> rollen medarbetare i <enhet>”).",
        "en": "You are not registered in Tavla yet. Ask your manager or Tavla's administrator to add you.",
    },
    "sensitive": {
        "sv": "Handlingsplaner är offentliga i organisationen: skriv inga sekretessbelagda uppgifter eller känsliga "
              "personuppgifter (t.ex. om hälsa) i kommentarer.",
        "en": "Action plans are public within the organisation: do not write confidential or sensitive personal "
              "details (e.g. about health) in comments.",
    },
    "unknown_action": {
        "sv": "Den knappen känner jag inte igen längre. Skriv ”hjälp” för att se vad du kan göra.",
        "en": "I no longer recognise that button. Write “help” to see what you can do.",
    },
    "done": {"sv": "Klart.", "en": "Done."},
    "nothing_to_cancel": {"sv": "Det finns inget att avbryta just nu.", "en": "There is nothing to cancel right now."},
    "thanks": {"sv": "Varsågod! Skriv ”hjälp” när du vill se vad du kan fråga.",
               "en": "You're welcome! Write “help” to see what you can ask."},
    "bad_input": {"sv": "Det gick inte att läsa: {reason}", "en": "Could not read that: {reason}"},
    "foreign_tenant": {
        "sv": "Den här Tavla-installationen tillhör en annan organisation och kan inte användas härifrån.",
        "en": "This Tavla installation belongs to another organisation and cannot be used from here.",
    },
}


def t(key: str, lang: str = "sv", **values: object) -> str:
    """The text for ``key`` in ``lang`` (Swedish when there is no English), with values filled in."""
    entry = TEXTS[key]
    return entry.get(lang, entry["sv"]).format(**values)


def pick(texts: dict[str, dict[str, str]], key: str, lang: str, **values: object) -> str:
    """Same as ``t`` for a card module's own ``TEXTS``."""
    entry = texts[key]
    return entry.get(lang, entry["sv"]).format(**values)
