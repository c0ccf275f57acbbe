"""The files Allure reads from a results folder besides the results themselves.

``environment.properties`` says what was tested (partner, profile, suite version, URLs;
never a key, token or password), and the report's name is made from it
(:func:`report_name`); ``categories.json`` sorts problems into partner defects, an
unreachable partner and harness errors, and shows the failures a waiver accepts and the
scenarios that passed with a warning apart, ``executor.json`` names the CI build. Allure
puts a result in the first category it matches.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path

from epix import PROFILE_VERSION, __version__
from epix.profile import Profile
from epix.report.outcomes import WAIVED_MESSAGE
from epix.report.runfacts import suite_hash, suite_version
from epix.report.warning import PASSED_WITH_A_WARNING

#: The report's name when the results do not say which party and profile they are of.
REPORT_TITLE = "EPIX pilot conformance"

#: The marker every "partner unreachable" failure message carries (see steps/_world.py).
UNREACHABLE_MARK = "PartnerUnreachable"
NOT_CLAIMED_MARK = "not claimed"
#: Allure 3 reads each ``messageRegex`` as a JavaScript expression with the flag ``s`` (``.``
#: matches a line end too) and finds it anywhere in the message; an inline ``(?s)`` is an
#: error there, and the category then matches nothing.

CATEGORIES: list[dict[str, object]] = [
    {
        "name": "Partner unreachable",
        "description": "No answer came from the partner: it is down, the address is wrong, or TLS was refused. "
                       "Nothing was learnt about its conformance.",
        "matchedStatuses": ["broken"],
        "messageRegex": f".*{UNREACHABLE_MARK}.*",
    },
    {
        "name": "Waived",
        "description": "The partner broke the requirement, and a waiver of the pilot accepts that deviation "
                       "for now; the message names the reason, who approved it and until when.",
        "matchedStatuses": ["failed"],
        "messageRegex": f"^{WAIVED_MESSAGE}: ",
    },
    {
        "name": "Partner defects",
        "description": "The partner answered, and the answer breaks the requirement the scenario names.",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Harness errors",
        "description": "The harness itself failed (a bug or a broken set-up); this says nothing about the partner.",
        "matchedStatuses": ["broken"],
    },
    {
        "name": "Passed with a warning",
        "description": "Every MUST the scenario checks holds, but the partner missed a SHOULD or RECOMMENDED; "
                       "the warning names it.",
        "matchedStatuses": ["passed"],
        "messageRegex": f"^{PASSED_WITH_A_WARNING}: ",
    },
    {
        "name": "Not claimed",
        "description": "The partner does not claim the capability this scenario needs.",
        "matchedStatuses": ["skipped"],
        "messageRegex": f".*{NOT_CLAIMED_MARK}.*",
    },
]


def environment(profile: Profile) -> dict[str, str]:
    """What the report's environment panel shows: nothing secret, only what was tested. The
    overview shows the first few: the party under test, the profile, the suite version."""
    partner = profile.partner
    values = {"Partner": partner.party} if partner is not None else {}
    values |= {
        "Profile": profile.name,
        "Suite version": suite_version(),
        "Profile file": profile.path.name,
        "Profile version": PROFILE_VERSION,
        "Suite hash": suite_hash(),
        "Harness version": __version__,
        "Our party": profile.us.party,
    }
    if partner is not None:
        if partner.binding_a is not None:
            values["Binding A URL"] = partner.binding_a.url
        if partner.binding_b is not None:
            values["Binding B URL"] = partner.binding_b.url
        if partner.hub is not None:
            values["Hub URL"] = partner.hub.url
        values["Capabilities claimed"] = ", ".join(sorted(partner.capabilities))
        values["Mutual TLS"] = "on" if partner.mtls else "off (test header)"
        values["Acknowledgements"] = partner.acknowledgements
    if profile.simulator is not None:
        values["Simulated partner"] = "yes, the EPIX hub" if profile.simulator.role == "hub" else "yes"
        values["Simulator faults"] = ", ".join(profile.simulator.faults) or "none (conformant)"
    return values


def write_environment(results: Path, values: Mapping[str, str]) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / "environment.properties"
    lines = [f"{_escape_key(key)}={_escape_value(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_environment(results: Path) -> dict[str, str]:
    """The values :func:`write_environment` wrote into ``results`` (empty when there is no such file)."""
    path = results / "environment.properties"
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, separator, value = _split_property(line)
        if separator:
            values[key] = value
    return values


def report_name(values: Mapping[str, str]) -> str:
    """The report's title from its environment: the party under test, the profile, the suite version."""
    facts = [values.get("Partner"), values.get("Profile") and f"profile {values['Profile']}",
             values.get("Suite version") and f"suite {values['Suite version']}"]
    shown = ", ".join(fact for fact in facts if fact)
    return f"{REPORT_TITLE}: {shown}" if shown else REPORT_TITLE


def write_categories(results: Path) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / "categories.json"
    path.write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
    return path


def executor(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Who ran the suite: a GitHub Actions or GitLab CI build with its link, or this machine."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
        return {"name": "GitHub Actions", "type": "github", "buildName": f"{env.get('GITHUB_WORKFLOW', 'run')} "
                f"#{env.get('GITHUB_RUN_NUMBER', '')}", "buildOrder": _int(env.get("GITHUB_RUN_NUMBER")),
                "buildUrl": run_url}
    if env.get("GITLAB_CI") == "true":
        return {"name": "GitLab CI", "type": "gitlab", "buildName": f"pipeline #{env.get('CI_PIPELINE_ID', '')}",
                "buildOrder": _int(env.get("CI_PIPELINE_IID")), "buildUrl": env.get("CI_JOB_URL", ""),
                "reportUrl": env.get("CI_PIPELINE_URL", "")}
    return {"name": socket.gethostname(), "type": "local", "buildName": "local run"}


def write_executor(results: Path, env: Mapping[str, str] | None = None) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / "executor.json"
    path.write_text(json.dumps(executor(env), indent=2), encoding="utf-8")
    return path


def write_all(results: Path, profile: Profile) -> None:
    write_environment(results, environment(profile))
    write_categories(results)
    write_executor(results)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _escape_key(key: str) -> str:
    return key.replace("\\", "\\\\").replace(" ", "\\ ").replace("=", "\\=").replace(":", "\\:")


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", " ")


def _split_property(line: str) -> tuple[str, bool, str]:
    """One ``key=value`` line as :func:`write_environment` escapes it: key, whether it has a value, value."""
    key, index = [], 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            key.append(line[index + 1])
            index += 2
            continue
        if char == "=":
            return "".join(key), True, line[index + 1:].replace("\\\\", "\\")
        key.append(char)
        index += 1
    return "".join(key), False, ""
