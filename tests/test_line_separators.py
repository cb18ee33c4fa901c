"""Text of several lines holding a line separator (U+2028, U+2029): Helm's toYaml writes it raw
inside a literal block, where YAML reads it as a line break, so a chart that passed such text
through toYaml rendered invalid YAML and convert ended in its internal-error message. Such text
now stays in the template (the base) or is refused with what to do (an environment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree


def _deployment(annotation: str, args: str = "") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n"
        "  selector: {matchLabels: {app: w}}\n  template:\n    metadata:\n      labels: {app: w}\n"
        f"      annotations:\n        note: {json.dumps(annotation)}\n"
        "    spec:\n      containers:\n        - name: w\n          image: example/w:1\n"
        + (f"          args: [{json.dumps(args)}]\n" if args else "")
    )


@pytest.mark.parametrize("char", ["\u2028", "\u2029"])
def test_pod_annotations_with_such_text_stay_in_the_template(tmp_path: Path, char: str) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": _deployment(f"l1\nl2{char}l3\n")})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "spec.template.metadata.annotations left as is: a line separator" in result.stderr
    assert "podAnnotations" not in (tmp_path / "chart" / "values.yaml").read_text()
    assert_reproduces(tmp_path / "chart", src)


def test_one_line_with_a_separator_still_goes_through_values(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": _deployment("l1\u2028l2")})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "podAnnotations" in (tmp_path / "chart" / "values.yaml").read_text()
    assert_reproduces(tmp_path / "chart", src)


def test_an_environment_whose_list_holds_such_text_is_refused_with_what_to_do(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"d.yaml": _deployment("plain", args="--a")})
    dev = write_tree(tmp_path / "dev", {"d.yaml": _deployment("plain", args="x\ny\u2028z\n")})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 2, result.stderr
    assert "line separator (U+2028 or U+2029)" in result.stderr
    assert "This is a bug" not in result.stderr
    assert not out.exists()


def test_an_environment_only_field_with_such_text_is_refused_with_what_to_do(tmp_path: Path) -> None:
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: x\n"
    src = write_tree(tmp_path / "src", {"c.yaml": config})
    dev = write_tree(tmp_path / "dev", {"c.yaml": config + f"  b: {json.dumps('l1' + chr(10) + 'l2' + chr(0x2029))}\n"})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 2, result.stderr
    assert "[dev] ConfigMap/c: the value for c.data.b cannot pass through Helm values (a line separator" in (
        result.stderr
    )
    assert "change it in that environment" in result.stderr
    assert not out.exists()
