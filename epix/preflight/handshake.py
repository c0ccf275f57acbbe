"""The TLS checks of each place the partner serves at: the version it speaks (TLS 1.2 or
newer, ENV-01), and its server certificate against the profile's trust anchors, with its
host name and expiry (a warning when it ends within :data:`EXPIRY_WARNING_DAYS`).

Two handshakes: one that verifies nothing, to learn the version and the certificate the
partner shows whatever it is; one as the harness makes them (:func:`epix.transport.client_context`),
whose verdict is OpenSSL's and whose failure the first one's certificate explains.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from epix import clock
from epix.preflight.target import Origin, Target
from epix.preflight.verdicts import Line, fail, ok, warn
from epix.signing.certificates import issuer_of, name_of
from epix.transport import TlsSetupError, client_context
from epix.transport.tls import MINIMUM_VERSION

#: A certificate that ends within this many days gets a warning.
EXPIRY_WARNING_DAYS = 30
#: OpenSSL's verification errors that the lines name (X509_V_ERR_*).
_NOT_YET_VALID, _EXPIRED, _HOST_MISMATCH = 9, 10, 62
_UNKNOWN_ISSUER = {2, 18, 19, 20, 21}
_VERSION_REASONS = ("UNSUPPORTED_PROTOCOL", "PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW")


@dataclass
class Handshake:
    """The TLS lines of one origin; ``usable`` when the harness's own handshake succeeded."""

    lines: list[Line] = field(default_factory=list)
    certificate: x509.Certificate | None = None
    usable: bool = False


def inspect(origin: Origin, target: Target) -> Handshake:
    result = Handshake()
    version_check, certificate_check = f"TLS {origin}", f"server certificate {origin}"
    try:
        version, der = _handshake(origin, _looking_context(target), target.connect_timeout)
    except (ssl.SSLError, OSError) as error:
        result.lines.append(_handshake_failed(version_check, origin, error))
        return result
    result.certificate = x509.load_der_x509_certificate(der) if der else None
    result.lines.append(ok(version_check, f"the partner speaks {version}"))
    if result.certificate is None:
        result.lines.append(fail(certificate_check, "the partner showed no server certificate",
                                 "the partner must serve its TLS server certificate"))
        return result
    try:
        _handshake(origin, _harness_context(target), target.connect_timeout)
    except ssl.SSLCertVerificationError as error:
        result.lines.append(_not_accepted(certificate_check, origin, result.certificate, error, target))
        return result
    except (ssl.SSLError, OSError) as error:
        result.lines.append(_handshake_failed(certificate_check, origin, error))
        return result
    result.usable = True
    result.lines.append(_expiry(certificate_check, result.certificate))
    return result


def _handshake(origin: Origin, context: ssl.SSLContext, timeout: float) -> tuple[str, bytes | None]:
    with socket.create_connection((origin.host, origin.port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=origin.host) as tls:
            return tls.version() or "TLS", tls.getpeercert(binary_form=True)


def _looking_context(target: Target) -> ssl.SSLContext:
    """TLS 1.2 or newer, verifying nothing, presenting our certificate (a partner that asks
    for one under TLS 1.2 would refuse the handshake without it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = MINIMUM_VERSION
    if target.mtls and target.client_certificate is not None:
        try:
            context.load_cert_chain(str(target.client_certificate), str(target.client_key))
        except (OSError, ssl.SSLError):
            pass  # the client certificate's line names this
    return context


def _harness_context(target: Target) -> ssl.SSLContext:
    if target.mtls and target.client_certificate is not None:
        try:
            return client_context(target.trust_anchors, target.client_certificate, target.client_key)
        except TlsSetupError:
            pass  # the client certificate's line names this
    return client_context(target.trust_anchors)


def _handshake_failed(check: str, origin: Origin, error: BaseException) -> Line:
    reason = getattr(error, "reason", None) or str(error) or type(error).__name__
    if isinstance(error, TimeoutError):
        return fail(check, f"the TLS handshake with {origin} did not complete within the connect timeout",
                    "check that the port serves HTTPS, and any proxy between us and the partner")
    if isinstance(error, ssl.SSLError) and any(part in str(reason).upper() for part in _VERSION_REASONS):
        return fail(check, f"the partner offers no TLS 1.2 or newer ({reason})",
                    "the partner must serve TLS 1.2 or 1.3 (ENV-01)")
    if isinstance(error, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(reason).upper():
        return fail(check, f"{origin} does not answer in TLS ({reason}); it may serve plain HTTP",
                    "give the partner's https:// URL and port in the profile")
    if isinstance(error, ssl.SSLError) and "ALERT" in str(reason).upper():
        return fail(check, f"the partner refused the TLS handshake with the alert {reason}",
                    "check our client certificate (us.client_certificate) is one the partner registered")
    return fail(check, f"the TLS handshake with {origin} failed ({reason})",
                "check that the port serves HTTPS with TLS 1.2 or newer")


def _not_accepted(check: str, origin: Origin, certificate: x509.Certificate, error: ssl.SSLCertVerificationError,
                  target: Target) -> Line:
    name = f"'{name_of(certificate)}'"
    now = clock.now()
    if error.verify_code == _EXPIRED or certificate.not_valid_after_utc < now:
        return fail(check, f"the partner's server certificate {name} expired on "
                           f"{_day(certificate.not_valid_after_utc)} ({(now - certificate.not_valid_after_utc).days} "
                           "days ago)", "the partner must renew its TLS server certificate")
    if error.verify_code == _NOT_YET_VALID or certificate.not_valid_before_utc > now:
        return fail(check, f"the partner's server certificate {name} is valid only from "
                           f"{_day(certificate.not_valid_before_utc)}",
                    "check this machine's clock; else the partner must serve a certificate valid now")
    if error.verify_code in _UNKNOWN_ISSUER:
        anchors = "; ".join(f"'{name_of(anchor)}'" for anchor in target.anchor_certificates()) or "none"
        return fail(check, f"the partner's server certificate {name} was issued by '{issuer_of(certificate)}', "
                           f"which does not chain to the profile's trust anchors (partner.trust_anchors: {anchors})",
                    "give the CA certificate that issued the partner's server certificate as partner.trust_anchors "
                    "(ask the partner which CA it registered with the pilot)")
    if error.verify_code == _HOST_MISMATCH:
        return fail(check, f"the partner's server certificate {name} does not name the host {origin.host} "
                           f"(it names {_host_names(certificate)})",
                    "use a host name the certificate names in the binding URL, or the partner must serve a "
                    "certificate that names this one")
    return fail(check, f"the partner's server certificate {name} was not accepted ({error.verify_message})",
                "check partner.trust_anchors and the partner's server certificate")


def _expiry(check: str, certificate: x509.Certificate) -> Line:
    left = certificate.not_valid_after_utc - clock.now()
    found = (f"'{name_of(certificate)}', issued by '{issuer_of(certificate)}', chains to the profile's trust "
             f"anchors and names the host; valid until {_day(certificate.not_valid_after_utc)}")
    if left.days < EXPIRY_WARNING_DAYS:
        return warn(check, f"{found}: it expires in {left.days} days",
                    f"the partner must renew its TLS server certificate before {_day(certificate.not_valid_after_utc)}")
    return ok(check, f"{found} ({left.days} days)")


def _host_names(certificate: x509.Certificate) -> str:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "no host in a subjectAltName"
    shown = [str(n.value) for n in names if isinstance(n, (x509.DNSName, x509.IPAddress))]
    return ", ".join(shown) or "no host in its subjectAltName"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
