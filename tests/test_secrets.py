"""existingSecret: the chart's Secret by default, the user's own Secret when named."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_reproduces, run, write_tree

from helmify_flts import kyaml, render

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  labels: {app: db}
type: Opaque
stringData:
  password: s3cr3t-value
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  labels: {app: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16
          env:
            - name: POSTGRES_PASSWORD
              valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
          envFrom:
            - secretRef: {name: db-credentials}
      volumes:
        - name: creds
          secret: {secretName: db-credentials}
        - name: other
          secret: {secretName: not-in-this-folder}
"""


def test_existing_secret_switch(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "db.yaml": DEPLOY})
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    assert_reproduces(out, src)
    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    assert values["db"]["existingSecret"] == ""

    objects = render.rendered_objects(render.render_chart(out, {"db": {"existingSecret": "vault-db"}}))
    assert ("", "Secret", "", "db-credentials") not in objects
    deploy = objects[("apps", "Deployment", "", "db")][1]
    spec = deploy["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "vault-db"
    assert container["envFrom"][0]["secretRef"]["name"] == "vault-db"
    assert [v["secret"]["secretName"] for v in spec["volumes"]] == ["vault-db", "not-in-this-folder"]


def test_secret_values_never_reach_the_report(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"secret.yaml": SECRET, "db.yaml": DEPLOY})
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    for name in ("helmify-report.md", "helmify-report.json"):
        assert "s3cr3t-value" not in (out / name).read_text()
