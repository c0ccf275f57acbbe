"""Child paths read in one walk give exactly what their XPaths give; field maps use them."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from epix.messages import fieldmap as fieldmap_module
from epix.messages.childpaths import ChildPath, PathSet, Predicate, Step, parse_path
from epix.messages.fieldmap import FieldMap
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES
from epix.mutations import MUTATIONS
from epix.namespaces import RAM
from epix.safexml import parse, to_bytes
from epix.samples import SAMPLE_ISSUED_AT, sample_permit, with_every_optional_part
from epix.schemaset import DEFAULT_SCHEMA_SET

NS = {"p": "urn:p", "q": "urn:q"}
V2_MAP = DEFAULT_SCHEMA_SET.parent / "permit" / "v2.fieldmap.toml"


def xpath(expression: str, context: etree._Element) -> list:
    return etree.XPath(expression, namespaces=NS, smart_strings=False)(context)


def same(found: list, expected: list) -> bool:
    """Same nodes (by identity) or attribute values, in the same order."""
    return len(found) == len(expected) and all(
        a is b if isinstance(b, etree._Element) else a == b for a, b in zip(found, expected)
    )


# --- the grammar ------------------------------------------------------------------------


def test_a_path_of_child_steps_is_parsed():
    assert parse_path("p:a/b/@q:x", NS) == ChildPath((Step("{urn:p}a"), Step("b")), "{urn:q}x")
    assert parse_path("@x", NS) == ChildPath((), "x")
    assert parse_path("p:a[normalize-space(p:t) = '861']/p:id", NS) == ChildPath(
        (Step("{urn:p}a", Predicate(ChildPath((Step("{urn:p}t"),)), "861", normalize=True)), Step("{urn:p}id"))
    )
    assert parse_path('a[b/@x="y z"]', NS) == ChildPath(
        (Step("a", Predicate(ChildPath((Step("b"),), "x"), "y z", normalize=False)),)
    )


@pytest.mark.parametrize("expression", [
    "*", "p:*", "a//b", "//a", "/a", "../a", ".", "a/.", "a[1]", "a[last()]", "a | b", "text()", "a/text()",
    "normalize-space(a)", "string(a)", "a[b='x'][c='y']", "a[b='x' and c='y']", "a[b=1]", "a[b!='x']",
    "child::a", "a/@*", " a", "a ", "a / b", "a/", "@x/a", "r:a", "a[r:b='x']", "a[normalize-space(b[c='x'])='y']",
    "a[normalize-space(b, c)='y']", "a[b='x]", "a:b:c",
])
def test_anything_else_is_left_to_xpath(expression):
    assert parse_path(expression, NS) is None


# --- the same results as XPath ----------------------------------------------------------

TAGS = ["a", "t", "{urn:p}a", "{urn:p}t"]
NAMES = ["a", "t", "p:a", "p:t"]
ATTRIBUTES = ["x", "{urn:p}x"]
TEXTS = [None, "", "861", " 861 ", "8\t61", "\n861\n", "8 61", "x"]

texts = st.sampled_from(TEXTS)
tails = st.sampled_from([None, None, None, "\n ", "861"])
comments = st.sampled_from([False, False, False, True])
attributes = st.dictionaries(st.sampled_from(ATTRIBUTES), st.sampled_from(["1", "", " 1 "]), max_size=2)
leaf = st.tuples(st.sampled_from(TAGS), attributes, texts, st.just(()), tails, comments)
trees = st.recursive(
    leaf,
    lambda children: st.tuples(st.sampled_from(TAGS), attributes, texts, st.lists(children, max_size=4).map(tuple),
                               tails, comments),
    max_leaves=30,
)


def build(spec: tuple, parent: etree._Element | None = None) -> etree._Element:
    tag, attributes, text, children, tail, comment = spec
    element = etree.Element(tag, attributes) if parent is None else etree.SubElement(parent, tag, attributes)
    element.text = text
    if comment:  # a comment's text is no part of the string value; the text after it is
        element.append(etree.Comment("861"))
        element[-1].tail = tail
    for child in children:
        build(child, element)
    if parent is not None:
        element.tail = tail
    return element


simple = st.sampled_from(NAMES + ["@x", "@p:x"]) | st.builds(
    lambda steps, attribute: "/".join(steps) + (f"/@{attribute}" if attribute else ""),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=2), st.sampled_from([None, "x", "p:x"]),
)
predicate = st.builds(
    lambda path, literal, normalize, quote: (f"[normalize-space({path})={quote}{literal}{quote}]" if normalize
                                             else f"[{path} = {quote}{literal}{quote}]"),
    simple, st.sampled_from(["861", "8 61", "", "1", " 1 "]), st.booleans(), st.sampled_from(["'", '"']),
)
step = st.builds(lambda name, pred: name + (pred or ""), st.sampled_from(NAMES), st.none() | predicate)
expressions = st.builds(
    lambda steps, attribute: "/".join(steps) + (f"/@{attribute}" if attribute else ""),
    st.lists(step, min_size=1, max_size=3), st.sampled_from([None, None, "x", "p:x"]),
) | st.sampled_from(["@x", "@p:x"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, st.lists(expressions, min_size=1, max_size=8))
def test_a_path_set_selects_what_each_xpath_selects(tree, chosen):
    root = build(tree)
    paths = [parse_path(expression, NS) for expression in chosen]
    assert all(path is not None for path in paths), chosen
    found = PathSet(paths).read(root)
    for index, expression in enumerate(chosen):
        expected = xpath(expression, root)
        assert same(found.get(index, []), expected), (expression, etree.tostring(root))
        assert same(paths[index].select(root), expected), expression
        for context in root.iter(*TAGS):  # from any context element, too
            assert same(PathSet([paths[index]]).read(context).get(0, []), xpath(expression, context))


# Shallow documents shaped like a permit item, where predicates often hold.
values = st.sampled_from(["861", " 861 ", "8 61", "\n8\t61 ", "", None, "1"])
inner = st.tuples(st.sampled_from(["t", "{urn:p}t", "a"]), st.dictionaries(st.just("x"), values.filter(bool), max_size=1),
                  values, st.just(()), st.sampled_from([None, "\n"]), st.booleans())
items = st.tuples(st.just("r"), st.just({}), st.none(), st.lists(
    st.tuples(st.sampled_from(["a", "{urn:p}a"]), st.dictionaries(st.just("x"), values.filter(bool), max_size=1),
              values, st.lists(inner, max_size=3).map(tuple), st.sampled_from([None, "\n"]), st.booleans()),
    max_size=4).map(tuple), st.none(), st.just(False))
item_expressions = st.builds(
    lambda first, test, second, attribute: first + test + (f"/{second}" if second else "") + attribute,
    st.sampled_from(["a", "p:a"]),
    st.sampled_from(["", "[t='861']", "[normalize-space(t)='861']", "[normalize-space(p:t)=\"8 61\"]", "[p:t = '']",
                     "[normalize-space(t)='']", "[@x='1']", "[normalize-space(@x) = '861']", "[t/@x='1']",
                     "[normalize-space(a/@x)='861']", "[a='1']"]),
    st.sampled_from([None, "t", "p:t", "a"]), st.sampled_from(["", "", "/@x"]),
)


@settings(max_examples=200, deadline=None)
@given(items, st.lists(item_expressions, min_size=1, max_size=6))
def test_predicates_choose_what_xpath_chooses(tree, chosen):
    root = build(tree)
    paths = [parse_path(expression, NS) for expression in chosen]
    found = PathSet(paths).read(root)
    for index, expression in enumerate(chosen):
        assert same(found.get(index, []), xpath(expression, root)), (expression, etree.tostring(root))


@pytest.mark.parametrize(("expression", "ids"), [
    ("a[normalize-space(t)='861']/id", ["1", "3", "4"]),  # the first t only; all the text inside it
    ("a[t='811']/id", ["2", "3"]),  # any t
    ("a[normalize-space(t)='811']/id", ["2"]),
    ("a[t=' 861 ']/id", ["1"]),
    ("a[normalize-space(@x)='861']/id", ["4"]),
    ("a[normalize-space(z)='']/id", ["1", "2", "3", "4"]),  # no z: the empty string
    ("a[z='']/id", []),  # no z: no node to compare
])
def test_predicates(expression, ids):
    root = etree.fromstring(b"<r><a><t> 861 </t><id>1</id></a><a><t>811</t><id>2</id></a>"
                            b"<a><t>861</t><t>811</t><id>3</id></a><a x=' 861'><t>8<b>6</b><!--0-->1</t><id>4</id></a></r>")
    found = PathSet([parse_path(expression, {})]).read(root).get(0, [])
    assert [element.text for element in found] == ids
    assert same(found, xpath(expression, root))


def test_a_path_selecting_nothing_is_left_out():
    root = etree.fromstring(b"<r><a>1</a></r>")
    assert PathSet([parse_path("a", {}), parse_path("b", {})]).read(root) == {0: [root[0]]}


# --- field maps read through child paths ------------------------------------------------


@pytest.fixture(scope="module")
def walking() -> FieldMap:
    return FieldMap.load(V2_MAP)


@pytest.fixture(scope="module")
def evaluating() -> FieldMap:
    """The same map with every fact read by its compiled XPath, as before child paths."""
    original = fieldmap_module.parse_path
    fieldmap_module.parse_path = lambda expression, namespaces: None
    try:
        return FieldMap.load(V2_MAP)
    finally:
        fieldmap_module.parse_path = original


def test_every_fact_of_the_v2_map_is_read_in_the_walk(walking, evaluating):
    assert not walking._header_reader.evaluated and not walking._item_reader.evaluated
    assert walking._item_fields_in_order
    assert len(evaluating._item_reader.evaluated) == len(walking._item_reader.facts)


def documents():
    for kind in PERMIT_TYPES.values():
        facts = sample_permit(kind, issued_at=SAMPLE_ISSUED_AT, items=3)
        yield kind, build_permit(facts)
        yield f"{kind}, every optional part", build_permit(with_every_optional_part(facts))
    for name, mutation in MUTATIONS.items():
        yield name, mutation.apply(build_permit(with_every_optional_part(sample_permit(mutation.sample, items=2))))
    odd = build_permit(with_every_optional_part(sample_permit("re-export-certificate", items=2)))
    for code in odd.iter(f"{{{RAM}}}TypeCode"):
        code.text = f"\n {code.text}\t"
        code.addprevious(etree.Comment("a comment"))
    item = next(odd.iter(f"{{{RAM}}}IncludedSupplyChainConsignmentItem"))
    item.append(copy.deepcopy(item[0]))  # a second ram:ID
    item[0].text = None
    yield "white space, comments, a repeated and an empty element", odd


@pytest.mark.parametrize(("name", "root"), list(documents()), ids=lambda value: value if isinstance(value, str) else "")
def test_walking_reads_the_facts_xpath_reads(walking, evaluating, name, root):
    root = parse(to_bytes(root))
    assert walking.extract(root) == evaluating.extract(root)


def test_a_map_with_some_facts_for_xpath_reads_them_all(tmp_path):
    text = V2_MAP.read_text(encoding="utf-8")
    text = text.replace('id = "ram:ID"', 'id = "normalize-space(ram:ID)"')
    text = text.replace('marks = "ram:PhysicalLogisticsShippingMarks/ram:Marking"',
                        'marks = "ram:PhysicalLogisticsShippingMarks//ram:Marking"')
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    mixed = FieldMap.load(path)
    assert [fact.attr for fact in mixed._item_reader.evaluated] == ["id", "marks"]
    assert not mixed._item_fields_in_order
    facts = with_every_optional_part(sample_permit("export-permit", issued_at=SAMPLE_ISSUED_AT, items=2))
    facts.items[1].id = " B "
    read = mixed.extract(parse(to_bytes(build_permit(facts))))
    assert [item.id for item in read.items] == ["A", "B"]
    assert [item.marks for item in read.items] == [item.marks for item in facts.items]
    assert [item.scientific_name for item in read.items] == [item.scientific_name for item in facts.items]
