"""A StatefulSet pod's own DNS name (``kafka-0.kafka-headless:9092``): the host finder reads it as
a name of the StatefulSet and of its governing Service, and under ``--rules conventions`` it
follows both renames, declared per object and proven like the other host names."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import ROOT, convert_ok, render_objects, run, write_tree

from helmify_flts.checks import named_back
from helmify_flts.references import find_references

# ---------------------------------------------------------------------------------------------
# The host finder


def _service(name: str, namespace: str = "shop", ports: tuple[int, ...] = (9092,)) -> tuple[tuple, dict]:
    spec = {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": p} for p in ports]}
    return ("", "Service", namespace, name), {"kind": "Service", "metadata": {"name": name}, "spec": spec}


def _workload(kind: str, name: str, namespace: str = "shop", **spec: object) -> tuple[tuple, dict]:
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": "x"}]}}
    return ("apps", kind, namespace, name), {
        "kind": kind,
        "metadata": {"name": name},
        "spec": {**spec, "template": template},
    }


def _client(value: str, namespace: str = "shop") -> tuple[tuple, dict]:
    container = {"name": "client", "image": "x", "env": [{"name": "SERVERS", "value": value}]}
    spec = {"template": {"spec": {"containers": [container]}}}
    return ("apps", "Deployment", namespace, "client"), {"kind": "Deployment", "spec": spec}


def _folder(value: str) -> dict:
    """Kafka governed by kafka-headless, a Deployment web behind a Service web, and zk governed by
    zk-hs, all in namespace shop, with a client whose one env value is ``value``."""
    return dict(
        [
            _service("kafka-headless"),
            _workload("StatefulSet", "kafka", serviceName="kafka-headless", replicas=2),
            _service("web", ports=(80,)),
            _workload("Deployment", "web"),
            _service("zk-hs", ports=(2888, 3888)),
            _workload("StatefulSet", "zk", serviceName="zk-hs"),
            _client(value),
        ]
    )


def _found(value: str) -> list[tuple]:
    """(target kind, target name, the text its span starts with and ends at, port, namespace)."""
    refs = [r for r in find_references(_folder(value)) if r.source[3] == "client" and r.span is not None]
    return [(r.via, r.target_kind, r.target_name, value[r.span[0] : r.span[1]], r.port, r.host_namespace) for r in refs]


@pytest.mark.parametrize(
    ("value", "host", "port", "namespace"),
    [
        ("kafka-0.kafka-headless:9092", "kafka-0.kafka-headless:9092", 9092, None),
        ("kafka-1.kafka-headless.shop:9093", "kafka-1.kafka-headless.shop:9093", 9093, "shop"),
        ("kafka-1.kafka-headless.shop.svc", "kafka-1.kafka-headless.shop.svc", 9092, "shop"),
        ("kafka-12.kafka-headless.shop.svc.cluster.local:9092", "kafka-12.kafka-headless.shop.svc.cluster.local:9092",
         9092, "shop"),
        ("kafka-0.kafka-headless", "kafka-0.kafka-headless", 9092, None),  # its shape is a host name: no port needed
        ("http://kafka-3.kafka-headless:8080/metrics", "kafka-3.kafka-headless:8080", 8080, None),
        ("0@kafka-0.kafka-headless:9093", "kafka-0.kafka-headless:9093", 9093, None),  # a KRaft voter
        ("nc -z kafka-0.kafka-headless 9092", "kafka-0.kafka-headless", 9092, None),
    ],
)  # fmt: skip
def test_the_finder_reads_a_pod_dns_name_as_its_statefulset_and_governing_service(
    value: str, host: str, port: int, namespace: str | None
) -> None:
    label, _, service = host.partition(".")
    assert _found(value) == [
        ("pod", "StatefulSet", "kafka", host, port, namespace),
        ("pod", "Service", "kafka-headless", host[len(label) + 1 :], port, namespace),
    ]


def test_the_finder_reads_every_pod_of_a_list_and_a_config_file() -> None:
    value = "kafka-0.kafka-headless:9092,kafka-1.kafka-headless.shop.svc.cluster.local:9092"
    assert [f[3] for f in _found(value)] == [
        "kafka-0.kafka-headless:9092",
        "kafka-headless:9092",
        "kafka-1.kafka-headless.shop.svc.cluster.local:9092",
        "kafka-headless.shop.svc.cluster.local:9092",
    ]
    objects = _folder("")
    text = "server.1=zk-0.zk-hs:2888:3888\nserver.2=zk-1.zk-hs.shop.svc:2888:3888\n"
    objects[("", "ConfigMap", "shop", "zk")] = {"kind": "ConfigMap", "data": {"zoo.cfg": text}}
    refs = [r for r in find_references(objects) if r.source[1] == "ConfigMap"]
    assert [(r.target_kind, text[r.span[0] : r.span[1]]) for r in refs] == [
        ("StatefulSet", "zk-0.zk-hs:2888"),
        ("Service", "zk-hs:2888"),
        ("StatefulSet", "zk-1.zk-hs.shop.svc:2888"),
        ("Service", "zk-hs.shop.svc:2888"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "web-0.web:80",  # web is a Deployment: its pods have no such names
        "zk-0.kafka-headless:9092",  # zk is a StatefulSet, but zk-hs governs it
        "kafka-0.zk-hs:2888",  # kafka is a StatefulSet, but not behind zk-hs
        "kafka-x.kafka-headless:9092",  # no ordinal
        "kafka-0.kafka-headless.elsewhere.svc:9092",  # a namespace the folder does not have
        "kafka-0.kafka-headless.shop.example.org:9092",  # not a cluster name
        "$HOSTNAME.kafka-headless",  # built at run time, and no port: a bare word
        "/data/kafka-0.kafka-headless",  # part of a path
        "my-kafka-0.kafka-headless:9092",  # another StatefulSet's name
    ],
)
def test_the_finder_leaves_what_is_not_a_governed_pods_name(value: str) -> None:
    assert _found(value) == []


def test_a_statefulset_in_another_namespace_is_governed_by_that_namespaces_service() -> None:
    objects = dict(
        [
            _service("db", namespace="data"),
            _workload("StatefulSet", "db", namespace="data", serviceName="db"),
            _service("db", namespace="shop"),  # a Service of the same name, governing nothing
            _client("db-0.db.data.svc:5432,db-1.db:5432"),
        ]
    )
    refs = [r for r in find_references(objects) if r.source[3] == "client"]
    assert [(r.via, r.target) for r in refs] == [
        ("pod", ("apps", "StatefulSet", "data", "db")),
        ("pod", ("", "Service", "data", "db")),
    ]  # db-1.db in shop: no StatefulSet db there, and db-1 is no Service


def test_the_meaning_checks_read_a_renamed_pod_name_as_the_same_host() -> None:
    renamed = {
        ("apps", "StatefulSet", "", "kafka"): ("apps", "StatefulSet", "", "rel-kafka"),
        ("", "Service", "", "kafka-headless"): ("", "Service", "", "rel-kafka-headless"),
    }
    assert named_back("rel-kafka-0.rel-kafka-headless:9092,rel-kafka-1.rel-kafka-headless:9092", renamed) == (
        "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092"
    )
    # Only a pod's label: not another object's name that starts alike, nor the Service's.
    assert (
        named_back("my-rel-kafka-0.x rel-kafka-config rel-kafka", renamed)
        == "my-rel-kafka-0.x rel-kafka-config rel-kafka"
    )


# ---------------------------------------------------------------------------------------------
# Under --rules conventions

KAFKA = """\
apiVersion: v1
kind: Service
metadata: {name: kafka-headless, namespace: shop}
spec:
  clusterIP: None
  selector: {app: kafka}
  ports: [{name: broker, port: 9092}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka, namespace: shop}
