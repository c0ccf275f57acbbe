"""Delivering as the scenarios do: with the world's clients and keys, and shown in the report.

The protocol itself (envelope, signing, retries, following ``202 Received``) is the
library's: :mod:`epix.transport.delivery`. Here a scenario says who sends (us, a
sender without a client identity, another party of the test PKI) and how the delivery
departs from a correct one (:class:`DeliveryOptions`, named by phrases in
:mod:`steps.catalogue`); each exchange goes into the report under the step that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epix import transport
from epix.transport import Delivery, Draft, EnvelopeOptions, Sealed
from steps import drafts
from steps.attach import attach_exchange, attach_text
from steps.observe import read_ack
from steps.world import World


@dataclass(frozen=True)
class DeliveryOptions:
    """Departures from a correct delivery (the defaults: a correct one, by us).

    ``envelope`` departs from a correct envelope; ``content_type`` replaces the label of
    the body; ``identity`` is the client that connects (``us``, ``none``, ``foreign`` or a
    party of the test PKI) and ``header_party`` the party the test header names;
    ``document`` changes the draft before it is sealed (and it stays changed).
    """

    envelope: EnvelopeOptions = field(default_factory=EnvelopeOptions)
    content_type: str | None = None
    identity: str = "us"
    header_party: str | None = None
    document: drafts.DocumentChange | None = None

    @property
    def by_us(self) -> bool:
        """Whether we connect as ourselves: then a refused connection is the partner being unreachable."""
        return self.identity == "us" and self.header_party is None


def seal(world: World, draft: Draft, envelope: EnvelopeOptions | None = None) -> Sealed:
    """``draft`` signed and in an envelope from us to the partner."""
    return transport.seal(draft, world.signing_key, sender=world.us.party, recipient=world.partner.party,
                          options=envelope)


def deliver(world: World, draft: Draft, options: DeliveryOptions | None = None) -> Delivery:
    """``draft``, changed as ``options`` say, sealed and delivered to the partner."""
    options = options or DeliveryOptions()
    if options.document is not None:
        drafts.apply(draft, options.document, world)
    return deliver_envelope(world, seal(world, draft, options.envelope), options)


def deliver_envelope(world: World, envelope: Sealed, options: DeliveryOptions | None = None) -> Delivery:
    """``envelope`` delivered as ``options`` say (its ``envelope`` and ``document`` are already in it)."""
    options = options or DeliveryOptions()
    client = world.our_rest if options.by_us else world.rest(options.identity, header_party=options.header_party)
    return _shown(transport.deliver(client, envelope, content_type=options.content_type, poller=world.quiet_rest,
                                    wait=world.acknowledgement_wait, refusal_is_an_answer=not options.by_us))


def deliver_again(world: World, delivery: Delivery) -> Delivery:
    """The envelope of ``delivery`` again, by us: the same message ID and the same bytes."""
    return _shown(transport.deliver_again(world.our_rest, delivery, poller=world.quiet_rest,
                                          wait=world.acknowledgement_wait))


def _shown(delivery: Delivery) -> Delivery:
    """``delivery``, with its final acknowledgement in the report when it was polled for.

    The POST is in the report already (the client attaches it); of the polls, many when the
    partner takes its time, only the last one is shown."""
    if delivery.followed:
        attach_exchange(delivery.final)
        ack = read_ack(delivery.final.response_body)
        attach_text("final acknowledgement", f"final acknowledgement after {delivery.seconds_to_final:.2f} s: "
                                             f"{ack.status if ack else 'none'}")
    return delivery
