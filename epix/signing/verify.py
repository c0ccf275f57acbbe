"""Verify a document's enveloped signature against the sender's trust anchors (section 7).

The checks run in a fixed order; each is a named function that returns what it found,
or raises :class:`_Failed`. A check whose prerequisites did not pass is reported as
``indeterminate`` without being run. The first failed check gives the finding and its
EPX code. Algorithms and structure are checked before signxml is asked anything;
signxml then checks the signature value and digest, and only its ``signed_xml`` is
handed on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.exceptions import InvalidDigest, SignXMLException

from epix import clock
from epix.findings import Finding
from epix.namespaces import DS, qname
from epix.safexml import xpath_of
from epix.signing import policy, structure
from epix.signing.certificates import (
    CertificateUnreadable, certificate_from_base64, is_valid_at, name_of, validity_of,
)
from epix.signing.result import FAILED, INDETERMINATE, PASSED, Check, Outcome, Verification
from epix.signing.trust import Chain, TrustStore

T = TypeVar("T")

_X509_CERTIFICATES = f"{qname(DS, 'KeyInfo')}/{qname(DS, 'X509Data')}/{qname(DS, 'X509Certificate')}"


class _Failed(Exception):
    def __init__(self, text: str, location: str | None = None, requirement: str | None = None):
        super().__init__(text)
        self.text = text
        self.location = location
        self.requirement = requirement


class _Indeterminate(Exception):
    pass


@dataclass
class _Context:
    root: etree._Element
    trust: TrustStore
    sender: str | None
    at: datetime
    signatures: list[etree._Element] = field(default_factory=list)
    signature: etree._Element | None = None
    reference: etree._Element | None = None
    certificates: list[x509.Certificate] = field(default_factory=list)
    chain: Chain | None = None
    signed: etree._Element | None = None
    digest: tuple[Outcome, str] | None = None
    located: etree._Element | None = None

    @property
    def location(self) -> str:
        """Where a finding points: the signature once found, else the document's root."""
        return xpath_of(self.located if self.located is not None else self.root)

    @property
    def leaf(self) -> x509.Certificate | None:
        return self.certificates[0] if self.certificates else None


def verify(root: etree._Element, trust: TrustStore, *, sender: str | None = None,
           at: datetime | None = None) -> Verification:
    """Verify the enveloped signature of ``root``.

    ``sender`` is the party whose registered trust anchor the signing certificate must
    chain to (any registered party when ``None``); ``at`` the signing time the
    certificate must be valid at (``CreationDateTime``, or a permit's ``IssueDateTime``;
    now when ``None``).
    """
    if not isinstance(root, etree._Element):
        raise TypeError("verify() takes an lxml element")
    moment = clock.now() if at is None else at
    if moment.tzinfo is None:
        raise ValueError("verify(at=...) needs a timezone-aware datetime")
    context = _Context(root, trust, sender, moment)
    checks: list[Check] = []
    first: tuple[Check, _Failed] | None = None
    for spec in _CHECKS:
        check, failure = spec.run(context, checks)
        checks.append(check)
        if failure is not None and (first is None or _rank(check) < _rank(first[0])):
            first = (check, failure)
    return _verdict(context, checks, first)


#: The order in which section 9 (step 7) names the signature checks: of several that fail,
#: the error is the one named first.
_ORDER = ("EPX-200", "EPX-206", "EPX-205", "EPX-201", "EPX-202", "EPX-203", "EPX-204")


def _rank(check: Check) -> int:
    return _ORDER.index(check.code) if check.code in _ORDER else len(_ORDER)


def _verdict(context: _Context, checks: list[Check], first: tuple[Check, _Failed] | None) -> Verification:
    signer, party = context.leaf, context.chain.party if context.chain else None
    if first is not None:
        check, failure = first
        finding = Finding(check.code or "EPX-201", failure.requirement or check.requirement or "SIG-01", failure.text,
                          location=failure.location or context.location)
        return Verification(FAILED, finding, checks, None, signer, party)
    undecided = [c for c in checks if c.outcome == INDETERMINATE]
    if undecided:
        check = undecided[0]
        finding = Finding(check.code or "EPX-201", check.requirement or "SIG-01",
                          f"the signature could not be fully verified: {check.detail}",
                          location=context.location, severity="warning")
        return Verification(INDETERMINATE, finding, checks, context.signed, signer, party)
    return Verification(PASSED, None, checks, context.signed, signer, party)


@dataclass(frozen=True)
class _Spec:
    name: str
    requirement: str
    code: str
    needs: tuple[str, ...]
    function: Callable[[_Context], str]

    def run(self, context: _Context, done: list[Check]) -> tuple[Check, _Failed | None]:
        outcomes = {c.name: c.outcome for c in done}
        blocked = [need for need in self.needs if outcomes.get(need) != PASSED]
        if blocked:
            reason = f"not checked, because '{blocked[0]}' did not pass"
            return Check(self.name, INDETERMINATE, reason, self.requirement, self.code), None
        try:
            detail = self.function(context)
        except _Failed as failure:
            return Check(self.name, FAILED, failure.text, failure.requirement or self.requirement, self.code), failure
        except _Indeterminate as undecided:
            return Check(self.name, INDETERMINATE, str(undecided), self.requirement, self.code), None
        return Check(self.name, PASSED, detail, self.requirement, self.code), None


