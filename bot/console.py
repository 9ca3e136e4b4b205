"""The console chat: talk to a running Tavla over the real Bot Framework protocol, as Teams does.

It serves its own connector endpoint on 127.0.0.1 (a free port) and sends that as ``serviceUrl``;
it POSTs Teams-shaped activities to the bot's ``/api/messages``, prints what the bot sends back to the
endpoint, and turns cards into text (``cards.render_text``). A number presses the button with that
number: ``Action.Execute`` goes as an ``adaptiveCard/action`` invoke (its response card replaces the
pressed card), ``Action.Submit`` as a message with ``value``. Works with a terminal or with lines on
stdin (tests, scripts). Only for a bot in local mode (no MicrosoftAppId): nothing here signs requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import textwrap
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TextIO

import aiohttp
from aiohttp import web

from cards.render_text import PLAIN, Button, Field, Style, markdown_text, render, with_visibility

CARD = "application/vnd.microsoft.card.adaptive"
DEFAULT_URL = "http://127.0.0.1:3978/api/messages"
BOT = {"id": "28:00000000-0000-4000-8000-00000000a1a1", "name": "Tavla"}
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
SEND_TIMEOUT_S = 60  # the bot answers an invoke within ~25 s; a slow turn still ends with a clear line

TEXTS = {
    "banner": "Tavla i konsolen – {url}, du är {name} ({lang}).",
    "banner_help": "Skriv som i Teams. En siffra trycker på knappen med det numret. "
                   "/hjälp visar konsolens kommandon, /avsluta (eller Ctrl-D) avslutar.",
    "unreachable": "Tavla svarar inte på {url} ({reason}).\n"
                   "Starta boten i ett annat fönster med `make run` (eller `.venv/bin/tavla serve`) och försök igen.",
    "lost": "Tavla svarar inte på {url} ({reason}). Är boten igång? Starta den med `make run` och skriv igen.",
    "auth": "Tavla på {url} kräver inloggning (HTTP {status}): konsolchatten fungerar bara mot en bot i "
            "lokalt läge, utan MicrosoftAppId.",
    "not_found": "Det finns ingen Tavla på {url} (HTTP {status}). Stämmer adressen? Standard är {default}.",
    "http_error": "Tavla svarade med HTTP {status}{detail}.",
    "timeout": "Tavla svarade inte inom {seconds} sekunder.",
    "no_welcome": "(Tavla kände redan igen den här chatten, så ingen välkomsthälsning visas. "
                  "Skriv ”hjälp” för att se vad du kan fråga.)",
    "help": (
        "Konsolens kommandon (allt annat skickas till Tavla som ett meddelande):\n"
        "  1, 2, …            tryck på knappen med det numret (ett tal utan knapp skickas som meddelande;\n"
        "                     i en lista som ber om numret är det aktivitetens nr, som i Teams)\n"
        "  /knappar           visa knapparna du kan trycka på just nu\n"
        "  /jag               visa vem du är\n"
        "  /jag NAMN [AAD-ID] byt användare (utan AAD-id räknas ett fast id fram ur namnet)\n"
        "{people}"
        "  /fil SÖKVÄG        skicka en fil (Excel eller CSV) i chatten, som en bifogad fil i Teams\n"
        "  /en, /sv           byt språk (engelska en-US, svenska sv-SE)\n"
        "  /hjälp             den här texten; skriv ”hjälp” utan snedstreck för Tavlas egen hjälp\n"
        "  /avsluta           avsluta (Ctrl-D gör samma sak)"
    ),
    "bye": "Hej då!",
    "unknown_command": "Okänt kommando {cmd}. Skriv /hjälp för konsolens kommandon.",
    "no_buttons": "Det finns inga knappar att trycka på just nu.",
    "buttons": "Knappar du kan trycka på:",
    "pressed": "(du trycker på ”{title}”)",
    "disabled": "Knappen ”{title}” går inte att trycka på.",
    "open_url": "(knappen öppnar {url} i webbläsaren)",
    "show_card": "(”{title}” fälls ut)",
    "toggled": "(kortet ändrades)",
    "replaced": "(kortet ersattes)",
    "updated": "(kortet uppdaterades)",
    "deleted": "(Tavla tog bort ett meddelande)",
    "answer": "(Tavla svarade: {value})",
    "error_answer": "Tavla svarade med ett fel: {message}",
    "fill_in": "Fyll i kortet (Enter behåller värdet inom [ ], - tömmer fältet):",
    "choices": "    val: {choices}",
    "required": "Fältet måste fyllas i.",
    "not_a_number": "Skriv ett tal (t.ex. 12 eller 12,5).",
    "too_small": "Talet får inte vara mindre än {limit}.",
    "too_large": "Talet får inte vara större än {limit}.",
    "unknown_choice": "Välj ett av alternativen (nummer eller namn).",
    "cancelled": "(knapptrycket avbröts)",
    "whoami": "Du är {name} (AAD-id {aad}), språk {lang}.",
    "file_usage": "Skriv /fil och sökvägen till en fil, t.ex. /fil utfall-april.xlsx.",
    "file_missing": "Filen {path} finns inte (eller går inte att läsa).",
    "file_sent": "(du skickar filen {name}, {size} byte)",
    "switched_user": "Du är nu {name} (AAD-id {aad}).",
    "switched_lang": "Språk: {lang}.",
    "lang_sv": "svenska",
    "lang_en": "engelska",
    "elsewhere": "Tavla (i konversation {conversation}):",
    "attachment": "[bilaga: {name}]",
    "unreadable": "(ett kort som inte gick att visa som text: {error})",
}


def say(key: str, **values: object) -> str:
    return TEXTS[key].format(**values)


# --- who is chatting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    name: str
    aad: str

    @classmethod
    def from_name(cls, name: str) -> "Identity":
        """A stable made-up AAD object id for a name (the same name is the same person next time)."""
        return cls(name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"tavla-console:{name.casefold()}")))

    @property
    def account(self) -> dict[str, Any]:
        return {"id": f"29:{self.aad}", "name": self.name, "aadObjectId": self.aad}

    @property
    def conversation_id(self) -> str:
        return f"a:personal-{self.aad}"


DEFAULT_USER = Identity("Anna Andersson", "aaaaaaaa-0000-4000-8000-000000000001")
_ACTIVITY_NR = re.compile(r"(?:nr|no\.) (\d+) ")  # an activity of a list: "nr 9 Lärplattor …", "no. 9 …"
_NUMBER_ASKED = ("Svara med dess nummer", "Answer with its number")  # … of a list that asks for its number


def _asks_for_number(card: dict[str, Any] | None) -> bool:
    text = json.dumps(card, ensure_ascii=False) if card else ""
    return any(phrase in text for phrase in _NUMBER_ASKED)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def demo_people() -> list[Identity]:
    """The exempeldata's people (``tavla seed --demo``), so ``/jag Bo`` can be Bo Berg with his roles."""
    try:
        from storage.demo import DEMO_PEOPLE
    except Exception:  # noqa: BLE001 - no demo module in this checkout: names then get made-up ids
        return []
    return [Identity(person[1], person[2]) for person in DEMO_PEOPLE]


