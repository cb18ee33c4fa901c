"""Manifest folders shaped like what well-known public projects ship (tests/public_shapes/), and
the failures they showed: each folder converts, with the default packs and with the Helm
conventions, into a chart that reproduces it and passes verify."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

SHAPES = Path(__file__).resolve().parent / "public_shapes"
# A folder with a base and overlays (kustomized) has tests of its own, with its environments.
FOLDERS = sorted(p.name for p in SHAPES.iterdir() if p.is_dir() and not (p / "base").is_dir())


@pytest.mark.parametrize("packs", [(), ("--rules", "conventions")], ids=["default", "conventions"])
@pytest.mark.parametrize("folder", FOLDERS)
def test_public_shape_converts_and_verifies(tmp_path: Path, folder: str, packs: tuple[str, ...]) -> None:
    src, out = SHAPES / folder, tmp_path / "chart"
    convert_ok(src, out, *packs)
    result = run("verify", out, src)
    assert result.exit_code == 0, result.stderr
    if not packs:
        assert_reproduces(out, src)


@pytest.mark.parametrize("packs", [(), ("--rules", "conventions")], ids=["default", "conventions"])
def test_kustomize_overlays_become_environments(tmp_path: Path, packs: tuple[str, ...]) -> None:
    # staging renames every object (nameSuffix) while its worker still calls http://api:80, the
    # base's Service, which staging does not deploy: with the conventions the release prefix
    # must not reach that host name in staging's copy of the worker.
    src = SHAPES / "kustomized"
    envs = ("--env", f"staging={src / 'overlays/staging'}", "--env", f"prod={src / 'overlays/prod'}")
    convert_ok(src / "base", tmp_path / "chart", *envs, *packs)
    result = run("verify", tmp_path / "chart", src / "base", *envs)
    assert result.exit_code == 0, result.stderr
    prod = (tmp_path / "chart" / "values-prod.yaml").read_text()
    assert "replicas: 3" in prod and "tag: 1.0.1" in prod


# A merge key whose mapping overrides a merged key (`- <<: *first` then `name: second`): the
# chart was written with both keys and did not render.
MERGE_OVERRIDE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pair
  labels: &labels
    app: pair
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
        - &first
          name: first
          image: nginx:1.25
          resources: {limits: {cpu: 100m}}
        - <<: *first
          name: second
          image: nginx:1.26
"""


def test_merge_key_overridden_by_the_mapping_renders(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"pair.yaml": MERGE_OVERRIDE})
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)
    containers = render_objects(tmp_path / "chart")[("apps", "Deployment", "", "pair")]["spec"]["template"]["spec"]
    assert [(c["name"], c["image"]) for c in containers["containers"]] == [
        ("first", "nginx:1.25"),
        ("second", "nginx:1.26"),
    ]
    # Each container has its own image key: setting one leaves the other as it was.
    values = {"pair": {"containers": {"second": {"image": {"tag": "1.27"}}}}}
    spec = render_objects(tmp_path / "chart", values=values)[("apps", "Deployment", "", "pair")]["spec"]
    assert [c["image"] for c in spec["template"]["spec"]["containers"]] == ["nginx:1.25", "nginx:1.27"]


