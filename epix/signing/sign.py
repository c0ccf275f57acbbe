"""Enveloped XML signatures as the profile requires them (SIG-01 … SIG-03).

One ``Reference`` with ``URI=""``, the transforms enveloped-signature then exclusive
canonicalisation, ``ds:Signature`` as the last child of the root, and the signing
certificate (and chain) in ``KeyInfo/X509Data``.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import XMLSigner, methods
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from epix.namespaces import DS, qname
from epix.signing.keys import SigningKey
from epix.signing.policy import AlgorithmRefused, check_key, signing_method

EXCLUSIVE_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
_DIGEST_FOR_HASH = {"256": DigestAlgorithm.SHA256, "384": DigestAlgorithm.SHA384, "512": DigestAlgorithm.SHA512}


class SigningError(Exception):
    """The document cannot be signed as asked; the message says why and what to change."""


def sign(root: etree._Element, key: SigningKey, *, algorithm: str | None = None) -> etree._Element:
    """Return a signed copy of ``root`` (``root`` itself is left as it was).

    ``algorithm`` is ``rsa-sha256`` or ``ecdsa-sha256`` (or a stronger one of
    :data:`epix.signing.policy.SIGNING_ALGORITHMS`); by default the one that fits the key.
    The reference digest uses the same SHA-2 strength as the signature method.
    """
    if not isinstance(root, etree._Element):
        raise TypeError("sign() takes an lxml element")
    name = algorithm or key.default_algorithm
    try:
        method = signing_method(name)
        check_key(key.certificate, f"the signing certificate '{key.subject}'")
    except (ValueError, AlgorithmRefused) as exc:
        raise SigningError(f"cannot sign: {exc}") from None
    _check_key_fits(method, key, name)
    if root.find(qname(DS, "Signature")) is not None:
        raise SigningError(f"the document <{etree.QName(root).localname}> is already signed; sign an unsigned copy")
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=method,
        digest_algorithm=_DIGEST_FOR_HASH[name[-3:]],
        c14n_algorithm=EXCLUSIVE_C14N,
    )
    return signer.sign(root, key=key.private_key, cert=[key.certificate, *key.chain])


def _check_key_fits(method: SignatureMethod, key: SigningKey, name: str) -> None:
    wants_ec = method.name.startswith("ECDSA")
    if wants_ec and not isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        raise SigningError(f"cannot sign with {name}: the key of '{key.subject}' is not an EC key; use rsa-sha256")
    if not wants_ec and not isinstance(key.private_key, rsa.RSAPrivateKey):
        raise SigningError(f"cannot sign with {name}: the key of '{key.subject}' is not an RSA key; use ecdsa-sha256")
