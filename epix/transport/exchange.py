"""One HTTP exchange with a partner, recorded as it went over the wire.

Every call of the transport clients produces an :class:`Exchange`, so that a report can
show exactly what was sent and received, and a person can reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from epix import safexml

#: Header names whose values never appear in a rendering meant for a report.
SECRET_HEADERS: frozenset[str] = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


@dataclass
class Exchange:
    """A request and its response (``status`` is ``None`` when no response came)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None
    #: How many body bytes had arrived when the harness stopped reading an answer past its
    #: size cap (``response_body`` then keeps only the first of them); ``None``: read whole.
    truncated: int | None = None

    @property
    def ok(self) -> bool:
        """Whether a response came with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header, by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def media_type(self) -> str | None:
        """The response's media type without parameters, lower case (``application/xml``)."""
        value = self.content_type
        return value.split(";", 1)[0].strip().lower() if value else None

    def xml(self) -> etree._Element:
        """The response body parsed with the harness's safe parser (raises ``XmlRefused``)."""
        return safexml.parse(self.response_body, source=f"response to {self.method} {self.url}")

    def as_text(self, *, limit: int = 200_000) -> str:
        """The exchange as a person reads it in a report: request, then response.

        Secret headers are masked; XML bodies are pretty-printed; bodies longer than
        ``limit`` bytes are cut with a note.
        """
        response = self.response_text(limit=limit)
        if self.status is None:
            response = f"-- {response}"
        return f"{self.request_text(limit=limit)}\n\n{response}".rstrip() + "\n"

    def request_text(self, *, limit: int = 200_000) -> str:
        """The request line, its headers (secrets masked) and its body."""
        return "\n".join([f"{self.method} {self.url}", *_headers(self.request_headers), "",
                          _body(self.request_body, limit)])

    def response_text(self, *, limit: int = 200_000) -> str:
        """The status with the time taken, the headers (secrets masked) and the body; or why none came."""
        if self.status is None:
            return f"no response: {self.error or 'unknown reason'}"
        body = _body(self.response_body, limit)
        if self.truncated is not None:
            body += (f"\n… (the harness stopped reading after {self.truncated:,} bytes; "
                     f"the first {len(self.response_body):,} are shown)")
        if self.error:
            body += f"\n-- {self.error}"
        return "\n".join([f"HTTP {self.status}  ({self.elapsed * 1000:.0f} ms)", *_headers(self.response_headers), "",
                          body])


def _headers(headers: dict[str, str]) -> list[str]:
    return [f"{name}: {'***' if name.lower() in SECRET_HEADERS else value}" for name, value in headers.items()]


def _body(body: bytes, limit: int) -> str:
    if not body:
        return "(empty body)"
    shown = body[:limit]
    text = safexml.pretty(shown) if shown.lstrip().startswith(b"<") else shown.decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"\n… ({len(body) - limit} more bytes not shown)"
    return text
