"""Service host names in custom resources: the pod spec of an Argo Rollout and of a KEDA
ScaledJob's job template (env values, command, args) follows the release's names as a
Deployment's does, and so does a KEDA trigger's metadata value that is nothing but host names
(``kafka:9092``, ``http://prometheus:9090``, a list of brokers). A trigger's host name inside a
longer text (a query) stays as written and is said once per scaler. The dependency graph draws a
Rollout and a ScaledJob as workloads, and a trigger's host as no edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_reproduces, render_objects, run, write_tree

from helmify_flts import graph, kyaml
from helmify_flts.references import find_references
from helmify_flts.render import identity

SERVICES = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: kafka
  namespace: shop
spec:
  serviceName: kafka-headless
  replicas: 2
  selector:
    matchLabels: {app: kafka}
  template:
    metadata:
      labels: {app: kafka}
    spec:
      containers:
        - name: kafka
          image: example/kafka:3.7
---
apiVersion: v1
kind: Service
metadata:
  name: kafka
  namespace: shop
spec:
  selector: {app: kafka}
  ports: [{port: 9092}]
---
apiVersion: v1
kind: Service
metadata:
  name: kafka-headless
  namespace: shop
spec:
  clusterIP: None
  selector: {app: kafka}
  ports: [{port: 9092}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prometheus
  namespace: shop
spec:
  selector:
    matchLabels: {app: prometheus}
  template:
    metadata:
      labels: {app: prometheus}
    spec:
      containers:
        - name: prometheus
          image: example/prometheus:2.53
---
apiVersion: v1
kind: Service
metadata:
  name: prometheus
  namespace: shop
spec:
  selector: {app: prometheus}
  ports: [{port: 9090}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""

JOB = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: worker
  namespace: shop
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: example/worker:1.0
            command: [sh, -c, "until nc -z kafka 9092; do sleep 1; done; exec worker"]
            args: [--brokers, "kafka:9092", --metrics, "http://prometheus:9090/api/v1"]
            env:
              - {name: KAFKA_BOOTSTRAP, value: "kafka.shop.svc.cluster.local:9092"}
              - {name: FIRST_BROKER, value: "kafka-0.kafka-headless:9092"}
              - {name: GROUP_ID, value: kafka}
  triggers:
    - type: kafka
      metadata: {bootstrapServers: "kafka:9092", consumerGroup: worker, topic: jobs, lagThreshold: "50"}
"""

ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1.0
          args: ["--kafka-host", kafka]
          env:
            - {name: PROM_URL, value: "http://prometheus:9090"}
  strategy:
    canary: {stableService: web}
"""

SCALER = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web}
  triggers:
    - type: prometheus
      metadata:
        serverAddress: http://prometheus:9090
        query: sum(rate(http_requests_total{service="web"}[2m]))
        threshold: "100"
    - type: kafka
      metadata:
        bootstrapServers: kafka-0.kafka-headless:9092, kafka-1.kafka-headless:9092
        consumerGroup: web
        topic: jobs
    - type: redis
      metadata: {host: kafka, port: "9092"}
"""

FILES = {"services.yaml": SERVICES, "job.yaml": JOB, "rollout.yaml": ROLLOUT, "scaler.yaml": SCALER}


def _objects(*texts: str) -> dict:
    docs = [kyaml.construct(node) for text in texts for node in kyaml.compose_all(text) if node is not None]
    return {identity(o): o for o in docs}


def _convert(root: Path, files: dict[str, str], *rules: str) -> tuple[Path, Path, object]:
    src = write_tree(root / "src", files)
    out = root / "chart"
    result = run("convert", src, out, *(a for r in rules for a in ("--rules", r)), "--chart-name", "shop")
    assert result.exit_code == 0, result.stderr
    return src, out, result


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object, dict]:
    """The folder converted once under the conventions, and what it renders as release prod in
    namespace web (release-namespace puts the namespace a host name spells there too)."""
    src, out, result = _convert(tmp_path_factory.mktemp("conventions"), FILES, "conventions")
    rendered = {(i[1], i[3]): obj for i, obj in render_objects(out, release="prod", namespace="web").items()}
    return src, out, result, rendered


