"""Host names that an environment writes differently from the base folder (another port, one more
host in a list, a longer suffix, a StatefulSet pod's name only it has) follow the release prefix
in that environment too: the template's patterns come from every folder's text of the field, and
the value an environment's values file holds is renamed where the chart reads it. And a client
that reaches a StatefulSet pod by its DNS name is a client of its governing Service for the
production extras (network policies, wait-for, the dependency graph)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import convert_ok, render_objects, run, write_tree

from helmify_flts import render

NS = "shop"


def _folder(brokers: str, api: str, extra: str = "") -> str:
    """Kafka (a StatefulSet governed by kafka-headless, and a Service kafka), an api Deployment
    behind Service api, and a client whose env values are ``brokers`` and ``api``."""
    client_env = [{"name": "BROKERS", "value": brokers}, {"name": "API", "value": api}]
    if extra:
        client_env.append({"name": "EXTRA", "value": extra})

    def meta(name: str) -> dict:
        return {"name": name, "namespace": NS}

    def workload(kind: str, name: str, **spec: object) -> dict:
        template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": "x:1"}]}}
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": meta(name),
            "spec": {**spec, "selector": {"matchLabels": {"app": name}}, "template": template},
        }

    def service(name: str, app: str, port: int, headless: bool = False) -> dict:
        spec = {"selector": {"app": app}, "ports": [{"port": port}]}
        if headless:
            spec["clusterIP"] = "None"
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": spec}

    client = workload("Deployment", "client")
    client["spec"]["template"]["spec"]["containers"][0]["env"] = client_env
    docs = [
        service("kafka", "kafka", 9092),
        service("kafka-headless", "kafka", 9092, headless=True),
        workload("StatefulSet", "kafka", serviceName="kafka-headless", replicas=2),
        service("api", "api", 8080),
        workload("Deployment", "api"),
        client,
    ]
    return yaml.safe_dump_all(docs, sort_keys=False)


def _client_env(chart: Path, values: dict | None, namespace: str = NS) -> dict[str, str]:
    objects = render_objects(chart, release="rel", namespace=namespace, values=values)
    client = next(o for i, o in objects.items() if i[1] == "Deployment" and i[3] == "rel-client")
    return {e["name"]: e["value"] for e in client["spec"]["template"]["spec"]["containers"][0]["env"]}


CASES = {
    # (base BROKERS, prod BROKERS, base API, prod API, what prod renders)
    "another port": (
        "kafka:9092,x",
        "kafka:9093,x",
        "http://api:8080",
        "http://api:8081",
        {"BROKERS": "rel-kafka:9093,x", "API": "http://rel-api:8081"},
    ),
    "one more host in a list": (
        "kafka:9092,x",
        "kafka:9093,kafka:9092,x",
        "http://api:8080",
        "http://api:8080",
        {"BROKERS": "rel-kafka:9093,rel-kafka:9092,x"},
    ),
    "another url form": (
        "kafka:9092,x",
        "kafka:9092,x",
        "http://api:8080",
        f"http://api.{NS}.svc:8080/",
        {"API": f"http://rel-api.{NS}.svc:8080/"},
    ),
    "a longer suffix in prod only": (
        "kafka:9092",
        f"kafka.{NS}.svc.cluster.local:9092",
        "http://api:8080",
        f"http://api.{NS}.svc.cluster.local:8080",
        {"BROKERS": f"rel-kafka.{NS}.svc.cluster.local:9092", "API": f"http://rel-api.{NS}.svc.cluster.local:8080"},
    ),
    "a pod's name in prod only": (
        "kafka:9092",
        "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092",
        "http://api:8080",
        "http://api:8080",
        {"BROKERS": "rel-kafka-0.rel-kafka-headless:9092,rel-kafka-1.rel-kafka-headless:9092"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_host_an_environment_writes_differently_follows_the_release_prefix(case: str, tmp_path: Path) -> None:
    base_brokers, prod_brokers, base_api, prod_api, wanted = CASES[case]
    base = write_tree(tmp_path / "base", {"all.yaml": _folder(base_brokers, base_api)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _folder(prod_brokers, prod_api)})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "bug" not in result.stderr
    assert run("verify", out, base, "--env", f"prod={prod}", "-q").exit_code == 0
    # The base renders as before; prod's values file holds prod's own text, renamed where it is read.
    assert _client_env(out, None)["BROKERS"] == base_brokers.replace("kafka", "rel-kafka")
    prod_env = _client_env(out, render.load_values_file(out / "values-prod.yaml"))
    for name, value in wanted.items():
        assert prod_env[name] == value
    # Installed in another namespace, the namespace prod spells out follows it (release-namespace).
    elsewhere = _client_env(out, render.load_values_file(out / "values-prod.yaml"), namespace="other")
    for name, value in wanted.items():
        assert elsewhere[name] == value.replace(f".{NS}.", ".other.")


def _with_args(text: str, args: list[str]) -> str:
    docs = list(yaml.safe_load_all(text))
    for doc in docs:
        if doc["metadata"]["name"] == "client":
            doc["spec"]["template"]["spec"]["containers"][0]["args"] = args
    return yaml.safe_dump_all(docs, sort_keys=False)


def test_a_host_in_a_list_an_environment_lifts_whole_follows_the_release_prefix(tmp_path: Path) -> None:
    base_args = ["--broker", "kafka:9092"]
    prod_args = ["--broker", "kafka:9092", "--api", "http://api:8080/v2"]  # longer: args is read whole from values
    base = write_tree(tmp_path / "base", {"all.yaml": _with_args(_folder("kafka:9092", "http://api:8080"), base_args)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _with_args(_folder("kafka:9092", "http://api:8080"), prod_args)})
    out = tmp_path / "chart"
    convert_ok(base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert render.load_values_file(out / "values-prod.yaml")["client"]["args"] == prod_args
    objects = render_objects(out, release="rel", namespace=NS, values=render.load_values_file(out / "values-prod.yaml"))
    client = objects[("apps", "Deployment", NS, "rel-client")]["spec"]["template"]["spec"]["containers"][0]
    assert client["args"] == ["--broker", "rel-kafka:9092", "--api", "http://rel-api:8080/v2"]


def test_a_host_in_an_item_only_an_environment_has_is_warned_of_not_a_failed_proof(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {"all.yaml": _folder("kafka:9092", "http://api:8080")})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _folder("kafka:9092", "http://api:8080", extra="kafka:9092")})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "bug" not in result.stderr
    warned = [line for line in result.stderr.splitlines() if "/env/2/value in environment prod" in line]
    assert len(warned) == 1 and "'kafka:9092'" in warned[0] and "values-prod.yaml" in warned[0], result.stderr
    assert run("verify", out, base, "--env", f"prod={prod}", "-q").exit_code == 0
    # The item renders as prod's values file has it; the fields the base has too still follow.
    prod_env = _client_env(out, render.load_values_file(out / "values-prod.yaml"))
    assert prod_env == {"BROKERS": "rel-kafka:9092", "API": "http://rel-api:8080", "EXTRA": "kafka:9092"}


# ---------------------------------------------------------------------------------------------
# A StatefulSet pod's DNS name under --rules production


def _pod_client_folder(value: str, init: str = "") -> str:
    """Kafka (a StatefulSet governed by the headless kafka-headless), and a client whose env value
    BROKERS is ``value``; ``init``: a shell line the client's init container runs."""
    folder = yaml.safe_load_all(_folder("x", "y"))
    docs = [d for d in folder if (d["kind"], d["metadata"]["name"]) not in (("Service", "kafka"),)]
    for doc in docs:
        if doc["metadata"]["name"] == "client":
            spec = doc["spec"]["template"]["spec"]
            spec["containers"][0]["env"] = [{"name": "BROKERS", "value": value}]
            if init:
                spec["initContainers"] = [{"name": "wait", "image": "busybox:1", "command": ["sh", "-c", init]}]
    return yaml.safe_dump_all(docs, sort_keys=False)


