"""The facts of one run that a readiness statement names: who was tested, where, with what.

``epix run`` writes them into ``outcome.json`` as ``run`` (:func:`run_facts` of the
profile completed with its partner): the party and its endpoints, the capabilities it
claims, the profile (name, file, version of the exchange profile), the suite (its version:
the harness checkout's git revision; its hash: SHA-256 of the feature files and step
definitions), the harness version, the date, the tag selection and, for a simulated
partner, its faults. Nothing secret: no key, token or password is among them, and a
secret of the profile found in one (a URL, a name) is masked.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from epix import PROFILE_VERSION, __version__
from epix.paths import FEATURES, PROJECT, STEPS
from epix.profile import Profile
from epix.report.redact import Redactor

GIT_TIMEOUT = 5


def run_facts(profile: Profile, *, tags: str | None = None, when: datetime | None = None) -> dict[str, object]:
    """The facts of a run against the partner of ``profile`` (completed: a simulated partner started)."""
    partner = profile.partner
    endpoints: dict[str, str] = {}
    if partner is not None:
        for label, binding in (("binding A", partner.binding_a), ("binding B", partner.binding_b),
                               ("hub", partner.hub)):
            if binding is not None:
                endpoints[label] = binding.url
    simulator = profile.simulator
    facts = {
        "party": partner.party if partner is not None else "",
        "endpoints": endpoints,
        "capabilities": sorted(partner.capabilities) if partner is not None else [],
        "profile": profile.name,
        "profile_file": profile.path.name,
        "profile_version": PROFILE_VERSION,
        "our_party": profile.us.party,
        "suite_version": suite_version(),
        "suite_hash": suite_hash(),
        "harness_version": __version__,
        "date": (when or datetime.now(UTC)).isoformat(timespec="seconds"),
        "tags": tags or "",
        "simulated": simulator is not None,
        "simulator_faults": list(simulator.faults) if simulator is not None else [],
    }
    return json.loads(Redactor(profile.secrets()).text(json.dumps(facts)))


def suite_hash(features: Path = FEATURES, steps: Path = STEPS) -> str:
    """SHA-256 of the suite: every feature file and step definition, by name and content."""
    digest = hashlib.sha256()
    for path in sorted([*features.glob("*.feature"), *steps.glob("*.py")]):
        digest.update(f"{path.parent.name}/{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def suite_version(project: Path = PROJECT) -> str:
    """The git revision of the harness checkout (``git describe --always --dirty``), or
    ``unknown`` outside a git checkout."""
    try:
        done = subprocess.run(["git", "-C", str(project), "describe", "--always", "--dirty", "--tags"],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"
