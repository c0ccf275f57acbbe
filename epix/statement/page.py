"""The statement as one self-contained HTML page: inline CSS (with its print stylesheet),
no script, no font or image from anywhere.

:func:`render` takes what :mod:`epix.statement.build` read from a run folder and writes
every word the reader sees through the translator of the chosen language; scenario names,
the partner's messages and the preflight's findings stay as the run wrote them (English).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from epix.i18n import N_, translator
from epix.report import outcomes
from epix.report.requirements import requirement_titles
from epix.statement.fixes import broken_fix, fix_for
from epix.statement.verdicts import (
    BROKEN, FAILED, NEEDS_PERSON, NOT_CLAIMED, NOT_COVERED, NOT_RUN, PASSED, REQUIREMENT_OUTCOMES, WAIVED, WARNING,
    RequirementVerdict,
)

STYLESHEET = Path(__file__).with_name("style.css")

#: The word of each requirement outcome, and its mark (a shape of its own: not colour alone).
OUTCOME_WORDS = {
    PASSED: N_("passed"),
    WARNING: N_("passed with a warning"),
    FAILED: N_("failed"),
    BROKEN: N_("broken (harness error)"),
    WAIVED: N_("waived"),
    NEEDS_PERSON: N_("needs a person"),
    NOT_CLAIMED: N_("not claimed"),
    NOT_RUN: N_("not run"),
    NOT_COVERED: N_("not covered"),
}
MARKS = {PASSED: "✓", WARNING: "!", FAILED: "✗", BROKEN: "⚠", WAIVED: "W", NEEDS_PERSON: "?",
         NOT_CLAIMED: "–", NOT_RUN: "○", NOT_COVERED: "·"}
#: What each outcome means, for the legend.
OUTCOME_MEANINGS = {
    PASSED: N_("every MUST its scenarios check holds"),
    WARNING: N_("every MUST holds, but a SHOULD or RECOMMENDED was missed"),
    FAILED: N_("the party broke a MUST"),
    BROKEN: N_("the harness could not carry out a scenario: nothing is known about the party"),
    WAIVED: N_("a failure that an approved waiver covers"),
    NEEDS_PERSON: N_("a person must judge it"),
    NOT_CLAIMED: N_("the party does not claim the capability"),
    NOT_RUN: N_("no scenario of it was selected in this run"),
    NOT_COVERED: N_("no scenario of the suite checks it yet"),
}
ENDPOINT_LABELS = {"binding A": N_("Binding A"), "binding B": N_("Binding B"), "hub": N_("Hub")}
PREFLIGHT_WORDS = {"ok": N_("ok"), "warn": N_("warning"), "fail": N_("failed"), "skip": N_("skipped")}
_PREFLIGHT_CLASS = {"ok": PASSED, "warn": WARNING, "fail": FAILED, "skip": NOT_RUN}


@dataclass(frozen=True)
class StatementData:
    """What the page shows: the run's facts, each requirement's verdict, the preflight lines
    (``None``: the preflight did not run), the waivers, and a link per scenario node ID."""

    facts: dict[str, object]
    verdicts: list[RequirementVerdict]
    preflight: list[dict[str, str]] | None
    waivers: list[dict[str, object]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    report_link: str | None = None


def render(data: StatementData, lang: str) -> str:
    _ = translator(lang)
    titles = requirement_titles(lang)
    party = str(data.facts.get("party") or _("unknown party"))
    title = _("EPIX pilot readiness statement")
    made_by = _("Made by the EPIX conformance harness {version} from the run folder.").format(
        version=data.facts.get("harness_version", "?"))
    sections = [
        _tag("h1", title),
        '<p class="subtitle">' + _tag("span", _("Party")) + f" <strong>{escape(party)}</strong> · "
        + escape(_date(data.facts)) + "</p>",
        _headline(data.verdicts, _),
        _counts(data.verdicts, _),
        _facts(data.facts, data.report_link, _),
        _requirements(data, titles, _),
        _problems(data, titles, lang, _),
        _warnings(data, titles, _),
        _waivers(data.waivers, _),
        _preflight(data.preflight, _),
        _legend(_),
        _tag("footer", made_by),
    ]
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}: {escape(party)}</title>\n"
            f"<style>\n{STYLESHEET.read_text(encoding='utf-8')}</style>\n</head>\n<body>\n"
            + "\n".join(s for s in sections if s) + "\n</body>\n</html>\n")


def status(outcome: str, _) -> str:  # noqa: ANN001 - the translator
    """An outcome as the page shows it: its mark and its word, in its colour."""
    return _mark(outcome, _(OUTCOME_WORDS[outcome]))


def _mark(css: str, word: str) -> str:
    return (f'<span class="status {css}" data-outcome="{css}"><span class="mark"><span>{MARKS[css]}'
            f"</span></span>{escape(word)}</span>")


def _tag(name: str, text: str, css: str = "") -> str:
    """``text`` (escaped) in an element."""
    attribute = f' class="{css}"' if css else ""
    return f"<{name}{attribute}>{escape(text)}</{name}>"


def _table(headers: list[str], rows: list[str], css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    head = "".join(_tag("th", h) for h in headers)
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _date(facts: dict[str, object]) -> str:
    return str(facts.get("date", "")).replace("T", " ").replace("+00:00", " UTC")


def _headline(verdicts: list[RequirementVerdict], _) -> str:  # noqa: ANN001
    seen = Counter(v.outcome for v in verdicts)
    if seen[FAILED] or seen[BROKEN]:
        kind, text = "not-ready", _("Not ready: a requirement failed or could not be checked (see below).")
    elif seen[NEEDS_PERSON]:
        kind, text = "pending", _("Pending: a requirement needs a person's judgement.")
    elif not (seen[PASSED] or seen[WARNING]):
        kind, text = "pending", _("Nothing shown: no requirement was checked in this run.")
    elif seen[WAIVED]:
        kind, text = "ready", _("Ready for what is claimed, with waivers: every other checked requirement passed.")
    else:
        kind, text = "ready", _("Ready for what is claimed: every checked requirement passed.")
    return _tag("p", text, f"headline {kind}")


def _counts(verdicts: list[RequirementVerdict], _) -> str:  # noqa: ANN001
    seen = Counter(v.outcome for v in verdicts)
    items = "".join(f"<li>{status(o, _)}: <strong>{seen[o]}</strong></li>" for o in REQUIREMENT_OUTCOMES if seen[o])
    label = escape(_("Requirements by outcome"))
    return f'<ul class="counts" aria-label="{label}">{items}</ul>'


def _facts(facts: dict[str, object], report_link: str | None, _) -> str:  # noqa: ANN001
    endpoints = dict(facts.get("endpoints") or {})
    endpoint_text = "<br>".join(escape(_(ENDPOINT_LABELS.get(label, label))) + f": <code>{escape(str(url))}</code>"
                                for label, url in endpoints.items()) or escape(_("none recorded"))
    suite_hash = escape(str(facts.get("suite_hash", "")))
    capabilities = ", ".join(str(c) for c in facts.get("capabilities") or []) or _("none")
    profile = f"{escape(str(facts.get('profile', '')))} (<code>{escape(str(facts.get('profile_file', '')))}</code>)"
    rows = [
        (_("Party"), escape(str(facts.get("party") or _("unknown party")))),
        (_("Endpoint"), endpoint_text),
        (_("Profile"), profile),
        (_("Exchange profile version"), escape(str(facts.get("profile_version", "")))),
        (_("Suite version"), f"<code>{escape(str(facts.get('suite_version', '')))}</code>"),
        (_("Suite hash (SHA-256)"), f"<code>{suite_hash}</code>"),
        (_("Harness version"), escape(str(facts.get("harness_version", "")))),
        (_("Date"), escape(_date(facts))),
        (_("Claimed capabilities"), escape(capabilities)),
    ]
    if facts.get("tags"):
        rows.append((_("Scenarios selected"), f"<code>{escape(str(facts['tags']))}</code>"))
    if facts.get("simulated"):
        faults = ", ".join(str(f) for f in facts.get("simulator_faults") or []) or _("none (conformant)")
        rows.append((_("Simulated partner"), escape(_("yes; faults: {faults}").format(faults=faults))))
    if report_link:
        rows.append((_("Detailed report"), f'<a href="{escape(report_link)}">' + escape(_("Allure report")) + "</a>"))
    body = "".join(f"<tr>{_tag('th', label)}<td>{value}</td></tr>" for label, value in rows)
    return _tag("h2", _("The run")) + f'\n<table class="facts">{body}</table>'


def _requirements(data: StatementData, titles: dict[str, str], _) -> str:  # noqa: ANN001
    rows = []
    previous_reason = ""
    for verdict in data.verdicts:
        ran = [s for s in verdict.scenarios if s.outcome not in (outcomes.NOT_CLAIMED, outcomes.SKIPPED)]
        if verdict.outcome == NOT_COVERED:
            said_above = verdict.reason == previous_reason
            detail = _tag("span", _("as above") if said_above else _(verdict.reason), "reason")
        elif ran:
            good = sum(s.outcome in (outcomes.PASSED, outcomes.WARNING) for s in ran)
            detail = escape(_("scenarios passed: {passed} of {total}").format(passed=good, total=len(ran)))
            link = _link_of(verdict, data.links)
            if link:
                detail = f'<a href="{escape(link)}">{detail}</a>'
        else:
            detail = ""
        previous_reason = verdict.reason
        rows.append(f'<tr id="{verdict.requirement}"><td class="id">{verdict.requirement}</td>'
                    f"{_tag('td', titles.get(verdict.requirement, ''))}<td>{status(verdict.outcome, _)}</td>"
                    f"<td>{detail}</td></tr>")
    headers = [_("Requirement"), _("Title"), _("Outcome"), _("Scenarios")]
    return _tag("h2", _("Requirements")) + "\n" + _table(headers, rows, "requirements")


def _link_of(verdict: RequirementVerdict, links: dict[str, str]) -> str | None:
    """The Allure page of the scenario that decided the outcome (the first problem, else the first that ran)."""
    for scenario in (*verdict.problems, *verdict.scenarios):
        if scenario.nodeid in links:
            return links[scenario.nodeid]
    return None


def _problems(data: StatementData, titles: dict[str, str], lang: str, _) -> str:  # noqa: ANN001
    parts = [_tag("h2", _("Failures and their fix"))]
    failing = [v for v in data.verdicts if v.outcome in (FAILED, BROKEN)]
    if not failing:
        return parts[0] + "\n" + _tag("p", _("No requirement failed."))
    fix_label = escape(_("Fix"))
    for verdict in failing:
        parts.append(f'<div class="problem {verdict.outcome}"><h3>{verdict.requirement} · '
                     f"{escape(titles.get(verdict.requirement, ''))} · {status(verdict.outcome, _)}</h3>")
        for scenario in verdict.problems:
            link = data.links.get(scenario.nodeid)
            name = escape(scenario.name)
            name = f'<a href="{escape(link)}">{name}</a>' if link else name
            kind = _("Broken (harness error)") if scenario.outcome == outcomes.BROKEN else _("Failed")
            parts.append(f"<p><strong>{escape(kind)}:</strong> {name}</p>{_tag('div', scenario.message, 'message')}")
        fix = fix_for(verdict.requirement, lang) if verdict.outcome == FAILED else broken_fix(lang)
        parts.append(f'<p class="fix"><strong>{fix_label}:</strong> {escape(fix)}</p></div>')
    return "\n".join(parts)


def _warnings(data: StatementData, titles: dict[str, str], _) -> str:  # noqa: ANN001
    warned = [v for v in data.verdicts if any(s.warnings for s in v.scenarios)]
    if not warned:
        return ""
    items = []
    for verdict in warned:
        texts = sorted({w for s in verdict.scenarios for w in s.warnings})
        items.append(f"<li><strong>{verdict.requirement}</strong> {escape(titles.get(verdict.requirement, ''))}"
                     f"<ul>{''.join(_tag('li', t) for t in texts)}</ul></li>")
    return (_tag("h2", _("Warnings")) + "\n" + _tag("p", _("A SHOULD or RECOMMENDED that the party missed:"))
            + f"<ul>{''.join(items)}</ul>")


def _waivers(waivers: list[dict[str, object]], _) -> str:  # noqa: ANN001
    if not waivers:
        return ""
    states = {"used": _("used"), "unused": _("unused"), "expired": _("expired")}
    rows = []
    for waiver in waivers:
        covers = str(waiver.get("requirement") or waiver.get("scenario") or "")
        state = str(waiver.get("state", ""))
        cells = [str(waiver.get(key, "")) for key in ("reason", "approved_by", "until")]
        rows.append(f'<tr><td class="id">{escape(covers)}</td>' + "".join(_tag("td", c) for c in cells)
                    + _tag("td", states.get(state, state)) + "</tr>")
    headers = [_("Covers"), _("Reason"), _("Approved by"), _("Until"), _("State")]
    return _tag("h2", _("Waivers")) + "\n" + _table(headers, rows)


def _preflight(lines: list[dict[str, str]] | None, _) -> str:  # noqa: ANN001
    title = _tag("h2", _("Preflight"))
    if lines is None:
        return title + "\n" + _tag("p", _("The preflight did not run (--no-preflight), or its lines were not kept."))
    rows = []
    for line in lines:
        verdict = line.get("status", "")
        word = _(PREFLIGHT_WORDS[verdict]) if verdict in PREFLIGHT_WORDS else verdict
        cells = "".join(_tag("td", line.get(key, "")) for key in ("check", "found", "fix"))
        rows.append(f"<tr><td>{_mark(_PREFLIGHT_CLASS.get(verdict, NOT_RUN), word)}</td>{cells}</tr>")
    headers = [_("Status"), _("Check"), _("Found"), _("Fix")]
    return title + "\n" + _table(headers, rows, "preflight")


def _legend(_) -> str:  # noqa: ANN001
    items = "".join(f"<li>{status(o, _)}: " + escape(_(OUTCOME_MEANINGS[o])) + "</li>" for o in REQUIREMENT_OUTCOMES)
    return _tag("h2", _("How to read it")) + f'\n<ul class="legend">{items}</ul>'
