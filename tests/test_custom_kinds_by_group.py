"""A custom resource whose kind Kubernetes also has (a Knative Service) is still a custom resource:
release-names must read its fields for names it renames, as it does any custom resource's."""

from __future__ import annotations

from pathlib import Path

from conftest import run, write_tree

KNATIVE = """\
apiVersion: v1
kind: Secret
metadata: {name: db-credentials}
stringData: {password: hunter2}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers:
        - image: ghcr.io/example/hello:1.0
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db-credentials, key: password}
"""


def test_a_knative_service_naming_a_renamed_secret_is_warned_of(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"all.yaml": KNATIVE})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    expected = (
        "Service.serving.knative.dev hello: /spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name "
        "'db-credentials' names Secret/db-credentials, which the release renames, but Service.serving.knative.dev "
        "is a custom resource"
    )
    assert expected in result.stderr
    assert expected in (tmp_path / "chart" / "helmify-report.md").read_text()
    assert "hunter2" not in result.stderr
