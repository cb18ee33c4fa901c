"""A file whose first character that is not white space is '{' is read by kubectl as a stream of
JSON values: what kubectl refuses there is refused with its line, and what it accepts (values one
after another, as jq writes them) converts. Files of a kustomization are kustomize's input, read as
YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, convert_ok, run, write_tree

CM = '{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "{name}"}}, "data": {{"a": "1"}}{extra}}}'


def cm(name: str, extra: str = "") -> str:
    return CM.format(name=name, extra=extra)


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        ('{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "a",}\n}\n', 4, "property name"),
        ("\n\n  " + cm("a", ', "x": 1,') + "\n", 3, "property name"),
        ("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", 1, "property name"),
        (cm("a") + "\n---\n" + cm("b") + "\n", 2, "Expecting value"),
        ('{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a"}, "data": {"n": NaN}}\n', 2, "NaN"),
        (cm("a") + " # a comment\n", 1, "Expecting value"),
    ],
    ids=["trailing-comma", "indented", "flow-yaml", "dashes", "nan", "comment"],
)
def test_what_kubectl_refuses_as_json_is_refused_with_its_line(tmp_path: Path, text: str, line: int, said: str) -> None:
    src = write_tree(
        tmp_path / "src", {"ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n", "x.json": text}
    )
    out = tmp_path / "out"
    result = run("convert", src, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: x.json:{line}: kubectl reads a file that starts with '{{' as JSON")
    assert said in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_stream_of_json_values_converts_with_its_lines(tmp_path: Path) -> None:
    stream = cm("a") + "\n" + cm("b").replace(", ", ",\n  ") + "\n  " + cm("c") + cm("d") + "\n"
    src = write_tree(tmp_path / "src", {"all.json": stream})
    out = tmp_path / "out"
    convert_ok(src, out)
    assert_reproduces(out, src)
    report = (out / "helmify-report.md").read_text()
    for name, line in (("a", 1), ("b", 2), ("c", 6)):  # d shares c's line: it is one line on
        assert f"### ConfigMap/{name}\n\nFrom `all.json:{line}`" in report
    assert "### ConfigMap/d" in report


@pytest.mark.parametrize(
    "text",
    [
        "# a comment first\n" + cm("a", ",") + "\n",  # YAML to kubectl: the comment comes first
        "---\n" + cm("a", ",") + "\n",
        "\ufeff" + cm("a", ",") + "\n",  # a byte order mark is not white space to kubectl
    ],
    ids=["comment", "dashes", "bom"],
)
def test_a_file_kubectl_reads_as_yaml_keeps_yaml_rules(tmp_path: Path, text: str) -> None:
    src = write_tree(tmp_path / "src", {"x.json": text.encode("utf-8")})
    convert_ok(src, tmp_path / "out")


def test_a_kustomizations_files_are_read_as_yaml_with_raw(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "kustomization.yaml": "resources: [cm.yaml]\n",
            "cm.yaml": "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {a: '1'}}\n",
        },
    )
    convert_ok(src, tmp_path / "raw", "--raw")
    convert_ok(src, tmp_path / "built")
