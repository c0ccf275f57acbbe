"""Schema sets: loading the TOML, local-only XSD loading, one compilation per process."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from lxml import etree

from epix import schemaset as schemaset_module
from epix.namespaces import RSM
from epix.schemaset import (
    DEFAULT_SCHEMA_SET,
    SchemaSet,
    SchemaSetError,
    UnknownRootError,
    default_schema_set,
    load_xmlschema,
    load_xsd,
    read_schema,
)

PERMIT_ROOT = f"{{{RSM}}}CITESEPermit"
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
V2_SET = DEFAULT_SCHEMA_SET.read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped schemas, to be changed by the test."""
    target = tmp_path / "schemas"
    shutil.copytree(DEFAULT_SCHEMA_SET.parent, target)
    return target


@pytest.fixture
def no_network(monkeypatch) -> list[object]:
    """Record (and refuse) every attempt to open a network connection from Python."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def write_set(folder: Path, text: str, name: str = "test.schemaset.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def with_root(folder: Path, root: str, xsd_text: str, xsd_name: str = "extra/extra.xsd") -> Path:
    """The v2 set plus one [roots] line for ``root``, whose XSD is ``xsd_text``."""
    xsd = folder / xsd_name
    xsd.parent.mkdir(parents=True, exist_ok=True)
    xsd.write_text(xsd_text, encoding="utf-8")
    text = V2_SET.replace("\n[namespaces]\n", '\n[namespaces]\nx = "urn:x"\n')
    line = f'"{root}" = {{ kind = "extra", xsd = "{xsd_name}" }}\n'
    return write_set(folder, text.replace("\n[roots]\n", "\n[roots]\n" + line))


def test_the_default_set_knows_the_permit():
    schemas = default_schema_set()
    assert schemas is default_schema_set()
    assert PERMIT_ROOT in schemas.roots
    assert [root for root in schemas.roots if schemas.kind_of(root) == "permit"] == [PERMIT_ROOT]
    assert schemas.kind_of("{urn:x}Unknown") is None
    assert schemas.fieldmap.root_tag == PERMIT_ROOT
    schemas.compile_all()


def test_each_schema_is_compiled_once(folder):
    first = default_schema_set().schema_for(PERMIT_ROOT)
    assert default_schema_set().schema_for(PERMIT_ROOT) is first
    again = SchemaSet.load(DEFAULT_SCHEMA_SET)
    assert again is not default_schema_set()
    assert again.schema_for(PERMIT_ROOT) is first
    assert again.xmlschema_for(PERMIT_ROOT) is default_schema_set().xmlschema_for(PERMIT_ROOT)


def test_an_unknown_root_is_named():
    with pytest.raises(UnknownRootError, match=r"no schema for root element \{urn:x\}Other"):
        default_schema_set().schema_for("{urn:x}Other")


def test_adding_a_document_is_one_line(folder):
    path = with_root(folder, "x:Note", f'<xs:schema {XS} targetNamespace="urn:x" elementFormDefault="qualified">'
                     '<xs:element name="Note" type="xs:string"/></xs:schema>')
    schemas = SchemaSet.load(path)
    assert schemas.kind_of("{urn:x}Note") == "extra"
    schema = schemas.schema_for("{urn:x}Note")
    assert schema.validate(etree.fromstring(b'<Note xmlns="urn:x">hello</Note>'))
    assert not schema.validate(etree.fromstring(b'<Note xmlns="urn:x"><b/></Note>'))
    assert schemas.xmlschema_for("{urn:x}Note").is_valid(etree.fromstring(b'<Note xmlns="urn:x">hi</Note>'))


HTTP_IMPORT = (
    f'<xs:schema {XS} xmlns:ds="http://www.w3.org/2000/09/xmldsig#" targetNamespace="urn:x">'
    '<xs:import namespace="http://www.w3.org/2000/09/xmldsig#" '
    'schemaLocation="http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"/>'
    '<xs:element name="Note"><xs:complexType><xs:sequence><xs:element ref="ds:Signature"/></xs:sequence>'
    "</xs:complexType></xs:element></xs:schema>"
)


@pytest.mark.parametrize("compiler", ["schema_for", "xmlschema_for"])
def test_an_import_from_the_network_is_refused_without_fetching(folder, no_network, compiler):
    schemas = SchemaSet.load(with_root(folder, "x:Note", HTTP_IMPORT))
    with pytest.raises(SchemaSetError) as caught:
        getattr(schemas, compiler)("{urn:x}Note")
    message = str(caught.value)
    assert "extra/extra.xsd" in message
    assert "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd" in message
    assert "local files only" in message
    assert no_network == []


def test_an_imported_schema_that_imports_from_the_network_is_refused(folder, no_network):
    (folder / "extra").mkdir()
    (folder / "extra" / "remote.xsd").write_text(HTTP_IMPORT.replace('targetNamespace="urn:x"', 'targetNamespace="urn:y"'))
    xsd = (f'<xs:schema {XS} targetNamespace="urn:x"><xs:import namespace="urn:y" schemaLocation="remote.xsd"/>'
           '<xs:element name="Note" type="xs:string"/></xs:schema>')
    schemas = SchemaSet.load(with_root(folder, "x:Note", xsd))
    with pytest.raises(SchemaSetError, match="remote.xsd: schemaLocation 'http://"):
        schemas.schema_for("{urn:x}Note")
    assert no_network == []


def test_a_schema_outside_the_folder_is_refused(folder, tmp_path):
    (tmp_path / "outside.xsd").write_text(f'<xs:schema {XS} targetNamespace="urn:y"/>')
    xsd = (f'<xs:schema {XS} targetNamespace="urn:x"><xs:import namespace="urn:y" schemaLocation="../../outside.xsd"/>'
           '<xs:element name="Note" type="xs:string"/></xs:schema>')
    schemas = SchemaSet.load(with_root(folder, "x:Note", xsd))
    with pytest.raises(SchemaSetError, match="points outside the schema set's folder"):
        schemas.schema_for("{urn:x}Note")


def test_the_resolver_refuses_what_slipped_past(folder, tmp_path):
    outside = tmp_path / "outside.xml"
    outside.write_text("<a/>")
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(schemaset_module._ConfinedResolver(folder.resolve()))
    with pytest.raises(SchemaSetError, match="outside the schema set's folder"):
        etree.parse(str(outside), parser)
    with pytest.raises(SchemaSetError, match="local files only"):
        etree.parse("http://example.invalid/a.xsd", parser)
    assert etree.parse(str(folder / "permit" / "ram.xsd"), parser).getroot() is not None


def test_a_missing_imported_schema_is_named(folder):
    xsd = (f'<xs:schema {XS} targetNamespace="urn:x"><xs:include schemaLocation="nothere.xsd"/>'
           '<xs:element name="Note" type="xs:string"/></xs:schema>')
    schemas = SchemaSet.load(with_root(folder, "x:Note", xsd))
    with pytest.raises(SchemaSetError, match="no such file .*nothere.xsd"):
        schemas.schema_for("{urn:x}Note")


def test_a_schema_with_a_dtd_is_refused(folder):
    xsd = f'<!DOCTYPE xs:schema [<!ENTITY e "x">]><xs:schema {XS} targetNamespace="urn:x"/>'
    schemas = SchemaSet.load(with_root(folder, "x:Note", xsd))
    with pytest.raises(SchemaSetError, match="extra.xsd: the document declares a DTD"):
        schemas.schema_for("{urn:x}Note")


def test_a_schema_that_does_not_compile_is_named(folder):
    xsd = f'<xs:schema {XS} targetNamespace="urn:x"><xs:element name="Note" type="NoSuchType"/></xs:schema>'
    schemas = SchemaSet.load(with_root(folder, "x:Note", xsd))
    with pytest.raises(SchemaSetError, match="extra.xsd: the schema does not compile"):
        schemas.schema_for("{urn:x}Note")
    with pytest.raises(SchemaSetError, match="extra.xsd: the schema does not compile"):
        schemas.xmlschema_for("{urn:x}Note")


def test_substitutions_set_a_namespace_at_load_time(folder):
    xsd = folder / "extra.xsd"
    xsd.write_text(f'<xs:schema {XS} targetNamespace="urn:placeholder" elementFormDefault="qualified">'
                   '<xs:element name="ServiceStateRequest"/></xs:schema>')
    schema = load_xsd(xsd, confine_to=folder, substitutions={"urn:placeholder": "urn:CitesDataExchange"})
    assert schema.validate(etree.fromstring(b'<ServiceStateRequest xmlns="urn:CitesDataExchange"/>'))
    assert not schema.validate(etree.fromstring(b'<ServiceStateRequest xmlns="urn:placeholder"/>'))
    assert load_xsd(xsd, confine_to=folder, substitutions={"urn:placeholder": "urn:CitesDataExchange"}) is schema
    other = load_xmlschema(xsd, confine_to=folder, substitutions={"urn:placeholder": "urn:other"})
    assert other.is_valid(etree.fromstring(b'<ServiceStateRequest xmlns="urn:other"/>'))


def placeholder_schemas(folder: Path) -> Path:
    """main.xsd (placeholder namespace urn:main) imports other.xsd (urn:other), which
    includes part.xsd; each file names the placeholders."""
    (folder / "ph").mkdir()
    (folder / "ph" / "main.xsd").write_text(
        f'<xs:schema {XS} xmlns:o="urn:other" targetNamespace="urn:main" elementFormDefault="qualified">'
        '<xs:import namespace="urn:other" schemaLocation="other.xsd"/>'
        '<xs:element name="Request"><xs:complexType><xs:sequence><xs:element ref="o:Answer"/>'
        '</xs:sequence></xs:complexType></xs:element></xs:schema>')
    (folder / "ph" / "other.xsd").write_text(
        f'<xs:schema {XS} xmlns:o="urn:other" targetNamespace="urn:other" elementFormDefault="qualified">'
        '<xs:include schemaLocation="part.xsd"/><xs:element name="Answer" type="o:AnswerType"/></xs:schema>')
    (folder / "ph" / "part.xsd").write_text(
        f'<xs:schema {XS} xmlns:o="urn:other" targetNamespace="urn:other">'
        '<xs:simpleType name="AnswerType"><xs:restriction base="xs:string"><xs:enumeration value="yes"/>'
        '</xs:restriction></xs:simpleType></xs:schema>')
    return folder / "ph" / "main.xsd"


def request(main: str, other: str, answer: str = "yes") -> etree._Element:
    return etree.fromstring(f'<Request xmlns="{main}"><o:Answer xmlns:o="{other}">{answer}</o:Answer></Request>'.encode())


@pytest.mark.parametrize("shared", [False, True], ids=["two namespaces", "one namespace"])
def test_substitutions_apply_to_every_file_read(folder, shared):
    main = placeholder_schemas(folder)
    other = "urn:example:main" if shared else "urn:example:other"
    substitutions = {"urn:main": "urn:example:main", "urn:other": other}
    schema = load_xsd(main, confine_to=folder, substitutions=substitutions)
    detailed = load_xmlschema(main, confine_to=folder, substitutions=substitutions)
    good, bad = request("urn:example:main", other), request("urn:example:main", other, "no")
    assert schema.validate(good) and detailed.is_valid(good)
    assert not schema.validate(bad) and not detailed.is_valid(bad)
    assert not schema.validate(request("urn:main", "urn:other"))
    assert [e.reason for e in detailed.iter_errors(bad)] != []
    # the same files compile as they stand, with the placeholder namespaces
    assert load_xsd(main, confine_to=folder).validate(request("urn:main", "urn:other"))


def test_an_import_of_the_own_namespace_is_read_as_an_include(folder):
    main = placeholder_schemas(folder)
    text = read_schema(main, {"urn:main": "urn:one", "urn:other": "urn:one"})
    assert '<xs:include schemaLocation="other.xsd"/>' in text and "xs:import" not in text
    assert read_schema(main, {"urn:main": "urn:one", "urn:other": "urn:two"}).count("xs:import") == 1
    assert read_schema(main) == main.read_text()


def test_substituted_files_are_still_confined_to_the_folder(folder, no_network):
    main = placeholder_schemas(folder)
    main.write_text(main.read_text().replace('schemaLocation="other.xsd"', 'schemaLocation="../../outside.xsd"'))
    (folder.parent / "outside.xsd").write_text(f'<xs:schema {XS} targetNamespace="urn:other"/>')
    for load in (load_xsd, load_xmlschema):
        with pytest.raises(SchemaSetError, match="points outside the schema set's folder"):
            load(main, confine_to=folder, substitutions={"urn:main": "urn:x"})
    assert no_network == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name = "', 'nme = "'), "field 'nme' is not known"),
        (('"rsm:CITESEPermit" = {', '"q:CITESEPermit" = {'), "field 'roots.q:CITESEPermit': prefix 'q'"),
        (('xsd = "permit/cites-epermit-v2.xsd"', 'xsd = "permit/missing.xsd"'), "no such file"),
        (('xsd = "permit/cites-epermit-v2.xsd"', 'xsd = "../../etc/passwd"'), "outside the schema set's folder"),
        (('kind = "permit", ', ""), "field 'roots.rsm:CITESEPermit' must be { kind"),
        (('kind = "permit"', 'kind = "envelope"'), "no entry of kind 'permit'"),
        (('fieldmap = "permit/v2.fieldmap.toml"', 'fieldmap = "permit/none.toml"'), "none.toml: cannot read"),
        (("\n[roots]", "\n[roots"), "not valid TOML"),
    ],
)
def test_a_broken_schema_set_is_refused_naming_the_file_and_field(folder, change, message):
    old, new = change
    assert old in V2_SET
    path = write_set(folder, V2_SET.replace(old, new))
    with pytest.raises(SchemaSetError) as caught:
        SchemaSet.load(path)
    assert message in str(caught.value)
    assert "test.schemaset.toml" in str(caught.value)


def test_a_broken_field_map_is_named_through_the_schema_set(folder):
    fieldmap = folder / "permit" / "v2.fieldmap.toml"
    fieldmap.write_text(fieldmap.read_text().replace("\nsource = ", "\nsorce = "))
    with pytest.raises(SchemaSetError) as caught:
        SchemaSet.load(folder / "v2.schemaset.toml")
    message = str(caught.value)
    assert "v2.schemaset.toml: field 'fieldmap'" in message
    assert "v2.fieldmap.toml: field 'facts.items.sorce' is not a permit fact" in message