spec:
  serviceName: kafka-headless
  replicas: 2
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers:
        - name: kafka
          image: example/kafka:3.7
          env:
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: KAFKA_ADVERTISED_LISTENERS
              value: PLAINTEXT://$(POD_NAME).kafka-headless:9092
"""
CLIENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
        - name: client
          image: example/client:1.0
          env:
            - name: BOOTSTRAP_SERVERS
              value: kafka-0.kafka-headless:9092,kafka-1.kafka-headless.shop.svc.cluster.local:9092
            - name: SPARE_BROKER
              value: kafka-5.kafka-headless:9092
          args: ["--zk", "http://zk-2.zk-hs:8080/commands", "--web", "web-0.web:80"]
"""
ZOOKEEPER = """\
apiVersion: v1
kind: Service
metadata: {name: zk-hs, namespace: shop}
spec:
  clusterIP: None
  selector: {app: zk}
  ports: [{name: peer, port: 2888}, {name: election, port: 3888}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: zk-config, namespace: shop}
data:
  zoo.cfg: |
    dataDir=/data
    server.1=zk-0.zk-hs:2888:3888
    server.2=zk-1.zk-hs.shop.svc:2888:3888
    server.3=zk-2.zk-hs.shop.svc.cluster.local:2888:3888
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: zk, namespace: shop}
spec:
  serviceName: zk-hs
  replicas: 3
  selector: {matchLabels: {app: zk}}
  template:
    metadata: {labels: {app: zk}}
    spec:
      containers:
        - name: zk
          image: example/zk:3.9
          volumeMounts: [{name: config, mountPath: /conf}]
      volumes: [{name: config, configMap: {name: zk-config}}]
"""
WEB = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1.0}]
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: client-creds, namespace: shop}
stringData:
  jaas: "bootstrap=kafka-1.kafka-headless:9092 user=app"
