"""YAML read exactly as Kubernetes reads it, in bounded time and memory, and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_reproduces, convert_ok, run, write_tree
from yaml.nodes import ScalarNode, SequenceNode

from helmify_flts import kyaml, render, yamldoc

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: x\n"
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n"


def cli(*args: str | Path, timeout: float) -> subprocess.CompletedProcess:
    """Run the CLI in its own process, killed (and the test failed) after ``timeout`` seconds."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "helmify_flts.cli", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"helmify-flts {' '.join(map(str, args))} ran longer than {timeout} s")


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """The result of ``call``, which must finish within ``seconds`` (it runs in a daemon thread)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"took longer than {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def bomb(levels: int, width: int = 9) -> str:
    """Anchors each repeating the one before ``width`` times: about width**levels nodes."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "".join(f"  {line}\n" for line in lines)


def tower(depth: int) -> list:
    """A list holding the same list twice, ``depth`` times over: 2**depth leaves once expanded."""
    node: list = ["leaf"]
    for _ in range(depth):
        node = [node, node]
    return node


# --------------------------------------------------------------------------- aliases


def test_an_alias_bomb_is_refused_quickly_naming_the_alias(tmp_path: Path) -> None:
    text = CONFIGMAP + "bomb:\n" + bomb(9)
    assert len(text) < 1200
    src = write_tree(tmp_path / "src", {"cm.yaml": text})
    started = time.monotonic()
    result = cli("convert", src, tmp_path / "chart", timeout=30)
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: cm.yaml:11: the alias *a2 repeats data until" in result.stderr
    assert "excessive aliasing" in result.stderr
    assert not (tmp_path / "chart").exists()


def test_aliased_text_is_bounded_by_size_too() -> None:
    big = "x" * 3_000_000
    text = f"a: &a '{big}'\nb: [{', '.join(['*a'] * 30)}]\n"
    with pytest.raises(kyaml.DocumentError, match=r"alias \*a repeats text until .*64 MiB"):
        within(30, lambda: kyaml.load_all(text))


def padded_bomb(padding: int, levels: int) -> str:
    """Plain data first, then a bomb: how much plain data go-yaml wants before the aliases."""
    return WIDGET + "  pad: [" + ", ".join(["p"] * padding) + "]\n" + bomb(levels)


@pytest.mark.parametrize(
    ("padding", "levels", "accepted"),
    [
        (769, 5, False),
        (770, 5, True),  # under 400,000 decoded nodes: up to 99% from aliases
        (103146, 6, False),
        (103148, 6, True),  # above: the allowed share falls towards 10%
    ],
)
def test_aliases_are_refused_exactly_where_kubernetes_refuses_them(padding: int, levels: int, accepted: bool) -> None:
    text = padded_bomb(padding, levels)
    if accepted:
        within(60, lambda: kyaml.load_all(text))
    else:
        with pytest.raises(kyaml.DocumentError, match="excessive aliasing"):
            within(60, lambda: kyaml.load_all(text))


def test_helm_agrees_on_the_aliasing_limit(tmp_path: Path) -> None:
    chart = write_tree(
        tmp_path / "chart",
        {"Chart.yaml": "apiVersion: v2\nname: t\nversion: 0.1.0\n", "templates/w.yaml": padded_bomb(769, 5)},
    )
    assert any("excessive aliasing" in str(f) for f in render.lint(chart))
    (chart / "templates" / "w.yaml").write_text(padded_bomb(770, 5))
    assert render.lint(chart) == []


def test_shared_data_kubernetes_accepts_converts_in_bounded_time(tmp_path: Path) -> None:
    # About 780,000 nodes once expanded, 670,000 of them from aliases: every stage must handle it
    # without expanding it once per use.
    src = write_tree(tmp_path / "src", {"w.yaml": padded_bomb(110_000, 6)})
    result = cli("convert", src, tmp_path / "chart", timeout=60)
    assert result.returncode == 0, result.stderr
    within(60, lambda: assert_reproduces(tmp_path / "chart", src))