# --- the checks, in order -------------------------------------------------------------


def _signature_present(context: _Context) -> str:
    context.signatures = structure.signatures_in(context.root)
    if not context.signatures:
        raise _Failed(f"the document {xpath_of(context.root)} carries no ds:Signature; sign it with an enveloped "
                      "XML signature as the last child of its root")
    return f"{len(context.signatures)} ds:Signature found"


def _structural(check: Callable[..., T], *args: object) -> T:
    """``check(*args)``, one of :mod:`epix.signing.structure`'s; the problem it finds fails the check."""
    try:
        return check(*args)
    except structure.StructureProblem as problem:
        raise _Failed(problem.text, problem.location, problem.requirement) from None


def _signature_placement(context: _Context) -> str:
    context.located = context.signatures[0]
    context.signature = _structural(structure.placed_signature, context.root, context.signatures)
    return "one ds:Signature, the last child of the root"


def _single_reference(context: _Context) -> str:
    assert context.signature is not None
    context.reference = _structural(structure.whole_document_reference, context.signature)
    return 'one Reference with URI="" (the whole document)'


def _transforms(context: _Context) -> str:
    assert context.reference is not None
    _structural(structure.check_transforms, context.reference)
    return "enveloped-signature, then exclusive canonicalisation"


def _signing_certificate(context: _Context) -> str:
    assert context.signature is not None
    elements = context.signature.findall(_X509_CERTIFICATES)
    if not elements:
        raise _Failed("the signature's KeyInfo carries no X509Data/X509Certificate; include the signing certificate "
                      "(and optionally its chain) so the receiver can check it against the sender's trust anchor",
                      xpath_of(context.signature))
    try:
        context.certificates = [certificate_from_base64(e.text or "") for e in elements]
    except CertificateUnreadable as exc:
        raise _Failed(f"{exc}; put the DER certificate in base64 into KeyInfo/X509Data/X509Certificate") from None
    return f"'{name_of(context.certificates[0])}'" + (
        f" with {len(context.certificates) - 1} chain certificate(s)" if len(context.certificates) > 1 else "")


def _algorithm_policy(context: _Context) -> str:
    assert context.signature is not None and context.reference is not None
    signed_info = context.signature.find(qname(DS, "SignedInfo"))
    try:
        policy.check_canonicalisation(_algorithm(signed_info, "CanonicalizationMethod"))
        method = policy.signature_method(_algorithm(signed_info, "SignatureMethod"))
        digest = policy.digest_method(_algorithm(context.reference, "DigestMethod"))
    except policy.AlgorithmRefused as refused:
        raise _Failed(f"{refused} (SIG-02)", xpath_of(context.signature)) from None
    return f"{_fragment(method.value)}, digest {_fragment(digest.value)}"


def _key_policy(context: _Context) -> str:
    assert context.signature is not None and context.leaf is not None
    for index, certificate in enumerate(context.certificates):
        problem = _certificate_problem(certificate, index == 0)
        if problem:
            raise _Failed(f"{problem} (SIG-02)", xpath_of(context.signature))
    return _key_size(context.leaf)


def _signature_value(context: _Context) -> str:
    assert context.leaf is not None
    try:
        result = XMLVerifier().verify(context.root, x509_cert=context.leaf, expect_config=_config(context.leaf))
    except InvalidDigest:
        context.digest = (FAILED, "the digest of the document does not match the signed DigestValue: "
                                  "the document was changed after it was signed")
        return "SignedInfo verifies with the signing certificate's key"
    except (SignXMLException, ValueError, TypeError, etree.LxmlError) as exc:
        reason = str(exc).strip().rstrip(":").strip()
        raise _Failed(f"the signature value does not verify with the key of '{name_of(context.leaf)}'"
                      + (f" ({reason})" if reason else "")
                      + ": SignedInfo was changed after signing, or another key signed it") from None
    context.signed = result.signed_xml
    if context.signed is None:
        context.digest = (INDETERMINATE, "the signed content could not be read back as XML")
    else:
        context.digest = (PASSED, "the digest of the whole document matches")
    return "SignedInfo verifies with the signing certificate's key"


def _reference_digest(context: _Context) -> str:
    assert context.digest is not None
    outcome, detail = context.digest
    if outcome == FAILED:
        raise _Failed(detail)
    if outcome == INDETERMINATE:
        raise _Indeterminate(detail)
    return detail