data:
  brokers: {brokers}
"""


def _tree(root: Path, **more: str) -> Path:
    brokers = base64.b64encode(b"kafka-0.kafka-headless:9092").decode()
    files = {
        "kafka.yaml": KAFKA,
        "client.yaml": CLIENT,
        "zookeeper.yaml": ZOOKEEPER,
        "web.yaml": WEB,
        "secret.yaml": SECRET.replace("{brokers}", brokers),
    }
    return write_tree(root, {**files, **more})


def _env(objects: dict, ident: tuple) -> dict:
    container = objects[ident]["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


@pytest.fixture(scope="module")
def conventions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The tree converted with --rules conventions once, with what convert printed."""
    root = tmp_path_factory.mktemp("sts-dns")
    src = _tree(root / "src")
    result = run("convert", src, root / "chart", "--rules", "conventions", "--chart-name", "c")
    assert result.exit_code == 0, result.stderr
    return src, root / "chart", result.stderr


def test_conventions_follow_pod_dns_names_and_verify(conventions: tuple[Path, Path, str]) -> None:
    src, chart, _ = conventions
    assert run("verify", chart, src, "-q").exit_code == 0
    objects = render_objects(chart, release="rel", namespace="shop")
    env = _env(objects, ("apps", "Deployment", "shop", "rel-client"))
    assert env["BOOTSTRAP_SERVERS"] == (
        "rel-kafka-0.rel-kafka-headless:9092,rel-kafka-1.rel-kafka-headless.shop.svc.cluster.local:9092"
    )
    # An ordinal beyond spec.replicas is the StatefulSet's pod all the same (replicas is a knob).
    assert env["SPARE_BROKER"] == "rel-kafka-5.rel-kafka-headless:9092"
    args = objects[("apps", "Deployment", "shop", "rel-client")]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--zk", "http://rel-zk-2.rel-zk-hs:8080/commands", "--web", "web-0.web:80"]
    config = objects[("", "ConfigMap", "shop", "rel-zk-config")]["data"]["zoo.cfg"]
    assert config == (
        "dataDir=/data\nserver.1=rel-zk-0.rel-zk-hs:2888:3888\nserver.2=rel-zk-1.rel-zk-hs.shop.svc:2888:3888\n"
        "server.3=rel-zk-2.rel-zk-hs.shop.svc.cluster.local:2888:3888\n"
    )
    secret = objects[("", "Secret", "shop", "rel-client-creds")]
    assert base64.b64decode(secret["data"]["brokers"]) == b"rel-kafka-0.rel-kafka-headless:9092"
    assert secret["stringData"]["jaas"] == "bootstrap=rel-kafka-1.rel-kafka-headless:9092 user=app"
    # The broker's own listener: its pod's name is filled in at run time, the Service's follows.
    kafka = _env(objects, ("apps", "StatefulSet", "shop", "rel-kafka"))
    assert kafka["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://$(POD_NAME).rel-kafka-headless:9092"


def test_the_pod_names_follow_the_release_namespace(conventions: tuple[Path, Path, str]) -> None:
    _, chart, _ = conventions
    objects = render_objects(chart, release="rel", namespace="other")
    env = _env(objects, ("apps", "Deployment", "other", "rel-client"))
    assert env["BOOTSTRAP_SERVERS"] == (
        "rel-kafka-0.rel-kafka-headless:9092,rel-kafka-1.rel-kafka-headless.other.svc.cluster.local:9092"
    )
    config = objects[("", "ConfigMap", "other", "rel-zk-config")]["data"]["zoo.cfg"]
    assert "server.2=rel-zk-1.rel-zk-hs.other.svc:2888:3888" in config and ".shop." not in config


def test_the_report_declares_each_pod_name_it_changes(conventions: tuple[Path, Path, str]) -> None:
    _, chart, stderr = conventions
    data = json.loads((chart / "helmify-report.json").read_text())
    changes = {(r["kind"], r["name"]): r.get("changes", []) for r in data["resources"]}
    client = {c["path"]: c.get("value") for c in changes[("Deployment", "client")]}
    assert client["/spec/template/spec/containers/0/env/0/value"] == (
        "release-kafka-0.release-kafka-headless:9092,release-kafka-1.release-kafka-headless.shop.svc.cluster.local:9092"
    )
    assert client["/spec/template/spec/containers/0/args/1"] == "http://release-zk-2.release-zk-hs:8080/commands"
    assert "/spec/template/spec/containers/0/args/3" not in client  # web-0.web stays
    zk = {c["path"]: c.get("value") for c in changes[("ConfigMap", "zk-config")]}
    assert "server.1=release-zk-0.release-zk-hs:2888:3888" in zk["/data/zoo.cfg"]
    # What is left is said once each: the pod DNS names that are followed are not.
    assert "DNS name of a pod" not in stderr.replace("'web-0.web' looks like the DNS name of a pod", "")
    assert (
        "Deployment client /spec/template/spec/containers/0/args/3: 'web-0.web' looks like the DNS name of a pod "
        "behind Service 'web', which the release renames, but 'web-0' is not a pod of a StatefulSet that Service "
        "governs; left as it is"
    ) in stderr


def test_a_pod_name_of_a_deployment_stays_as_it_is(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": WEB,
            "client.yaml": CLIENT.replace(CLIENT.split("value: ")[1].split("\n")[0], "web-0.web:80")
            .replace("kafka-5.kafka-headless:9092", "x")
            .replace('"--zk", "http://zk-2.zk-hs:8080/commands", ', ""),
        },
    )  # fmt: skip
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert run("verify", tmp_path / "chart", src, "-q").exit_code == 0
    objects = render_objects(tmp_path / "chart", release="rel", namespace="shop")
    client = objects[("apps", "Deployment", "shop", "rel-client")]["spec"]["template"]["spec"]["containers"][0]
    assert _env(objects, ("apps", "Deployment", "shop", "rel-client"))["BOOTSTRAP_SERVERS"] == "web-0.web:80"
    assert client["args"] == ["--web", "web-0.web:80"]
    assert "'web-0.web' looks like the DNS name of a pod behind Service 'web'" in result.stderr