def test_an_alias_inside_what_it_names_is_an_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + "  loop: &a\n    - 1\n    - *a\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: w.yaml:8: the alias *a contains the very data it names" in result.stderr


def test_comparing_shared_data_costs_its_size_not_its_expansion() -> None:
    # 2^60 leaves once expanded; each side built separately, so no identity shortcut applies.
    assert within(30, lambda: kyaml.same(tower(60), tower(60)))
    different = tower(60)
    different[1] = tower(59) + ["extra"]
    assert not within(30, lambda: kyaml.same(tower(60), different))


# --------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_past_the_limit_is_an_error_with_its_line(tmp_path: Path, style: str) -> None:
    levels = 500
    if style == "flow":
        body = "  x: " + "[" * levels + "]" * levels + "\n"
    else:
        body = "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(levels)) + f"{'  ' * (levels + 1)}v\n"
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + body})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: w.yaml:" in result.stderr and f"nested more than {yamldoc.MAX_DEPTH} levels" in result.stderr
    assert not (tmp_path / "chart").exists()


def test_nesting_through_aliases_counts_too() -> None:
    half = yamldoc.MAX_DEPTH // 2 + 10
    text = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    with pytest.raises(kyaml.DocumentError, match=r"the alias \*a nests this document more than 200 levels"):
        kyaml.load_all(text)


def test_nesting_just_under_the_limit_reproduces(tmp_path: Path) -> None:
    depth = yamldoc.MAX_DEPTH - 4
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + "  x: " + "[" * depth + "1" + "]" * depth + "\n"})
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)


# --------------------------------------------------------------------------- explicit tags

EXPLICIT_TAGS = [
    ("!!int '42'", 42),
    ("!!int 0x10", 16),
    ("!!bool 'yes'", True),
    ("!!bool 'off'", False),
    ("!!str 1", "1"),
    ("!!str true", "true"),
    ("!!float '1'", 1.0),
    ("!!float '2.5'", 2.5),
    ("!!null ''", None),
    ("!!null '~'", None),
    ("!!binary aGVsbG8=", "hello"),
    ("!!timestamp '2001-12-14'", "2001-12-14"),
    ("!foo 42", "42"),
    ("!foo yes", "yes"),
    ("! 42", "42"),
    ("! '42'", "42"),
    ("&x ! 7", "7"),
    ("!!set x", "x"),
]


@pytest.mark.parametrize(("text", "value"), EXPLICIT_TAGS, ids=[t for t, _ in EXPLICIT_TAGS])
def test_explicit_tags_mean_what_go_yaml_v2_makes_of_them(text: str, value: Any) -> None:
    loaded = kyaml.load_all(f"k: {text}\n")[0]["k"]
    assert loaded == value and type(loaded) is type(value)
    # Written back, the text means the same without its tag.
    node = next(kyaml.compose_all(f"k: {text}\n"))
    written = kyaml.serialize(node)
    assert "!" not in written
    assert kyaml.load_all(written)[0]["k"] == value


def test_tags_on_maps_and_lists_are_ignored() -> None:
    assert kyaml.load_all("a: !!str {b: 1}\nc: !foo [1]\n") == [{"a": {"b": 1}, "c": [1]}]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("!!int abc", "cannot decode the !!str here as a !!int"),
        ("!!int '1.5'", "cannot decode the !!float here as a !!int"),
        ("!!bool 1", "cannot decode the !!int here as a !!bool"),
        ("!!null x", "cannot decode the !!str here as a !!null"),
        ("!!binary '!!'", "invalid base64"),
        ("!!timestamp someday", "as a !!timestamp"),
    ],
)
def test_a_tag_its_text_cannot_have_is_an_error_at_its_line(tmp_path: Path, text: str, problem: str) -> None:
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + f"  ok: 1\n  bad: {text}\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: w.yaml:7: "), result.stderr
    assert problem in result.stderr