# Objects the API server calls through a Service: admission webhooks, an aggregated API and a
# CRD's conversion webhook. With the conventions the Service gets the release prefix and the
# release namespace; each of them must still name it.
CALLED_BY_API_SERVER = """\
apiVersion: v1
kind: Service
metadata:
  name: hooks
  namespace: hooks-system
spec:
  selector: {app: hooks}
  ports: [{port: 443, targetPort: 9443}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hooks
  namespace: hooks-system
spec:
  selector:
    matchLabels: {app: hooks}
  template:
    metadata:
      labels: {app: hooks}
    spec:
      containers:
        - name: hooks
          image: example/hooks:1.0
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hooks
webhooks:
  - name: hooks.example.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    clientConfig:
      service: {name: hooks, namespace: hooks-system, path: /mutate}
      caBundle: ""
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hooks
webhooks:
  - name: hooks.example.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    clientConfig:
      service: {name: hooks, namespace: hooks-system, path: /validate}
  - name: elsewhere.example.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    clientConfig:
      service: {name: other, namespace: other-system}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.example.io
spec:
  group: metrics.example.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: hooks, namespace: hooks-system, port: 443}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.io
spec:
  group: example.io
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: ["v1"]
      clientConfig:
        service: {name: hooks, namespace: hooks-system, path: /convert}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def test_services_the_api_server_calls_follow_release_name_and_namespace(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"hooks.yaml": CALLED_BY_API_SERVER})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    assert run("verify", chart, src).exit_code == 0
    objects = render_objects(chart, release="blue", namespace="apps")
    assert ("", "Service", "apps", "blue-hooks") in objects
    called = {"name": "blue-hooks", "namespace": "apps"}

    def service(ident: tuple, *path: str | int) -> dict:
        node = objects[ident]
        for step in path:
            node = node[step]
        return {k: node[k] for k in ("name", "namespace")}

    mutating = ("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "", "blue-hooks")
    validating = ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "blue-hooks")
    assert service(mutating, "webhooks", 0, "clientConfig", "service") == called
    assert service(validating, "webhooks", 0, "clientConfig", "service") == called
    # A Service the folder does not have is left as it is.
    assert service(validating, "webhooks", 1, "clientConfig", "service") == {
        "name": "other",
        "namespace": "other-system",
    }
    api = ("apiregistration.k8s.io", "APIService", "", "v1beta1.metrics.example.io")
    assert service(api, "spec", "service") == called
    crd = ("apiextensions.k8s.io", "CustomResourceDefinition", "", "gadgets.example.io")
    assert service(crd, "spec", "conversion", "webhook", "clientConfig", "service") == called


def test_keys_spelt_differently_that_clash_say_why(tmp_path: Path) -> None:
    # `yes:` is the boolean true to Kubernetes, so its key is "true", as `"true":` is.
    src = write_tree(
        tmp_path / "src",
        {"cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  yes: "a"\n  "true": "b"\n'},
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: cm.yaml:7: the key 'true' is here and on line 6" in result.stderr
    assert "written 'yes' there and 'true' here" in result.stderr
    assert "quote a key to keep its text" in result.stderr
    assert not (tmp_path / "chart").exists()


# Custom resources that name objects of the folder: which of their fields are references no
# schema says, so release-aware names cannot follow them; the conventions must say so.
NAMED_BY_CUSTOM_RESOURCES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: example/web:1.0
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  labels: {app: web}
spec:
  scaleTargetRef:
    name: web
  triggers:
    - type: cpu
      metadata: {type: Utilization, value: "50"}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: public-gateway}]
  rules:
    - backendRefs: [{name: web, port: 80}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: main
spec:
  serviceAccountName: web
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
    - route: [{destination: {host: web, port: {number: 80}}}]
"""


