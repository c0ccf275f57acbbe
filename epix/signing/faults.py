"""Deliberately broken signatures, each breaking one rule of section 7.

For negative tests, the simulated partner's fault modes and the conformance suite:
every function returns a new element and leaves its input untouched. The comment on
each names the code a conformant receiver answers with.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from lxml import etree
from signxml import XMLSigner, methods
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from epix.namespaces import DS, qname
from epix.signing.keys import SigningKey
from epix.signing.sign import EXCLUSIVE_C14N
from epix.signing.structure import SIGNATURE

#: The namespace of the extra element that :func:`wrapped` hides the signed original in.
WRAPPER_NS = "urn:epix:test:signature-wrapping"


class _UncheckedSigner(XMLSigner):
    """signxml's signer without its refusal of SHA-1, to make negative-test material."""

    def check_deprecated_methods(self) -> None:
        return None


def sign_unchecked(root: etree._Element, key: SigningKey, *, signature_method: SignatureMethod,
                   digest: DigestAlgorithm, reference_uri: str | None = None,
                   c14n: CanonicalizationMethod = EXCLUSIVE_C14N) -> etree._Element:
    """Sign without the SIG-02 policy: any algorithm, any key size (EPX-205 material); with
    another ``c14n`` the reference's transforms break SIG-01 (EPX-206)."""
    signer = _UncheckedSigner(method=methods.enveloped, signature_algorithm=signature_method,
                              digest_algorithm=digest, c14n_algorithm=c14n)
    return signer.sign(_copy(root), key=key.private_key, cert=[key.certificate, *key.chain],
                       reference_uri=reference_uri)


def sign_with_sha1(root: etree._Element, key: SigningKey) -> etree._Element:
    """RSA-SHA1 with a SHA-1 digest (EPX-205)."""
    return sign_unchecked(root, key, signature_method=SignatureMethod.RSA_SHA1, digest=DigestAlgorithm.SHA1)


def sign_by_id(root: etree._Element, key: SigningKey, id_value: str = "x") -> etree._Element:
    """A signature whose reference is ``URI="#<id_value>"`` (the root gets ``Id``): valid XML-DSig,
    but it does not cover the document as a whole (EPX-206)."""
    document = _copy(root)
    document.set("Id", id_value)
    return sign_unchecked(document, key, signature_method=SignatureMethod.RSA_SHA256
                          if key.default_algorithm.startswith("rsa") else SignatureMethod.ECDSA_SHA256,
                          digest=DigestAlgorithm.SHA256, reference_uri=f"#{id_value}")


def with_second_reference(signed: etree._Element) -> etree._Element:
    """A second ``Reference`` in SignedInfo (EPX-206)."""
    document = _copy(signed)
    reference = _signature(document).find(f"{qname(DS, 'SignedInfo')}/{qname(DS, 'Reference')}")
    reference.addnext(_copy(reference))
    return document


def with_reference_uri(signed: etree._Element, uri: str) -> etree._Element:
    """The reference's ``URI`` changed after signing (EPX-206)."""
    document = _copy(signed)
    _signature(document).find(f"{qname(DS, 'SignedInfo')}/{qname(DS, 'Reference')}").set("URI", uri)
    return document


def with_tampered_content(signed: etree._Element) -> etree._Element:
    """The first text of the document changed after signing: the digest no longer matches (EPX-201)."""
    document = _copy(signed)
    for element in document.iter():
        if isinstance(element.tag, str) and not element.tag.startswith(f"{{{DS}}}") and (element.text or "").strip():
            element.text = element.text + "9"
            return document
    raise ValueError("the document has no text to tamper with")


def with_tampered_signature_value(signed: etree._Element) -> etree._Element:
    """One bit of the SignatureValue flipped (EPX-201)."""
    document = _copy(signed)
    value = _signature(document).find(qname(DS, "SignatureValue"))
    raw = bytearray(base64.b64decode(value.text or ""))
    raw[len(raw) // 2] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode("ascii")
    return document


def with_signature_first(signed: etree._Element) -> etree._Element:
    """The signature moved to be the first child of the root (EPX-206)."""
    document = _copy(signed)
    document.insert(0, _signature(document))
    return document


def without_signature(signed: etree._Element) -> etree._Element:
    """The signature removed (EPX-200)."""
    document = _copy(signed)
    document.remove(_signature(document))
    return document


def wrapped(signed: etree._Element, forge: Callable[[etree._Element], None] | None = None) -> etree._Element:
    """Signature wrapping (EPX-206): a forged copy of the document takes the original's
    place, and the signed original is moved, signature and all, into an extra element
    appended to the forged root. ``forge`` edits the forged copy (by default
    :func:`_forge_first_text`)."""
    forged = without_signature(signed)
    (forge or _forge_first_text)(forged)
    wrapper = etree.SubElement(forged, qname(WRAPPER_NS, "Wrapper"), nsmap={"w": WRAPPER_NS})
    wrapper.append(_copy(signed))
    return forged


def wrapped_in_object(signed: etree._Element, forge: Callable[[etree._Element], None] | None = None
                      ) -> etree._Element:
    """Signature wrapping through ``ds:Object`` (EPX-206): the forged document ends with the
    original signature, and the signed original hides in a ``ds:Object`` inside it."""
    forged = without_signature(signed)
    (forge or _forge_first_text)(forged)
    signature = _copy(_signature(signed))
    holder = etree.SubElement(signature, qname(DS, "Object"))
    holder.append(without_signature(signed))
    forged.append(signature)
    return forged


FORGED_MARK = "FORGED"


def _forge_first_text(document: etree._Element) -> None:
    for element in document.iter():
        if isinstance(element.tag, str) and (element.text or "").strip():
            element.text = FORGED_MARK
            return


def _signature(document: etree._Element) -> etree._Element:
    signature = document.find(SIGNATURE)
    if signature is None:
        raise ValueError("the document has no ds:Signature as a child of its root; sign it first")
    return signature


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))
