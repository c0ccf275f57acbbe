"""The identifiers of the profile (section 1): message IDs, document numbers, codes.

The same forms are patterns of ``schemas/envelope/envelope.xsd``; the parsers use these
to say precisely which value is wrong. Party IDs have their own module, :mod:`epix.party`.
"""

from __future__ import annotations

import re
import uuid

MESSAGE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DOCUMENT_NUMBER = re.compile(r"[A-Z0-9/.\-]{1,35}")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")
ITEM_ID = re.compile(r"\S+")
UNIT_CODE = re.compile(r"[A-Z0-9]{2,3}")

#: How the parsers say that a value does not have the form above.
NOT_MESSAGE_ID = "is not a UUID"
NOT_DOCUMENT_NUMBER = "is not a document number (1 to 35 of A-Z 0-9 / - .)"
NOT_COUNTRY_CODE = "is not ISO 3166-1 alpha-2"
NOT_ITEM_ID = "contains white space"


def is_message_id(value: str) -> bool:
    """A UUID of any version (RFC 9562), hexadecimal digits in either case."""
    return MESSAGE_ID.fullmatch(value) is not None


def is_document_number(value: str) -> bool:
    """1 to 35 characters of ``A-Z 0-9 / - .`` (box 1 of the form)."""
    return DOCUMENT_NUMBER.fullmatch(value) is not None


def new_message_id() -> str:
    """A fresh message ID (UUID version 4, lower case)."""
    return str(uuid.uuid4())
