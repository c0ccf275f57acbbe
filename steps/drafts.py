"""Documents we issue in a scenario: a sample permit of ours, with the flaws a phrase names.

A draft (:class:`epix.transport.Draft`) is built from the facts of a sample permit
(:func:`epix.samples.sample_permit`) under a document number no run has used. A
:class:`DocumentChange` (which phrase names which change: :mod:`steps.catalogue`)
changes its facts, its XML before signing, its signing, or the status its envelope gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from epix import clock
from epix.messages.permit import build_permit
from epix.model import PermitFacts
from epix.samples import sample_permit
from epix.transport import Draft
from steps.world import World


@dataclass(frozen=True)
class DocumentChange:
    """How a phrase changes a draft: its facts (the document is built again), its XML
    (before signing; ``mutate_with`` also given the world, for a change that names what the
    world knows, such as a document of the partner), its signing (given the document and the
    world), or its envelope status."""

    facts: Callable[[PermitFacts], None] | None = None
    mutate: Callable[[etree._Element], etree._Element] | None = None
    mutate_with: Callable[[etree._Element, World], etree._Element] | None = None
    signer: Callable[[etree._Element, World], etree._Element] | None = None
    status: str | None = None


def new_number(party: str) -> str:
    """A document number of ``party`` that no run has used: ``26CHT1A2B3C4D``."""
    return f"{clock.now():%y}{party.split('-', 1)[0]}T{uuid.uuid4().hex[:10].upper()}"


def draft_of(world: World, kind: str, issuer: str) -> Draft:
    """A valid sample document of ``kind`` (``export-permit`` …) that ``issuer`` issued to the partner."""
    facts = sample_permit(kind, number=new_number(issuer), issuer=issuer, partner=world.partner.party)
    return Draft(kind, build_permit(facts), facts.number, issuer, "issued", facts=facts)


def apply(draft: Draft, change: DocumentChange, world: World) -> None:
    """Change ``draft`` as ``change`` says (in this order: facts, XML, signing, status)."""
    if change.facts is not None:
        change.facts(draft.facts)
        draft.document = build_permit(draft.facts)
    if change.mutate is not None:
        draft.document = change.mutate(draft.document)
    if change.mutate_with is not None:
        draft.document = change.mutate_with(draft.document, world)
    if change.signer is not None:
        signer = change.signer
        draft.signer = lambda document: signer(document, world)
    if change.status is not None:
        draft.status = change.status
