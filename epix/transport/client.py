"""httpx clients for both bindings of the profile.

:class:`PartnerClient` speaks binding B (push delivery, section 4a), :class:`SoapClient`
binding A (the EPIX SOAP operations, section 3). Both use mutual TLS through an
:class:`ssl.SSLContext` (see :mod:`epix.transport.tls`), put a timeout on every call,
record every call as an :class:`~epix.transport.exchange.Exchange` in ``exchanges``, and
raise :class:`~epix.transport.errors.PartnerUnreachable` when no response comes.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

import httpx
from tenacity import Retrying, retry_if_result, stop_before_delay, wait_fixed

from epix.messages import soap
from epix.model import Position
from epix.namespaces import EPX, qname
from epix.safexml import XmlRefused
from epix.transport.errors import PartnerUnreachable, explain
from epix.transport.exchange import Exchange

DEFAULT_TIMEOUT = 10.0
XML = "application/xml"
#: The test header that names the sender when a test set-up runs without mutual TLS (ENV-02).
PARTY_HEADER = "EPIX-Party"
#: Requests go out as headers and body in two writes: without TCP_NODELAY the second waits
#: for the peer's delayed ACK (about 40 ms a request).
_NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


class _HttpEndpoint:
    """What both clients share: one httpx client, the timeout, the record of exchanges."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        party: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = False,
        on_exchange: Callable[[Exchange], None] | None = None,
    ):
        self.timeout = timeout
        self.party = party
        self.exchanges: list[Exchange] = []
        self._on_exchange = on_exchange
        verify = ssl_context if ssl_context is not None else True
        self._http = httpx.Client(
            verify=verify,
            timeout=httpx.Timeout(timeout),
            transport=transport or httpx.HTTPTransport(verify=verify, trust_env=trust_env, socket_options=_NO_DELAY),
            trust_env=trust_env,
            follow_redirects=False,
        )

    @property
    def last(self) -> Exchange | None:
        """The most recent exchange, or ``None`` before the first call."""
        return self.exchanges[-1] if self.exchanges else None

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request and record it; raises :class:`PartnerUnreachable` without a response."""
        sent_headers = dict(headers or {})
        if self.party and not any(k.lower() == PARTY_HEADER.lower() for k in sent_headers):
            sent_headers[PARTY_HEADER] = self.party
        request = self._http.build_request(
            method, url, content=content or None, headers=sent_headers,
            timeout=httpx.Timeout(timeout if timeout is not None else self.timeout),
        )
        exchange = Exchange(method, str(request.url), dict(request.headers), content)
        started = time.perf_counter()
        try:
            response = self._http.send(request)
        except httpx.TransportError as error:
            exchange.elapsed = time.perf_counter() - started
            exchange.error = explain(error, str(request.url), timeout or self.timeout)
            self._record(exchange)
            raise PartnerUnreachable(exchange.error, url=str(request.url), exchange=exchange) from error
        exchange.elapsed = time.perf_counter() - started
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        exchange.response_body = response.content
        self._record(exchange)
        return exchange

    def _record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if self._on_exchange is not None:
            self._on_exchange(exchange)


class PartnerClient(_HttpEndpoint):
    """Binding B at ``base_url`` (e.g. ``https://127.0.0.1:8443/epix/v1``).

    ``party`` sends the ``EPIX-Party`` header on every request, for test set-ups that
    run without mutual TLS. ``transport`` replaces the network (httpx.MockTransport, …).
    """

    def __init__(self, base_url: str, **options):
        super().__init__(**options)
        self.base_url = base_url.rstrip("/")

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def deliver(
        self,
        envelope: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """``POST /envelopes`` with ``Content-Type: application/xml`` (unless ``headers`` say otherwise)."""
        sent = {"Content-Type": XML, "Accept": XML, **(headers or {})}
        return self.request("POST", self.url("envelopes"), content=envelope, headers=sent, timeout=timeout)

    def acknowledgement(self, message_id: str) -> Exchange:
        """``GET /envelopes/{messageId}/acknowledgement``: the latest Acknowledgement."""
        return self.request("GET", self.url(f"envelopes/{quote(message_id, safe='')}/acknowledgement"),
                            headers={"Accept": XML})

    def wait_for_final_acknowledgement(
        self, message_id: str, *, deadline: float = 60.0, interval: float = 0.25,
    ) -> Exchange:
        """Poll :meth:`acknowledgement` every ``interval`` seconds until it is final (status
        other than ``Received``, or an HTTP error), or until the next poll would come after
        ``deadline`` seconds from the first; returns the last exchange."""
        polls = Retrying(
            retry=retry_if_result(lambda exchange: exchange.status == 200 and is_received(exchange)),
            wait=wait_fixed(interval),
            stop=stop_before_delay(deadline),
            retry_error_callback=lambda state: state.outcome.result(),  # the last poll, still Received
        )
        return polls(self.acknowledgement, message_id)

    def permit(self, number: str) -> Exchange:
        """``GET /permits/{documentNumber}``: the latest version of a document."""
        return self.request("GET", self.url(f"permits/{quote(number, safe='')}"), headers={"Accept": XML})

    def status(self) -> Exchange:
        """``GET /status``."""
        return self.request("GET", self.url("status"), headers={"Accept": XML})

    def post_acknowledgement(self, acknowledgement: bytes, *, headers: Mapping[str, str] | None = None) -> Exchange:
        """``POST /acknowledgements``: hand a final Acknowledgement to a sender that asked with ``ReplyTo``."""
        sent = {"Content-Type": XML, **(headers or {})}
        return self.request("POST", self.url("acknowledgements"), content=acknowledgement, headers=sent)

    def tracking(self, message_id: str) -> Exchange:
        """``GET /envelopes/{messageId}/tracking`` at a hub (section 8)."""
        return self.request("GET", self.url(f"envelopes/{quote(message_id, safe='')}/tracking"),
                            headers={"Accept": XML})


class SoapClient(_HttpEndpoint):
    """Binding A at ``endpoint`` (the URL that receives the SOAP POSTs).

    Each operation returns the :class:`Exchange`; :meth:`outcome` reads it as a
    :class:`~epix.messages.soap.SoapResponse` or :class:`~epix.messages.soap.SoapFault`.
    """

    def __init__(self, endpoint: str, *, settings: soap.SoapSettings | None = None, **options):
        super().__init__(**options)
        self.endpoint = endpoint
        self.settings = settings or soap.SoapSettings()

    def call(self, op: str, body: bytes, *, headers: Mapping[str, str] | None = None,
             timeout: float | None = None) -> Exchange:
        """POST ``body`` as operation ``op`` (SOAPAction and ``text/xml`` set unless ``headers`` override)."""
        sent = {**soap.request_headers(op, self.settings), **(headers or {})}
        return self.request("POST", self.endpoint, content=body, headers=sent, timeout=timeout)

    def service_state(self) -> Exchange:
        return self._operation("ServiceState")

    def get_non_final_certificate(self, number: str | None, token: str | None, country: str | None) -> Exchange:
        return self._operation("GetNonFinalCitesCertificate", number=number, token=token, country=country)

    def get_final_certificate(self, number: str | None, token: str | None, country: str | None) -> Exchange:
        return self._operation("GetFinalCitesCertificate", number=number, token=token, country=country)

    def confirm_quantities(
        self, number: str | None, token: str | None, country: str | None, positions: Sequence[Position] | None,
    ) -> Exchange:
        return self._operation("ConfirmQuantities", number=number, token=token, country=country, positions=positions)

    def outcome(self, exchange: Exchange) -> soap.SoapResponse | soap.SoapFault:
        """The response or fault an exchange carries (raises ``XmlRefused`` / ``MessageError`` when it is neither)."""
        try:
            return soap.parse_response(exchange.response_body, self.settings)
        except soap.FaultReceived as received:
            return received.fault

    def _operation(self, op: str, **parameters) -> Exchange:
        return self.call(op, soap.build_request(op, self.settings, **parameters))


def is_received(exchange: Exchange) -> bool:
    """Whether ``exchange`` answered with an Acknowledgement of status ``Received``; any
    other body is final, and the caller's checks say what is wrong with it."""
    try:
        root = exchange.xml()
    except XmlRefused:
        return False
    return root.tag == qname(EPX, "Acknowledgement") and (root.findtext(qname(EPX, "Status")) or "").strip() == "Received"