def test_custom_resources_naming_renamed_objects_are_listed(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": NAMED_BY_CUSTOM_RESOURCES})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    report = (tmp_path / "chart" / "helmify-report.md").read_text()
    for expected in (
        "Prometheus main: /spec/serviceAccountName 'web' names ServiceAccount/web, which the release renames",
        "VirtualService web: /spec/hosts/0 'web' names Service/web; /spec/http/0/route/0/destination/host 'web' "
        "names Service/web, which the release renames",
    ):
        assert expected in result.stderr and expected in report
    # A KEDA scaler's target and a Gateway API route's backend are known references: they follow.
    assert "ScaledObject web:" not in result.stderr and "HTTPRoute web:" not in result.stderr
    assert "public-gateway" not in result.stderr  # a name the folder does not have
    assert "/metadata/" not in result.stderr  # a label or a resource's own name is not a reference


def test_topology_key_is_readable_in_the_report(tmp_path: Path) -> None:
    # Spreading pods over nodes is what every HA install does; the node label is no credential.
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                labelSelector:
                  matchLabels: {app: web}
                topologyKey: kubernetes.io/hostname
      containers:
        - name: web
          image: example/web:1.0
          env:
            - name: SIGNING_KEY
              value: not-for-the-report
"""
        },
    )
    convert_ok(src, tmp_path / "chart")
    report = (tmp_path / "chart" / "helmify-report.json").read_text()
    assert '"topologyKey": "kubernetes.io/hostname"' in report
    assert (
        "not-for-the-report" not in report
        and "not-for-the-report" not in (tmp_path / "chart" / "helmify-report.md").read_text()
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_tab_that_indents_is_named(tmp_path: Path, newline: str) -> None:
    # Hand-edited manifests: an editor that inserts tabs; libyaml only says no token starts there.
    text = newline.join(
        ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: tabbed", "  labels:", "  \tapp: x", ""]
    )
    src = write_tree(tmp_path / "src", {"cm.yaml": text.encode()})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "error: cm.yaml:6: not valid YAML (" in result.stderr
    assert "a tab indents the line, and YAML indents with spaces only" in result.stderr
    assert not (tmp_path / "chart").exists()


def test_secret_names_inside_knobs_follow_the_release_prefix(tmp_path: Path) -> None:
    # imagePullSecrets and an Ingress's tls are knobs read whole from values; the Secrets they
    # name get the release prefix with the conventions, and so must the names inside them.
    src = SHAPES / "platform"
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    objects = render_objects(chart, release="blue", namespace="apps")
    pod = objects[("apps", "Deployment", "apps", "blue-web")]["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "blue-registry-pull"}]
    assert (
        objects[("networking.k8s.io", "Ingress", "apps", "blue-web")]["spec"]["tls"][0]["secretName"] == "blue-web-tls"
    )
    assert ("", "Secret", "apps", "blue-registry-pull") in objects and ("", "Secret", "apps", "blue-web-tls") in objects
    # A knob set by hand still renders what it is given.
    values = {"web": {"imagePullSecrets": [{"name": "other"}]}}
    pod = render_objects(chart, release="blue", namespace="apps", values=values)[
        ("apps", "Deployment", "apps", "blue-web")
    ]
    assert pod["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "other"}]


@pytest.mark.parametrize("packs", [(), ("--rules", "conventions")], ids=["default", "conventions"])
def test_existing_secret_reaches_names_inside_knobs(tmp_path: Path, packs: tuple[str, ...]) -> None:
    # With the switch set the chart's Secret is not rendered: every place that named it, also
    # inside imagePullSecrets and an Ingress's tls (knobs read whole from values) and a
    # ServiceAccount's imagePullSecrets, must name the Secret the user manages.
    chart = tmp_path / "chart"
    convert_ok(SHAPES / "platform", chart, *packs)
    values = {"registryPull": {"existingSecret": "my-pull"}, "web": {"existingSecret": "my-tls"}}
    objects = render_objects(chart, release="blue", namespace="platform", values=values)
    prefix = "blue-" if packs else ""
    pod = objects[("apps", "Deployment", "platform", f"{prefix}web")]["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "my-pull"}]
    assert pod["volumes"][0]["secret"]["secretName"] == "my-tls"
    assert objects[("", "ServiceAccount", "platform", f"{prefix}web")]["imagePullSecrets"] == [{"name": "my-pull"}]
    assert (
        objects[("networking.k8s.io", "Ingress", "platform", f"{prefix}web")]["spec"]["tls"][0]["secretName"]
        == "my-tls"
    )
    assert not {f"{prefix}registry-pull", f"{prefix}web-tls"} & {i[3] for i in objects if i[1] == "Secret"}


def test_rbac_resource_names_follow_the_release_prefix(tmp_path: Path) -> None:
    # A Role that lets the controller read and update only its own ConfigMap and Secret: with
    # the release prefix on those objects, the rule must name them as the release does.
    src = write_tree(
        tmp_path / "src",
        {
            "rbac.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: controller-state}
data: {leader: ""}
---
apiVersion: v1
kind: Secret
metadata: {name: controller-ca}
type: Opaque
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: controller}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    resourceNames: [controller-state, runtime-made]
    verbs: [get, update]
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [controller-ca]
    verbs: [get]
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [create]
"""
        },
    )
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    assert run("verify", chart, src).exit_code == 0
    role = render_objects(chart, release="blue")[("rbac.authorization.k8s.io", "Role", "", "blue-controller")]
    # An object the controller makes at run time is not the folder's: its name stays.
    assert [r.get("resourceNames") for r in role["rules"]] == [
        ["blue-controller-state", "runtime-made"],
        ["blue-controller-ca"],
        None,
    ]


