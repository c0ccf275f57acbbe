"""The fault switchboard: named faults, each breaking exactly one requirement of the profile.

A partner started with ``--fault NAME`` behaves as the profile says in every respect but
one. The harness's own tests run the conformance suite against each fault and expect the
scenarios of that requirement, and only those, to fail.

Some faults simply ignore what a check found (``ignores``: the finding codes, optionally
of one requirement, that the partner then overlooks); the others change one behaviour,
where the code asks :meth:`Faults.on`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from epix.findings import Finding


@dataclass(frozen=True)
class Fault:
    """One way to break one requirement: its name, the requirement ID, what it does."""

    name: str
    requirement: str
    sentence: str
    ignores: tuple[str, ...] = ()
    ignores_requirement: str | None = None
    #: The partner waits past a deadline in every exchange the fault concerns: a run
    #: against it takes longer (a test runner starts such runs first).
    waits: bool = False

    def overlooks(self, finding: Finding) -> bool:
        """Whether the partner, with this fault, overlooks ``finding``."""
        if finding.code not in self.ignores:
            return False
        return self.ignores_requirement is None or finding.requirement == self.ignores_requirement


def _doc_rule_faults() -> list[Fault]:
    rules = {
        "DOC-03": "the validity period limit (6 or 12 months, 3 years for some certificates)",
        "DOC-04": "the order of the dates and the issue date not in the future",
        "DOC-05": "the issuing party's country on the exporter (export) or importer (import)",
        "DOC-06": "the country of origin and origin permit on every re-exported item",
        "DOC-07": "no commercial purpose for wild Appendix-I specimens",
        "DOC-08": "item IDs being tokens, unique in the permit",
        "DOC-09": "a replacement naming the document it replaces, issued by the same party",
        "DOC-10": "the scientific name being a binomial, trinomial or 'Genus spp.'",
        "DOC-11": "the business process context 'CITES PERMITTING'",
    }
    return [
        Fault(f"skips-{rule.lower()}", rule, f"does not check {what}.", ignores=("EPX-303",), ignores_requirement=rule)
        for rule, what in rules.items()
    ]


CATALOGUE: tuple[Fault, ...] = (
    # Binding B: transport and envelope (section 4, 5)
    Fault("party-header-trusted", "ENV-02", "takes the sender from the EPIX-Party header even with mutual TLS on."),
    Fault("any-media-type", "ENV-03", "accepts a body of any Content-Type instead of refusing it with 415 EPX-102."),
    Fault("small-body-limit", "ENV-04", "refuses bodies over 1 MiB with 413, below the 10 MiB every receiver must accept."),
    Fault("bare-rejections", "ENV-05", "answers rejections with a plain-text body instead of a Rejected Acknowledgement."),
    Fault("retry-counted-twice", "ENV-06",
          "commits the first attempt of each delivery but answers it 503, then processes the retry as a new message."),
    Fault("envelope-schema-skipped", "ENV-10", "accepts an envelope that is not valid against the envelope schema.",
          ignores=("EPX-101",)),
    Fault("from-not-checked", "ENV-11", "accepts an envelope whose From is not the authenticated sender."),
    Fault("to-not-checked", "ENV-12", "accepts an envelope addressed to another party."),
    Fault("no-replay-window", "ENV-13", "accepts a CreationDateTime days away from its clock."),
    Fault("type-status-not-checked", "ENV-14", "accepts a DocumentStatus that does not go with the DocumentType.",
          ignores=("EPX-108",)),
    Fault("number-mismatch-accepted", "ENV-15",
          "accepts an envelope whose DocumentNumber or From disagrees with the document.",
          ignores=("EPX-302",), ignores_requirement="ENV-15"),
    # Acknowledgements (section 6)
    Fault("ack-schema-invalid", "ACK-01", "adds an element to its Acknowledgements that the envelope schema does not allow."),
    Fault("ack-wrong-reference", "ACK-02", "refers its Acknowledgements to a message ID that is not the delivered one."),
    Fault("accepted-with-error", "ACK-03", "puts an error of severity 'error' into Accepted Acknowledgements."),
    Fault("ack-unsigned", "ACK-04", "does not sign its Acknowledgements."),
    Fault("late-final-ack", "ACK-05",
          "answers 202 Received and makes the final Acknowledgement available only after the deadline.", waits=True),
    Fault("rejection-with-200", "ACK-06", "answers Rejected Acknowledgements with HTTP 200."),
    Fault("no-repeat-detection", "ACK-07", "processes a repeated message ID with the same bytes as a new message."),
    Fault("different-bytes-accepted", "ACK-07",
          "treats a repeated message ID with different bytes as a repeat instead of refusing it with 409 EPX-106."),
    # Signatures (section 7)
    Fault("unsigned-accepted", "SIG-01", "accepts a document that carries no signature.", ignores=("EPX-200",)),
    Fault("bad-digest-accepted", "SIG-01", "accepts a document whose digest or signature value does not verify.",
          ignores=("EPX-201",)),
    Fault("sha1-accepted", "SIG-02", "accepts signatures with SHA-1 or weak keys.", ignores=("EPX-205",)),
    Fault("ack-without-certificate", "SIG-03", "leaves the signing certificate out of its Acknowledgements' KeyInfo."),
    Fault("untrusted-signer-accepted", "SIG-04",
          "accepts signing certificates that do not chain to the sender's anchor or were not valid at signing time.",
          ignores=("EPX-202", "EPX-203"), ignores_requirement="SIG-04"),
    Fault("wrapping-accepted", "SIG-05", "acts on the document as received even when the signed tree was moved (signature wrapping).",
          ignores=("EPX-206",), ignores_requirement="SIG-05"),
    Fault("revocation-not-checked", "SIG-06", "accepts signing certificates that its sender's CRL revokes.",
          ignores=("EPX-204",)),
    # Documents (permit-document.md section 4)
    Fault("expands-entities", "DOC-01", "reads documents that declare a DTD and expands their internal entities."),
    Fault("document-schema-skipped", "DOC-01", "accepts a document that is not valid against its schema.",
          ignores=("EPX-300",)),
    Fault("codelists-skipped", "DOC-02", "accepts coded values that are not in their code lists.", ignores=("EPX-301",)),
    *_doc_rule_faults(),
    # Errors (section 6)
    Fault("wrong-code-for-untrusted-certificate", "ERR-01",
          "answers a signing certificate that does not chain to the sender's anchor with EPX-201 instead of EPX-202."),
    Fault("rejected-changes-state", "ERR-02", "keeps the document of an envelope it rejected, and counts rejected usage reports."),
    Fault("errors-without-sentences", "ERR-03", "writes only the code as the Text of its errors, and no Location."),
    # Document state (permit-document.md section 7)
    Fault("stale-permit-version", "LIF-01", "returns the first version of a document after it was replaced."),
    Fault("no-document-state-header", "LIF-01", "leaves the EPIX-Document-State header out of retrieved documents."),
    Fault("status-incomplete", "LIF-02", "does not list cancellation among its supported document types, though it accepts them."),
    Fault("usage-after-expiry-accepted", "LIF-10", "accepts usage on a date after the document expired.",
          ignores=("EPX-306",)),
    Fault("usage-over-quantity-accepted", "LIF-11", "accepts inspected quantities above the permitted quantity.",
          ignores=("EPX-305",)),
    Fault("usage-after-full-use-accepted", "LIF-12", "accepts usage reports for documents already used in full.",
          ignores=("EPX-308",)),
    Fault("usage-not-recorded", "LIF-13", "accepts usage reports and confirmations but does not record them."),
    Fault("anyone-may-cancel", "LIF-20", "accepts the cancellation of a document from a party that did not issue it."),
    Fault("use-of-cancelled-accepted", "LIF-21", "accepts usage of a cancelled document.", ignores=("EPX-307",)),
    Fault("cancel-unknown-accepted", "LIF-22", "accepts the cancellation of a document it never knew.",
          ignores=("EPX-304",), ignores_requirement="LIF-22"),
    # Binding A (section 3)
    Fault("service-state-fault", "PULL-01", "answers ServiceState with a soap:Server fault."),
    Fault("pull-returns-other-permit", "PULL-02", "answers GetNonFinalCitesCertificate with another permit than the one asked for."),
    Fault("token-not-checked", "PULL-03", "returns the permit whatever the TokenId."),
    Fault("pull-bad-request-as-server-fault", "PULL-04",
          "answers malformed requests with a soap:Server fault EPX-500 instead of a Client fault EPX-101."),
    Fault("pull-serves-anyone", "PULL-05", "answers callers it does not serve instead of refusing them with EPX-105."),
    Fault("slow-adapter", "PULL-06", "answers certificate requests only after the hub's wait for an adapter has passed.",
          waits=True),
    Fault("final-before-confirmation", "PULL-07",
          "returns the permit from GetFinalCitesCertificate before any confirmation instead of EPX-310."),
    Fault("confirmation-adds", "PULL-08", "adds confirmed quantities to the inspected ones instead of setting them."),
    Fault("soap-fault-with-http-200", "PULL-09", "sends SOAP faults with HTTP 200."),
    Fault("pull-permit-unsigned", "PULL-10", "returns permits in binding A without their signature."),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in CATALOGUE}


class UnknownFault(ValueError):
    """A fault name that is not in the switchboard."""


class Faults:
    """The set of faults one partner runs with (none: a conformant partner)."""

    def __init__(self, names: Iterable[str] = ()):
        names = tuple(names)
        unknown = [n for n in names if n not in FAULTS]
        if unknown:
            raise UnknownFault(f"unknown fault {', '.join(unknown)}; see epix simulate --list-faults")
        self.names = frozenset(names)

    def on(self, name: str) -> bool:
        """Whether fault ``name`` is switched on (a name not in the switchboard is a programming error)."""
        if name not in FAULTS:
            raise KeyError(f"no fault named {name!r} in the switchboard")
        return name in self.names

    def overlooked(self, finding: Finding) -> bool:
        """Whether one of the faults switched on makes the partner overlook ``finding``."""
        return any(FAULTS[name].overlooks(finding) for name in self.names)

    def __bool__(self) -> bool:
        return bool(self.names)

    def __iter__(self):
        return iter(sorted(self.names))

    def __repr__(self) -> str:
        return f"Faults({sorted(self.names)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Faults) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)


def listing() -> str:
    """The switchboard as text, one fault a line: name, requirement, what it does."""
    width = max(len(f.name) for f in CATALOGUE)
    return "\n".join(f"{f.name:<{width}}  {f.requirement:<8}  {f.sentence}" for f in CATALOGUE)
