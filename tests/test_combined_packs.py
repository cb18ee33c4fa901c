"""The conventions and production packs named together: every combination and order of the
built-in packs converts and proves, never with an internal error; a later rule's edit of an object
an earlier rule added folds into what the report lists as added."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, run, write_tree

from helmify_flts import render
from helmify_flts.refactorings import base, record
from helmify_flts.refactorings.base import Added, Edit

PACKS = ("conventions", "production", "flts-production")
FLTS = FIXTURES / ".kubernetes"

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-env"}, "data": {"A": "1"}}
ADDED_ID = ("", "ConfigMap", "", "web-env")
LABEL = {"op": "add", "path": "/metadata/labels", "value": {"app.kubernetes.io/instance": "r"}}
RENAME = {"op": "replace", "path": "/metadata/name", "value": "r-web-env"}


def test_a_later_edit_of_an_added_object_folds_into_the_added_entry() -> None:
    changes = [
        Added(CONFIGMAP, "env-configmap", "split off"),
        Edit(ADDED_ID, (LABEL,), "standard-labels", "labels"),
        Edit(ADDED_ID, (RENAME,), "release-names", "names"),
    ]
    declared = base.apply({}, changes)  # KeyError before: an edit could only name a source object
    assert declared.edits == {} and declared.renamed == {}
    assert [a.rule for a in declared.added] == ["env-configmap"]
    assert declared.added[0].object["metadata"] == {"name": "r-web-env", "labels": {"app.kubernetes.io/instance": "r"}}
    assert set(declared.expected) == {("", "ConfigMap", "", "r-web-env")}
    assert CONFIGMAP["metadata"] == {"name": "web-env"}  # the declaration itself is left as it was


def test_verify_replays_an_edit_of_an_added_object() -> None:
    changes = (Added(CONFIGMAP, "env-configmap", "split off"), Edit(ADDED_ID, (LABEL,), "standard-labels", "labels"))
    declared, problems = record.replay({}, changes)
    assert problems == []  # "has no such source" before
    assert declared.added[0].object["metadata"]["labels"] == {"app.kubernetes.io/instance": "r"}


@pytest.mark.parametrize("packs", list(itertools.permutations(PACKS, 2)), ids="+".join)
def test_two_built_in_packs_in_either_order_convert_or_say_what_to_do(tmp_path: Path, packs: tuple[str, str]) -> None:
    out = tmp_path / "out"
    args = [a for pack in packs for a in ("--rules", pack)]
    result = run("convert", FLTS, out, "--chart-name", "flts", *args)
    assert "internal error" not in result.stderr, result.stderr
    assert result.exit_code == 0, result.stderr  # exit 2 before: conventions and production were refused
    assert run("verify", out, FLTS).exit_code == 0


def _rule_file(tmp_path: Path, *refactors: str) -> Path:
    match = {"init-job-hooks": "    match: {kinds: [Job], names: ['*-init']}\n"}
    body = "".join(
        f"  - id: r-{name}\n    description: test\n    refactor: {name}\n{match.get(name, '')}" for name in refactors
    )
    path = tmp_path / "rules.yaml"
    path.write_text("extends: [default]\nrules:\n" + body)
    return path


def test_a_refactoring_after_the_checksum_roll_converts_and_proves(tmp_path: Path) -> None:
    rules = _rule_file(tmp_path, "checksum-roll", "wait-for")
    result = run("convert", FLTS, tmp_path / "out", "--chart-name", "flts", "--rules", rules)
    assert result.exit_code == 0, result.stderr  # a TypeError (internal error) once, then refused
    assert run("verify", tmp_path / "out", FLTS).exit_code == 0


def test_the_other_order_converts_and_proves(tmp_path: Path) -> None:
    rules = _rule_file(tmp_path, "wait-for", "checksum-roll")
    result = run("convert", FLTS, tmp_path / "out", "--chart-name", "flts", "--rules", rules)
    assert result.exit_code == 0, result.stderr
    assert run("verify", tmp_path / "out", FLTS).exit_code == 0


def test_two_refactorings_that_make_the_same_hooks_make_them_once(tmp_path: Path) -> None:
    rules = _rule_file(tmp_path, "init-job-hooks", "init-hooks")
    result = run("convert", FLTS, tmp_path / "out", "--chart-name", "flts", "--rules", rules)
    assert result.exit_code == 0, result.stderr  # refused once: the second found the first's hook
    assert run("verify", tmp_path / "out", FLTS).exit_code == 0


def test_init_job_hooks_after_release_names_converts_and_proves(tmp_path: Path) -> None:
    rules = _rule_file(tmp_path, "release-names", "init-job-hooks")
    result = run("convert", FLTS, tmp_path / "out", "--chart-name", "flts", "--rules", rules)
    assert result.exit_code == 0, result.stderr  # exit 1 (an unexpected difference) once, then refused
    assert run("verify", tmp_path / "out", FLTS).exit_code == 0
    rules = _rule_file(tmp_path, "init-job-hooks", "release-names")
    assert run("convert", FLTS, tmp_path / "out2", "--chart-name", "flts", "--rules", rules).exit_code == 0


ENVS = FIXTURES / "environments"
WEB = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
%s"""
LITERAL = """            - {name: MODE, value: fast}
            - {name: DB_PASSWORD, value: %s}
"""
FROM_SECRET = """            - {name: MODE, value: fast}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: shop-db, key: DB_PASSWORD}}
"""