@pytest.mark.parametrize(
    ("kinds", "servers", "zookeeper"),
    [
        ("[Service]", "kafka-0.rel-kafka-headless:9092", "server.1=zk-0.rel-zk-hs:2888:3888"),
        ("[StatefulSet]", "rel-kafka-0.kafka-headless:9092", "server.1=rel-zk-0.zk-hs:2888:3888"),
    ],
)
def test_where_a_rule_keeps_one_name_only_the_other_part_follows(
    kinds: str, servers: str, zookeeper: str, tmp_path: Path
) -> None:
    src = _tree(tmp_path / "src")
    rules = write_tree(
        tmp_path / "rules",
        {
            "names.yaml": "extends: [default]\nrules:\n  - id: names\n    description: Some names only.\n"
            f"    refactor: release-names\n    match: {{kinds: {kinds}}}\n"
        },
    )
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", rules / "names.yaml")
    assert run("verify", chart, src, "-q").exit_code == 0
    objects = render_objects(chart, release="rel", namespace="shop")
    client = next(i for i in objects if i[1] == "Deployment" and i[3].endswith("client"))
    assert _env(objects, client)["BOOTSTRAP_SERVERS"].startswith(servers + ",")
    config = next(o for i, o in objects.items() if i[1] == "ConfigMap")
    assert zookeeper in config["data"]["zoo.cfg"]


