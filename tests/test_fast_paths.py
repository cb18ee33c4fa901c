"""Fast paths give exactly what the general code they stand in for gives.

convert takes shortcuts where the general code was slow (a precomputed table instead of the
whole Kubernetes schema, ...). Each shortcut is checked here against the general code, on the
cases it covers and on the cases it must hand back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from helmify_flts import jsontext, kyaml, redact, schema, templating

# --------------------------------------------------------------------------- the integer table


def test_the_integer_table_is_the_kubernetes_schema_pruned() -> None:
    """The table shipped with the package is what kubernetes-validate's schema gives today
    (after an upgrade: `python -m helmify_flts.schema` rewrites it)."""
    shipped = json.loads(schema.INTEGER_TABLE.read_text(encoding="utf-8"))
    assert shipped["kubernetes"] == schema.KUBE_SCHEMA
    assert shipped == schema.integer_table(schema._schema_folder())


def _paths(node: Any, definitions: dict, depth: int, prefix: tuple = ()) -> list[tuple]:
    """Every path below a schema node up to ``depth`` steps (list items as index 0, map values
    under a made-up key), and a name no schema has at each level."""
    out = [prefix, prefix + ("noSuchField",)]
    node = schema._deref(node, definitions)
    if depth == 0 or node is None:
        return out
    if isinstance(node.get("items"), dict):
        out += _paths(node["items"], definitions, depth - 1, prefix + (0,))
    for key, sub in node.get("properties", {}).items():
        out += _paths(sub, definitions, depth - 1, prefix + (key,))
    if isinstance(node.get("additionalProperties"), dict):
        out += _paths(node["additionalProperties"], definitions, depth - 1, prefix + ("anyKey",))
    return out


@pytest.mark.parametrize(
    ("api_version", "kind", "depth"),
    [
        ("apps/v1", "Deployment", 7),
        ("apps/v1", "StatefulSet", 6),
        ("batch/v1", "CronJob", 7),
        ("v1", "Service", 5),
        ("autoscaling/v2", "HorizontalPodAutoscaler", 7),
        ("policy/v1", "PodDisruptionBudget", 5),
        ("networking.k8s.io/v1", "Ingress", 8),
        ("v1", "PersistentVolumeClaim", 6),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 9),
    ],
)
def test_the_integer_table_types_every_field_as_the_whole_schema_does(api_version: str, kind: str, depth: int) -> None:
    full = schema._definitions()
    table = schema._integer_table()
    root = schema._load(schema._schema_file(api_version, kind))
    small = table["kinds"][schema._schema_file(api_version, kind)]
    paths = _paths(root, full, depth)
    assert len(paths) > 50
    typed = 0
    for path in paths:
        expected = schema.integers(schema._walk(root, path, full), definitions=full)
        assert (
            schema.integers(schema._walk(small, path, table["definitions"]), definitions=table["definitions"])
            == expected
        ), path
        typed += expected is not None
    assert typed >= 3


# --------------------------------------------------------------------------- construct


ROOT = Path(__file__).resolve().parent.parent


def _typed(value: Any) -> Any:
    """A value with every scalar's type spelt out (1, 1.0 and True differ; NaN equals NaN)."""
    if isinstance(value, dict):
        return ("map", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def _by_pyyaml(node: Any) -> Any:
    loader = kyaml.Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _documents(text: str) -> list:
    try:
        return [n for n in kyaml.compose_all(text) if n is not None]
    except yaml.YAMLError:
        return []


TRICKY = """\
a: 1
b: 1.5
c: 0755
d: 0x1F
e: 1_000
f: 1e4
g: .inf
h: -.Inf
i: .nan
j: on
k: n
l: ~
m: ""
n: 2026-01-01
o: "="
p: =
q: !!str 12
r: !!int "42"
s: !!float 3
t: !!binary aGVsbG8=
u: !custom text
v: !!timestamp 2026-01-01
w: {1: a, 1.0: b, true: c, null: d, 0.1: e, 1e9: f, y: g, 0755: h}
x: [a, [b, [c]], {d: e}]
y: 18446744073709551615
z: 18446744073709551616
'<<': text as a key
aa: <<
bb: !!str <<
"""

ALIASES = """\
base: &base {cpu: 1, list: &list [a, b]}
one: *base
two: *base
three: *list
text: &t hello
again: *t
"""


def test_construct_gives_what_pyyaml_gives_on_every_yaml_file_here() -> None:
    texts = [TRICKY, ALIASES, "- 1\n- [2, 3]\n", "plain", "", "~", "[]", "{}"]
    texts += [
        p.read_text(encoding="utf-8-sig")
        for folder in ("tests", "fixtures", "rules")
        for p in sorted((ROOT / folder).rglob("*.y*ml"))
    ]
    count = 0
    for text in texts:
        for node in _documents(text):
            fast = kyaml._plain(node, {})
            assert _typed(fast) == _typed(_by_pyyaml(node)), text[:200]
            assert _typed(kyaml.construct(node)) == _typed(fast)
            count += 1
    assert count > 150


def test_construct_shares_aliased_data_as_pyyaml_does() -> None:
    # composed by PyYAML itself: the tool's reading gives aliases nodes of their own (up to a
    # bound, past which the shared nodes stay, and this is how they are constructed)
    node = yaml.compose(ALIASES, Loader=yaml.CSafeLoader)
    fast = kyaml._plain(node, {})
    assert fast["one"] is fast["two"] and fast["three"] is fast["one"]["list"]


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",  # a merge key
        "<<: {a: 1}\n",
    ],
)
def test_construct_hands_merge_keys_to_pyyaml(text: str) -> None:
    node = _documents(text)[0]
    with pytest.raises(kyaml._Unusual):
        kyaml._plain(node, {})
    assert _typed(kyaml.construct(node)) == _typed(_by_pyyaml(node))