def parse_identity(words: list[str], known: list[Identity] | None = None) -> Identity | None:
    """``/jag Bo Berg 1234…`` → Bo Berg with that AAD id. Without an id: a known person whose name is
    or starts with what was typed (``/jag bo``), else an id derived from the name."""
    if not words:
        return None
    if len(words) > 1 and (_GUID.match(words[-1]) or words[-1].count("-") >= 2):
        return Identity(" ".join(words[:-1]), words[-1])
    typed = " ".join(words).casefold()
    known = demo_people() if known is None else known
    for person in known:
        if person.name.casefold() == typed:
            return person
    starting = [p for p in known if p.name.casefold().startswith(typed)]
    if len(starting) == 1:
        return starting[0]
    return Identity.from_name(" ".join(words))


# --- activities as Teams sends them -------------------------------------------------------------------

_ids = itertools.count(1)


def _now() -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    utc = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return utc, now.astimezone().isoformat(timespec="milliseconds")


def base_activity(kind: str, who: Identity, locale: str, service_url: str, tenant: str) -> dict[str, Any]:
    utc, local = _now()
    return {
        "type": kind, "id": f"console-{uuid.uuid4().hex[:8]}-{next(_ids)}", "channelId": "msteams",
        "serviceUrl": service_url, "timestamp": utc, "localTimestamp": local,
        "from": who.account, "recipient": dict(BOT),
        "conversation": {"conversationType": "personal", "tenantId": tenant, "id": who.conversation_id},
        "channelData": {"tenant": {"id": tenant}}, "locale": locale,
        "entities": [{"locale": locale, "country": "SE", "platform": "Web", "timezone": "Europe/Stockholm",
                      "type": "clientInfo"}],
    }


