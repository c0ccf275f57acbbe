"""Realistic sample documents that pass every rule of the profile.

:func:`sample_permit` makes the facts of a valid permit of each of the four types, dated
relative to ``issued_at`` (or :func:`epix.clock.now`). ``python -m epix.samples DIR``
writes the sample files, with fixed dates, into DIR: each function of :data:`WRITERS`
writes its own files.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from epix import clock
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES, IssuingAuthority, ItemFacts, PermitFacts, TradeParty
from epix.safexml import to_bytes

#: The issue date of the sample files.
SAMPLE_ISSUED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
BUSINESS_PROCESS = "CITES PERMITTING"

_TYPE_CODES = {kind: code for code, kind in PERMIT_TYPES.items()}
#: Days of validity: within 6 months (export, re-export, other) and 12 months (import).
_VALIDITY_DAYS = {"E": 180, "R": 180, "O": 180, "I": 360}
_SEQUENCE = {"E": 123, "R": 124, "I": 125, "O": 126}
_AUTHORITIES = {
    "CH": ("Federal Food Safety and Veterinary Office FSVO, CITES Management Authority", "Bern"),
    "FR": ("Ministère de la Transition écologique, Autorité de gestion CITES", "La Défense"),
    "DE": ("Bundesamt für Naturschutz, CITES-Vollzugsbehörde", "Bonn"),
}
_TRADERS = {
    "CH": ("Reptilia Zoofachhandel AG", "Industriestrasse 12, 8604 Volketswil"),
    "FR": ("Terrariophilie Rhône SARL", "14 rue des Tanneurs, 69002 Lyon"),
    "DE": ("Reptilien Kaiser GmbH", "Hafenstrasse 8, 53111 Bonn"),
}
#: The parties of a scientific exchange (other certificate).
_INSTITUTIONS = {
    "CH": ("Conservatoire et Jardin botaniques de Genève", "Chemin de l'Impératrice 1, 1292 Chambésy"),
    "FR": ("Muséum national d'Histoire naturelle", "57 rue Cuvier, 75005 Paris"),
    "DE": ("Botanischer Garten Bonn", "Meckenheimer Allee 171, 53115 Bonn"),
}

_PURPOSES = {"E": "T", "R": "T", "I": "T", "O": "S"}
_CONDITIONS = {
    "E": ("Live animals to be transported in accordance with the IATA Live Animals Regulations.",),
    "R": ("Re-export of specimens imported under the origin permits named in box 12.",),
    "I": ("Specimens to be kept at the address of the importer named in box 3.",),
    "O": ("Scientific exchange between registered institutions; herbarium material only.",),
}
# (scientific name, common name, description, term code, appendix, source, quantity, unit)
_SPECIMENS = {
    "E": [
        ("Python regius", "Ball python", "live captive-bred specimens", "LIV", "II", "C", "12", "PCS"),
        ("Chamaeleo calyptratus", "Veiled chameleon", "live captive-bred specimens", "LIV", "II", "C", "20", "PCS"),
    ],
    "R": [
        ("Python regius", "Ball python", "live ranched specimens", "LIV", "II", "R", "12", "PCS"),
        ("Crocodylus niloticus", "Nile crocodile", "leather handbags", "LPS", "II", "R", "25", "PCS"),
    ],
    "I": [
        ("Testudo graeca", "Spur-thighed tortoise", "live captive-bred specimens", "LIV", "II", "C", "4", "PCS"),
        ("Varanus exanthematicus", "Savannah monitor", "live captive-bred specimens", "LIV", "II", "C", "2", "PCS"),
    ],
    "O": [
        ("Cypripedium calceolus", "Lady's slipper orchid", "dried herbarium specimens", "DPL", "II", "A", "15", "PCS"),
        ("Nepenthes spp.", "Tropical pitcher plants", "dried herbarium specimens", "DPL", "II", "A", "0.250", "KGM"),
    ],
}
#: Re-export certificates: the country of origin and the origin permit's number (box 12).
_ORIGINS = [("GH", "GH-2026-CITES-0456"), ("ZW", "ZW/2026/EX/0789")]


def sample_permit(
    kind: str = "export-permit",
    *,
    number: str | None = None,
    issuer: str = "CH",
    partner: str = "FR",
    issued_at: datetime | None = None,
    items: int = 1,
    **overrides: object,
) -> PermitFacts:
    """The facts of a valid permit of ``kind`` (``export-permit``, ``re-export-certificate``,
    ``import-permit``, ``other-certificate``) issued by the party ``issuer`` for trade with
    ``partner``, with ``items`` items (IDs A, B … Z, AA …).

    It passes DOC-01 to DOC-11: validity within the limit of its type, the issuer's
    country is the exporter's (export, re-export, other) or the importer's (import),
    origin country and origin permit on every item of a re-export certificate.
    ``overrides`` replace top-level facts (``purpose="Z"``, ``valid_until=...``).
    """
    type_code = _TYPE_CODES.get(kind)
    if type_code is None:
        raise ValueError(f"unknown permit kind {kind!r}; expected one of {', '.join(_TYPE_CODES)}")
    if items < 1:
        raise ValueError("a permit has at least one item")
    issued_at = (issued_at or clock.now()).astimezone(timezone.utc).replace(microsecond=0)
    country, partner_country = _country(issuer), _country(partner)
    authority, place = _AUTHORITIES.get(country, (f"CITES Management Authority of {country}", None))
    ours, theirs = _party(country, type_code), _party(partner_country, type_code)
    importer, exporter = (ours, theirs) if type_code == "I" else (theirs, ours)
    facts = PermitFacts(
        business_process=BUSINESS_PROCESS,
        number=number or f"{issued_at:%y}{country}{_SEQUENCE[type_code]:06d}",
        type_code=type_code,
        copy=False,
        issued_at=issued_at,
        place_of_issue=place,
        purpose=_PURPOSES[type_code],
        special_conditions=list(_CONDITIONS[type_code]),
        valid_from=issued_at,
        valid_until=issued_at + timedelta(days=_VALIDITY_DAYS[type_code]),
        security_stamp=f"{country}-{issued_at:%Y}-{_SEQUENCE[type_code]:07d}",
        issuer=IssuingAuthority(party_id=issuer, name=authority, country=country),
        importer=importer,
        exporter=exporter,
        items=[_item(type_code, index, issued_at) for index in range(items)],
    )
    try:
        return dataclasses.replace(facts, **overrides)
    except TypeError:
        known = ", ".join(f.name for f in dataclasses.fields(PermitFacts) if f.name != "paths")
        raise TypeError(f"unknown permit fact in {sorted(overrides)}; facts are {known}") from None


def with_every_optional_part(facts: PermitFacts) -> PermitFacts:
    """A copy of ``facts`` with every optional part of the message filled, as on a final,
    endorsed permit: transport document, export endorsement, and on each item marks,
    quota, origin and last re-export, and the quantity actually traded (all of it)."""
    facts = dataclasses.replace(facts, items=[dataclasses.replace(i, marks=list(i.marks)) for i in facts.items])
    issued_at = facts.issued_at or SAMPLE_ISSUED_AT
    facts.copy = False if facts.copy is None else facts.copy
    facts.transport_document = facts.transport_document or "AWB 724-12345675"
    facts.endorsement_date = facts.endorsement_date or issued_at + timedelta(days=10)
    facts.endorsement_location = facts.endorsement_location or "CH-ZRH"
    for item in facts.items:
        item.marks = item.marks or [f"{facts.number}-{item.id}-1", f"{facts.number}-{item.id}-2"]
        item.annual_quota = Decimal(500) if item.annual_quota is None else item.annual_quota
        item.used_quota = Decimal(120) if item.used_quota is None else item.used_quota
        if item.origin_country is None:
            item.origin_country, item.origin_permit_id = _ORIGINS[0]
            item.origin_permit_date = issued_at - timedelta(days=200)
        item.reexport_country = item.reexport_country or "DE"
        item.reexport_certificate_id = item.reexport_certificate_id or "26DE000042"
        if item.inspected_quantity is None:
            item.inspected_quantity, item.inspected_unit = item.quantity, item.unit
    return facts


def _item(type_code: str, index: int, issued_at: datetime) -> ItemFacts:
    specimens = _SPECIMENS[type_code]
    scientific, common, description, term, appendix, source, quantity, unit = specimens[index % len(specimens)]
    item = ItemFacts(
        id=_item_id(index), scientific_name=scientific, common_name=common, description=description,
        term_code=term, appendix=appendix, source=source, quantity=Decimal(quantity), unit=unit,
    )
    if type_code == "R":
        item.origin_country, item.origin_permit_id = _ORIGINS[index % len(_ORIGINS)]
        item.origin_permit_date = issued_at - timedelta(days=200)
    return item


def _item_id(index: int) -> str:
    """A, B … Z, AA, AB …: the pilot's item IDs."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _country(party: str) -> str:
    return party.split("-", 1)[0]