def test_construct_hands_unusual_nodes_to_pyyaml() -> None:
    custom = ScalarNode("!custom", "text")
    mapping = MappingNode(kyaml.MAP, [])
    mapping.value.append((ScalarNode(kyaml.STR, "self"), mapping))  # a mapping inside itself
    keyed = MappingNode(kyaml.MAP, [(SequenceNode(kyaml.SEQ, []), ScalarNode(kyaml.STR, "v"))])
    for node in (custom, mapping, keyed):
        with pytest.raises(kyaml._Unusual):
            kyaml._plain(node, {})
    assert kyaml.construct(custom) == "text"
    with pytest.raises(yaml.constructor.ConstructorError):
        kyaml.construct(mapping)
    assert kyaml.construct(keyed) == _by_pyyaml(keyed)


# --------------------------------------------------------------------------- scalar_text


def _scalar_text_by_emitter(node: ScalarNode) -> str:
    """scalar_text as it was before its shortcuts: every scalar through libyaml's emitter."""
    if node.tag == kyaml.NULL and node.value == "" and not node.style:
        return "null"
    style = node.style or None
    if style in ("|", ">") or (style is None and "\n" in node.value):
        style = '"'
    if any(ch in node.value for ch in "\x85\u2028\u2029"):
        style = '"'
    plain_ok = style is None and kyaml.resolve_plain(node.value) == node.tag
    if style is None and not plain_ok:
        style = '"'
    return kyaml._emitted_scalar(node, style, plain_ok)


_EDGES = [
    "",
    " ",
    "a",
    "0",
    "-",
    ".",
    "..",
    "...",
    "---",
    ":",
    "a:",
    ":a",
    "a:b",
    "a: b",
    "#",
    "a #b",
    "a#b",
    "'",
    '"',
    "\\",
    "=",
    "~",
    "null",
    "true",
    "on",
    "y",
    "0755",
    "1e4",
    "0x1F",
    "1_000",
    "-1",
    "+1",
    ".5",
    "1.",
    "?",
    "?a",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "%",
    "@",
    "`",
    "a b",
    " a",
    "a ",
    "a\tb",
    "\u00e9",
    "\u00a0",
    "x" * 300,
    "http://h:80/p?q=1",
    "registry.example.com/team/svc:1.0",
    "/etc/x",
    "a/b",
    "_",
    "<<",
    "a=b",
]


def _texts() -> list[str]:
    import itertools

    pairs = ["".join(p) for p in itertools.product(["a", "-", ".", ":", " ", "'", "#", "1", "/", "=", "_"], repeat=2)]
    return _EDGES + pairs + [a + b for a in _EDGES[:40] for b in ("", "x", ":", " ", "-")]


@pytest.mark.parametrize("style", [None, "", '"', "'", "|", ">"])
@pytest.mark.parametrize("tag", [kyaml.STR, kyaml.INT, kyaml.FLOAT, kyaml.BOOL, kyaml.NULL])
def test_scalar_text_writes_what_the_emitter_writes(style: str | None, tag: str) -> None:
    for text in _texts():
        node = ScalarNode(tag, text, style=style)
        assert kyaml.scalar_text(node) == _scalar_text_by_emitter(node), (text, style, tag)