def test_an_environment_reading_credentials_from_its_own_secret_sets_existing_secret(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {"web.yaml": WEB % (LITERAL % "dev-pw")})
    prod = write_tree(tmp_path / "prod", {"web.yaml": WEB % FROM_SECRET})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "production", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr  # exit 1 before: planning compared value with valueFrom
    assert "credential" not in result.stderr
    prod_values = yaml.safe_load((out / "values-prod.yaml").read_text())
    assert prod_values["web"]["existingSecret"] == "shop-db"
    assert "DB_PASSWORD:" not in (out / "values-prod.yaml").read_text()  # the key, not the doc naming it
    assert run("verify", out, base, "--env", f"prod={prod}").exit_code == 0


def test_an_environment_with_its_own_literal_credential_still_warns(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {"web.yaml": WEB % (LITERAL % "dev-pw")})
    prod = write_tree(tmp_path / "prod", {"web.yaml": WEB % (LITERAL % "prod-pw")})
    result = run("convert", base, tmp_path / "chart", "--rules", "production", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "values-prod.yaml holds a credential in plain text at web.env.DB_PASSWORD" in result.stderr


def test_the_quick_start_prod_values_hold_no_credential(tmp_path: Path) -> None:
    out = tmp_path / "flts"
    envs = ("--env", f"dev={ENVS / 'dev'}", "--env", f"prod={ENVS / 'prod'}")
    result = run("convert", FLTS, out, "--chart-name", "flts", "--rules", "flts-production", *envs)
    assert result.exit_code == 0, result.stderr
    assert "holds a credential" not in result.stderr  # Grafana's and MLflow's were warned about before
    text = (out / "values-prod.yaml").read_text()
    prod = yaml.safe_load(text)
    assert prod["grafana"]["existingSecret"] == "grafana-credentials"
    assert prod["mlflow"]["existingSecret"] == "mlflow-credentials"
    for secret in ("gr4fana-Pr0d-adm1n", "pR0d-mlfl0w", "Zq4!rT8vNw2#pLx6", "flts-prod-admin"):
        assert secret not in text
    assert run("verify", out, FLTS, *envs).exit_code == 0


def test_release_names_rename_a_host_in_a_value_only_some_environments_set(tmp_path: Path) -> None:
    """Prod reads MLflow's backend URI from a Secret, so the chart renders ``value`` only where it is
    set; the host name in it still follows the release (it stayed ``postgres`` before)."""
    out = tmp_path / "flts"
    envs = ("--env", f"dev={ENVS / 'dev'}", "--env", f"prod={ENVS / 'prod'}")
    result = run("convert", FLTS, out, "--chart-name", "flts", "--rules", "conventions", *envs)
    assert result.exit_code == 0, result.stderr
    for release in ("one", "two"):
        texts = render.render_chart(out, None, release, "shared")
        objects = {ident: obj for ident, (_, obj) in render.rendered_objects(texts).items()}
        mlflow = next(o for i, o in objects.items() if i[1] == "Deployment" and i[3] == f"{release}-mlflow")
        env = {e["name"]: e for e in mlflow["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert f"@{release}-postgres:5432/" in env["MLFLOW_BACKEND_STORE_URI"]["value"]
    prod = render.load_values_file(out / "values-prod.yaml")
    texts = render.render_chart(out, prod, "one", "shared")
    objects = {ident: obj for ident, (_, obj) in render.rendered_objects(texts).items()}
    mlflow = next(o for i, o in objects.items() if i[1] == "Deployment" and i[3] == "one-mlflow")
    env = {e["name"]: e for e in mlflow["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "value" not in env["MLFLOW_BACKEND_STORE_URI"]
    assert env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"]["name"] == "mlflow-credentials"


@pytest.mark.parametrize("pack", ["default", "conventions"])
def test_an_env_value_read_from_a_secret_is_no_credential_in_values(tmp_path: Path, pack: str) -> None:
    """Without env-credentials the chart carries prod's valueFrom in values-prod.yaml: it names a
    Secret and holds no credential (it was warned about as one)."""
    envs = ("--env", f"dev={ENVS / 'dev'}", "--env", f"prod={ENVS / 'prod'}")
    result = run("convert", FLTS, tmp_path / "out", "--chart-name", "flts", "--rules", pack, *envs)
    assert result.exit_code == 0, result.stderr
    assert "at grafana." not in result.stderr


SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def test_notes_name_services_as_release_names_renders_them(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": WEB % (LITERAL % "pw"), "svc.yaml": SERVICE})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--chart-name", "shop", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    notes = render.render_chart(out, None, "r", "shop")["shop/templates/NOTES.txt"]
    assert "kubectl port-forward -n shop svc/r-web 80:80" in notes  # svc/web before: no such Service
    assert "svc/web " not in notes


FLTS_ENVS = ("--env", f"dev={ENVS / 'dev'}", "--env", f"prod={ENVS / 'prod'}")


@pytest.mark.parametrize("labels_first", [True, False], ids=["labels-first", "production-first"])
def test_standard_labels_reach_the_objects_production_adds(tmp_path: Path, labels_first: bool) -> None:
    labels = ("--rules", _rule_file(tmp_path, "standard-labels"))
    packs = (*labels, "--rules", "flts-production") if labels_first else ("--rules", "flts-production", *labels)
    out = tmp_path / "out"
    result = run("convert", FLTS, out, "--chart-name", "flts", *packs, *FLTS_ENVS)
    assert result.exit_code == 0, result.stderr  # exit 2 (refused) before; exit 1 without the fix
    assert run("verify", out, FLTS, *FLTS_ENVS).exit_code == 0
    rendered = render.rendered_objects(render.render_chart(out, None, "other", "flts"))
    objects = {ident: obj for ident, (_, obj) in rendered.items()}
    split_off = [("", "ConfigMap", "flts", "fastapi-app-env"), ("", "Service", "flts", "kafka-headless")]
    for ident in split_off:  # the ConfigMap env-configmap adds, the headless Service statefulset adds
        assert objects[ident]["metadata"]["labels"]["app.kubernetes.io/instance"] == "other", ident
    claim = objects[("apps", "StatefulSet", "flts", "postgres")]["spec"]["volumeClaimTemplates"][0]
    # the claim's labels, as standard-labels left the PVC when it ran first; a claim template has none of its own
    assert claim["metadata"]["labels"].get("app.kubernetes.io/instance") == ("other" if labels_first else None)


def test_statefulset_warning_goes_to_whoever_converts_not_into_notes(tmp_path: Path) -> None:
    """The "moves data" warning is for the person converting: NOTES.txt is shown on every install,
    and the notes refactoring's access lines are not warnings."""
    out = tmp_path / "chart"
    src = FIXTURES / ".kubernetes"
    result = run("convert", src, tmp_path / "conv", "--chart-name", "flts", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "How to reach the release" in (tmp_path / "conv" / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    assert "How to reach" not in result.stderr and "port-forward" not in result.stderr
    result = run("convert", src, out, "--chart-name", "flts", "--rules", "flts-production")
    assert result.exit_code == 0, result.stderr
    assert "moves data" in result.stderr
    notes = (out / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    assert "moves data" not in notes
    report = (out / "helmify-report.md").read_text(encoding="utf-8")
    assert "moves data" in report