def _party(country: str, type_code: str) -> TradeParty:
    parties = _INSTITUTIONS if type_code == "O" else _TRADERS
    name, address = parties.get(country, (f"Registered trader in {country}", None))
    return TradeParty(name=name, country=country, address=address)


def write_permit_samples(directory: Path) -> list[Path]:
    """The four permit samples, unsigned, issued :data:`SAMPLE_ISSUED_AT` by CH for FR."""
    written = []
    for kind in PERMIT_TYPES.values():
        path = directory / f"{kind}.xml"
        path.write_bytes(to_bytes(build_permit(sample_permit(kind, issued_at=SAMPLE_ISSUED_AT)), pretty=True))
        written.append(path)
    return written


#: Each writer puts its sample files into the directory and returns their paths.
WRITERS: list[Callable[[Path], list[Path]]] = [write_permit_samples]


# ----- Samples of binding B's messages and of binding A's SOAP messages ---------------
# Unsigned, with fixed dates: the values of the examples in profile sections 5 and 6,
# about the export permit sample (26CH000123, issued by CH for FR).

SAMPLE_MESSAGE_ID = "0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10"
SAMPLE_ACK_MESSAGE_ID = "0192f7a1-0c55-7d0e-8a3c-77b6c1f0a001"
SAMPLE_SENT_AT = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
SAMPLE_TOKEN = "K7Q2-9XWD-4M3P"


