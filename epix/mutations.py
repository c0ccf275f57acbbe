"""Small named mutations of a valid permit, each breaking one rule.

A :class:`Mutation` changes a deep copy of a valid document at the XML level and names
the error code and requirement a receiver must answer with (``with_source_code("K")``
-> EPX-301, DOC-02). Nodes are found through the schema set's field map (the fact
names of :class:`epix.model.PermitFacts`), never by ad-hoc XPaths, so the same
catalogue works on any schema the field map describes. An element that a mutation
needs and the document lacks is created where the schema's sequence puts it.

A mutation applies to a permit, or to an envelope whose payload is a permit. It changes
the document as it stands: mutate first, then sign (a mutated signed document no longer
verifies, EPX-201, which the signature checks test on their own).
:data:`MUTATIONS` is the catalogue the tests, ``epix validate`` tests and the
conformance suite use; ``sample`` names the kind of valid permit each is meant for.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from epix import clock
from epix.messages.fieldmap import FieldMap
from epix.schemaset import SchemaSet, default_schema_set
from epix.validation.rules import add_months

Change = Callable[["_Document"], None]
_SIMPLE_STEP = re.compile(r"^[A-Za-z_][\w.\-]*:[A-Za-z_][\w.\-]*$")


class MutationError(ValueError):
    """A mutation cannot be applied to this document (no permit in it, or a fact it needs
    is missing and cannot be created)."""


@dataclass(frozen=True)
class Mutation:
    """``apply(root)`` returns a changed deep copy of ``root``; a receiver must reject
    the result with ``expected_code`` for ``requirement``."""

    name: str
    apply: Callable[[etree._Element], etree._Element]
    expected_code: str
    requirement: str
    sample: str = "export-permit"
    description: str = ""

    def __str__(self) -> str:
        return self.name


class _Document:
    """A permit inside a (copied) tree, with its facts located through the field map."""

    def __init__(self, permit: etree._Element, schema_set: SchemaSet):
        self.permit = permit
        self.schema_set = schema_set
        self.fieldmap: FieldMap = schema_set.fieldmap
        self.namespaces = self.fieldmap.namespaces

    def facts(self):  # noqa: ANN201 (PermitFacts)
        return self.fieldmap.extract(self.permit)

    def items(self) -> list[etree._Element]:
        return self.permit.xpath(self.fieldmap.item, namespaces=self.namespaces)

    def _context(self, fact: str, item: int) -> tuple[etree._Element, str]:
        expression = self.fieldmap.expressions.get(fact)
        if expression is None:
            raise MutationError(f"the field map {self.fieldmap.source} has no path for the fact {fact!r}")
        if not fact.startswith("items."):
            return self.permit, expression
        items = self.items()
        if item >= len(items):
            raise MutationError(f"the document has {len(items)} item(s); item {item + 1} was asked for")
        return items[item], expression

    def node(self, fact: str, item: int = 0, *, create: bool = False) -> tuple[etree._Element, str | None]:
        """The element holding ``fact`` and, for an attribute fact, the attribute's name."""
        context, expression = self._context(fact, item)
        path, _, attribute = expression.partition("/@") if "/@" in expression else (expression, "", "")
        found = context.xpath(path, namespaces=self.namespaces)
        if found:
            return found[0], attribute or None
        if not create:
            raise MutationError(f"the document has no {fact!r} ({path}) to change")
        return self._create(context, path, fact), attribute or None

    def set(self, fact: str, value: str, item: int = 0) -> None:
        element, attribute = self.node(fact, item, create=True)
        if attribute:
            element.set(attribute, value)
        else:
            element.text = value

    def remove(self, fact: str, item: int = 0) -> None:
        """Remove ``fact``'s node, and the ancestors that it leaves empty."""
        element, attribute = self.node(fact, item)
        if attribute:
            element.attrib.pop(attribute, None)
            return
        stop = self.permit if not fact.startswith("items.") else self.items()[item]
        parent = element.getparent()
        parent.remove(element)
        while parent is not stop and len(parent) == 0 and not (parent.text or "").strip():
            grandparent = parent.getparent()
            grandparent.remove(parent)
            parent = grandparent

    def _create(self, context: etree._Element, path: str, fact: str) -> etree._Element:
        steps = path.split("/")
        if not all(_SIMPLE_STEP.match(step) for step in steps):
            raise MutationError(f"cannot create {fact!r}: its path {path!r} is not a plain element path")
        node = context
        for step in steps:
            tag = self._clark(step)
            child = node.find(tag)
            if child is None:
                child = etree.Element(tag)
                self._insert_in_schema_order(node, child)
            node = child
        return node

    def _clark(self, step: str) -> str:
        prefix, local = step.split(":")
        return f"{{{self.namespaces[prefix]}}}{local}"

    def _insert_in_schema_order(self, parent: etree._Element, child: etree._Element) -> None:
        order = self._child_order(parent)
        position = order.index(child.tag) if child.tag in order else len(order)
        for index, sibling in enumerate(parent):
            if sibling.tag in order and order.index(sibling.tag) > position:
                parent.insert(index, child)
                return
        parent.append(child)

    def _child_order(self, parent: etree._Element) -> list[str]:
        """The names of ``parent``'s children in the order of its schema sequence."""
        chain = []
        node = parent
        while node is not self.permit:
            chain.append(node)
            node = node.getparent()
        schema = self.schema_set.xmlschema_for(self.permit.tag)
        declaration = schema.maps.elements.get(self.permit.tag)
        for element in reversed(chain):
            if declaration is None:
                return []
            declaration = next((e for e in _children_of(declaration) if e.name == element.tag), None)
        return [] if declaration is None else [e.name for e in _children_of(declaration)]


