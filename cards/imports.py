"""Cards for files sent in chat: the preview (with "Importera"), the result, and why a file was refused.

The preview shows what a person checks before anything is written: the file (its name is user input:
``user_text``), what kind of file Tavla took it for, rows read and valid, the period, totals per area (or
enhet / year) and the row-level errors. Only a preview without errors has "Importera"; with errors it says
that nothing is written and what to fix. Status is in words, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cards import core
from cards.format import number, tkr
from cards.texts import pick

CONFIRM_VERB = "import.confirm"  # data: {"pending": token, "sha256": hex, "mode": "add" | "full"}
CANCEL_VERB = "import.cancel"  # data: {"pending": token}
TOTALS_SHOWN = 12
PROBLEMS_SHOWN = 15
LINES_SHOWN = 8

TEXTS: dict[str, dict[str, str]] = {
    "preview_title": {"sv": "Förhandsgranskning: {kind}", "en": "Preview: {kind}"},
    "file": {"sv": "Fil", "en": "File"},
    "kind": {"sv": "Typ av fil", "en": "Kind of file"},
    "rows": {"sv": "Rader", "en": "Rows"},
    "rows_value": {"sv": "{rows} lästa, {valid} felfria", "en": "{rows} read, {valid} valid"},
    "period": {"sv": "Period", "en": "Period"},
    "nothing_written": {"sv": "Inget är inläst än – tryck ”Importera” för att läsa in filen.",
                        "en": "Nothing has been imported yet – press “Import” to import the file."},
    "errors_title": {"sv": "{n} fel – inget kan läsas in", "en": "{n} errors – nothing can be imported"},
    "errors_fix": {"sv": "Rätta raderna i filen och skicka den igen. Inget har skrivits.",
                   "en": "Correct the rows in the file and send it again. Nothing has been written."},
    "errors_fix_file": {"sv": "Rätta filen och skicka den igen. Inget har skrivits.",
                        "en": "Correct the file and send it again. Nothing has been written."},
    "more_errors": {"sv": "… och {n} fel till", "en": "… and {n} more errors"},
    "more_totals": {"sv": "… och {n} till", "en": "… and {n} more"},
    "nothing_valid": {"sv": "Filen har inga rader att läsa in.", "en": "The file has no rows to import."},
    "import": {"sv": "Importera", "en": "Import"},
    "import_full": {"sv": "Importera och inaktivera {n} som saknas", "en": "Import and deactivate {n} missing"},
    "full_note": {"sv": "{n} personer i Tavla finns inte i filen. ”Importera” behåller dem; om filen är hela "
                        "personalen inaktiverar den andra knappen dem (deras historik finns kvar).",
                  "en": "{n} people in Tavla are not in the file. “Import” keeps them; if the file is the whole "
                        "staff, the other button deactivates them (their history stays)."},
    "cancel": {"sv": "Avbryt", "en": "Cancel"},
    "rows_count": {"sv": "{n} rader", "en": "{n} rows"},
    "row_count": {"sv": "1 rad", "en": "1 row"},
    "done_title": {"sv": "{kind} inläst", "en": "{kind} imported"},
    "done_logged": {"sv": "Inläst av {who} {when} från {file}.", "en": "Imported by {who} {when} from {file}."},
    "unchanged_title": {"sv": "{kind}: inget ändrades", "en": "{kind}: nothing changed"},
    "failed_title": {"sv": "{kind} lästes inte in", "en": "{kind} was not imported"},
    "failed_changed": {"sv": "Något har ändrats sedan förhandsgranskningen, så filen stämmer inte längre. Inget "
                             "skrevs. Rätta filen och skicka den igen.",
                       "en": "Something changed since the preview, so the file no longer fits. Nothing was written."},
    "aborted_title": {"sv": "Importen avbröts – inget skrevs", "en": "The import stopped – nothing was written"},
    "aborted": {"sv": "Ett fel uppstod mitt i inläsningen, så allt rullades tillbaka: databasen är som före. "
                      "Tryck ”Importera” igen om en stund.",
                "en": "An error occurred during the import, so everything was rolled back. Press “Import” again in a "
                      "moment."},
    "cancelled": {"sv": "Importen avbröts. Inget lästes in.", "en": "The import was cancelled. Nothing was imported."},
    "unknown_title": {"sv": "Jag känner inte igen filen", "en": "I do not recognise the file"},
    "unknown": {"sv": "Kolumnerna passar inte någon import jag kan: utfall, internbudget, helårsprognoser, "
                      "månadsprofiler, indikatorvärden, handlingsplaner, organisation, personer, verksamhetsmål "
                      "eller målnivåer.",
                "en": "The columns fit none of the imports I know."},
    "near_title": {"sv": "Det fattas kolumner i filen", "en": "The file lacks columns"},
    "near_one": {"sv": "För att läsas in som {kind} saknar filen kolumnen {columns}.",
                 "en": "To be imported as {kind}, the file lacks the column {columns}."},
    "near_many": {"sv": "För att läsas in som {kind} saknar filen kolumnerna {columns}.",
                  "en": "To be imported as {kind}, the file lacks the columns {columns}."},
    "near_hint": {"sv": "Lägg till det som saknas (rubrikerna på första raden) och skicka filen igen. Inget lästes in.",
                  "en": "Add what is missing (the headers on the first row) and send the file again. Nothing was "
                        "imported."},
    "headers": {"sv": "Filens rubriker: {headers}", "en": "The file's headers: {headers}"},
    "ambiguous_title": {"sv": "Filen kan vara flera saker", "en": "The file could be several things"},
    "ambiguous": {"sv": "Kolumnerna passar både {kinds}. Byt namn på en kolumn så att det framgår, och skicka filen "
                        "igen.",
                  "en": "The columns fit {kinds}. Rename a column so it is clear, and send the file again."},
    "ambiguous_amount": {"sv": "Kolumnerna passar både {kinds}. Byt namn på beloppskolumnen så att det framgår – "
                               "{headers} – och skicka filen igen.",
                         "en": "The columns fit {kinds}. Rename the amount's column so it is clear – {headers} – "
                               "and send the file again."},
    "header_for": {"sv": "”{header}” för {kind}", "en": "“{header}” for {kind}"},
}


@dataclass(frozen=True)
class TotalRow:
    label: str
    count: int
    amount: Decimal | None


@dataclass(frozen=True)
class PreviewView:
    kind_label: str
    file_name: str
    rows: int
    valid: int
    period: str | None
    totals_title: str
    totals: tuple[TotalRow, ...]
    problems: tuple[str, ...]
    problem_count: int
    lines: tuple[str, ...]
    warnings: tuple[str, ...]
    writable: bool
    token: str
    sha256: str
    full_option: int = 0


def _t(key: str, lang: str, **values: object) -> str:
    return pick(TEXTS, key, lang, **values)


def _totals(view: PreviewView, lang: str) -> list[core.Element]:
    if not view.totals:
        return []
    items: list[core.Element] = [core.text(view.totals_title, weight="Bolder", spacing="Medium")]
    for total in view.totals[:TOTALS_SHOWN]:
        rows = _t("row_count", lang) if total.count == 1 else _t("rows_count", lang, n=number(total.count))
        value = tkr(total.amount, lang) if total.amount is not None else rows
        detail = f" ({rows})" if total.amount is not None else ""
        items.append(core.columns(core.column([core.user_text(total.label, limit=120)]),
                                  core.column([core.text(value + detail, wrap=False)], width="auto"), spacing="None"))
    if len(view.totals) > TOTALS_SHOWN:
        items.append(core.text(_t("more_totals", lang, n=len(view.totals) - TOTALS_SHOWN), subtle=True, size="Small"))
    return items


def preview_card(view: PreviewView, lang: str) -> dict[str, Any]:
    body: list[core.Element] = [
        core.heading(_t("preview_title", lang, kind=view.kind_label)),
        core.text(_t("file", lang), weight="Bolder", size="Small", spacing="Small"),
        core.user_text(view.file_name, limit=200),
        core.facts([(_t("kind", lang), view.kind_label)]
                   + ([(_t("rows", lang), _t("rows_value", lang, rows=number(view.rows), valid=number(view.valid)))]
                      if view.rows or not view.problem_count else [])  # a file-level error: no rows were read
                   + ([(_t("period", lang), view.period)] if view.period else [])),
        *_totals(view, lang),
    ]
    for line in view.lines[:LINES_SHOWN]:
        body.append(core.user_text(line, limit=600))
    for warning in view.warnings[:LINES_SHOWN]:
        body.append(core.user_text("Obs: " + warning, limit=600, subtle=True))
    actions: list[core.Element] = []
    if view.problem_count:
        errors = [core.text("⚠ " + _t("errors_title", lang, n=number(view.problem_count)), weight="Bolder",
                            color="Attention"), core.text(_t("errors_fix" if view.rows else "errors_fix_file", lang))]
        errors += [core.user_text(problem, limit=400) for problem in view.problems[:PROBLEMS_SHOWN]]
        if view.problem_count > min(len(view.problems), PROBLEMS_SHOWN):
            errors.append(core.text(_t("more_errors", lang, n=view.problem_count - min(len(view.problems),
                                                                                         PROBLEMS_SHOWN)),
                                    subtle=True, size="Small"))
        body.append(core.container(errors, style="attention", spacing="Medium"))
    elif not view.writable:
        body.append(core.text(_t("nothing_valid", lang), weight="Bolder", spacing="Medium"))
    else:
        body.append(core.text(_t("nothing_written", lang), spacing="Medium"))
        data = {"pending": view.token, "sha256": view.sha256}
        actions.append(core.execute(_t("import", lang), CONFIRM_VERB, {**data, "mode": "add"}, style="positive"))
        if view.full_option:
            body.append(core.text(_t("full_note", lang, n=view.full_option), size="Small"))
            actions.append(core.execute(_t("import_full", lang, n=view.full_option), CONFIRM_VERB,
                                        {**data, "mode": "full"}, style="destructive"))
    actions.append(core.execute(_t("cancel", lang), CANCEL_VERB, {"pending": view.token}))
    return core.card(body, actions)


@dataclass(frozen=True)
class ResultView:
    kind_label: str
    file_name: str
    written: bool
    changed: bool
    lines: tuple[str, ...]
    problems: tuple[str, ...]
    problem_count: int
    who: str
    when: str


def result_card(view: ResultView, lang: str) -> dict[str, Any]:
    if view.written:
        title = _t("done_title" if view.changed else "unchanged_title", lang, kind=view.kind_label)
        body: list[core.Element] = [core.container([core.text("✔ " + title, weight="Bolder", size="Medium")],
                                                   style="good")]
        body += [core.user_text(line, limit=600) for line in view.lines[:LINES_SHOWN]]
        body.append(core.user_text(_t("done_logged", lang, who=view.who, when=view.when,
                                      file="”" + view.file_name[:80] + "”"), subtle=True))
        return core.card(body)
    body = [core.container([core.text("⚠ " + _t("failed_title", lang, kind=view.kind_label), weight="Bolder",
                                      size="Medium"), core.text(_t("failed_changed", lang))], style="attention")]
    body += [core.user_text(p, limit=400) for p in view.problems[:PROBLEMS_SHOWN]]
    if view.problem_count > PROBLEMS_SHOWN:
        body.append(core.text(_t("more_errors", lang, n=view.problem_count - PROBLEMS_SHOWN), subtle=True))
    return core.card(body)


def aborted_card(kind_label: str, lang: str) -> dict[str, Any]:
    return core.card([core.container([core.text("⚠ " + _t("aborted_title", lang), weight="Bolder", size="Medium"),
                                      core.text(_t("aborted", lang))], style="attention")])


def cancelled_card(lang: str) -> dict[str, Any]:
    return core.card([core.text(_t("cancelled", lang))])


@dataclass(frozen=True)
class Lacking:
    """A kind of file the file nearly is, and the columns it lacks as a user writes them."""
    kind: str
    columns: str
    count: int


def unknown_card(headers: list[str], lang: str, near: list[Lacking] | None = None) -> dict[str, Any]:
    """A file no import fits: the columns the nearest kinds lack when there are such, else what Tavla reads."""
    shown = ", ".join(f"”{h}”" for h in headers if h)[:600] or "–"
    if near:
        said: list[core.Element] = [core.text(_t("near_title", lang), weight="Bolder", size="Medium")]
        said += [core.text(_t("near_one" if n.count == 1 else "near_many", lang, kind=n.kind.lower(),
                              columns=n.columns)) for n in near]
        said.append(core.text(_t("near_hint", lang), spacing="Small"))
    else:
        said = [core.text(_t("unknown_title", lang), weight="Bolder", size="Medium"), core.text(_t("unknown", lang))]
    return core.card([core.container(said, style="warning"),
                      core.text(_t("headers", lang, headers=""), size="Small", subtle=True),
                      core.user_text(shown, limit=600, subtle=True)])


def ambiguous_card(kind_labels: list[str], lang: str, amount_headers: list[str] | None = None) -> dict[str, Any]:
    """A file that fits several kinds equally; with each kind's amount header, which to rename it to."""
    word = " and " if lang == "en" else " och "
    kinds = word.join([", ".join(kind_labels[:-1]), kind_labels[-1]]) if len(kind_labels) > 1 else kind_labels[0]
    if amount_headers and all(amount_headers):
        named = [_t("header_for", lang, header=h, kind=k.lower()) for h, k in zip(amount_headers, kind_labels)]
        said = _t("ambiguous_amount", lang, kinds=kinds.lower(), headers=", ".join(named))
    else:
        said = _t("ambiguous", lang, kinds=kinds.lower())
    return core.card([core.container([core.text(_t("ambiguous_title", lang), weight="Bolder", size="Medium"),
                                      core.text(said)], style="warning")])
