"""Schema validity: every error of a message against its XSD, not only the first.

lxml answers yes or no quickly; only when the answer is no does xmlschema walk the same
lxml tree (``iter_errors``) to list each error with the XPath of its node (prefixes of
:data:`epix.namespaces.PREFIXES`) and its line. With :data:`SECOND_OPINION_VARIABLE` set,
xmlschema also judges what lxml found valid, and a disagreement stops the check. The code and requirement depend on what
was validated: a document is EPX-300 / DOC-01, an envelope EPX-101 / ENV-10, an
acknowledgement EPX-101 / ACK-01, a binding-A request EPX-101 / PULL-04.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import xmlschema
from lxml import etree
from xmlschema.validators import XsdAtomicBuiltin
from xmlschema.validators.exceptions import XMLSchemaChildrenValidationError, XMLSchemaValidationError

from epix.findings import Finding
from epix.namespaces import PREFIXES
from epix.safexml import xpath_of


@dataclass(frozen=True)
class SchemaCheck:
    """The code and requirement of a schema error for one kind of message."""

    code: str
    requirement: str
    what: str


DOCUMENT = SchemaCheck("EPX-300", "DOC-01", "document")
ENVELOPE = SchemaCheck("EPX-101", "ENV-10", "envelope")
ACKNOWLEDGEMENT = SchemaCheck("EPX-101", "ACK-01", "acknowledgement")
BINDING_A_REQUEST = SchemaCheck("EPX-101", "PULL-04", "binding A request")
BINDING_A_RESPONSE = SchemaCheck("EPX-101", "PULL-02", "binding A response")
STATUS = SchemaCheck("EPX-101", "LIF-02", "status")
TRACKING = SchemaCheck("EPX-101", "HUB-01", "tracking status")

#: Set (to any value) to have xmlschema judge every document that lxml judged as well, and
#: to stop at any disagreement: the self-test does, so that a misreading by one schema
#: engine cannot pass unnoticed.
SECOND_OPINION_VARIABLE = "EPIX_SECOND_OPINION"


def second_opinion() -> bool:
    return bool(os.environ.get(SECOND_OPINION_VARIABLE))


class EnginesDisagree(RuntimeError):
    """lxml and xmlschema gave different verdicts on one message: a fault of the harness's
    schema handling, not of the partner (a scenario that meets it is broken)."""

    def __init__(self, check: SchemaCheck, lxml_valid: bool, first: XMLSchemaValidationError | None,
                 lxml_errors: list[etree._LogEntry]):
        if lxml_valid:
            why = f"lxml finds the {check.what} valid, xmlschema finds: {first.reason if first else '?'}"
        else:
            why = (f"lxml finds the {check.what} invalid ({lxml_errors[0].message if lxml_errors else '?'}), "
                   "xmlschema finds no error")
        super().__init__(f"the two schema engines disagree on a {check.what}: {why}")


DetailedSchema = xmlschema.XMLSchemaBase | Callable[[], xmlschema.XMLSchemaBase]
_CLARK = re.compile(r"\{([^}]*)\}([\w.\-]+)")


def check_schema(
    root: etree._Element,
    schema: etree.XMLSchema,
    detailed: DetailedSchema,
    check: SchemaCheck,
    *,
    ignore: Callable[[etree._Element], bool] | None = None,
    prefixes: Mapping[str, str] = PREFIXES,
) -> list[Finding]:
    """All schema errors of ``root`` as findings of ``check``; ``[]`` when valid.

    ``detailed`` is the same schema for xmlschema (or a callable returning it, so it is
    only built when needed); ``ignore`` drops errors at nodes another check owns (the
    payload of an envelope, validated as a document of its own); ``prefixes`` name the
    namespaces in locations and sentences.
    """
    valid = schema.validate(root)
    if valid and not second_opinion():
        return []
    lxml_errors = list(schema.error_log)
    detail = detailed() if callable(detailed) else detailed
    names = _Names(prefixes)
    raw = [(error, _node_of(error)) for error in detail.iter_errors(root)]
    if second_opinion() and valid == bool(raw):
        raise EnginesDisagree(check, valid, raw[0][0] if raw else None, lxml_errors)
    if valid:
        return []
    kept = [(e, n) for e, n in raw if n is None or ignore is None or not ignore(n)]
    if raw:
        return [_finding(error, node, check, names) for error, node in _without_consequences(kept)]
    return [_lxml_finding(entry, check, names) for entry in lxml_errors]


class _Names:
    """Element names and XPaths written with one set of prefixes."""

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = prefixes
        self.by_ns = {ns: prefix for prefix, ns in prefixes.items()}

    def name(self, node: etree._Element) -> str:
        q = etree.QName(node)
        prefix = self.by_ns.get(q.namespace or "")
        return f"{prefix}:{q.localname}" if prefix else q.localname

    def xpath(self, node: etree._Element) -> str:
        return xpath_of(node, self.prefixes)

    def text(self, text: str) -> str:
        """``{urn:…envelope:1}From`` written as ``epx:From`` in a sentence."""
        def repl(match: re.Match[str]) -> str:
            prefix = self.by_ns.get(match.group(1))
            return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

        return _CLARK.sub(repl, text)


def within(document: etree._Element | None) -> Callable[[etree._Element], bool] | None:
    """An ``ignore`` for :func:`check_schema`: true for ``document`` and everything inside it."""
    if document is None:
        return None
    return lambda node: node is document or any(a is document for a in node.iterancestors())


def locator(prefixes: Mapping[str, str]) -> Callable[[etree._Element], str]:
    """A function giving the XPath of an element with ``prefixes`` (like ``xpath_of``)."""
    return _Names(prefixes).xpath


def _without_consequences(errors: list[tuple[XMLSchemaValidationError, etree._Element | None]]):  # noqa: ANN202
    """Drop the facet errors of a value that is not even of its built-in type
    ('yesterday' is no xs:dateTime, so that it misses the pattern says nothing more)."""
    mistyped = {id(node) for error, node in errors if node is not None and isinstance(error.validator, XsdAtomicBuiltin)}
    return [
        (error, node) for error, node in errors
        if node is None or id(node) not in mistyped or isinstance(error.validator, XsdAtomicBuiltin)
    ]


def _node_of(error: XMLSchemaValidationError) -> etree._Element | None:
    if isinstance(error, XMLSchemaChildrenValidationError):
        child = error.invalid_child
        if isinstance(child, etree._Element):
            return child
    return error.elem if isinstance(error.elem, etree._Element) else None


def _finding(error: XMLSchemaValidationError, node: etree._Element | None, check: SchemaCheck, names: _Names) -> Finding:
    location = names.xpath(node) if node is not None else None
    line = node.sourceline if node is not None else error.sourceline
    return Finding(check.code, check.requirement, _sentence(error, node, check, names), location=location, line=line)


def _sentence(error: XMLSchemaValidationError, node: etree._Element | None, check: SchemaCheck, names: _Names) -> str:
    reason = names.text(error.reason or error.message).rstrip(".")
    if isinstance(error, XMLSchemaChildrenValidationError):
        owner = names.name(error.elem) if isinstance(error.elem, etree._Element) else "an element"
        return f"The {check.what} is not valid against its schema: in {owner}, {_lower_first(reason)}"
    name = names.name(node) if node is not None else "the document"
    if error.obj is not None and not isinstance(error.obj, etree._Element):
        value = error.obj.decode("utf-8", "replace") if isinstance(error.obj, bytes) else str(error.obj)
        if isinstance(error.validator, XsdAtomicBuiltin):
            return f"The value {value!r} of {name} is not a valid {error.validator.prefixed_name}"
        return f"The value {value!r} of {name} does not meet {_type_name(error.validator)}: {reason}"
    return f"{name} is not valid against the {check.what} schema: {reason}"


def _type_name(validator: object) -> str:
    parent = getattr(validator, "parent", None)
    name = getattr(parent, "prefixed_name", None) or getattr(validator, "prefixed_name", None)
    return f"the type {name}" if name else "its type"


def _lxml_finding(entry: etree._LogEntry, check: SchemaCheck, names: _Names) -> Finding:
    text = names.text(entry.message).rstrip(".")
    return Finding(check.code, check.requirement, f"The {check.what} is not valid against its schema: {text}",
                   location=entry.path or None, line=entry.line or None)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
