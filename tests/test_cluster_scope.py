"""Which objects live outside namespaces, and the components RBAC objects join.

A binding joins the component of the ServiceAccount it grants to also where that account's
component comes only from its labels or its own name; a role follows its bindings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

from helmify_flts import components, kyaml, manifests, render, rules, scopes, unnamespaced
from helmify_flts.errors import UserError

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


APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def crd(group: str, kind: str, scope: str) -> str:
    plural = kind.lower() + "s"
    return f"""\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {plural}.{group}}}
spec:
  group: {group}
  scope: {scope}
  names: {{kind: {kind}, plural: {plural}, singular: {kind.lower()}, listKind: {kind}List}}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"""


def cluster_objects(namespace: str = "") -> str:
    """A GatewayClass, a ClusterIssuer and a Tenant (cluster-scoped by the folder's CRD)."""
    ns = f", namespace: {namespace}" if namespace else ""
    return f"""\
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: public{ns}}}
spec: {{controllerName: example.com/gateway}}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {{name: letsencrypt{ns}}}
spec: {{selfSigned: {{}}}}
---
apiVersion: example.com/v1
kind: Tenant
metadata: {{name: acme{ns}}}
spec: {{owner: web}}
"""


CLUSTER = [
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("cert-manager.io", "ClusterIssuer"),
    ("example.com", "Tenant"),
]


def rendered(chart: Path, namespace: str) -> dict:
    return render_objects(chart, namespace=namespace)


def assert_verified(chart: Path, src: Path) -> None:
    """The chart renders the folder as its report declares it (the conventions' changes)."""
    result = run("verify", chart, src)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "0 missing, 0 extra, 0 changed" in result.stdout + result.stderr


def by_kind(objects: dict, group: str, kind: str) -> dict:
    (found,) = [obj for ident, obj in objects.items() if ident[:2] == (group, kind)]
    return found


def test_cluster_scoped_kinds_keep_no_namespace_under_the_conventions(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": APP + crd("example.com", "Tenant", "Cluster") + cluster_objects()})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    objects = rendered(chart, "other")
    for group, kind in CLUSTER:
        obj = by_kind(objects, group, kind)
        assert "namespace" not in obj["metadata"], kind
    # Classes keep their names (claims and Gateways outside the chart choose them by name).
    assert by_kind(objects, "gateway.networking.k8s.io", "GatewayClass")["metadata"]["name"] == "public"
    assert by_kind(objects, "apps", "Deployment")["metadata"]["namespace"] == "other"
    assert_verified(chart, src)


def test_a_namespace_written_on_a_cluster_scoped_object_does_not_become_the_releases(tmp_path: Path) -> None:
    # kustomize's namespace transformer writes the namespace on custom kinds it does not know
    # are cluster-scoped; the cluster ignores it, and the chart must not move them into a
    # namespace of the release's either.
    src = write_tree(
        tmp_path / "src", {"app.yaml": APP + crd("example.com", "Tenant", "Cluster") + cluster_objects("shop")}
    )
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((chart / "templates").glob("*.yaml")))
    objects = rendered(chart, "other")
    for group, kind in CLUSTER:
        assert by_kind(objects, group, kind)["metadata"].get("namespace") != "other", kind
    assert by_kind(objects, "apps", "Deployment")["metadata"]["namespace"] == "other"
    assert ".Release.Namespace" in text
    assert_verified(chart, src)


def test_a_crd_declared_namespaced_kind_gets_the_release_namespace(tmp_path: Path) -> None:
    # acme.io's ClusterIssuer is a namespaced kind of its own (cert-manager's is cluster-scoped):
    # two of one name in two namespaces are two objects, and each follows its namespace.
    issuers = "".join(
        f"---\napiVersion: acme.io/v1\nkind: ClusterIssuer\nmetadata: {{name: main, namespace: {ns}}}\n"
        f"spec: {{tier: {ns}}}\n"
        for ns in ("shop", "billing")
    )
    src = write_tree(tmp_path / "src", {"app.yaml": APP + crd("acme.io", "ClusterIssuer", "Namespaced") + issuers})
    loaded = manifests.load_folder(src)
    idents = {r.identity for r in loaded.resources if r.kind == "ClusterIssuer"}
    assert idents == {("acme.io", "ClusterIssuer", ns, "main") for ns in ("shop", "billing")}
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    objects = rendered(chart, "other")
    issuers_out = {i[2]: obj["spec"]["tier"] for i, obj in objects.items() if i[1] == "ClusterIssuer"}
    assert issuers_out == {"other": "shop", "billing": "billing"}
    assert_verified(chart, src)


def test_the_folders_definitions_decide_a_kinds_scope() -> None:
    found = scopes.declared(
        [
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Tenant"}},
            },
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "spec": {"group": "cert-manager.io", "scope": "Namespaced", "names": {"kind": "ClusterIssuer"}},
            },
        ]
    )
    assert found.is_cluster("example.com", "Tenant")
    assert not found.is_cluster("other.example.com", "Tenant")
    assert not found.is_cluster("cert-manager.io", "ClusterIssuer")
    assert scopes.NONE.is_cluster("cert-manager.io", "ClusterIssuer")
    for group, kind in [
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotContent"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ]:
        assert scopes.NONE.is_cluster(group, kind), kind
    assert scopes.NONE.keeps_name("snapshot.storage.k8s.io", "VolumeSnapshotClass")
    # A custom kind keeps its name whatever its scope: which fields name it is not known.
    assert found.keeps_name("example.com", "Tenant") is True
    assert found.keeps_name("rbac.authorization.k8s.io", "ClusterRole") is False


def test_release_names_keeps_a_volume_snapshot_class_name(tmp_path: Path) -> None:
    snap = (
        "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata: {name: fast}\n"
        "driver: ebs.csi.aws.com\ndeletionPolicy: Delete\n"
    )
    src = write_tree(tmp_path / "src", {"app.yaml": APP + snap})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    objects = rendered(chart, "other")
    assert by_kind(objects, "snapshot.storage.k8s.io", "VolumeSnapshotClass")["metadata"]["name"] == "fast"
    assert by_kind(objects, "apps", "Deployment")["metadata"]["name"] == "release-web"


def test_the_no_namespace_warning_reads_the_folders_definitions(tmp_path: Path) -> None:
    # A Tenant (cluster-scoped by its definition) whose namespace kustomize wrote does not make a
    # second namespace; a Widget (namespaced by its definition) without one is named.
    widget = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: knob}\nspec: {size: 1}\n"
    tenant = "---\napiVersion: example.com/v1\nkind: Tenant\nmetadata: {name: acme, namespace: billing}\n"
    text = APP + crd("example.com", "Tenant", "Cluster") + crd("example.com", "Widget", "Namespaced") + tenant + widget
    loaded = manifests.load_folder(write_tree(tmp_path / "src", {"app.yaml": text}))
    found = unnamespaced.notices(loaded.resources, Path("overlays/prod"), "kustomization.yaml")
    assert [n.where.line for n in found] == [r.line for r in loaded.resources if r.kind == "Widget"]
    assert "Widget/knob has no namespace while the other objects of overlays/prod are in shop" in found[0].message


