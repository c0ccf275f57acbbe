"""The one parser configuration: well-formed XML in, DTDs and entities refused (EPX-100)."""

from __future__ import annotations

import pytest

from epix.safexml import XmlRefused, parse, pretty, to_bytes, xpath_of

LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<lolz>&lol3;</lolz>"
)


def test_a_well_formed_document_is_read():
    root = parse(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- note --><a><b>x</b></a>')
    assert root.tag == "a"
    assert root.findtext("b") == "x"
    for declaration in (b"<?xml version='1.0' encoding='utf-8'?>", b'<?xml version="1.0"?>', b"\xef\xbb\xbf"):
        assert parse(declaration + "<a>é</a>".encode()).text == "é"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<a>", "not well-formed"),
        (b"\x00\x01\x02binary", "not well-formed"),
        (b"just text", "not well-formed"),
        (b"<a>&undeclared;</a>", "not well-formed"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>', "declared in ISO-8859-1"),
        (b"\xef\xbb\xbf<?xml version='1.0' encoding='windows-1252'?><a/>", "declared in windows-1252"),
        ("<a>x</a>".encode("utf-16"), "declared in UTF-16"),
    ],
)
def test_what_is_not_a_document_is_refused_with_epx_100(data, reason):
    with pytest.raises(XmlRefused) as refused:
        parse(data, source="delivery.xml")
    assert refused.value.code == "EPX-100"
    assert reason in refused.value.reason
    assert str(refused.value).startswith("delivery.xml")


@pytest.mark.parametrize(
    "prefix",
    [b"", b'<?xml version="1.0"?>\n', b"<!--" + b"x" * 20_000 + b"-->\n", b"\xef\xbb\xbf"],
    ids=["first", "after-declaration", "after-long-comment", "after-bom"],
)
def test_a_billion_laughs_is_refused_before_any_entity_is_read(prefix):
    with pytest.raises(XmlRefused, match="DTD or entities"):
        parse(prefix + LAUGHS)


def test_an_external_entity_is_refused_without_reading_the_file():
    xxe = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    with pytest.raises(XmlRefused) as refused:
        parse(xxe)
    assert "root:" not in str(refused.value)


def test_an_external_dtd_is_refused():
    with pytest.raises(XmlRefused, match="DTD"):
        parse(b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a/>')


def test_a_doctype_lookalike_inside_a_comment_is_harmless():
    assert parse(b"<!-- <!DOCTYPE x> --><a/>").tag == "a"


def test_deep_nesting_is_refused():
    with pytest.raises(XmlRefused, match="depth"):
        parse(b"<a>" * 300 + b"</a>" * 300)


def test_parse_takes_bytes_only():
    with pytest.raises(TypeError):
        parse("<a/>")  # type: ignore[arg-type]


def test_serialisation_and_locations():
    root = parse(b'<r:a xmlns:r="urn:un:unece:uncefact:data:standard:CITESEPermit:2"><r:b/><r:b/></r:a>')
    assert xpath_of(root[1]) == "/rsm:a/rsm:b[2]"
    assert to_bytes(root).startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "\n  <r:b/>" in pretty(to_bytes(root))
    assert pretty(b"not xml") == "not xml"
