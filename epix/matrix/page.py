"""The matrix as one self-contained HTML page, in the reader's language and fit to print.

The stylesheets are the statement's and the matrix's own (:data:`STYLESHEETS`), inlined:
the page loads nothing from the network and looks like the statement, status marks
included.
Each binding is one table: a row per party A, a column per party B, each cell the state
of the direction A → B with the reasons of both sides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from epix import __version__
from epix.i18n import translator
from epix.matrix.directions import (
    ADAPTER, FAILED, IMPORTING, INCOMPLETE, NOT_CLAIMED, NOT_SHOWN, RECEIVING, SENDING, WARNED, Side,
)
from epix.matrix.grid import NOT_READY, READY, READY_WITH_WARNINGS, Cell, Grid, Matrix
from epix.matrix.grid import NOT_SHOWN as CELL_NOT_SHOWN
from epix.report.requirements import requirement_titles
from epix.statement.page import STYLESHEET as STATEMENT_STYLESHEET

STYLESHEETS = (STATEMENT_STYLESHEET, Path(__file__).with_name("style.css"))
#: At most this many requirement IDs are listed in one reason; the rest are counted.
LISTED_IDS = 8
#: Failed requirements are named with their titles when there are at most this many.
TITLED_IDS = 3
#: Each cell state as the statement shows an outcome: its class there (colour) and its mark (shape).
_STATUS = {READY: ("passed", "✓"), READY_WITH_WARNINGS: ("warning", "!"), NOT_READY: ("failed", "✗"),
           CELL_NOT_SHOWN: ("not-run", "○")}

Translate = Callable[[str], str]


def write_matrix(matrix: Matrix, out: Path, *, lang: str = "en", now: datetime | None = None) -> Path:
    """Write the page of ``matrix`` to ``out`` and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(matrix, lang=lang, now=now), encoding="utf-8")
    return out


def render(matrix: Matrix, *, lang: str = "en", now: datetime | None = None) -> str:
    """The page of ``matrix`` as HTML text."""
    _ = translator(lang)
    titles = requirement_titles(lang)
    made = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    title = _("EPIX pilot matrix")
    styles = "".join(sheet.read_text(encoding="utf-8") for sheet in STYLESHEETS)
    parties = ", ".join(run.party for run in matrix.runs)
    meta = _("Parties: {parties}. Made {date} from one run per party.").format(parties=parties, date=made)
    intro = _("Each cell is one direction between two parties: the row party A towards the column party B. "
              "A cell is ready only when both sides passed what that direction needs.")
    parts = [
        f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
        f"<style>\n{styles}</style>\n</head>\n<body>\n",
        f"<header>\n<h1>{escape(title)}</h1>\n",
        f'<p class="subtitle">{escape(meta)}</p>\n<p>{escape(intro)}</p>\n',
        _legend(_), "</header>\n",
    ]
    parts += [_grid(grid, _, titles) for grid in matrix.grids]
    parts.append(_runs(matrix, _))
    footer = _("Made by epix {version}.").format(version=__version__)
    parts.append(f"<footer>{escape(footer)}</footer>\n</body>\n</html>\n")
    return "".join(parts)


def state_words(_: Translate) -> dict[str, str]:
    return {READY: _("Ready"), READY_WITH_WARNINGS: _("Ready with warnings"), NOT_READY: _("Not ready"),
            CELL_NOT_SHOWN: _("Not shown")}


def _legend(_: Translate) -> str:
    meanings = {
        READY: _("both sides passed every requirement the direction needs."),
        READY_WITH_WARNINGS: _("both sides passed; a SHOULD or RECOMMENDED was missed (named in the cell)."),
        NOT_READY: _("a side failed a requirement the direction needs, or does not claim what it must."),
        CELL_NOT_SHOWN: _("a side's evidence is missing: not run, or not yet testable by the suite."),
    }
    items = "".join(f"<li>{_state(state, _)}: {escape(meaning)}</li>" for state, meaning in meanings.items())
    return f'<ul class="states">{items}</ul>\n'


def _state(state: str, _: Translate) -> str:
    css, mark = _STATUS[state]
    return (f'<span class="status {css}"><span class="mark"><span>{mark}</span></span>'
            f"{escape(state_words(_)[state])}</span>")


def _questions(_: Translate) -> dict[str, tuple[str, str]]:
    return {
        "A": (_("Binding A: can A's importing system fetch permits from B's adapter?"),
              _("B's adapter must pass the requirements of pull, and of final and confirm-quantities where B "
                "claims them (PULL-01 to PULL-12 but PULL-06); A's importing system those of import "
                "(CALL-01 to CALL-07).")),
        "B": (_("Binding B: can A deliver permits to B?"),
              _("B's receiving endpoint must pass the requirements of receive (ENV, ACK, SIG, DOC, ERR, LIF-02), "
                "and of usage-report and cancel where B claims them; A's sending system those of send "
                "(OUT-01 to OUT-03).")),
    }


