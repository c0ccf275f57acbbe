"""``epix preflight``: check the set-up of a partner before any scenario runs.

    epix preflight [--profile P]

Prints one line per check (ok, warn, fail or skip, what was checked and found, and the
fix): DNS, TCP, TLS version and the partner's server certificate (against the profile's
trust anchors, its host name, its expiry), our client certificate (valid, accepted by the
partner), each binding's URL (``GET /status``, ``ServiceState``), the clock skew from the
partner's ``Date`` header, and its CRL. ``epix run`` runs the same checks first.

Exit codes, as ``epix run``'s: 0 every check ok or warned; 2 a set-up check failed (or the
profile is wrong); 3 the partner is unreachable (its host name does not resolve, or it takes
no TCP connection).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from epix.exits import UsageError
from epix.paths import PROJECT
from epix.profile import Profile

DEFAULT_PROFILE = PROJECT / "fixtures" / "profiles" / "simulator.toml"
EXIT_CODES = ("exit codes: 0 every check ok or warned; 2 a set-up check failed (certificates, trust anchors, "
              "our client certificate, CRL, clock, a binding's URL) or the profile is wrong; 3 the partner is "
              "unreachable (DNS, TCP)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preflight", help="check the set-up of a partner (certificates, trust, clock, URLs) without running scenarios",
        description="Check the set-up of the partner a profile describes (by default the simulated partner), "
                    "one line per check with ok, warn or fail and the fix: DNS, TCP, TLS version, the partner's "
                    "server certificate against the profile's trust anchors and its expiry (a warning under 30 "
                    "days), our client certificate accepted (mutual TLS), each binding's URL (GET /status, "
                    "ServiceState), clock skew from the partner's Date header (a warning over 2 minutes, a "
                    "failure over 5), and its CRL (at the distribution point its certificate names, else the "
                    "profile's file: readable and fresh). `epix run` runs these checks first.",
        epilog=EXIT_CODES)
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE,
                        help="the partner's profile (default: fixtures/profiles/simulator.toml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from epix.commands.profiles import checked_profile

    profile = checked_profile(args.profile)
    print(f"epix preflight: {profile.name} ({args.profile})")
    with partner_of(profile) as (completed, _):
        report = check(completed)
    return report.exit_code()


def check(profile: Profile):  # noqa: ANN201 - epix.preflight.Report
    """Run the preflight against the partner of ``profile`` (completed) and print its lines,
    the profile's secrets masked (what a partner answers is quoted in them)."""
    from epix.preflight import Target, preflight
    from epix.report.redact import Redactor

    report = preflight(Target.of(profile))
    print(Redactor(profile.secrets()).text(report.text()), flush=True)
    return report


@contextlib.contextmanager
def partner_of(profile: Profile) -> Iterator[tuple[Profile, list[object]]]:
    """The profile completed with its partner, and the pytest plugins that hand it to the suite:
    for a ``[simulator]`` profile the simulated partner (or, with ``role = "hub"``, the
    simulated hub with the harness's adapters behind it), started here and stopped at the end."""
    if not profile.is_simulator:
        yield profile, []
        return
    from epix.hub.faults import UnknownHubFault
    from epix.hubtest.simulated import completed_hub_profile, simulated_hub_of
    from epix.partner.faults import UnknownFault
    from epix.partner.server import ServerError
    from epix.partner.suite import StartedSimulator, completed_profile, simulated_partner
    from epix.pki import PkiError
    from epix.transport import TlsSetupError

    hub = profile.simulator.role == "hub"
    with contextlib.ExitStack() as stack:
        try:
            running = stack.enter_context(simulated_hub_of(profile) if hub else simulated_partner(profile))
        except (UnknownFault, UnknownHubFault, ServerError, PkiError, TlsSetupError) as error:
            raise UsageError(f"the simulated {'hub' if hub else 'partner'} of {profile.path} cannot start: "
                             f"{error}") from None
        completed = completed_hub_profile(profile, running) if hub else completed_profile(profile, running)
        yield completed, [StartedSimulator(running)]
