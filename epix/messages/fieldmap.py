"""Read the facts of a CITES permit from XML through a field map.

A field map (a TOML file, e.g. ``schemas/permit/v2.fieldmap.toml``) holds everything
that depends on the schema: the root element, the namespaces and their prefixes, the
path of the item elements, one XPath per fact, and how text becomes a date-time, a
decimal or a boolean. The facts themselves are those of :class:`epix.model.PermitFacts`;
their names are the attribute names, dotted for nested records (``importer.country``)
and prefixed ``items.`` for item facts (``items.source``).

Extraction is tolerant: a fact that is absent, or whose text cannot be read as its type,
is ``None``; rules report it. Every XPath is compiled once, when the map is loaded.
Paths of plain child steps (nearly all of them) are also parsed into a
:class:`~epix.messages.childpaths.PathSet` and read in one walk of the root, then of each
item, with the same results as their XPaths; any other expression is evaluated with its
compiled XPath.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from epix.messages.childpaths import ChildPath, PathSet, parse_path
from epix.model import ItemFacts, PermitFacts
from epix.tomlfile import read_toml


class FieldMapError(ValueError):
    """A field map file that cannot be used; the message names the file and the field."""


class RootMismatch(ValueError):
    """The document's root element is not the one the field map reads."""


def _fact_kinds(record: type, prefix: str = "") -> dict[str, str]:
    """Fact name -> kind (text, texts, datetime, decimal, boolean), from the model's types."""
    kinds: dict[str, str] = {}
    hints = typing.get_type_hints(record)
    for f in fields(record):
        if f.name == "paths":
            continue
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if typing.get_origin(hint) is list:
            inner = args[0]
            if is_dataclass(inner):
                kinds.update(_fact_kinds(inner, f"{prefix}{f.name}."))
            else:
                kinds[prefix + f.name] = "texts"
        elif is_dataclass(hint):
            kinds.update(_fact_kinds(hint, f"{prefix}{f.name}."))
        else:
            base = args[0] if args else hint
            kinds[prefix + f.name] = _KIND_OF_TYPE[base]
    return kinds


_KIND_OF_TYPE: dict[type, str] = {str: "text", datetime: "datetime", Decimal: "decimal", bool: "boolean"}

#: Every fact a field map may name, with the kind of value it holds.
FACTS: dict[str, str] = _fact_kinds(PermitFacts)
_ITEM_FIELDS = [f.name for f in fields(ItemFacts)]

_XS_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_XS_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?")
_XML_SPACE = " \t\r\n"
_VALUE_KEYS = {"datetime", "naive_datetime", "decimal_separator", "true", "false"}


@dataclass(frozen=True)
class ValueFormats:
    """How the text of a node becomes a typed value (the ``[values]`` table).

    ``datetime``: the formats tried in order: ``xs:dateTime``, ``xs:date`` (midnight),
    or a ``strptime`` pattern such as ``%Y%m%d`` (UN/CEFACT format 102).
    ``naive_datetime``: a time without zone is read as ``utc``, or as ``missing``.
    """

    datetime: tuple[str, ...] = ("xs:dateTime",)
    naive_datetime: str = "utc"
    decimal_separator: str = "."
    true: frozenset[str] = frozenset({"true", "1"})
    false: frozenset[str] = frozenset({"false", "0"})
    _decimal: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sep = re.escape(self.decimal_separator)
        object.__setattr__(self, "_decimal", re.compile(rf"[+-]?(\d+({sep}\d*)?|{sep}\d+)"))

    def read_datetime(self, text: str) -> datetime | None:
        text = text.strip(_XML_SPACE)
        for form in self.datetime:
            moment = _parse_datetime(text, form)
            if moment is not None:
                if moment.tzinfo is None:
                    if self.naive_datetime != "utc":
                        return None
                    moment = moment.replace(tzinfo=timezone.utc)
                return moment.astimezone(timezone.utc)
        return None

    def read_decimal(self, text: str) -> Decimal | None:
        text = text.strip(_XML_SPACE)
        if not self._decimal.fullmatch(text):
            return None
        try:
            return Decimal(text.replace(self.decimal_separator, "."))
        except InvalidOperation:
            return None

    def read_boolean(self, text: str) -> bool | None:
        text = text.strip(_XML_SPACE)
        if text in self.true:
            return True
        if text in self.false:
            return False
        return None


