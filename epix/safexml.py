"""The one XML parser configuration of the harness.

DTDs, entity declarations, external references and network access are refused: a
document that declares any of them is rejected (EPX-100) before anything in it is
expanded or fetched. Every XML byte the harness reads, from a partner, a file or a
profile, goes through :func:`parse`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from epix.namespaces import PREFIXES

class XmlRefused(ValueError):
    """The bytes are not a well-formed XML document the harness is willing to read (EPX-100)."""

    code = "EPX-100"

    def __init__(self, reason: str, *, source: str = "message", line: int | None = None):
        self.reason = reason
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {reason}")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def parse(data: bytes, *, source: str = "message") -> etree._Element:
    """Parse ``data`` safely and return the root element.

    Raises :class:`XmlRefused` for an empty body, bytes that are not well-formed XML, a
    document declared in another encoding than UTF-8 (profile section 4, ENV-03), and any
    document with a DOCTYPE (and so any DTD or entity declaration).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse() takes bytes")
    if not data.strip():
        raise XmlRefused("the body is empty", source=source)
    encoding = _declared_encoding(bytes(data))
    if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
        raise XmlRefused(f"the document is declared in {encoding}; the profile's XML is UTF-8", source=source)
    if _prolog_declares_dtd(bytes(data)):
        raise XmlRefused("the document declares a DTD or entities, which the profile forbids", source=source)
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        raise XmlRefused(f"not well-formed XML: {exc.msg}", source=source, line=line) from None
    except ValueError as exc:  # e.g. a unicode string with an encoding declaration
        raise XmlRefused(f"not well-formed XML: {exc}", source=source) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlRefused("the document declares a DTD or entities, which the profile forbids", source=source)
    for node in root.iter(etree.Entity):
        raise XmlRefused(f"the document uses the entity {node.name!r}", source=source, line=node.sourceline)
    return root


_DECLARATION = re.compile(rb"""<\?xml\s[^>]*?encoding\s*=\s*["']([^"']{1,40})["']""")
_OTHER_BOMS = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def _declared_encoding(data: bytes) -> str | None:
    """The encoding a document says it is in (its byte order mark, or its XML declaration's
    ``encoding``), or ``None`` when it says nothing (UTF-8, by XML's rules)."""
    for mark, name in _OTHER_BOMS.items():
        if data.startswith(mark):
            return name
    match = _DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf")[:200])
    return match.group(1).decode("ascii", errors="replace") if match else None


def _prolog_declares_dtd(data: bytes) -> bool:
    """Whether a DOCTYPE stands before the root element, behind any declaration, comments and PIs.

    Looked for before parsing, so that no entity of an internal subset is ever read.
    """
    position, end = 0, len(data)
    if data.startswith(b"\xef\xbb\xbf"):
        position = 3
    while position < end:
        while position < end and data[position] in b" \t\r\n":
            position += 1
        if data.startswith(b"<!DOCTYPE", position):
            return True
        if data.startswith(b"<?", position):
            closing = data.find(b"?>", position)
        elif data.startswith(b"<!--", position):
            closing = data.find(b"-->", position)
        else:
            return False
        if closing < 0:
            return False
        position = closing + 2
    return False


def to_bytes(element: etree._Element, *, pretty: bool = False) -> bytes:
    """Serialise as UTF-8 with an XML declaration."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def pretty(data: bytes | etree._Element) -> str:
    """A readable rendering for reports; bytes that do not parse are returned as text."""
    if isinstance(data, (bytes, bytearray)):
        try:
            parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False)
            data = etree.fromstring(bytes(data), parser=parser)
        except (etree.XMLSyntaxError, ValueError):
            return bytes(data).decode("utf-8", errors="replace")
    return etree.tostring(data, pretty_print=True, encoding="unicode")


def xpath_of(element: etree._Element, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """An absolute XPath to ``element`` written with ``prefixes`` (the harness's by default),
    e.g. ``/rsm:CITESEPermit/rsm:HeaderExchangedDocument/ram:ID``."""
    by_ns = {ns: prefix for prefix, ns in prefixes.items()}
    steps = []
    node: etree._Element | None = element
    while node is not None:
        q = etree.QName(node)
        prefix = by_ns.get(q.namespace or "")
        name = f"{prefix}:{q.localname}" if prefix else q.localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
