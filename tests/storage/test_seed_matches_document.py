"""The seed files say exactly what the source document says: parsed here from the text itself.

The parser below is independent of storage.seeding: it reads the PDF-extracted text of the Årsplan
2018 (../shared) and every budget line, total and indicator figure must match the repo's files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from storage.seeding import SeedData, load_seed_files
from tests.conftest import need_shared

pytestmark = pytest.mark.shared

AMOUNT = r"-?\d{1,3}(?: \d{3})*,\d"
ROW = re.compile(rf"^(?P<name>.+?)\s+(?P<amount>{AMOUNT})\s*$")
HEADER_WORDS = {"Utgångsläge", "Utgångsläg", "e", "2015", "Utfall", "2016", "Målnivå", "2018", "2019"}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _tkr(printed: str) -> Decimal:
    return Decimal(printed.replace(" ", "").replace(",", "."))


@pytest.fixture(scope="module")
def document() -> list[str]:
    path: Path = need_shared("seed", "arsplan-2018-ostra-goinge.txt")
    return path.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def seed() -> SeedData:
    return load_seed_files()


# --- Section 3 Internbudget -----------------------------------------------------------------


@dataclass
class Block:
    area: str
    lines: list[tuple[str, Decimal]]
    total: Decimal


def parse_budget(lines: list[str]) -> list[Block]:
    """Each "Driftbudget (tkr)" table; its area is named after "Internbudget 2018" below the total."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "Driftbudget (tkr)":
            i += 1
            continue
        rows: list[tuple[str, Decimal]] = []
        total: Decimal | None = None
        i += 1
        while total is None:
            line = lines[i].strip()
            i += 1
            if not line or line == "Verksamhet Nettokostnad":
                continue
            match = ROW.match(line)
            assert match, f"unreadable budget row {line!r}"
            if match["name"] == "Total budget":
                total = _tkr(match["amount"])
            else:
                rows.append((_norm(match["name"]), _tkr(match["amount"])))
        following = [line.strip() for line in lines[i : i + 6] if line.strip()]
        assert following[0] == "Internbudget 2018", following
        area = following[1].removeprefix("Verksamhetsområde:").strip()
        blocks.append(Block(area, rows, total))
    return blocks


def test_every_budget_line_and_total_matches(document: list[str], seed: SeedData) -> None:
    blocks = parse_budget(document)
    assert len(blocks) == 9
    assert sum(len(b.lines) for b in blocks) == 90
    names = {u.code: u.name for u in seed.org_units}
    in_files = {
        names[area]: [(b.verksamhet, b.net_cost) for b in sorted(seed.lines_for(area), key=lambda b: b.sort_order)]
        for area in {b.area for b in seed.budget_lines}
    }
    assert [b.area for b in blocks] == [u.name for u in seed.org_units if u.kind == "verksamhetsomrade"]
    for block in blocks:
        assert sum((amount for _, amount in block.lines), Decimal(0)) == block.total, block.area
        assert in_files[block.area] == block.lines, block.area
        code = next(c for c, n in names.items() if n == block.area)
        assert seed.total_for(code) == block.total, block.area
    assert sum(b.total for b in blocks) == Decimal("794209.0")


def test_area_descriptions_are_the_documents(document: list[str], seed: SeedData) -> None:
    text = _norm(" ".join(document))
    for unit in seed.org_units:
        assert unit.description and _norm(unit.description) in text, unit.code


# --- Section 2.3 indicator tables -----------------------------------------------------------


@dataclass
class Row:
    section: str
    name: str
    cells: tuple[str, str, str, str]  # as printed: "6 109*", "-", "60"
    footnote: str | None


def split_cells(line: str) -> tuple[str, str, str, str] | None:
    """Split "6 109* 6 147* 6 159 6 170" into four printed cells; None unless exactly one split fits."""
    tokens = line.split()
    cell = re.compile(r"-|\d{1,3}(?: \d{3})*\*?")
    found: list[tuple[str, ...]] = []

    def walk(start: int, cells: tuple[str, ...]) -> None:
        if len(cells) == 4:
            if start == len(tokens):
                found.append(cells)
            return
        for end in range(start + 1, len(tokens) + 1):
            candidate = " ".join(tokens[start:end])
            if cell.fullmatch(candidate):
                walk(end, cells + (candidate,))

    walk(0, ())
    if len(found) != 1:
        return None
    a, b, c, d = found[0]
    return a, b, c, d


def parse_indicator_tables(lines: list[str]) -> list[Row]:
    """Rows of the tables under "2.3.x": name lines, then one line of four cells; "*" notes per table."""
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("2.3 Målnivåer"))
    end = next(i for i, line in enumerate(lines) if line.strip() == "3 Internbudget")
    rows: list[Row] = []
    section = ""
    name_parts: list[str] = []
    section_rows: list[Row] = []

    def close_section() -> None:
        rows.extend(section_rows)
        section_rows.clear()

    for raw in lines[start:end]:
        line = raw.strip()
        heading = re.match(r"^2\.3\.\d (.+)$", line)
        if heading:
            close_section()
            section, name_parts = heading[1].strip(), []
            continue
        if not section or not line:
            continue
        if line.startswith("*"):
            for row in section_rows:
                if any(c.endswith("*") for c in row.cells):
                    row.footnote = line[1:].strip()
            continue
        if set(line.split()) <= HEADER_WORDS:
            continue
        cells = split_cells(line)
        if cells is None:
            name_parts.append(line)
            continue
        section_rows.append(Row(section, _norm(" ".join(name_parts)), cells, None))
        name_parts = []
    close_section()
    return rows


