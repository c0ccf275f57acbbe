"""The preflight: every check in order, from the network up, before any scenario runs.

For each place the partner serves at (host and port): DNS, TCP, the TLS version and the
server certificate. Then our client certificate (mutual TLS), each binding's URL
(``GET /status``, ``ServiceState``), the clock from their ``Date`` headers, and the CRL.
A check whose ground failed is skipped with the reason, so each problem is named once.
"""

from __future__ import annotations

from cryptography import x509

from epix.preflight import handshake, identity, network, revocation, services, skew
from epix.preflight.target import Origin, Target
from epix.preflight.verdicts import FAIL, Line, Report, fail, skip


def preflight(target: Target) -> Report:
    report = Report()
    usable: dict[Origin, bool] = {}
    seen: list[x509.Certificate | None] = []
    for origin in target.origins:
        usable[origin], certificate = _origin(origin, target, report.lines)
        seen.append(certificate)
    identified = _identity(target, report.lines)
    asked: list[services.Asked] = []
    refused = False
    for binding in target.bindings:
        if not usable[binding.origin]:
            report.lines.append(skip(binding.label, f"no secure connection to {binding.origin}"))
        elif target.mtls and identified is None:
            report.lines.append(skip(binding.label, "our client certificate cannot be used"))
        elif refused:
            report.lines.append(skip(binding.label, "the partner did not answer our client certificate"))
        else:
            one = services.ask(binding, target)
            if target.mtls and not asked:
                accepted = identity.accepted(one, identified)
                report.lines.append(accepted)
                refused = accepted.verdict == FAIL
            if not refused:
                asked.append(one)
                report.lines.append(services.answered(one, target))
    report.lines.append(skew.skew(asked))
    report.lines += revocation.check(target, seen)
    return report


def _origin(origin: Origin, target: Target, lines: list[Line]) -> tuple[bool, x509.Certificate | None]:
    """The lines of one origin; whether the harness can connect to it securely, and its server certificate."""
    line, addresses = network.resolve(origin, target.connect_timeout)
    lines.append(line)
    if not addresses:
        return False, None
    line = network.connect(origin, addresses, target.connect_timeout)
    lines.append(line)
    if line.verdict == FAIL:
        return False, None
    if origin.scheme != "https":
        lines.append(skip(f"TLS {origin}", "the URL is plain http:// (the profile allows it on loopback only)"))
        return True, None
    shaken = handshake.inspect(origin, target)
    lines += shaken.lines
    return shaken.usable, shaken.certificate


def _identity(target: Target, lines: list[Line]) -> x509.Certificate | None:
    """Our client certificate's own line (mutual TLS only); the certificate when it is usable."""
    if not target.mtls:
        return None
    if target.client_certificate is None or target.client_key is None:
        lines.append(fail(identity.CHECK, "the profile gives no client certificate for mutual TLS",
                          "give us.client_certificate and us.client_key"))
        return None
    line, certificate = identity.ours(target)
    lines.append(line)
    return certificate if line.verdict != FAIL else None
