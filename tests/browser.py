"""A page as a person sees it in Chromium: the headless browser the tests open reports,
statements and matrices in (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is not installed: `apt-get install -y chromium` (.ci/run installs it)"
    return found


def rendered_text(url: str) -> str:
    """The text of the page at ``url`` once Chromium has run its scripts, on one line."""
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                           "--dump-dom", url], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")})
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", done.stdout, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)
