"""Schema sets: which XSD validates each kind of document, and the permit's field map.

A schema set is a TOML file (``schemas/v2.schemaset.toml`` ships; its header documents
the format) with one entry per document root element. A profile may name another
schema set, e.g. the official toolkit schemas, with their own field map.

XSDs are read from local files only: every ``schemaLocation`` must be a relative path
that stays inside the schema set's folder, nothing is fetched from the network, and no
DTD is read. Each XSD is compiled once per process, whichever schema set names it.
A loader can replace text (a placeholder namespace that is a setting) in every file it
reads, so that a setting needs no edited copy of the schemas.
Compiled lxml schemas are shared: ``validate()`` keeps its error log on the schema
object, so do not validate with one object from several threads at once.
"""

from __future__ import annotations

import email.message
import functools
import io
import os
import threading
import urllib.request
import urllib.response
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import xmlschema
from lxml import etree

from epix.messages.fieldmap import FieldMap, FieldMapError
from epix.paths import SCHEMAS
from epix.safexml import XmlRefused, parse
from epix.tomlfile import display_path, read_toml

#: The schema set that ships: the CITES ePermit v2 message of the EPIX pilot.
DEFAULT_SCHEMA_SET = SCHEMAS / "v2.schemaset.toml"
#: The document kind whose root element the field map reads.
PERMIT_KIND = "permit"

_XS = "http://www.w3.org/2001/XMLSchema"
_REFERENCES = {f"{{{_XS}}}{name}" for name in ("import", "include", "redefine", "override")}
_TOP_KEYS = {"name", "fieldmap", "namespaces", "roots"}
_ENTRY_KEYS = {"kind", "xsd"}


class SchemaSetError(ValueError):
    """A schema set, or one of its XSDs or its field map, cannot be used; the message names the file."""


class UnknownRootError(LookupError):
    """No schema of the set is for this root element."""


@dataclass(frozen=True)
class SchemaEntry:
    """One ``[roots]`` line: a root element, its document kind and the XSD that validates it."""

    root: str  # Clark notation: {namespace}LocalName
    kind: str
    xsd: Path


class SchemaSet:
    """A named set of XSDs, one per document root element, and the permit field map."""

    def __init__(self, *, name: str, path: Path, entries: Mapping[str, SchemaEntry], fieldmap: FieldMap) -> None:
        self.name = name
        self.path = path
        self.folder = path.resolve().parent
        self.entries = dict(entries)
        self.fieldmap = fieldmap

    @classmethod
    def load(cls, path: str | Path) -> SchemaSet:
        """Read a schema set TOML; raises :class:`SchemaSetError` naming the file and field."""
        path = Path(path)
        data, shown = read_toml(path, "the schema set", SchemaSetError)
        return _from_dict(data, path, shown)

    @property
    def roots(self) -> tuple[str, ...]:
        """The root elements (Clark notation) this set has a schema for."""
        return tuple(self.entries)

    def kind_of(self, root_tag: str) -> str | None:
        """The document kind of a root element (``permit``, ``envelope`` …), or None if unknown."""
        entry = self.entries.get(root_tag)
        return entry.kind if entry else None

    def entry_for(self, root_tag: str) -> SchemaEntry:
        try:
            return self.entries[root_tag]
        except KeyError:
            known = ", ".join(self.entries)
            raise UnknownRootError(
                f"schema set {self.name!r} ({display_path(self.path)}) has no schema for root element "
                f"{root_tag}; it knows {known}"
            ) from None

    def schema_for(self, root_tag: str) -> etree.XMLSchema:
        """The compiled lxml schema for documents with this root element."""
        return load_xsd(self.entry_for(root_tag).xsd, confine_to=self.folder)

    def xmlschema_for(self, root_tag: str) -> xmlschema.XMLSchema:
        """The same schema compiled by xmlschema, for detailed error listings (slower)."""
        return load_xmlschema(self.entry_for(root_tag).xsd, confine_to=self.folder)

    def compile_all(self) -> None:
        """Compile every XSD of the set now (with lxml), to report a broken one early."""
        for entry in self.entries.values():
            load_xsd(entry.xsd, confine_to=self.folder)

    def __repr__(self) -> str:
        return f"SchemaSet({self.name!r}, {display_path(self.path)!r}, {len(self.entries)} roots)"