def test_service_account_token_secret_follows_its_account(tmp_path: Path) -> None:
    # The token controller deletes a token Secret whose account does not exist.
    chart = tmp_path / "chart"
    convert_ok(SHAPES / "platform", chart, "--rules", "conventions")
    token = render_objects(chart, release="blue", namespace="platform")[("", "Secret", "platform", "blue-web-token")]
    assert token["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "blue-web"


def test_classes_keep_their_names_with_the_conventions(tmp_path: Path) -> None:
    # Claims, pods and Ingresses choose a class by its name, also outside the chart: a
    # StorageClass, PriorityClass or IngressClass with the release prefix would leave them all
    # (and the chart's own pods, whose priorityClassName is not a values key) without one.
    chart = tmp_path / "chart"
    convert_ok(SHAPES / "platform", chart, "--rules", "conventions")
    objects = render_objects(chart, release="blue", namespace="platform")
    assert ("storage.k8s.io", "StorageClass", "", "fast") in objects
    assert ("scheduling.k8s.io", "PriorityClass", "", "platform-high") in objects
    pod = objects[("apps", "Deployment", "platform", "blue-web")]["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "platform-high"


STATIC_VOLUME = """\
apiVersion: v1
kind: PersistentVolume
metadata: {name: media}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  claimRef: {name: media, namespace: shop}
  nfs: {server: nfs.example.com, path: /exports/media}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: media, namespace: shop}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: media
  resources: {requests: {storage: 5Gi}}
"""


def test_a_static_volume_and_its_claim_stay_bound(tmp_path: Path) -> None:
    # Hand-written NFS or hostPath volumes are bound to their claim by name, both ways.
    src = write_tree(tmp_path / "src", {"media.yaml": STATIC_VOLUME})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    assert run("verify", chart, src).exit_code == 0
    objects = render_objects(chart, release="blue", namespace="apps")
    volume = objects[("", "PersistentVolume", "", "blue-media")]
    claim = objects[("", "PersistentVolumeClaim", "apps", "blue-media")]
    assert volume["spec"]["claimRef"] == {"name": "blue-media", "namespace": "apps"}
    assert claim["spec"]["volumeName"] == "blue-media"


def test_custom_resources_naming_the_main_namespace_are_listed(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "monitors.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{name: metrics, port: 9090}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: api, namespace: shop}
spec:
  namespaceSelector:
    matchNames: [shop, other]
  selector:
    matchLabels: {app: api}
  endpoints: [{port: metrics}]
"""
        },
    )
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    expected = (
        "ServiceMonitor api /spec/namespaceSelector/matchNames/0: 'shop' names the namespace the release replaces"
    )
    assert expected in result.stderr
    assert expected in (tmp_path / "chart" / "helmify-report.md").read_text()
    assert "matchNames/1" not in result.stderr
    assert "template this field ({{ .Release.Namespace }})" in result.stderr


def test_a_custom_resource_naming_the_namespace_in_several_fields_is_said_once(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "all.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{port: 80, name: metrics}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: shop}
spec:
  serviceMonitorNamespaceSelector:
    matchNames: [shop]
  alerting:
    alertmanagers: [{name: am, namespace: shop, port: web}]
"""
        },
    )
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "names the namespace the release replaces" in line]
    assert len(lines) == 1, lines
    assert (
        "/spec/alerting/alertmanagers/0/namespace, /spec/serviceMonitorNamespaceSelector/matchNames/0: 'shop'"
        in (lines[0])
    )
    assert "template these fields ({{ .Release.Namespace }})" in lines[0]