def _printed(cell: str) -> tuple[Decimal | None, bool]:
    if cell == "-":
        return None, False
    return Decimal(cell.rstrip("*").replace(" ", "")), cell.endswith("*")


def test_every_indicator_figure_matches(document: list[str], seed: SeedData) -> None:
    rows = parse_indicator_tables(document)
    assert len(rows) == 13
    goals = {g.code: g for g in seed.goals}
    by_name = {i.name: i for i in seed.indicators}
    table_indicators = [i for i in seed.indicators if i.goal != "attraktiv-arbetsgivare"]
    assert sorted(i.name for i in table_indicators) == sorted(r.name for r in rows)
    for row in rows:
        indicator = by_name[row.name]
        goal = goals[indicator.goal]
        assert row.section == goal.title or row.section.endswith(f"Utmaningsområde {goal.title}") or (
            row.section == "Vision" and goal.kind == "vision"
        ), (row.name, row.section, goal.title)
        for cell, period in zip(row.cells[:2], ("2015", "2016")):
            figure, starred = _printed(cell)
            value = indicator.value(period)
            if figure is None:
                assert value is None and period in indicator.missing, (row.name, period)
                continue
            assert value is not None and value.value == figure, (row.name, period)
            assert value.kind == ("utgangslage" if period == "2015" else "utfall")
            assert value.footnote == (row.footnote if starred else None), (row.name, period)
        for cell, year in zip(row.cells[2:], (2018, 2019)):
            figure, starred = _printed(cell)
            target = indicator.target(year)
            assert not starred and target is not None
            assert (target.low, target.high) == (figure, None), (row.name, year)


def test_the_two_footnotes_belong_to_their_own_tables(document: list[str]) -> None:
    rows = {r.name: r for r in parse_indicator_tables(document)}
    assert rows["Antal sysselsatta 16+ med bostad i kommunen"].footnote == "Siffran gäller året före"
    assert rows["Genomsnittligt meritvärde i åk 9 (poäng)"].footnote == "Utfallet gäller läsåret 2016/2017"
    assert rows["Antal registrerade företag med minst 400 tkr i omsättning"].footnote is None


def test_forvaltningsmal_targets_match(document: list[str], seed: SeedData) -> None:
    text = _norm(" ".join(document))
    frisk = re.search(r"genomsnittliga frisknärvaron i Östra Göinge kommun minst (\d+) %", text)
    turnover = re.search(r"genomsnittliga personalomsättningen mellan (\d+) och (\d+) %", text)
    hme = re.search(r"\(HME-index\) minst (\d+)", text)
    assert frisk and turnover and hme
    expected = {
        "frisknarvaro": (Decimal(frisk[1]), None),
        "personalomsattning": (Decimal(turnover[1]), Decimal(turnover[2])),
        "hme": (Decimal(hme[1]), None),
    }
    for code, bounds in expected.items():
        indicator = seed.indicator(code)
        assert [(t.year, t.low, t.high) for t in indicator.targets] == [(2018, *bounds)]
        assert indicator.values == ()  # the document has no measured values for these


# --- Goals and årshjul ----------------------------------------------------------------------


def test_goal_texts_are_the_documents(document: list[str], seed: SeedData) -> None:
    text = _norm(" ".join(document).replace("\uf0b7", " "))
    for goal in seed.goals:
        if goal.kind in ("prioritering", "forvaltningsmal", "vision", "digital_agenda"):
            quoted = goal.description if goal.kind != "digital_agenda" else goal.title
            assert quoted and _norm(quoted) in text, goal.code
    assert "”15 000 stolta göingar”" in text


def _squash(text: str) -> str:
    """Without spaces, tabs and hyphens: the figures' text is broken and hyphenated anywhere."""
    return re.sub(r"[\s\-]", "", text)


def test_arshjul_steps_are_printed_in_the_figures(document: list[str], seed: SeedData) -> None:
    whole = _squash(" ".join(document))
    wheel = _squash(" ".join(document[document.index("Kommunens verksamhetsstyrning – årshjulet ") :]))
    for step in seed.calendar_steps:
        assert _squash(step.title.removeprefix("Verksamhetsrapport ")) in whole, step.title
        if step.reading == "datum":
            assert _squash(step.title) in wheel and f"{step.day}/{step.month}" in wheel, step.title
    stored = {s.title for s in seed.calendar_steps if s.stored}
    assert "Beslut KF om budget" in stored and "Instruktioner för VP skickas ut" in stored