def write_message_samples(directory: Path) -> list[Path]:
    """Binding B: ``envelope.xml`` (carrying the export permit sample), ``acknowledgement.xml``,
    ``usage-report.xml`` (the export permit used at the border), ``cancellation.xml`` (of the
    import permit sample) and ``status.xml``."""
    from epix import PROFILE_VERSION
    from epix.messages.acknowledgement import build_acknowledgement
    from epix.messages.cancellation import build_cancellation
    from epix.messages.envelope import build_envelope
    from epix.messages.status import build_status
    from epix.messages.usage import build_usage_report
    from epix.model import DOCUMENT_TYPES, Acknowledgement, Cancellation, EnvelopeHeader, Position, Status, UsageReport

    permit = sample_permit("export-permit", issued_at=SAMPLE_ISSUED_AT)
    header = EnvelopeHeader(
        message_id=SAMPLE_MESSAGE_ID, sender="CH", recipient="FR", document_type="export-permit",
        document_number=permit.number, document_status="issued", created_at=SAMPLE_SENT_AT,
        reply_to="https://epix.example.ch/epix/v1",
    )
    acknowledgement = Acknowledgement(
        message_id=SAMPLE_ACK_MESSAGE_ID, ref_to_message_id=SAMPLE_MESSAGE_ID, sender="FR", recipient="CH",
        status="Accepted", created_at=SAMPLE_SENT_AT + timedelta(seconds=1),
    )
    usage = UsageReport(
        document_id=header.document_number, issuing_party="CH", reporting_party="FR",
        usage_date=(SAMPLE_SENT_AT + timedelta(days=4)).date(),
        customs_office="FR-CDG Paris-Charles de Gaulle airport customs", transport_document="057-12345675",
        positions=[Position(item.id or "", item.quantity or Decimal(0), item.unit) for item in permit.items],
    )
    cancellation = Cancellation(
        document_id=sample_permit("import-permit", issued_at=SAMPLE_ISSUED_AT).number, issuing_party="CH",
        reason_code="error", cancelled_at=SAMPLE_SENT_AT + timedelta(days=3),
        reason_text="Issued in error: the applicant withdrew the application before the import.",
    )
    documents = {
        "envelope.xml": build_envelope(header, build_permit(permit)),
        "acknowledgement.xml": build_acknowledgement(acknowledgement),
        "usage-report.xml": build_usage_report(usage),
        "cancellation.xml": build_cancellation(cancellation),
        "status.xml": build_status(Status("CH", PROFILE_VERSION, list(DOCUMENT_TYPES))),
    }
    return _write_samples(directory, {name: to_bytes(root, pretty=True) for name, root in documents.items()})


