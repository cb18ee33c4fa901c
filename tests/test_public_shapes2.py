"""A second set of real-world shapes (tests/public_shapes/): objects read back from a live
cluster, `helm template` output with hooks, an ingress controller's install, a mesh injector's
Go-template text, node agents and policies, a key-value store's StatefulSet; and the failures
they showed."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

SHAPES = Path(__file__).resolve().parent / "public_shapes"


def test_objects_read_back_from_a_cluster_are_named(tmp_path: Path) -> None:
    # `kubectl get -o yaml` leaves resourceVersion, uid, managedFields and status on every
    # object; the chart keeps them (it reproduces its input), and the API server refuses to
    # create an object with a resourceVersion: the install would fail with no word of why.
    chart = tmp_path / "chart"
    result = run("convert", SHAPES / "exported", chart)
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "read back from a cluster" in line]
    assert len(warned) == 1, result.stderr
    (line,) = warned
    assert line.startswith("warning: objects.yaml:3: Deployment/books/ledger (line 3), ")
    assert "2 more were read back from a cluster" in line
    assert "metadata.resourceVersion, metadata.uid" in line and "metadata.managedFields, status)" in line
    assert "Kubernetes refuses to create an object that has a resourceVersion, so the install fails" in line
    assert "Service spec.clusterIP, Service spec.ports[].nodePort" in line
    assert "PersistentVolumeClaim spec.volumeName" in line
    assert line.endswith("remove these fields from the manifests")
    assert "read back from a cluster" in (chart / "helmify-report.md").read_text()


def test_secret_data_of_an_exported_secret_shows_nowhere(tmp_path: Path) -> None:
    # The Secret's last-applied-configuration annotation holds its data (and stringData) as JSON.
    chart = tmp_path / "chart"
    result = run("convert", SHAPES / "exported", chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    secrets = ("RkFLRS1ub3QtYS1yZWFsLXBhc3N3b3Jk", "FAKE-not-a-real-password", "fake-db-host-zzq")
    read = [result.stderr] + [(chart / name).read_text() for name in ("helmify-report.md", "helmify-report.json")]
    read.append((chart / "values.yaml").read_text())
    verified = run("verify", chart, SHAPES / "exported")
    assert verified.exit_code == 0, verified.stderr
    read += [verified.stdout, verified.stderr]
    assert not [s for s in secrets for text in read if s in text]


def test_a_dry_run_object_is_not_taken_for_an_exported_one(tmp_path: Path) -> None:
    # `kubectl create deployment --dry-run=client -o yaml` writes these two, harmless, fields.
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  creationTimestamp: null
  name: web
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  name: web
spec:
  clusterIP: 10.96.0.20
  ports: [{port: 80}]
  selector: {app: web}
status:
  loadBalancer: {}
"""
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "read back from a cluster" not in result.stderr