def _parse_datetime(text: str, form: str) -> datetime | None:
    try:
        if form == "xs:dateTime":
            return datetime.fromisoformat(text) if _XS_DATETIME.fullmatch(text) else None
        if form == "xs:date":
            match = _XS_DATE.fullmatch(text)
            if not match:
                return None
            zone = match.group(4) or ""
            return datetime.fromisoformat(f"{match.group(1)}-{match.group(2)}-{match.group(3)}T00:00:00{zone}")
        return datetime.strptime(text, form)
    except ValueError:
        return None


def _first_text(result: Any) -> str | None:
    """The text of the first node (or the value) an XPath returned; None when nothing."""
    if isinstance(result, list):
        if not result:
            return None
        result = result[0]
    if isinstance(result, etree._Element):
        return result.text or ""
    if isinstance(result, bool):
        return "true" if result else "false"
    return str(result)


def _all_texts(result: Any) -> list[str]:
    if not isinstance(result, list):
        text = _first_text(result)
        return [] if text is None else [text]
    return [(r.text or "") if isinstance(r, etree._Element) else str(r) for r in result]


@dataclass(frozen=True)
class _Fact:
    owner: str | None  # attribute of PermitFacts holding a nested record (importer), or None
    attr: str
    kind: str  # text, texts, datetime, decimal, boolean
    xpath: etree.XPath
    read: Callable[[Any], Any]  # value from what the XPath returned
    path: ChildPath | None  # the same expression as child steps, when it is one
    read_found: Callable[[list[Any]], Any] | None  # value from what the PathSet found for ``path``


class _Reader:
    """Reads a group of facts from one context element: the child paths in one walk
    (:class:`PathSet`), the other expressions each with its compiled XPath."""

    def __init__(self, facts: list[_Fact]) -> None:
        walked = [fact for fact in facts if fact.path is not None]
        self.evaluated = [fact for fact in facts if fact.path is None]
        self.facts = walked + self.evaluated
        self.paths = PathSet([fact.path for fact in walked if fact.path is not None])
        self.readers = tuple(fact.read_found for fact in walked)
        self.listed = tuple(index for index, fact in enumerate(walked) if fact.kind == "texts")
        self.absent = [None] * len(self.facts)

    def read(self, context: etree._Element) -> list[Any]:
        """The value of each fact of :attr:`facts`, in that order, read from ``context``."""
        values = self.absent.copy()
        readers = self.readers
        for index, found in self.paths.read(context).items():
            values[index] = readers[index](found)
        for index in self.listed:
            if values[index] is None:
                values[index] = []
        if self.evaluated:
            offset = len(self.readers)
            for index, fact in enumerate(self.evaluated, offset):
                values[index] = fact.read(fact.xpath(context))
        return values


