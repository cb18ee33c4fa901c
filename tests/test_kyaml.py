"""Unit tests of helmify_flts.kyaml: go-yaml v2 scalar rules, quoting, and round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import ScalarNode

from helmify_flts import kyaml, values
from helmify_flts.kyaml import BOOL, FLOAT, INT, NULL, STR

# Plain scalar text -> (tag go-yaml v2 gives it, the value Kubernetes' JSON conversion sees).
GO_YAML_V2 = [
    ("y", BOOL, True),
    ("Y", BOOL, True),
    ("yes", BOOL, True),
    ("Yes", BOOL, True),
    ("on", BOOL, True),
    ("ON", BOOL, True),
    ("On", BOOL, True),
    ("true", BOOL, True),
    ("n", BOOL, False),
    ("N", BOOL, False),
    ("no", BOOL, False),
    ("off", BOOL, False),
    ("OFF", BOOL, False),
    ("false", BOOL, False),
    ("~", NULL, None),
    ("null", NULL, None),
    ("Null", NULL, None),
    ("", NULL, None),
    ("0755", INT, 493),
    ("0x1F", INT, 31),
    ("1_000", INT, 1000),
    ("0", INT, 0),
    ("-12", INT, -12),
    ("+7", INT, 7),
    ("0b101", INT, 5),
    ("12345678901234567890", INT, 12345678901234567890),
    ("1e4", FLOAT, 10000.0),
    ("08", FLOAT, 8.0),
    ("0.8", FLOAT, 0.8),
    ("-1.5", FLOAT, -1.5),
    (".5", FLOAT, 0.5),
    (".inf", FLOAT, math.inf),
    ("-.Inf", FLOAT, -math.inf),
    ("2026-01-01", STR, "2026-01-01"),
    ("=", STR, "="),
    ("abc", STR, "abc"),
    ("1.2.3", STR, "1.2.3"),
    ("yess", STR, "yess"),
    ("0x", STR, "0x"),
    ("_", STR, "_"),
    ("10Gi", STR, "10Gi"),
    ("500m", STR, "500m"),
    ("1:2", STR, "1:2"),
]


@pytest.mark.parametrize(("text", "tag", "value"), GO_YAML_V2, ids=[repr(t) for t, _, _ in GO_YAML_V2])
def test_resolve_plain_follows_go_yaml_v2(text: str, tag: str, value: object) -> None:
    assert kyaml.resolve_plain(text) == tag
    loaded = kyaml.load_all(f"k: {text}\n")[0]["k"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_nan_is_a_float() -> None:
    assert kyaml.resolve_plain(".nan") == FLOAT
    assert math.isnan(kyaml.load_all("k: .NaN\n")[0]["k"])


@pytest.mark.parametrize(
    "text",
    [
        '"on"',
        "'y'",
        '"0755"',
        '"1e4"',
        '"0x1F"',
        '"1_000"',
        '"="',
        '"12345678901234567890"',
        '"2026-01-01"',
        "'0.8'",
        '""',
    ],
)
def test_quoted_scalars_stay_strings(text: str) -> None:
    loaded = kyaml.load_all(f"k: {text}\n")[0]["k"]
    assert loaded == text[1:-1]


def test_map_keys_become_json_keys() -> None:
    assert kyaml.load_all("on: 1\n2: b\n~: c\n")[0] == {"true": 1, "2": "b", "null": "c"}


def _scalar(text: str) -> ScalarNode:
    node = kyaml.compose_all(f"k: {text}\n").__next__().value[0][1]
    assert isinstance(node, ScalarNode)
    return node


@pytest.mark.parametrize(
    "text",
    ["on", "0755", "1e4", "0x1F", "1_000", "=", "2026-01-01", "abc", "12345678901234567890", "~", "true", "10Gi"],
)
def test_scalar_text_keeps_plain_scalars_plain(text: str) -> None:
    assert kyaml.scalar_text(_scalar(text)) == text


@pytest.mark.parametrize("text", ['"on"', '"0755"', '"abc"', "'y'", "'it''s'", '"a\\tb"', '"1e4"'])
def test_scalar_text_keeps_quoted_style(text: str) -> None:
    node = _scalar(text)
    out = kyaml.scalar_text(node)
    assert out[0] == text[0], out
    assert kyaml.load_all(f"k: {out}\n")[0]["k"] == kyaml.construct(node)


@pytest.mark.parametrize(
    "value",
    [
        "on",
        "off",
        "yes",
        "no",
        "y",
        "n",
        "Y",
        "N",
        "0755",
        "1e4",
        "0x1F",
        "1_000",
        "08",
        "12345678901234567890",
        "0.8",
        "~",
        "null",
        "",
        "true",
        ".inf",
        "-1",
        "<<",
    ],
)
def test_scalar_text_quotes_strings_that_would_change_type(value: str) -> None:
    out = kyaml.scalar_text(kyaml.represent(value))
    assert out[0] in "\"'", out
    assert kyaml.load_all(f"k: {out}\n")[0] == {"k": value}


def test_scalar_text_leaves_ordinary_strings_plain() -> None:
    for value in ("abc", "=", "2026-01-01", "nginx", "10Gi"):
        assert kyaml.scalar_text(kyaml.represent(value)) == value


def test_scalar_text_of_multiline_and_block_scalars_is_one_line() -> None:
    node = kyaml.compose_all("k: |\n  line one\n  line two\n").__next__().value[0][1]
    out = kyaml.scalar_text(node)
    assert "\n" not in out
    assert kyaml.load_all(f"k: {out}\n")[0] == {"k": "line one\nline two\n"}


def test_serialize_keeps_each_scalars_text() -> None:
    text = "a: 0755\nb: \"0755\"\nc: on\nd: '='\ne: 1_000\nf: =\n"
    node = next(kyaml.compose_all(text))
    out = kyaml.serialize(node)
    assert kyaml.load_all(out) == kyaml.load_all(text)
    for piece in ("a: 0755", "c: on", "e: 1_000", "f: ="):
        assert piece in out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_scalar_text_round_trips_any_string(s: str) -> None:
    text = kyaml.scalar_text(kyaml.represent(s))
    assert "\n" not in text
    assert kyaml.load_all("k: " + text)[0] == {"k": s}


_KEYS = st.text(max_size=12)
# Integers as Kubernetes holds them: go-yaml reads longer digit strings as floats.
_LEAVES = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text()
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5))
def test_values_dump_loads_back_equal(data: dict) -> None:
    tree = values.Values()
    for key, value in data.items():
        tree.put((key,), value, "What this key holds\nsecond line", "src.yaml:1")
    text = values.dump(tree, "Header line\n\nafter a blank")
    loaded = kyaml.load_all(text)
    assert loaded == [tree.plain()]
    assert loaded == [data]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=3), min_size=1, max_size=3))
def test_values_dump_of_nested_paths_loads_back_equal(data: dict) -> None:
    tree = values.Values()
    for outer, inner in data.items():
        for key, value in inner.items():
            tree.put((outer, key), value, "doc", "")
    loaded = kyaml.load_all(values.dump(tree, "h"))
    assert loaded == [tree.plain()]
    assert loaded == [data]


_DOC_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t\r"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOC_TEXT, _DOC_TEXT)
def test_values_docs_and_header_never_change_the_values(doc: str, header: str) -> None:
    tree = values.Values()
    tree.put(("a",), "x", doc, "")
    tree.put(("b", "c"), 1, doc, "")
    assert kyaml.load_all(values.dump(tree, header)) == [{"a": "x", "b": {"c": 1}}]
