"""What the preflight says: one line per check (ok, warn, fail or skip, what was checked and
found, and the fix), and the exit code of the whole.

Exit codes, as ``epix run`` gives them (:mod:`epix.exits`): every check ok or warned, 0;
a failed check, 3 when nothing answers at the partner's address (its host name does not
resolve, or no TCP connection), else 2, a set-up error (certificates, trust anchors, our
client certificate, the CRL, the clock, a binding's URL): no scenario ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epix.exits import Exit

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True)
class Line:
    """One check: its name (``TCP 127.0.0.1:8443``), the verdict, what was found, the fix."""

    check: str
    verdict: str
    finding: str
    fix: str = ""
    #: A failure that means nothing answers at the partner's address (exit 3).
    unreachable: bool = False

    def __str__(self) -> str:
        text = f"{self.verdict:<4}  {self.check}: {self.finding}"
        return f"{text}; fix: {self.fix}" if self.fix else text


def ok(check: str, finding: str) -> Line:
    return Line(check, OK, finding)


def warn(check: str, finding: str, fix: str) -> Line:
    return Line(check, WARN, finding, fix)


def fail(check: str, finding: str, fix: str, *, unreachable: bool = False) -> Line:
    return Line(check, FAIL, finding, fix, unreachable)


def skip(check: str, why: str) -> Line:
    return Line(check, SKIP, f"not checked: {why}")


@dataclass
class Report:
    """The lines of one preflight, in the order the checks ran (from the network up)."""

    lines: list[Line] = field(default_factory=list)

    @property
    def failed(self) -> list[Line]:
        return [line for line in self.lines if line.verdict == FAIL]

    @property
    def warnings(self) -> list[Line]:
        return [line for line in self.lines if line.verdict == WARN]

    def exit_code(self) -> Exit:
        """0 without a failed check; else that of the first failure: 3 unreachable, 2 set-up."""
        if not self.failed:
            return Exit.OK
        return Exit.UNREACHABLE if self.failed[0].unreachable else Exit.USAGE

    def summary(self) -> str:
        counts = {verdict: sum(line.verdict == verdict for line in self.lines) for verdict in (OK, WARN, FAIL, SKIP)}
        text = ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
        return f"preflight: {text}"

    def text(self) -> str:
        return "\n".join([*(str(line) for line in self.lines), self.summary()])

    def records(self) -> list[dict[str, str]]:
        """The lines as ``preflight.json`` keeps them for the statement: check, status, found, fix."""
        return [{"check": line.check, "status": line.verdict, "found": line.finding, "fix": line.fix}
                for line in self.lines]
