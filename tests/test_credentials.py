"""Credentials: existingSecret switches reach every reference, and convert warns when an
environment's values file would hold a credential."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, convert_ok, write_tree

from helmify_flts import render

BASE = FIXTURES / ".kubernetes"


def _secret_names(obj: dict) -> list[str]:
    """Every Secret name a pod spec reads (env, envFrom, volumes, projected volumes)."""
    spec = obj["spec"]["template"]["spec"]
    names = []
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        names += [
            e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})
        ]
        names += [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
    for v in spec.get("volumes", []):
        if "secret" in v:
            names.append(v["secret"]["secretName"])
        for source in v.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.append(source["secret"]["name"])
    return names


@pytest.fixture(scope="module")
def flts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("creds") / "flts"
    convert_ok(BASE, out, "--rules", "flts")
    return out


def test_postgres_existing_secret_reaches_the_deployment(flts: Path) -> None:
    """postgres-credentials has `namespace: flts`, the Deployment none: the switch must still
    reach every reference, as it does for MinIO's Secret (no namespace on either)."""
    objects = render.rendered_objects(render.render_chart(flts, {"postgres": {"existingSecret": "my-pg"}}))
    kinds = {(i[1], i[3]) for i in objects}
    assert ("Secret", "postgres-credentials") not in kinds
    postgres = objects[("apps", "Deployment", "", "postgres")][1]
    assert _secret_names(postgres) == ["my-pg"] * 3
    for ident, (_, obj) in objects.items():
        assert "postgres-credentials" not in str(obj), ident


def test_every_secret_switch_reaches_every_reference(flts: Path) -> None:
    default = render.rendered_objects(render.render_chart(flts))
    readers = {
        name: [i for i, (_, o) in default.items() if i[1] in ("Deployment", "Job") and name in _secret_names(o)]
        for name in ("minio-credentials", "postgres-credentials")
    }
    assert readers["postgres-credentials"] and readers["minio-credentials"]
    for component, name in (("minio", "minio-credentials"), ("postgres", "postgres-credentials")):
        objects = render.rendered_objects(render.render_chart(flts, {component: {"existingSecret": "mine"}}))
        for ident in readers[name]:
            assert name not in _secret_names(objects[ident][1]), ident
            assert "mine" in _secret_names(objects[ident][1]), ident


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n{ns}stringData:\n  pw: x\n"
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
{ns}spec:
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      containers:
        - name: app
          image: app:1
          env:
            - name: PW
              valueFrom: {{secretKeyRef: {{name: creds, key: pw}}}}
      volumes:
        - name: p
          projected:
            sources:
              - secret: {{name: creds}}
"""


@pytest.mark.parametrize(
    "secret_ns, deploy_ns, follows",
    [
        ("", "", True),
        ("  namespace: a\n", "", True),  # the FLTS case: only the Secret names its namespace
        ("", "  namespace: a\n", True),
        ("  namespace: a\n", "  namespace: a\n", True),
        ("  namespace: a\n", "  namespace: b\n", False),  # another namespace's Secret of that name
    ],
)
def test_switch_follows_across_unwritten_namespaces(
    tmp_path: Path, secret_ns: str, deploy_ns: str, follows: bool
) -> None:
    src = write_tree(tmp_path / "src", {"s.yaml": SECRET.format(ns=secret_ns), "d.yaml": DEPLOY.format(ns=deploy_ns)})
    convert_ok(src, tmp_path / "out")
    values = render.load_values_file(tmp_path / "out" / "values.yaml")
    (key,) = [k for k, v in values.items() if isinstance(v, dict) and "existingSecret" in v]
    objects = render.rendered_objects(render.render_chart(tmp_path / "out", {key: {"existingSecret": "mine"}}))
    app = next(o for i, (_, o) in objects.items() if i[1] == "Deployment")
    assert _secret_names(app) == (["mine", "mine"] if follows else ["creds", "creds"])


def test_exact_namespace_wins_over_an_unwritten_one(tmp_path: Path) -> None:
    """Two Secrets `creds`, one in `a` and one with no namespace: a Deployment in `a` reads the
    one in `a`, so only that one's switch renames its references."""
    src = write_tree(
        tmp_path / "src",
        {
            "s.yaml": SECRET.format(ns="  namespace: a\n") + "---\n" + SECRET.format(ns="").replace("pw: x", "pw: y"),
            "d.yaml": DEPLOY.format(ns="  namespace: a\n"),
        },
    )
    convert_ok(src, tmp_path / "out")
    templates = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out" / "templates").glob("*.yaml")))
    switches = {line.strip() for line in templates.splitlines() if "existingSecret | default" in line}
    assert len(switches) == 1, switches
