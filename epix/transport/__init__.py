"""The harness's HTTP clients for both bindings, with mutual TLS and a record of every exchange,
and the sender's side of binding B's delivery protocol (:mod:`epix.transport.delivery`)."""

from epix.transport.client import PARTY_HEADER, PartnerClient, SoapClient, is_received
from epix.transport.delivery import Delivery, Draft, EnvelopeOptions, Sealed, deliver, deliver_again, seal
from epix.transport.errors import AnswerUnusable, PartnerUnreachable
from epix.transport.exchange import Exchange
from epix.transport.tls import TlsSetupError, client_context, server_context

__all__ = [
    "PARTY_HEADER", "AnswerUnusable", "Delivery", "Draft", "EnvelopeOptions", "Exchange", "PartnerClient",
    "PartnerUnreachable", "Sealed", "SoapClient", "TlsSetupError", "client_context", "deliver", "deliver_again",
    "is_received", "seal", "server_context",
]
