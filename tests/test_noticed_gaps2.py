"""Gaps noticed in earlier work, second set: a host name that spells out the ``default``
namespace of a folder that writes none, an Argo Rollout's scrape annotation, and in a list read
whole from values, a namespaced host at the start of an item and host names next to characters
that Go's JSON encoder escapes.

Each test converts (or reads) what a user would, and checks what they would install or see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import render_objects, run, write_tree

from helmify_flts import render
from helmify_flts.graph import build
from helmify_flts.refactorings.extras import ServiceMonitors
from helmify_flts.references import find_references


def _deployment(name: str, namespace: str | None, container: dict | None = None, pod_meta: dict | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, **(pod_meta or {})},
                "spec": {"containers": [container or {"name": name, "image": "x:1"}]},
            },
        },
    }


def _service(name: str, namespace: str | None, ports: list | None = None, labels: dict | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {}), **({"labels": labels} if labels else {})}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": {"app": name}, "ports": ports or [{"port": 9092}]},
    }


def _kafka_and_client(namespace: str | None, client: dict) -> list[dict]:
    """A Service kafka in front of the Deployment kafka, and a Deployment ``client`` (its container)."""
    return [_service("kafka", namespace), _deployment("kafka", namespace), _deployment("client", namespace, client)]


def _identities(docs: list[dict]) -> dict:
    """Plain objects by identity, as the reference finder takes them."""
    out = {}
    for doc in docs:
        group = doc["apiVersion"].rpartition("/")[0]
        out[(group, doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])] = doc
    return out


def _client_container(objects: dict) -> dict:
    found = [o for i, o in objects.items() if i[1] == "Deployment" and i[3].endswith("client")]
    assert len(found) == 1, list(objects)
    return found[0]["spec"]["template"]["spec"]["containers"][0]


# ------------------------------------------------------------ the default namespace, spelt out

DEFAULT_HOSTS = {
    "A": "kafka.default.svc:9092",
    "B": "http://kafka.default.svc.cluster.local:9092/x",
    "C": "kafka:9092",
}


def _default_client() -> dict:
    return {"name": "client", "image": "x:1", "env": [{"name": k, "value": v} for k, v in DEFAULT_HOSTS.items()]}


def test_a_host_naming_default_is_read_where_the_folder_writes_no_namespace() -> None:
    objects = _identities(_kafka_and_client(None, _default_client()))
    # path: spec.template.spec.containers[0].env[i].value
    found = {(r.path[6], r.target_name, r.host_namespace, r.port) for r in find_references(objects) if r.via == "host"}
    assert found == {(0, "kafka", "default", 9092), (1, "kafka", "default", 9092), (2, "kafka", None, 9092)}
    # The dependency graph draws the call (a NetworkPolicy built from it lets the client in).
    edges = {(e.source.name, e.target.name, e.label) for e in build(objects).edges if e.kind == "service"}
    assert edges == {("client", "kafka", "kafka:9092")}


def test_a_host_naming_default_where_the_folder_writes_another_namespace_is_another_service() -> None:
    objects = _identities(_kafka_and_client("shop", _default_client()))
    found = {r.path[6] for r in find_references(objects) if r.via == "host"}
    assert found == {2}  # kafka.default.svc is a Service of namespace default, not shop's


def test_a_host_naming_default_names_the_service_that_writes_none_also_beside_one_written_in_default() -> None:
    # Every folder's objects at once (a base that writes no namespace, an overlay's Service
    # written in default): the base's client names the base's Service, as in the base alone.
    docs = _kafka_and_client(None, _default_client())
    objects = {**_identities(docs), **_identities([_service("kafka", "default")])}
    targets = {r.target for r in find_references(objects) if r.via == "host"}
    assert targets == {("", "Service", "", "kafka")}


def _config_maps(namespace: str, count: int) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}", "namespace": namespace}}
        for i in range(count)
    ]


def test_a_host_naming_default_where_shop_is_the_main_namespace_is_renamed_and_said_to_stay(tmp_path: Path) -> None:
    # The client and kafka write no namespace; other objects write shop, the main namespace.
    docs = [*_kafka_and_client(None, _default_client()), *_config_maps("shop", 2)]
    src = write_tree(tmp_path / "src", {"all.yaml": yaml.safe_dump_all(docs)})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    env = {e["name"]: e["value"] for e in _client_container(render_objects(out, "rel", "other"))["env"]}
    assert env == {
        "A": "rel-kafka.default.svc:9092",
        "B": "http://rel-kafka.default.svc.cluster.local:9092/x",
        "C": "rel-kafka:9092",
    }
    # Only shop follows the release namespace: the report names each host left naming default.
    said = [line for line in result.stderr.splitlines() if "names namespace 'default'" in line]
    assert [line.split(":")[1].split()[-1] for line in said] == [
        "/spec/template/spec/containers/0/env/0/value",
        "/spec/template/spec/containers/0/env/1/value",
    ]
    assert "'kafka.default.svc:9092'" in said[0] and "write the host without the namespace, or with 'shop'" in said[0]


def test_a_base_without_namespaces_and_an_overlay_with_one_keep_apart(tmp_path: Path) -> None:
    # The base's objects write none (kafka.default.svc is its own Service); prod's write prod, and
    # there kafka.default.svc names another namespace's Service: each folder proves as declared.
    base = write_tree(tmp_path / "base", {"all.yaml": yaml.safe_dump_all(_kafka_and_client(None, _default_client()))})
    prod = write_tree(tmp_path / "prod", {"all.yaml": yaml.safe_dump_all(_kafka_and_client("prod", _default_client()))})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert _client_container(render_objects(out, "rel", "other"))["env"][0]["value"] == "rel-kafka.other.svc:9092"
    prod_values = render.load_values_file(out / "values-prod.yaml")
    prod_env = _client_container(render_objects(out, "rel", "other", prod_values))["env"]
    assert [e["value"] for e in prod_env] == [DEFAULT_HOSTS["A"], DEFAULT_HOSTS["B"], "rel-kafka:9092"]


def test_the_release_namespace_and_prefix_follow_a_host_naming_default(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"all.yaml": yaml.safe_dump_all(_kafka_and_client(None, _default_client()))})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert run("verify", out, src, "-q").exit_code == 0
    env = {e["name"]: e["value"] for e in _client_container(render_objects(out, "rel", "other"))["env"]}
    assert env == {
        "A": "rel-kafka.other.svc:9092",
        "B": "http://rel-kafka.other.svc.cluster.local:9092/x",
        "C": "rel-kafka:9092",
    }


def test_a_host_naming_default_in_a_list_an_environment_changes_follows_too(tmp_path: Path) -> None:
    def folder(args: list[str]) -> str:
        return yaml.safe_dump_all(_kafka_and_client(None, {"name": "client", "image": "x:1", "args": args}))

    base_args = ["--brokers", "kafka.default.svc.cluster.local:9092"]
    prod_args = [*base_args, "--verbose"]
    base = write_tree(tmp_path / "base", {"all.yaml": folder(base_args)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": folder(prod_args)})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    values = render.load_values_file(out / "values-prod.yaml")
    assert values["client"]["args"] == prod_args  # read whole from values
    args = _client_container(render_objects(out, "rel", "other", values))["args"]
    assert args == ["--brokers", "rel-kafka.other.svc.cluster.local:9092", "--verbose"]


# ------------------------------------------------------------ Argo Rollouts' scrape annotations

SCRAPE = {"annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100"}}
PROMETHEUS_CONFIG = (
    "scrape_configs:\n  - kubernetes_sd_configs:\n      - role: pod\n    relabel_configs: [prometheus_io_scrape]\n"
)


def _rollout(name: str, *, template: dict | None = None, workload: str | None = None) -> dict:
    spec: dict = {"selector": {"matchLabels": {"app": name}}}
    if template is not None:
        spec["template"] = template
    if workload is not None:
        spec["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": name}, "spec": spec}


def _metrics_pods(name: str) -> dict:
    container = {"name": name, "image": "x:1", "ports": [{"name": "metrics", "containerPort": 9100}]}
    return {"metadata": {"labels": {"app": name}, **SCRAPE}, "spec": {"containers": [container]}}


def _scraped(docs: list[dict]) -> set[tuple[str, str, str]]:
    prometheus = _deployment("prom", None)
    prometheus["spec"]["template"]["spec"]["volumes"] = [{"name": "c", "configMap": {"name": "prom"}}]
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "prom"},
        "data": {"p.yml": PROMETHEUS_CONFIG},
    }
    edges = build(_identities([config, prometheus, *docs])).edges
    return {(e.source.name, e.target.id, e.label) for e in edges if e.kind == "scrape"}


def test_prometheus_scrapes_a_rollouts_annotated_pods() -> None:
    assert _scraped([_rollout("web", template=_metrics_pods("web"))]) == {("prom", "Rollout/web", "scrape:9100")}
    plain = _metrics_pods("web")
    del plain["metadata"]["annotations"]
    assert _scraped([_rollout("web", template=plain)]) == set()


def test_prometheus_scrapes_a_rollout_whose_workload_ref_names_an_annotated_deployment() -> None:
    deployment = _deployment("web", None, pod_meta=SCRAPE)
    found = _scraped([deployment, _rollout("web-rollout", workload="web")])
    assert found == {("prom", "Rollout/web-rollout", "scrape:9100"), ("prom", "Deployment/web", "scrape:9100")}
    # A Deployment the folder lacks: nothing is known of the Rollout's pods, and nothing is said.
    assert _scraped([_rollout("web-rollout", workload="web")]) == set()


def _monitors(docs: list[dict]) -> list[dict]:
    every = _identities(docs)
    said: list[str] = []
    made = [o for _, o in ServiceMonitors().objects(every, every, said)]
    assert said == []
    return made


def test_a_service_monitor_reads_the_scrape_annotation_of_a_rollouts_pods() -> None:
    # targetPort names the container's port: the annotation's 9100 is found through the Rollout's containers.
    service = _service("web", None, [{"name": "http", "port": 80, "targetPort": "metrics"}], {"app": "web"})
    monitors = _monitors([service, _rollout("web", template=_metrics_pods("web"))])
    assert [m["spec"]["endpoints"] for m in monitors] == [[{"port": "http", "path": "/metrics"}]]
    assert monitors[0]["metadata"]["name"] == "web"


# ------------------------------------------------------------ lists read whole from values


def _list_folder(args: list[str]) -> str:
    client = {"name": "client", "image": "x:1", "args": args}
    return yaml.safe_dump_all(_kafka_and_client("shop", client), sort_keys=False)


def test_a_written_namespace_at_the_start_of_an_item_of_a_list_read_whole_follows_the_release(tmp_path: Path) -> None:
    # The release namespace's pattern for a host at the start of the text was anchored at the
    # start of the whole JSON text, so the item kept the written namespace in any other namespace.
    args = ["--brokers", "kafka.shop.svc:9092", "--topic", "kafka"]
    base = write_tree(tmp_path / "base", {"all.yaml": _list_folder(args)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _list_folder([*args, "-v"])})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    prod_values = render.load_values_file(out / "values-prod.yaml")
    wanted = ["--brokers", "rel-kafka.other.svc:9092", "--topic", "kafka"]
    assert _client_container(render_objects(out, "rel", "other"))["args"] == wanted
    assert _client_container(render_objects(out, "rel", "other", prod_values))["args"] == [*wanted, "-v"]


ESCAPED = {
    # (args; what they render) in namespace shop with the release rel
    "& in the query of a URL": (["--url", "http://kafka:9092/?a=1&b=2"], ["--url", "http://rel-kafka:9092/?a=1&b=2"]),
    "& right after the port": (["--b", "kafka:9092&x"], ["--b", "rel-kafka:9092&x"]),
    "& right before the host": (["--b", "a&kafka:9092"], ["--b", "a&rel-kafka:9092"]),
    "angle brackets around": (["--b", "<kafka:9092>"], ["--b", "<rel-kafka:9092>"]),
    "quotes around": (["--b", '"kafka:9092"'], ["--b", '"rel-kafka:9092"']),
    "a tab after": (["--b", "kafka:9092\tx"], ["--b", "rel-kafka:9092\tx"]),
    "a port after a tab": (["--b", "nc kafka\t9092"], ["--b", "nc rel-kafka\t9092"]),
    "a line separator after": (["--b", "kafka:9092\u2028"], ["--b", "rel-kafka:9092\u2028"]),
    "> before a namespaced host": (["--b", "x>kafka.shop.svc:9092"], ["--b", "x>rel-kafka.shop.svc:9092"]),
}


@pytest.mark.parametrize("case", sorted(ESCAPED))
def test_a_host_next_to_a_character_tojson_escapes_is_renamed_in_a_list_read_whole(case: str, tmp_path: Path) -> None:
    args, wanted = ESCAPED[case]
    base = write_tree(tmp_path / "base", {"all.yaml": _list_folder(args)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _list_folder([*args, "-v"])})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr  # the old patterns missed the escaped text: a failed proof
    prod_values = render.load_values_file(out / "values-prod.yaml")
    assert prod_values["client"]["args"] == [*args, "-v"]  # read whole from values
    assert _client_container(render_objects(out, "rel", "shop"))["args"] == wanted
    assert _client_container(render_objects(out, "rel", "shop", prod_values))["args"] == [*wanted, "-v"]
    if ".shop.svc" in args[1]:  # the release namespace follows in the JSON text too
        moved = _client_container(render_objects(out, "rel", "other"))["args"]
        assert moved == [args[0], wanted[1].replace(".shop.", ".other.")]


# ---------------------------------------------------------------------- an overlay's copy in default

KAFKA = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kafka
  labels: {app: kafka}
spec:
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers: [{name: kafka, image: "bitnami/kafka:3.7"}]
---
apiVersion: v1
kind: Service
metadata:
  name: kafka
NAMESPACE  labels: {app: kafka}
spec:
  selector: {app: kafka}
  ports: [{port: 9092}]
"""


