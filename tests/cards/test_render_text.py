"""The card → text renderer the console chat uses: every element Tavla's cards use, and odd input."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cards import core
from cards.help import HelpSection, HelpView, help_card
from cards.render_text import Style, chart_summary, display_width, markdown_text, render, with_visibility


def lines_of(card: dict[str, Any], **kwargs: Any) -> list[str]:
    return render(card, **kwargs)[0].split("\n")


def test_text_blocks_heading_bold_subtle_and_wrapping() -> None:
    card = core.card([
        core.heading("Frisknärvaro"),
        core.text("Sektion", weight="Bolder", size="Medium"),
        core.text("fet", weight="Bolder"),
        core.text("liten", subtle=True, size="Small"),
        core.text("ord " * 40),
        core.text("Läs [årsplanen](https://example.org/a.pdf) **nu**"),
    ])
    lines = lines_of(card, width=40)
    assert lines[:2] == ["Frisknärvaro", "════════════"]
    assert lines[2:4] == ["Sektion", "───────"]
    assert "fet" in lines and "liten" in lines
    assert all(display_width(line) <= 40 for line in lines)
    assert "Läs årsplanen (https://example.org/a.pdf) nu" in " ".join(lines)


def test_text_block_max_lines_and_markdown_list_keeps_hanging_indent() -> None:
    card = core.card([core.text("- " + "lång punkt " * 8 + "\n- kort", max_lines=None),
                      core.text("rad\n" * 5, max_lines=2)])
    lines = lines_of(card, width=30)
    assert lines[0].startswith("- lång") and lines[1].startswith("  ")
    assert "- kort" in lines
    assert lines[-1].endswith("…") and lines.count("rad") == 1


def test_rich_text_is_shown_verbatim_not_as_markdown() -> None:
    card = core.card([core.user_text("**inte fet** [inte länk](x)"), {
        "type": "RichTextBlock", "inlines": ["sträng ", {"type": "TextRun", "text": "och run"}, 5, None]}])
    lines = lines_of(card)
    assert lines == ["**inte fet** [inte länk](x)", "sträng och run"]


def test_fact_set_aligns_titles_and_wraps_values() -> None:
    card = core.card([core.facts([("Mål", "95 %"), ("Senaste värde", "92,3 % " + "x" * 100)])])
    lines = lines_of(card, width=50)
    assert lines[0] == "Mål:           95 %"
    assert lines[1].startswith("Senaste värde: 92,3 %")
    assert lines[2].startswith(" " * 15)  # the value's next line stays under the value


def test_column_sets_in_a_row_are_one_table_with_header_rule() -> None:
    bold = [core.column([core.text(t, weight="Bolder")]) for t in ("Enhet", "Värde", "Status")]
    card = core.card([
        core.columns(*bold),
        core.columns(core.column([core.text("Hemtjänst Broby")]), core.column([core.text("91,2 %")]),
                     core.column([core.text("Under målet")])),
        core.columns(core.column([core.text("Särskilt boende")]), core.column([core.text("96 %")]),
                     core.column([core.text("Når målet")])),
    ])
    assert lines_of(card) == [
        "Enhet            Värde   Status",
        "─" * len("Hemtjänst Broby  91,2 %  Under målet"),
        "Hemtjänst Broby  91,2 %  Under målet",
        "Särskilt boende  96 %    Når målet",
    ]


def test_wide_columns_wrap_within_their_width_and_narrow_ones_stack() -> None:
    long = "mycket lång text " * 6
    card = core.card([core.columns(core.column([core.text(long)]), core.column([core.text(long)]))])
    lines = lines_of(card, width=60)
    assert len(lines) > 2 and all(display_width(line) <= 60 for line in lines)
    many = core.card([core.columns(*[core.column([core.text(f"kolumn {i} " * 3)]) for i in range(12)])])
    text, _ = render(many, width=40)
    assert "kolumn 0" in text and "kolumn 11" in text


def test_table_element_with_header_row() -> None:
    def row(*cells: str) -> dict[str, Any]:
        return {"type": "TableRow", "cells": [{"type": "TableCell", "items": [core.text(c)]} for c in cells]}

    card = core.card([{"type": "Table", "columns": [{"width": 1}, {"width": 1}], "firstRowAsHeader": True,
                       "rows": [row("Månad", "Utfall"), row("januari", "12,5 tkr")]}])
    assert lines_of(card) == ["Månad    Utfall", "─" * len("januari  12,5 tkr"), "januari  12,5 tkr"]


def test_container_styles_separator_and_hidden_elements() -> None:
    card = core.card([
        core.text("först"),
        core.container([core.text("viktigt")], style="attention", separator=True),
        core.container([core.text("dolt")], element_id="more", visible=False),
    ])
    lines = lines_of(card)
    assert lines[0] == "först" and lines[-1] == "viktigt"
    assert any(set(line) == {"─"} for line in lines)
    assert "dolt" not in lines
    shown = with_visibility(card, [("more", None)])
    assert "dolt" in lines_of(shown)
    assert "dolt" not in lines_of(with_visibility(shown, [("more", False)]))
    assert card["body"][2]["isVisible"] is False  # the original is untouched


def test_inputs_show_label_and_value_and_choice_sets_their_choices() -> None:
    card = core.card([
        core.text_input("comment", "Kommentar", placeholder="Vad har hänt?"),
        core.text_input("title", "Rubrik", value="Ny rutin"),
        core.number_input("progress", "Klart (%)", value=40, minimum=0, maximum=100),
        core.choice_input("status", "Status", [("Ej påbörjad", "todo"), ("Pågår", "doing"), ("Klar", "done")],
                          value="doing"),
        {"type": "Input.Toggle", "id": "notify", "title": "Meddela chefen", "valueOn": "ja", "valueOff": "nej",
         "value": "ja"},
        {"type": "Input.Date", "id": "deadline", "label": "Klart senast", "isRequired": True},
    ], [core.execute("Spara", "save", {"activity": 7})])
    text, buttons = render(card)
    assert "[inmatning] Kommentar (tomt – t.ex. Vad har hänt?)" in text
    assert "[inmatning] Rubrik (Ny rutin)" in text
    assert "[inmatning] Klart (%) (40)" in text
    assert "[inmatning] Status (Pågår)" in text
    assert "○ Ej påbörjad  ● Pågår  ○ Klar" in text
    assert "[inmatning] Meddela chefen (ja)" in text
    assert "[inmatning] Klart senast * (tomt)" in text
    (save,) = buttons
    assert [f.id for f in save.inputs] == ["comment", "title", "progress", "status", "notify", "deadline"]
    status = save.inputs[3]
    assert status.choices == (("Ej påbörjad", "todo"), ("Pågår", "doing"), ("Klar", "done"))
    assert status.value == "doing" and status.shown() == "Pågår"
    assert save.inputs[2].minimum == 0 and save.inputs[2].maximum == 100
    assert save.inputs[5].required


def test_buttons_are_numbered_in_reading_order_with_their_data() -> None:
    card = core.card(
        [core.text("Aktivitet"), core.action_set([core.execute("Klar", "done", {"id": 1}),
                                                  core.submit("Skicka", {"verb": "send", "id": 1})])],
        [core.execute("Uppdatera", "refresh", {"id": 1}),
         core.show_card("Kommentera", core.card([core.text_input("c", "Din kommentar")],
                                                [core.execute("Spara kommentar", "comment", {"id": 1})])),
         core.toggle("Visa mer", ["more"]),
         {"type": "Action.OpenUrl", "title": "Öppna", "url": "https://example.org"}],
    )
    text, buttons = render(card, start=3)
    assert [b.number for b in buttons] == [3, 4, 5, 6, 7, 8, 9]
    assert [b.kind for b in buttons] == ["Action.Execute", "Action.Submit", "Action.Execute", "Action.ShowCard",
                                         "Action.Execute", "Action.ToggleVisibility", "Action.OpenUrl"]
    assert buttons[0].verb == "done" and buttons[0].data == {"id": 1}
    assert buttons[1].data == {"verb": "send", "id": 1}
    sub = buttons[4]
    assert sub.label == "Kommentera › Spara kommentar" and [f.id for f in sub.inputs] == ["c"]
    assert sub.ask == ("c",)
    assert "[inmatning] Din kommentar" in buttons[3].detail and "[7] Spara kommentar" in buttons[3].detail
    assert buttons[5].targets == (("more", None),)
    assert buttons[6].url == "https://example.org"
    lines = text.split("\n")
    assert lines.index("[3] Klar") < lines.index("[5] Uppdatera")
    assert "[6] Kommentera ▾" in lines and "    [7] Spara kommentar" in lines
    assert "[9] Öppna ↗ https://example.org" in lines
    assert "[inmatning] Din kommentar" not in text  # the sub-card shows when its button is pressed


def test_a_button_asks_first_for_the_inputs_next_to_it() -> None:
    def row(n: int) -> dict[str, Any]:
        return core.container([core.text_input(f"c{n}", "Kommentar"),
                               core.action_set([core.execute("Spara", "save", {"id": n})])])

    card = core.card([core.text_input("top", "Överst"), row(1), row(2),
                      core.columns(core.column([core.number_input("p", "Procent"),
                                                core.action_set([core.execute("Sätt", "set")])]))],
                     [core.show_card("Mer", core.card([core.text_input("s", "Sub")], [core.execute("Ok", "ok")])),
                      core.execute("Allt", "all")])
    _, buttons = render(card)
    assert [(b.title, b.ask) for b in buttons] == [
        ("Spara", ("c1",)), ("Spara", ("c2",)), ("Sätt", ("p",)), ("Mer", ()), ("Ok", ("s",)),
        ("Allt", ("top", "c1", "c2", "p"))]
    assert [f.id for f in buttons[0].inputs] == ["top", "c1", "c2", "p"]  # all are sent, as Teams does
    assert [f.id for f in buttons[4].inputs] == ["top", "c1", "c2", "p", "s"]


def test_associated_inputs_none_and_disabled_buttons() -> None:
    card = core.card([core.text_input("x", "X")],
                     [core.execute("Utan", "a", associated_inputs="none"),
                      {**core.execute("Av", "b"), "isEnabled": False}])
    text, (without, disabled) = render(card)
    assert without.inputs == () and not disabled.enabled
    assert "[2] Av (inte tillgänglig)" in text


def test_select_actions_on_containers_and_columns_are_buttons() -> None:
    card = core.card([
        {**core.container([core.text("Frisknärvaro 92 %")]), "selectAction": core.execute("", "open", {"id": 4})},
        core.columns({**core.column([core.text("Budget")]), "selectAction": core.execute("Visa budget", "budget")}),
    ])
    text, buttons = render(card)
    assert [b.title for b in buttons] == ["Frisknärvaro 92 %", "Visa budget"]
    assert "[1] Frisknärvaro 92 %" in text and "[2] Visa budget" in text


def test_images_media_and_unknown_elements() -> None:
    card = core.card([
        {"type": "Image", "url": "data:image/png;base64,AAAA", "altText": "Logotyp"},
        {"type": "Image", "url": "x.png"},
        {"type": "ImageSet", "images": [{"type": "Image", "url": "y.png", "altText": "Diagram"}]},
        {"type": "Media", "sources": [{"url": "https://example.org/v.mp4"}]},
        {"type": "Something.New", "text": "ska inte synas"},
        {"type": "Something.New", "fallback": core.text("reservtext")},
        {"type": "Something.New", "fallback": {"type": "Another.New", "fallback": core.text("djup reserv")}},
        {"type": "Something.New", "fallback": "drop"},
        {"type": "Input.Rating", "id": "r", "fallback": core.text("betyg saknas")},
    ], [{"type": "Action.Future", "title": "x"},
        {"type": "Action.Future", "title": "y", "fallback": core.execute("Reserv", "f")}])
    text, buttons = render(card)
    assert text.split("\n") == ["[bild: Logotyp]", "[bild: Diagram]", "[media: https://example.org/v.mp4]",
                                "reservtext", "djup reserv", "betyg saknas", "", "[1] Reserv"]
    assert [b.verb for b in buttons] == ["f"]


def test_teams_charts_show_their_fallback_or_a_summary_line() -> None:
    line = {"type": "Chart.Line", "title": "Frisknärvaro", "data": [
        {"legend": "2018", "values": [{"x": "jan", "y": 91.5}, {"x": "feb", "y": 92}]},
        {"legend": "Mål", "values": [{"x": "jan", "y": 95}, {"x": "feb", "y": 95}]}]}
    with_fallback = {**line, "fallback": core.text("jan 91,5 %, feb 92 %")}
    assert lines_of(core.card([with_fallback])) == ["jan 91,5 %, feb 92 %"]
    assert lines_of(core.card([line])) == ["[diagram: Frisknärvaro] 2018: jan 91,5, feb 92; Mål: jan 95, feb 95"]
    assert lines_of(core.card([{**line, "fallback": "drop"}])) == [""]
    assert chart_summary({"type": "Chart.VerticalBar", "data": [{"x": "Q1", "y": 3}, {"x": "Q2", "y": 4.25}]}) \
        == "[diagram] Q1 3, Q2 4,25"
    assert chart_summary({"type": "Chart.Donut", "title": "Fördelning",
                          "data": [{"legend": "A", "value": 1}, {"legend": "B", "value": 2}]}) \
        == "[diagram: Fördelning] A 1, B 2"
    assert chart_summary({"type": "Chart.Gauge", "value": 72, "min": 0, "max": 100, "subLabel": "av målet"}) \
        == "[diagram] 72 (0–100) av målet"
    assert chart_summary({"type": "Chart.HorizontalBar.Stacked", "title": "Budget", "data": [
        {"title": "Vård", "data": [{"legend": "förbrukat", "value": 60}, {"legend": "kvar", "value": 40}]}]}) \
        == "[diagram: Budget] Vård: förbrukat 60, kvar 40"
    assert chart_summary({"type": "Chart.Pie"}) == "[diagram]"
    many = {"type": "Chart.VerticalBar", "data": [{"x": str(i), "y": i} for i in range(30)]}
    assert chart_summary(many).endswith("…")


def test_the_welcome_card_reads_well() -> None:
    view = HelpView(welcome=True, sections=(HelpSection("indicators", ("status frisknärvaro",)),),
                    buttons=("status frisknärvaro", "budget totalt"), as_of=date(2018, 5, 15), pinned=True)
    text, buttons = render(help_card(view, "sv"))
    lines = text.split("\n")
    assert lines[:2] == ["Hej! Jag är Tavla", "═════════════════"]
    assert "- ”status frisknärvaro”" in lines
    assert lines[-2:] == ["[1] status frisknärvaro", "[2] budget totalt"]
    assert [(b.verb, b.data) for b in buttons] == [("ask", {"text": "status frisknärvaro"}),
                                                   ("ask", {"text": "budget totalt"})]


def test_style_is_applied_after_wrapping() -> None:
    style = Style(heading=lambda s: f"<{s}>", button=lambda s: f"({s})")
    text, _ = render(core.card([core.heading("Rubrik")], [core.execute("Knapp", "v")]), style=style)
    assert text.split("\n") == ["<Rubrik>", "══════", "", "([1] Knapp)"]


def test_message_markdown_text() -> None:
    assert markdown_text("Se [länk](https://x.se) och **fet**") == "Se länk (https://x.se) och fet"


def test_malformed_cards_never_raise() -> None:
    for card in (None, [], {"body": "x"}, {"body": [None, 1, "x", {"type": 5}, {"type": "TextBlock", "text": 7}]},
                 {"body": [{"type": "ColumnSet", "columns": [None, {"items": None}]}]},
                 {"body": [{"type": "FactSet", "facts": [{"title": None}, "x"]}]},
                 {"body": [{"type": "Input.ChoiceSet", "id": "c", "choices": [None, {"title": 3}]}]},
                 {"actions": [{"type": "Action.ShowCard", "card": "x"}, {"type": "Action.Submit", "data": None}]},
                 {"body": [{"type": "Table", "rows": [{"cells": None}, None]}]}):
        render(card)  # type: ignore[arg-type]
    deep: dict[str, Any] = {"type": "Container", "items": []}
    node = deep
    for _ in range(200):
        child: dict[str, Any] = {"type": "Container", "items": [core.text("x")]}
        node["items"].append(child)
        node = child
    render(core.card([deep]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "text", "items", "columns", "facts", "title", "value", "actions", "card", "body",
                         "id", "isVisible", "choices", "data", "fallback", "rows", "cells", "selectAction",
                         "inlines", "targetElements", "size", "weight", "maxLines"]),
        children | st.sampled_from(["TextBlock", "Container", "ColumnSet", "Column", "FactSet", "ActionSet",
                                    "Input.ChoiceSet", "Action.ShowCard", "Action.Execute", "Chart.Line", "Table",
                                    "RichTextBlock", "Action.ToggleVisibility", "Image", "Large", "Bolder"]),
        max_size=6),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_renders_without_error(value: Any) -> None:
    card = {"type": "AdaptiveCard", "body": value if isinstance(value, list) else [value],
            "actions": value if isinstance(value, list) else []}
    text, buttons = render(card, width=30)
    assert isinstance(text, str)
    assert [b.number for b in buttons] == list(range(1, len(buttons) + 1))


def test_a_row_button_is_named_by_its_whole_first_text_not_its_first_wrapped_line() -> None:
    """A budget table's row "Ekonomi och intern service", wrapped in its column, gave the button "[2] Ekonomi och
    intern" — cut short in the console."""
    def cell(text: str, action: bool = False) -> dict[str, object]:
        out: dict[str, object] = {"type": "TableCell", "items": [{"type": "TextBlock", "text": text, "wrap": True}]}
        if action:
            out["selectAction"] = {"type": "Action.Execute", "verb": "budget.show", "data": {"area": 2}}
        return out

    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{
        "type": "Table", "columns": [{"width": 1}, {"width": 1}, {"width": 1}],
        "rows": [{"type": "TableRow", "cells": [cell("Ekonomi och intern service", True),
                                                cell("20 058,0 tkr budget i år"), cell("−139,7 tkr underskott")]}]}]}
    _, buttons = render(card, width=44)
    assert [b.title for b in buttons] == ["Ekonomi och intern service"]
