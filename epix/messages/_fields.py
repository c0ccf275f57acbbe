"""Reading and writing the simple fields of the harness's own messages.

Every reader raises :class:`MessageError` with a sentence naming the field and the
XPath of the node at fault (of the parent, when the field is missing). Private to the
package :mod:`epix.messages`: its message modules import it, nothing outside does.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from lxml import etree

from epix import clock
from epix.messages.errors import MessageError
from epix.namespaces import PREFIXES
from epix.safexml import xpath_of

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

Locator = Callable[[etree._Element], str]


def tag(ns: str, name: str) -> str:
    """Clark notation; an empty ``ns`` means no namespace (SOAP 1.1's fault children)."""
    return f"{{{ns}}}{name}" if ns else name


def _qualified(ns: str, name: str) -> str:
    prefix = {v: k for k, v in PREFIXES.items()}.get(ns)
    return f"{prefix}:{name}" if prefix else name


def expect_root(root: etree._Element, ns: str, name: str, where: Locator = xpath_of) -> None:
    """Raise unless ``root`` is ``{ns}name``."""
    if root.tag != tag(ns, name):
        found = etree.QName(root)
        raise MessageError(
            f"expected {_qualified(ns, name)} ({ns}), found {found.localname} "
            f"in namespace {found.namespace or '(none)'}",
            where(root),
        )


def children(parent: etree._Element, ns: str, name: str) -> list[etree._Element]:
    return parent.findall(tag(ns, name))


def require(parent: etree._Element, ns: str, name: str, where: Locator = xpath_of) -> etree._Element:
    """The child ``{ns}name`` of ``parent``; a missing one, or one in another namespace, is a MessageError."""
    found = parent.find(tag(ns, name))
    if found is not None:
        return found
    for other in parent:
        if isinstance(other.tag, str) and etree.QName(other).localname == name:
            raise MessageError(
                f"{name} is in namespace {etree.QName(other).namespace or '(none)'}, expected {ns or 'no namespace'}",
                where(other),
            )
    raise MessageError(f"{name} missing", where(parent))


def text_of(element: etree._Element) -> str:
    """The element's text with surrounding white space removed (``xs:token``-like)."""
    return (element.text or "").strip()


def required_text(parent: etree._Element, ns: str, name: str, where: Locator = xpath_of) -> str:
    element = require(parent, ns, name, where)
    value = text_of(element)
    if not value:
        raise MessageError(f"{name} is empty", where(element))
    return value


def optional_text(parent: etree._Element, ns: str, name: str) -> str | None:
    element = parent.find(tag(ns, name))
    if element is None:
        return None
    return text_of(element) or None


def check(value: str, pattern: re.Pattern[str], element: etree._Element, sentence: str,
          where: Locator = xpath_of) -> str:
    """``value`` if it fully matches ``pattern``; otherwise a MessageError with ``sentence``."""
    if pattern.fullmatch(value) is None:
        raise MessageError(sentence, where(element))
    return value


def one_of(value: str, allowed: tuple[str, ...], element: etree._Element, name: str) -> str:
    if value not in allowed:
        raise MessageError(f"{name} {value!r} is not one of {', '.join(allowed)}", xpath_of(element))
    return value


def read_datetime(parent: etree._Element, ns: str, name: str) -> datetime:
    """An ``xs:dateTime``; aware with the offset written (UTC for ``Z``), naive when none is written."""
    element = require(parent, ns, name)
    value = text_of(element)
    match = _DATETIME.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        return _to_datetime(match)
    except ValueError:
        raise MessageError(f"{name} {value!r} is not an xs:dateTime", xpath_of(element)) from None


def _to_datetime(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = None
    if zone == "Z":
        tz = timezone.utc
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        tz = timezone.utc if not offset else timezone(sign * offset)
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)


def read_date(parent: etree._Element, ns: str, name: str) -> date:
    element = require(parent, ns, name)
    value = text_of(element)
    match = _DATE.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise MessageError(f"{name} {value!r} is not an xs:date", xpath_of(element)) from None


def read_decimal(element: etree._Element, name: str) -> Decimal:
    value = text_of(element)
    if _DECIMAL.fullmatch(value) is None:
        raise MessageError(f"{name} {value!r} is not a decimal number", xpath_of(element))
    try:
        return Decimal(value)
    except InvalidOperation:
        raise MessageError(f"{name} {value!r} is not a decimal number", xpath_of(element)) from None


def add(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag(ns, name))
    if text is not None:
        element.text = text
    return element


def add_optional(parent: etree._Element, ns: str, name: str, text: str | None) -> None:
    if text is not None:
        add(parent, ns, name, text)


def format_datetime(moment: datetime) -> str:
    """UTC with ``Z``; a naive datetime is refused, since its zone is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; messages carry UTC times")
    return clock.isoformat(moment)


def format_quantity(quantity: Decimal | int | str) -> str:
    """A quantity as plain decimal text (never exponent notation)."""
    if isinstance(quantity, str):
        return quantity
    value = Decimal(quantity)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value, "f")


def matching_text(parent: etree._Element, ns: str, name: str, pattern: re.Pattern[str], problem: str) -> str:
    """The required text of ``{ns}name``, which must fully match ``pattern``
    (otherwise: "``name`` '``value``' ``problem``")."""
    element = require(parent, ns, name)
    value = text_of(element)
    if not value:
        raise MessageError(f"{name} is empty", xpath_of(element))
    return check(value, pattern, element, f"{name} {value!r} {problem}")


def enumerated_text(parent: etree._Element, ns: str, name: str, allowed: tuple[str, ...]) -> str:
    """The required text of ``{ns}name``, which must be one of ``allowed``."""
    element = require(parent, ns, name)
    value = text_of(element)
    if not value:
        raise MessageError(f"{name} is empty", xpath_of(element))
    return one_of(value, allowed, element, name)


def detached_copy(element: etree._Element) -> etree._Element:
    """A deep copy of ``element`` as the root of a document of its own, without tail text."""
    carried = copy.deepcopy(element)
    carried.tail = None
    return carried