def write_binding_a_samples(directory: Path) -> list[Path]:
    """Binding A, in ``DIR/binding-a/``: ``<Operation>-request.xml`` and ``<Operation>-response.xml``
    for the four operations in the deployed form (3.1) with the default namespaces, and
    ``fault.xml`` (a PULL-04 refusal)."""
    from epix.messages.soap import OPERATIONS, Attachment, SoapSettings, build_fault, build_request, build_response
    from epix.model import AckError, Position
    from epix.safexml import parse

    settings = SoapSettings()
    permit = sample_permit("export-permit", issued_at=SAMPLE_ISSUED_AT)
    used = sample_permit("export-permit", issued_at=SAMPLE_ISSUED_AT)
    used.items[0].inspected_quantity, used.items[0].inspected_unit = used.items[0].quantity, used.items[0].unit
    parameters = {"number": permit.number, "token": SAMPLE_TOKEN, "country": "CH"}
    confirmed = [Position(item.id, item.quantity) for item in permit.items]
    responses = {
        "GetNonFinalCitesCertificate": {
            "permit": build_permit(permit),
            "attachments": [Attachment(f"{permit.number}-conditions.txt", "\n".join(permit.special_conditions).encode())],
        },
        "GetFinalCitesCertificate": {
            "permit": build_permit(used),
            "attachments": [Attachment(f"{permit.number}.pdf", reference=f"cid:{permit.number}-pdf")],
        },
        "ConfirmQuantities": {"text": "Quantities confirmed"},
        "ServiceState": {"text": "available"},
    }
    messages: dict[str, bytes] = {}
    for op in OPERATIONS:
        messages[f"{op}-request.xml"] = build_request(
            op, settings, positions=confirmed, **(parameters if op != "ServiceState" else {})
        )
        messages[f"{op}-response.xml"] = build_response(op, settings, **responses[op])
    messages["fault.xml"] = build_fault("soap:Client", "ID must be a token", AckError(
        "EPX-101", "position ID 'A B' contains white space",
        location="/soap:Envelope/soap:Body/cde:ConfirmQuantitiesRequest/ConfirmedQuantities/CitesPosition/ID",
    ))
    folder = directory / "binding-a"
    folder.mkdir(parents=True, exist_ok=True)
    return _write_samples(folder, {name: to_bytes(parse(data), pretty=True) for name, data in messages.items()})


def _write_samples(directory: Path, files: dict[str, bytes]) -> list[Path]:
    written = []
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


WRITERS.extend([write_message_samples, write_binding_a_samples])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m epix.samples DIR", file=sys.stderr)
        return 2
    directory = Path(args[0])
    directory.mkdir(parents=True, exist_ok=True)
    for writer in WRITERS:
        for path in writer(directory):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