def _grid(grid: Grid, _: Translate, titles: Mapping[str, str]) -> str:
    question, needs = _questions(_)[grid.direction.binding]
    corner = _("A (row) → B (column)")
    head = "".join(f'<th class="party" scope="col">{escape(party)}</th>' for party in grid.parties)
    rows = []
    for row in grid.parties:
        cells = []
        for column in grid.parties:
            cell = grid.cell(row, column)
            cells.append('<td class="self">—</td>' if cell is None else _cell(cell, _, titles))
        rows.append(f'<tr><th scope="row">{escape(row)}</th>{"".join(cells)}</tr>')
    return (f'<section class="binding" data-binding="{grid.direction.binding}">\n<h2>{escape(question)}</h2>\n'
            f'<p class="legend">{escape(needs)}</p>\n'
            f'<table class="grid">\n<thead><tr><th class="corner" scope="col">{escape(corner)}</th>{head}</tr>'
            '</thead>\n'
            f'<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</section>\n')


def _cell(cell: Cell, _: Translate, titles: Mapping[str, str]) -> str:
    reasons = [*side_reasons(cell.column, _, titles), *side_reasons(cell.row, _, titles)]
    items = "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
    return (f'<td class="cell {cell.state}" data-state="{cell.state}" data-row="{escape(cell.row.party)}" '
            f'data-column="{escape(cell.column.party)}">{_state(cell.state, _)}<ul>{items}</ul></td>')


def _roles(_: Translate) -> dict[str, str]:
    return {IMPORTING: _("importing system"), ADAPTER: _("adapter"), SENDING: _("sending system"),
            RECEIVING: _("receiving endpoint")}


def side_reasons(side: Side, _: Translate, titles: Mapping[str, str] | None = None) -> list[str]:
    """The sentences that say how one side stands, each naming the party and the requirement IDs
    (a few failed ones with their ``titles``)."""
    facts = {"party": side.party, "role": _roles(_)[side.role], "capabilities": ", ".join(side.capabilities)}
    if side.state == NOT_CLAIMED:
        return [_("{party} does not claim {capabilities}.").format(party=side.party,
                                                                  capabilities=", ".join(side.not_claimed))]
    if side.state == NOT_SHOWN:
        if not side.in_suite:
            return [_("{party}'s {role} not shown: the suite has no scenario for {capabilities} yet.").format(**facts)]
        return [_("{party}'s {role} not shown: no scenario of {capabilities} ran.").format(**facts)]
    reasons = []
    if side.state == FAILED:
        if side.failed:
            reasons.append(_("{party}'s {role} failed {ids}.").format(
                **facts, ids=_titled(side.failed, _, titles)))
        if side.broken:
            reasons.append(_("{party}'s {role}: {ids} could not be checked (broken).").format(
                **facts, ids=_ids(side.broken, _)))
        if side.waived:
            reasons.append(_("{party}'s {role} failed {ids}, waived.").format(**facts, ids=_ids(side.waived, _)))
    elif side.state == INCOMPLETE:
        reasons.append(_("{party}'s {role}: {shown} of {needed} requirements shown and passed; not run: {ids}.").format(
            **facts, shown=len(side.needed) - len(side.missing), needed=len(side.needed), ids=_ids(side.missing, _)))
    else:
        reasons.append(_("{party}'s {role} passed every requirement of {capabilities} ({needed}).").format(
            **facts, needed=len(side.needed)))
    if side.state == WARNED or (side.warned and side.state != FAILED):
        reasons.append(_("{party}: passed with a warning: {ids}.").format(**facts, ids=_ids(side.warned, _)))
    for capability in side.unshown:
        reasons.append(_("{party}'s {capability} not shown: no scenario of it ran.").format(
            party=side.party, capability=capability))
    if side.not_offered:
        reasons.append(_("{party} does not offer {capabilities}.").format(
            party=side.party, capabilities=", ".join(side.not_offered)))
    return reasons


def _titled(ids: tuple[str, ...], _: Translate, titles: Mapping[str, str] | None) -> str:
    """``PULL-03 (An unknown number or wrong token reveals nothing)``, for a few IDs with titles."""
    if not titles or len(ids) > TITLED_IDS:
        return _ids(ids, _)
    return ", ".join(f"{i} ({titles[i]})" if titles.get(i) else i for i in ids)


def _ids(ids: tuple[str, ...], _: Translate) -> str:
    if len(ids) <= LISTED_IDS:
        return ", ".join(ids)
    return _("{ids} and {more} more").format(ids=", ".join(ids[:LISTED_IDS]), more=len(ids) - LISTED_IDS)


def _runs(matrix: Matrix, _: Translate) -> str:
    headers = (_("Party"), _("Profile"), _("Suite version"), _("Run"), _("Passed"), _("Warning"), _("Failed"),
               _("Waived"), _("Broken"), _("Not claimed"), _("Run folder"))
    rows = []
    for run in matrix.runs:
        counts = Counter(result.outcome for result in run.results)
        cells = [run.party, run.profile, run.suite, run.date, counts["passed"], counts["warning"],
                 counts["failed"], counts["waived"], counts["broken"], counts["not claimed"]]
        rows.append("<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in cells)
                    + f'<td class="folder">{escape(str(run.folder))}</td></tr>')
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    title = _("The runs behind the matrix")
    return (f'<section class="runs">\n<h2>{escape(title)}</h2>\n'
            f'<table class="runs">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{chr(10).join(rows)}\n</tbody>\n'
            "</table>\n</section>\n")