class FieldMap:
    """Where each fact of a permit lives in one schema's XML, compiled for fast reading."""

    def __init__(
        self,
        *,
        root: str,
        item: str,
        namespaces: Mapping[str, str],
        facts: Mapping[str, str],
        values: ValueFormats | None = None,
        source: str = "field map",
    ) -> None:
        self.source = source
        self.namespaces = dict(namespaces)
        self.values = values or ValueFormats()
        self.root = root
        self.root_tag = _clark(root, self.namespaces, source, "document.root")
        self.item = item
        self.expressions = dict(facts)
        self._item_xpath = _compile(item, self.namespaces, source, "document.item")
        self._header: list[_Fact] = []
        self._item: list[_Fact] = []
        self.paths: dict[str, str] = {"items": f"/{root}/{item}"}
        for name, expression in self.expressions.items():
            self._add(name, expression)
        self._header_reader = _Reader(self._header)
        self._item_reader = _Reader(sorted(self._item, key=lambda fact: _ITEM_FIELDS.index(fact.attr)))
        # every item fact mapped, in the order of ItemFacts' fields: items are built positionally
        self._item_fields_in_order = tuple(fact.attr for fact in self._item_reader.facts) == tuple(_ITEM_FIELDS)

    @classmethod
    def load(cls, path: str | Path) -> FieldMap:
        """Read a field map TOML file; raises :class:`FieldMapError` naming the file and field."""
        path = Path(path)
        data, shown = read_toml(path, "the field map", FieldMapError)
        return cls.from_dict(data, source=shown)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "field map") -> FieldMap:
        _only_keys(data, {"document", "namespaces", "values", "facts"}, source, "")
        document = _table(data, "document", source)
        _only_keys(document, {"root", "item"}, source, "document.")
        namespaces = _table(data, "namespaces", source)
        for prefix, uri in namespaces.items():
            _string(uri, source, f"namespaces.{prefix}")
        return cls(
            root=_string(document.get("root"), source, "document.root"),
            item=_string(document.get("item"), source, "document.item"),
            namespaces=namespaces,
            facts=_flatten(_table(data, "facts", source), source),
            values=_values(data.get("values", {}), source),
            source=source,
        )

    def extract(self, root: etree._Element) -> PermitFacts:
        """The facts of the permit ``root``; see :func:`extract_facts`."""
        if root.tag != self.root_tag:
            raise RootMismatch(f"{self.source} reads {self.root} documents, not {root.tag}")
        facts = PermitFacts()
        for fact, value in zip(self._header_reader.facts, self._header_reader.read(root)):
            setattr(facts if fact.owner is None else getattr(facts, fact.owner), fact.attr, value)
        read_item = self._item_reader.read
        if self._item_fields_in_order:
            facts.items = [ItemFacts(*read_item(element)) for element in self._item_xpath(root)]
        else:
            names = tuple(fact.attr for fact in self._item_reader.facts)
            facts.items = [ItemFacts(**dict(zip(names, read_item(element)))) for element in self._item_xpath(root)]
        facts.paths = dict(self.paths)
        return facts

    def _add(self, name: str, expression: str) -> None:
        field_name = f"facts.{name}"
        kind = FACTS.get(name)
        if kind is None:
            raise FieldMapError(f"{self.source}: field '{field_name}' is not a permit fact; known facts: {', '.join(FACTS)}")
        expression = _string(expression, self.source, field_name)
        if expression.startswith("/"):
            raise FieldMapError(f"{self.source}: field '{field_name}' must be relative to the "
                                f"{'item element' if name.startswith('items.') else 'root'}, not {expression!r}")
        xpath = _compile(expression, self.namespaces, self.source, field_name)
        read = self._reader(kind)
        path = parse_path(expression, self.namespaces)
        read_found = None if path is None else self._found_reader(kind, path.attribute is not None)
        if name.startswith("items."):
            self._item.append(_Fact(None, name.removeprefix("items."), kind, xpath, read, path, read_found))
            self.paths[name] = f"/{self.root}/{self.item}[{{item}}]/{expression}"
        else:
            owner, _, attr = name.rpartition(".")
            self._header.append(_Fact(owner or None, attr, kind, xpath, read, path, read_found))
            self.paths[name] = f"/{self.root}/{expression}"

    def _reader(self, kind: str) -> Callable[[Any], Any]:
        if kind == "texts":
            return _all_texts
        if kind == "text":
            return _first_text
        convert = {
            "datetime": self.values.read_datetime,
            "decimal": self.values.read_decimal,
            "boolean": self.values.read_boolean,
        }[kind]

        def read(result: Any) -> Any:
            text = _first_text(result)
            return None if text is None else convert(text)

        return read

    def _found_reader(self, kind: str, attribute: bool) -> Callable[[list[Any]], Any]:
        """Like :meth:`_reader`, for the list a :class:`PathSet` found: elements, or the
        values of an attribute (the same as the XPath's result, so the same value)."""
        if kind == "texts":
            return list if attribute else _texts_of
        first = _first_value if attribute else _first_element_text
        if kind == "text":
            return first
        convert = {
            "datetime": self.values.read_datetime,
            "decimal": self.values.read_decimal,
            "boolean": self.values.read_boolean,
        }[kind]

        def read(found: list[Any]) -> Any:
            return convert(first(found)) if found else None

        return read