def test_a_chart_keeps_the_types_explicit_tags_give(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + "  c: !!int '42'\n  e: !!bool 'yes'\n  s: !!str 1\n"})
    out = tmp_path / "chart"
    convert_ok(src, out)
    spec = render.rendered_objects(render.render_chart(out))[("example.com", "Widget", "", "w")][1]["spec"]
    assert spec == {"c": 42, "e": True, "s": "1"}
    assert type(spec["c"]) is int and spec["e"] is True
    assert "!" not in (out / "templates" / "w.yaml").read_text()
    assert_reproduces(out, src)


def test_the_proof_sees_a_tagged_value_written_back_as_text(tmp_path: Path) -> None:
    # What earlier versions wrote for "c: !!int '42'": Kubernetes reads "! '42'" as the text "42".
    from helmify_flts import manifests

    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + "  c: !!int '42'\n  e: !!bool 'yes'\n"})
    source = render.source_objects(manifests.load_folder(src))
    written = {"t.yaml": WIDGET + "  c: ! '42'\n  e: ! 'yes'\n"}
    comparison = render.compare(source, render.rendered_objects(written))
    assert not comparison.ok
    assert any("spec.c" in line for line in comparison.describe())


# --------------------------------------------------------------------------- plain scalars


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x_", "0x_"),
        ("0b_", "0b_"),
        ("0o_", "0o_"),
        ("-0x_", "-0x_"),
        ("0x_1", 1),
        ("0b1_0", 2),
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        (".1e400", ".1e400"),
        ("18446744073709551615", 2**64 - 1),
        ("18446744073709551616", 1.8446744073709552e19),
        ("0x1FFFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFFF"),
        ("-9223372036854775809", -9.223372036854775808e18),
    ],
)
def test_plain_scalars_go_yaml_cannot_read_as_numbers_are_text(text: str, value: Any) -> None:
    loaded = kyaml.load_all(f"k: {text}\n")[0]["k"]
    assert loaded == value and type(loaded) is type(value)


def test_bare_base_prefixes_convert_without_a_traceback(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"w.yaml": WIDGET + "  a: 0x_\n  b: 0b_\n  c: 0o_\n"})
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)


def test_a_quoted_huge_number_in_a_lifted_map_reproduces(tmp_path: Path) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      nodeSelector:\n        size: '1e400'\n      containers:\n"
        "        - name: api\n          image: example/api:1\n"
    )
    src = write_tree(tmp_path / "src", {"d.yaml": deployment})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    text = (out / "helmify-report.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("1.0", "1"),
        ("1e3", "1000"),
        ("0x10", "16"),
        ("2.5", "2.5"),
        ("1e6", "1e+06"),
        ("0.1", "0.1"),
        ("123456.0", "123456"),
        ("1234567.0", "1.234567e+06"),
        ("0.00001", "1e-05"),
        ("-0.0", "-0"),
        ("3.14159265358979", "3.1415927"),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        ("1e39", ".inf"),
    ],
)
def test_number_keys_are_spelt_as_sigs_k8s_io_yaml_spells_them(key: str, text: str) -> None:
    assert kyaml.load_all(f"{key}: v\n") == [{text: "v"}]


def test_a_trailing_no_break_space_is_kept(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP.replace("a: x\n", "a: x\u00a0\n")})
    assert kyaml.load_all(CONFIGMAP.replace("a: x\n", "a: x\u00a0\n"))[0]["data"]["a"] == "x\u00a0"
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)


# --------------------------------------------------------------------------- line breaks, NUL