def message_activity(who: Identity, locale: str, service_url: str, tenant: str, *, text: str | None = None,
                     value: Any = None, reply_to: str | None = None) -> dict[str, Any]:
    activity = base_activity("message", who, locale, service_url, tenant)
    if text is not None:
        activity["text"] = text
        activity["textFormat"] = "plain"
    if value is not None:
        activity["value"] = value
    if reply_to:
        activity["replyToId"] = reply_to
        activity["channelData"].update({"source": {"name": "message"}, "legacy": {"replyToId": f"1:{reply_to}"}})
    return activity


def invoke_activity(who: Identity, locale: str, service_url: str, tenant: str, button: Button,
                    data: dict[str, Any], reply_to: str | None) -> dict[str, Any]:
    """``Action.Execute`` as Teams sends it: an invoke named ``adaptiveCard/action``."""
    activity = base_activity("invoke", who, locale, service_url, tenant)
    action: dict[str, Any] = {"type": "Action.Execute", "title": button.title, "data": data}
    if button.verb:
        action["verb"] = button.verb
    if button.action_id:
        action["id"] = button.action_id
    activity.update({"name": "adaptiveCard/action", "value": {"action": action, "trigger": "manual"}})
    if reply_to:
        activity["replyToId"] = reply_to
    activity["channelData"].update({"source": {"name": "message"}, "legacy": {"replyToId": f"1:{reply_to or ''}"}})
    return activity


def installed_activity(who: Identity, locale: str, service_url: str, tenant: str) -> dict[str, Any]:
    """The bot added to the personal chat (Teams sends this on install)."""
    activity = base_activity("conversationUpdate", who, locale, service_url, tenant)
    activity["membersAdded"] = [dict(BOT), who.account]
    return activity


def merged_data(button: Button, values: dict[str, str]) -> Any:
    """The action's data with the inputs' values merged in, as Teams does (data wins nothing: inputs do)."""
    data = button.data
    if isinstance(data, dict):
        return {**data, **values}
    if values:
        return dict(values)
    return data


# --- where lines come from ------------------------------------------------------------------------


class LineSource(Protocol):
    echo: bool  # the console prints the prompt and the line (stdin is not a terminal)

    async def read(self, prompt: str) -> str | None:
        """The next line without its newline; None at the end (Ctrl-D, EOF)."""


class ScriptedLines:
    """Lines given up front (tests)."""

    echo = True

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = list(lines)

    async def read(self, prompt: str) -> str | None:
        return self._lines.pop(0) if self._lines else None


