"""The fault switchboard: named faults, each breaking exactly one requirement of the profile.

A partner started with ``--fault NAME`` behaves as the profile says in every respect but
one. The harness's own tests run the conformance suite against each fault and expect the
scenarios of that requirement, and only those, to fail.

A fault is data plus at most one override, and nothing of it is in the conformant code:

- its entry in :data:`CATALOGUE`: name, requirement, what it does, and, for a fault that
  overlooks what a check found, ``ignores`` (finding codes, optionally of one
  requirement), applied at one seam, :meth:`epix.partner.answers.Errors.counts`;
- for every other fault, one override in :mod:`epix.partner.fault_overrides`, registered
  with :func:`override`, that replaces one *seam* of the reference partner
  (``type-status-not-checked`` has both).

The seams are methods of the partner's parts, the objects that
:class:`~epix.partner.endpoint.PartnerEndpoint` puts together (``Identifier``,
``Receiver``, ``Acknowledger``, ``Errors``, ``Lifecycle``, ``Resources``, ``Puller``), each one step
or decision of the profile that the module docstrings list
(``Receiver.check_replay``: step 5, ENV-13). Their code is the profile's behaviour, so a
partner without faults is exactly the conformant code. The endpoint then calls
:func:`epix.partner.conduct.conduct`, which replaces the seams of the faults switched
on, on that partner's parts only: the classes stay conformant.

Why the parts' own methods rather than a separate policy object with a method per
decision: the parts already follow the spec step by step, and a policy object would
either take the checks away from the steps the docstrings list, or be a row of yes/no
questions (``checks_token()``) that reads no better than the ``if`` it replaces. An
override also sees the part it replaces a method of, so a fault that needs more than the
seam's arguments (the store, for ``stale-permit-version``) needs no seam of its own.

An override is called with the part, ``base`` (what it replaces: the conformant method,
or the override of an earlier fault on the same seam) and the seam's arguments; the
overrides of one seam wrap each other in catalogue order.

Apart from these, :data:`HOSTILE` lists the *hostile* modes: a partner that breaks
every exchange at the HTTP or TLS layer (an answer that trickles, never ends, is far too
large, is an HTML page, empty, a redirect, a connection reset, an error text of
megabytes, a web server whose clock is minutes off). They are no fault of one requirement, so the self-test's "fails only the
scenarios of its requirement" does not apply to them; they show that the harness gives a
partner's failure, not its own, and stays bounded in time and memory. They are switched on
like a fault (``--fault trickle``, ``[simulator] faults = ["trickle"]``), each with one
override (:mod:`epix.partner.hostile_overrides`) of a seam of the partner's parts: most
of :class:`epix.partner.serving.Serving` (the HTTP layer, and each TLS connection), one of
the acknowledger.

Apart from both, :data:`LAPSES` lists the *lapses*: a partner that misses a SHOULD or
RECOMMENDED and breaks no MUST (``no-epx-codes``: its binding-A faults name no EPX code,
which section 3.4 recommends). Against one the suite must fail nothing: the scenarios that
check the recommendation pass with a warning, the others pass. They are switched on like
a fault, each with one override in :mod:`epix.partner.fault_overrides`, and are not in the
self-test's sweep, which counts the faults a scenario detects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    Fault("expands-entities", "ERR-01", "reads documents that declare a DTD and expands their internal entities."),
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
    Fault("slow-adapter", "PULL-02", "answers certificate requests only after the hub's wait for an adapter has passed.",
          waits=True),
    Fault("final-before-confirmation", "PULL-07",
          "returns the permit from GetFinalCitesCertificate before any confirmation instead of EPX-310."),
    Fault("confirmation-adds", "PULL-08", "adds confirmed quantities to the inspected ones instead of setting them."),
    Fault("confirmation-without-quantities-fails", "PULL-08",
          "answers a ConfirmQuantities without ConfirmedQuantities, as the deployed hub sent it, with a soap:Server "
          "fault."),
    Fault("soap-fault-with-http-200", "PULL-09", "sends SOAP faults with HTTP 200."),
    Fault("pull-permit-unsigned", "PULL-10", "returns permits in binding A without their signature."),
    Fault("adapter-fixed-prefixes", "PULL-11",
          "reads only requests written with the prefixes soapenv and v1, as the deployed hub wrote them, and refuses "
          "the same request with other prefixes."),
    Fault("country-not-checked", "PULL-12",
          "answers a request that names another issuing country as if it named its own."),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in CATALOGUE}


@dataclass(frozen=True)
class Hostile:
    """A partner that breaks every exchange, not one requirement: its name and what it does."""

    name: str
    sentence: str


#: The hostile modes: each breaks every exchange (see the module's docstring), so none
#: is in :data:`CATALOGUE` or the self-test's sweep.
HOSTILE: tuple[Hostile, ...] = (
    Hostile("trickle", "sends every answer one byte a second."),
    Hostile("endless-body", "answers with a chunked body that never ends."),
    Hostile("huge-body", "answers with a body of 4 GiB, declared and streamed."),
    Hostile("html-200", "answers every request HTTP 200 with an HTML error page."),
    Hostile("empty-200", "answers every request HTTP 200 with an empty body."),
    Hostile("reset-after-handshake", "answers one request, then resets every new connection right after "
                                      "the TLS handshake, without an answer."),
    Hostile("huge-error-text", "writes an error Text of 5 MB into its Rejected Acknowledgements (signed)."),
    Hostile("redirect", "answers every request with a 302 redirect to another URL."),
    Hostile("clock-skew", "runs its web server on a clock 6 minutes fast: every answer's Date header is 6 minutes "
                          "ahead (what `epix preflight` names; no scenario reads the header)."),
)

HOSTILES: dict[str, Hostile] = {mode.name: mode for mode in HOSTILE}


@dataclass(frozen=True)
class Lapse:
    """A partner that misses a SHOULD or RECOMMENDED and breaks no MUST: its name, the
    section of the profile that recommends what it misses, and what it does."""

    name: str
    section: str
    sentence: str


#: The lapses (see the module's docstring): the suite warns of each, and fails nothing.
LAPSES: tuple[Lapse, ...] = (
    Lapse("no-epx-codes", "3.4", "names no EPX code in its binding-A faults (no epx:Error in their detail)."),
    Lapse("no-service-state", "3.1", "answers ServiceState with an empty ServiceStateResponse (no State)."),
)

LAPSE_NAMES: dict[str, Lapse] = {lapse.name: lapse for lapse in LAPSES}


class UnknownFault(ValueError):
    """A fault name that is not in the switchboard."""


class Faults:
    """The set of faults one partner runs with (none: a conformant partner)."""

    def __init__(self, names: Iterable[str] = ()):
        names = tuple(names)
        unknown = [n for n in names if n not in FAULTS and n not in HOSTILES and n not in LAPSE_NAMES]
        if unknown:
            raise UnknownFault(f"unknown fault {', '.join(unknown)}; see epix simulate --list-faults")
        self.names = frozenset(names)

    def __bool__(self) -> bool:
        return bool(self.names)

    @property
    def hostile(self) -> frozenset[str]:
        """The hostile modes among them (:data:`HOSTILE`)."""
        return frozenset(n for n in self.names if n in HOSTILES)

    def __iter__(self):
        return iter(sorted(self.names))

    def __repr__(self) -> str:
        return f"Faults({sorted(self.names)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Faults) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)


def listing() -> str:
    """The switchboard as text, one fault a line: name, requirement, what it does; then
    the hostile modes and the lapses, each apart."""
    width = max(len(f.name) for f in (*CATALOGUE, *HOSTILE, *LAPSES))
    faults = [f"{f.name:<{width}}  {f.requirement:<8}  {f.sentence}" for f in CATALOGUE]
    hostile = [f"{h.name:<{width}}  {'(every)':<8}  {h.sentence}" for h in HOSTILE]
    lapses = [f"{m.name:<{width}}  {'§ ' + m.section:<8}  {m.sentence}" for m in LAPSES]
    return "\n".join([*faults, "", "Hostile modes: they break every exchange, not one requirement:", *hostile,
                      "", "Lapses: they miss a SHOULD or RECOMMENDED, no MUST (the suite warns, fails nothing):",
                      *lapses])


# ----- the overrides: how a fault changes the partner -----

@dataclass(frozen=True)
class Override:
    """What one fault does: ``function`` replaces ``seam``, a method of one of the partner's parts."""

    fault: str
    seam: Callable
    function: Callable

    @property
    def name(self) -> str:
        return self.seam.__name__

    def owner(self, parts: Iterable[object]) -> object:
        """The part of ``parts`` whose class has the seam."""
        for part in parts:
            if getattr(type(part), self.name, None) is self.seam:
                return part
        raise LookupError(f"the fault {self.fault} replaces {self.seam.__qualname__}, a method of none of the parts")


