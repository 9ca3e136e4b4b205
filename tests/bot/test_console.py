"""The console chat over the real protocol: against Tavla itself, and against a scripted bot that checks
every activity the console sends (Action.Execute invoke, Action.Submit message, inputs, identity, locale)."""

from __future__ import annotations

from decimal import Decimal

import inspect
import io
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.console import (
    DEFAULT_USER,
    Console,
    Identity,
    ScriptedLines,
    StreamLines,
    chat,
    merged_data,
    parse_identity,
    parse_input,
)
from cards import core
from cards.render_text import Button, Field
from storage.db import Store
from tests.support.harness import running

Line = str | Callable[[Console], Any]


class Script:
    """Scripted lines; a callable line is computed when read (e.g. the number of a button by its title)."""

    echo = True

    def __init__(self, console: Console, lines: list[Line]) -> None:
        self.console = console
        self.lines = list(lines)

    async def read(self, prompt: str) -> str | None:
        if not self.lines:
            return None
        line = self.lines.pop(0)
        if callable(line):
            line = line(self.console)
            if inspect.isawaitable(line):
                line = await line
        return line


def button(title: str) -> Callable[[Console], str]:
    def number(console: Console) -> str:
        for n, (b, _) in console.active.items():
            if b.title == title:
                return str(n)
        raise AssertionError(f"no button {title!r} among {[b.title for b, _ in console.active.values()]}")

    return number


