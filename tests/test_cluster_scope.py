"""Which objects live outside namespaces, and the components RBAC objects join.

A binding joins the component of the ServiceAccount it grants to also where that account's
component comes only from its labels or its own name; a role follows its bindings."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_reproduces, convert_ok, write_tree

from helmify_flts import components, kyaml, manifests, rules

WORKER_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: worker, labels: {app: worker}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-pods}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-pods}
subjects: [{kind: ServiceAccount, name: worker}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: scrape}
rules: [{nonResourceURLs: [/metrics], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: scrape-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: scrape}
subjects: [{kind: ServiceAccount, name: metrics, namespace: default}]
"""


def assigned(folder: Path) -> dict[str, str]:
    loaded = manifests.load_folder(folder)
    return {f"{r.kind}/{r.name}": c.dotted for r, c in components.assign(loaded.resources, rules.load_rules()).items()}


def values(chart: Path) -> dict:
    return kyaml.load_all((chart / "values.yaml").read_text(encoding="utf-8"))[0] or {}


def test_a_binding_joins_an_account_whose_component_comes_from_its_labels_or_name(tmp_path: Path) -> None:
    # No pod uses either account: worker's component comes from its label, metrics' from its
    # name, both decided after the references. The bindings (and their roles) follow them.
    src = write_tree(tmp_path / "src", {"rbac.yaml": WORKER_ACCOUNT})
    found = assigned(src)
    assert found["ServiceAccount/worker"] == "worker"
    assert found["RoleBinding/read-pods-binding"] == "worker"
    assert found["Role/read-pods"] == "worker"
    assert found["ServiceAccount/metrics"] == "metrics"
    assert found["ClusterRoleBinding/scrape-binding"] == "metrics"
    assert found["ClusterRole/scrape"] == "metrics"
    chart = tmp_path / "chart"
    convert_ok(src, chart)
    assert sorted(p.name for p in (chart / "templates").glob("*.yaml")) == ["metrics.yaml", "worker.yaml"]
    assert set(values(chart)) == {"metrics", "worker"}
    assert_reproduces(chart, src)


def test_a_binding_to_accounts_of_two_components_keeps_its_own(tmp_path: Path) -> None:
    two = WORKER_ACCOUNT.replace(
        "subjects: [{kind: ServiceAccount, name: worker}]",
        "subjects: [{kind: ServiceAccount, name: worker}, {kind: ServiceAccount, name: metrics}]",
    )
    found = assigned(write_tree(tmp_path / "src", {"rbac.yaml": two}))
    assert found["RoleBinding/read-pods-binding"] == "readPodsBinding"
    assert found["Role/read-pods"] == "readPods"
