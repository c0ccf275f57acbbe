"""The WSDL of binding A's adapter interface (section 3.1), as an adapter serves it.

``schemas/binding-a/adapter.wsdl`` names the adapter's namespaces, SOAPAction values and
URL by placeholders (see its header). :func:`adapter_wsdl` fills them in for one adapter
(its :class:`~epix.messages.soap.SoapSettings` and URL), and :func:`adapter_schema` gives
each bundled schema the WSDL refers to, directly or through another schema, with the
same namespaces: every ``schemaLocation`` becomes ``<adapter URL>?xsd=<path>`` (the
path inside ``schemas/``), so a SOAP client that reads ``<adapter URL>?wsdl`` finds
every type at the adapter. Only the ``.xsd`` files of the bundled schemas are given.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from epix import safexml
from epix.messages.binding_a_schema import schema_text
from epix.messages.soap import OPERATIONS, SoapSettings
from epix.paths import SCHEMAS

WSDL = SCHEMAS / "binding-a" / "adapter.wsdl"
URL_PLACEHOLDER = "urn:epix:binding-a:adapter-url"
ACTION_PLACEHOLDER = "urn:epix:binding-a:action:"
_XS = "http://www.w3.org/2001/XMLSchema"
_REFERENCES = (f"{{{_XS}}}import", f"{{{_XS}}}include")


class NoSuchSchema(LookupError):
    """A schema path that names no bundled ``.xsd`` file."""


def adapter_wsdl(settings: SoapSettings, url: str) -> bytes:
    """The WSDL of the adapter at ``url`` with ``settings``."""
    text = schema_text(WSDL, settings.namespace, settings.response_namespace)
    for op in OPERATIONS:
        text = text.replace(f'"{ACTION_PLACEHOLDER}{op}"', f'"{settings.action(op)}"')
    return _linked(text.replace(URL_PLACEHOLDER, url), WSDL, url)


def adapter_schema(path: str, settings: SoapSettings, url: str) -> bytes:
    """The bundled schema at ``path`` (inside ``schemas/``) as the WSDL of the adapter at
    ``url`` refers to it; :class:`NoSuchSchema` for any other path."""
    root = SCHEMAS.resolve()
    file = (root / path).resolve()
    if not file.is_relative_to(root) or file.suffix != ".xsd" or not file.is_file():
        raise NoSuchSchema(f"no bundled schema {path!r}")
    return _linked(schema_text(file, settings.namespace, settings.response_namespace), file, url)


def _linked(text: str, file: Path, url: str) -> bytes:
    """``text`` (the file at ``file``) with each schemaLocation pointing at the adapter."""
    document = safexml.parse(text.encode("utf-8"), source=file.name)
    for reference in document.iter(*_REFERENCES):
        location = reference.get("schemaLocation")
        if location is not None:
            target = (file.parent / location).resolve().relative_to(SCHEMAS.resolve()).as_posix()
            reference.set("schemaLocation", f"{url}?xsd={quote(target)}")
    return safexml.to_bytes(document)