@pytest.mark.parametrize("conventions", [False, True], ids=["production", "conventions+production"])
def test_a_client_of_a_statefulset_pod_is_allowed_in_and_waits_for_its_service(
    conventions: bool, tmp_path: Path
) -> None:
    src = write_tree(tmp_path / "src", {"all.yaml": _pod_client_folder("kafka-0.kafka-headless:9092")})
    out = tmp_path / "chart"
    packs = ("--rules", "conventions") if conventions else ()
    result = run("convert", src, out, *packs, "--rules", "production")
    assert result.exit_code == 0, result.stderr
    prefix = "rel-" if conventions else ""
    objects = render_objects(out, release="rel", namespace=NS, values={"networkPolicies": {"enabled": True}})
    policies = {i[3]: o for i, o in objects.items() if i[1] == "NetworkPolicy"}
    allow = policies[f"{prefix}kafka-allow-callers"]["spec"]
    assert allow["podSelector"]["matchLabels"]["app"] == "kafka"
    peers = [
        (peer["podSelector"]["matchLabels"]["app"], rule["ports"]) for rule in allow["ingress"] for peer in rule["from"]
    ]
    assert peers == [("client", [{"protocol": "TCP", "port": 9092}])]
    # The client waits for the governing Service, on the port it uses.
    client = objects[("apps", "Deployment", NS, f"{prefix}client")]["spec"]["template"]["spec"]
    waits = [c for c in client.get("initContainers", []) if c["name"].startswith("wait-for-")]
    assert [c["command"][-2:] for c in waits] == [[f"{prefix}kafka-headless", "9092"]]
    # The dependency graph in the report has the edge.
    report = json.loads((out / "helmify-report.json").read_text())
    edges = {(e["from"], e["to"], e["kind"]) for e in report["graph"]["edges"]}
    assert (f"Deployment/{NS}/client", f"StatefulSet/{NS}/kafka", "service") in edges


def test_a_pod_already_waited_for_is_not_waited_for_twice(tmp_path: Path) -> None:
    init = "until nc -z kafka-0.kafka-headless 9092; do sleep 2; done"
    src = write_tree(tmp_path / "src", {"all.yaml": _pod_client_folder("kafka-0.kafka-headless:9092", init)})
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "production")
    objects = render_objects(out, release="rel", namespace=NS)
    client = objects[("apps", "Deployment", NS, "client")]["spec"]["template"]["spec"]
    assert [c["name"] for c in client["initContainers"]] == ["wait"]


def test_the_dependency_graph_reaches_a_statefulset_through_its_pod_name() -> None:
    from helmify_flts import graph

    docs = list(yaml.safe_load_all(_pod_client_folder("kafka-1.kafka-headless.shop.svc:9092")))
    objects = {(d["apiVersion"].rpartition("/")[0], d["kind"], NS, d["metadata"]["name"]): d for d in docs}
    # The governing Service selects no pods here: the edge still goes to the StatefulSet.
    del objects[("", "Service", NS, "kafka-headless")]["spec"]["selector"]
    edges = {(e.source.name, e.target.kind, e.target.name, e.port, e.service) for e in graph.build(objects).edges}
    assert ("client", "StatefulSet", "kafka", 9092, "kafka-headless") in edges