def _chain(context: _Context) -> str:
    assert context.leaf is not None
    context.chain = context.trust.chain(context.leaf, context.certificates[1:], context.sender)
    if not context.chain.trusted:
        raise _Failed(context.chain.problem or "the signing certificate does not chain to a trust anchor")
    anchor = context.chain.path[-1]
    return f"chains to '{name_of(anchor)}', the trust anchor of party {context.chain.party}"


def _key_usage(context: _Context) -> str:
    assert context.leaf is not None
    leaf = context.leaf
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise _Failed(f"the signing certificate '{name_of(leaf)}' has no KeyUsage extension; it needs "
                      "digitalSignature or nonRepudiation") from None
    if not (usage.digital_signature or usage.content_commitment):
        raise _Failed(f"the signing certificate '{name_of(leaf)}' does not allow digitalSignature or "
                      "nonRepudiation; sign with a document-signing certificate")
    return "digitalSignature" + (", nonRepudiation" if usage.content_commitment else "")


def _validity(context: _Context) -> str:
    assert context.leaf is not None
    path = context.chain.path if context.chain and context.chain.trusted else (context.leaf,)
    when = clock.isoformat(context.at)
    for certificate in path:
        if not is_valid_at(certificate, context.at):
            which = "signing certificate" if certificate is context.leaf else "CA certificate"
            state = "had expired" if context.at > certificate.not_valid_after_utc else "was not yet valid"
            raise _Failed(f"the {which} '{name_of(certificate)}' {state} at the signing time {when} "
                          f"({validity_of(certificate)}); sign with a certificate valid at that time")
    return f"valid at {when} ({validity_of(context.leaf)})"


def _revocation(context: _Context) -> str:
    assert context.chain is not None
    path = context.chain.path
    if len(path) == 1:
        return "the signing certificate is itself the trust anchor"
    statuses = [context.trust.revocation(cert, issuer) for cert, issuer in zip(path, path[1:])]
    for status in statuses:
        if status.state == "revoked":
            raise _Failed(f"the signing certificate chain includes a revoked certificate: {status.detail}; "
                          "sign with a certificate that is not revoked")
    for status in statuses:
        if status.state == "unknown":
            raise _Indeterminate(status.detail)
    return "; ".join(s.detail for s in statuses)


_CHECKS = (
    _Spec("signature present", "SIG-01", "EPX-200", (), _signature_present),
    _Spec("signature placement", "SIG-01", "EPX-206", ("signature present",), _signature_placement),
    _Spec("single reference", "SIG-01", "EPX-206", ("signature placement",), _single_reference),
    _Spec("transforms", "SIG-01", "EPX-206", ("single reference",), _transforms),
    _Spec("algorithm policy", "SIG-02", "EPX-205", ("single reference",), _algorithm_policy),
    _Spec("signing certificate", "SIG-03", "EPX-202", ("signature placement",), _signing_certificate),
    _Spec("key policy", "SIG-02", "EPX-205", ("signing certificate",), _key_policy),
    _Spec("signature value", "SIG-01", "EPX-201", ("transforms", "algorithm policy", "key policy"), _signature_value),
    _Spec("digest", "SIG-01", "EPX-201", ("signature value",), _reference_digest),
    _Spec("chain to trust anchor", "SIG-04", "EPX-202", ("signing certificate",), _chain),
    _Spec("key usage", "SIG-04", "EPX-202", ("signing certificate",), _key_usage),
    _Spec("validity at signing time", "SIG-04", "EPX-203", ("signing certificate",), _validity),
    _Spec("revocation", "SIG-06", "EPX-204", ("chain to trust anchor",), _revocation),
)
#: The names of the checks, in the order they run and are reported.
CHECK_NAMES: tuple[str, ...] = tuple(spec.name for spec in _CHECKS)


@lru_cache(maxsize=1024)
def _certificate_problem(certificate: x509.Certificate, signing: bool) -> str | None:
    """Why SIG-02 refuses ``certificate`` (its key, if it signs; its own signature), or ``None``."""
    try:
        if signing:
            policy.check_key(certificate, f"the signing certificate '{name_of(certificate)}'")
        policy.check_certificate_signature(certificate, f"the certificate '{name_of(certificate)}'")
    except policy.AlgorithmRefused as refused:
        return str(refused)
    return None


@lru_cache(maxsize=256)
def _config(leaf: x509.Certificate) -> SignatureConfiguration:
    # signxml checks only the cryptography here: the certificate's validity at the
    # signing time is the job of _validity, so signxml is given a time it was valid.
    return SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=policy.ALLOWED_SIGNATURE_METHODS,
        digest_algorithms=policy.ALLOWED_DIGESTS,
        verification_time=leaf.not_valid_before_utc,
    )


def _algorithm(parent: etree._Element | None, name: str) -> str | None:
    element = parent.find(qname(DS, name)) if parent is not None else None
    return element.get("Algorithm") if element is not None else None


def _fragment(uri: str) -> str:
    return uri.rsplit("#", 1)[-1]


def _key_size(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__