def test_host_names_in_a_scaled_jobs_pod_spec_follow_the_release(converted) -> None:
    src, _, result, rendered = converted
    container = rendered[("ScaledJob", "worker")]["spec"]["jobTargetRef"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["sh", "-c", "until nc -z prod-kafka 9092; do sleep 1; done; exec worker"]
    assert container["args"] == ["--brokers", "prod-kafka:9092", "--metrics", "http://prod-prometheus:9090/api/v1"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "KAFKA_BOOTSTRAP": "prod-kafka.web.svc.cluster.local:9092",  # the release's namespace too
        "FIRST_BROKER": "prod-kafka-0.prod-kafka-headless:9092",  # a StatefulSet pod's DNS name
        "GROUP_ID": "kafka",  # a group id, not provably a host name: left, and said
    }
    assert ("Service", "prod-kafka") in rendered and ("StatefulSet", "prod-kafka") in rendered
    assert (
        "warning: ScaledJob worker /spec/jobTargetRef/template/spec/containers/0/env/2/value: 'kafka' is the name of "
        "a Service the release renames, but not provably a host name there" in result.stderr
    )
    # Declared, and proven: the render equals the sources with the declared changes applied.
    assert run("verify", converted[1], src, "-q").exit_code == 0


def test_host_names_in_a_rollouts_pod_spec_follow_the_release(converted) -> None:
    _, out, _, rendered = converted
    container = rendered[("Rollout", "web")]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--kafka-host", "prod-kafka"]  # a host-like flag's whole value
    assert container["env"] == [{"name": "PROM_URL", "value": "http://prod-prometheus:9090"}]
    report = json.loads((out / "helmify-report.json").read_text())
    rollout = next(r for r in report["resources"] if (r["kind"], r["name"]) == ("Rollout", "web"))
    assert "/spec/template/spec/containers/0/env/0/value" in json.dumps(rollout)


def test_a_trigger_value_that_is_only_host_names_follows_the_release(converted) -> None:
    _, _, result, rendered = converted
    scaler = rendered[("ScaledObject", "web")]["spec"]["triggers"]
    assert scaler[0]["metadata"]["serverAddress"] == "http://prod-prometheus:9090"
    assert scaler[1]["metadata"] == {
        "bootstrapServers": "prod-kafka-0.prod-kafka-headless:9092, prod-kafka-1.prod-kafka-headless:9092",
        "consumerGroup": "web",
        "topic": "jobs",
    }
    assert scaler[2]["metadata"] == {"host": "prod-kafka", "port": "9092"}  # a host-like key's bare name
    # Followed, so not said to be left as written; the query's label is (see the next test).
    assert "/metadata/host" not in result.stderr and "/metadata/bootstrapServers" not in result.stderr
    assert "warning: ScaledObject web: /spec/triggers/0/metadata/query 'web' may name Service/web" in result.stderr
    job = rendered[("ScaledJob", "worker")]["spec"]["triggers"][0]["metadata"]
    assert job["bootstrapServers"] == "prod-kafka:9092" and job["consumerGroup"] == "worker"


def test_a_trigger_host_name_inside_a_longer_text_stays_and_is_said_once(tmp_path: Path) -> None:
    scaler = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: api
  namespace: shop
spec:
  scaleTargetRef: {name: api}
  triggers:
    - type: prometheus
      metadata:
        serverAddress: http://prometheus:9090
        query: sum(kafka_lag{instance="kafka:9092"}) by (service)
    - type: kafka
      metadata:
        bootstrapServers: kafka:9092,broker.example.com:9092
        consumerGroup: web
    - type: rabbitmq
      metadata: {hosts: kafka web}
"""
    files = {"services.yaml": SERVICES, "scaler.yaml": scaler}
    src, out, result = _convert(tmp_path, files, "conventions")
    said = [line for line in result.stderr.splitlines() if line.startswith("warning: ScaledObject api:")]
    assert len(said) == 1, result.stderr
    line = said[0]
    assert "/spec/triggers/0/metadata/query 'kafka:9092' names Service/kafka" in line
    assert "/spec/triggers/1/metadata/bootstrapServers 'kafka:9092' names Service/kafka" in line
    # Words of a host-like field that are no provable host names, and none for a consumer group.
    assert "/spec/triggers/2/metadata/hosts 'kafka' may name Service/kafka" in line
    assert "/spec/triggers/2/metadata/hosts 'web' may name Service/web" in line
    assert "consumerGroup" not in line and "serverAddress" not in line
    assert "write these fields as such a value or with the release's name" in line
    assert "keep the object's name" in line
    rendered = {(i[1], i[3]): obj for i, obj in render_objects(out, release="prod", namespace="shop").items()}
    triggers = rendered[("ScaledObject", "api")]["spec"]["triggers"]
    assert triggers[0]["metadata"] == {
        "serverAddress": "http://prod-prometheus:9090",
        "query": 'sum(kafka_lag{instance="kafka:9092"}) by (service)',
    }
    assert triggers[1]["metadata"]["bootstrapServers"] == "kafka:9092,broker.example.com:9092"
    assert triggers[2]["metadata"] == {"hosts": "kafka web"}
    assert run("verify", out, src, "-q").exit_code == 0


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("kafka:9092", True),
        ("kafka", True),  # under a host-like key
        ("kafka.shop.svc.cluster.local:9092", True),
        ("http://prometheus:9090", True),
        ("http://user@prometheus:9090/api/v1", True),
        ("kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092", True),
        ("kafka:9092, prometheus:9090", True),
        ("kafka:9092,broker.example.com:9092", False),
        ("sum(up{instance='kafka:9092'})", False),
        ("kafka:9092/topic", False),
        ("kafka:9092,", False),
        ("kafka:9092 prometheus:9090", False),
    ],
)
def test_which_trigger_values_are_nothing_but_host_names(text: str, whole: bool) -> None:
    from helmify_flts.references import hosts_only, trigger_hosts

    scaler = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": {"triggers": [{"type": "kafka", "metadata": {"bootstrapServers": text}}]},
    }
    objects = {**_objects(SERVICES), identity(scaler): scaler}
    refs = trigger_hosts(objects)
    assert refs, text
    assert hosts_only(text, refs) is whole
    followed = [r for r in find_references(objects) if r.source[1] == "ScaledObject"]
    assert bool(followed) is whole


def test_the_finder_reads_host_names_in_custom_pod_specs_and_whole_trigger_values() -> None:
    found = {
        (r.source[1], r.pointer, r.target_kind, r.target_name, r.via, r.port)
        for r in find_references(_objects(SERVICES, JOB, ROLLOUT, SCALER))
        if r.span is not None and r.source[1] in ("ScaledJob", "Rollout", "ScaledObject")
    }
    job = "/spec/jobTargetRef/template/spec/containers/0"
    pod = "/spec/template/spec/containers/0"
    assert found == {
        ("ScaledJob", f"{job}/command/2", "Service", "kafka", "host", 9092),
        ("ScaledJob", f"{job}/args/1", "Service", "kafka", "host", 9092),
        ("ScaledJob", f"{job}/args/3", "Service", "prometheus", "host", 9090),
        ("ScaledJob", f"{job}/env/0/value", "Service", "kafka", "host", 9092),
        ("ScaledJob", f"{job}/env/1/value", "StatefulSet", "kafka", "pod", 9092),
        ("ScaledJob", f"{job}/env/1/value", "Service", "kafka-headless", "pod", 9092),
        ("ScaledJob", "/spec/triggers/0/metadata/bootstrapServers", "Service", "kafka", "host", 9092),
        ("Rollout", f"{pod}/args/1", "Service", "kafka", "host", 9092),
        ("Rollout", f"{pod}/env/0/value", "Service", "prometheus", "host", 9090),
        ("ScaledObject", "/spec/triggers/0/metadata/serverAddress", "Service", "prometheus", "host", 9090),
        ("ScaledObject", "/spec/triggers/1/metadata/bootstrapServers", "StatefulSet", "kafka", "pod", 9092),
        ("ScaledObject", "/spec/triggers/1/metadata/bootstrapServers", "Service", "kafka-headless", "pod", 9092),
        ("ScaledObject", "/spec/triggers/2/metadata/host", "Service", "kafka", "host", 9092),
    }


def test_the_dependency_graph_draws_rollouts_and_scaled_jobs_that_call_services() -> None:
    g = graph.build(_objects(SERVICES, JOB, ROLLOUT, SCALER))
    edges = {(e.source.id, e.target.id, e.label) for e in g.edges if e.kind == "service"}
    assert edges == {
        ("Rollout/shop/web", "Deployment/shop/prometheus", "prometheus:9090"),
        ("Rollout/shop/web", "StatefulSet/shop/kafka", "kafka:9092"),
        ("ScaledJob/shop/worker", "Deployment/shop/prometheus", "prometheus:9090"),
        ("ScaledJob/shop/worker", "StatefulSet/shop/kafka", "kafka:9092"),
        ("ScaledJob/shop/worker", "StatefulSet/shop/kafka", "kafka-headless:9092"),
    }  # a trigger's host is the KEDA operator's call: no edge from a ScaledObject or a ScaledJob's trigger
    data = g.as_json()
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])
    lines = graph.mermaid(data)
    assert any('"Rollout/web"' in line for line in lines) and any('"ScaledJob/worker"' in line for line in lines)


def test_the_report_draws_the_graph_and_the_chart_copies_the_folder_exactly(tmp_path: Path) -> None:
    src, out, _ = _convert(tmp_path, FILES)
    assert_reproduces(out, src)
    report = (out / "helmify-report.md").read_text()
    assert '-->|"kafka:9092"|' in report
    assert '["Rollout/web"]' in report and '["ScaledJob/worker"]' in report


def test_network_policies_let_a_rollouts_pods_call_the_services_it_names(tmp_path: Path) -> None:
    src, out, _ = _convert(tmp_path, FILES, "production", "conventions")
    assert run("verify", out, src, "-q").exit_code == 0
    rendered = render_objects(out, release="prod", namespace="shop", values={"networkPolicies": {"enabled": True}})
    policies = {i[3]: obj for i, obj in rendered.items() if i[1] == "NetworkPolicy"}
    for callee in ("prod-kafka", "prod-prometheus"):
        peers = [peer for rule in policies[f"{callee}-allow-callers"]["spec"]["ingress"] for peer in rule["from"]]
        assert {"podSelector": {"matchLabels": {"app": "web"}}} in peers, peers


def test_trigger_host_names_follow_in_every_environment(tmp_path: Path) -> None:
    """An environment whose triggers differ (another broker, another address) renders the list
    from its values file: host names follow there too, and only they (a trigger's ``type: kafka``
    beside a bare ``host: kafka`` keeps its text)."""
    scaler = SCALER.replace("type: redis", "type: kafka")
    prod = scaler.replace("http://prometheus:9090", "http://prometheus:9091/graph?x=1").replace(
        "kafka-1.kafka-headless:9092", "kafka-1.kafka-headless:9092, kafka-2.kafka-headless:9092"
    )
    base = write_tree(tmp_path / "base", {**FILES, "scaler.yaml": scaler})
    write_tree(tmp_path / "prod", {**FILES, "scaler.yaml": prod})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={tmp_path / 'prod'}")
    assert result.exit_code == 0, result.stderr
    values = kyaml.load_all((out / "values-prod.yaml").read_text(encoding="utf-8"))[0]
    rendered = render_objects(out, release="rel", namespace="shop", values=values)
    triggers = next(obj for ident, obj in rendered.items() if ident[1] == "ScaledObject")["spec"]["triggers"]
    assert triggers[0]["metadata"]["serverAddress"] == "http://rel-prometheus:9091/graph?x=1"
    assert triggers[1]["metadata"]["bootstrapServers"] == ", ".join(
        f"rel-kafka-{i}.rel-kafka-headless:9092" for i in range(3)
    )
    assert triggers[2] == {"type": "kafka", "metadata": {"host": "rel-kafka", "port": "9092"}}
