"""Our client certificate (mutual TLS, ENV-02): usable and valid here, then accepted by the
partner, which shows in an answer to a request made with it."""

from __future__ import annotations

from cryptography import x509

from epix import clock
from epix.preflight.handshake import EXPIRY_WARNING_DAYS
from epix.preflight.services import Asked
from epix.preflight.target import Target
from epix.preflight.verdicts import Line, fail, ok, warn
from epix.signing.certificates import issuer_of, name_of
from epix.transport import AnswerUnusable, TlsSetupError, client_context

CHECK = "client certificate"


def ours(target: Target) -> tuple[Line, x509.Certificate | None]:
    """The line on our client certificate as a file: loadable with its key, valid now."""
    try:
        client_context(target.trust_anchors, target.client_certificate, target.client_key)
        certificate = x509.load_pem_x509_certificates(target.client_certificate.read_bytes())[0]
    except (TlsSetupError, OSError, ValueError) as error:
        return fail(CHECK, f"our client certificate cannot be used: {error}",
                    "give a PEM certificate and its private key as us.client_certificate and us.client_key"), None
    now, name = clock.now(), f"'{name_of(certificate)}'"
    if certificate.not_valid_after_utc < now:
        return fail(CHECK, f"our client certificate {name} expired on {certificate.not_valid_after_utc:%Y-%m-%d}",
                    "renew our TLS client certificate and register its CA with the partner"), certificate
    if certificate.not_valid_before_utc > now:
        return fail(CHECK, f"our client certificate {name} is valid only from {certificate.not_valid_before_utc:%Y-%m-%d}",
                    "check this machine's clock, or use a certificate valid now"), certificate
    left = (certificate.not_valid_after_utc - now).days
    if left < EXPIRY_WARNING_DAYS:
        return warn(CHECK, f"our client certificate {name} expires in {left} days",
                    "renew it, and register the new one with the partner, before it ends"), certificate
    return ok(CHECK, f"our client certificate {name} is valid for {left} more days"), certificate


def accepted(asked: Asked, certificate: x509.Certificate) -> Line:
    """Whether the partner answered a request made with our client certificate."""
    name = f"'{name_of(certificate)}' (issued by '{issuer_of(certificate)}')"
    if asked.exchange is not None and asked.exchange.status is not None:
        return ok(CHECK, f"the partner answered a request made with our client certificate {name}")
    if isinstance(asked.problem, AnswerUnusable):
        return ok(CHECK, f"the partner took a request made with our client certificate {name}")
    return fail(CHECK, f"the partner did not answer a request made with our client certificate {name}: "
                       f"{asked.problem.sentence}",
                "register our CA (the issuer of us.client_certificate) with the partner, or give the client "
                "certificate the partner registered as us.client_certificate")
