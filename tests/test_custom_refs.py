"""release-names and the references custom resources hold: a KEDA scaler's target, a
TriggerAuthentication's Secrets, a VerticalPodAutoscaler's target, a route's backends and any
``{kind, name}`` of an object of the folder follow the objects the release renames, and the chart
is proven with those changes declared. A field the finder does not know that spells a renamed
object's name is said once per custom resource, with what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_reproduces, render_objects, run, write_tree

from helmify_flts import kyaml
from helmify_flts.references import find_references
from helmify_flts.render import identity

WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:1.0
---
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
          image: example/db:1.0
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Secret
metadata:
  name: kafka-sasl
stringData:
  user: api
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: jobs
data:
  topic: jobs
"""

CUSTOM = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: api
spec:
  scaleTargetRef:
    name: api
    envSourceContainerName: api
  triggers:
    - type: kafka
      metadata: {topic: jobs, lagThreshold: "50"}
      authenticationRef:
        name: kafka-auth
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: db
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: StatefulSet
    name: db
  triggers:
    - type: cpu
      metadata: {value: "60"}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: kafka-auth
spec:
  secretTargetRef:
    - parameter: sasl
      name: kafka-sasl
      key: user
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  updatePolicy:
    updateMode: "Off"
---
apiVersion: example.com/v1
kind: Canary
metadata:
  name: api
spec:
  target:
    kind: Deployment
    name: api
  analysis:
    kind: Deployment
    name: not-in-the-folder
  mirror:
    apiVersion: example.com/v1
    kind: Deployment
    name: api
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: db
spec:
  parentRefs: [{name: public}]
  rules:
    - backendRefs:
        - {name: db, port: 5432}
        - {group: example.com, kind: Bucket, name: db}
"""


def _convert(root: Path, *extra: str) -> tuple[Path, Path, object]:
    src = write_tree(root / "src", {"app.yaml": WORKLOADS, "custom.yaml": CUSTOM})
    out = root / "chart"
    result = run("convert", src, out, *extra, "--chart-name", "shop")
    assert result.exit_code == 0, result.stderr
    return src, out, result


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object, dict]:
    """The folder converted once under the conventions, and what it renders as release prod."""
    src, out, result = _convert(tmp_path_factory.mktemp("conventions"), "--rules", "conventions")
    rendered = {(i[1], i[3]): obj for i, obj in render_objects(out, release="prod", namespace="web").items()}
    return src, out, result, rendered


def _refs(text: str) -> set[tuple]:
    docs = [kyaml.construct(node) for node in kyaml.compose_all(text) if node is not None]
    objects = {identity(o): o for o in docs}
    return {
        (r.source[1], r.source[3], r.pointer, r.target_kind, r.target_name, r.target is not None)
        for r in find_references(objects)
    }


def test_a_keda_scaled_object_follows_the_deployment_it_scales(converted) -> None:
    src, out, result, rendered = converted
    assert ("Deployment", "prod-api") in rendered
    assert rendered[("ScaledObject", "api")]["spec"]["scaleTargetRef"] == {
        "name": "prod-api",
        "envSourceContainerName": "api",  # a container's name: no reference, and no warning
    }
    assert "warning: ScaledObject api:" not in result.stderr
    # A kind written in the reference: a StatefulSet, found as that kind.
    assert rendered[("ScaledObject", "db")]["spec"]["scaleTargetRef"]["name"] == "prod-db"
    assert ("StatefulSet", "prod-db") in rendered
    # Declared, and proven: the render equals the sources with the declared changes applied.
    report = json.loads((out / "helmify-report.json").read_text())
    scaler = next(r for r in report["resources"] if (r["kind"], r["name"]) == ("ScaledObject", "api"))
    assert "/spec/scaleTargetRef/name" in json.dumps(scaler)
    assert run("verify", out, src, "-q").exit_code == 0


def test_a_trigger_authentication_follows_the_secret_it_reads(converted) -> None:
    _, _, _, rendered = converted
    ref = rendered[("TriggerAuthentication", "kafka-auth")]["spec"]["secretTargetRef"][0]
    assert ref == {"parameter": "sasl", "name": "prod-kafka-sasl", "key": "user"}
    assert ("Secret", "prod-kafka-sasl") in rendered
    # The scaler names its TriggerAuthentication, a custom resource that keeps its name.
    trigger = rendered[("ScaledObject", "api")]["spec"]["triggers"][0]
    assert trigger["authenticationRef"] == {"name": "kafka-auth"}


def test_a_vertical_pod_autoscaler_follows_its_target(converted) -> None:
    _, _, _, rendered = converted
    target = rendered[("VerticalPodAutoscaler", "api")]["spec"]["targetRef"]
    assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "prod-api"}


def test_a_route_follows_the_service_it_sends_to(converted) -> None:
    _, _, _, rendered = converted
    backends = rendered[("HTTPRoute", "db")]["spec"]["rules"][0]["backendRefs"]
    assert backends == [{"name": "prod-db", "port": 5432}, {"group": "example.com", "kind": "Bucket", "name": "db"}]
    assert rendered[("HTTPRoute", "db")]["spec"]["parentRefs"] == [{"name": "public"}]


def test_a_kind_and_name_of_an_object_of_the_folder_follows_in_any_custom_resource(converted) -> None:
    _, _, _, rendered = converted
    spec = rendered[("Canary", "api")]["spec"]
    assert spec["target"] == {"kind": "Deployment", "name": "prod-api"}
    # No such object in the folder, or a Deployment of another API group: left as written.
    assert spec["analysis"] == {"kind": "Deployment", "name": "not-in-the-folder"}
    assert spec["mirror"]["name"] == "api"


def test_a_kind_and_name_is_a_reference_only_to_an_object_the_folder_has() -> None:
    found = {ref for ref in _refs(WORKLOADS + "---\n" + CUSTOM) if ref[0] == "Canary"}
    assert found == {("Canary", "api", "/spec/target/name", "Deployment", "api", True)}


def test_the_known_references_of_widely_used_custom_resources() -> None:
    more = """\
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: worker
spec:
  jobTargetRef:
    template:
      spec:
        serviceAccountName: worker
        containers:
          - name: worker
            image: example/worker:1.0
            envFrom: [{configMapRef: {name: jobs}}]
            env:
              - name: PASSWORD
                valueFrom: {secretKeyRef: {name: kafka-sasl, key: user}}
  triggers:
    - type: kafka
      metadata: {topic: jobs}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: worker
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: api
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  strategy:
    canary: {canaryService: db, stableService: db}
