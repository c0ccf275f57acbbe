"""A short title for every requirement ID of the spec, in each language of :mod:`epix.i18n`.

The titles are written by hand from the spec's sentence (``docs/spec/*.md``); the English
one is the gettext msgid, the catalogues carry the French and Spanish ones.
``tests/test_i18n.py`` checks that every ID of the spec has one in each language.
"""

from __future__ import annotations

from epix.i18n import N_, translator

TITLES: dict[str, str] = {
    # 3.1 The adapter interface (binding A)
    "PULL-01": N_("ServiceState answers within the adapter timeout"),
    "PULL-02": N_("A permit is returned for its number and token"),
    "PULL-03": N_("An unknown number or wrong token reveals nothing"),
    "PULL-04": N_("A missing or malformed parameter is a Client fault"),
    "PULL-05": N_("Only the hub and registered callers are served"),
    "PULL-06": N_("The hub checks callers and relays answers unchanged"),
    "PULL-07": N_("The final permit shows the confirmed quantities"),
    "PULL-08": N_("Confirming quantities follows the lifecycle rules"),
    "PULL-09": N_("SOAP answers use text/xml and the right HTTP status"),
    "PULL-10": N_("A returned permit is signed when signing is claimed"),
    "PULL-11": N_("The request is accepted as the deployed hub sends it"),
    "PULL-12": N_("Another country's code is a Client fault"),
    # 3.2 The importing system calling the hub (binding A)
    "CALL-01": N_("Requests to the hub have the hub interface's form"),
    "CALL-02": N_("The permit asked for is fetched and accepted"),
    "CALL-03": N_("A permit that fails a check is not accepted"),
    "CALL-04": N_("Quantities are confirmed after the fetch, per item"),
    "CALL-05": N_("Hub faults are refusals; retries are limited"),
    "CALL-06": N_("The caller waits the adapter timeout plus 2 seconds"),
    "CALL-07": N_("The caller verifies the hub's TLS certificate"),
    # 4 Transport and resources (binding B)
    "ENV-01": N_("HTTPS with TLS 1.2 or newer"),
    "ENV-02": N_("Mutual TLS identifies the sending party"),
    "ENV-03": N_("XML is sent as application/xml in UTF-8"),
    "ENV-04": N_("A body above the size limit is refused (EPX-103)"),
    "ENV-05": N_("Every non-2xx answer carries a rejection"),
    "ENV-06": N_("A repeat after a 5xx is the same message"),
    "LIF-01": N_("A permit can be retrieved with its state"),
    "LIF-02": N_("The status names the party, version and types"),
    # 5 The envelope
    "ENV-10": N_("The envelope is valid against its schema"),
    "ENV-11": N_("The sender is the authenticated party"),
    "ENV-12": N_("The receiver is the party addressed"),
    "ENV-13": N_("The creation time is UTC and recent"),
    "ENV-14": N_("The document type and status are supported"),
    "ENV-15": N_("The envelope's number and sender match the document"),
    # 6 Acknowledgements
    "ACK-01": N_("The acknowledgement is valid against its schema"),
    "ACK-02": N_("The acknowledgement refers to the delivered message"),
    "ACK-03": N_("The acknowledgement status and errors agree"),
    "ACK-04": N_("The acknowledgement is signed by the receiver"),
    "ACK-05": N_("The final acknowledgement comes within 60 seconds"),
    "ACK-06": N_("The HTTP status matches the acknowledgement"),
    "ACK-07": N_("A repeated delivery gets the same answer"),
    # 6 Error codes
    "ERR-01": N_("A rejection names the best-fitting error code"),
    "ERR-02": N_("A rejected envelope changes nothing"),
    "ERR-03": N_("Error texts are readable and point at the node"),
    # 7 Signatures
    "SIG-01": N_("Documents carry one enveloped XML signature"),
    "SIG-02": N_("Signature algorithms are strong enough; no SHA-1"),
    "SIG-03": N_("The signature carries its certificate"),
    "SIG-04": N_("The signing certificate is trusted and valid"),
    "SIG-05": N_("Only what the signature covers is used"),
    "SIG-06": N_("A revoked signing certificate is refused (EPX-204)"),
    # 8 Hub (binding B)
    "HUB-01": N_("The hub delivers to a reachable party"),
    "HUB-02": N_("The hub reports a delivery that failed"),
    "HUB-03": N_("The hub refuses an invalid header or recipient"),
    "HUB-04": N_("The hub forwards the payload unchanged"),
    # 11 Outbound
    "OUT-01": N_("What the MA sends is valid and signed"),
    "OUT-02": N_("The MA retries a 5xx with the same message"),
    "OUT-03": N_("The MA accepts the harness's acknowledgement"),
    # Permit documents
    "DOC-01": N_("The permit is valid against its schema"),
    "DOC-02": N_("Every coded value is in its code list"),
    "DOC-03": N_("The validity period is within the Convention's limits"),
    "DOC-04": N_("The validity dates are in order"),
    "DOC-05": N_("The exporter or importer is of the issuing country"),
    "DOC-06": N_("A re-export names each item's origin"),
    "DOC-07": N_("No commercial purpose for wild Appendix I specimens"),
    "DOC-08": N_("Item IDs are unique tokens"),
    "DOC-09": N_("A replacement names the document it replaces"),
    "DOC-10": N_("Scientific names are well formed"),
    "DOC-11": N_("The business process is CITES PERMITTING"),
    # Permit lifecycle
    "LIF-10": N_("A use names a known, valid document and items"),
    "LIF-11": N_("No item is used above its permitted quantity"),
    "LIF-12": N_("No use once every item is used in full"),
    "LIF-13": N_("Uses show in the document's state"),
    "LIF-20": N_("Only the issuer cancels a document"),
    "LIF-21": N_("A cancelled document says so and cannot be used"),
    "LIF-22": N_("Cancelling an unknown document is refused; a repeat changes nothing"),
}


def requirement_titles(lang: str) -> dict[str, str]:
    """Every requirement ID with its short title in ``lang``."""
    _ = translator(lang)
    return {requirement: _(title) for requirement, title in TITLES.items()}
