"""The sample pilot: three simulated parties run, then the matrix of the three.

    python samples/pilot.py [--out reports/sample] [--tags EXPR]

Runs the suite against each profile of ``fixtures/profiles/sample/`` (France and Germany
conformant, Italy with two faults), each run in a process of its own into
``OUT/<party>/run/`` (each party's report trends in ``OUT/<party>/history.jsonl``), then
writes ``OUT/matrix.html`` with ``epix matrix``. A run that fails
scenarios is what the sample shows; a run that could not be carried out (a wrong profile,
an unreachable partner) stops the sample with the run's own message. ``make sample``
runs this.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "fixtures" / "profiles" / "sample"
#: Exit codes of ``epix run`` that leave a run to show: every scenario passed, or some failed.
SHOWN = (0, 1)
#: A run of the whole suite takes seconds; this bounds a run that hangs.
RUN_TIMEOUT = 900


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="samples/pilot.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "sample",
                        help="where the runs and the matrix go (default: reports/sample)")
    parser.add_argument("--tags", default=None, help="run only the scenarios whose tags match")
    args = parser.parse_args(argv)
    profiles = sorted(PROFILES.glob("*.toml"))
    if not profiles:
        print(f"samples/pilot.py: no profile in {PROFILES}", file=sys.stderr)
        return 2
    folders = []
    for profile in profiles:
        folder = args.out.resolve() / profile.stem / "run"
        command = [*_epix(), "run", "--profile", str(profile), "--report-dir", str(folder)]
        if args.tags:
            command += ["--tags", args.tags]
        print(f"== {profile.relative_to(ROOT)} -> {folder}", flush=True)
        try:
            done = subprocess.run(command, cwd=ROOT, timeout=RUN_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            print(f"samples/pilot.py: the run of {profile.name} did not end within {RUN_TIMEOUT} s", file=sys.stderr)
            return 1
        if done.returncode not in SHOWN:
            print(f"samples/pilot.py: the run of {profile.name} ended with exit {done.returncode} (see above); "
                  "no matrix was made", file=sys.stderr)
            return done.returncode
        folders.append(folder)
    matrix = args.out.resolve() / "matrix.html"
    print(f"== the matrix of {', '.join(f.parent.name for f in folders)}", flush=True)
    return subprocess.run([*_epix(), "matrix", *map(str, folders), "--out", str(matrix)], cwd=ROOT,
                          timeout=RUN_TIMEOUT, check=False).returncode


def _epix() -> list[str]:
    return [sys.executable, "-c", "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"]


if __name__ == "__main__":
    sys.exit(main())