def test_scalar_text_takes_its_shortcuts_for_common_values() -> None:
    calls = []
    original = kyaml._emitted_scalar
    try:
        kyaml._emitted_scalar = lambda *args: calls.append(args) or original(*args)
        texts = [kyaml.scalar_text(kyaml.represent(v)) for v in ("nginx:1.25", "on", "8080", "a b", 3, True, None)]
    finally:
        kyaml._emitted_scalar = original
    assert texts == ["nginx:1.25", '"on"', '"8080"', "a b", "3", "true", "null"]
    assert len(calls) == 1  # "a b": a space in a plain scalar goes through the emitter


# --------------------------------------------------------------------------- indented JSON


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats()
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS, inner, max_size=4)
        | st.tuples(inner, inner)
        # Lists of text alone are written whole; one item that is not text sends them the long way.
        | st.lists(st.text(), min_size=1, max_size=4)
        | st.lists(st.text(), min_size=1, max_size=3).map(lambda texts: [*texts, 1])
    ),
    max_leaves=30,
)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_JSON, st.sampled_from([0, 1, 2, 4]), st.booleans())
def test_indented_json_is_what_json_dumps_writes(value: Any, indent: int, ascii_only: bool) -> None:
    assert jsontext.dumps(value, indent=indent, ensure_ascii=ascii_only) == json.dumps(
        value, indent=indent, ensure_ascii=ascii_only
    )


def test_indented_json_refuses_what_json_dumps_refuses() -> None:
    for bad in (float("nan"), [float("inf")], {"a": -float("inf")}, {float("nan"): 1}):
        with pytest.raises(ValueError):
            json.dumps(bad, indent=2, allow_nan=False)
        with pytest.raises(ValueError):
            jsontext.dumps(bad, allow_nan=False)
    for bad in ({"a": object()}, {(1, 2): 1}, {1j}):
        with pytest.raises(TypeError):
            jsontext.dumps(bad)


# --------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "shape",
    [
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
        "AKIAABCDEFGHIJKLMNOP",
        "ASIAABCDEFGHIJKLMNOP",
        "ghp_" + "a" * 36,
        "github_pat_" + "b" * 40,
        "glpat-" + "c" * 20,
        "xoxb-1234567890-abc",
        "sk_live_" + "d" * 24,
        "Bearer abcdefgh12345",
        "BASIC abcdefgh12345",
        "Baſic abcdefgh12345",
        "--token abcdef",
        "password=hunter2",
    ],
)
def test_redaction_looks_for_its_patterns_only_where_they_can_be(shape: str) -> None:
    """Each pattern is tried only when a text holds what every match of it holds; a text that
    does is redacted as before, whatever the case or the surrounding text."""
    for text in (shape, f"x {shape} y", f"a: 1\nb: {shape} \n" * 3):
        shown = redact.inline(text)
        assert redact.REDACTED in shown
        assert redact._known(text) == redact._known_re().sub(redact.REDACTED, text)
    plain = "".join(f'{{"title": "panel {p}", "legendFormat": "{{{{pod}}}} p95"}}\n' for p in range(50))
    assert redact.text(plain) == plain


# --------------------------------------------------------------------------- placeholder stems

STEMS = """\
plain: HELMIFYTPL
quoted: "HELMIFYTPLX\\u2028 \\\\ \\x01"
single: 'a HELMIFYTPLXX b'
block: |
  HELMIFYTPLXXX
  HELMIFY
key HELMIFYTPLXXXX: 1
split: ["HELMIFYT", "PL"]
escaped: "HELMIFYTP\\u2029L HELMIFYTPL\\x85X"
folded: "HELMIFY\\
  TPLXXXXX"
"""


def test_scalar_values_hold_a_word_exactly_when_the_emitted_text_does() -> None:
    """rewrite picks its placeholder word from the scalars instead of emitting the tree first."""
    texts = [STEMS, ALIASES, TRICKY] + [
        p.read_text(encoding="utf-8-sig")
        for folder in ("tests", "fixtures")
        for p in sorted((ROOT / folder).rglob("*.y*ml"))
    ]
    stems = ["HELMIFYTPL" + "X" * n for n in range(7)] + ["HELMIFY", "TPL", "HELMIFYTP", "PLX"]
    found = 0
    for text in texts:
        for node in _documents(text):
            emitted, values = kyaml.serialize(node), kyaml.scalar_values(node)
            for stem in stems:
                assert (stem in emitted) == (stem in values), (stem, text[:100])
                found += stem in values
    assert found > 8


def test_printable_text_is_left_alone_exactly_when_the_pattern_leaves_it() -> None:
    pattern = re.compile(templating._NOT_ONE_LINE)
    samples = [chr(c) for c in range(0x300)] + ["a\tb", "plain text", "\u2028", "\U0001f600", "x\x7fy", ""]
    for text in samples + [f"ab{s}cd" for s in samples]:
        assert templating.printable(text) == pattern.sub(templating._visible, text), repr(text)