def _first_element_text(found: list[etree._Element]) -> str | None:
    return (found[0].text or "") if found else None


def _first_value(found: list[str]) -> str | None:
    return found[0] if found else None


def _texts_of(found: list[etree._Element]) -> list[str]:
    return [element.text or "" for element in found]


def extract_facts(root: etree._Element, fieldmap: FieldMap) -> PermitFacts:
    """Read ``root`` into :class:`PermitFacts` through ``fieldmap``.

    Missing or unreadable values are ``None``; ``facts.paths`` gets the XPath template
    of every mapped fact (item facts with ``{item}`` for the 1-based item index).
    Raises :class:`RootMismatch` when ``root`` is not the field map's root element.
    """
    return fieldmap.extract(root)


def _compile(expression: str, namespaces: dict[str, str], source: str, field_name: str) -> etree.XPath:
    try:
        xpath = etree.XPath(expression, namespaces=namespaces, smart_strings=False)
        xpath(etree.Element("probe"))  # undefined prefixes and functions show only when evaluated
    except (etree.XPathSyntaxError, etree.XPathEvalError) as exc:
        raise FieldMapError(f"{source}: field '{field_name}': XPath {expression!r} is not usable: {exc}") from None
    return xpath


def _clark(name: str, namespaces: dict[str, str], source: str, field_name: str) -> str:
    prefix, colon, local = name.rpartition(":")
    if not colon:
        return name
    if prefix not in namespaces:
        raise FieldMapError(f"{source}: field '{field_name}': prefix {prefix!r} of {name!r} is not declared in [namespaces]")
    return f"{{{namespaces[prefix]}}}{local}"


def _flatten(table: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, source, f"{prefix}{key}."))
        else:
            flat[prefix + key] = _string(value, source, f"facts.{prefix}{key}")
    return flat


def _values(table: Any, source: str) -> ValueFormats:
    if not isinstance(table, dict):
        raise FieldMapError(f"{source}: field 'values' must be a table")
    _only_keys(table, _VALUE_KEYS, source, "values.")
    defaults = ValueFormats()
    formats = tuple(_strings(table.get("datetime", list(defaults.datetime)), source, "values.datetime"))
    for form in formats:
        if form not in ("xs:dateTime", "xs:date") and "%" not in form:
            raise FieldMapError(f"{source}: field 'values.datetime': {form!r} is neither xs:dateTime, "
                                "xs:date nor a strptime pattern")
    naive = _string(table.get("naive_datetime", defaults.naive_datetime), source, "values.naive_datetime")
    if naive not in ("utc", "missing"):
        raise FieldMapError(f"{source}: field 'values.naive_datetime' must be \"utc\" or \"missing\", not {naive!r}")
    separator = _string(table.get("decimal_separator", defaults.decimal_separator), source, "values.decimal_separator")
    if separator not in (".", ","):
        raise FieldMapError(f"{source}: field 'values.decimal_separator' must be \".\" or \",\", not {separator!r}")
    true = frozenset(_strings(table.get("true", sorted(defaults.true)), source, "values.true"))
    false = frozenset(_strings(table.get("false", sorted(defaults.false)), source, "values.false"))
    if true & false:
        raise FieldMapError(f"{source}: fields 'values.true' and 'values.false' share {sorted(true & false)}")
    return ValueFormats(datetime=formats, naive_datetime=naive, decimal_separator=separator, true=true, false=false)


def _table(data: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise FieldMapError(f"{source}: field '{key}' is missing or not a table")
    return value


def _string(value: Any, source: str, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldMapError(f"{source}: field '{field_name}' must be a non-empty string, not {value!r}")
    return value


def _strings(value: Any, source: str, field_name: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise FieldMapError(f"{source}: field '{field_name}' must be a non-empty list of strings")
    return [_string(v, source, field_name) for v in value]


def _only_keys(table: Mapping[str, Any], allowed: set[str], source: str, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise FieldMapError(f"{source}: field '{prefix}{unknown[0]}' is not known here; "
                            f"expected {', '.join(prefix + a for a in sorted(allowed))}")