#: The override of each fault that has one, by fault name (see :mod:`epix.partner.fault_overrides`).
OVERRIDES: dict[str, Override] = {}
#: The override of each hostile mode, by name (see :mod:`epix.partner.hostile_overrides`).
HOSTILE_OVERRIDES: dict[str, Override] = {}
#: The override of each lapse, by name (see :mod:`epix.partner.fault_overrides`).
LAPSE_OVERRIDES: dict[str, Override] = {}


def override(fault: str, seam: Callable) -> Callable[[Callable], Callable]:
    """Register the decorated function as what ``fault`` does instead of ``seam``:

        @override("any-media-type", Receiver.check_media_type)
        def any_media_type(receiver, base, content_type):
            return None

    It is called with the part, ``base`` (what it replaces) and the seam's arguments.
    A hostile mode (:data:`HOSTILE`) or a lapse (:data:`LAPSES`) is registered the same
    way, apart from the faults."""
    if fault not in FAULTS and fault not in HOSTILES and fault not in LAPSE_NAMES:
        raise KeyError(f"no fault named {fault!r} in the switchboard")
    registry = OVERRIDES if fault in FAULTS else HOSTILE_OVERRIDES if fault in HOSTILES else LAPSE_OVERRIDES
    if not callable(seam) or "." not in seam.__qualname__:
        raise TypeError(f"the seam of {fault} must be a method of one of the partner's parts, not {seam!r}")

    def register(function: Callable) -> Callable:
        if fault in registry:
            raise ValueError(f"the fault {fault} has an override already: {registry[fault].function.__qualname__}")
        registry[fault] = Override(fault, seam, function)
        return function

    return register
