"""Opt-in production extras (rules/production.yaml): NetworkPolicies from the dependency graph,
ServiceMonitors and PodDisruptionBudgets. Off by default, so the chart still reproduces its
sources; switched on, they render valid objects that allow exactly the callers the graph found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, convert_ok, run

from helmify_flts import render, verify

BASE = FIXTURES / ".kubernetes"
ON = {
    "networkPolicies": {"enabled": True},
    "serviceMonitors": {"enabled": True},
    "podDisruptionBudgets": {"enabled": True},
}
CALLED = [  # every workload some other workload, an Ingress or Prometheus reaches (tests/test_graph.py)
    "fastapi-app",
    "grafana",
    "inference",
    "inference-lb",
    "kafka",
    "locust-master",
    "minio",
    "mlflow",
    "postgres",
    "prometheus",
]


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extras") / "flts"
    convert_ok(BASE, out, "--rules", "production", "--rules", "flts", "--chart-name", "flts")
    return out


@pytest.fixture(scope="module")
def switched_on(chart: Path) -> dict:
    return render.rendered_objects(render.render_chart(chart, ON))


def _added(objects: dict) -> dict:
    return {i: o for i, (t, o) in objects.items() if t.split("/")[-1].startswith("helmify-")}


def test_default_render_is_unchanged(chart: Path) -> None:
    # the pack's other refactorings change the render as they declare; the extras add nothing
    assert run("verify", chart, BASE).exit_code == 0
    assert _added(render.rendered_objects(render.render_chart(chart, {}))) == {}
    values = render.load_values_file(chart / "values.yaml")
    assert {k: values[k]["enabled"] for k in ON} == dict.fromkeys(ON, False)


def test_switched_on_renders_exactly_the_extras(switched_on: dict) -> None:
    added = _added(switched_on)
    assert sorted((i[1], i[3]) for i in added) == sorted(
        [("NetworkPolicy", "default-deny-ingress")]
        + [("NetworkPolicy", f"{w}-allow-callers") for w in CALLED]
        + [("ServiceMonitor", "inference"), ("ServiceMonitor", "inference-lb")]
        + [("PodDisruptionBudget", "locust-worker-pdb")]  # inference (2 replicas) has its own budget
    )


def test_extras_pass_the_kubernetes_schema_and_lint(chart: Path, switched_on: dict) -> None:
    added = {i: ("t", o) for i, o in _added(switched_on).items()}
    problems, custom = verify.schema_problems(added)
    assert problems == [] and custom == 2  # the ServiceMonitors: no built-in schema, checked for shape below
    assert len(added) == len(CALLED) + 4
    # the validation is strict: a field NetworkPolicy does not have is caught
    ident = next(i for i in added if i[1] == "NetworkPolicy")
    broken = {**added[ident][1], "spec": {**added[ident][1]["spec"], "podSelectr": {}}}
    assert verify.schema_problems({ident: ("t", broken)})[0]
    assert render.lint(chart, ON) == []


def test_service_monitor_shape(chart: Path) -> None:
    values = {**ON, "serviceMonitors": {"enabled": True, "interval": "15s", "labels": {"release": "kps"}}}
    objects = render.rendered_objects(render.render_chart(chart, values))
    services = {i[3]: o for i, (_, o) in objects.items() if i[1] == "Service"}
    monitors = [o for i, (_, o) in objects.items() if i[1] == "ServiceMonitor"]
    assert len(monitors) == 2
    for sm in monitors:
        assert sm["apiVersion"] == "monitoring.coreos.com/v1"
        assert set(sm) == {"apiVersion", "kind", "metadata", "spec"}
        assert sm["metadata"]["labels"] == {"release": "kps"}
        svc = services[sm["metadata"]["name"]]
        assert sm["spec"]["selector"] == {"matchLabels": svc["metadata"]["labels"]}
        (endpoint,) = sm["spec"]["endpoints"]
        assert set(endpoint) == {"port", "path", "interval"} and endpoint["interval"] == "15s"
        assert endpoint["port"] in [p["name"] for p in svc["spec"]["ports"]]
        assert endpoint["path"].startswith("/")
    by_name = {sm["metadata"]["name"]: sm["spec"]["endpoints"][0] for sm in monitors}
    assert by_name["inference"] == {"port": "http", "path": "/metrics", "interval": "15s"}  # prometheus.io/port 8000
    assert by_name["inference-lb"]["port"] == "stats"  # prometheus.io/port 8404


def _allows(policy: dict, caller_labels: dict, port: int | str) -> bool:
    for rule in policy["spec"].get("ingress", []):
        ports = [p["port"] for p in rule.get("ports", [])]
        if ports and port not in ports:
            continue
        for peer in rule.get("from", [{}]):
            if "namespaceSelector" in peer and "podSelector" not in peer:
                return True
            wanted = peer.get("podSelector", {}).get("matchLabels", {})
            if not peer or wanted.items() <= caller_labels.items():
                return True
    return False


def _kind_name(ident: str) -> str:
    parts = ident.split("/")
    return f"{parts[0]}/{parts[-1]}"


def test_network_policies_allow_exactly_the_graph(chart: Path, switched_on: dict) -> None:
    graph = json.loads((chart / "helmify-report.json").read_text(encoding="utf-8"))["graph"]
    policies = {o["metadata"]["name"]: o for i, (_, o) in switched_on.items() if i[1] == "NetworkPolicy"}
    pods = {
        f"{i[1]}/{i[3]}": o["spec"]["template"]["metadata"]["labels"]
        for i, (_, o) in switched_on.items()
        if i[1] in ("Deployment", "Job")
    }
    deny = policies["default-deny-ingress"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    edges = [  # KIND/NAME: the kustomization places every object in flts, which the ids then name
        {**e, "from": _kind_name(e["from"]), "to": _kind_name(e["to"])}
        for e in graph["edges"]
        if e["kind"] in ("service", "scrape") and e["from"].startswith(("Deployment", "Job"))
    ]
    assert len(edges) > 30
    allowed = set()
    for edge in edges:
        policy = policies[edge["to"].split("/")[-1] + "-allow-callers"]
        assert policy["spec"]["podSelector"]["matchLabels"] == pods[edge["to"]]
        ports = [p["port"] for r in policy["spec"]["ingress"] for p in r.get("ports", [])]
        assert any(_allows(policy, pods[edge["from"]], p) for p in ports), edge
        allowed.add((edge["from"], edge["to"]))
    # and nobody else: a workload with no edge to another is not let in by its policy
    for caller, labels in pods.items():
        for callee in CALLED:
            policy = policies[f"{callee}-allow-callers"]
            open_to_all = [
                r for r in policy["spec"]["ingress"] if "from" not in r or {"namespaceSelector": {}} in r["from"]
            ]
            if (caller, f"Deployment/{callee}") in allowed or open_to_all or caller == f"Deployment/{callee}":
                continue
            ports = [p["port"] for r in policy["spec"]["ingress"] for p in r.get("ports", [])]
            assert not any(_allows(policy, labels, p) for p in ports), (caller, callee)


def test_ingress_and_load_balancer_reach_their_workloads(switched_on: dict) -> None:
    policies = {o["metadata"]["name"]: o for i, (_, o) in switched_on.items() if i[1] == "NetworkPolicy"}
    lb = policies["inference-lb-allow-callers"]["spec"]["ingress"]
    assert {"ports": [{"protocol": "TCP", "port": 8023}, {"protocol": "TCP", "port": 8404}]} in lb  # type: LoadBalancer
    grafana = policies["grafana-allow-callers"]["spec"]["ingress"]
    assert grafana == [{"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 3000}]}]


def test_a_disabled_component_takes_its_extras_along(chart: Path) -> None:
    objects = render.rendered_objects(render.render_chart(chart, {**ON, "locust": {"worker": {"enabled": False}}}))
    names = {i[3] for i in _added(objects)}
    assert "locust-worker-pdb" not in names and "kafka-allow-callers" in names


def test_values_are_documented_and_typed(chart: Path) -> None:
    text = (chart / "values.yaml").read_text(encoding="utf-8")
    for key in ("networkPolicies:", "serviceMonitors:", "podDisruptionBudgets:"):
        at = text.index("\n" + key)
        assert "# -- " in text[at : at + 300]
    schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))["properties"]
    for key in ON:
        assert schema[key]["properties"]["enabled"]["type"] == "boolean"


@pytest.mark.parametrize("case", ["hpa-pdb", "statefulset-cronjob", "service-ports", "ingress-hosts", "kompose-labels"])
def test_production_pack_converts_and_proves_public_style_folders(tmp_path: Path, case: str) -> None:
    src = ROOT / "tests" / "cases" / case / "input"
    convert_ok(src, tmp_path / "out", "--rules", "production")
    assert run("verify", tmp_path / "out", src).exit_code == 0  # the declared changes, and nothing else
    objects = render.rendered_objects(render.render_chart(tmp_path / "out", ON))
    added = {i: ("t", o) for i, o in _added(objects).items() if o["kind"] != "ServiceMonitor"}
    assert verify.schema_problems(added)[0] == []


def test_flts_with_production_and_environments_verifies(tmp_path: Path) -> None:
    envs = [f"--env={name}={FIXTURES / 'environments' / name}" for name in ("dev", "prod")]
    out = tmp_path / "flts"
    convert_ok(BASE, out, "--rules", "production", "--rules", "flts", "--chart-name", "flts", *envs)
    result = run("verify", out, BASE, *envs)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("verified:") == 3
