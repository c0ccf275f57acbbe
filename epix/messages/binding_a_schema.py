"""The XML Schema of binding A's SOAP messages, with the hub's namespaces as settings.

The schema set names the XSD of a ``soap:Envelope`` (``schemas/binding-a/soap-message.xsd``
in the set that ships). It and the binding-A XSDs it imports name the request and
response namespaces by placeholders; the loaders here put the namespaces of a
:class:`~epix.messages.soap.SoapSettings` in their place as each file is read, so a
profile with other namespaces needs no edited copy. Where requests and responses share
one namespace, the request schema includes the response schema instead of importing it.
Files are read only from inside the schema set's folder, never from the network.
"""

from __future__ import annotations

import email.message
import functools
import io
import urllib.request
import urllib.response
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import xmlschema
from lxml import etree

from epix.namespaces import SOAP, qname
from epix.schemaset import SchemaSet, SchemaSetError, default_schema_set

if TYPE_CHECKING:
    from epix.messages.soap import SoapSettings

REQUEST_PLACEHOLDER = "urn:epix:binding-a:request-namespace"
RESPONSE_PLACEHOLDER = "urn:epix:binding-a:response-namespace"
SOAP_ENVELOPE = qname(SOAP, "Envelope")
_XS = "http://www.w3.org/2001/XMLSchema"


def binding_a_schema(settings: SoapSettings, schema_set: SchemaSet | None = None) -> etree.XMLSchema:
    """An lxml schema for any binding-A message (request, response or fault) under ``settings``."""
    xsd, folder = _driver(schema_set)
    return _lxml_schema(settings.namespace, settings.response_namespace, xsd, folder)


def binding_a_xmlschema(settings: SoapSettings, schema_set: SchemaSet | None = None) -> xmlschema.XMLSchema:
    """The same schema compiled by xmlschema, which lists every error with its path."""
    xsd, folder = _driver(schema_set)
    return _xmlschema(settings.namespace, settings.response_namespace, xsd, folder)


def schema_text(path: Path, namespace: str, response_namespace: str) -> str:
    """The text of the XSD at ``path`` with the placeholders replaced by the namespaces."""
    text = path.read_text(encoding="utf-8")
    if REQUEST_PLACEHOLDER not in text and RESPONSE_PLACEHOLDER not in text:
        return text
    text = text.replace(REQUEST_PLACEHOLDER, namespace).replace(RESPONSE_PLACEHOLDER, response_namespace)
    return _imports_of_own_namespace_as_includes(text) if namespace == response_namespace else text


def _driver(schema_set: SchemaSet | None) -> tuple[Path, Path]:
    chosen = schema_set or default_schema_set()
    return chosen.entry_for(SOAP_ENVELOPE).xsd, chosen.folder


def _imports_of_own_namespace_as_includes(text: str) -> str:
    root = etree.fromstring(text.encode("utf-8"))
    target = root.get("targetNamespace")
    for element in root.findall(f"{{{_XS}}}import"):
        if target is not None and element.get("namespace") == target:
            element.addprevious(etree.Element(f"{{{_XS}}}include", schemaLocation=element.get("schemaLocation")))
            root.remove(element)
    return etree.tostring(root, encoding="unicode")


@functools.lru_cache(maxsize=8)
def _lxml_schema(namespace: str, response_namespace: str, xsd: Path, folder: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_Resolver(_Sources(namespace, response_namespace, folder)))
    text = schema_text(xsd, namespace, response_namespace)
    try:
        return etree.XMLSchema(etree.fromstring(text.encode("utf-8"), parser, base_url=xsd.as_uri()))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaSetError(f"{xsd}: the binding-A schema does not compile: {exc}") from None


@functools.lru_cache(maxsize=8)
def _xmlschema(namespace: str, response_namespace: str, xsd: Path, folder: Path) -> xmlschema.XMLSchema:
    opener = urllib.request.OpenerDirector()
    opener.add_handler(_FileHandler(_Sources(namespace, response_namespace, folder)))
    try:
        return xmlschema.XMLSchema(
            io.StringIO(schema_text(xsd, namespace, response_namespace)),
            base_url=str(xsd.parent), opener=opener, allow="local", use_fallback=False, timeout=5,
        )
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise SchemaSetError(f"{xsd}: the binding-A schema does not compile: {exc}") from None


class _Sources:
    """The files of the schema set's folder, with the placeholders replaced."""

    def __init__(self, namespace: str, response_namespace: str, folder: Path):
        self.namespace, self.response_namespace, self.folder = namespace, response_namespace, folder

    def text(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("", "file"):
            raise SchemaSetError(f"refused to fetch {url}: schemas are loaded from local files only")
        path = Path(urllib.request.url2pathname(parts.path) if parts.scheme else url).resolve()
        if not path.is_relative_to(self.folder):
            raise SchemaSetError(f"refused to read {path}: outside the schema set's folder {self.folder}")
        return schema_text(path, self.namespace, self.response_namespace)


class _Resolver(etree.Resolver):
    def __init__(self, sources: _Sources):
        super().__init__()
        self._sources = sources

    def resolve(self, url: str, pubid: str | None, context: object) -> object:
        return self.resolve_string(self._sources.text(url), context, base_url=url)


class _FileHandler(urllib.request.BaseHandler):
    """Serves ``file:`` URLs from :class:`_Sources`; the opener has no handler for other schemes."""

    def __init__(self, sources: _Sources):
        self._sources = sources

    def file_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        data = self._sources.text(req.full_url).encode("utf-8")
        headers = email.message.Message()
        headers["Content-Type"] = "application/xml"
        headers["Content-Length"] = str(len(data))
        return urllib.response.addinfourl(io.BytesIO(data), headers, req.full_url)