def _in_thread(call: Any) -> asyncio.Future[Any]:
    """Run a blocking read in a daemon thread (an unfinished read never holds up exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def work() -> None:
        try:
            result = call()
        except BaseException as exc:  # noqa: BLE001 - EOFError, KeyboardInterrupt: handed to the loop
            loop.call_soon_threadsafe(lambda: future.done() or future.set_exception(exc))
        else:
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

    threading.Thread(target=work, daemon=True, name="tavla-console-input").start()
    return future


class StreamLines:
    """Lines from a stream that is not a terminal (a pipe or a file): read until EOF."""

    echo = True

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    async def read(self, prompt: str) -> str | None:
        line = await _in_thread(self.stream.readline)
        return line.rstrip("\r\n") if line else None


class TerminalLines:
    """A terminal: ``input()`` with line editing and history (readline)."""

    echo = False

    def __init__(self) -> None:
        try:
            import readline  # noqa: F401 - importing it gives input() editing and history
        except ImportError:  # pragma: no cover - e.g. Windows
            pass

    async def read(self, prompt: str) -> str | None:
        try:
            return await _in_thread(lambda: input(prompt))
        except EOFError:
            return None

    @staticmethod
    def current_input() -> str:
        try:
            import readline

            return readline.get_line_buffer()
        except Exception:  # noqa: BLE001 - no readline: nothing to restore
            return ""


ANSI = Style(
    heading=lambda s: f"\x1b[1m{s}\x1b[0m", bold=lambda s: f"\x1b[1m{s}\x1b[0m",
    subtle=lambda s: f"\x1b[2m{s}\x1b[0m", attention=lambda s: f"\x1b[31m{s}\x1b[0m",
    warning=lambda s: f"\x1b[33m{s}\x1b[0m", good=lambda s: f"\x1b[32m{s}\x1b[0m",
    button=lambda s: f"\x1b[36m{s}\x1b[0m",
)


# --- the console ------------------------------------------------------------------------------------


class BotUnavailable(Exception):
    """The bot could not be reached or refused us; the message says what to do."""


@dataclass
class Shown:
    """A message the bot sent that is on screen: its id (for replyToId) and card."""

    message_id: str | None
    card: dict[str, Any] | None


class Console:
    """One chat session. ``await Console(...).run(lines)`` returns the exit code."""

    INDENT = "  "

    def __init__(self, url: str = DEFAULT_URL, *, who: Identity = DEFAULT_USER, locale: str = "sv-SE",
                 tenant: str = TENANT, out: TextIO | None = None, err: TextIO | None = None,
                 style: Style | None = None, width: int | None = None) -> None:
        self.url = url
        self.who = who
        self.locale = locale
        self.tenant = tenant
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        tty = _isatty(self.out)
        self.style = style or (ANSI if tty else PLAIN)
        if width is None:
            width = min(shutil.get_terminal_size((80, 24)).columns, 92) if tty else 80
        self.width = max(width - len(self.INDENT), 30)
        self.service_url = ""
        self.received = 0  # activities the bot sent us
        self.active: dict[int, tuple[Button, Shown]] = {}
        self._batch_open = False
        self._next = 1
        self._messages: dict[str, Shown] = {}
        self._message_ids = itertools.count(1)
        self._prompt: str | None = None  # set while a terminal waits for a line
        self._held: list[str] | None = None  # output kept back while starting
        self._spoke = False  # something was printed since the last prompt (a blank line goes before the next)
        self._lines: LineSource | None = None
        self._http: aiohttp.ClientSession | None = None
        self._files: dict[str, tuple[str, bytes]] = {}  # sent with /fil: served to the bot at its downloadUrl

    # --- running ------------------------------------------------------------------------------

    async def run(self, lines: LineSource) -> int:
        self._lines = lines
        runner = await self._start_connector()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S)) as http:
                self._http = http
                self._held = []  # the banner and the welcome wait until the bot has answered
                self.emit([say("banner", url=self.url, name=self.who.name, lang=self.lang_name),
                           say("banner_help")], indent=False)
                try:
                    await self._post(installed_activity(self.who, self.locale, self.service_url, self.tenant))
                except BotUnavailable as exc:
                    self._held = None
                    print(str(exc), file=self.err, flush=True)
                    return 1
                held, self._held = self._held, None
                self.out.write("".join(held))
                if self.received == 0:
                    self.emit([say("no_welcome")], indent=False)
                self.out.flush()
                return await self._loop(lines)
        finally:
            await runner.cleanup()

    async def _loop(self, lines: LineSource) -> int:
        while True:
            prompt = f"{self.who.name.split()[0] if self.who.name.split() else 'du'}> "
            line = await self.read(prompt)
            if line is None:
                self.emit(["", say("bye")] if not lines.echo else [say("bye")], indent=False)
                return 0
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if not await self.command(line):
                    self.emit([say("bye")], indent=False)
                    return 0
            elif (button := self.numbered_as(int(line)) if line.isascii() and line.isdigit() else None) is not None:
                await self.press(button)  # other numbers are messages: "50" (%), "nr 7"
            else:
                await self.send_text(line)

    def numbered_as(self, typed: int) -> int | None:
        """The button a typed number presses, or None (it is a message). Buttons that are activities ("nr 9
        Lärplattor …", a list that says "Svara med dess nummer") go by the activity's number, as Teams would send
        "9" to the list; other buttons by the console's own [N]."""
        nr = {n: int(found.group(1)) for n, (b, shown) in self.active.items()
              if (found := _ACTIVITY_NR.match(b.label)) is not None and _asks_for_number(shown.card)}
        if nr:
            return next((n for n, activity in nr.items() if activity == typed), None)
        return typed if typed in self.active else None

    async def read(self, prompt: str) -> str | None:
        assert self._lines is not None
        if self._spoke and not prompt.startswith(" "):
            self.emit([""], indent=False)
        self._spoke = False
        self._prompt = None if self._lines.echo else prompt
        try:
            line = await self._lines.read(prompt)
        finally:
            self._prompt = None
        if line is not None and self._lines.echo:
            self.emit([f"{prompt}{line}"], indent=False, wrap=False)
        self._spoke = False
        return line

    @property
    def lang_name(self) -> str:
        return say("lang_en") if self.locale.lower().startswith("en") else say("lang_sv")

    # --- commands -----------------------------------------------------------------------------

    async def command(self, line: str) -> bool:
        """A console command; False to stop."""
        word, *rest = line.split()
        word = word.lower()
        if word in ("/avsluta", "/quit", "/exit", "/q"):
            return False
        if word in ("/hjälp", "/hjalp", "/help", "/?"):
            people = demo_people()
            listed = "".join(line + "\n" for line in textwrap.wrap(
                "exempeldatans personer: " + ", ".join(p.name for p in people), self.width,
                initial_indent=" " * 21, subsequent_indent=" " * 21)) if people else ""
            self.emit(say("help", people=listed).split("\n"), indent=False, wrap=False)
        elif word in ("/en", "/sv"):
            self.locale = "en-US" if word == "/en" else "sv-SE"
            self.emit([say("switched_lang", lang=self.lang_name)], indent=False)
        elif word == "/jag":
            who = parse_identity(rest)
            if who is None:
                self.emit([say("whoami", name=self.who.name, aad=self.who.aad, lang=self.lang_name)], indent=False)
            else:
                self.who = who
                self.emit([say("switched_user", name=who.name, aad=who.aad)], indent=False)
                await self._safely(installed_activity(self.who, self.locale, self.service_url, self.tenant))
        elif word == "/knappar":
            self.list_buttons()
        elif word in ("/fil", "/file"):
            await self.send_file(line.split(maxsplit=1)[1].strip() if rest else "")
        else:
            self.emit([say("unknown_command", cmd=word)], indent=False)
        return True

    def list_buttons(self) -> None:
        if not self.active:
            self.emit([say("no_buttons")], indent=False)
            return
        self.emit([say("buttons")] + [f"[{n}] {b.label}" for n, (b, _) in sorted(self.active.items())])

    # --- sending ------------------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        self._batch_open = False
        await self._safely(message_activity(self.who, self.locale, self.service_url, self.tenant, text=text))

    async def send_file(self, path_text: str) -> None:
        """A file message as Teams sends one to a bot (``supportsFiles``): its bytes are served by this console's
        connector at the ``downloadUrl``, as SharePoint serves a file's pre-authenticated link."""
        if not path_text:
            self.emit([say("file_usage")], indent=False)
            return
        path = Path(path_text.strip("\"'")).expanduser()
        try:
            data = path.read_bytes()
        except OSError:
            self.emit([say("file_missing", path=path)], indent=False)
            return
        token = uuid.uuid4().hex
        self._files[token] = (path.name, data)
        self.emit([say("file_sent", name=path.name, size=len(data))], indent=False)
        activity = message_activity(self.who, self.locale, self.service_url, self.tenant)
        activity["attachments"] = [{
            "contentType": "application/vnd.microsoft.teams.file.download.info", "name": path.name,
            "contentUrl": f"{self.service_url}files/{token}/{path.name}",
            "content": {"downloadUrl": f"{self.service_url}files/{token}", "uniqueId": token,
                        "fileType": path.suffix.lstrip(".").lower()}}]
        self._batch_open = False
        await self._safely(activity)

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        found = self._files.get(request.match_info["token"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[1], content_type="application/octet-stream")

    async def press(self, number: int) -> None:
        button, shown = self.active[number]
        if not button.enabled:
            self.emit([say("disabled", title=button.label)], indent=False)
            return
        if button.kind == "Action.OpenUrl":
            self.emit([say("open_url", url=button.url or "?")], indent=False)
            return
        if button.kind == "Action.ShowCard":
            self.emit([say("show_card", title=button.label)], indent=False)
            self.emit(button.detail.split("\n") if button.detail else [])
            return
        if button.kind == "Action.ToggleVisibility":
            if shown.card is not None:
                card = with_visibility(shown.card, button.targets)
                shown.card = card
                self._batch_open = False
                self.show_card(card, shown, note=say("toggled"))
            return
        self.emit([say("pressed", title=button.label)], indent=False)
        values = await self.fill_in(button)
        if values is None:
            self.emit([say("cancelled")], indent=False)
            return
        self._batch_open = False
        data = merged_data(button, values)
        if button.kind == "Action.Execute":
            await self._execute(button, data if isinstance(data, dict) else {}, shown)
        else:
            await self._submit(data, shown)

    async def _execute(self, button: Button, data: dict[str, Any], shown: Shown) -> None:
        activity = invoke_activity(self.who, self.locale, self.service_url, self.tenant, button, data,
                                   shown.message_id)
        result = await self._safely(activity)
        if result is None:
            return
        status, body = result
        if not isinstance(body, dict):
            return
        kind = body.get("type")
        if kind == CARD and isinstance(body.get("value"), dict):
            shown.card = body["value"]
            self.show_card(body["value"], shown, note=say("replaced"))
        elif kind == "application/vnd.microsoft.error":
            value = body.get("value") if isinstance(body.get("value"), dict) else {}
            self.emit([say("error_answer", message=value.get("message") or value.get("code") or status)])
        elif kind == "application/vnd.microsoft.activity.message":
            value = body.get("value")
            if isinstance(value, str) and value.strip() and value.strip() != "OK":
                self.emit([say("answer", value=value)], indent=False)

    async def _submit(self, data: Any, shown: Shown) -> None:
        """Action.Submit: a message with the data as ``value`` (or Teams' imBack/messageBack)."""
        teams = data.get("msteams") if isinstance(data, dict) and isinstance(data.get("msteams"), dict) else None
        text: str | None = None
        value: Any = data
        if teams is not None and teams.get("type") == "imBack":
            text, value = str(teams.get("value") or ""), None
        elif teams is not None and teams.get("type") == "messageBack":
            text = str(teams.get("text") or teams.get("displayText") or "") or None
            value = teams.get("value")
        activity = message_activity(self.who, self.locale, self.service_url, self.tenant, text=text, value=value,
                                    reply_to=shown.message_id if text is None else None)
        await self._safely(activity)

    async def fill_in(self, button: Button) -> dict[str, str] | None:
        """The values of the inputs sent with ``button``: the ones next to it are asked for (Enter keeps
        the shown value), the rest keep the value on the card, as in Teams. None when the lines ran out."""
        values = {f.id: f.value for f in button.inputs}
        fields = [f for f in button.inputs if f.id in button.ask]
        if fields:
            self.emit([say("fill_in")], indent=False)
        for f in fields:
            if f.choices or f.kind == "Input.Toggle":
                choices = [t for t, _ in f.choices] if f.choices else ["ja", "nej"]
                self.emit([say("choices", choices="  ".join(f"{n}) {t}" for n, t in enumerate(choices, 1)))],
                          indent=False)
            while True:
                shown = f.shown()
                default = f" [{shown}]" if shown else ""
                line = await self.read(f"  {f.label}{' *' if f.required else ''}{default}: ")
                if line is None:
                    return None
                value, problem = parse_input(f, line.strip())
                if problem:
                    self.emit([f"    {problem}"], indent=False)
                    continue
                values[f.id] = value
                break
        return values

    async def _safely(self, activity: dict[str, Any]) -> tuple[int, Any] | None:
        """Send; a lost bot is a printed line, not the end of the session."""
        try:
            return await self._post(activity)
        except BotUnavailable as exc:
            self.emit(str(exc).split("\n"), indent=False)
            return None
        finally:
            self._batch_open = False

    async def _post(self, activity: dict[str, Any]) -> tuple[int, Any]:
        assert self._http is not None
        try:
            async with self._http.post(self.url, json=activity) as resp:
                raw = await resp.text()
                status = resp.status
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            reason = _reason(exc)
            key = "unreachable" if activity["type"] == "conversationUpdate" else "lost"
            raise BotUnavailable(say(key, url=self.url, reason=reason)) from exc
        except asyncio.TimeoutError as exc:
            raise BotUnavailable(say("timeout", seconds=SEND_TIMEOUT_S)) from exc
        except aiohttp.InvalidURL as exc:
            raise BotUnavailable(say("not_found", url=self.url, status="–", default=DEFAULT_URL)) from exc
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        if status in (401, 403):
            raise BotUnavailable(say("auth", url=self.url, status=status))
        if status in (404, 405):
            raise BotUnavailable(say("not_found", url=self.url, status=status, default=DEFAULT_URL))
        if status >= 400:
            detail = ""
            if isinstance(body, dict) and body.get("error"):
                detail = f": {body['error']}"
            self.emit([say("http_error", status=status, detail=detail)], indent=False)
        return status, body

    # --- the connector endpoint (the bot's serviceUrl) -----------------------------------------

    async def _start_connector(self) -> web.AppRunner:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{conv}/activities", self._on_post)
        app.router.add_post("/v3/conversations/{conv}/activities/{aid}", self._on_post)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", self._on_put)
        app.router.add_delete("/v3/conversations/{conv}/activities/{aid}", self._on_delete)
        app.router.add_get("/v3/conversations/{conv}/members/{member}", self._on_member)
        app.router.add_get("/v3/conversations/{conv}/members", self._on_members)
        app.router.add_get("/v3/conversations/{conv}/pagedmembers", self._on_paged_members)
        app.router.add_post("/v3/conversations", self._on_create)
        app.router.add_get("/files/{token}", self._on_file)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.service_url = f"http://{host}:{port}/"
        return runner

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return body if isinstance(body, dict) else {}

    async def _on_post(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        message_id = f"msg-{next(self._message_ids)}"
        self._show(body, message_id, request.match_info["conv"])
        return web.json_response({"id": message_id}, status=201)

    async def _on_put(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        message_id = request.match_info["aid"]
        self._show(body, message_id, request.match_info["conv"], note=say("updated"))
        return web.json_response({"id": message_id})

    async def _on_delete(self, request: web.Request) -> web.Response:
        self._messages.pop(request.match_info["aid"], None)
        self.active = {n: e for n, e in self.active.items() if e[1].message_id != request.match_info["aid"]}
        self.emit([say("deleted")], indent=False)
        return web.Response(status=200)

    def _member(self) -> dict[str, Any]:
        given, _, surname = self.who.name.partition(" ")
        return {**self.who.account, "givenName": given, "surname": surname, "tenantId": self.tenant,
                "userPrincipalName": "", "email": "", "userRole": "user"}

    async def _on_member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        if member in (self.who.account["id"], self.who.aad):
            return web.json_response(self._member())
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)

    async def _on_members(self, request: web.Request) -> web.Response:
        return web.json_response([self._member()])

    async def _on_paged_members(self, request: web.Request) -> web.Response:
        return web.json_response({"members": [self._member()]})

    async def _on_create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        conversation = self.who.conversation_id
        activity = body.get("activity") if isinstance(body.get("activity"), dict) else None
        message_id = f"msg-{next(self._message_ids)}"
        if activity:
            self._show(activity, message_id, conversation)
        return web.json_response({"id": conversation, "activityId": message_id}, status=201)

    # --- printing -----------------------------------------------------------------------------

    def _show(self, activity: dict[str, Any], message_id: str, conversation: str, *, note: str | None = None) -> None:
        """``show_activity`` for the connector endpoint: the bot always gets its answer."""
        try:
            self.show_activity(activity, message_id, conversation, note=note)
        except (BrokenPipeError, ValueError):  # our output is gone (closed pipe or stream): nothing to show
            pass
        except Exception as exc:  # noqa: BLE001 - a console bug must not become an error for the bot
            try:
                self.emit([say("unreadable", error=f"{type(exc).__name__}: {exc}")], indent=False)
            except Exception:  # noqa: BLE001 - output is gone too
                pass

    def show_activity(self, activity: dict[str, Any], message_id: str, conversation: str, *,
                      note: str | None = None) -> None:
        """Print one activity the bot sent (never raises: a broken card is shown as such)."""
        if activity.get("type", "message") != "message":
            return  # typing indicators and the like
        self.received += 1
        shown = self._messages.get(message_id) or Shown(message_id, None)
        self._messages[message_id] = shown
        header = "Tavla:" if conversation == self.who.conversation_id else say("elsewhere", conversation=conversation)
        lines: list[str] = ["", note] if note else [""]
        lines.append(header)
        text = activity.get("text") if isinstance(activity.get("text"), str) else ""
        cards = []
        for attachment in activity.get("attachments") or []:
            if not isinstance(attachment, dict):
                continue
            content = attachment.get("content")
            if attachment.get("contentType") == CARD and isinstance(content, dict):
                cards.append(content)
            else:
                name = attachment.get("name") or attachment.get("contentType") or "?"
                lines.append(self.INDENT + say("attachment", name=name))
        suggested = activity.get("suggestedActions")
        if isinstance(suggested, dict) and isinstance(suggested.get("actions"), list):
            cards.append({"type": "AdaptiveCard", "version": "1.5", "body": [], "actions": [
                {"type": "Action.Submit", "title": a.get("title") or a.get("value"),
                 "data": {"msteams": {"type": "imBack", "value": a.get("value") or a.get("title")}}}
                for a in suggested["actions"] if isinstance(a, dict)]})
        if text.strip():
            body = markdown_text(text, self.width).split("\n")
            single = f"{header} {body[0]}"
            if not cards and len(body) == 1 and not note and len(single) <= self.width + len(self.INDENT):
                self.emit(["", single], indent=False)
                return
            lines += [self.INDENT + line if line else "" for line in body]
        self.emit(lines, indent=False)
        for card in cards:
            shown.card = card
            self.show_card(card, shown, header=False)

    def show_card(self, card: dict[str, Any], shown: Shown, *, note: str | None = None, header: bool = True) -> None:
        self.active = {n: entry for n, entry in self.active.items() if entry[1] is not shown}  # replaced: gone
        start = self._next if self._batch_open else 1
        try:
            text, buttons = render(card, start=start, width=self.width, style=self.style)
        except Exception as exc:  # noqa: BLE001 - the console shows what it could not read and goes on
            self.emit([say("unreadable", error=f"{type(exc).__name__}: {exc}"),
                       json.dumps(card, ensure_ascii=False)[:2000]])
            return
        if buttons:
            if not self._batch_open:
                self.active = {}
                self._batch_open = True
            for b in buttons:
                self.active[b.number] = (b, shown)
            self._next = start + len(buttons)
        lines = ["", note] if note else [""]
        if header:
            lines.append("Tavla:")
        elif not note:
            lines = []
        self.emit(lines, indent=False)
        self.emit(text.split("\n"))

    def emit(self, lines: list[str], *, indent: bool = True, wrap: bool = True) -> None:
        """Print lines; a terminal waiting at the prompt gets its prompt (and what was typed) back after.

        Indented lines are card text (already wrapped, maybe styled); the console's own notes wrap here.
        """
        if not lines:
            return
        if not indent and wrap:
            width = self.width + len(self.INDENT)
            lines = [part for line in lines
                     for part in (textwrap.wrap(line, width, subsequent_indent=" " * (len(line) - len(line.lstrip())),
                                                break_on_hyphens=False) or [""])]
        self._spoke = True
        text = "".join((self.INDENT + line if indent and line else line) + "\n" for line in lines)
        if self._held is not None:
            self._held.append(text)
            return
        waiting = self._prompt is not None
        if waiting:
            self.out.write("\r\x1b[K")
        self.out.write(text)
        if waiting:
            self.out.write(f"{self._prompt}{TerminalLines.current_input()}")
        self.out.flush()


def parse_input(f: Field, raw: str) -> tuple[str, str | None]:
    """What the person typed for an input → (value to send, problem or None)."""
    if raw == "":
        value = f.value
    elif raw == "-":
        value = ""
    elif f.kind == "Input.Toggle":
        low = raw.lower()
        if low in ("1", "ja", "j", "yes", "y", "på", "true", f.value_on.lower()):
            value = f.value_on
        elif low in ("2", "nej", "n", "no", "av", "false", f.value_off.lower()):
            value = f.value_off
        else:
            return "", say("unknown_choice")
    elif f.choices:
        picked = []
        for part in (raw.split(",") if f.multi else [raw]):
            part = part.strip()
            match = _choice(f, part)
            if match is None:
                return "", say("unknown_choice")
            picked.append(match)
        value = ",".join(picked)
    elif f.kind == "Input.Number":
        try:
            number = float(raw.replace(",", ".").replace("\u2212", "-").replace(" ", "").replace("\u00a0", ""))
        except ValueError:
            return "", say("not_a_number")
        if f.minimum is not None and number < f.minimum:
            return "", say("too_small", limit=_plain(f.minimum))
        if f.maximum is not None and number > f.maximum:
            return "", say("too_large", limit=_plain(f.maximum))
        value = _plain(number)
    else:
        value = raw
    if f.required and not value:
        return "", say("required")
    return value, None


def _choice(f: Field, typed: str) -> str | None:
    if typed.isdigit() and 1 <= int(typed) <= len(f.choices):
        return f.choices[int(typed) - 1][1]
    for title, value in f.choices:
        if typed.casefold() in (title.casefold(), value.casefold()):
            return value
    return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "anslutningen nekades" if isinstance(exc.os_error, ConnectionRefusedError) else (
            exc.os_error.strerror or str(exc.os_error))
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "servern stängde anslutningen"
    return str(exc) or type(exc).__name__


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def lines_for(stream: TextIO) -> LineSource:
    """A terminal gets line editing; anything else is read line by line until EOF."""
    return TerminalLines() if _isatty(stream) and _isatty(sys.stdout) else StreamLines(stream)


async def chat(url: str = DEFAULT_URL, *, who: Identity = DEFAULT_USER, locale: str = "sv-SE",
               tenant: str = TENANT, lines: LineSource | None = None, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    """Run a console chat until /avsluta or EOF; the exit code (1 when the bot cannot be reached)."""
    console = Console(url, who=who, locale=locale, tenant=tenant, out=out, err=err)
    return await console.run(lines or lines_for(sys.stdin))
