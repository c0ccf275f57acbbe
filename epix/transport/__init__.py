"""The harness's HTTP clients for both bindings, with mutual TLS and a record of every exchange."""

from epix.transport.client import PARTY_HEADER, PartnerClient, SoapClient
from epix.transport.errors import AnswerUnusable, PartnerUnreachable
from epix.transport.exchange import Exchange
from epix.transport.tls import TlsSetupError, client_context, server_context

__all__ = [
    "PARTY_HEADER", "AnswerUnusable", "Exchange", "PartnerClient", "PartnerUnreachable", "SoapClient",
    "TlsSetupError", "client_context", "server_context",
]