def test_an_exported_object_without_resource_version_still_says_what_it_carries(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "cm.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  uid: 00000000-0000-4000-8000-00000000000a
  creationTimestamp: "2026-01-01T00:00:00Z"
data: {a: "1"}
"""
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: cm.yaml:1: ConfigMap/settings (line 1) was read back from a cluster: it carries fields the API "
        "server sets (metadata.uid, metadata.creationTimestamp), which the chart keeps as written: remove these "
        "fields from the manifests"
    ) in result.stderr
    assert_reproduces(tmp_path / "chart", src)


def test_a_load_balancers_health_check_port_is_named_as_assigned(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "svc.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: web, uid: 00000000-0000-4000-8000-00000000000b}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  healthCheckNodePort: 32111
  ports: [{port: 80}]
  selector: {app: web}
"""
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "values that cluster assigned (Service spec.healthCheckNodePort) may be taken" in result.stderr


def test_objects_their_controllers_made_are_skipped(tmp_path: Path) -> None:
    # `kubectl get all -o yaml` brings the Deployment's ReplicaSet and Pods and the Service's
    # endpoints. Their owner references hold uids of that cluster: installed, the garbage
    # collector deletes them (and their owners make them again anyway); the v1 Endpoints also
    # failed verify's lint as deprecated.
    chart = tmp_path / "chart"
    result = run("convert", SHAPES / "exported", chart)
    assert result.exit_code == 0, result.stderr
    owned = "(metadata.ownerReferences): its owner made it in the cluster it was read from, and makes it again"
    for at, what, owner in (
        (5, "Pod/ledger-7d9f8c6b5-x2x9q", "ReplicaSet/ledger-7d9f8c6b5"),
        (47, "ReplicaSet/ledger-7d9f8c6b5", "Deployment/ledger"),
        (87, "EndpointSlice/ledger-8kq2p", "Service/ledger"),
    ):
        assert f"warning: controller-made.yaml:{at}: {what} is owned by {owner} {owned}" in result.stderr
    assert (
        "warning: controller-made.yaml:74: Endpoints/ledger belongs to Service/ledger, which selects pods: the "
        "endpoints controller writes it in the cluster; skipped"
    ) in result.stderr
    assert "7 documents skipped" in result.stderr
    kinds = {ident[1] for ident in render_objects(chart, namespace="books")}
    assert kinds == {"Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim"}
    verified = run("verify", chart, SHAPES / "exported")
    assert verified.exit_code == 0, verified.stdout + verified.stderr


def test_endpoints_of_a_service_without_a_selector_stay(tmp_path: Path) -> None:
    # A database outside the cluster behind a Service: its Endpoints are written by hand.
    src = write_tree(
        tmp_path / "src",
        {
            "db.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: outside-db}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: outside-db}
subsets:
  - addresses: [{ip: 192.0.2.10}]
    ports: [{port: 5432}]
"""
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "skipped" not in result.stderr.replace("0 documents skipped", "")
    assert ("", "Endpoints", "", "outside-db") in render_objects(tmp_path / "chart")


def test_objects_the_cluster_makes_in_every_namespace_are_skipped(tmp_path: Path) -> None:
    # kube-root-ca.crt, the default ServiceAccount and its legacy token exist in every namespace
    # (or are deleted there): installed from a chart, helm stops at the first (it exists already).
    result = run("convert", SHAPES / "exported", tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    exists = "so the install fails (it exists already); skipped"
    assert (
        "warning: namespace-defaults.yaml:6: ConfigMap/kube-root-ca.crt is made by the cluster, which publishes it "
        f"in every namespace, {exists}"
    ) in result.stderr
    account = "warning: namespace-defaults.yaml:21: ServiceAccount/default is made by the cluster in every namespace"
    assert f"{account}, {exists}" in result.stderr
    assert (
        "warning: namespace-defaults.yaml:31: Secret/default-token-q8w4z is a token the cluster made for a "
        "ServiceAccount whose uid only that cluster knows: the token controller deletes it; skipped"
    ) in result.stderr
    assert "RkFLRS10b2tlbi" not in result.stderr + (tmp_path / "chart" / "helmify-report.md").read_text()


def test_the_api_servers_own_service_is_skipped_and_a_written_default_account_kept(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "default.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: kubernetes
  namespace: default
  labels: {component: apiserver, provider: kubernetes}
spec:
  ports: [{name: https, port: 443, targetPort: 6443}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default}
imagePullSecrets: [{name: registry-pull}]
""",
            # A Service of one's own that happens to have the name, in one's own namespace.
            "mine.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: shop}\n"
            "spec:\n  selector: {app: k}\n  ports: [{port: 80}]\n",
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: default.yaml:1: Service/kubernetes is made by the API server for itself, so the install fails "
        "(it exists already); skipped"
    ) in result.stderr
    assert "1 documents skipped, 1 other warnings" in result.stderr
    assert (
        "warning: default.yaml:10: ServiceAccount 'default' exists in every namespace: the chart keeps it as written, "
        "and the install fails"
    ) in result.stderr
    objects = render_objects(tmp_path / "chart")
    assert ("", "ServiceAccount", "", "default") in objects and ("", "Service", "shop", "kubernetes") in objects


def test_helm_template_output_keeps_its_hooks(tmp_path: Path) -> None:
    # A chart made from another chart's rendered output: its test Pod and pre-install Job stay
    # hooks, with their weights and delete policies, in both layouts.
    for packs in ((), ("--rules", "conventions")):
        chart = tmp_path / f"chart{len(packs)}"
        convert_ok(SHAPES / "helm-rendered", chart, *packs)
        objects = {i[1]: o for i, o in render_objects(chart, release="blue").items() if i[1] in ("Job", "Pod")}
        assert objects["Job"]["metadata"]["annotations"] == {
            "helm.sh/hook": "pre-install,pre-upgrade",
            "helm.sh/hook-weight": "-5",
            "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
        }
        assert objects["Pod"]["metadata"]["annotations"] == {"helm.sh/hook": "test"}
    # With the release prefix the test Pod calls the Service by its new name.
    assert objects["Pod"]["spec"]["containers"][0]["args"] == ["blue-demo-notes-app:80"]


def test_go_template_text_renders_literally(tmp_path: Path) -> None:
    # A sidecar injector's templates and a dashboard's legends are text for other tools.
    chart = tmp_path / "chart"
    convert_ok(SHAPES / "mesh-templates", chart, "--rules", "conventions")
    objects = render_objects(chart, release="blue", namespace="mesh-system")
    config = objects[("", "ConfigMap", "mesh-system", "blue-mesh-sidecar-injector")]["data"]["config"]
    assert "{{- range $index, $port := .Spec.Containers }}" in config
    assert "{{ annotation .ObjectMeta `sidecar.mesh.example.test/proxyImage` .Values.global.proxyImage }}" in config
    dashboards = objects[("", "ConfigMap", "mesh-system", "blue-mesh-dashboards")]["data"]
    assert "{{`literal backticks`}}" in dashboards["mesh-overview.json"]
    assert '{{ define "mesh.title" }}' in dashboards["alert.tmpl"]
    pod = objects[("apps", "Deployment", "mesh-system", "blue-mesh-injector")]["spec"]["template"]
    assert pod["metadata"]["annotations"]["prometheus.example.test/path"] == '{{ "/stats" }}'
    assert pod["spec"]["containers"][0]["args"][2] == "--log-format={{.Time}} {{.Level}} {{.Message}}"


INGRESS_ARGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: edge, namespace: edge}
data: {proxy-body-size: 8m}
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: edge}
spec:
  type: LoadBalancer
  selector: {app: edge}
  ports: [{port: 80}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: edge-admission}