CLAIM_TEMPLATE = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: postgres:16
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: SIZE
"""


def test_an_environment_sizes_a_claim_template_through_its_key(tmp_path: Path) -> None:
    # Claim templates are named by metadata.name, not name: their items had no name for the
    # environment diff, which lifted the whole list although persistence.data.size reads the size.
    base = write_tree(tmp_path / "base", {"db.yaml": CLAIM_TEMPLATE.replace("SIZE", "1Gi")})
    prod = write_tree(tmp_path / "prod", {"db.yaml": CLAIM_TEMPLATE.replace("SIZE", "50Gi")})
    chart = tmp_path / "chart"
    convert_ok(base, chart, "--env", f"prod={prod}")
    assert run("verify", chart, base, "--env", f"prod={prod}").exit_code == 0
    values = yaml.safe_load((chart / "values-prod.yaml").read_text())
    assert values == {"db": {"persistence": {"data": {"size": "50Gi"}}}}


def test_merge_keys_resolve_as_kubernetes_reads_them(tmp_path: Path) -> None:
    # go-yaml v2 (sigs.k8s.io/yaml): a merged mapping that merges itself keeps its own override
    # (b: "2"), and of a list of merges the earlier mapping wins. PyYAML kept the first pair of a
    # key whose text was the same Python object, so one-letter keys resolved otherwise.
    text = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: merges
  labels: &base {a: "1", b: "1"}
  annotations: &over
    <<: *base
    b: "2"
    c: "2"
data:
  <<: [*over, {d: "3", a: "9"}]
  e: "5"
"""
    src = write_tree(tmp_path / "src", {"cm.yaml": text})
    convert_ok(src, tmp_path / "chart")
    assert_reproduces(tmp_path / "chart", src)
    data = render_objects(tmp_path / "chart")[("", "ConfigMap", "", "merges")]["data"]
    assert data == {"a": "1", "b": "2", "c": "2", "d": "3", "e": "5"}


def test_statefulset_pod_dns_names_follow_the_release(tmp_path: Path) -> None:
    # Kafka voters, ZooKeeper servers, Elasticsearch seeds: pods by their stable DNS names. The
    # release prefix renames both the StatefulSet and its headless Service, and the pod's name
    # follows both (after a voter's id too); one in a namespace the folder does not have is
    # another one's, and stays (tests/test_sts_dns.py has the rest).
    src = write_tree(
        tmp_path / "src",
        {
            "kafka.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: kafka-headless}
spec:
  clusterIP: None
  selector: {app: kafka}
  ports: [{name: broker, port: 9092}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka}
spec:
  serviceName: kafka-headless
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers:
        - name: kafka
          image: example/kafka:3.7
          env:
            - name: KAFKA_CONTROLLER_QUORUM_VOTERS
              value: "0@kafka-0.kafka-headless:9093,1@kafka-1.kafka-headless.shop.svc:9093"
"""
        },
    )
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "DNS name of a pod" not in result.stderr
    kafka = render_objects(tmp_path / "chart", release="rel")[("apps", "StatefulSet", "", "rel-kafka")]
    assert kafka["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == (
        "0@rel-kafka-0.rel-kafka-headless:9093,1@kafka-1.kafka-headless.shop.svc:9093"
    )
