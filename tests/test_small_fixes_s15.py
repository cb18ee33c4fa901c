"""Regression tests for small defects: the no-namespace warning's kinds, line numbers in JSON streams,
the store of held Secret values per build, and `--set` keys shown for dotted label keys."""

from __future__ import annotations

from pathlib import Path

from conftest import run, write_tree

from helmify_flts import manifests, unnamespaced

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""
# Built-in namespaced kinds a hand list of kinds had missed.
TEMPLATE = """\
apiVersion: v1
kind: PodTemplate
metadata: {name: spare}
template:
  metadata: {labels: {app: spare}}
  spec:
    containers: [{name: spare, image: "busybox:1.36"}]
"""
REVISION = """\
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: web-1}
revision: 1
"""
CAPACITY = """\
apiVersion: storage.k8s.io/v1
kind: CSIStorageCapacity
metadata: {name: zone-a}
storageClassName: fast
"""
# Neither may be named: one is cluster-scoped, the other a custom kind no definition here scopes.
CLUSTER_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
"""
ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec: {selfSigned: {}}
"""


def test_the_no_namespace_warning_names_every_namespaced_built_in_kind(tmp_path: Path) -> None:
    docs = [DEPLOYMENT, TEMPLATE, REVISION, CAPACITY, CLUSTER_ROLE, ISSUER]
    loaded = manifests.load_folder(write_tree(tmp_path / "src", {"app.yaml": "---\n".join(docs)}))
    found = unnamespaced.notices(loaded.resources, Path("overlays/prod"), "kustomization.yaml")
    named = sorted(n.message.split(" has no namespace")[0] for n in found)
    assert named == ["CSIStorageCapacity/zone-a", "ControllerRevision/web-1", "PodTemplate/spare"]
    assert all(n.code == unnamespaced.CODE for n in found)


def test_a_kustomization_leaving_a_pod_template_without_namespace_is_warned(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "namespace: shop\nresources: [app.yaml]\n",
            "base/app.yaml": DEPLOYMENT,
            "prod/kustomization.yaml": "resources: [../base, spare.yaml]\n",
            "prod/spare.yaml": TEMPLATE,
        },
    )
    result = run("convert", root / "prod", tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "has no namespace" in line]
    assert len(warned) == 1 and "PodTemplate/spare" in warned[0], result.stderr
    assert "set `namespace: shop`" in warned[0]
