"""httpx clients for both bindings of the profile.

:class:`PartnerClient` speaks binding B (push delivery, section 4a), :class:`SoapClient`
binding A (the EPIX SOAP operations, section 3). Both use mutual TLS through an
:class:`ssl.SSLContext` (see :mod:`epix.transport.tls`), put a timeout on every call,
bound every exchange by one deadline and a body size cap, record every call as an
:class:`~epix.transport.exchange.Exchange`, and raise
:class:`~epix.transport.errors.PartnerUnreachable` when no connection is made and
:class:`~epix.transport.errors.AnswerUnusable` when an answer is too slow or too large.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

import httpx
from tenacity import Retrying, retry_if_result, stop_before_delay, wait_exponential

from epix.messages import soap
from epix.model import Position
from epix.namespaces import EPX, qname
from epix.safexml import XmlRefused
from epix.transport import deadline
from epix.transport.deadline import DeadlineTransport
from epix.transport.acquaintance import Acquaintance
from epix.transport.errors import AnswerUnusable, answer_too_large, problem_of
from epix.transport.exchange import Exchange

#: Seconds for one whole exchange: connect, TLS, request, headers and body.
DEFAULT_TIMEOUT = 10.0
#: Seconds to open the connection (TCP and TLS), within the exchange's deadline.
DEFAULT_CONNECT_TIMEOUT = 5.0
#: The largest body the harness reads from a partner (a permit with its attachments is a few MiB).
DEFAULT_MAX_BODY = 32 * 1024 * 1024
#: What an exchange keeps of a body that grew past the cap, for the report.
KEPT_OF_A_LARGE_BODY = 64 * 1024
#: How many exchanges a client remembers (steps look at the latest).
KEPT_EXCHANGES = 32
XML = "application/xml"
#: The test header that names the sender when a test set-up runs without mutual TLS (ENV-02).
PARTY_HEADER = "EPIX-Party"
#: Requests go out as headers and body in two writes: without TCP_NODELAY the second waits
#: for the peer's delayed ACK (about 40 ms a request).
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


class CappedBody:
    """A response body read as it arrives: past ``cap`` bytes the reading stops, only the first
    bytes are kept and ``exchange.truncated`` says how many were read."""

    def __init__(self, exchange: Exchange, cap: int):
        self._exchange = exchange
        self._cap = cap
        self._chunks: list[bytes] = []
        self._size = 0

    def take(self, chunk: bytes) -> bool:
        """Add ``chunk``; whether to read on (``False`` once the body grew past the cap)."""
        self._size += len(chunk)
        if self._size > self._cap:
            self._exchange.truncated = self._size
            return False
        self._chunks.append(chunk)
        return True

    def bytes(self) -> bytes:
        body = b"".join(self._chunks)
        return body[:KEPT_OF_A_LARGE_BODY] if self._exchange.truncated else body


class _HttpEndpoint:
    """What both clients share: one httpx client, the timeout, the record of exchanges."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        party: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = False,
        on_exchange: Callable[[Exchange], None] | None = None,
        acquaintance: Acquaintance | None = None,
    ):
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_body = max_body
        self.party = party
        #: The latest exchanges (older ones are let go, so a long run does not keep every body).
        self.exchanges: deque[Exchange] = deque(maxlen=KEPT_EXCHANGES)
        self._on_exchange = on_exchange
        #: Shared by the clients made with the same client certificate (see :mod:`epix.transport.acquaintance`).
        self.acquaintance = acquaintance or Acquaintance()
        verify = ssl_context if ssl_context is not None else True
        self._http = httpx.Client(
            verify=verify,
            timeout=httpx.Timeout(timeout),
            transport=transport or DeadlineTransport(verify=verify, trust_env=trust_env, socket_options=NO_DELAY),
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
        """Send one request and record it, within one deadline for the whole exchange.

        Raises :class:`PartnerUnreachable` when no connection is made, and
        :class:`AnswerUnusable` when the partner took the connection but its answer did not
        complete within the deadline, or grew past ``max_body``.
        """
        sent_headers = dict(headers or {})
        if self.party and not any(k.lower() == PARTY_HEADER.lower() for k in sent_headers):
            sent_headers[PARTY_HEADER] = self.party
        limit = timeout if timeout is not None else self.timeout
        request = self._http.build_request(
            method, url, content=content or None, headers=sent_headers,
            timeout=httpx.Timeout(limit, connect=min(limit, self.connect_timeout)),
        )
        exchange = Exchange(method, str(request.url), dict(request.headers), content)
        started = time.perf_counter()
        with deadline.within(limit) as due:
            try:
                response = self._http.send(request, stream=True)
                try:
                    exchange.status = response.status_code
                    self.acquaintance.answered = True
                    exchange.response_headers = dict(response.headers)
                    exchange.response_body = self._read_body(response, exchange)
                finally:
                    response.close()
            except httpx.TransportError as error:
                exchange.elapsed = time.perf_counter() - started
                problem = problem_of(exchange, str(request.url), limit, error,
                                     acquainted=self.acquaintance.answered, late=deadline.passed(due))
                self._record(exchange)
                raise problem from error
        exchange.elapsed = time.perf_counter() - started
        if exchange.truncated:
            exchange.error = answer_too_large(exchange, str(request.url), self.max_body)
            self._record(exchange)
            raise AnswerUnusable(exchange.error, url=str(request.url), exchange=exchange)
        self._record(exchange)
        return exchange

    def _read_body(self, response: httpx.Response, exchange: Exchange) -> bytes:
        """The body, read as it arrives, capped at ``max_body`` (see :class:`CappedBody`)."""
        body = CappedBody(exchange, self.max_body)
        for chunk in response.iter_bytes():
            if not body.take(chunk):
                break
        return body.bytes()

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
        self, message_id: str, *, deadline: float = 60.0, interval: float = 0.25, longest: float = 1.0,
    ) -> Exchange:
        """Poll :meth:`acknowledgement` until it is final (status other than ``Received``, or
        an HTTP error), or until the next poll would come after ``deadline`` seconds from the
        first; returns the last exchange. The first pause is ``interval`` seconds, each next
        one twice the one before, up to ``longest``: a final Acknowledgement that comes soon
        is seen soon, one that comes late costs a poll a second."""
        polls = Retrying(
            retry=retry_if_result(lambda exchange: exchange.status == 200 and is_received(exchange)),
            wait=wait_exponential(multiplier=interval, max=max(interval, longest)),
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
