"""What to do about a failure, one sentence per requirement family, for the statement.

The failed scenario's own message says what went wrong (one sentence, secrets masked);
this says where to look. English msgids, translated by the catalogues.
"""

from __future__ import annotations

from epix.i18n import N_, translator

FIXES: dict[str, str] = {
    "PULL": N_("Check the adapter against section 3.1: call it as the deployed hub does (the same SOAP request "
               "and SOAPAction), and compare its answer and faults with the spec's examples."),
    "CALL": N_("Check the importing system's calls to the hub against section 3.2: the request's form, "
               "the checks of the permit it receives, and its retries."),
    "ENV": N_("Check the endpoint's HTTPS set-up and the envelope checks of sections 4 and 5, in the order "
              "of section 9, with the error code each one names."),
    "ACK": N_("Check the acknowledgements of section 6: schema, references, status, HTTP status and "
              "the receiver's signature on each one."),
    "SIG": N_("Check the signing certificate and the signature algorithm: RSA-SHA256 or ECDSA-SHA256 with "
              "exclusive canonicalisation, the certificate in KeyInfo, chained to the registered trust "
              "anchor and not revoked."),
    "DOC": N_("Check the permit against its schema, the code lists and the CITES rules of the permit "
              "document specification."),
    "ERR": N_("Check the rejections: the error code of the table that fits best, no change of state after "
              "a rejection, and a readable text with the location."),
    "LIF": N_("Check the permit lifecycle: states, quantities used, cancellations and the status resource, "
              "as the lifecycle section says."),
    "HUB": N_("Check the hub's tracking of deliveries against section 8."),
    "OUT": N_("Check what the MA sends against section 11: valid signed envelopes, retries with the same "
              "bytes, and its handling of acknowledgements."),
}
#: For a scenario the harness could not carry out: not the party's defect.
BROKEN_FIX = N_("The harness could not carry out this check: read the message, fix the set-up (profile, "
                "certificates, network) and run it again; it says nothing about the party yet.")


def fix_for(requirement: str, lang: str) -> str:
    """The fix sentence for a failure of ``requirement`` (``SIG-02``) in ``lang``."""
    _ = translator(lang)
    family = requirement.split("-", 1)[0]
    return _(FIXES[family]) if family in FIXES else ""


def broken_fix(lang: str) -> str:
    return translator(lang)(BROKEN_FIX)