def test_a_line_separator_in_a_block_scalar_with_an_environment(tmp_path: Path) -> None:
    base = CONFIGMAP.replace("  a: x\n", "  a: |\n    one\u2028    two\n    three\n")
    src = write_tree(tmp_path / "src", {"cm.yaml": base})
    dev = write_tree(tmp_path / "dev", {"cm.yaml": base.replace("one", "uno")})
    out = tmp_path / "chart"
    convert_ok(src, out, "--env", f"dev={dev}")
    assert_reproduces(out, src)
    assert_reproduces(out, dev, render.load_values_file(out / "values-dev.yaml"))


@pytest.mark.parametrize("char", ["\u2028", "\u2029"])
def test_line_separators_in_lifted_values_stay_readable_by_helm(tmp_path: Path, char: str) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers:\n        - name: api\n          image: example/api:1\n"
        f"          env:\n            - name: A\n              value: {json.dumps('x' + chr(10) + 'y' + char + 'z')}\n"
    )
    src = write_tree(tmp_path / "src", {"d.yaml": deployment})
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)


def test_a_next_line_character_is_not_lifted_through_to_json(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP.replace("  a: x\n", '  a: "a\\nb\\x85c\\n"\n')})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0
    assert "U+0085" in result.stderr
    assert_reproduces(tmp_path / "chart", src)


def test_nul_in_a_rule_file_is_an_error_with_its_line(tmp_path: Path) -> None:
    rules = write_tree(tmp_path, {"r.yaml": 'rules:\n  - id: a\n    description: "x\0y"\n'}) / "r.yaml"
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP})
    result = run("convert", src, tmp_path / "chart", "--rules", rules)
    assert result.exit_code == 2
    assert f"error: {rules.as_posix()}:3: " in result.stderr and "U+0000" in result.stderr


def test_nul_in_a_manifest_is_an_error_with_its_line(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP + '  b: "\u00e9\0"\n'})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: cm.yaml:7: " in result.stderr and "U+0000" in result.stderr


# --------------------------------------------------------------------------- duplicate keys


def test_a_duplicate_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP + "  b: y\n  a: z\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: cm.yaml:8: the key 'a' is here and on line 6" in result.stderr
    assert not (tmp_path / "chart").exists()


def test_keys_that_mean_the_same_are_duplicates() -> None:
    for text in ("yes: 1\non: 2\n", "1: a\n'1': b\n", "0x10: a\n16: b\n"):
        with pytest.raises(kyaml.DocumentError, match="line 1"):
            kyaml.load_all(text)


def test_documents_run_together_name_the_file(tmp_path: Path) -> None:
    text = CONFIGMAP + CONFIGMAP.replace("name: cm", "name: other")
    src = write_tree(tmp_path / "src", {"both.yaml": text})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: both.yaml:7: the key 'apiVersion' is here and on line 1" in result.stderr
    assert "'---'" in result.stderr


def test_merge_keys_may_still_override() -> None:
    assert kyaml.load_all("base: &b {a: 1}\nx:\n  <<: *b\n  a: 2\n")[0]["x"] == {"a": 2}


# --------------------------------------------------------------------------- error lines, all errors


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nfoo\nc: 2\n", 2),  # a key without its colon
        ("a:\n  b: 1\n  c\nd: 2\n", 3),  # the same, indented
        ("a: 'x\nb: 3\n", 1),  # a quote never closed
        ("a: b: c\nd: 1\n", 1),  # a colon inside a plain value
        ("a:\n  b: 1\n c: 2\nd: 3\n", 3),  # a key indented wrongly
        ("a: 1\n- b\nc: 2\n", 2),  # a list item inside a mapping
        ("a:\n\tb: 1\n", 2),  # a tab
    ],
)
def test_a_yaml_error_names_the_line_at_fault(tmp_path: Path, text: str, line: int) -> None:
    src = write_tree(tmp_path / "src", {"bad.yaml": text})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: bad.yaml:{line}: not valid YAML"), result.stderr