"""
    found = _refs(WORKLOADS + "---\n" + CUSTOM + more)
    expected = {
        ("ScaledObject", "api", "/spec/scaleTargetRef/name", "Deployment", "api", True),
        ("ScaledObject", "api", "/spec/triggers/0/authenticationRef/name", "TriggerAuthentication", "kafka-auth", True),
        ("ScaledObject", "db", "/spec/scaleTargetRef/name", "StatefulSet", "db", True),
        ("TriggerAuthentication", "kafka-auth", "/spec/secretTargetRef/0/name", "Secret", "kafka-sasl", True),
        ("VerticalPodAutoscaler", "api", "/spec/targetRef/name", "Deployment", "api", True),
        (
            "ScaledJob",
            "worker",
            "/spec/jobTargetRef/template/spec/serviceAccountName",
            "ServiceAccount",
            "worker",
            True,
        ),
        (
            "ScaledJob",
            "worker",
            "/spec/jobTargetRef/template/spec/containers/0/envFrom/0/configMapRef/name",
            "ConfigMap",
            "jobs",
            True,
        ),
        (
            "ScaledJob",
            "worker",
            "/spec/jobTargetRef/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name",
            "Secret",
            "kafka-sasl",
            True,
        ),
        ("Rollout", "api", "/spec/workloadRef/name", "Deployment", "api", True),
        ("Rollout", "api", "/spec/strategy/canary/canaryService", "Service", "db", True),
        ("Rollout", "api", "/spec/strategy/canary/stableService", "Service", "db", True),
        ("HTTPRoute", "db", "/spec/rules/0/backendRefs/0/name", "Service", "db", True),
    }
    custom_sources = {"ScaledObject", "ScaledJob", "TriggerAuthentication", "VerticalPodAutoscaler", "Rollout"}
    assert {r for r in found if r[0] in custom_sources | {"HTTPRoute"}} == expected


def test_a_field_no_known_reference_covers_is_said_once_per_custom_resource(tmp_path: Path) -> None:
    custom = """\
apiVersion: example.com/v1
kind: Canary
metadata:
  name: api
spec:
  target: {kind: Deployment, name: api}
  deploymentName: api
  secretName: kafka-sasl
  bucket: {apiVersion: example.com/v1, kind: Bucket, name: api}
"""
    job = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: api
spec:
  jobTargetRef:
    template:
      spec:
        containers: [{name: api, image: example/api:1.0}]
  triggers: [{type: cron, metadata: {timezone: UTC, start: 0 * * * *, end: 5 * * * *}}]
"""
    src = write_tree(tmp_path / "src", {"app.yaml": WORKLOADS, "custom.yaml": custom, "job.yaml": job})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    # Names in fields the finder knows whole are no references: a job's container, a scaler's
    # envSourceContainerName (see the fixture's ScaledObject).
    assert "warning: ScaledJob api:" not in result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("warning: Canary api:")]
    assert len(said) == 1, result.stderr
    line = said[0]
    assert "/spec/deploymentName 'api' names Deployment/api" in line
    assert "/spec/secretName 'kafka-sasl' names Secret/kafka-sasl" in line
    assert "/spec/target/name" not in line  # a {kind, name} of the folder's object: followed
    assert "/spec/bucket" not in line  # its kind says it names something else
    assert "template these fields" in line and "keep the object's name" in line
    report = (tmp_path / "chart" / "helmify-report.md").read_text()
    assert "/spec/deploymentName 'api' names Deployment/api" in report
    rendered = render_objects(tmp_path / "chart", release="prod")
    canary = next(obj for ident, obj in rendered.items() if ident[1] == "Canary")
    assert canary["spec"]["deploymentName"] == "api" and canary["spec"]["target"]["name"] == "prod-api"


def test_without_the_conventions_custom_resources_are_copied_exactly(tmp_path: Path) -> None:
    src, out, result = _convert(tmp_path)
    assert "names Deployment/api" not in result.stderr
    assert_reproduces(out, src)
    rendered = {(i[1], i[3]): obj for i, obj in render_objects(out, release="prod").items()}
    assert rendered[("ScaledObject", "api")]["spec"]["scaleTargetRef"]["name"] == "api"
    assert rendered[("Canary", "api")]["spec"]["target"]["name"] == "api"