async def talk(url: str, lines: list[Line], **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    console = Console(url, out=out, err=err, **kwargs)
    code = await console.run(Script(console, lines))
    return code, out.getvalue(), err.getvalue()


# --- against Tavla itself ----------------------------------------------------------------------------


async def test_chat_with_tavla_welcome_help_and_buttons(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        code, out, err = await talk(f"{h.base_url}/api/messages", [
            "hjälp", "1", "blomkål och potatis", button("Visa hjälp"), "/avsluta"])
    assert code == 0, err
    assert err == ""
    welcome, rest = out.split("Anna> hjälp", 1)
    assert "Hej! Jag är Tavla" in welcome and "═════" in welcome
    assert "  [1] " in welcome and "  [4] " in welcome  # a numbered button list
    help_part, after_press = rest.split("Anna> 1", 1)
    assert "Det här kan du fråga Tavla" in help_part
    first = help_part.split("  [1] ", 1)[1].split("\n", 1)[0]
    assert f"(du trycker på ”{first}”)" in after_press
    pressed, rest = after_press.split("Anna> blomkål och potatis", 1)
    assert "Tavla:" in pressed  # the bot answered the pressed button
    not_understood, rest = rest.split("(du trycker på ”Visa hjälp”)", 1)
    assert "Jag förstod inte det här:" in not_understood and "blomkål och potatis" in not_understood
    assert "Det här kan du fråga Tavla" in rest
    assert rest.rstrip().endswith("Hej då!")


async def test_second_session_says_why_there_is_no_welcome_and_english_works(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        url = f"{h.base_url}/api/messages"
        code, first, _ = await talk(url, [])
        assert code == 0 and "Hej! Jag är Tavla" in first
        code, second, _ = await talk(url, ["/en", "help"])
    assert code == 0
    assert "Hej! Jag är Tavla" not in second and "ingen välkomsthälsning" in second
    assert "What you can ask Tavla" in second


async def test_new_identity_gets_its_own_welcome(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        code, out, _ = await talk(f"{h.base_url}/api/messages", ["/jag Bo Berg", "/jag"])
    assert code == 0
    after = out.split("Du är nu Bo Berg", 1)[1]
    assert "Hej! Jag är Tavla" in after
    assert "Du är Bo Berg" in after


async def test_a_file_sent_with_fil_is_previewed_and_imported_as_in_teams(sqlite_store: Store, tmp_path: Any) -> None:
    """The README has Erik send an utfall file in the chat; the console could not send one. ``/fil PATH`` sends a
    Teams file message whose downloadUrl the console's own connector serves."""
    from datetime import date

    from sqlalchemy import select

    from storage.demo import seed_demo
    from storage.models import IndicatorValue

    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    values = tmp_path / "frisk mars.csv"
    values.write_text("indikator;period;enhet;värde;underlag\nFrisknärvaro;2018-03;Förskolan Humlan;95,3;20\n",
                      encoding="utf-8")
    async with running(sqlite_store) as h:
        code, out, err = await talk(f"{h.base_url}/api/messages", [
            "/jag Cecilia Carlsson", f"/fil {values}", button("Importera"), f"/fil {tmp_path / 'saknas.csv'}", "/fil"])
    assert code == 0 and err == "", err
    assert "(du skickar filen frisk mars.csv, " in out and "Förhandsgranskning: Indikatorvärden" in out, out
    assert "Förskolan Humlan  1 rad\n" in out and "Indikatorvärden inläst" in out
    assert "saknas.csv finns inte" in " ".join(out.split()) and "Skriv /fil och sökvägen" in out
    async with sqlite_store.session() as s:
        assert Decimal("95.3") in (await s.execute(select(IndicatorValue.value))).scalars().all()


async def test_a_number_typed_to_the_guided_reports_list_is_the_activitys_number(sqlite_store: Store) -> None:
    """The list says "Svara med dess nummer" over "nr 1, nr 9, nr 4 …": in Teams "4" is nr 4, so in the console
    too — not the console's fourth button (nr 8). A number without a button goes as a message, as in Teams."""
    from datetime import date

    from storage.demo import seed_demo

    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        code, out, err = await talk(f"{h.base_url}/api/messages", ["rapportera", "4", "avbryt", "rapportera", "7",
                                                                    "avbryt", "hjälp", "1"])
    assert code == 0 and err == "", err
    flat = " ".join(out.split())
    assert "[4] nr 8 Fortbildning" in flat  # the console's [4] is nr 8 …
    assert "(du trycker på ”nr 4 Introduktionsfilm om Göingemodellen”)" in flat  # … but "4" is nr 4
    seven = flat.split("Anna> 7", 1)[1].split("Anna> avbryt", 1)[0]
    assert "(du trycker på" not in seven and "Lärplattor på varje avdelning" in seven  # nr 7 has no button
    assert flat.split("Anna> hjälp", 1)[1].count("(du trycker på") == 1  # elsewhere a number is a button's


async def test_unreachable_bot_says_how_to_start_it() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = await talk(f"http://127.0.0.1:{port}/api/messages", ["hjälp"])
    assert code == 1
    assert "svarar inte" in err and "make run" in err
    assert "Traceback" not in out + err


async def test_stream_lines_read_until_eof(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        out = io.StringIO()
        code = await chat(f"{h.base_url}/api/messages", lines=StreamLines(io.StringIO("hej\n\n")), out=out,
                          err=io.StringIO())
    assert code == 0
    assert "Anna> hej" in out.getvalue() and out.getvalue().rstrip().endswith("Hej då!")


# --- against a scripted bot: what exactly the console sends ------------------------------------------

FORM = core.card(
    [core.heading("Rapportera"), core.text_input("comment", "Kommentar", placeholder="Vad har hänt?"),
     core.number_input("progress", "Klart (%)", value=40, minimum=0, maximum=100),
     core.choice_input("status", "Status", [("Pågår", "doing"), ("Klar", "done")], value="doing"),
     core.container([core.text("Mer information")], element_id="more", visible=False)],
    [core.execute("Spara", "save", {"activity": 7}),
     core.submit("Skicka som meddelande", {"verb": "send", "activity": 7}),
     core.show_card("Kommentera", core.card([core.text_input("note", "Anteckning")],
                                            [core.execute("Spara anteckning", "note", {"activity": 7})])),
     core.toggle("Visa mer", ["more"]),
     core.execute("Utan fält", "plain", {"x": 1}, associated_inputs="none")],
)


class ScriptedBot:
    """A bot on a local port that answers like Tavla does, and records what it got."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/messages"))

    async def _send(self, activity: dict[str, Any], body: dict[str, Any], method: str = "POST",
                    message_id: str | None = None) -> None:
        base = activity["serviceUrl"].rstrip("/")
        conv = activity["conversation"]["id"]
        url = f"{base}/v3/conversations/{conv}/activities" + (f"/{message_id}" if message_id else "")
        async with aiohttp.ClientSession() as http:
            async with http.request(method, url, json=body) as resp:
                assert resp.status in (200, 201)

    async def handle(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self.got.append(activity)
        card = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                    "content": FORM}]}
        if activity["type"] == "conversationUpdate":
            await self._send(activity, card)
        elif activity["type"] == "invoke":
            data = activity["value"]["action"]["data"]
            done = core.card([core.text(f"Sparat: {data.get('comment', '')} {data.get('progress', '')}")])
            return web.json_response({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
                                      "value": done})
        elif activity.get("value") is not None:
            updated = {"type": "message", "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": core.card([core.text(f"Skickat: {activity['value'].get('status')}")])}]}
            await self._send(activity, updated, "PUT", activity["replyToId"])
        else:
            await self._send(activity, {"type": "message", "text": f"Du skrev: {activity['text']}"})
            await self._send(activity, card)
        return web.Response(status=201)


@asynccontextmanager
async def scripted_bot() -> AsyncIterator[ScriptedBot]:
    bot = ScriptedBot()
    app = web.Application()
    app.router.add_post("/api/messages", bot.handle)
    bot.server = TestServer(app, host="127.0.0.1")
    await bot.server.start_server()
    try:
        yield bot
    finally:
        await bot.server.close()


async def test_execute_sends_the_invoke_teams_sends_with_inputs_and_shows_the_replacement() -> None:
    async with scripted_bot() as bot:
        code, out, _ = await talk(bot.url, ["1", "Bytt rutin", "55,5", "2"])
    assert code == 0
    install, invoke = bot.got
    assert install["type"] == "conversationUpdate"
    assert install["membersAdded"][0]["id"].startswith("28:")
    assert invoke["type"] == "invoke" and invoke["name"] == "adaptiveCard/action"
    assert invoke["value"] == {"action": {"type": "Action.Execute", "title": "Spara", "verb": "save", "data": {
        "activity": 7, "comment": "Bytt rutin", "progress": "55.5", "status": "done"}}, "trigger": "manual"}
    assert invoke["replyToId"] == "msg-1"
    for activity in bot.got:
        assert activity["channelId"] == "msteams" and activity["locale"] == "sv-SE"
        assert activity["from"] == DEFAULT_USER.account
        assert activity["conversation"]["conversationType"] == "personal"
        assert activity["channelData"]["tenant"]["id"] == activity["conversation"]["tenantId"]
    assert "[inmatning] Kommentar (tomt – t.ex. Vad har hänt?)" in out
    assert "Fyll i kortet" in out and "  Klart (%) [40]: 55,5" in out and "  Kommentar: Bytt rutin" in out and "val: 1) Pågår  2) Klar" in out
    assert out.index("(kortet ersattes)") < out.index("Sparat: Bytt rutin 55.5")


async def test_submit_sends_a_message_with_value_and_shows_the_update() -> None:
    async with scripted_bot() as bot:
        code, out, _ = await talk(bot.url, ["2", "", "", "Klar"])
    assert code == 0
    submit = bot.got[-1]
    assert submit["type"] == "message" and "text" not in submit
    assert submit["value"] == {"verb": "send", "activity": 7, "comment": "", "progress": "40", "status": "done"}
    assert submit["replyToId"] == "msg-1"
    assert "(kortet uppdaterades)" in out and "Skickat: done" in out


async def test_show_card_toggle_associated_inputs_and_bad_input() -> None:
    async with scripted_bot() as bot:
        code, out, _ = await talk(bot.url, [
            "3",                      # Kommentera ▾ → shows the sub-card
            "4", "ny anteckning",     # its button asks for the sub-card's input; the card's keep their values
            "1",                      # the replaced card has no buttons any more: sent as text
            "hej",                    # text: a new card, numbering starts again
            "5",                      # Visa mer → the hidden container shows
            "6",                      # no inputs sent
            "hej",
            "1", "", "x", "200", "", "Avslutad", "1",  # bad input is asked again
            "42",                     # no button 42: a message ("50" meaning 50 %, "7" the 7th in a list)
        ])
    assert code == 0
    assert "(”Kommentera” fälls ut)" in out and "[inmatning] Anteckning" in out
    note = bot.got[1]
    assert note["value"]["action"]["verb"] == "note"
    assert note["value"]["action"]["data"] == {"activity": 7, "comment": "", "progress": "40", "status": "doing",
                                               "note": "ny anteckning"}
    assert "Tavla: Du skrev: 1" in out and "Tavla: Du skrev: hej" in out
    after_toggle = out.split("(kortet ändrades)", 1)[1]
    assert "Mer information" in after_toggle and "Mer information" not in out.split("(kortet ändrades)")[0]
    assert "Tavla: Du skrev: 42" in out and "ingen knapp" not in out
    plain = bot.got[-4]
    assert plain["value"]["action"]["verb"] == "plain" and plain["value"]["action"]["data"] == {"x": 1}
    assert "Skriv ett tal" in out and "får inte vara större än 100" in out and "Välj ett av alternativen" in out
    save = bot.got[-2]["value"]["action"]
    assert save["verb"] == "save" and save["data"]["status"] == "doing" and save["data"]["progress"] == "40"


async def test_only_the_inputs_next_to_a_button_are_asked_for() -> None:
    rows = [core.container([core.text(f"Aktivitet {n}"), core.text_input(f"c{n}", "Kommentar", value=f"gammal {n}"),
                            core.action_set([core.execute("Spara", "save", {"id": n})])], separator=True)
            for n in (1, 2)]
    card = core.card(rows)

    class OneCardBot(ScriptedBot):
        async def handle(self, request: web.Request) -> web.Response:
            activity = await request.json()
            self.got.append(activity)
            if activity["type"] == "conversationUpdate":
                await self._send(activity, {"type": "message", "attachments": [
                    {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]})
            return web.json_response({"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                      "value": "OK"}) if activity["type"] == "invoke" else web.Response(status=201)

    bot = OneCardBot()
    app = web.Application()
    app.router.add_post("/api/messages", bot.handle)
    bot.server = TestServer(app, host="127.0.0.1")
    await bot.server.start_server()
    try:
        code, out, _ = await talk(bot.url, ["2", "ny"])
    finally:
        await bot.server.close()
    assert code == 0
    assert out.count("  Kommentar [gammal 2]: ny") == 1 and "[gammal 1]:" not in out
    assert bot.got[-1]["value"]["action"]["data"] == {"id": 2, "c1": "gammal 1", "c2": "ny"}


async def test_identity_and_locale_commands_change_what_is_sent() -> None:
    async with scripted_bot() as bot:
        code, out, _ = await talk(bot.url, ["/en", "/jag Kim Kvist 11111111-2222-4333-8444-555555555555",
                                            "hello", "/hjälp", "/okänt"])
    assert code == 0
    message = bot.got[-1]
    assert message["text"] == "hello" and message["locale"] == "en-US"
    assert message["from"] == {"id": "29:11111111-2222-4333-8444-555555555555", "name": "Kim Kvist",
                               "aadObjectId": "11111111-2222-4333-8444-555555555555"}
    assert message["conversation"]["id"] == "a:personal-11111111-2222-4333-8444-555555555555"
    assert bot.got[-2]["type"] == "conversationUpdate"  # the new user's chat is "installed"
    assert "Kim> hello" in out
    assert "Konsolens kommandon" in out and "Okänt kommando /okänt" in out


async def test_a_bot_that_stops_mid_session_is_a_line_not_a_crash() -> None:
    async with scripted_bot() as bot:
        out, err = io.StringIO(), io.StringIO()
        console = Console(bot.url, out=out, err=err)

        async def stop_bot(_: Console) -> str:
            await bot.server.close()  # type: ignore[union-attr]
            return "hej"

        code = await console.run(Script(console, [stop_bot, "hej igen", "/avsluta"]))
    assert code == 0
    text = out.getvalue()
    assert text.count("svarar inte") == 2 and "make run" in text and "Traceback" not in text + err.getvalue()
    assert text.rstrip().endswith("Hej då!")


# --- pure parts --------------------------------------------------------------------------------------


def test_parse_input() -> None:
    number = Field("p", "Input.Number", "Klart", "40", minimum=0, maximum=100)
    assert parse_input(number, "") == ("40", None)
    assert parse_input(number, "12,5") == ("12.5", None)
    assert parse_input(number, "-") == ("", None)
    assert parse_input(number, "abc")[1] and parse_input(number, "101")[1] and parse_input(number, "−1")[1]
    choice = Field("s", "Input.ChoiceSet", "Status", "a", choices=(("Pågår", "a"), ("Klar", "b")))
    assert parse_input(choice, "2") == ("b", None)
    assert parse_input(choice, "klar") == ("b", None)
    assert parse_input(choice, "3")[1]
    multi = Field("m", "Input.ChoiceSet", "Val", "", choices=(("A", "a"), ("B", "b")), multi=True)
    assert parse_input(multi, "1, B") == ("a,b", None)
    toggle = Field("t", "Input.Toggle", "Meddela", "nej", value_on="ja", value_off="nej")
    assert parse_input(toggle, "ja") == ("ja", None) and parse_input(toggle, "2") == ("nej", None)
    required = Field("r", "Input.Text", "Rubrik", "", required=True)
    assert parse_input(required, "")[1] == "Fältet måste fyllas i."


def test_merged_data_and_identity_parsing() -> None:
    b = Button(1, "Spara", "Action.Execute", data={"id": 1, "comment": "gammal"})
    assert merged_data(b, {"comment": "ny"}) == {"id": 1, "comment": "ny"}
    assert merged_data(Button(1, "x", "Action.Submit", data="text"), {}) == "text"
    assert merged_data(Button(1, "x", "Action.Submit", data=None), {"a": "1"}) == {"a": "1"}
    known = [Identity("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002"), Identity("Bodil Ek", "b2")]
    assert parse_identity(["bo", "berg"], known) == known[0]
    assert parse_identity(["Bod"], known) == known[1]
    assert parse_identity(["Bo"], known) == Identity.from_name("Bo")  # two match: no guessing
    assert parse_identity(["Ny", "Person", "12345678-1234-4234-8234-123456789012"], known) == Identity(
        "Ny Person", "12345678-1234-4234-8234-123456789012")
    assert Identity.from_name("Ny Person").aad == Identity.from_name("ny person").aad
    assert parse_identity([], known) is None


def test_scripted_lines() -> None:
    assert ScriptedLines(["a"]).echo
