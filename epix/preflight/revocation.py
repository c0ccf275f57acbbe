"""The partner's CRL (SIG-06): where its certificates name a CRL distribution point, that the
CRL can be fetched there; else the CRL files of the profile (``partner.crls``); in both cases
that it is signed by a trust anchor of the partner and fresh (its ``nextUpdate`` not passed)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import httpx
from cryptography import x509

from epix import clock
from epix.preflight.target import Target
from epix.preflight.verdicts import Line, fail, ok, warn
from epix.signing import TrustError, TrustStore
from epix.signing.certificates import name_of

#: The most of a CRL the preflight reads.
MAX_CRL_BYTES = 10 * 1024 * 1024


def distribution_points(certificates: Iterable[x509.Certificate | None]) -> list[str]:
    """The http(s) CRL distribution points ``certificates`` name, each once."""
    found: list[str] = []
    for certificate in certificates:
        if certificate is None:
            continue
        try:
            points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            continue
        for point in points:
            for name in point.full_name or ():
                if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith("http"):
                    found.append(name.value)
    return list(dict.fromkeys(found))


def check(target: Target, certificates: Iterable[x509.Certificate | None]) -> list[Line]:
    anchors = target.anchor_certificates()
    points = distribution_points(certificates)
    if points:
        return [_published(url, target, anchors) for url in points]
    if not target.crls:
        return [warn("CRL", "the partner's server certificate names no CRL distribution point and the profile gives "
                            "no CRL of the partner (partner.crls): its revoked certificates cannot be recognised (SIG-06)",
                     "ask the partner for its CA's CRL and give the file as partner.crls")]
    return [_from_file(path, target, anchors) for path in target.crls]


def _published(url: str, target: Target, anchors: list[x509.Certificate]) -> Line:
    check = f"CRL {url}"
    fix = "the partner must publish its CRL at the distribution point its certificate names"
    try:
        data = _fetch(url, target)
    except httpx.HTTPError as error:
        return fail(check, f"the CRL distribution point of the partner's server certificate cannot be reached "
                           f"({type(error).__name__}: {error or 'no answer'})",
                    f"{fix}, reachable from here (check any firewall or proxy)")
    except _NotFetched as problem:
        return fail(check, f"the CRL distribution point of the partner's server certificate {problem}", fix)
    try:
        crl = x509.load_der_x509_crl(data) if not data.lstrip().startswith(b"-----") else x509.load_pem_x509_crl(data)
    except ValueError:
        return fail(check, f"what the distribution point serves ({len(data)} bytes) is not a CRL", fix)
    return _judged(check, "fetched from the distribution point the partner's server certificate names", crl,
                   target, anchors)


class _NotFetched(Exception):
    pass


def _fetch(url: str, target: Target) -> bytes:
    timeout = httpx.Timeout(target.answer_timeout, connect=target.connect_timeout)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise _NotFetched(f"answered HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_CRL_BYTES:
                    raise _NotFetched(f"serves more than {MAX_CRL_BYTES:,} bytes")
                chunks.append(chunk)
            return b"".join(chunks)


def _from_file(path: Path, target: Target, anchors: list[x509.Certificate]) -> Line:
    check = f"CRL {path.name}"
    try:
        crl = x509.load_pem_x509_crl(path.read_bytes())
    except (OSError, ValueError) as error:
        return fail(check, f"the profile's CRL {path} cannot be read ({error})", "give a PEM CRL as partner.crls")
    return _judged(check, f"the partner's server certificate names no CRL distribution point; read the profile's "
                          f"file {path}", crl, target, anchors)


def _judged(check: str, source: str, crl: x509.CertificateRevocationList, target: Target,
            anchors: list[x509.Certificate]) -> Line:
    try:
        TrustStore({target.party: anchors}, {target.party: [crl]})
    except TrustError as error:
        return fail(check, f"{source}: {str(error).split('; ')[0]}", "give the CRL that the partner's CA published")
    issuer = next(a for a in anchors if a.subject == crl.issuer)
    due = crl.next_update_utc
    if due is not None and due < clock.now():
        return fail(check, f"{source}: the CRL of '{name_of(issuer)}' is stale: its nextUpdate {clock.isoformat(due)} "
                           "has passed", "get the partner's current CRL (its CA must publish a fresh one)")
    until = f"fresh until {clock.isoformat(due)}" if due is not None else "with no nextUpdate"
    revoked = sum(1 for _ in crl)
    return ok(check, f"{source}: signed by '{name_of(issuer)}', {until}, {revoked} revoked")
