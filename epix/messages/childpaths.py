"""Child-step paths: the simple XPaths of a field map, read in one walk of the tree.

Nearly every fact of a field map is a path of child steps (``ram:A/ram:B/ram:C``),
perhaps ending in an attribute (``ram:A/@unitCode``, ``@sequence``), perhaps with a step
chosen by the text of one of its children (``ram:Doc[normalize-space(ram:TypeCode)='861']``).
Evaluating one compiled XPath per fact and per item costs a call into libxml2 each time;
for a permit of 1,000 items that is most of the validation. A :class:`PathSet` parses
such paths once into a tree of steps (a trie: paths that share steps share nodes) and
reads all of them from a context element in one depth-first walk that enters only the
children whose tag some path names next.

Results are exactly what ``etree.XPath(expression, smart_strings=False)`` returns: the
selected elements in document order, or the attribute values as plain strings.
:func:`parse_path` answers ``None`` for any expression outside this small grammar
(other axes, wildcards, functions, unions, positions, white space between steps …); the
caller keeps the compiled XPath for those.

Grammar, with ``Name`` an ASCII NCName and ``QName`` ``Name`` or ``prefix:Name``::

    Path      := (Step ('/' Step)* ('/@' QName)?) | '@' QName
    Step      := QName Predicate?
    Predicate := '[' (Simple | 'normalize-space(' Simple ')') '=' Literal ']'
    Simple    := Path without predicates
    Literal   := '...' | "..."

``[P = 'x']`` holds when some node of ``P`` has the string value ``x`` (XPath's
comparison of a node-set with a string); ``[normalize-space(P) = 'x']`` when the string
value of the first node of ``P``, with white space collapsed, is ``x``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_QNAME = rf"(?:{_NAME}:)?{_NAME}"
_SIMPLE = rf"(?:{_QNAME}(?:/{_QNAME})*(?:/@{_QNAME})?|@{_QNAME})"
_LITERAL = r"(?:'[^']*'|\"[^\"]*\")"
_PREDICATE = (rf"\[\s*(?:normalize-space\(\s*(?P<normalized>{_SIMPLE})\s*\)|(?P<plain>{_SIMPLE}))"
              rf"\s*=\s*(?P<literal>{_LITERAL})\s*\]")
_STEP = re.compile(rf"(?P<name>{_QNAME})(?:{_PREDICATE})?")
_ATTRIBUTE = re.compile(rf"@(?P<name>{_QNAME})")
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Predicate:
    """``[P = 'literal']`` or ``[normalize-space(P) = 'literal']`` on one step."""

    path: ChildPath
    literal: str
    normalize: bool

    def holds(self, element: etree._Element) -> bool:
        found = self.path.select(element)
        if self.normalize:
            text = _string_value(found[0]) if found else ""
            return _XPATH_SPACE.sub(" ", text).strip(" \t\r\n") == self.literal
        return any(_string_value(node) == self.literal for node in found)


@dataclass(frozen=True)
class Step:
    tag: str  # Clark notation
    predicate: Predicate | None = None


@dataclass(frozen=True)
class ChildPath:
    """Child steps, then optionally an attribute (Clark notation)."""

    steps: tuple[Step, ...]
    attribute: str | None = None

    def select(self, context: etree._Element) -> list[etree._Element | str]:
        """What the XPath selects from ``context``, in document order (for predicates)."""
        nodes: list[etree._Element] = [context]
        for step in self.steps:
            nodes = [child for node in nodes for child in node
                     if child.tag == step.tag and (step.predicate is None or step.predicate.holds(child))]
        if self.attribute is None:
            return list(nodes)
        return [value for node in nodes if (value := node.get(self.attribute)) is not None]


def _string_value(node: etree._Element | str) -> str:
    """XPath's string value: an attribute's value, or all the text inside an element."""
    return node if isinstance(node, str) else "".join(node.itertext())


def parse_path(expression: str, namespaces: Mapping[str, str]) -> ChildPath | None:
    """The path ``expression`` as child steps, or ``None`` when it is not in the grammar above."""
    return _parse(expression, namespaces, predicates=True)


def _parse(expression: str, namespaces: Mapping[str, str], *, predicates: bool) -> ChildPath | None:
    steps: list[Step] = []
    position = 0
    while True:
        attribute = _ATTRIBUTE.match(expression, position)
        if attribute is not None:
            if attribute.end() != len(expression):
                return None
            name = _clark(attribute.group("name"), namespaces)
            return None if name is None else ChildPath(tuple(steps), name)
        match = _STEP.match(expression, position)
        if match is None:
            return None
        tag = _clark(match.group("name"), namespaces)
        if tag is None:
            return None
        predicate = None
        if match.group("literal") is not None:
            if not predicates:
                return None
            inner = match.group("normalized") or match.group("plain")
            path = _parse(inner, namespaces, predicates=False)
            if path is None:
                return None
            predicate = Predicate(path, match.group("literal")[1:-1], match.group("normalized") is not None)
        steps.append(Step(tag, predicate))
        position = match.end()
        if position == len(expression):
            return ChildPath(tuple(steps))
        if expression[position] != "/":
            return None
        position += 1


def _clark(name: str, namespaces: Mapping[str, str]) -> str | None:
    prefix, colon, local = name.rpartition(":")
    if not colon:
        return local
    uri = namespaces.get(prefix)
    return None if uri is None else f"{{{uri}}}{local}"


@dataclass
class _Node:
    """A step of the trie: the paths that end here, and the steps that go on."""

    ends: list[int] = field(default_factory=list)  # paths selecting this element
    attributes: list[tuple[int, str]] = field(default_factory=list)  # paths selecting an attribute of it
    # tag -> (predicate or None, next node); several entries when predicates differ
    children: dict[str, list[tuple[Predicate | None, _Node]]] = field(default_factory=dict)

    def child(self, step: Step) -> _Node:
        entries = self.children.setdefault(step.tag, [])
        for predicate, node in entries:
            if predicate == step.predicate:
                return node
        node = _Node()
        entries.append((step.predicate, node))
        return node

    def frozen(self) -> _Level | None:
        """The steps below this node as plain tuples and dicts, for a fast walk."""
        if not self.children:
            return None
        plain: dict[str, _Entry] = {}
        predicated: dict[str, tuple[tuple[Predicate, _Entry], ...]] = {}
        for tag, entries in self.children.items():
            for predicate, node in entries:
                entry = (tuple(node.ends), tuple(node.attributes), node.frozen())
                if predicate is None:
                    plain[tag] = entry
                else:
                    predicated[tag] = (*predicated.get(tag, ()), (predicate, entry))
        return plain, predicated


#: What a step leads to: the paths that select its element, the (path, attribute) pairs
#: that select one of its attributes, and the steps below it.
_Entry = tuple[tuple[int, ...], tuple[tuple[int, str], ...], "_Level | None"]
#: The steps from one element, by tag: those without a predicate, and those with one.
_Level = tuple[dict[str, _Entry], dict[str, tuple[tuple[Predicate, _Entry], ...]]]
_Results = dict[int, list[etree._Element | str]]


class PathSet:
    """Several child paths read together from one context element."""

    def __init__(self, paths: list[ChildPath]) -> None:
        self.size = len(paths)
        root = _Node()
        for index, path in enumerate(paths):
            node = root
            for step in path.steps:
                node = node.child(step)
            if path.attribute is None:
                node.ends.append(index)
            else:
                node.attributes.append((index, path.attribute))
        self._attributes = tuple(root.attributes)  # "@name": attributes of the context itself
        self._level = root.frozen()

    def read(self, context: etree._Element) -> _Results:
        """What the XPath of each path selects from ``context``, by the path's index in
        the list given; a path that selects nothing is left out."""
        results: _Results = {}
        if self._attributes:
            _take_attributes(context, self._attributes, results)
        if self._level is not None:
            _walk(context, self._level, results)
        return results


def _walk(element: etree._Element, level: _Level, results: _Results) -> None:
    """Depth first, in document order, into the children some path names next."""
    plain, predicated = level
    get = plain.get
    for child in element:
        tag = child.tag
        entry = get(tag)
        if entry is not None:
            _reached(child, entry, results)
        if predicated and tag in predicated:
            for predicate, reached in predicated[tag]:
                if predicate.holds(child):
                    _reached(child, reached, results)


def _reached(element: etree._Element, entry: _Entry, results: _Results) -> None:
    """``element`` is where some paths end (``ends``), where attributes are read, and
    where others go on (``below``)."""
    ends, attributes, below = entry
    for index in ends:
        results.setdefault(index, []).append(element)
    if attributes:
        _take_attributes(element, attributes, results)
    if below is not None:
        _walk(element, below, results)


def _take_attributes(element: etree._Element, attributes: tuple[tuple[int, str], ...], results: _Results) -> None:
    for index, name in attributes:
        value = element.get(name)
        if value is not None:
            results.setdefault(index, []).append(value)
