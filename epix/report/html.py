"""The HTML report: Allure 3 from the npm registry, with the allure2 plugin and no analytics.

The generator is the project's own ``node_modules/.bin/allure`` (``npm ci`` installs
it from ``package-lock.json``). Where Node.js or the generator is missing, the results
stay where they are and :class:`ReportToolMissing` says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from epix.paths import PROJECT

CONFIG = PROJECT / "allurerc.mjs"
#: A report that loads this calls out to Google: government reports must not.
ANALYTICS_MARKERS = ("googletagmanager", "google-analytics.com", "gtag(")
GENERATE_TIMEOUT = 300


class ReportToolMissing(Exception):
    """Node.js or the Allure generator is not installed; the message says how to get it."""


class ReportFailed(Exception):
    """The generator ran but did not produce a usable report."""


@dataclass(frozen=True)
class HtmlReport:
    folder: Path

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def allure_command(project: Path = PROJECT) -> list[str]:
    """The command that runs the project's Allure generator, or :class:`ReportToolMissing`."""
    node = shutil.which("node")
    if node is None:
        raise ReportToolMissing("Node.js is not installed, so no HTML report was made; install Node.js 20 or "
                                "newer and run `npm ci` in the project to add the report generator")
    script = project / "node_modules" / "allure" / "cli.js"
    if not script.exists():
        raise ReportToolMissing(f"the Allure report generator is not installed in {project / 'node_modules'}; "
                                f"run `npm ci` in {project} to install it")
    return [node, str(script)]


def generate_html(results: Path, output: Path, *, history: Path | None = None, name: str | None = None,
                  single_file: bool = True, project: Path = PROJECT) -> HtmlReport:
    """Write the HTML report of ``results`` into ``output`` (replaced) and check it calls nowhere."""
    command = [*allure_command(project), "generate", "--config", str(project / "allurerc.mjs"),
               "--output", str(output), str(results)]
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true", "EPIX_ALLURE_SINGLE_FILE": str(single_file).lower()}
    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
        env["EPIX_ALLURE_HISTORY"] = str(history)
    if name:
        env["EPIX_REPORT_NAME"] = name
    if output.exists():
        shutil.rmtree(output)
    try:
        done = subprocess.run(command, env=env, cwd=project, capture_output=True, text=True,
                              timeout=GENERATE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise ReportFailed(f"the Allure generator did not finish within {GENERATE_TIMEOUT} s") from None
    report = HtmlReport(output)
    if done.returncode != 0 or not report.index.exists():
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ReportFailed(f"the Allure generator failed (exit {done.returncode}): {' '.join(detail)}")
    check_no_analytics(report)
    return report


def check_no_analytics(report: HtmlReport) -> None:
    """:class:`ReportFailed` if any file of the report would load an analytics script."""
    for path in report.folder.rglob("*"):
        if path.suffix not in (".html", ".js") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in ANALYTICS_MARKERS:
            if marker in text:
                raise ReportFailed(f"{path} contains {marker!r}: the report would call an analytics service; "
                                   "it was generated without ALLURE_NO_ANALYTICS=true or with another plugin")
