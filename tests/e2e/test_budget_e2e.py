"""Budget questions over HTTP: the real app, Teams-shaped activities, every card schema-checked (harness)."""

from __future__ import annotations

import re

from datetime import date

from sqlalchemy import select

from storage.db import Store
from storage.demo import seed_demo
from storage.import_budget import import_utfall
from storage.models import BudgetLine, OrgUnit
from tests.support.cards import assert_valid_card
from tests.support.harness import User, card_text, running

UTFALL = ("Period;Verksamhetsområde;Verksamhet;Belopp (kr)\r\n"
          "201801;Hälsa och omsorg;Äldreomsorg;12\u00a0600\u00a0000,00\r\n"
          "201802;Hälsa och omsorg;Äldreomsorg;12\u00a0400\u00a0000,00\r\n"
          "201803;Hälsa och omsorg;Äldreomsorg;13\u00a0000\u00a0000,00\r\n"
          "201804;Hälsa och omsorg;Äldreomsorg;12\u00a0900\u00a0000,00\r\n"
          "201804;Inflyttning och arbete;Flykting;-9\u00a0000\u00a0000,00\r\n"
          "201804;Ekonomi och intern service;Lokalvård;250\u00a0000,00\r\n").encode("cp1252")


async def only_card(h, text: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    got = await h.ask(text, **kwargs)
    assert len(got) == 1 and len(got[0].cards) == 1, got
    return card_text(got[0].cards[0])


async def test_budget_before_any_utfall(store: Store) -> None:
    async with running(store) as h:
        text = await only_card(h, "budget kvar äldreomsorg")
        assert "Äldreomsorg" in text and "Hälsa och omsorg" in text
        assert "150 853,2 tkr" in text
        assert "Inget utfall registrerat än för 2018" in text
        assert "Förbrukningsgrad" not in text and "Exempeldata" not in text
        assert "Visar läget 15 maj 2018" in text


async def test_line_after_imported_utfall(store: Store) -> None:
    report = await import_utfall(store, UTFALL, file_name="utfall.csv")
    assert report.written, report.text()
    async with running(store) as h:
        text = await only_card(h, "budget kvar äldreomsorg")
        # utfall 12,6 + 12,4 + 13,0 + 12,9 = 50 900,0 tkr; periodised 150 853,2 × 4/12 = 50 284,4
        assert "Utfall t.o.m. april: 50 900,0 tkr" in text.replace("\n", ": ") or "50 900,0 tkr" in text
        assert "utfall t.o.m. april 2018" in text
        assert "99 953,2 tkr" in text  # kvar = 150 853,2 − 50 900,0
        assert "34 % (efter 4 av 12 månader: 33 %)" in text  # 50 900 / 150 853,2 = 33,7 %
        assert "−615,6 tkr (underskott)" in text  # 50 284,4 − 50 900,0
        assert "152 700,0 tkr (trend: utfallet hittills i samma takt)" in text  # 50 900 / 4 × 12
        assert "+ = överskott" in text and "Över budget" in text
        revenue = await only_card(h, "budget flykting")
        # −33 048,0 budget, −9 000,0 so far: 24 048,0 still to come
        assert "Årsbudget (nettointäkt)" in revenue and "Intäkter kvar att få" in revenue and "24 048,0 tkr" in revenue
        assert "Kvar" not in revenue.split("Intäkter kvar att få")[0]
        zero = await only_card(h, "budget lokalvård")
        assert "250,0 tkr" in zero and "– (budgeten är 0,0 tkr)" in zero


async def test_ambiguous_name_shows_both_and_a_button_replaces_the_card(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        got = await h.ask("budget gymnasieskola")
        card = got[0].cards[0]
        text = card_text(card)
        assert "Vilken Gymnasieskola menar du?" in text
        assert "180,9 tkr" in text and "70 021,5 tkr" in text
        assert "Familj och utbildning" in text and "Inflyttning och arbete" in text
        buttons = [a for a in card["actions"] if a["verb"] == "budget_show"]
        assert len(buttons) == 2
        ioa = next(a for a in buttons if "Inflyttning" in a["title"])
        body = await h.press("budget_show", ioa["data"])
        replaced = card_text(body["value"])
        assert "70 021,5 tkr" in replaced and "Inflyttning och arbete" in replaced and "180,9" not in replaced
        narrowed = await only_card(h, "budget gymnasieskola inflyttning och arbete")
        assert "70 021,5 tkr" in narrowed and "Vilken" not in narrowed
        for name in ("räddningstjänst", "lss", "fysisk o tekn planering", "övriga insatser till vuxna"):
            assert "menar du?" in await only_card(h, f"budget {name}"), name


async def test_area_total_detail_and_over_budget_with_demo_data(sqlite_store: Store) -> None:
    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        area = await only_card(h, "hur mycket har Hälsa och omsorg kvar?")
        assert "Hälsa och omsorg" in area and "219 205,0 tkr" in area and "Störst avvikelser" in area
        assert "Exempeldata" in area and "utfall t.o.m. april 2018" in area
        total = await only_card(h, "budget totalt")
        assert "Hela förvaltningen" in total and "794 209,0 tkr" in total
        for name in ("Kommunchef", "Ekonomi och intern service", "HR och digital utveckling", "Strategi och tillväxt",
                     "Stab", "Samhällsbyggnad", "Familj och utbildning", "Hälsa och omsorg", "Inflyttning och arbete"):
            assert name in total
        got = await h.ask("budget familj och utbildning per verksamhet")
        detail = card_text(got[0].cards[0])
        async with sqlite_store.session() as s:
            fou = (await s.execute(select(BudgetLine.verksamhet).join(OrgUnit).where(OrgUnit.code == "FOU"))).scalars().all()
        assert len(fou) == 31 and all(name in detail for name in fou)
        over = await only_card(h, "vilka verksamheter ligger över budget?")
        assert "Över budget t.o.m. april 2018" in over and "HVB-vård för barn o unga (Familj och utbildning)" in over
        assert "underskott" in over and "Exempeldata" in over
        hvb = await only_card(h, "budget hvb-vård för barn o unga")
        assert "prognos från ekonom" in hvb and "Prognosen lades in av Erik Ek" in hvb and "Två nya placeringar" in hvb
        gator = await only_card(h, "budget gator, vägar samt parkering")
        assert "enligt månadsprofil" in gator and "trend justerad efter månadsprofilen" in gator


async def test_buttons_on_the_total_card_open_an_area_and_the_over_list(sqlite_store: Store) -> None:
    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        got = await h.ask("budget totalt")
        card = got[0].cards[0]
        table = next(b for b in card["body"] if b["type"] == "Table")
        links = [c["selectAction"]["data"] for r in table["rows"] for c in r["cells"] if c.get("selectAction")]
        assert len(links) == 9 and len(table["rows"]) == 11  # header, nine areas, total
        body = await h.press("budget_show", links[7])
        assert "Hälsa och omsorg" in card_text(body["value"])
        over = next(a for a in card["actions"] if a["verb"] == "budget_show")
        body = await h.press("budget_show", over["data"])
        assert "Över budget" in card_text(body["value"])


async def test_years_english_enhet_unknown_and_bad_buttons(sqlite_store: Store) -> None:
    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        assert "Det finns ingen budget för 2019 i Tavla (budgetår: 2018)" in await only_card(h, "budget äldreomsorg 2019")
        assert "150 853,2 tkr" in await only_card(h, "budget äldreomsorg 2018")
        english = await only_card(h, "budget left elderly care", locale="en-US")
        assert "Annual budget (net cost)" in english and "150,853.2 tkr" in english
        enhet = await only_card(h, "budget Förskolan Humlan")
        assert "Ingen budget per enhet" in enhet and "Familj och utbildning" in enhet
        unknown = await only_card(h, "budget blomkål")
        assert "Hittar inte i budgeten 2018" in unknown and "blomkål" in unknown
        # a part of an enhet's name, no line or area: where it belongs, not a dead end ("budget kvar hemtjänst")
        part = await only_card(h, "budget kvar hemtjänst")
        assert "Ingen budget per enhet" in part and "Hemtjänst Knislinge hör till Hälsa och omsorg" in part, part
        for data in ({"kind": "line", "year": 2018, "id": "1; DROP TABLE"}, {"kind": "nope", "year": 2018},
                     {"kind": "line", "year": 2018, "id": 999999}, {"kind": "area", "year": 1, "id": 1},
                     {"kind": "line", "year": 2019, "id": 1}):
            body = await h.press("budget_show", data)
            value = body.get("value")
            text = value if isinstance(value, str) else card_text(value)  # an error is a short inline message
            assert "Årsbudget" not in text, data
            assert "Knappen" in text or "finns" in text, (data, text)
        # still alive
        assert "Äldreomsorg" in await only_card(h, "budgetläge äldreomsorg")


async def test_not_budget_questions_stay_elsewhere(sqlite_store: Store) -> None:
    async with running(sqlite_store) as h:
        for text in ("status frisknärvaro", "klar med digital introduktion"):
            got = await h.ask(text)
            for received in got:
                for card in received.cards:
                    assert_valid_card(card)
                    assert "Årsbudget" not in card_text(card), text


ERIK = User("Erik Ek", "aaaaaaaa-0000-4000-8000-000000000004")  # ekonom + controller for the whole förvaltning


async def test_ekonom_sets_a_prognosis_in_chat_others_may_not(store: Store) -> None:
    assert await seed_demo(store, date(2018, 5, 15))
    async with running(store) as h:
        refused = await only_card(h, "prognos äldreomsorg 152 000 tkr")  # Anna is medarbetare
        assert "Bara en ekonom eller controller för Hälsa och omsorg" in refused
        got = await h.ask("prognos äldreomsorg 152 000 tkr: fler platser från hösten", user=ERIK)
        assert len(got) == 1 and "Helårsprognosen för Äldreomsorg är nu 152 000,0 tkr (var " in got[0].text.replace("\u00a0", " ")
        assert "beräknat från utfallet)" in got[0].text  # the trend's estimate, not a prognosis someone entered
        card = card_text(got[0].cards[0])
        assert "152 000,0 tkr (prognos från ekonom)" in card and "Prognosen lades in av Erik Ek 15 maj 2018" in card
        assert "fler platser från hösten" in card
        again = await only_card(h, "budget äldreomsorg")  # anyone sees it; the newest prognosis wins
        assert "152 000,0 tkr (prognos från ekonom)" in again
        assert "flera verksamhetsområden" in await only_card(h, "prognos gymnasieskola 70 000", user=ERIK)
        narrowed = await h.ask("prognos gymnasieskola inflyttning och arbete 71,5 mkr", user=ERIK)
        assert "71 500,0 tkr (prognos från ekonom)" in card_text(narrowed[0].cards[0])


async def test_a_prognosis_entered_by_mistake_is_undone_by_its_button_or_by_typing_angra(store: Store) -> None:
    assert await seed_demo(store, date(2018, 5, 15))
    async with running(store) as h:
        first = await h.ask("prognos äldreomsorg 152 000 tkr", user=ERIK)
        second = await h.ask("prognos äldreomsorg 1 520 000 tkr ändå", user=ERIK)  # a zero too many
        undo = [a for a in second[0].cards[0]["actions"] if a["verb"] == "budget_prognosis_undo"]
        assert len(undo) == 1 and undo[0]["title"] == "Ångra prognosen"
        # Anna may not, and her press changes nothing
        refused = await h.press_answer("budget_prognosis_undo", undo[0]["data"])
        assert "Bara den som lade in prognosen kan ångra den" in refused
        body = await h.press("budget_prognosis_undo", undo[0]["data"], user=ERIK)
        replaced = card_text(body["value"])
        assert ("Prognosen 1 520 000,0 tkr för Äldreomsorg är ångrad. Helårsprognosen är nu 152 000,0 tkr, inlagd "
                "av Erik Ek 15 maj 2018.") in replaced
        assert "152 000,0 tkr (prognos från ekonom)" in replaced and "Ångra prognosen" not in replaced
        again = await h.press_answer("budget_prognosis_undo", undo[0]["data"], ERIK)
        assert "redan ångrad" in again
        # typed: the latest change was an undo, which is not undone in turn
        said = await only_card(h, "ångra", user=ERIK)
        assert "Din senaste ändring var att ångra en prognos" in said
        assert "Lägg in prognosen igen om den behövs: ”prognos äldreomsorg 1 520 000,0 tkr”" in said
        # the first one, by its own button, in English: Tavla's estimate from the utfall is in force again
        data = next(a for a in first[0].cards[0]["actions"] if a["verb"] == "budget_prognosis_undo")["data"]
        english = card_text((await h.press("budget_prognosis_undo", data, user=ERIK, locale="en-US"))["value"])
        assert "The forecast 152,000.0 tkr for Äldreomsorg is undone." in english
        assert "estimated from the actuals" in english
        shown = await only_card(h, "budget äldreomsorg")
        assert "prognos från ekonom" not in shown
        # typed right after entering one: that prognosis is undone, with a new card
        await h.ask("prognos äldreomsorg 149 000 tkr", user=ERIK)
        typed = await h.ask("ångra", user=ERIK)
        assert len(typed) == 1 and "Prognosen 149 000,0 tkr för Äldreomsorg är ångrad." in card_text(typed[0].cards[0])
        # entered twice at the same amount, the second undone: it says the first one still holds
        await h.ask("prognos äldreomsorg 149 000 tkr", user=ERIK)
        twice = await h.ask("prognos äldreomsorg 149 000 tkr: bekräftad", user=ERIK)
        data = next(a for a in twice[0].cards[0]["actions"] if a["verb"] == "budget_prognosis_undo")["data"]
        still = await h.press_answer("budget_prognosis_undo", data, ERIK)
        assert "Helårsprognosen är fortfarande 149 000,0 tkr: den som lades in före, av Erik Ek 15 maj 2018." in still
        # a forged id is refused in Swedish, nothing else happens
        for bad in ({"prognosis": "x"}, {"prognosis": 10**12}, {}):
            assert "Ogiltigt prognos-id" in await h.press_answer("budget_prognosis_undo", bad, ERIK)


async def test_an_amount_that_reads_two_ways_is_asked_about_and_nothing_is_saved(sqlite_store: Store) -> None:
    """A newcomer wrote "forecast äldreomsorg 152,000 tkr" (the English cards write 150,853.2 tkr) and
    "prognos äldreomsorg 152.000 tkr": both were saved as 152,0 tkr, a thousandth of what was meant. One comma
    or point before three digits now gets a question; thousands grouped and a decimal mark are read either way."""
    from sqlalchemy import func

    from storage.models import BudgetPrognosis

    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        async with sqlite_store.session() as s:
            count = await s.scalar(select(func.count()).select_from(BudgetPrognosis))
        for typed in ("prognos äldreomsorg 152.000 tkr", "prognos äldreomsorg 152,000 tkr"):
            asked = await only_card(h, typed, user=ERIK)
            assert "152 000 tkr eller 152,0 tkr" in asked.replace("\u00a0", " ") and "sparades inte" in asked
        english = await only_card(h, "forecast äldreomsorg 152,000 tkr", user=ERIK, locale="en-US")
        assert "cannot read the amount for sure" in english and "was not saved" in english
        assert "“152,000” could be 152,000 tkr or 152.0 tkr" in english
        # the question quotes what was typed, for the line typed (it quoted "152,000" and äldreomsorg to everyone)
        asked = (await only_card(h, "prognos färdtjänst 4.300 tkr", user=ERIK)).replace("\u00a0", " ")
        assert "”4.300” kan vara 4 300 tkr eller 4,3 tkr" in asked and "”prognos färdtjänst 4 300 tkr”" in asked
        assert "152" not in asked and "äldreomsorg" not in asked
        async with sqlite_store.session() as s:
            assert await s.scalar(select(func.count()).select_from(BudgetPrognosis)) == count
        for typed, saved in (("prognos äldreomsorg 150.853,2 tkr", "150 853,2 tkr"),
                             ("prognos äldreomsorg 150,853.5 tkr", "150 853,5 tkr"),
                             ("prognos äldreomsorg 1.234.567 kr ändå", "1 234,6 tkr")):  # far below: "ändå"
            got = await h.ask(typed, user=ERIK)
            assert f"Helårsprognosen för Äldreomsorg är nu {saved}" in got[0].text.replace("\u00a0", " "), typed
        got = await h.ask("forecast äldreomsorg 151,000.0 tkr", user=ERIK, locale="en-US")
        assert "is now 151,000.0 tkr (was 1,234.6 tkr)" in got[0].text.replace("\u00a0", " ")
        # "miljoner", and the amount after the colon: it was shown as a question, as if saved
        got = await h.ask("prognos för äldreomsorg: 151,5 miljoner – fler platser från hösten", user=ERIK)
        assert "Helårsprognosen för Äldreomsorg är nu 151 500,0 tkr" in got[0].text.replace("\u00a0", " ")
        assert "fler platser från hösten" in card_text(got[0].cards[0])
        got = await h.ask("prognos äldreomsorg 152 000 tkr eftersom 12 nya platser öppnar", user=ERIK)
        assert "är nu 152 000,0 tkr" in got[0].text.replace("\u00a0", " ")  # the note's number is the note's
        again = await h.ask("prognos äldreomsorg 152 mkr", user=ERIK)  # the same amount: not "är nu X (var X)"
        assert "är fortfarande 152 000,0 tkr: inlagd igen" in again[0].text.replace("\u00a0", " "), again[0].text
        assert "12 nya platser öppnar" in card_text(got[0].cards[0])
        asked = await only_card(h, "prognos äldreomsorg 150 000 och 2 tkr", user=ERIK)
        assert "ett enda belopp" in asked and "sparades inte" in asked
        assert "flera belopp (”150 000”, ”2”)" in asked.replace("\u00a0", " ")


async def test_a_prognosis_far_from_the_budget_is_questioned_until_confirmed(sqlite_store: Store) -> None:
    """A newcomer's "prognos äldreomsorg 152 tkr" (a thousandth of the budget) was saved at once, and every chef's
    "budget totalt" showed a surplus of 150 701,2 tkr. A tenth of the budget or ten times it, the opposite sign,
    or a cost line below what is already spent, is questioned; "ändå" at the end saves it all the same."""
    from sqlalchemy import func

    from storage.models import BudgetPrognosis

    assert await seed_demo(sqlite_store, date(2018, 5, 15))
    async with running(sqlite_store) as h:
        async with sqlite_store.session() as s:
            count = await s.scalar(select(func.count()).select_from(BudgetPrognosis))
        for typed, why in (("prognos äldreomsorg 152 tkr", "under en tiondel av årsbudgeten för Äldreomsorg (150 853,2 tkr)"),
                           ("prognos äldreomsorg 2 000 mkr", "mer än tio gånger årsbudgeten"),
                           ("prognos äldreomsorg -150 000 tkr", "motsatt tecken mot årsbudgeten"),
                           ("prognos äldreomsorg 40 000 tkr", "lägre än utfallet hittills för Äldreomsorg")):
            asked = (await only_card(h, typed, user=ERIK)).replace("\u00a0", " ")
            assert why in asked and "Den sparades inte" in asked and "ändå" in asked, asked
        english = await only_card(h, "forecast äldreomsorg 152 tkr", user=ERIK, locale="en-US")
        assert "under a tenth of the annual budget" in english and "anyway" in english
        async with sqlite_store.session() as s:
            assert await s.scalar(select(func.count()).select_from(BudgetPrognosis)) == count
        # the example given is one that saves, as written (it said "−150 000,0 tkr tkr ändå")
        asked = await only_card(h, "prognos färdtjänst -5 tkr", user=ERIK)
        example = re.search(r"”(prognos [^”]+ ändå)”", asked)
        assert example is not None and "tkr tkr" not in asked, asked
        got = await h.ask(example.group(1), user=ERIK)
        assert "Helårsprognosen för Färdtjänst är nu −5,0 tkr" in got[0].text.replace("\u00a0", " "), got[0].text
        got = await h.ask("prognos äldreomsorg 152 tkr ändå: en rättelse kommer", user=ERIK)
        assert "Helårsprognosen för Äldreomsorg är nu 152,0 tkr" in got[0].text.replace("\u00a0", " ")
        assert "en rättelse kommer" in card_text(got[0].cards[0])


async def test_prognosis_note_is_cleaned_and_a_too_long_one_refused(store: Store) -> None:
    from sqlalchemy import func

    from storage.models import BudgetPrognosis

    assert await seed_demo(store, date(2018, 5, 15))
    async with running(store) as h:
        await h.ask("prognos färdtjänst 4 500 tkr: nya avtal\x00 från\x07 juli", user=ERIK)
        async with store.session() as s:
            note = (await s.execute(select(BudgetPrognosis.note).order_by(BudgetPrognosis.id.desc()).limit(1))).scalar_one()
            count = await s.scalar(select(func.count()).select_from(BudgetPrognosis))
        assert note == "nya avtal från juli"
        refused = await only_card(h, "prognos färdtjänst 4 600 tkr: " + "x" * 2001, user=ERIK)
        assert "för lång (2001 tecken, högst 2000)" in refused and "sparades inte" in refused
        async with store.session() as s:
            assert await s.scalar(select(func.count()).select_from(BudgetPrognosis)) == count


async def test_a_budget_question_asked_again_shows_every_change_made_in_between(store: Store) -> None:
    """A budget card's lines are kept between turns at the catalogue and budget stamps (storage.catalogue,
    ``BudgetReads``): asked again, nothing is read; utfall imported, a prognosis entered in chat, a name or a
    stored figure changed by another process each show in the next answer — line, area, total and över budget."""
    from sqlalchemy import text

    assert await seed_demo(store, date(2018, 5, 15))
    questions = ("budget kvar äldreomsorg", "budget hälsa och omsorg", "budget totalt", "över budget")
    async with running(store) as h:
        first = [await only_card(h, q) for q in questions]
        reads = h.services.budget.reads
        assert [await only_card(h, q) for q in questions] == first
        assert h.services.budget.reads == reads, "asked again: the lines read again"

        report = await import_utfall(store, UTFALL, file_name="utfall.csv")  # the CLI: not a turn of this process
        assert report.written, report.text()
        imported = [await only_card(h, q) for q in questions]
        assert all(a != b for a, b in zip(first, imported)), "every card shows the new utfall"
        assert "utfall t.o.m. april 2018" in imported[0] and "Exempeldata" not in imported[0]
        reads = h.services.budget.reads
        assert await only_card(h, questions[0]) == imported[0] and h.services.budget.reads == reads

        await h.ask("prognos äldreomsorg 152 000 tkr: fler platser från hösten", user=ERIK)
        assert "152 000,0 tkr (prognos från ekonom)" in await only_card(h, questions[0])

        async with store.session() as s:  # another replica, psql: a catalogue write (org_unit)
            await s.execute(text("UPDATE org_unit SET name = 'Vård och omsorg' WHERE name = 'Hälsa och omsorg'"))
        renamed = await only_card(h, questions[0])
        assert "Vård och omsorg" in renamed and "Hälsa och omsorg" not in renamed
        async with store.session() as s:  # a stored aggregate (budget stamp)
            await s.execute(text("UPDATE budget_status SET utfall_to_date = 0 WHERE budget_line_id = "
                                 "(SELECT id FROM budget_line WHERE verksamhet = 'Äldreomsorg')"))
        zeroed = await only_card(h, questions[0])
        assert zeroed != renamed and "150 853,2 tkr" in zeroed.split("Utfall")[1], zeroed


async def test_a_month_named_shows_the_figures_as_they_stood_after_it(store: Store) -> None:
    """"budget kvar äldreomsorg i mars" in May, with utfall through April: the utfall of January–March and the
    budget periodised to March; the helårsprognos (made from April too) is not shown, and the card says why. A
    month without utfall yet shows the latest and says so; the area, the total and the over-budget list follow."""
    report = await import_utfall(store, UTFALL, file_name="utfall.csv")
    assert report.written, report.text()
    async with running(store) as h:
        march = await only_card(h, "budget kvar äldreomsorg i mars")
        # utfall 12,6 + 12,4 + 13,0 = 38 000,0 tkr; periodised 150 853,2 × 3/12 = 37 713,3; avvikelse −286,7
        assert "utfall t.o.m. mars 2018" in march and "38 000,0 tkr" in march and "37 713,3 tkr" in march
        assert "112 853,2 tkr" in march  # kvar = 150 853,2 − 38 000,0
        assert "−286,7 tkr (underskott)" in march
        assert "Helårsprognos:" not in march and "152 700,0" not in march
        assert "Visar läget efter mars 2018; senaste utfall är t.o.m. april 2018" in march
        same = await only_card(h, "utfall äldreomsorg mars")
        assert "38 000,0 tkr" in same
        later = await only_card(h, "budget äldreomsorg december")
        assert "50 900,0 tkr" in later and "Utfall för december 2018 finns inte än – visar t.o.m. april 2018" in later
        now = await only_card(h, "budget äldreomsorg april")
        assert "50 900,0 tkr" in now and "152 700,0 tkr" in now and "Visar läget efter" not in now
        area = await only_card(h, "budget hälsa och omsorg februari")
        assert "utfall t.o.m. februari 2018" in area and "25 000,0 tkr" in area  # 12,6 + 12,4
        total = await only_card(h, "budget totalt t.o.m. mars")
        assert "utfall t.o.m. mars 2018" in total and "38 000,0 tkr" in total  # Flykting and Lokalvård: April only
        over = await only_card(h, "vilka verksamheter låg över budget i mars?")
        assert "Över budget t.o.m. mars 2018" in over and "Äldreomsorg" in over
        english = await only_card(h, "budget left elderly care march", locale="en-US")
        assert "38,000.0 tkr" in english and "Shows the position after March 2018" in english
