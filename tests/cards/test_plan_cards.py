"""Handlingsplan cards: valid Adaptive Card 1.5, well under 28 KB even for a board of 60 activities with the
longest texts the store allows, status and "försenad" in words, user text never as markdown."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cards import plans as cards
from followup.activities import STATUSES, days_overdue
from tests.support.cards import assert_valid_card, elements
from tests.support.harness import card_text

STHLM = ZoneInfo("Europe/Stockholm")
TODAY = date(2018, 5, 15)
FOOTER = cards.Footer(TODAY, True)
WELL_UNDER = 24 * 1024  # a margin below Teams' 28 KB


def size(card: dict[str, object]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def item(n: int, *, status: str | None = None, long: bool = True) -> cards.Item:
    status = status or STATUSES[n % len(STATUSES)]
    deadline = date(2018, 3, 1) + timedelta(days=3 * n)
    title = (f"Aktivitet {n}: " + "Digital introduktion för nyanställda med långa *markdown* [länkar](x) " * 6)[:300] \
        if long else f"Aktivitet {n}"
    return cards.Item(
        id=100_000 + n, version=1000 + n, title=title, unit_id=12345, unit_name="Förskolan Humlan med ett långt namn",
        owner_name="Anna-Karin Andersson-Björklund" if long else "Anna", deadline=deadline, status=status,
        progress=100 if status == "klar" else 0 if status in ("ide", "ej_paborjad") else 55,
        overdue_days=days_overdue(status, deadline, TODAY), goal_title="Alla nyanställda får en introduktion " * 3,
        is_demo=True, updated_by="Bo Berg", updated_at=datetime(2018, 5, 14, 9, 14, tzinfo=STHLM))


def board(items: list[cards.Item], page: int = 1, **extra: object) -> cards.Board:
    changes = tuple(cards.ChangeLine("Anna-Karin Andersson-Björklund", "Ändrad titel " * 20, "Pågår → Klar, 60 % → 100 %")
                    for _ in range(5))
    headline = cards.format_headline(
        indicator="Frisknärvaro", value="94.2", unit="%", decimals=1, period_end=date(2018, 3, 31),
        scope="Familj och utbildning", low="95", high=None, year=2018, direction="higher",
        budget_area="Familj och utbildning", budget_total="345073.0", utfall="110000.5", through_month=4, lang="sv")
    values = dict(unit_id=12345, unit_name="Förskolan Humlan med ett långt namn", year=2018, items=tuple(items),
                  page=page, footer=FOOTER, meeting_last=(datetime(2018, 5, 8, 9, 0, tzinfo=STHLM), "Bo Berg"),
                  changes=changes, changes_total=42, headline=headline,
                  user_ids=tuple(f"29:1{'x' * 60}{n:03d}" for n in range(80)),
                  banner=cards.Banner("warning", "Ändrad av Anna kl. 09:14 – din ändring sparades inte.", "X" * 300),
                  is_demo=True, plans=tuple((n, "Verksamhetsmål " * 10) for n in range(4)))
    values.update(extra)
    return cards.Board(**values)  # type: ignore[arg-type]


def test_board_of_60_activities_is_paged_valid_and_well_under_28_kb() -> None:
    items = [item(n) for n in range(60)]
    pages = cards.board_pages(items)
    open_items = sum(1 for i in items if i.status != "klar")
    assert pages == -(-open_items // cards.BOARD_PAGE) and pages >= 3
    shown_ids: set[int] = set()
    for page in range(1, pages + 1):
        card = cards.board_card(board(items, page), "sv")
        assert_valid_card(card)
        assert size(card) < WELL_UNDER, (page, size(card))
        moves = [a for a in _actions(card) if a.get("verb") == cards.V_BOARD_MOVE]
        shown_ids |= {a["data"]["id"] for a in moves}
        assert len(card["refresh"]["userIds"]) == 60  # at most 60, even with 80 known
        text = card_text(card)
        assert f"Sida {page} av {pages}" in text
    movable = {i.id for i in items if i.status != "klar"}
    assert shown_ids == movable  # every open activity is on exactly one page with its button


def test_board_says_status_and_overdue_in_words_and_keeps_user_text_out_of_markdown() -> None:
    items = [item(n, long=False) for n in range(10)]
    card = cards.board_card(board(items), "sv")
    text = card_text(card)
    for column in ("Idéer (2)", "Att göra (4)", "Pågår (2)", "Klart (2)"):
        assert column in text
    assert "FÖRSENAD" in text and "Pausad · 55 %" in text
    assert "Resultat: Frisknärvaro 94,2 %" in text and "målnivå 2018: minst 95,0 %, ⚠ under målnivån)" in text
    assert "utfall t.o.m. april: 110 000,5 tkr (32 % av årsbudgeten)" in text  # whole %, as the budget cards
    long_card = cards.board_card(board([item(1)]), "sv")
    # Titles (user text) are TextRuns in RichTextBlocks, never TextBlock markdown.
    for block in _blocks(long_card, "TextBlock"):
        assert "*markdown*" not in block["text"]
    assert any("*markdown*" in run.get("text", "") for run in _blocks(long_card, "TextRun"))
    assert "sekretessbelagda" in text
    for run in _blocks(card, "TextRun"):  # colour is only ever used on the words themselves
        if run.get("color") == "Attention":
            assert "FÖRSENAD" in run["text"]


def test_english_board() -> None:
    text = card_text(cards.board_card(board([item(n, long=False) for n in range(6)]), "en"))
    assert "Board – Förskolan Humlan" in text and "To do (" in text and "OVERDUE" in text


def test_mine_confirmation_conflict_history_and_prompt_cards_are_valid_and_small() -> None:
    items = tuple(item(n) for n in range(40))
    for page in (1, 2, 7):
        card = cards.mine_card(cards.Mine(items, page, 2018, FOOTER, cards.Banner("good", "Sparat", "x" * 300)), "sv")
        assert_valid_card(card)
        assert size(card) < WELL_UNDER
        ids = {a["data"]["id"] for a in _actions(card) if a.get("verb") == cards.V_UPDATE}
        assert len(ids) <= cards.MINE_PAGE
        inputs = _blocks(card, "Input.Text")
        assert all(i["maxLength"] == cards.COMMENT_LIMIT and "känsliga" in i["placeholder"] for i in inputs)
    empty = cards.mine_card(cards.Mine((), 1, 2018, FOOTER), "sv")
    assert_valid_card(empty)
    assert "Du är inte ansvarig för någon aktivitet 2018" in card_text(empty)

    confirm = cards.confirmation_card(cards.Confirm(item(2), "pagar", 40, "k" * 1000, 77, FOOTER), "sv")
    assert_valid_card(confirm)
    assert "Pågår → Ej påbörjad" not in card_text(confirm)
    undo = [a for a in _actions(confirm) if a.get("verb") == cards.V_UNDO]
    assert undo and undo[0]["data"] == {"id": item(2).id, "version": item(2).version, "update": 77}
    no_undo = cards.confirmation_card(cards.Confirm(item(2), "pagar", 40, "k", None, FOOTER), "sv")
    assert not [a for a in _actions(no_undo) if a.get("verb") == cards.V_UNDO]

    conflict = cards.conflict_card(cards.ConflictView(item(2), cards.Change("klar", None, "c" * 2000), FOOTER), "sv")
    assert_valid_card(conflict)
    assert "Ändrad av Bo Berg 14 maj kl. 09:14 – din ändring sparades inte" in card_text(conflict)
    retry = [a for a in _actions(conflict) if a.get("verb") == cards.V_PICK][0]
    assert retry["data"]["version"] == item(2).version and len(retry["data"]["comment"]) == cards.COMMENT_LIMIT
    gone = cards.conflict_card(cards.ConflictView(None, cards.Change("klar"), FOOTER), "sv")
    assert_valid_card(gone)
    assert "finns inte längre" in card_text(gone)

    lines = tuple(cards.HistoryLine(datetime(2018, 5, 1, 9, 0, tzinfo=STHLM), "Anna", "chat", "Pågår → Klar", "c" * 1000)
                  for _ in range(30))
    history = cards.history_card(cards.HistoryView(item(3), lines, FOOTER, total=45), "sv")
    assert_valid_card(history)
    assert size(history) < WELL_UNDER
    assert "… och 30 äldre ändringar" in card_text(history)

    choice = cards.choice_card(cards.Choice("lärplattor 50 %", tuple(item(n) for n in range(8)),
                                            cards.Change(None, 50, None), FOOTER), "sv")
    assert_valid_card(choice)
    assert len([a for a in _actions(choice) if a.get("verb") == cards.V_PICK]) == 5

    prompt = cards.prompt_card("Vilken?", lines=cards.pick_lines(list(items[:8]), "sv"),
                               answers=[(str(n), str(n)) for n in range(1, 9)])
    assert_valid_card(prompt)
    assert prompt["actions"][-1]["data"] == {"msteams": {"type": "imBack", "value": "avbryt"}}
    assert len(prompt["actions"]) == 6  # five answers and Avbryt


def test_describe_change() -> None:
    assert cards.describe_change({}, {"title": "x"}, "sv") == "skapad"
    assert cards.describe_change({"status": "pagar", "progress": 60}, {"status": "klar", "progress": 100}, "sv") == \
        "Pågår → Klar, 60\u00a0% → 100\u00a0%"
    assert cards.describe_change({}, {}, "sv") == "kommentar"
    assert cards.describe_change({"owner_id": 1}, {"owner_id": 2}, "sv", owner_names={1: "Anna", 2: "Bo"}) == \
        "ansvarig: Anna → Bo"
    # dates as the cards write them, not as the log keeps them ("klart senast: – → 2018-06-30")
    assert cards.describe_change({"deadline": None}, {"deadline": "2018-06-30"}, "sv") == "klart senast: – → 30/6"
    assert cards.describe_change({"start_date": "2018-05-02"}, {"start_date": "2018-06-01"}, "en") == \
        "start: 2\u00a0May → 1\u00a0Jun"


def _actions(card: object) -> list[dict[str, object]]:
    return [b for b in _walk(card) if isinstance(b, dict) and str(b.get("type", "")).startswith("Action.")]


def _blocks(card: object, kind: str) -> list[dict[str, object]]:
    return [b for b in _walk(card) if isinstance(b, dict) and b.get("type") == kind]


def _walk(node: object) -> list[object]:
    out: list[object] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk(value)
    return out


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_texts_exist_in_both_languages(lang: str) -> None:
    for key, entry in cards.TEXTS.items():
        assert entry.get("sv"), key
        assert cards.prompt_text(key, lang, **{k: "x" for k in ("date", "days", "unit", "year", "page", "pages", "time",
                                                                "who", "count", "when", "title", "status",
                                                                "progress", "label", "value", "low", "high",
                                                                "period", "area", "total", "month", "amount", "number", "example",
                                                                "share", "name")})


def test_overdue_days_in_proper_swedish_and_english() -> None:
    from dataclasses import replace

    one, many = replace(item(1, status="pagar"), overdue_days=1), replace(item(2, status="pagar"), overdue_days=15)
    for lang, expected in (("sv", ("FÖRSENAD 1 dag", "FÖRSENAD 15 dagar")), ("en", ("OVERDUE 1 day", "OVERDUE 15 days"))):
        text = card_text(cards.board_card(board([one, many]), lang))
        assert all(e in text for e in expected) and "(ar)" not in text and "(s)" not in text, text


@pytest.mark.parametrize(("direction", "value", "low", "high", "words"), [
    ("higher", "95.0", "95", None, "✔ når målnivån"),
    ("higher", "94.9", "95", None, "⚠ under målnivån"),
    ("lower", "3.1", None, "3", "⚠ över målnivån"),
    ("interval", "4.5", "5", "8", "⚠ under målnivån"),
    ("interval", "8.0", "5", "8", "✔ når målnivån"),
    ("interval", "8.4", "5", "8", "⚠ över målnivån"),
])
def test_the_boards_result_line_says_where_the_latest_value_stands(direction: str, value: str, low: str | None,
                                                                    high: str | None, words: str) -> None:
    """Personalomsättning 4,5 % against 5–8 % is off target too: the line says so in words, with a sign."""
    view = cards.format_headline(indicator="Personalomsättning", value=value, unit="%", decimals=1,
                                 period_end=date(2018, 4, 30), scope=None, low=low, high=high, year=2018,
                                 direction=direction, budget_area=None, budget_total=None, utfall=None,
                                 through_month=None, lang="sv")
    assert view is not None and view.against == words
    assert words in card_text({"type": "AdaptiveCard", "body": cards._headline(view, "sv")})
    english = cards.format_headline(indicator="Staff turnover", value=value, unit="%", decimals=1,
                                    period_end=date(2018, 4, 30), scope=None, low=low, high=high, year=2018,
                                    direction=direction, budget_area=None, budget_total=None, utfall=None,
                                    through_month=None, lang="en")
    assert english is not None and "target" in (english.against or "")


def test_overdue_banner_counts_in_swedish_and_english() -> None:
    assert cards.overdue_banner(0, "Förskolan Humlan", "sv") == cards.Banner("good", "Inga försenade aktiviteter i Förskolan Humlan.")
    assert cards.overdue_banner(1, "Humlan", "sv").text == "1 försenad aktivitet i Humlan – den står först i sin kolumn."
    assert cards.overdue_banner(3, "Humlan", "sv").style == "attention"
    assert cards.overdue_banner(3, "Humlan", "en").text == "3 overdue activities in Humlan – they come first in their columns."


def test_a_banner_names_the_activities_it_counts_most_overdue_first_then_how_many_more() -> None:
    late = [item(n, long=False, status="pagar") for n in range(12)]  # deadlines 1/3 + 3n: all overdue on 15/5
    banner = cards.overdue_banner(len(late), "Humlan", "sv", late)
    assert len(banner.lines) == cards.BANNER_LINES + 1 and banner.lines[-1] == "… och 4 till"
    assert banner.lines[0] == f"nr 100000 Aktivitet 0 – ⚠ FÖRSENAD {late[0].overdue_days} dagar – Anna"
    assert [line.split(" – ")[0] for line in banner.lines[:3]] == ["nr 100000 Aktivitet 0", "nr 100001 Aktivitet 1",
                                                                    "nr 100002 Aktivitet 2"]
    due = cards.due_soon_banner(1, "Humlan", date(2018, 5, 22), "en", [item(3, long=False, status="pagar")])
    assert due.lines == ("no. 100003 Aktivitet 3 – due 10 March 2018 – Anna",)
    card = cards.board_card(board(late, banner=banner), "sv")  # titles are user text: verbatim, never markdown
    assert any(run.get("text") == banner.lines[0] for run in elements(card, lambda e: e.get("type") == "TextRun"))


def test_due_soon_banner() -> None:
    from datetime import date

    until = date(2018, 5, 22)
    assert cards.due_soon_banner(0, "Humlan", until, "sv").text == "Inga aktiviteter i Humlan ska vara klara till och med 22 maj 2018."
    assert cards.due_soon_banner(1, "Humlan", until, "sv").text.startswith("1 aktivitet i Humlan ska vara klar till och med")
    assert cards.due_soon_banner(2, "Humlan", until, "en").text.startswith("2 activities in Humlan are due by 22 May 2018")

