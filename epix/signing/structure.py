"""The shape SIG-01 and SIG-05 require of a signature, checked before any cryptography.

Exactly one ``ds:Signature`` in the document, as the last child of its root, holding no
``ds:Object``; one ``Reference`` with ``URI=""``; the transforms enveloped-signature
then exclusive canonicalisation. With this shape the signature covers the whole
document, so content moved or added around the signed tree cannot go unnoticed.
"""

from __future__ import annotations

from lxml import etree

from epix.namespaces import DS, qname
from epix.safexml import xpath_of

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
REQUIRED_TRANSFORMS = (ENVELOPED, EXCLUSIVE_C14N)

SIGNATURE = qname(DS, "Signature")
_SIGNED_INFO = qname(DS, "SignedInfo")
_REFERENCE = qname(DS, "Reference")
_TRANSFORMS = qname(DS, "Transforms")
_TRANSFORM = qname(DS, "Transform")
_OBJECT = qname(DS, "Object")


class StructureProblem(Exception):
    """The signature does not have the shape the profile requires."""

    def __init__(self, text: str, location: str | None = None, requirement: str = "SIG-01"):
        super().__init__(text)
        self.text = text
        self.location = location
        self.requirement = requirement


def signatures_in(root: etree._Element) -> list[etree._Element]:
    """Every ``ds:Signature`` in the document, the root included."""
    return list(root.iter(SIGNATURE))


def placed_signature(root: etree._Element, signatures: list[etree._Element]) -> etree._Element:
    """The one signature, if it is the last child of ``root``; :class:`StructureProblem` otherwise."""
    where = _name(root)
    if root.tag == SIGNATURE:
        raise StructureProblem("the document is itself a ds:Signature (an enveloping signature); the profile needs "
                               "an enveloped signature as the last child of the document's root", xpath_of(root))
    if len(signatures) > 1:
        places = ", ".join(xpath_of(s) for s in signatures)
        raise StructureProblem(f"the document holds {len(signatures)} ds:Signature elements ({places}); it must hold "
                               f"exactly one, as the last child of {where}", xpath_of(signatures[0]))
    signature = signatures[0]
    children = [child for child in root if isinstance(child.tag, str)]
    if children[-1] is not signature:
        raise StructureProblem(
            f"the signature is at {xpath_of(signature)}, not the last child of the root {where}: the signed content "
            "was moved or content was added after the signature (signature wrapping); the receiver acts only on "
            "what a signature at the end of the root covers", xpath_of(signature), "SIG-05")
    hidden = signature.find(_OBJECT)
    if hidden is not None:
        raise StructureProblem(
            "the signature carries a ds:Object, where wrapped content can hide (signature wrapping); "
            "the profile's enveloped signatures carry none", xpath_of(hidden), "SIG-05")
    return signature


def whole_document_reference(signature: etree._Element) -> etree._Element:
    """The single ``Reference``, if its ``URI`` is ``""``; :class:`StructureProblem` otherwise."""
    signed_info = signature.find(_SIGNED_INFO)
    if signed_info is None:
        raise StructureProblem("the signature has no ds:SignedInfo; it is not an XML signature", xpath_of(signature))
    references = signed_info.findall(_REFERENCE)
    if len(references) != 1:
        raise StructureProblem(f"the signature has {len(references)} ds:Reference elements; it must have exactly "
                               "one, with URI=\"\" (the whole document)", xpath_of(signed_info))
    reference = references[0]
    uri = reference.get("URI")
    if uri != "":
        shown = "no URI" if uri is None else f"URI={uri!r}"
        raise StructureProblem(f"the signature's reference has {shown}; it must be URI=\"\" so that the signature "
                               "covers the whole document, not a part that can be moved", xpath_of(reference))
    return reference


def check_transforms(reference: etree._Element) -> None:
    """Enveloped-signature then exclusive canonicalisation, nothing else."""
    transforms = reference.find(_TRANSFORMS)
    found = tuple(t.get("Algorithm") or "" for t in transforms.findall(_TRANSFORM)) if transforms is not None else ()
    if found != REQUIRED_TRANSFORMS:
        listed = ", ".join(found) if found else "none"
        raise StructureProblem(f"the reference's transforms are [{listed}]; they must be exactly [{ENVELOPED}, "
                               f"{EXCLUSIVE_C14N}] (enveloped signature, then exclusive canonicalisation)",
                               xpath_of(transforms if transforms is not None else reference))


def _name(element: etree._Element) -> str:
    return "<" + xpath_of(element).rsplit("/", 1)[-1] + ">"