def test_every_duplicate_resource_and_broken_file_is_reported_in_one_run(tmp_path: Path) -> None:
    cm = CONFIGMAP
    src = write_tree(
        tmp_path / "src",
        {
            "a.yaml": cm,
            "b.yaml": cm,
            "c.yaml": cm.replace("name: cm", "name: two"),
            "d.yaml": cm.replace("name: cm", "name: two"),
            "e.yaml": "a: [\n",
            "f.yaml": "a: 1\na: 2\n",
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [line.split(":")[1].strip() for line in lines] == ["e.yaml", "f.yaml", "b.yaml", "d.yaml"], lines
    assert "ConfigMap/cm is defined twice: here and at a.yaml:1" in lines[2]
    assert "ConfigMap/two is defined twice: here and at c.yaml:1" in lines[3]


def test_every_rule_file_error_is_reported_in_one_run(tmp_path: Path) -> None:
    rules = write_tree(
        tmp_path / "rules",
        {
            "one.yaml": (
                'rules:\n  - id: a\n    description: x\n    path: spec.x\n    key: "{base}.x"\n'
                "    bogus: 1\n  - id: b\n    descripton: y\n"
            ),
            "two.yaml": "rules:\n  - id: c\n",
        },
    )
    src = write_tree(tmp_path / "src", {"cm.yaml": CONFIGMAP})
    result = run(
        "convert",
        src,
        tmp_path / "chart",
        "--rules",
        rules / "one.yaml",
        "--rules",
        rules / "two.yaml",
        "--rules",
        rules / "missing.yaml",
    )
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 4, lines
    assert "one.yaml:6: unknown key 'bogus'" in lines[0]
    assert "one.yaml:8: unknown key 'descripton'" in lines[1]
    assert "two.yaml:2: rule 'c' has no description" in lines[2]
    assert "missing.yaml not found" in lines[3]


def test_a_tagged_key_is_read_before_keys_are_compared() -> None:
    with pytest.raises(kyaml.DocumentError, match="cannot decode the !!null here as a !!int"):
        kyaml.load_all("!!int '': a\nb: c\n")
    with pytest.raises(kyaml.DocumentError, match="the key '1'"):
        kyaml.load_all("!!str 1: a\n1: b\n")


def test_an_anchor_on_an_empty_value_at_the_end_of_the_text() -> None:
    assert kyaml.load_all("b: !foo c\na: &x") == [{"b": "c", "a": None}]


def test_checking_shared_data_for_helm_costs_its_size_not_its_expansion() -> None:
    from helmify_flts import rewrite, values

    assert within(30, lambda: values.inexpressible(tower(60))) is None
    # Such a document is refused at load; shared nodes can still be built by code.
    node = SequenceNode(kyaml.SEQ, [ScalarNode(kyaml.STR, "leaf")])
    for _ in range(60):
        node = SequenceNode(kyaml.SEQ, [node, node])
    assert within(30, lambda: rewrite.liftable(node)) is None


def test_an_environment_changing_shared_data_converts_in_bounded_time(tmp_path: Path) -> None:
    base = padded_bomb(800, 5)
    src = write_tree(tmp_path / "src", {"w.yaml": base})
    dev = write_tree(tmp_path / "dev", {"w.yaml": base.replace("a0: &a0 [x,", "a0: &a0 [y,")})
    out = tmp_path / "chart"
    result = cli("convert", src, out, "--env", f"dev={dev}", timeout=90)
    assert result.returncode == 0, result.stderr
    assert_reproduces(out, dev, render.load_values_file(out / "values-dev.yaml"))


def test_a_template_whose_branches_repeat_a_key_is_skipped_as_a_template(tmp_path: Path) -> None:
    template = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n"
        "  # {{- if .Values.a }}\n  k: a\n  # {{- else }}\n  k: b\n  # {{- end }}\n"
    )
    src = write_tree(tmp_path / "src", {"t.yaml": template, "cm.yaml": CONFIGMAP})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0
    assert "t.yaml:9: has template syntax" in result.stderr
