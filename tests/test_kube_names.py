"""Names the API server refuses are warned of at convert time, with file and line: the chart
keeps them (it reproduces the folder), but its install would fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, assert_proven, run, write_tree

from helmify_flts import kubenames, render


@pytest.mark.parametrize(
    ("api_version", "kind", "name"),
    [
        ("v1", "ConfigMap", "app-config.v2"),
        ("v1", "Secret", "a" * 253),
        ("apps/v1", "Deployment", "web-1"),
        ("v1", "Service", "web-1"),
        ("v1", "Namespace", "team-a"),
        ("batch/v1", "CronJob", "n" * 52),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "system:aggregate-to-view"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", "Reader:Team A"),
        # Custom resources and unknown kinds: their own definitions decide.
        ("serving.knative.dev/v1", "Service", "Web"),
        ("example.com/v1", "Widget", "Any Name/At All"),
        # Another group's kind of the same name is not the built-in one.
        ("example.com/v1", "ConfigMap", "system:settings"),
    ],
)
def test_names_kubernetes_accepts_are_not_reported(api_version: str, kind: str, name: str) -> None:
    assert kubenames.problem(api_version, kind, name) is None


@pytest.mark.parametrize(
    ("api_version", "kind", "name", "said"),
    [
        ("v1", "ConfigMap", "system:settings", "lowercase letters, digits, '-' and '.'"),
        ("v1", "Secret", "Token", "lowercase"),
        ("v1", "Secret", "a" * 254, "at most 253 characters"),
        ("apps/v1", "Deployment", "-web", "start and end with a letter or digit"),
        ("apps/v1", "StatefulSet", "db.", "start and end with a letter or digit"),
        ("v1", "Service", "web.api", "lowercase letters, digits and '-'"),
        ("v1", "Service", "1web", "start with a letter"),
        ("v1", "Namespace", "team.a", "at most 63 characters"),
        ("v1", "Namespace", "t" * 64, "at most 63 characters"),
        ("batch/v1", "CronJob", "n" * 53, "at most 52 characters"),
        ("rbac.authorization.k8s.io/v1", "Role", "a/b", "'/'"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "..", "'..'"),
    ],
)
def test_names_kubernetes_refuses_say_what_it_accepts(api_version: str, kind: str, name: str, said: str) -> None:
    why = kubenames.problem(api_version, kind, name)
    assert why is not None and why.startswith(f"a {kind} name must ")
    assert said in why


REFUSED = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: system:settings
data: {a: b}
---
apiVersion: v1
kind: Service
metadata: {name: Web}
spec:
  ports: [{port: 80}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:aggregate-to-view"}
rules: []
"""


def test_convert_warns_with_file_and_line_and_keeps_the_objects(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": REFUSED})
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "Kubernetes refuses this name" in line]
    assert len(warned) == 2
    assert warned[0].startswith("warning: app.yaml:1: ConfigMap 'system:settings'")
    assert warned[1].startswith("warning: app.yaml:7: Service 'Web'")
    assert all("rename it in the manifest" in line for line in warned)
    # Not counted as skipped documents: the objects are in the chart, as written.
    assert "0 documents skipped, 2 other warnings" in result.stderr
    assert "refused-name" in (out / "helmify-report.json").read_text()
    assert_proven(out, src)
    # Helm's lint, which applies the API server's rules, refuses the same two names.
    refused = sorted(f["path"] for f in render.lint(out))
    assert refused == ["templates/system-settings.yaml", "templates/web.yaml"]


def test_the_flts_fixtures_have_no_refused_name(tmp_path: Path) -> None:
    result = run("convert", FIXTURES / ".kubernetes", tmp_path / "chart", "--raw")
    assert result.exit_code == 0, result.output
    assert "Kubernetes refuses this name" not in result.stderr