webhooks:
  - name: validate.edge.example.test
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig:
      service: {name: edge, namespace: edge, path: /validate}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: edge}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
        - name: edge
          image: example.test/edge:1.0
          args:
            - --publish-service=$(POD_NAMESPACE)/edge
            - --configmap=edge/edge
            - --webhook-name=edge-admission
            - --secret-name=edge-admission
            - --election-id=edge-leader
            - edge
"""


def test_names_in_flags_the_release_prefix_misses_are_listed(tmp_path: Path) -> None:
    # An ingress controller reads its own ConfigMap, Service and webhook by name from flags,
    # often as namespace/name: the release renames them, the flags stay; the report must say so.
    src = write_tree(tmp_path / "src", {"edge.yaml": INGRESS_ARGS})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    args = "Deployment edge /spec/template/spec/containers/0/args"
    tail = "which the release renames, but is not a reference the chart can follow there; left as it is"
    for at, objects in (
        (0, "Service/edge"),
        (1, "ConfigMap/edge"),
        (2, "ValidatingWebhookConfiguration/edge-admission"),
    ):
        name = objects.partition("/")[2]
        assert f"warning: {args}/{at}: {name!r} names {objects}, {tail}" in result.stderr
    # No Secret edge-admission in the folder (a Job makes it), no such lease; a bare word is only
    # the Service check's (a host name or not).
    for at in (3, 4, 5):
        assert f"{args}/{at}: " not in result.stderr.replace(f"{args}/5: 'edge' is the name of a Service", "")
    assert f"{args}/0: 'edge' names Service/edge, {tail}" in (tmp_path / "chart" / "helmify-report.md").read_text()


def test_a_deprecated_api_the_manifests_use_is_a_note_of_verify(tmp_path: Path) -> None:
    # An outside database: a Service without a selector and its hand-written v1 Endpoints, which
    # Helm's lint calls deprecated. The chart is right to render what the manifests have.
    src = write_tree(
        tmp_path / "src",
        {
            "db.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: external-db}\nspec:\n"
            "  ports: [{port: 5432}]\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: external-db}\n"
            "subsets: [{addresses: [{ip: 10.0.0.12}], ports: [{port: 5432}]}]\n"
        },
    )
    chart = tmp_path / "chart"
    assert run("convert", src, chart).exit_code == 0
    result = run("verify", chart, src)
    assert result.exit_code == 0, result.stderr
    out = result.stdout + result.stderr
    assert "note: lint: templates/external-db.yaml: v1 Endpoints is deprecated" in out
    assert "(as the manifests have it)" in out and "lint 0 finding(s)" in out


def test_a_selector_by_the_instance_label_the_manifests_write_is_warned_of(tmp_path: Path) -> None:
    # helm template output selects by app.kubernetes.io/instance: demo. Under the conventions the
    # chart keeps that value, so two releases in one namespace would select each other's pods.
    result = run("convert", SHAPES / "helm-rendered", tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "as the manifests write it" in line]
    assert warned and all("two releases in one namespace would select each other's pods" in w for w in warned)
    assert any(
        w.startswith("warning: Service/demo-notes-app selects app.kubernetes.io/instance: demo ") for w in warned
    )
    # A folder without the label gets the release's own instance label, and no such warning.
    plain = run("convert", SHAPES / "microservices", tmp_path / "plain", "--rules", "conventions")
    assert plain.exit_code == 0 and "as the manifests write it" not in plain.stderr
