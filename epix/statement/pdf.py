"""The statement as a PDF, printed by headless Chromium (the browser the report tests use).

Chromium prints with the page's print stylesheet (A4, ``@page``), without its own header
and footer. Where it is missing, :class:`ChromiumMissing` says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from epix.statement.errors import StatementError

PRINT_TIMEOUT = 120
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class ChromiumMissing(StatementError):
    """No Chromium on the path: no PDF can be printed."""


def chromium() -> str:
    """The path of the Chromium to print with, or :class:`ChromiumMissing`."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing("Chromium is not installed, so no PDF was made; install it (Debian: "
                          "apt-get install chromium) or leave out --pdf")


def headless_command(browser: str, profile_dir: Path) -> list[str]:
    """Chromium headless, with a profile of its own (runs do not share one) and, as root, without its sandbox."""
    command = [browser, "--headless", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")
    return command


def write_pdf(html: Path, pdf: Path, *, timeout: float = PRINT_TIMEOUT) -> Path:
    """Print ``html`` to ``pdf`` (replaced); :class:`StatementError` when Chromium makes no PDF."""
    browser = chromium()
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="epix-chromium-") as profile_dir:
        command = [*headless_command(browser, Path(profile_dir)), "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                                  env={**os.environ, "HOME": os.environ.get("HOME") or profile_dir})
        except subprocess.TimeoutExpired:
            raise StatementError(f"Chromium did not print {html.name} within {timeout:.0f} s; "
                                 "no PDF was made") from None
    if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        detail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
        raise StatementError(f"Chromium made no PDF of {html} (exit {done.returncode}): {detail}")
    return pdf
