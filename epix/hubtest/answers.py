"""What the harness's adapters answer behind a hub under test (profile section 3.1).

Each answer is a :class:`~epix.hubtest.adapters.Reply` made from the request's body: the
operation's response (a permit for the certificate operations, a ``Result`` or ``State``
text for the others), a Client fault with an EPX error, or the response only after the
hub's timeout. The permit is a valid sample permit of the adapter's country with the
number the request asks for, so that what the caller receives is a real answer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from decimal import Decimal

from epix import clock
from epix.hubtest.adapters import Reply
from epix.messages.permit import build_permit
from epix.messages.soap import CERTIFICATE_OPERATIONS, OPERATIONS, SoapSettings, build_fault, build_response
from epix.model import AckError, Position
from epix.samples import sample_permit

#: Texts of the responses without a permit.
RESULT_TEXT = "Quantities confirmed"
STATE_TEXT = "available"
#: The quantities the caller confirms through the hub (items A and B of a permit).
INSPECTED = (Position("A", Decimal(3)), Position("B", Decimal(1)))
#: The adapter's fault: a wrong security token (PULL-03).
FAULT_CODE = "EPX-309"
FAULT_STRING = "The security token does not match the certificate"
_OPERATION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(" + b"|".join(op.encode() for op in OPERATIONS) + rb")Request\b")
_NUMBER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?CertificateNumber>([A-Z0-9/.-]{1,35})<")


def operation_of(body: bytes) -> str:
    """The binding A operation a request names (its ``<Op>Request`` element), read loosely: the
    adapters answer whatever the hub sent, and :mod:`epix.hubtest.form` judges its form."""
    found = _OPERATION.search(body)
    return found.group(1).decode() if found else "GetNonFinalCitesCertificate"


def new_number(country: str) -> str:
    """A permit number of ``country`` that no run has used."""
    return f"{clock.now():%y}{country}H{uuid.uuid4().hex[:10].upper()}"


def new_token() -> str:
    """A security token for a permit of the harness's adapters."""
    letters = uuid.uuid4().hex.upper()
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:12]}"


def responding(country: str, caller: str, settings: SoapSettings, *, delay: float = 0.0) -> Callable[[bytes], Reply]:
    """Answer each request with its operation's response (after ``delay`` seconds): for a
    certificate, a permit that ``country`` issued for trade with ``caller``."""
    def reply(body: bytes) -> Reply:
        op = operation_of(body)
        if op in CERTIFICATE_OPERATIONS:
            number = _NUMBER.search(body)
            facts = sample_permit("export-permit", number=number.group(1).decode() if number else None,
                                  issuer=country, partner=caller)
            content = build_response(op, settings, permit=build_permit(facts))
        else:
            content = build_response(op, settings, text=RESULT_TEXT if op == "ConfirmQuantities" else STATE_TEXT)
        return Reply(content, 200, delay)
    return reply


def refusing() -> Callable[[bytes], Reply]:
    """Answer each request with a Client fault (HTTP 500) naming :data:`FAULT_CODE`."""
    def reply(body: bytes) -> Reply:
        return Reply(build_fault("soap:Client", FAULT_STRING, AckError(FAULT_CODE, FAULT_STRING)), 500)
    return reply
