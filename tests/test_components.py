"""Grouping resources into components, and the values paths that follow from it."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, assert_reproduces, run, write_tree

from helmify_flts import components, kyaml, manifests, rules


def assign(folder: Path) -> dict[str, str]:
    loaded = manifests.load_folder(folder)
    assigned = components.assign(loaded.resources, rules.load_rules())
    return {f"{r.kind}/{r.name}": c.dotted for r, c in assigned.items()}


def test_fixture_components_follow_ownership() -> None:
    comps = assign(FIXTURES / ".kubernetes")
    # kompose labels the claim "kafka-claim0"; it belongs to the one workload that mounts it.
    assert comps["PersistentVolumeClaim/kafka-claim0"] == "kafka"
    assert comps["HorizontalPodAutoscaler/inference"] == "inference"
    assert comps["ConfigMap/haproxy-config"] == "inferenceLb"
    # Shared by several components: its own label decides.
    assert comps["Secret/minio-credentials"] == "minio"


def test_unlabelled_resources_join_what_uses_them(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "app.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {run: api}}
  template:
    metadata: {labels: {run: api}}
    spec:
      containers:
        - name: api
          image: example/api:2
          volumeMounts: [{name: cfg, mountPath: /etc/api}]
      volumes: [{name: cfg, configMap: {name: api-settings}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-settings}
data: {level: debug}
---
apiVersion: v1
kind: Service
metadata: {name: api-svc}
spec:
  selector: {run: api}
  ports: [{port: 80}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api-pdb}
spec:
  minAvailable: 1
  selector: {matchLabels: {run: api}}
""",
        },
    )
    comps = assign(src)
    assert set(comps.values()) == {"api"}
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    assert_reproduces(out, src)
    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    assert values["api"]["podDisruptionBudget"]["minAvailable"] == 1
    assert values["api"]["service"]["ports"] == [{"port": 80}]


def test_components_whose_names_slug_alike_get_their_own_files(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{app: {app}}}\ndata: {{a: b}}\n"
    src = write_tree(
        tmp_path / "src",
        {
            "a.yaml": cm.format(name="gru-config", app="x"),
            "b.yaml": cm.format(name="other", app="train-gru"),
        },
    )
    # The rule names one component train.gru (file train-gru); a label names another trainGru.
    rule_file = (
        write_tree(
            tmp_path,
            {
                "r.yaml": """\
rules:
  - id: gru
    description: The GRU config under train.gru.
    match: {names: [gru-*]}
    component: train.gru
"""
            },
        )
        / "r.yaml"
    )
    out = tmp_path / "chart"
    assert run("convert", src, out, "--rules", rule_file).exit_code == 0
    assert_reproduces(out, src)
    templates = sorted(p.name for p in (out / "templates").glob("*.yaml"))
    assert templates == ["train-gru-2.yaml", "train-gru.yaml"], templates
    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    assert values["train"]["gru"]["enabled"] is True and values["trainGru"]["enabled"] is True


def test_a_folder_without_resources_is_an_error(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"},
    )
    result = run("convert", src, tmp_path / "out")
    assert result.exit_code == 2
    assert "no Kubernetes resources found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_rbac_follows_the_service_account_it_grants_to(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "operator.yaml": """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: widget-controller, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widget-manager}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: widget-manager-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: widget-manager}
subjects: [{kind: ServiceAccount, name: widget-controller, namespace: ops}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: widget-controller, namespace: ops, labels: {app: widget}}
spec:
  selector: {matchLabels: {app: widget}}
  template:
    metadata: {labels: {app: widget}}
    spec:
      serviceAccountName: widget-controller
      containers: [{name: manager, image: example/widget:0.3}]
"""
        },
    )
    assert set(assign(src).values()) == {"widget"}


def test_a_service_joins_the_workload_its_whole_selector_matches(tmp_path: Path) -> None:
    # Workloads share the selector's first label, in this and another namespace; only the one that
    # carries every label of the selector, in the Service's namespace, is the Service's component.
    def deploy(name: str, ns: str, labels: str) -> str:
        return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {labels}}}
  template:
    metadata: {{labels: {labels}}}
    spec: {{containers: [{{name: c, image: example/{name}:1}}]}}
---
"""

    service = """\
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: a}
spec:
  selector: {tier: web, run: edge}
  ports: [{port: 80}]
"""
    docs = (
        deploy("edge-a", "a", "{tier: web, run: edge}")
        + deploy("other-a", "a", "{tier: web, run: other}")
        + deploy("edge-b", "b", "{tier: web, run: edge}")
    )
    comps = assign(write_tree(tmp_path / "src", {"all.yaml": docs + service}))
    assert comps["Service/edge"] == comps["Deployment/edge-a"]
    assert comps["Service/edge"] not in (comps["Deployment/other-a"], comps["Deployment/edge-b"])