def test_a_pod_name_built_at_run_time_is_left_with_a_warning(tmp_path: Path) -> None:
    # The shell fills in $HOSTNAME: the finder reads it as a variable and the Service after it as
    # part of that word, so the name is not followed, and convert says so.
    client = CLIENT.replace(
        '["--zk", "http://zk-2.zk-hs:8080/commands", "--web", "web-0.web:80"]',
        '["sh", "-c", "echo $HOSTNAME.kafka-headless:9092"]',
    )
    src = _tree(tmp_path / "src", **{"client.yaml": client})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert (
        "Deployment client /spec/template/spec/containers/0/args/2: '$HOSTNAME.kafka-headless' is a host name "
        "built at run time in front of a Service the release renames; left as it is"
    ) in result.stderr
    objects = render_objects(tmp_path / "chart", release="rel", namespace="shop")
    args = objects[("apps", "Deployment", "shop", "rel-client")]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["sh", "-c", "echo $HOSTNAME.kafka-headless:9092"]


def test_the_flts_fixtures_have_no_pod_dns_names_to_follow() -> None:
    # Why their conventions output is unchanged: no StatefulSet, so no pod names to follow.
    from helmify_flts import render
    from helmify_flts.manifests import load_folder

    objects = render.source_objects(load_folder(ROOT / "fixtures" / ".kubernetes"))
    assert not any(r.via == "pod" for r in find_references(objects))


def test_a_services_own_pattern_does_not_take_the_end_of_a_pod_name(tmp_path: Path) -> None:
    # `.kafka-headless:9092,` after $(POD_NAME) is the Service's name as a host; the same text ends
    # the pod's name after it. Renaming the Service's there first would leave the pod's half done.
    value = "$(POD_NAME).kafka-headless:9092,kafka-0.kafka-headless:9092,spare"
    src = _tree(tmp_path / "src", **{"client.yaml": CLIENT.replace("kafka-5.kafka-headless:9092", value)})
    convert_ok(src, tmp_path / "chart", "--rules", "conventions")
    objects = render_objects(tmp_path / "chart", release="rel", namespace="shop")
    assert _env(objects, ("apps", "Deployment", "shop", "rel-client"))["SPARE_BROKER"] == (
        "$(POD_NAME).rel-kafka-headless:9092,rel-kafka-0.rel-kafka-headless:9092,spare"
    )


def test_a_config_files_pod_name_that_is_not_followed_is_warned_of(tmp_path: Path) -> None:
    zookeeper = ZOOKEEPER.replace("    dataDir=/data\n", "    dataDir=/data\n    server.9=web-0.web:2888:3888\n")
    src = _tree(tmp_path / "src", **{"zookeeper.yaml": zookeeper})
    result = run("convert", src, tmp_path / "chart", "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "ConfigMap zk-config /data/zoo.cfg: 'web-0.web' looks like the DNS name of a pod" in result.stderr
    assert "zk-0.zk-hs" not in result.stderr  # followed, so not listed
    config = render_objects(tmp_path / "chart", release="rel", namespace="shop")[
        ("", "ConfigMap", "shop", "rel-zk-config")
    ]
    assert "server.9=web-0.web:2888:3888\nserver.1=rel-zk-0.rel-zk-hs:2888:3888\n" in config["data"]["zoo.cfg"]
