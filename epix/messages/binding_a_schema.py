"""The XML Schema of binding A's SOAP messages, with the hub's namespaces as settings.

The schema set names the XSD of a ``soap:Envelope`` (``schemas/binding-a/soap-message.xsd``
in the set that ships). It and the binding-A XSDs it imports name the request and
response namespaces by placeholders; the schema set's loaders put the namespaces of a
:class:`~epix.messages.soap.SoapSettings` in their place in every file they read, so a
profile with other namespaces needs no edited copy. Where requests and responses share
one namespace, the request schema includes the response schema instead of importing it
(:func:`epix.schemaset.read_schema`). Files are read only from inside the schema set's
folder, never from the network; each schema is compiled once per process and settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import xmlschema
from lxml import etree

from epix.namespaces import SOAP, qname
from epix.schemaset import SchemaSet, default_schema_set, load_xmlschema, load_xsd, read_schema

if TYPE_CHECKING:
    from epix.messages.soap import SoapSettings

REQUEST_PLACEHOLDER = "urn:epix:binding-a:request-namespace"
RESPONSE_PLACEHOLDER = "urn:epix:binding-a:response-namespace"
SOAP_ENVELOPE = qname(SOAP, "Envelope")


def binding_a_schema(settings: SoapSettings, schema_set: SchemaSet | None = None) -> etree.XMLSchema:
    """An lxml schema for any binding-A message (request, response or fault) under ``settings``."""
    xsd, folder = _driver(schema_set)
    return load_xsd(xsd, confine_to=folder, substitutions=_substitutions(settings.namespace, settings.response_namespace))


def binding_a_xmlschema(settings: SoapSettings, schema_set: SchemaSet | None = None) -> xmlschema.XMLSchema:
    """The same schema compiled by xmlschema, which lists every error with its path."""
    xsd, folder = _driver(schema_set)
    return load_xmlschema(xsd, confine_to=folder,
                          substitutions=_substitutions(settings.namespace, settings.response_namespace))


def schema_text(path: Path, namespace: str, response_namespace: str) -> str:
    """The text of the XSD at ``path`` with the placeholders replaced by the namespaces."""
    return read_schema(path, _substitutions(namespace, response_namespace))


def _substitutions(namespace: str, response_namespace: str) -> dict[str, str]:
    return {REQUEST_PLACEHOLDER: namespace, RESPONSE_PLACEHOLDER: response_namespace}


def _driver(schema_set: SchemaSet | None) -> tuple[Path, Path]:
    chosen = schema_set or default_schema_set()
    return chosen.entry_for(SOAP_ENVELOPE).xsd, chosen.folder
