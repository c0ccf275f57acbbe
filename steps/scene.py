"""The state of one scenario, and the sentences its assertions share.

What one step hands to the next as its result (a delivery, an answer) goes through
fixtures (pytest-bdd's ``target_fixture``, see :mod:`steps.observe`). The scene keeps
only what the scenario is about from step to step: the documents in play.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from epix.signing import verify
from epix.transport import Draft, Exchange
from steps.attach import attach_verification
from steps.observe import codes_in
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
    assert result.outcome == "passed", (
        f"{scene.ids}: {what}'s signature {result.outcome}: "
        f"{result.finding.text if result.finding else 'no reason given'}")


def assert_refused(scene: Scene, exchange: Exchange, status: int, code: str, expectation: str) -> None:
    """``exchange`` was answered with HTTP ``status`` naming ``code``; ``expectation`` says in
    words what was expected, to begin the failure's sentence."""
    codes = codes_in(exchange)
    assert exchange.status == status and code in codes, (
        f"{scene.ids}: {expectation}; the partner answered HTTP {exchange.status} {', '.join(codes)}".rstrip())