def test_the_tools_reading_gives_each_alias_its_own_nodes() -> None:
    node = _documents(ALIASES)[0]
    plain = kyaml._plain(node, {})
    assert plain["one"] == plain["two"] == {"cpu": 1, "list": ["a", "b"]} and plain["again"] == "hello"
    assert plain["one"] is not plain["two"] and plain["three"] is not plain["one"]["list"]


@pytest.mark.parametrize("key", [1, 1.5, True, None])
def test_dumps_refuses_a_key_that_is_not_a_string_when_asked(key: object) -> None:
    assert jsontext.dumps({key: 1}) == json.dumps({key: 1}, indent=2)
    with pytest.raises(ValueError, match="not a string"):
        jsontext.dumps({"a": [{key: 1}]}, str_keys=True)
    assert jsontext.dumps({"a": [{"k": 1}]}, str_keys=True) == json.dumps({"a": [{"k": 1}]}, indent=2)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.dictionaries(st.text(), _JSON, min_size=1, max_size=4), st.sampled_from(["", "  ", "      "]))
def test_a_mappings_entries_are_what_json_dumps_writes_inside_its_braces(value: dict, pad: str) -> None:
    # At ``pad``, as values.schema.json nests its leaves: every line of the text moved right by
    # it (JSON text holds no raw line break inside a string).
    whole = json.dumps(value, indent=2).replace("\n", "\n" + pad)
    assert whole == "{\n" + pad + "  " + jsontext.entries(value, pad) + "\n" + pad + "}"
    assert jsontext.entries({}, pad) == ""


# --------------------------------------------------------------------------- values.schema.json


def _values_tree(draw: Any) -> Any:
    from helmify_flts.values import Values

    values = Values()
    keys = st.sampled_from(["enabled", "image", "replicas", "env", "a.b", "ü", "x y", "resources", "tag"])
    scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6)
    leaf = (
        scalars
        | st.lists(scalars, max_size=3)
        | st.dictionaries(st.sampled_from(["repository", "tag", "digest", "pullPolicy"]), st.text(max_size=4))
        | st.dictionaries(st.text(max_size=3), scalars, max_size=2)
    )
    for _ in range(draw(st.integers(1, 12))):
        path = tuple(draw(st.lists(keys, min_size=1, max_size=4)))
        doc = draw(st.sampled_from(["", "Number of pods", "Two\nlines", 'caf\u00e9 \u2028 "q"']))
        try:
            values.put(path, draw(leaf), doc, "")
        except Exception:  # a key that is a branch elsewhere: skipped, as a conflict would be
            continue
    return values


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.data())
def test_the_values_schema_is_indented_json_with_a_type_for_every_key(data: Any) -> None:
    values = data.draw(st.builds(lambda: None).flatmap(lambda _: st.composite(_values_tree)()))
    text = schema.for_values(values)
    loaded = json.loads(text)
    assert json.dumps(loaded, indent=2) == text  # written as json.dumps writes it, byte for byte

    def check(tree: dict, node: dict, top: bool) -> None:
        assert node["type"] == "object" and list(node["properties"]) == list(tree)
        assert ("additionalProperties" not in node) if top else node["additionalProperties"] is False
        for key, item in tree.items():
            sub = node["properties"][key]
            if isinstance(item, dict):
                check(item, sub, False)
                continue
            first = item.doc.splitlines()[0] if item.doc else None
            assert sub.get("description") == first
            value = item.value
            if key == "enabled" and isinstance(value, bool):
                assert sub == {"type": "boolean", **({"description": first} if first else {})}
            elif value is None:
                assert set(sub) <= {"description"}
            elif isinstance(value, list):
                assert sub["type"] == ["array", "null"]
            elif (
                isinstance(value, dict)
                and value
                and "repository" in value
                and all(isinstance(v, str) for v in value.values())
            ):
                assert sub["additionalProperties"] is False and set(value) <= set(sub["properties"])
            elif isinstance(value, dict):
                assert sub["type"] == ["object", "null"]
            else:
                assert "string" in sub["type"] and "null" in sub["type"]

    assert loaded["title"] == "Values"
    check(values.root, loaded, True)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\t", "\n", "\r", "\x0b", "\x85", "\u2028", "\x7f", "é", "#"])))
def test_doc_comments_take_their_shortcut_only_where_printable_keeps_the_text(doc: str) -> None:
    from helmify_flts import values as values_module

    out: list[str] = []
    values_module._doc_lines(doc, "  ", out)
    text = [templating.printable(line) for line in doc.strip().splitlines()] or [""]
    assert out == [f"  # -- {text[0]}"] + [f"  # {t}".rstrip() for t in text[1:]]
