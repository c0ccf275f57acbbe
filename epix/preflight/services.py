"""Each binding's URL answers as that binding: ``GET /status`` for binding B (LIF-02),
``ServiceState`` for binding A (PULL-01). Whether the answer is right in every detail is
for the scenarios; here it is whether the URL is the partner's service and answers us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from epix import clock
from epix.messages import soap
from epix.messages.errors import MessageError
from epix.messages.status import parse_status
from epix.preflight.target import Binding, Target
from epix.preflight.verdicts import Line, fail, ok, warn
from epix.safexml import XmlRefused
from epix.transport import AnswerUnusable, PartnerClient, PartnerUnreachable, SoapClient, client_context
from epix.transport.exchange import Exchange

#: The most of an answer's body the preflight reads (a status or a ServiceState is a few hundred bytes).
MAX_BODY = 1024 * 1024


@dataclass
class Asked:
    """One request to a binding: the exchange, or why it gave no usable answer; and when it
    ended by our clock."""

    binding: Binding
    exchange: Exchange | None
    problem: PartnerUnreachable | AnswerUnusable | None
    at: datetime

    @property
    def check(self) -> str:
        return self.binding.label


def ask(binding: Binding, target: Target) -> Asked:
    """``GET /status`` (binding B) or ``ServiceState`` (binding A), as the harness calls them."""
    options = {
        "ssl_context": (client_context(target.trust_anchors, target.client_certificate, target.client_key)
                        if target.mtls else client_context(target.trust_anchors)),
        "party": None if target.mtls else target.our_party,
        "timeout": target.answer_timeout, "connect_timeout": target.connect_timeout, "max_body": MAX_BODY,
    }
    try:
        if binding.name == "B":
            with PartnerClient(binding.url, **options) as client:
                exchange = client.status()
        else:
            with SoapClient(binding.url, settings=target.soap, **options) as client:
                exchange = client.service_state()
    except PartnerUnreachable as problem:
        return Asked(binding, None, problem, clock.now())
    except AnswerUnusable as problem:  # its status and headers came: the clock can be read from them
        began = problem.exchange if problem.exchange is not None and problem.exchange.status is not None else None
        return Asked(binding, began, problem, clock.now())
    return Asked(binding, exchange, None, clock.now())


def answered(asked: Asked, target: Target) -> Line:
    """The line on what the binding's URL answered."""
    if isinstance(asked.problem, PartnerUnreachable):
        return fail(asked.check, asked.problem.sentence, f"check {asked.binding.field} and the partner's logs")
    if asked.problem is not None:
        too_large = asked.problem.exchange is not None and asked.problem.exchange.truncated
        return fail(asked.check, asked.problem.sentence,
                    "the partner's service must answer with a complete answer of bounded size" if too_large else
                    "the partner's service must answer completely within the profile's [timeouts] answer")
    exchange = asked.exchange
    if exchange.status in (401, 403):
        return fail(asked.check, f"the partner refused us with HTTP {exchange.status}",
                    f"the partner must register our party {target.our_party} and our client certificate")
    if exchange.status in (301, 302, 303, 307, 308):
        return fail(asked.check, f"answered HTTP {exchange.status}, a redirect to "
                                 f"{exchange.response_headers.get('location', 'nowhere')}",
                    f"give the URL of the service itself as {asked.binding.field}")
    return _status(asked, target) if asked.binding.name == "B" else _service_state(asked, target)


def _status(asked: Asked, target: Target) -> Line:
    exchange = asked.exchange
    wrong_url = f"check {asked.binding.field}: the base URL of the partner's binding B resources (…/epix/v1)"
    if exchange.status != 200:
        return fail(asked.check, f"GET /status answered HTTP {exchange.status}", wrong_url)
    try:
        status = parse_status(exchange.xml())
    except (XmlRefused, MessageError) as error:
        return fail(asked.check, f"GET /status answered HTTP 200 with {_kind(exchange)}, not a status ({error})",
                    wrong_url)
    found = f"GET /status answered: party {status.party_id}, profile version {status.profile_version}"
    if status.party_id != target.party:
        return warn(asked.check, f"{found}, not the profile's partner {target.party}",
                    "check partner.party and the binding's URL")
    return ok(asked.check, found)


def _service_state(asked: Asked, target: Target) -> Line:
    exchange = asked.exchange
    wrong_url = f"check {asked.binding.field}: the URL that receives the partner's SOAP requests"
    try:
        outcome = soap.parse_response(exchange.response_body, target.soap)
    except soap.FaultReceived as received:
        fault = received.fault
        return warn(asked.check, f"ServiceState answered HTTP {exchange.status} with the SOAP fault "
                                 f"{fault.faultcode}: {fault.faultstring}",
                    "the binding answers, but its service reports a fault; ask the partner whether it is up")
    except (XmlRefused, MessageError) as error:
        return fail(asked.check, f"ServiceState answered HTTP {exchange.status} with {_kind(exchange)}, not a "
                                 f"SOAP response ({error})", wrong_url)
    return ok(asked.check, f"ServiceState answered '{outcome.text or ''}'")


def _kind(exchange: Exchange) -> str:
    if not exchange.response_body:
        return "an empty body"
    return f"{exchange.media_type or 'no Content-Type'}"