@functools.cache
def default_schema_set() -> SchemaSet:
    """The schema set that ships (``schemas/v2.schemaset.toml``), loaded once."""
    return SchemaSet.load(DEFAULT_SCHEMA_SET)


_lock = threading.Lock()
_Substitutions = tuple[tuple[str, str], ...]
_Key = tuple[Path, Path, _Substitutions]
_lxml_schemas: dict[_Key, etree.XMLSchema] = {}
_xmlschema_schemas: dict[_Key, xmlschema.XMLSchema] = {}
#: Absolute paths as given -> the key they resolve to: resolving costs system calls,
#: and a loader is asked for the same schema on every validation.
_resolved: dict[tuple[Any, Any, _Substitutions], _Key] = {}


def load_xsd(
    path: str | Path, *, confine_to: str | Path, substitutions: Mapping[str, str] | None = None
) -> etree.XMLSchema:
    """Compile the XSD at ``path`` with lxml, once per process.

    Every XSD it imports or includes must be a local file inside ``confine_to``.
    ``substitutions`` replace text in every file read, this one and each one it imports
    or includes, before compiling, e.g. a placeholder namespace that is a setting (see
    :func:`read_schema`).
    """
    key = _key(path, confine_to, substitutions)
    with _lock:
        if key not in _lxml_schemas:
            _lxml_schemas[key] = _compile_lxml(*key)
        return _lxml_schemas[key]


def load_xmlschema(
    path: str | Path, *, confine_to: str | Path, substitutions: Mapping[str, str] | None = None
) -> xmlschema.XMLSchema:
    """Like :func:`load_xsd`, compiled by xmlschema (for ``iter_errors``)."""
    key = _key(path, confine_to, substitutions)
    with _lock:
        if key not in _xmlschema_schemas:
            _xmlschema_schemas[key] = _compile_xmlschema(*key)
        return _xmlschema_schemas[key]


def read_schema(path: str | Path, substitutions: Mapping[str, str] | None = None) -> str:
    """The text of the XSD at ``path`` as the loaders compile it with ``substitutions``.

    Each substitution replaces text, in the order of the sorted keys. A substitution can
    give two namespaces the same value (requests and responses of one namespace); an
    ``xs:import`` of the file's own target namespace, which XML Schema forbids, is then
    read as the ``xs:include`` it has become. Without substitutions, the file as it is.
    """
    return _source(Path(path), tuple(sorted((substitutions or {}).items()))).decode("utf-8")


def _key(path: str | Path, confine_to: str | Path, substitutions: Mapping[str, str] | None) -> _Key:
    items = tuple(sorted((substitutions or {}).items()))
    if not (os.path.isabs(path) and os.path.isabs(confine_to)):  # relative: depends on the working directory
        return Path(path).resolve(), Path(confine_to).resolve(), items
    given = (path, confine_to, items)
    key = _resolved.get(given)
    if key is None:
        key = _resolved[given] = (Path(path).resolve(), Path(confine_to).resolve(), items)
    return key


def _compile_lxml(path: Path, folder: Path, substitutions: _Substitutions) -> etree.XMLSchema:
    data = _source(path, substitutions)
    _check_references(path, folder, data, substitutions)
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, remove_comments=True)
    parser.resolvers.add(_ConfinedResolver(folder, substitutions))
    try:
        document = etree.fromstring(data, parser, base_url=str(path))
        return etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaSetError(f"{display_path(path)}: the schema does not compile: {exc}") from None


