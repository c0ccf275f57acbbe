"""The feature files' phrases for flawed documents and deliveries, and what each one does.

The flaws themselves live in the library: :mod:`epix.mutations` (documents),
:mod:`epix.signing.faults` (signatures) and :class:`epix.transport.EnvelopeOptions`
(envelopes). These tables only name them in the words the scenarios use, so a Task
Force member reads "with a source code "K" that is not in the CITES list" where the
code applies ``with_source_code("K")``, and "in an envelope created 23 hours ago" where
it sets the envelope's creation time. Each table is a list of (pattern, maker): the
first pattern that matches the whole phrase wins, and its maker is given the pattern's
groups (the makers of delivery phrases first the draft and the world).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from epix import clock, mutations, safexml
from epix.hubtest import answers
from epix.hubtest.adapters import Reply
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES, PermitFacts
from epix.namespaces import DS, EPX, qname
from epix.signing import faults, sign
from epix.transport import Draft, EnvelopeOptions
from steps.drafts import DocumentChange, draft_of, new_number
from steps.sending import DeliveryOptions, deliver
from steps.world import World

#: A well-formed party ID that no pilot uses: an unknown recipient (ENV-12).
UNKNOWN_PARTY = "QZ"
#: What "about 10 MiB" aims at (ENV-04): just under it, with room for the envelope.
_TEN_MIB = 10 * 1024 * 1024


#: Makes what a phrase names, from the groups of its pattern.
_Maker = Callable[..., object]


class UnknownPhrase(LookupError):
    """A feature file uses a phrase the steps do not know (a harness error, not the partner's)."""


def _m(mutation: mutations.Mutation) -> DocumentChange:
    return DocumentChange(mutate=mutation.apply)


def _signed_with(kind: str) -> DocumentChange:
    def signer(document: etree._Element, world: World) -> etree._Element:
        return faults.sign_unchecked(document, world.negative_key(kind), signature_method=SignatureMethod.RSA_SHA256,
                                     digest=DigestAlgorithm.SHA256)
    return DocumentChange(signer=signer)


def _after_signing(change: Callable[[etree._Element], etree._Element]) -> DocumentChange:
    return DocumentChange(signer=lambda document, world: change(sign(document, world.signing_key)))


def _without_key_info(signed: etree._Element) -> etree._Element:
    signature = signed.find(qname(DS, "Signature"))
    key_info = signature.find(qname(DS, "KeyInfo"))
    signature.remove(key_info)
    return signed


def _without_origin_permit(facts: PermitFacts) -> None:
    facts.items[0].origin_permit_id = None
    facts.items[0].origin_permit_date = None


def _replacing(number_in: Callable[[World], str]) -> DocumentChange:
    """Delivered as the replacement (DOC-09) of the document ``number_in(world)`` names."""
    return DocumentChange(mutate_with=lambda document, world: mutations.with_replacement_of(number_in(world))
                          .apply(document), status="replaced")


def _a_document_of_the_partner(world: World) -> str:
    """One of the partner's own test documents: the partner holds it from itself, not from us."""
    return world.take_document("issued", fresh=False).number


def _delivered_earlier(world: World) -> str:
    """A permit of ours, delivered to the partner now, so that it holds it from us."""
    earlier = draft_of(world, "export-permit", world.us.party)
    deliver(world, earlier)
    return earlier.number


def _never_delivered(world: World) -> str:
    """A number of ours the partner never saw, written as the partner's country would number a
    permit: only a receiver that guesses the issuer from the number would call it foreign."""
    return new_number(world.partner.party)


def _about_ten_mib(facts: PermitFacts) -> None:
    """Special conditions (box 5) that bring the envelope just under 10 MiB."""
    line = "Special condition: " + "x" * 1000
    base = len(safexml.to_bytes(build_permit(facts)))
    count = (_TEN_MIB - base - 16 * 1024) // (len(line) + 60)
    facts.special_conditions = [line] * count


_DOCUMENT_PHRASES: list[tuple[str, Callable[..., DocumentChange]]] = [
    (r'with a source code "(?P<v>[^"]*)".*', lambda v: _m(mutations.with_source_code(v))),
    (r'with a purpose code "(?P<v>[^"]*)".*', lambda v: _m(mutations.with_purpose(v))),
    (r'with an appendix "(?P<v>[^"]*)".*', lambda v: _m(mutations.with_appendix(v))),
    (r'with a unit "(?P<v>[^"]*)".*', lambda v: _m(mutations.with_unit(v))),
    (r'with an importer\'s country "(?P<v>[^"]*)".*', lambda v: _m(mutations.with_importer_country(v))),
    (r"with a validity of (?P<v>\d+) months", lambda v: _m(mutations.with_validity_months(int(v)))),
    (r"with a validity that starts after it ends", lambda: _m(mutations.with_valid_from_after_until())),
    (r"with an issue date in the future", lambda: _m(mutations.with_issue_date_in_future())),
    (r"with the exporter in another country", lambda: _m(mutations.with_exporter_country("DE"))),
    (r"with the importer in another country", lambda: _m(mutations.with_importer_country("DE"))),
    (r"without the country of origin of its item", lambda: _m(mutations.without_origin_on_reexport())),
    (r"without the origin permit of its item", lambda: DocumentChange(facts=_without_origin_permit)),
    (r"for a wild Appendix-I specimen with the commercial purpose",
     lambda: _m(mutations.with_appendix_i_wild_commercial())),
    (r"with an item ID that contains white space", lambda: _m(mutations.with_item_id("A B"))),
    (r"with two items that have the same ID", lambda: _m(mutations.with_duplicate_item_id())),
    (r"as a replacement that does not name the document it replaces", lambda: DocumentChange(status="replaced")),
    (r"as a replacement of a document that another authority issued",
     lambda: _replacing(_a_document_of_the_partner)),
    (r"as a replacement of a document that we delivered to it earlier", lambda: _replacing(_delivered_earlier)),
    (r"as a replacement of a document of ours that it never received", lambda: _replacing(_never_delivered)),
    (r'with the scientific name "(?P<v>[^"]*)"', lambda v: _m(mutations.with_scientific_name(v))),
    (r'with the business process "(?P<v>[^"]*)"', lambda v: _m(mutations.with_business_process(v))),
    (r"without the scientific name of its item", lambda: _m(mutations.without_element("items.scientific_name"))),
    (r"with an issue date that is not a date", lambda: _m(mutations.with_malformed_issue_date())),
    (r"with special conditions that make the delivery about 10 MiB long", lambda: DocumentChange(facts=_about_ten_mib)),
    # signatures
    (r"without a signature", lambda: DocumentChange(signer=lambda document, world: document)),
    (r"changed after it was signed", lambda: _after_signing(faults.with_tampered_content)),
    (r"signed with a 1024-bit RSA key", lambda: _signed_with("rsa1024")),
    (r"signed with the SHA-1 digest",
     lambda: DocumentChange(signer=lambda document, world: faults.sign_with_sha1(document, world.negative_key("sha1")))),
    (r"signed without the signing certificate in the signature", lambda: _after_signing(_without_key_info)),
    (r"signed by a certificate from a CA that the partner does not trust", lambda: _signed_with("foreign-ca")),
    (r"signed by a certificate that had expired", lambda: _signed_with("expired")),
    (r"signed by a certificate that was not yet valid", lambda: _signed_with("not-yet-valid")),
    (r"signed by a certificate that was revoked", lambda: _signed_with("revoked")),
    (r"with the signed permit wrapped inside a forged one", lambda: _after_signing(faults.wrapped)),
    (r"with a signature whose reference covers only part of the document",
     lambda: DocumentChange(signer=lambda document, world: faults.sign_by_id(document, world.signing_key))),
]


def document_change(phrase: str) -> DocumentChange:
    """The change a phrase of a Given step names (``with a validity of 7 months``)."""
    found = _lookup(_DOCUMENT_PHRASES, phrase)
    if found is None:
        raise UnknownPhrase(f"the steps know no document change called {phrase!r}")
    make, groups = found
    return make(*groups)


def _lookup(table: list[tuple[str, _Maker]], phrase: str) -> tuple[_Maker, tuple[str, ...]] | None:
    """The maker of the first pattern of ``table`` that matches the whole phrase, and the pattern's groups."""
    for pattern, make in table:
        match = re.fullmatch(pattern, phrase.strip())
        if match:
            return make, match.groups()
    return None


# ---------------------------------------------------------------------------
# Deliveries: "we deliver it to the partner <phrase>"

def remove_header_element(name: str) -> Callable[[etree._Element], None]:
    def change(envelope: etree._Element) -> None:
        header = envelope.find(qname(EPX, "Header"))
        header.remove(header.find(qname(EPX, name)))
    return change


def set_header_element(name: str, value: str) -> Callable[[etree._Element], None]:
    def change(envelope: etree._Element) -> None:
        envelope.find(f"{qname(EPX, 'Header')}/{qname(EPX, name)}").text = value
    return change


def add_header_element(envelope: etree._Element) -> None:
    header = envelope.find(qname(EPX, "Header"))
    etree.SubElement(header, qname(EPX, "Priority")).text = "high"


def second_payload_document(envelope: etree._Element) -> None:
    import copy

    payload = envelope.find(qname(EPX, "Payload"))
    payload.append(copy.deepcopy(payload[0]))


ENVELOPE_FLAWS: dict[str, Callable[[etree._Element], None]] = {
    "no message ID": remove_header_element("MessageID"),
    "a message ID that is not a UUID": set_header_element("MessageID", "message-42"),
    "two documents in the payload": second_payload_document,
    "a header element the profile does not define": add_header_element,
}


def not_well_formed(body: bytes) -> bytes:
    return body[: len(body) // 2]


def with_dtd_and_entity(body: bytes) -> bytes:
    """The body with a DOCTYPE that declares an entity, used in the document (never to be expanded)."""
    text = body.decode("utf-8")
    declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    doctype = '\n<!DOCTYPE Envelope [ <!ENTITY stamp "expanded-entity"> ]>'
    text = text[:declaration_end] + doctype + text[declaration_end:]
    return text.replace("</epx:MessageID>", "&stamp;</epx:MessageID>", 1).encode("utf-8")


def created(when: str):  # noqa: ANN201
    """``23 hours ago``, ``24 hours and 10 minutes from now`` -> the moment."""
    match = re.fullmatch(r"(?P<h>\d+) hours?(?: and (?P<m>\d+) minutes?)? (?P<dir>ago|from now)", when.strip())
    if not match:
        raise UnknownPhrase(f"the steps cannot read the moment {when!r}")
    delta = timedelta(hours=int(match["h"]), minutes=int(match["m"] or 0))
    return clock.now() - delta if match["dir"] == "ago" else clock.now() + delta


def _envelope(**departures: object) -> DeliveryOptions:
    return DeliveryOptions(envelope=EnvelopeOptions(**departures))


def _envelope_flaw(flaw: str) -> DeliveryOptions:
    if flaw not in ENVELOPE_FLAWS:
        raise UnknownPhrase(f"the steps know no envelope with {flaw!r}")
    return _envelope(change_envelope=ENVELOPE_FLAWS[flaw])


def _other_document_type(draft: Draft) -> str:
    return next(t for t in PERMIT_TYPES.values() if t != draft.document_type)


def _as_another_party(world: World) -> DeliveryOptions:
    other = world.another_party()
    return DeliveryOptions(envelope=EnvelopeOptions(sender=other), header_party=other)


_DELIVERY_PHRASES: list[tuple[str, Callable[..., DeliveryOptions]]] = [
    (r'labelled as "(?P<v>[^"]*)"', lambda draft, world, v: DeliveryOptions(content_type=v)),
    (r"as a body that is not well-formed XML", lambda draft, world: _envelope(change_body=not_well_formed)),
    (r"addressed to a party the partner does not know", lambda draft, world: _envelope(recipient=UNKNOWN_PARTY)),
    (r'with a source code "(?P<v>[^"]*)" in the permit',
     lambda draft, world, v: DeliveryOptions(document=_m(mutations.with_source_code(v)))),
    (r"in an envelope with (?P<v>.+)", lambda draft, world, v: _envelope_flaw(v)),
    (r"in an envelope whose sender is that other party",
     lambda draft, world: _envelope(sender=world.another_party())),
    (r"in an envelope created (?P<v>.+)", lambda draft, world, v: _envelope(created_at=created(v))),
    (r'in an envelope whose document status is "(?P<v>[^"]*)"',
     lambda draft, world, v: _envelope(document_status=v)),
    (r"in an envelope whose document number differs from the document",
     lambda draft, world: _envelope(document_number=new_number(draft.issuer))),
    (r"in an envelope whose document type differs from the document",
     lambda draft, world: _envelope(document_type=_other_document_type(draft))),
    (r"with the test header naming that other party", lambda draft, world: _as_another_party(world)),
    (r"in a body that declares a document type definition with an entity",
     lambda draft, world: _envelope(change_body=with_dtd_and_entity)),
]


def delivery_options(phrase: str, draft: Draft, world: World) -> DeliveryOptions:
    """How a phrase of a When step has ``draft`` delivered (``in an envelope created 23 hours
    ago``); no phrase: a correct delivery."""
    if not phrase.strip():
        return DeliveryOptions()
    found = _lookup(_DELIVERY_PHRASES, phrase)
    if found is None:
        raise UnknownPhrase(f"the steps know no way to deliver {phrase!r}")
    make, groups = found
    return make(draft, world, *groups)


# ---------------------------------------------------------------------------
# A hub under test (PULL-06): "<caller> asks the hub …", "the adapter behind the hub <phrase>"

_HUB_CALLERS: dict[str, str] = {
    "we": "us",
    "a caller without a client certificate": "none",
    "a caller whose country has no Management Authority registered at the hub": "unregistered",
    "a registered caller that the adapter does not accept": "disallowed",
}

_ADAPTER_ANSWERS: dict[str, Callable[[World], Callable[[bytes], Reply]]] = {
    "answers every request": lambda world: answers.responding(
        world.hub_rig().country, world.us.party, world.hub_rig().settings),
    "does not answer within the hub's timeout": lambda world: answers.responding(
        world.hub_rig().country, world.us.party, world.hub_rig().settings, delay=world.hub_rig().silence),
    "refuses every request with a fault": lambda world: answers.refusing(),
}


def hub_caller(phrase: str, world: World) -> str:
    """The identity (:meth:`World.tls`) of the caller a phrase names ("a caller without a client certificate")."""
    if phrase not in _HUB_CALLERS:
        raise UnknownPhrase(f"the steps know no caller of a hub called {phrase!r}")
    return world.hub_identity(_HUB_CALLERS[phrase])


def adapter_answer(phrase: str, world: World) -> Callable[[bytes], Reply]:
    """How the harness's adapters answer, as a phrase says ("refuses every request with a fault")."""
    if phrase not in _ADAPTER_ANSWERS:
        raise UnknownPhrase(f"the steps know no way for the adapter to answer called {phrase!r}")
    return _ADAPTER_ANSWERS[phrase](world)
