"""Kustomize overlays in the shapes public repositories use: one folder per layout under
``overlay_shapes/``, each a base and two or three overlays (a hello-world app with a name
prefix and per-overlay literals, an overlay pulling two bases, JSON 6902 and strategic-merge
patches, components only prod has, secrets from env files, a StatefulSet's disk size). Each is
converted with every overlay as an environment, with no pack, with the conventions and with the
production pack, and ``verify`` must pass the base and every overlay.

These tests need ``kubectl`` (kustomize built in) or ``kustomize`` on PATH; they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run, write_tree

from helmify_flts import kyaml

SHAPES_DIR = Path(__file__).parent / "overlay_shapes"
PACKS = {
    "default": (),
    "conventions": ("--rules", "conventions"),
    "production": ("--rules", "production"),
}


def env_args(root: Path, overlays: str = "overlays") -> list[str]:
    return [a for env in sorted((root / overlays).iterdir()) for a in ("--env", f"{env.name}={env}")]


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def converted(root: Path, chart: Path, *rules: str) -> str:
    """Convert and verify ``root`` (base/ and overlays/*); the convert's messages."""
    result = run("convert", root / "base", chart, *env_args(root), *rules)
    assert result.exit_code == 0, result.stdout + result.stderr
    verified = run("verify", chart, root / "base", *env_args(root))
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    for env in sorted((root / "overlays").iterdir()):
        assert f"[{env.name}] verified" in verified.stdout + verified.stderr
    return result.stdout + result.stderr


APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reports
  labels: {app: reports}
spec:
  selector:
    matchLabels: {app: reports}
  template:
    metadata:
      labels: {app: reports}
    spec:
      containers:
        - name: reports
          image: registry.acme.test/reports:3.0.4
          env:
            - {name: WORKERS, value: "4"}
            - {name: PDF_ENGINE, value: chromium}
"""


@pytest.mark.parametrize(
    "patch",
    [
        # an overlay that drops the only literal value leaves no env list at all
        "- op: remove\n  path: /spec/template/spec/containers/0/env",
        # one that moves an item: the list's order changes
        "- op: move\n  from: /spec/template/spec/containers/0/env/1\n  path: /spec/template/spec/containers/0/env/0",
    ],
    ids=["env-removed", "env-reordered"],
)
@pytest.mark.parametrize("credential", [False, True], ids=["plain", "credential"])
def test_env_values_read_whole_from_values_stay_in_env_with_the_production_pack(
    tmp_path: Path, patch: str, credential: bool
) -> None:
    # env-configmap and env-credentials take items out of the container's env list; where an
    # environment makes the chart read that list whole from values, the template has no items to
    # take, and the declaration must not expect them moved: the chart rendered no ConfigMap (or
    # Secret) while its checksum annotation included the file it would have been in.
    app = APP.replace("PDF_ENGINE, value: chromium", "DB_PASSWORD, value: Kq3-not-shown") if credential else APP
    indented = "\n".join("      " + line for line in patch.splitlines())
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": app,
            "overlays/dev/kustomization.yaml": (
                "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: reports}\n"
                f"    patch: |-\n{indented}\n"
            ),
        },
    )
    out = converted(root, tmp_path / "chart", "--rules", "production")
    moved = "DB_PASSWORD" if credential else "WORKERS, PDF_ENGINE"
    rule = "env-credentials" if credential else "env-configmap"
    assert "container reports: its env list is read whole from reports.env" in out
    assert f"so {moved} st" in out and f"in env ({rule})" in out
    assert "Kq3-not-shown" not in out

