"""XML signatures of the EPIX profile (section 7): sign, and verify against trust anchors.

    key = SigningKey.from_files("pki/CH/signing.key", "pki/CH/signing.pem")
    signed = sign(permit, key)                        # enveloped, exclusive c14n, RSA-SHA256
    trust = TrustStore.from_dir("pki")                # <PARTY>/ca.pem and crl.pem
    result = verify(signed, trust, sender="CH", at=issued_at)
    if result.passed:
        process(result.signed)                        # only what the signature covers

Modules: :mod:`.keys` (signing keys), :mod:`.sign`, :mod:`.policy` (SIG-02 algorithms),
:mod:`.structure` (SIG-01/05 shape), :mod:`.trust` (anchors, chains, CRLs),
:mod:`.verify` (the ordered checks), :mod:`.result` (Check, Verification),
:mod:`.faults` (deliberately broken signatures for negative tests).
"""

from __future__ import annotations

from epix.signing.keys import KeyLoadError, SigningKey
from epix.signing.policy import SIGNING_ALGORITHMS, AlgorithmRefused
from epix.signing.result import FAILED, INDETERMINATE, PASSED, Check, Outcome, Verification
from epix.signing.sign import SigningError, sign
from epix.signing.trust import Chain, Revocation, TrustError, TrustStore
from epix.signing.verify import CHECK_NAMES, verify

__all__ = [
    "CHECK_NAMES", "FAILED", "INDETERMINATE", "PASSED", "SIGNING_ALGORITHMS",
    "AlgorithmRefused", "Chain", "Check", "KeyLoadError", "Outcome", "Revocation", "SigningError",
    "SigningKey", "TrustError", "TrustStore", "Verification", "sign", "verify",
]
