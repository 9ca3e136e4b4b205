"""Files dropped in the 1:1 chat, over HTTP: the real app, Teams' file-download attachment, the file served by
this test's own endpoint. Preview → "Importera" → one transaction, logged; refusals write nothing."""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import Workbook
from sqlalchemy import func, select

import bot.attachments as attachments
from storage import plans as plans_repo
from storage.db import Store
from storage.demo import seed_demo
from storage.models import (
    Activity,
    ActivityUpdate,
    AdminLog,
    BotState,
    BudgetLine,
    ImportBatch,
    Indicator,
    IndicatorValue,
    OrgUnit,
    Person,
    Utfall,
)
from tests.support.cards import assert_valid_card
from tests.support.harness import ANNA, Harness, User, card_text, running

ERIK = User("Erik Ek", "aaaaaaaa-0000-4000-8000-000000000004")  # ekonom + controller, whole förvaltning
BO = User("Bo Berg", "aaaaaaaa-0000-4000-8000-000000000002")  # chef Förskolan Humlan
CECILIA = User("Cecilia Carlsson", "aaaaaaaa-0000-4000-8000-000000000003")  # hr, whole förvaltning
ADMIN = User("Tavla Admin", "aaaaaaaa-0000-4000-8000-0000000000ad")
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
_unique = itertools.count(1)

UTFALL = ("Period;Verksamhetsområde;Verksamhet;Belopp (kr)\r\n"
          "201804;Hälsa och omsorg;Äldreomsorg;12\u00a0900\u00a0000,00\r\n"
          "201804;Hälsa och omsorg;Äldreomsorg;100\u00a0000,00\r\n"
          "201804;Familj och utbildning;Förskola;7\u00a0000\u00a0000,00\r\n"
          "201804;Ekonomi och intern service;Lokalvård;250\u00a0000,00\r\n").encode("cp1252")
UTFALL_BAD = ("Period;Verksamhetsområde;Verksamhet;Belopp (kr)\r\n"
              "201804;Hälsa och omsorg;Äldreomsorg;12\u00a0900\u00a0000,00\r\n"
              "201804;Hälsa och omsorg;Äldreomsorgen;100,00\r\n"
              "2018-13;Familj och utbildning;Förskola;7\u00a0000\u00a0000,00\r\n").encode("cp1252")
PLANS = ("Enhet;Verksamhetsmål;Överordnat mål;Aktivitet;Ansvarig;Klart;Status\r\n"
         "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Utegympa;Bo Berg;2018-09-30;Pågår\r\n"
         "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Rörelsesång;Bo Berg;2018-10-30;"
         "Ej påbörjad\r\n"
         "Förskolan Humlan;Fler barn rör sig varje dag;Attraktiv arbetsgivare;Skogsdag;;2018-11-30;Idé\r\n").encode()