def _children_of(declaration):  # noqa: ANN001, ANN202 (xmlschema components)
    content = getattr(declaration.type, "content", None)
    return list(content.iter_elements()) if content is not None and hasattr(content, "iter_elements") else []


def _permit_in(root: etree._Element, schema_set: SchemaSet) -> etree._Element:
    tag = schema_set.fieldmap.root_tag
    if root.tag == tag:
        return root
    found = next(root.iter(tag), None)
    if found is None:
        raise MutationError(f"no {schema_set.fieldmap.root} in {etree.QName(root).localname}: a mutation changes a permit")
    return found


def _mutation(name: str, change: Change, code: str, requirement: str, *, sample: str = "export-permit",
              description: str = "") -> Mutation:
    def apply(root: etree._Element) -> etree._Element:
        changed = copy.deepcopy(root)
        schema_set = default_schema_set()
        permit = _permit_in(changed, schema_set)
        change(_Document(permit, schema_set))
        return changed

    return Mutation(name, apply, code, requirement, sample, description)


def _call(function: str, *args: object) -> str:
    """``with_source_code("K")``: the mutation's name, as the call that makes it."""
    return f"{function}({', '.join(json.dumps(a, ensure_ascii=False) for a in args)})"


def _setting(fact: str, value: str, item: int = 0) -> Change:
    return lambda doc: doc.set(fact, value, item)


def _iso(moment: datetime) -> str:
    return clock.isoformat(moment)


# ----- code lists (DOC-02, EPX-301) -----

def with_purpose(code: str) -> Mutation:
    return _mutation(_call("with_purpose", code), _setting("purpose", code), "EPX-301", "DOC-02",
                     description=f"purpose code {code!r} (box 5a)")


def with_source_code(code: str) -> Mutation:
    return _mutation(_call("with_source_code", code), _setting("items.source", code), "EPX-301", "DOC-02",
                     description=f"source code {code!r} on the first item (box 10)")


def with_appendix(code: str) -> Mutation:
    return _mutation(_call("with_appendix", code), _setting("items.appendix", code), "EPX-301", "DOC-02",
                     description=f"appendix {code!r} on the first item (box 10)")


def with_unit(code: str) -> Mutation:
    return _mutation(_call("with_unit", code), _setting("items.unit", code), "EPX-301", "DOC-02",
                     description=f"unit {code!r} for the first item's quantity (box 11)")


def with_importer_country(code: str) -> Mutation:
    return _mutation(_call("with_importer_country", code), _setting("importer.country", code), "EPX-301", "DOC-02",
                     description=f"importer's country {code!r} (box 3)")


def with_origin_country(code: str) -> Mutation:
    return _mutation(_call("with_origin_country", code), _setting("items.origin_country", code), "EPX-301", "DOC-02",
                     sample="re-export-certificate", description=f"country of origin {code!r} on the first item (box 12)")


# ----- business rules (EPX-303) -----

def with_validity_months(months: int) -> Mutation:
    """DOC-03: valid until ``months`` calendar months after the issue date (breaks at 7 on an export permit)."""
    def change(doc: _Document) -> None:
        issued = doc.facts().issued_at
        if issued is None:
            raise MutationError("the document has no readable issue date to count the validity from")
        end = datetime.combine(add_months(issued.date(), months), issued.timetz())
        doc.set("valid_until", _iso(end))

    return _mutation(_call("with_validity_months", months), change, "EPX-303", "DOC-03",
                     description=f"valid for {months} months from the issue date")


def with_issue_date_in_future(days: int = 1) -> Mutation:
    """DOC-04: issued ``days`` after now (more than the 5 minutes of skew)."""
    return _mutation(
        _call("with_issue_date_in_future", days) if days != 1 else "with_issue_date_in_future()",
        lambda doc: doc.set("issued_at", _iso(clock.now() + timedelta(days=days))),
        "EPX-303", "DOC-04", description=f"issue date {days} day(s) in the future",
    )


def with_valid_from_after_until() -> Mutation:
    """DOC-04: the validity starts a day after it ends."""
    def change(doc: _Document) -> None:
        until = doc.facts().valid_until
        if until is None:
            raise MutationError("the document has no readable end of validity")
        doc.set("valid_from", _iso(until + timedelta(days=1)))

    return _mutation("with_valid_from_after_until()", change, "EPX-303", "DOC-04",
                     description="valid-from one day after valid-until")


