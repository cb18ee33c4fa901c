"""The refactoring contract: refactor rules, declared changes, the report's keys, the proof of
convert and verify against the declarations, and the recorded declarations verify reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, convert_ok, run, write_tree

from helmify_flts import proof, refactorings, rules
from helmify_flts.refactorings import base, record
from helmify_flts.refactorings.base import Edit, Expr, Put, Rendered, TemplateChanges

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env: [{name: MODE, value: fast}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: web-creds, namespace: shop}
stringData: {password: hunter2}
"""

LABELS = """\
rules:
  - id: labels
    description: Standard labels.
    refactor: standard-labels
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src", {"app.yaml": APP})


def _rule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_refactor_rule_is_its_own_kind(tmp_path: Path) -> None:
    ruleset = rules.load_rules((str(_rule_file(tmp_path, LABELS)),))
    (rule,) = ruleset.refactor_rules
    assert isinstance(rule, rules.RefactorRule)
    assert (rule.refactor, rule.options) == ("standard-labels", {})
    assert rule not in ruleset.field_rules


def test_the_schema_names_every_refactoring_of_the_registry() -> None:
    assert rules.schema()["$defs"]["rule"]["properties"]["refactor"]["enum"] == sorted(refactorings.REGISTRY)


def test_unknown_refactoring_is_exit_2_naming_the_known_ones(tmp_path: Path, app: Path) -> None:
    bad = _rule_file(tmp_path, LABELS.replace("standard-labels", "standard-lables"))
    result = run("convert", app, tmp_path / "out", "--rules", bad)
    assert result.exit_code == 2
    known = ", ".join(sorted(refactorings.REGISTRY))
    assert f"rules.yaml:4: unknown refactor 'standard-lables'; known: {known}" in result.stderr
    assert "standard-labels" in known
    assert not (tmp_path / "out").exists()


def test_unknown_option_and_mixed_kinds_are_errors_with_lines(tmp_path: Path, app: Path) -> None:
    bad = _rule_file(
        tmp_path,
        LABELS + "    options: {skp: []}\n  - id: b\n    description: mixed.\n"
        "    refactor: standard-labels\n    path: spec.replicas\n",
    )
    result = run("convert", app, tmp_path / "out", "--rules", bad)
    assert result.exit_code == 2
    assert "rules.yaml:5: refactoring 'standard-labels' has no option 'skp'; its options: skip" in result.stderr
    assert "rules.yaml:6: rule 'b' is a refactoring, so it cannot also have 'path'" in result.stderr


def test_the_conventions_pack_is_named_like_flts(tmp_path: Path, app: Path) -> None:
    convert_ok(app, tmp_path / "out", "--rules", "conventions")
    data = json.loads((tmp_path / "out" / "helmify-report.json").read_text())
    assert "builtin:conventions.yaml" in data["rules"]


def test_without_refactorings_the_keys_are_there_and_empty(tmp_path: Path, app: Path) -> None:
    env = write_tree(tmp_path / "dev", {"app.yaml": APP.replace("fast", "slow")})
    convert_ok(app, tmp_path / "out", "--env", f"dev={env}")
    data = json.loads((tmp_path / "out" / "helmify-report.json").read_text())
    assert all(r["changes"] == [] and "renderedAs" not in r for r in data["resources"])
    assert (data["added"], data["removed"], data["proof"]) == ([], [], {"release": "release", "namespace": "shop"})
    dev = data["environments"]["dev"]
    assert (dev["added"], dev["removed"], dev["proof"]) == ([], [], {"release": "release", "namespace": "shop"})
    assert all(r["changes"] == [] for r in dev["resources"])
    assert not (tmp_path / "out" / record.FILE).exists()
    assert record.FILE not in (tmp_path / "out" / ".helmignore").read_text()


def test_declared_changes_are_in_the_report_and_proven(tmp_path: Path, app: Path) -> None:
    out = tmp_path / "out"
    convert_ok(app, out, "--rules", _rule_file(tmp_path, LABELS))
    data = json.loads((out / "helmify-report.json").read_text())
    deployment = next(r for r in data["resources"] if r["kind"] == "Deployment")
    paths = {op["path"] for op in deployment["changes"]}
    assert "/metadata/labels/app.kubernetes.io~1instance" in paths
    assert "/spec/template/metadata/labels/app.kubernetes.io~1instance" in paths
    assert not any(p.startswith("/spec/selector") for p in paths)
    markdown = (out / "helmify-report.md").read_text()
    assert "# rule labels:" in markdown and '+ metadata.labels["app.kubernetes.io/managed-by"]: "Helm"' in markdown
    assert "hunter2" not in markdown + (out / "helmify-report.json").read_text()
    assert record.FILE in (out / ".helmignore").read_text()
    assert run("verify", out, app).exit_code == 0


def test_a_hand_edited_template_with_an_undeclared_change_fails_verify(tmp_path: Path, app: Path) -> None:
    out = tmp_path / "out"
    convert_ok(app, out, "--rules", _rule_file(tmp_path, LABELS))
    template = next(p for p in (out / "templates").glob("*.yaml") if "kind: Deployment" in p.read_text())
    text = template.read_text()
    template.write_text(text.replace("{{ .Release.Service | quote }}", '"Kustomize"'))
    result = run("verify", out, app)
    assert result.exit_code == 1
    assert 'metadata.labels["app.kubernetes.io/managed-by"]' in result.stdout + result.stderr


def test_verify_refuses_a_damaged_record_naming_it(tmp_path: Path, app: Path) -> None:
    out = tmp_path / "out"
    convert_ok(app, out, "--rules", _rule_file(tmp_path, LABELS))
    recorded = json.loads((out / record.FILE).read_text())
    recorded["folders"][""][0]["ops"] = [{"op": "explode", "path": "/x"}]
    (out / record.FILE).write_text(json.dumps(recorded))
    result = run("verify", out, app)
    assert result.exit_code == 2
    assert record.FILE in result.stderr and "JSON Patch" in result.stderr


def test_verify_names_a_declared_change_the_sources_do_not_fit(tmp_path: Path, app: Path) -> None:
    out = tmp_path / "out"
    convert_ok(app, out, "--rules", _rule_file(tmp_path, LABELS))
    other = write_tree(tmp_path / "other", {"app.yaml": APP.replace("name: web, namespace", "name: api, namespace")})
    result = run("verify", out, other)
    assert result.exit_code == 1
    assert "rule labels: the declared change of Deployment shop/web has no such source" in result.stdout + result.stderr


def test_rendered_placeholders_resolve_against_the_rendered_texts() -> None:
    ident = ("", "ConfigMap", "ns", "a")
    expected = proof.Expected({ident: {"metadata": {"annotations": {"checksum/a": Rendered("templates/a.yaml")}}}})
    texts = {"chart/templates/a.yaml": "data: 1\n"}
    import hashlib

    digest = hashlib.sha256(b"data: 1\n").hexdigest()
    assert expected.resolved(texts)[ident]["metadata"]["annotations"]["checksum/a"] == digest
    assert expected.resolved({})[ident]["metadata"]["annotations"]["checksum/a"] is None  # never "anything goes"
    assert base.from_json(base.to_json(Rendered("templates/a.yaml"))) == Rendered("templates/a.yaml")


def test_changes_apply_in_order_and_renames_are_followed() -> None:
    old, new = ("", "ConfigMap", "ns", "a"), ("", "ConfigMap", "ns", "rel-a")
    objects = {old: {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}}}
    rename = Edit(old, ({"op": "replace", "path": "/metadata/name", "value": "rel-a"},), "names", "release names")
    label = Edit(new, ({"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},), "labels", "labels")
    declared = base.apply(objects, [rename, label])
    assert declared.renamed == {old: new}
    assert [e.rule for e in declared.edits[old]] == ["names", "labels"]
    assert declared.expected[new]["metadata"] == {"name": "rel-a", "namespace": "ns", "labels": {"x": "y"}}
    assert objects[old]["metadata"] == {"name": "a", "namespace": "ns"}  # the sources stay as they are


class _BreaksSelectors:
    """A deliberately broken refactoring: it declares and renders a changed selector."""

    name = "breaks-selectors"
    summary = "test only"
    options: dict = {}

    def declare(self, objects, ctx, rule):  # noqa: ANN001, ANN201
        return [
            Edit(i, ({"op": "add", "path": "/spec/selector/matchLabels/tier", "value": "x"},), rule.id, "test")
            for i in objects
            if i[1] == "Deployment"
        ] + [
            Edit(i, ({"op": "add", "path": "/spec/template/metadata/labels/tier", "value": "x"},), rule.id, "test")
            for i in objects
            if i[1] == "Deployment"
        ]

    def template(self, objects, ctx, rule, chart, out: TemplateChanges) -> None:  # noqa: ANN001
        for i in objects:
            if i[1] == "Deployment":
                out.edit(i, Put(("spec", "selector", "matchLabels", "tier"), "x"))
                out.edit(i, Put(("spec", "template", "metadata", "labels", "tier"), Expr('"x"')))


def test_convert_runs_the_checks_on_a_refactored_chart(tmp_path: Path, app: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(refactorings.REGISTRY, "breaks-selectors", _BreaksSelectors())
    schema = rules.schema()
    monkeypatch.setitem(
        schema["$defs"]["rule"]["properties"]["refactor"], "enum", ["breaks-selectors", "standard-labels"]
    )
    broken = _rule_file(tmp_path, LABELS.replace("standard-labels", "breaks-selectors"))
    result = run("convert", app, tmp_path / "out", "--rules", broken)
    assert result.exit_code == 1
    assert "breaks the built-in checks" in result.stderr
    assert "Deployment shop/web: spec.selector changes" in result.stderr
    assert not (tmp_path / "out").exists()


def test_flts_with_conventions_and_environments_converts_and_verifies(tmp_path: Path) -> None:
    envs = ["--env", f"dev={ROOT}/fixtures/environments/dev", "--env", f"prod={ROOT}/fixtures/environments/prod"]
    out = tmp_path / "helm"
    convert_ok(ROOT / "fixtures/.kubernetes", out, "--rules", "conventions", "--rules", ROOT / "rules/flts.yaml", *envs)
    data = json.loads((out / "helmify-report.json").read_text())
    assert data["proof"] == {"release": "release", "namespace": "flts"}
    for folder in (data, data["environments"]["prod"]):
        removed = {(r["kind"], r["name"]) for r in folder["removed"]}
        assert removed == {("Namespace", "flts")}
        own = [r for r in folder["resources"] if not r.get("source", "").startswith("[")]  # not an env's only
        assert all(r["changes"] for r in own if (r["kind"], r["name"]) not in removed)
    assert run("verify", out, ROOT / "fixtures/.kubernetes", *envs).exit_code == 0
