"""The årshjul over HTTP (the real app, Teams-shaped activities, every card schema-checked by the harness):
the seeded steps of the Årsplan 2018 as of 15 May 2018."""

from __future__ import annotations

from storage.db import Store
from tests.support.harness import card_text, running


async def _card(h, text: str, **kwargs):  # type: ignore[no-untyped-def]
    got = await h.ask(text, **kwargs)
    assert len(got) == 1 and len(got[0].cards) == 1, got
    return got[0].cards[0]


async def test_the_year_a_month_and_a_step_asked_about(store: Store) -> None:
    async with running(store) as h:
        year = card_text(await _card(h, "årshjulet"))
        assert year.index("Verksamhetsrapport Boende") < year.index("Beslut KF om budget") < year.index(
            "Slutlig budget på VO- och enhetsnivå fastställs") < year.index("VP på VO-nivå fastställs")
        assert "Mars (passerat i år)" in year and "Beslut KF om budget ← nästa" in year
        assert "Visar läget 15 maj 2018" in year
        september = await _card(h, "vad händer i september?")
        text = card_text(september)
        assert "Årshjulet i september" in text and "Instruktioner för VP skickas ut" in text
        assert "Verksamhetsrapport Bra start i livet" in text and "Beslut KF om budget" not in text
        whole = next(a for a in september["actions"] if a["title"] == "Hela årshjulet")
        assert whole["data"]["text"] == "årshjulet"
        may = card_text(await _card(h, "vad händer i maj?"))
        assert "Inget steg i årshjulet i maj." in may and "Närmast därefter: juni – Beslut KF om budget." in may
        when = card_text(await _card(h, "när fastställs budgeten?"))
        assert "30" in when and "Slutlig budget på VO- och enhetsnivå fastställs" in when and "Juni" in when
        assert "Beslut KF om budget" in when and "Budgetunderlag till KS" not in when  # KF's decision: June
        unknown = card_text(await _card(h, "när fastställs lönerevisionen?"))
        assert "Hittar inget steg i årshjulet om ”när fastställs lönerevisionen”" in unknown
        june = card_text(await _card(h, "vad händer nästa månad?"))  # as of 15 May 2018
        assert "Årshjulet i juni" in june and "Beslut KF om budget" in june
        vp = card_text(await _card(h, "när ska VP vara klar?"))
        assert "VP på VO-nivå fastställs" in vp and "Instruktioner för VP skickas ut" in vp and "Juni" not in vp
        english = card_text(await _card(h, "what happens in november?", locale="en-US"))
        assert "Annual cycle in November" in english and "Slutlig budget" in english
