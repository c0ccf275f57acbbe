"""What a test document of the partner says: its items and its validity.

The simulated partner tells the items of the documents it issued; a remote partner's
profile names only numbers, tokens and states. Then the document is read from the
partner itself, by retrieval (binding B) or by a request for it (binding A).
"""

from __future__ import annotations

from datetime import date

import pytest

from epix.model import PermitFacts
from steps.observe import permit_facts_of
from steps.scene import Scene
from steps.world import PartnerDocument, PartnerItem


def items(scene: Scene, document: PartnerDocument) -> list[PartnerItem]:
    """The items of ``document``, read from the partner the first time they are asked for."""
    if not document.items:
        document.items = [PartnerItem(i.id, i.quantity, i.unit) for i in facts(scene, document).items]
    return document.items


def valid_until(scene: Scene, document: PartnerDocument) -> date:
    """The last day ``document`` is valid, read from the partner."""
    return facts(scene, document).valid_until.date()


def facts(scene: Scene, document: PartnerDocument) -> PermitFacts:
    """What ``document`` says, as the partner returns it."""
    world = scene.world
    if world.partner.claims("retrieve"):
        exchange = world.our_rest.permit(document.number)
    elif world.partner.claims("pull"):
        exchange = world.our_soap.get_non_final_certificate(document.number, document.token, world.partner_country)
    else:
        pytest.skip("the profile gives the partner's test documents without their items, and the partner serves "
                    "no retrieval to read them")
    return permit_facts_of(exchange, scene.ids, f"the partner's document {document.number}")[1]