def _compile_xmlschema(path: Path, folder: Path, substitutions: _Substitutions) -> xmlschema.XMLSchema:
    data = _source(path, substitutions)
    _check_references(path, folder, data, substitutions)
    source: Any = str(path)
    options: dict[str, Any] = {}
    if substitutions:  # every file through an opener that reads the folder's files with the substitutions
        source = data.decode("utf-8")
        opener = urllib.request.OpenerDirector()
        opener.add_handler(_ConfinedFiles(folder, substitutions))
        options["opener"] = opener
    try:
        return xmlschema.XMLSchema(
            source, base_url=str(path.parent), allow="local", defuse="always", use_fallback=False, timeout=5, **options
        )
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise SchemaSetError(f"{display_path(path)}: the schema does not compile: {exc}") from None


def _source(path: Path, substitutions: _Substitutions) -> bytes:
    """The bytes of the XSD at ``path`` with the substitutions made (see :func:`read_schema`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaSetError(f"{display_path(path)}: cannot read the schema: {exc.strerror}") from None
    if not substitutions:
        return data
    text = original = data.decode("utf-8")
    for old, new in substitutions:
        text = text.replace(old, new)
    if text == original:
        return data
    return _imports_of_own_namespace_as_includes(path, text.encode("utf-8"))


def _imports_of_own_namespace_as_includes(path: Path, data: bytes) -> bytes:
    root = _parse_xsd(path, data)
    target = root.get("targetNamespace")
    imports = [e for e in root.iterchildren(f"{{{_XS}}}import") if target is not None and e.get("namespace") == target]
    if not imports:
        return data
    for element in imports:
        include = etree.Element(f"{{{_XS}}}include")
        if element.get("schemaLocation") is not None:
            include.set("schemaLocation", element.get("schemaLocation"))
        include.tail = element.tail
        element.addprevious(include)
        root.remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _check_references(path: Path, folder: Path, data: bytes, substitutions: _Substitutions = ()) -> None:
    """Follow every import and include from ``path``: each must be a local file inside ``folder``."""
    todo: list[tuple[Path, bytes | None]] = [(path, data)]
    seen: set[Path] = set()
    while todo:
        current, content = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        root = _parse_xsd(current, content if content is not None else _source(current, substitutions))
        for element in root.iter(*_REFERENCES):
            location = element.get("schemaLocation")
            if location is not None:
                todo.append((_local_target(location, current, folder), None))


def _parse_xsd(path: Path, content: bytes) -> etree._Element:
    try:
        return parse(content, source=display_path(path))
    except XmlRefused as exc:
        raise SchemaSetError(f"{exc} (schemas are read without DTDs)") from None


def _local_target(location: str, referrer: Path, folder: Path) -> Path:
    where = f"{display_path(referrer)}: schemaLocation {location!r}"
    if urlsplit(location).scheme:
        raise SchemaSetError(f"{where}: schemas are loaded from local files only, never from the "
                             f"network; bundle the schema inside {display_path(folder)} and refer to it "
                             "by a relative path")
    target = (referrer.parent / unquote(location)).resolve()
    if not target.is_relative_to(folder):
        raise SchemaSetError(f"{where} points outside the schema set's folder {display_path(folder)}")
    if not target.is_file():
        raise SchemaSetError(f"{where}: no such file {display_path(target)}")
    return target


def _confined(url: str, folder: Path) -> Path:
    """The local file ``url`` names, if it lies inside ``folder``; refuses anything else."""
    parts = urlsplit(url)
    if parts.scheme and parts.scheme != "file":
        raise SchemaSetError(f"refused to fetch {url}: schemas are loaded from local files only")
    local = Path(url2pathname(parts.path) if parts.scheme else url).resolve()
    if not local.is_relative_to(folder):
        raise SchemaSetError(f"refused to read {local}: outside the schema set's folder {folder}")
    return local


class _ConfinedResolver(etree.Resolver):
    """Lets lxml read only files inside the schema set's folder (the references were
    checked before; this refuses anything that slipped past), with the substitutions made."""

    def __init__(self, folder: Path, substitutions: _Substitutions = ()) -> None:
        super().__init__()
        self.folder = folder
        self.substitutions = substitutions

    def resolve(self, url: str, public_id: str | None, context: Any) -> Any:
        local = _confined(url, self.folder)
        if not self.substitutions:
            return None  # libxml2 reads the file itself
        return self.resolve_string(_source(local, self.substitutions), context, base_url=url)


class _ConfinedFiles(urllib.request.BaseHandler):
    """Serves xmlschema's ``file:`` URLs inside the folder, with the substitutions made;
    the opener it is added to has no handler for any other scheme."""

    def __init__(self, folder: Path, substitutions: _Substitutions) -> None:
        self.folder = folder
        self.substitutions = substitutions

    def file_open(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        data = _source(_confined(request.full_url, self.folder), self.substitutions)
        headers = email.message.Message()
        headers["Content-Type"] = "application/xml"
        headers["Content-Length"] = str(len(data))
        return urllib.response.addinfourl(io.BytesIO(data), headers, request.full_url)


def _from_dict(data: dict[str, Any], path: Path, shown: str) -> SchemaSet:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SchemaSetError(f"{shown}: field {unknown[0]!r} is not known; expected {', '.join(sorted(_TOP_KEYS))}")
    name = _string(data.get("name"), shown, "name")
    namespaces = data.get("namespaces", {})
    if not isinstance(namespaces, dict) or not all(isinstance(v, str) for v in namespaces.values()):
        raise SchemaSetError(f"{shown}: field 'namespaces' must be a table of prefix = \"namespace URI\"")
    roots = data.get("roots")
    if not isinstance(roots, dict) or not roots:
        raise SchemaSetError(f"{shown}: field 'roots' is missing or empty: give one line per document root element")
    folder = path.resolve().parent
    entries: dict[str, SchemaEntry] = {}
    for key, value in roots.items():
        entry = _entry(key, value, namespaces, folder, shown)
        if entry.root in entries:
            raise SchemaSetError(f"{shown}: field 'roots.{key}' names the root element {entry.root} a second time")
        entries[entry.root] = entry
    fieldmap = _fieldmap(data.get("fieldmap"), folder, shown)
    permit = entries.get(fieldmap.root_tag)
    if permit is None or permit.kind != PERMIT_KIND:
        raise SchemaSetError(f"{shown}: the field map reads {fieldmap.root} documents, but 'roots' has no entry "
                             f"of kind {PERMIT_KIND!r} for that element")
    return SchemaSet(name=name, path=path, entries=entries, fieldmap=fieldmap)


def _entry(key: str, value: Any, namespaces: dict[str, str], folder: Path, shown: str) -> SchemaEntry:
    field_name = f"roots.{key}"
    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS:
        raise SchemaSetError(f"{shown}: field '{field_name}' must be {{ kind = \"...\", xsd = \"...\" }}, not {value!r}")
    kind = _string(value["kind"], shown, f"{field_name}.kind")
    xsd = _string(value["xsd"], shown, f"{field_name}.xsd")
    target = (folder / xsd).resolve()
    if not target.is_relative_to(folder):
        raise SchemaSetError(f"{shown}: field '{field_name}.xsd': {xsd} is outside the schema set's folder")
    if not target.is_file():
        raise SchemaSetError(f"{shown}: field '{field_name}.xsd': no such file {display_path(target)}")
    return SchemaEntry(root=_clark(key, namespaces, shown, field_name), kind=kind, xsd=target)


def _clark(name: str, namespaces: dict[str, str], shown: str, field_name: str) -> str:
    if name.startswith("{"):
        return name
    prefix, colon, local = name.partition(":")
    if not colon:
        return name
    if prefix not in namespaces:
        raise SchemaSetError(f"{shown}: field '{field_name}': prefix {prefix!r} is not declared in [namespaces]")
    return f"{{{namespaces[prefix]}}}{local}"


def _fieldmap(value: Any, folder: Path, shown: str) -> FieldMap:
    relative = _string(value, shown, "fieldmap")
    try:
        return FieldMap.load(folder / relative)
    except FieldMapError as exc:
        raise SchemaSetError(f"{shown}: field 'fieldmap': {exc}") from None


def _string(value: Any, shown: str, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SchemaSetError(f"{shown}: field '{field_name}' must be a non-empty string, not {value!r}")
    return value