def with_exporter_country(code: str) -> Mutation:
    """DOC-05: on an export permit, an exporter outside the issuing country."""
    return _mutation(_call("with_exporter_country", code), _setting("exporter.country", code), "EPX-303", "DOC-05",
                     description=f"exporter in {code!r}, not in the issuing country")


def without_origin_on_reexport() -> Mutation:
    """DOC-06: a re-export certificate whose first item names no country of origin."""
    return _mutation("without_origin_on_reexport()", lambda doc: doc.remove("items.origin_country"),
                     "EPX-303", "DOC-06", sample="re-export-certificate",
                     description="no country of origin on the first item of a re-export certificate")


def with_appendix_i_wild_commercial() -> Mutation:
    """DOC-07: an Appendix-I wild specimen traded for commercial purposes."""
    def change(doc: _Document) -> None:
        doc.set("items.appendix", "I")
        doc.set("items.source", "W")
        doc.set("purpose", "T")

    return _mutation("with_appendix_i_wild_commercial()", change, "EPX-303", "DOC-07",
                     description="Appendix I, source W, purpose T")


def with_item_id(value: str) -> Mutation:
    """DOC-08: the first item's ID (a token must not contain white space)."""
    return _mutation(_call("with_item_id", value), _setting("items.id", value), "EPX-303", "DOC-08",
                     description=f"item ID {value!r}")


def with_duplicate_item_id() -> Mutation:
    """DOC-08: a second item with the first item's ID."""
    def change(doc: _Document) -> None:
        items = doc.items()
        twin = copy.deepcopy(items[0])
        items[-1].addnext(twin)
        first_id, _ = doc.node("items.id", 0)
        doc.set("items.id", first_id.text or "", len(items))

    return _mutation("with_duplicate_item_id()", change, "EPX-303", "DOC-08",
                     description="two items with the same ID")


def with_replacement_of(number: str) -> Mutation:
    """DOC-09: names ``number`` as the document it replaces. Refused (EPX-303) only by a
    receiver that holds ``number`` from another issuer than this document's; one that never
    received it cannot tell and accepts, so this is no mutation of :data:`MUTATIONS`."""
    return _mutation(_call("with_replacement_of", number), _setting("replaces", number), "EPX-303", "DOC-09",
                     description=f"replaces the document {number!r}")


def with_replacement_of_itself() -> Mutation:
    """DOC-09: names its own number as the document it replaces (it names no other document)."""
    def change(doc: _Document) -> None:
        doc.set("replaces", doc.facts().number or "")

    return _mutation("with_replacement_of_itself()", change, "EPX-303", "DOC-09",
                     description="replaces itself")


def with_scientific_name(name: str) -> Mutation:
    """DOC-10: the first item's scientific name."""
    return _mutation(_call("with_scientific_name", name), _setting("items.scientific_name", name), "EPX-303", "DOC-10",
                     description=f"scientific name {name!r}")


def with_business_process(value: str) -> Mutation:
    """DOC-11: the business process context."""
    return _mutation(_call("with_business_process", value), _setting("business_process", value), "EPX-303", "DOC-11",
                     description=f"business process {value!r}")


# ----- schema (DOC-01, EPX-300) -----

def without_element(fact: str) -> Mutation:
    """DOC-01: the element of a required ``fact`` (``number``, ``items.source``) removed."""
    return _mutation(_call("without_element", fact), lambda doc: doc.remove(fact), "EPX-300", "DOC-01",
                     description=f"no {fact}")


def with_malformed_issue_date(text: str = "28.11.2026") -> Mutation:
    """DOC-01: an issue date that is not an ``xs:dateTime``."""
    return _mutation(_call("with_malformed_issue_date", text), _setting("issued_at", text), "EPX-300", "DOC-01",
                     description=f"issue date {text!r}")


def with_quantity(text: str) -> Mutation:
    """DOC-01: the first item's quantity as written (``-1``, ``twelve``)."""
    return _mutation(_call("with_quantity", text), _setting("items.quantity", text), "EPX-300", "DOC-01",
                     description=f"quantity {text!r}")


def _catalogue(*mutations: Mutation) -> dict[str, Mutation]:
    return {m.name: m for m in mutations}


#: Every named mutation, at least one per code list, per business rule and a few schema breaks.
MUTATIONS: dict[str, Mutation] = _catalogue(
    with_purpose("X"),
    with_source_code("K"),
    with_appendix("IV"),
    with_unit("BOX"),
    with_importer_country("XX"),
    with_origin_country("QQ"),
    with_validity_months(7),
    with_issue_date_in_future(),
    with_valid_from_after_until(),
    with_exporter_country("DE"),
    without_origin_on_reexport(),
    with_appendix_i_wild_commercial(),
    with_item_id("A B"),
    with_duplicate_item_id(),
    with_replacement_of_itself(),
    with_scientific_name("python regius"),
    with_business_process("TRADE"),
    without_element("number"),
    without_element("items.source"),
    with_malformed_issue_date(),
    with_quantity("-1"),
)