def test_an_overlay_writing_default_for_a_service_the_base_leaves_without_one(tmp_path: Path) -> None:
    """Both copies took the values path kafka.default (an object without a namespace is named by
    "default" beside one in another namespace): convert stopped with exit 2, "the switch for
    Service/default/kafka clashes with the values key kafka.default.service.enabled"."""
    plain = KAFKA.replace("NAMESPACE", "")
    written = KAFKA.replace("NAMESPACE", "  namespace: default\n")
    src = write_tree(tmp_path / "base", {"app.yaml": plain})
    prod = write_tree(tmp_path / "prod", {"app.yaml": written})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    result = run("verify", out, src, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    values = yaml.safe_load((out / "values.yaml").read_text(encoding="utf-8"))["kafka"]
    assert {"releaseNamespace", "default"} <= set(values)
    # Elsewhere an object without a namespace keeps "default" as its name beside another namespace.
    other = KAFKA.replace("NAMESPACE", "  namespace: other\n")
    write_tree(prod, {"app.yaml": other})
    out2 = tmp_path / "chart2"
    assert run("convert", src, out2, "--env", f"prod={prod}").exit_code == 0
    values = yaml.safe_load((out2 / "values.yaml").read_text(encoding="utf-8"))["kafka"]
    assert {"other", "default"} <= set(values) and "releaseNamespace" not in values


# ---------------------------------------------------------------------- a flag's value in the next item

CONTROLLER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: workflow-controller
  labels: {app: workflow-controller}
spec:
  selector: {matchLabels: {app: workflow-controller}}
  template:
    metadata: {labels: {app: workflow-controller}}
    spec:
      containers:
      - name: controller
        image: quay.io/argoproj/workflow-controller:v3.5.5
        args: ["--configmap", "workflow-controller-configmap", "--executor-image", "quay.io/argoproj/argoexec:v3.5.5",
               "--namespaced", "--loglevel", "info"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  config: "executor: {}"
"""


def test_a_name_given_as_the_word_after_its_flag_is_listed(tmp_path: Path) -> None:
    """``--configmap=NAME`` was listed as a name the release renames and the args keep, and
    ``--configmap NAME`` (two items, as Argo's manifests write it) was not: silently, the
    controller looked for a ConfigMap the chart no longer makes."""
    src = write_tree(tmp_path / "src", {"app.yaml": CONTROLLER})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    args = "Deployment workflow-controller /spec/template/spec/containers/0/args"
    assert f"warning: {args}/1: 'workflow-controller-configmap' names ConfigMap/workflow-controller-configmap" in (
        result.stderr
    )
    # Only that item: a flag item itself is never a value, and the other values name nothing here.
    assert result.stderr.count(f"{args}/") == 1, result.stderr
