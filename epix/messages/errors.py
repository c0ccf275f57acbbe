"""The one exception of the message parsers: a message that does not have the expected shape."""

from __future__ import annotations

from epix.model import AckError


class MessageError(ValueError):
    """A message lacks an element or carries a value of the wrong form.

    ``text`` says what is wrong in a sentence ("CertificateNumber missing");
    ``location`` is the XPath of the offending node (or of the parent of a missing
    one), with the prefixes of :data:`epix.namespaces.PREFIXES`. A receiver answers
    it with EPX-101 (binding A: a Client fault).
    """

    def __init__(self, text: str, location: str | None = None):
        self.text = text
        self.location = location
        super().__init__(f"{text} (at {location})" if location else text)

    def as_ack_error(self, code: str = "EPX-101") -> AckError:
        """The error entry of an Acknowledgement or fault detail that reports this problem."""
        return AckError(code=code, text=self.text, location=self.location)