def test_a_crd_declared_cluster_scoped_kind_has_no_namespace_in_its_identity(tmp_path: Path) -> None:
    # The cluster has one Tenant/acme whatever namespace a manifest writes on it: the identity the
    # chart and its proof key objects by says so, and two copies are one object twice.
    one = "---\napiVersion: example.com/v1\nkind: Tenant\nmetadata: {name: acme, namespace: shop}\n"
    src = write_tree(tmp_path / "src", {"app.yaml": APP + crd("example.com", "Tenant", "Cluster") + one})
    (tenant,) = [r for r in manifests.load_folder(src).resources if r.kind == "Tenant"]
    assert tenant.identity == ("example.com", "Tenant", "", "acme")
    assert tenant.title == "Tenant/acme"
    assert render.identity(kyaml.construct(tenant.node)) == ("example.com", "Tenant", "shop", "acme")
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    assert ("example.com", "Tenant", "", "acme") in rendered(chart, "other")  # a custom kind keeps its name
    assert_verified(chart, src)
    twice = one + one.replace("namespace: shop", "namespace: billing")
    write_tree(src, {"app.yaml": APP + crd("example.com", "Tenant", "Cluster") + twice})
    with pytest.raises(UserError, match="Tenant/acme"):
        manifests.load_folder(src)