class FileServer:
    """The test's own endpoint for Teams' ``downloadUrl``: serves registered bytes, counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.url = ""

    def add(self, name: str, data: bytes) -> str:
        key = f"{next(_unique)}-{name}"
        self.files[key] = data
        return f"{self.url}files/{key}"

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        data = self.files.get(request.match_info["key"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _slow(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.sleep(5)
        return web.Response(body=b"Period;Verksamhet;Belopp (kr)\r\n")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """No Content-Length: the size limit must hold while reading."""
        self.requests.append(request.path)
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(10_000):
                await response.write(b"x" * 65536)
        except (ConnectionResetError, RuntimeError):
            pass
        return response


@asynccontextmanager
async def file_server() -> AsyncIterator[FileServer]:
    server = FileServer()
    app = web.Application()
    app.router.add_get("/files/{key}", server._file)
    app.router.add_get("/slow/{key}", server._slow)
    app.router.add_get("/endless/{key}", server._endless)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    server.url = str(test_server.make_url("/"))
    try:
        yield server
    finally:
        await test_server.close()


def file_message(h: Harness, user: User, name: str, url: str, *, file_type: str | None = None) -> dict[str, Any]:
    """A 1:1 message carrying a file, as Teams sends it to a bot with supportsFiles."""
    activity = h.message("", user)
    activity.pop("text")
    activity["attachments"] = [
        {"contentType": FILE_INFO, "contentUrl": f"https://contoso-my.sharepoint.com/personal/x/{name}", "name": name,
         "content": {"downloadUrl": url, "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
                     "fileType": file_type or name.rsplit(".", 1)[-1]}},
        {"contentType": "text/html", "content": "<div></div>"},
    ]
    return activity


async def send_file(h: Harness, user: User, name: str, url: str, **kwargs: Any) -> dict[str, Any]:
    before = len(h.connector.received)
    status, _ = await h.post(file_message(h, user, name, url, **kwargs))
    assert status in (200, 201), status
    got = h.connector.received[before:]
    assert len(got) == 1 and len(got[0].cards) == 1, h.connector.texts()
    assert_valid_card(got[0].cards[0])
    return got[0].cards[0]


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    for action in card.get("actions", []):
        if action.get("title", "").startswith(title):
            return action
    raise AssertionError(f"no button {title!r} in {[a.get('title') for a in card.get('actions', [])]}")


async def counts(store: Store) -> tuple[int, ...]:
    async with store.session() as s:
        return tuple([(await s.execute(select(func.count()).select_from(m))).scalar_one()
                      for m in (Utfall, ImportBatch, Activity, ActivityUpdate, IndicatorValue, Person, OrgUnit)])


@pytest.fixture
async def demo(store: Store) -> Store:
    await seed_demo(store, date(2018, 5, 15))
    return store


async def test_utfall_preview_then_import_in_one_transaction_logged(demo: Store) -> None:
    async with running(demo) as h, file_server() as files:
        before = await counts(demo)
        card = await send_file(h, ERIK, "utfall april.csv", files.add("utfall.csv", UTFALL))
        text = card_text(card)
        assert "Förhandsgranskning: Utfall" in text
        assert "utfall april.csv" in text and "4 lästa, 4 felfria" in text and "april 2018" in text
        # Totals per area, in tkr as Swedish numbers (the two Äldreomsorg rows summed).
        assert "Hälsa och omsorg" in text and "13 000,0 tkr (2 rader)" in text
        assert "Familj och utbildning" in text and "7 000,0 tkr" in text
        assert "Inget är inläst än" in text
        assert await counts(demo) == before  # the preview wrote no data
        confirm = button(card, "Importera")
        assert confirm["type"] == "Action.Execute" and confirm["verb"] == "import.confirm"

        body = await h.press(confirm["verb"], confirm["data"], ERIK)
        result = card_text(body["value"])
        assert "Utfall inläst" in result and "Inläst av Erik Ek 15 maj 2018" in result
        assert "utfall april.csv" in result

        # A second press (or another replica getting the same press) imports nothing more.
        again = await h.press(confirm["verb"], confirm["data"], ERIK)
        assert "redan inläst" in again["value"]
    async with demo.session() as s:
        batch = (await s.execute(select(ImportBatch).where(ImportBatch.kind == "utfall"))).scalar_one()
        erik = (await s.execute(select(Person).where(Person.aad_object_id == ERIK.aad))).scalar_one()
        aldre = (await s.execute(select(BudgetLine).where(BudgetLine.verksamhet == "Äldreomsorg",
                                                          BudgetLine.year == 2018))).scalar_one()
        april = (await s.execute(select(Utfall).where(Utfall.budget_line_id == aldre.id, Utfall.month == 4))).scalar_one()
        log = (await s.execute(select(AdminLog).where(AdminLog.action == "import_file"))).scalars().all()
        pending = (await s.execute(select(BotState).where(BotState.key.like("tavla:pending-import:%")))).scalar_one()
    assert (batch.via, batch.imported_by_id, batch.file_name) == ("chat", erik.id, "utfall april.csv")
    assert april.amount == 13_000 and april.import_id == batch.id
    assert len(log) == 1 and log[0].person_id == erik.id and log[0].detail["batch_id"] == batch.id
    assert log[0].detail["file_name"] == "utfall april.csv" and log[0].detail["kind"] == "utfall"
    assert pending.document["state"] == "done" and "data" not in pending.document  # the bytes are gone
    assert files.requests == [files.requests[0]]  # downloaded once, at the preview


async def test_row_errors_are_shown_and_nothing_can_be_imported(demo: Store) -> None:
    async with running(demo) as h, file_server() as files:
        before = await counts(demo)
        card = await send_file(h, ERIK, "utfall.csv", files.add("u.csv", UTFALL_BAD))
        text = card_text(card)
        assert "Förhandsgranskning: Utfall" in text and "fel – inget kan läsas in" in text
        assert "rad 3" in text and "Äldreomsorgen" in text and "menade du ”Äldreomsorg”" in text
        assert "rad 4" in text
        assert not [a for a in card.get("actions", []) if a.get("title") == "Importera"]
        assert await counts(demo) == before
    async with demo.session() as s:
        assert (await s.execute(select(func.count()).select_from(BotState).where(
            BotState.key.like("tavla:pending-import:%")))).scalar_one() == 0  # a file with errors is not kept


async def test_handlingsplaner_excel_from_a_chef_and_a_failure_mid_import_writes_nothing(
        demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    workbook = Workbook()
    sheet = workbook.active
    for line in PLANS.decode().splitlines():
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    async with running(demo) as h, file_server() as files:
        card = await send_file(h, BO, "Handlingsplan Humlan.xlsx", files.add("plan.xlsx", buffer.getvalue()))
        text = card_text(card)
        assert "Förhandsgranskning: Handlingsplaner" in text and "3 lästa, 3 felfria" in text
        assert "Aktiviteter per enhet" in text and "Förskolan Humlan" in text and "3 rader" in text
        confirm = button(card, "Importera")
        before = await counts(demo)

        # The importer fails after writing the first activity: the transaction rolls back, nothing is left.
        real = plans_repo.create_activity
        calls = {"n": 0}

        async def failing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
            return await real(*args, **kwargs)

        monkeypatch.setattr(plans_repo, "create_activity", failing)
        body = await h.press(confirm["verb"], confirm["data"], BO)
        assert "Importen avbröts – inget skrevs" in card_text(body["value"])
        assert calls["n"] == 2
        assert await counts(demo) == before

        # The file is still waiting: pressing again (the fault gone) imports it.
        monkeypatch.setattr(plans_repo, "create_activity", real)
        body = await h.press(confirm["verb"], confirm["data"], BO)
        assert "Handlingsplaner inläst" in card_text(body["value"])
        after = await counts(demo)
        assert after[2] == before[2] + 3 and after[1] == before[1] + 1
    async with demo.session() as s:
        batch = (await s.execute(select(ImportBatch).where(ImportBatch.kind == "handlingsplaner"))).scalar_one()
        logs = (await s.execute(select(ActivityUpdate).where(ActivityUpdate.via == "import"))).scalars().all()
    assert batch.via == "chat" and batch.file_name == "Handlingsplan Humlan.xlsx" and len(logs) == 3


async def test_refusals_write_nothing(demo: Store) -> None:
    async with running(demo) as h, file_server() as files:
        before = await counts(demo)
        url = files.add("utfall.csv", UTFALL)
        # A medarbetare may not import at all; the file is not even downloaded.
        text = card_text(await send_file(h, ANNA, "utfall.csv", url))
        assert "Filer läses in av ekonomer" in text
        assert files.requests == []
        # HR may import indicator values, not utfall.
        text = card_text(await send_file(h, CECILIA, "utfall.csv", url))
        assert "Bara ekonomer och controllers för hela förvaltningen kan läsa in utfall" in text
        # A chef may import plans only for their own enheter.
        other = PLANS.replace("Förskolan Humlan".encode(), b"Hemtj\xc3\xa4nst Knislinge")
        text = card_text(await send_file(h, BO, "plan.csv", files.add("p.csv", other)))
        assert "Hemtjänst Knislinge, som du inte är chef för" in text
        # Not a spreadsheet: refused by its name, never downloaded.
        n = len(files.requests)
        text = card_text(await send_file(h, ERIK, "Årsplan.pdf", files.add("a.pdf", b"%PDF-1.4 ...")))
        assert "”Årsplan.pdf” är inget kalkylark" in text and len(files.requests) == n
        text = card_text(await send_file(h, ERIK, "gammal.xls", files.add("g.xls", b"\xd0\xcf\x11\xe0")))
        assert "gammal Excel-fil (.xls)" in text
        # A PDF renamed .csv: refused by its bytes.
        text = card_text(await send_file(h, ERIK, "lurad.csv", files.add("l.csv", b"%PDF-1.4 \x00\x01")))
        assert "ser inte ut som en CSV-fil" in text
        # Unknown kind: the headers are shown.
        text = card_text(await send_file(h, ERIK, "lista.csv", files.add("x.csv", "Frukt;Färg\r\nÄpple;röd\r\n".encode())))
        assert "Jag känner inte igen filen" in text and "”Frukt”, ”Färg”" in text
        # Nearly an utfall file: the missing column is named as a header, and nothing is read.
        text = card_text(await send_file(h, ERIK, "utfall-mars.csv", files.add(
            "u2.csv", "Period;Verksamhet;Kommentar\r\n2018-03;Äldreomsorg;ok\r\n".encode())))
        assert "För att läsas in som utfall saknar filen kolumnen ”belopp” (eller" in text
        assert "Inget lästes in" in text and "”Period”, ”Verksamhet”, ”Kommentar”" in text
        # Ambiguous: the amount column could be a budget or a prognosis.
        text = card_text(await send_file(h, ERIK, "belopp.csv", files.add(
            "b.csv", "Verksamhetsområde;Verksamhet;Belopp (tkr)\r\nHälsa och omsorg;Äldreomsorg;1\r\n".encode())))
        assert "Filen kan vara flera saker" in text and "internbudget" in text and "helårsprognoser" in text
        assert "”Budget (tkr)” för internbudget, ”Prognos (tkr)” för helårsprognoser" in text
        # An amount without its unit: the file is to be corrected, not its rows (none were read)
        text = card_text(await send_file(h, ERIK, "utfall-maj.csv", files.add(
            "u3.csv", "Period;Verksamhet;Utfall\r\n2018-05;Äldreomsorg;12 500\r\n".encode())))
        assert "skriv det i rubriken (t.ex. ”Belopp (kr)”)" in text and "Rätta filen och skicka den igen" in text
        assert "0 lästa" not in text and "Rätta raderna" not in text and "--enhet" not in text
        # Someone unknown to Tavla.
        text = card_text(await send_file(h, User("Ny Person", "bbbbbbbb-0000-4000-8000-000000000001"), "utfall.csv",
                                         url))
        assert "inte registrerad i Tavla" in text
        # A pasted picture is no spreadsheet either.
        activity = h.message("", ERIK)
        activity["attachments"] = [{"contentType": "image/png", "contentUrl": "https://x/y.png", "name": "y.png"}]
        n = len(h.connector.received)
        await h.post(activity)
        assert "en bild, inget kalkylark" in card_text(h.connector.received[n].cards[0])
        assert await counts(demo) == before


async def test_too_large_slow_and_gone_files(demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_BYTES", 100_000)
    monkeypatch.setattr(attachments, "TIMEOUT_S", 0.5)
    async with running(demo) as h, file_server() as files:
        before = await counts(demo)
        big = b"Period;Verksamhet;Belopp (kr)\r\n" + b"201804;Lokalv\xe5rd;1\r\n" * 10_000  # Content-Length known
        text = card_text(await send_file(h, ERIK, "stor.csv", files.add("big.csv", big)))
        assert "Filen är för stor för chatten (högst 0 MB)" in text or "för stor för chatten" in text
        text = card_text(await send_file(h, ERIK, "oändlig.csv", f"{files.url}endless/x"))
        assert "för stor för chatten" in text
        text = card_text(await send_file(h, ERIK, "seg.csv", f"{files.url}slow/x"))
        assert "tog för lång tid" in text
        text = card_text(await send_file(h, ERIK, "borta.csv", f"{files.url}files/missing"))
        assert "Länken till filen fungerar inte längre" in text
        text = card_text(await send_file(h, ERIK, "konstig.csv", "ftp://example.org/x.csv"))
        assert "inte ut som en Teams-länk" in text
        assert await counts(demo) == before


async def test_tampered_foreign_and_cancelled_confirms_are_refused(demo: Store) -> None:
    async with running(demo) as h, file_server() as files:
        card = await send_file(h, ERIK, "utfall.csv", files.add("utfall.csv", UTFALL))
        data = button(card, "Importera")["data"]
        before = await counts(demo)
        tampered = await h.press("import.confirm", {**data, "sha256": "0" * 64}, ERIK)
        assert "kontrollsumman stämmer inte" in tampered["value"]
        other = await h.press("import.confirm", data, ADMIN)
        assert "Bara den som skickade filen" in other["value"]
        bad = await h.press("import.confirm", {"pending": ["x"], "sha256": 5}, ERIK)
        assert "uppgifter som inte stämmer" in bad["value"]
        cancelled = await h.press("import.cancel", {"pending": data["pending"]}, ERIK)
        assert "Importen avbröts" in card_text(cancelled["value"])
        late = await h.press("import.confirm", data, ERIK)
        assert "Importen avbröts" in late["value"]
        assert await counts(demo) == before


async def test_indicator_values_people_and_org_from_chat(demo: Store) -> None:
    values = "Indikator;Period;Värde;Enhet\r\nFrisknärvaro;2018-04;94,1;\r\nFrisknärvaro;2018-03;93,8;\r\n".encode()
    people = ("AAD;E-post;Namn;Enhet;Roll\r\n"
              ";nils.nilsson@example.se;Nils Nilsson;Förskolan Humlan;medarbetare\r\n").encode()
    org = "Kod;Namn;Överordnad;Typ\r\nDEMO-MYRAN;Förskolan Myran;FOU;enhet\r\n".encode()
    async with running(demo) as h, file_server() as files:
        card = await send_file(h, CECILIA, "frisk.csv", files.add("f.csv", values))
        text = card_text(card)
        assert "Förhandsgranskning: Indikatorvärden" in text and "mars 2018 – april 2018" in text
        assert "Hela kommunen" in text and "2 rader" in text
        # the stored values it replaces are named before anything is written
        assert "Om filen läses in: 2 ersätter lagrade värden." in text
        assert "Frisknärvaro, Östra Göinge kommun, april 2018: 94,4 % (exempeldata) → 94,1 %" in text
        body = await h.press("import.confirm", button(card, "Importera")["data"], CECILIA)
        assert "Indikatorvärden inläst" in card_text(body["value"])
        # sent again with April changed and a new enhet's month: one new, one replacing, one the same
        again = values.replace(b"2018-04;94,1", b"2018-04;94,6") + "Frisknärvaro;2015-01;95,0;Förskolan Humlan\r\n".encode()
        text = card_text(await send_file(h, CECILIA, "frisk2.csv", files.add("f2.csv", again)))
        assert "Om filen läses in: 1 nytt värde, 1 ersätter ett lagrat värde, 1 finns redan med samma värde." in text
        assert "Frisknärvaro, Östra Göinge kommun, april 2018: 94,1 % → 94,6 %" in text
        # imported under another name, it does what the preview said (a new file name is no change of a value)
        card = await send_file(h, CECILIA, "frisk-maj.csv", files.add("f3.csv", again))
        body = await h.press("import.confirm", button(card, "Importera")["data"], CECILIA)
        assert "1 nya, 1 ändrade, 1 oförändrade värden" in card_text(body["value"])
        # "ångra" does not undo one row of the file: it says how to correct it, and nothing changes
        before = await counts(demo)
        said = card_text((await h.ask("ångra", CECILIA))[0].cards[0])
        assert "Din senaste ändring var att läsa in ”frisk-maj.csv” (3 rader)" in said and "rättad fil" in said
        assert await counts(demo) == before
        assert "94,6 %" in card_text((await h.ask("status frisknärvaro april", CECILIA))[0].cards[0])
        # People: an admin only; the preview offers to deactivate the people missing from the file.
        text = card_text(await send_file(h, ERIK, "personal.csv", files.add("p.csv", people)))
        assert "Bara Tavlas administratörer kan läsa in personer och roller" in text
        card = await send_file(h, ADMIN, "personal.csv", files.add("p.csv", people))
        text = card_text(card)
        assert "Förhandsgranskning: Personer och roller" in text and "Förskolan Humlan" in text
        assert "Importera och inaktivera" not in text  # exempeldata people and admins are never deactivated
        body = await h.press("import.confirm", button(card, "Importera")["data"], ADMIN)
        assert "Personer och roller inläst" in card_text(body["value"])
        card = await send_file(h, ADMIN, "org.csv", files.add("o.csv", org))
        assert "Förhandsgranskning: Organisation" in card_text(card)
        body = await h.press("import.confirm", button(card, "Importera")["data"], ADMIN)
        assert "Organisation inläst" in card_text(body["value"])
    async with demo.session() as s:
        frisk = (await s.execute(select(Indicator).where(Indicator.short_name.ilike("frisknärvaro")))).scalars().first()
        root = (await s.execute(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).scalar_one()
        stored = (await s.execute(select(IndicatorValue).where(
            IndicatorValue.indicator_id == frisk.id, IndicatorValue.period == "2018-04",
            IndicatorValue.org_unit_id == root))).scalar_one()
        nils = (await s.execute(select(Person).where(Person.upn == "nils.nilsson@example.se"))).scalar_one()
        myran = (await s.execute(select(OrgUnit).where(OrgUnit.code == "DEMO-MYRAN"))).scalar_one()
    assert stored.value == Decimal("94.6") and stored.via == "import"  # the second file's April
    assert nils.aad_object_id is None and nils.active
    assert myran.kind == "enhet" and myran.valid_from == 2018


@pytest.mark.parametrize(("headers", "kind"), [
    (["Period", "Verksamhetsområde", "Verksamhet", "Belopp (kr)"], "utfall"),
    (["area", "sort_order", "verksamhet", "net_cost_tkr", "scb_code", "source"], "budget"),
    (["Verksamhetsområde", "Verksamhet", "Helårsprognos (tkr)", "Kommentar"], "prognos"),
    (["Verksamhet", *("jan feb mar apr maj jun jul aug sep okt nov dec".split())], "profil"),
    (["Indikator", "Period", "Värde", "Enhet"], "indicator_values"),
    (["Enhet", "Verksamhetsmål", "Aktivitet", "Ansvarig", "Klart"], "handlingsplaner"),
    (["code", "parent", "kind", "name", "valid_from", "valid_to", "synonyms", "description", "source"], "org"),
    (["AAD", "E-post", "Namn", "Enhet", "Roll"], "people"),
    (["Verksamhetsområde", "År", "Verksamhetsmål", "Överordnat mål"], "goals"),
    (["Indikator", "År", "Målnivå"], "targets"),
])
def test_the_kind_is_found_from_the_columns(headers: list[str], kind: str) -> None:
    from storage.files import detect

    found = detect(headers)
    assert found.kind is not None and found.kind.key == kind, [k.key for k in found.candidates]


def test_columns_that_fit_nothing_or_two_kinds() -> None:
    from storage.files import detect

    assert detect(["Frukt", "Färg"]).kind is None and detect(["Frukt", "Färg"]).candidates == ()
    both = detect(["Verksamhetsområde", "Verksamhet", "Belopp"])
    assert both.kind is None and {k.key for k in both.candidates} == {"budget", "prognos"}
