"""The state of one scenario, and the sentences its assertions share.

What one step hands to the next as its result (a delivery, an answer) goes through
fixtures (pytest-bdd's ``target_fixture``, see :mod:`steps.observe`). The scene keeps
only what the scenario is about from step to step: the documents in play.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from epix import clock
from epix.messages.soap import SoapFault
from epix.report.warning import warn
from epix.signing import verify
from epix.transport import Delivery, Draft, Exchange
from epix.validation.fault_code import judge_fault
from steps.attach import attach_findings, attach_verification, quoted
from steps.observe import AckView, codes_in, read_ack, schema_problems, what_arrived
from steps.world import PartnerDocument, World


@dataclass
class Scene:
    """One scenario: the world it runs in, the requirements it checks, whether it may change
    a document at the partner (``@changes-state``), and the documents in play: ``draft``, a
    document of ours, and ``partner_document``, one of the partner's."""

    world: World
    requirements: tuple[str, ...]
    changes_state: bool
    draft: Draft | None = None
    partner_document: PartnerDocument | None = None

    @property
    def ids(self) -> str:
        """The scenario's requirement IDs, to begin an assertion's sentence."""
        return "/".join(self.requirements) or "profile"


def assert_partner_signed(scene: Scene, element: etree._Element, what: str, *, at: datetime) -> None:
    """``element`` (``what``: "the acknowledgement", …) carries a signature that verifies
    against the partner's trust anchor at ``at``; the checks go into the report."""
    world = scene.world
    result = verify(element, world.partner_trust, sender=world.partner.party, at=at)
    attach_verification(f"signature checks of {what}", result)
    assert result.outcome == "passed", f"{scene.ids}: {what}'s signature {result.outcome}: {_reason(result)}"


def final_exchange(scene: Scene, delivery: Delivery) -> Exchange:
    """The exchange that ends ``delivery``: the answer (sync), or the final acknowledgement
    fetched after ``202 Received`` (async), which must be an HTTP 200 that is final."""
    assert delivery.refused is None, f"{scene.ids}: the partner refused the connection: {delivery.refused}"
    assert delivery.answer is not None, f"{scene.ids}: the delivery got no answer"
    if not delivery.followed:
        return delivery.answer
    final = delivery.final
    assert final.status == 200, (
        f"{scene.ids}: the partner answered 202 Received; fetching the final acknowledgement then answered "
        f"{what_arrived(final)}")
    ack = read_ack(final.response_body)
    assert ack is None or ack.status != "Received", (
        f"{scene.ids}: the partner answered 202 Received and gave no final acknowledgement within "
        f"{delivery.seconds_to_final:.1f} s; the last one fetched still says Received")
    return final


def ack_of(scene: Scene, delivery: Delivery) -> AckView:
    """The acknowledgement that ends ``delivery`` as the partner sent it, read but not yet
    checked (sync: the one in the answer; async: the final one fetched); a failed check
    naming what arrived when there is none."""
    exchange = final_exchange(scene, delivery)
    ack = read_ack(exchange.response_body)
    assert ack is not None, (
        f"{scene.ids}: expected the partner's acknowledgement; it answered {what_arrived(exchange)}, which is not an "
        f"Acknowledgement")
    return ack


def verified_ack(scene: Scene, delivery: Delivery) -> AckView:
    """The acknowledgement that ends ``delivery``, when it can be taken as evidence: read,
    valid against the envelope schema (ACK-01), and signed by the partner with a signature
    that verifies against its trust anchor (ACK-04, SIG-03). Otherwise a failed check that
    says which of these it is not. Every step that concludes acceptance takes it from here."""
    ack = ack_of(scene, delivery)
    problems = schema_problems(ack.element)
    attach_findings("schema problems of the acknowledgement", problems)
    assert not problems, (
        f"{scene.ids}: the acknowledgement{_says(ack)} cannot be taken as evidence: it is not valid against the "
        f"envelope schema (ACK-01): {quoted(problems[0], title='schema problem of the acknowledgement')}")
    result = ack_verification(scene, ack)
    assert result.outcome == "passed", (
        f"{scene.ids}: the acknowledgement{_says(ack)} cannot be taken as evidence: its signature "
        f"{_verdict(result)} against the partner's trust anchor (ACK-04, SIG-03): {_reason(result)}")
    return ack


def ack_verification(scene: Scene, ack: AckView):  # noqa: ANN201 - epix.signing's Verification
    """How the signature of ``ack`` verifies against the partner's trust anchor now (in the report)."""
    world = scene.world
    result = verify(ack.element, world.partner_trust, sender=world.partner.party, at=clock.now())
    attach_verification("signature checks of the acknowledgement", result)
    return result


def unverified_note(scene: Scene, ack: AckView) -> str:
    """``""`` when ``ack``'s signature verifies; else a note for a sentence that judges its
    content: that content is unsigned, and why."""
    result = ack_verification(scene, ack)
    if result.outcome == "passed":
        return ""
    return f" (judged on unsigned content: the acknowledgement's signature {_verdict(result)}: {_reason(result)})"


def _verdict(result) -> str:  # noqa: ANN001 - epix.signing's Verification
    return "could not be verified" if result.outcome == "indeterminate" else "did not verify"


def _says(ack: AckView) -> str:
    return f" (it says {quoted(ack.status, limit=40)})" if ack.status else ""


def _reason(result) -> str:  # noqa: ANN001 - epix.signing's Verification
    return quoted(result.finding.text, title="signature finding") if result.finding else "no reason given"


def assert_refused(scene: Scene, exchange: Exchange, status: int, code: str, expectation: str) -> None:
    """``exchange`` was answered with HTTP ``status`` naming ``code``; ``expectation`` says in
    words what was expected, to begin the failure's sentence."""
    codes = codes_in(exchange)
    assert exchange.status == status and code in codes, (
        f"{scene.ids}: {expectation}; the partner answered {what_arrived(exchange)}"
        f"{' naming ' + ', '.join(codes[:5]) if codes else ''}")


def assert_fault(scene: Scene, fault: SoapFault, code: str, *, faultcode: str | None = "Client",
                 faultstring: str = "") -> None:
    """Section 3.4: ``fault`` is a ``faultcode`` fault (``None``: either) that names ``code``,
    or names no code, which passes with a warning; ``faultstring`` ends the failure's sentence."""
    verdict = judge_fault(fault, code, faultcode=faultcode)
    assert verdict.holds, f"{scene.ids}: {verdict.broken}" + (f" (fault string {faultstring})" if faultstring else "")
    if verdict.missed:
        warn(scene.ids, verdict.missed)
