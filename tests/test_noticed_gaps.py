"""Gaps noticed in earlier work: the prod Kafka brokers' identities, host names inside Secrets.

Each test converts what a user would convert and checks what they would run or read.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, render_objects, run, write_tree

from helmify_flts import graph

# --------------------------------------------------------------------------- prod Kafka brokers

ENTRYPOINT = "exec /opt/bitnami/scripts/kafka/entrypoint.sh /opt/bitnami/scripts/kafka/run.sh"
REPORT = 'echo "$KAFKA_CFG_NODE_ID|$KAFKA_CFG_CONTROLLER_QUORUM_VOTERS|$KAFKA_CFG_ADVERTISED_LISTENERS"'


@pytest.fixture(scope="module")
def flts_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's quick start with the Helm conventions: FLTS, dev and prod, release-aware names."""
    out = tmp_path_factory.mktemp("flts") / ".helm"
    result = run(
        "convert",
        FIXTURES / ".kubernetes",
        out,
        "--chart-name",
        "flts",
        "--rules",
        "conventions",
        "--rules",
        "flts-production",
        "--env",
        f"dev={FIXTURES / 'environments' / 'dev'}",
        "--env",
        f"prod={FIXTURES / 'environments' / 'prod'}",
    )
    assert result.exit_code == 0, result.stderr  # convert proves every environment
    return out


def _start(container: dict, pod: str) -> tuple[str, str, str]:
    """What the broker's start script sets up in pod ``pod``: node id, voters, advertised listener."""
    command = container.get("command") or []
    assert command[:2] == ["/bin/bash", "-ec"], command
    script = command[2]
    assert script.rstrip().endswith(ENTRYPOINT), script  # the image's own entrypoint runs the broker
    done = subprocess.run(
        ["/bin/bash", "-ec", script.replace(ENTRYPOINT, REPORT)],
        env={"POD_NAME": pod, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    node, voters, advertised = done.stdout.strip().split("|")
    return node, voters, advertised


@pytest.mark.parametrize("release", ["flts", "staging"])
def test_prod_kafka_brokers_get_distinct_node_ids(flts_chart: Path, release: str) -> None:
    values = yaml.safe_load((flts_chart / "values-prod.yaml").read_text(encoding="utf-8"))
    objects = render_objects(flts_chart, release, "flts", values)
    (sts,) = [o for (_, kind, _, name), o in objects.items() if kind == "StatefulSet" and name.endswith("kafka")]
    name, replicas = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert replicas == 3
    services = {n for (_, kind, _, n) in objects if kind == "Service"}
    assert sts["spec"]["serviceName"] in services
    (container,) = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "kafka"]
    env = {e["name"]: e for e in container.get("env") or []}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    started = [_start(container, f"{name}-{i}") for i in range(replicas)]
    assert [node for node, _, _ in started] == ["0", "1", "2"]
    headless = sts["spec"]["serviceName"]
    expected_voters = ",".join(f"{i}@{name}-{i}.{headless}:9093" for i in range(replicas))
    assert {voters for _, voters, _ in started} == {expected_voters}  # one quorum, every node in it
    assert [a for _, _, a in started] == [f"PLAINTEXT://{name}-{i}.{headless}:9092" for i in range(replicas)]
    # The ConfigMap the env moved into no longer pins every broker to node 0.
    config = [o for (_, kind, _, n), o in objects.items() if kind == "ConfigMap" and n.endswith("kafka-env")]
    assert config and all("KAFKA_CFG_NODE_ID" not in (c.get("data") or {}) for c in config)


def test_a_broker_outside_a_statefulset_stops_with_a_reason(flts_chart: Path) -> None:
    values = yaml.safe_load((flts_chart / "values-prod.yaml").read_text(encoding="utf-8"))
    objects = render_objects(flts_chart, "flts", "flts", values)
    (sts,) = [o for (_, kind, _, name), o in objects.items() if kind == "StatefulSet" and name.endswith("kafka")]
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _start(container, "kafka-7d9c5b6f4-x2x8q")  # a Deployment's pod: no ordinal
    assert "run the brokers as a StatefulSet" in failed.value.stderr


# --------------------------------------------------------------------------- host names in Secrets

SHOP = {
    "db.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres, labels: {app: postgres}}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers: [{name: postgres, image: "postgres:16", ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec:
  selector: {app: postgres}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, labels: {app: redis}}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers: [{name: redis, image: "redis:7", ports: [{containerPort: 6379}]}]
---
apiVersion: v1
kind: Service
metadata: {name: redis}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
""",
    "api.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/shop/api:2.1
          env:
            - name: DATABASE_URL
              valueFrom: {secretKeyRef: {name: api-db, key: DATABASE_URL}}
          envFrom: [{secretRef: {name: api-cache}}]
---
apiVersion: v1
kind: Secret
metadata: {name: api-db}
type: Opaque
stringData:
  DATABASE_URL: postgresql://shop:Pg-Pw-4711@postgres:5432/shop?sslmode=disable
  NOTE: postgres is the database
---
apiVersion: v1
kind: Secret
metadata: {name: api-cache}
type: Opaque
data:
  # redis://:Redis-Pw-4711@redis:6379/0 and a value that is no text
  REDIS_URL: cmVkaXM6Ly86UmVkaXMtUHctNDcxMUByZWRpczo2Mzc5LzA=
  BLOB: /w==
""",
}
PASSWORDS = ("Pg-Pw-4711", "Redis-Pw-4711")


@pytest.fixture(scope="module")
def shop_chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("shop")
    src = write_tree(root / "src", SHOP)
    out = root / "chart"
    result = run("convert", src, out, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr  # convert proves the declared renames
    return out, result.stdout + result.stderr


@pytest.mark.parametrize("release", ["shop", "canary"])
def test_release_names_rename_hosts_inside_source_secrets(shop_chart: tuple[Path, str], release: str) -> None:
    chart, _ = shop_chart
    objects = render_objects(chart, release, "default")
    secrets = {name: o for (_, kind, _, name), o in objects.items() if kind == "Secret"}
    db = secrets[f"{release}-api-db"]["stringData"]
    assert db["DATABASE_URL"] == f"postgresql://shop:Pg-Pw-4711@{release}-postgres:5432/shop?sslmode=disable"
    assert db["NOTE"] == "postgres is the database"  # a bare word is no host name
    cache = secrets[f"{release}-api-cache"]["data"]
    assert base64.b64decode(cache["REDIS_URL"]).decode() == f"redis://:Redis-Pw-4711@{release}-redis:6379/0"
    assert cache["BLOB"] == "/w=="
    services = {name for (_, kind, _, name) in objects if kind == "Service"}
    assert {f"{release}-postgres", f"{release}-redis"} <= services


def test_hosts_in_secrets_show_no_secret_value(shop_chart: tuple[Path, str]) -> None:
    chart, printed = shop_chart
    readable = [printed] + [
        (chart / f).read_text(encoding="utf-8") for f in ("helmify-report.md", "helmify-report.json")
    ]
    renamed = base64.b64encode(b"redis://:Redis-Pw-4711@release-redis:6379/0").decode()
    for text in readable:
        for secret in (*PASSWORDS, renamed, "cmVkaXM6Ly86UmVkaXMtUHct"):
            assert secret not in text
    assert "~ stringData.DATABASE_URL" in readable[1] and '~ data.REDIS_URL: "<redacted>"' in readable[1]
    assert "/stringData/DATABASE_URL" in readable[2] and "/data/REDIS_URL" in readable[2]  # declared, values hidden


def test_the_graph_joins_a_secret_to_its_readers() -> None:
    objects = {}
    for text in SHOP.values():
        for doc in yaml.safe_load_all(text):
            objects[("" if "/" not in doc["apiVersion"] else "apps", doc["kind"], "", doc["metadata"]["name"])] = doc
    edges = {(e.source.name, e.target.name, e.kind) for e in graph.build(objects).edges}
    assert {("api", "postgres", "service"), ("api", "redis", "service")} <= edges
    assert not [e for e in graph.build(objects).edges if e.source.kind == "Secret"]


def test_release_namespace_reaches_hosts_inside_secrets(tmp_path: Path) -> None:
    shop = {
        name: text.replace("metadata: {name: ", "metadata: {namespace: shop, name: ") for name, text in SHOP.items()
    }
    shop["api.yaml"] = shop["api.yaml"].replace("@postgres:5432", "@postgres.shop.svc.cluster.local:5432")
    dsn = "redis://:Redis-Pw-4711@redis.shop.svc:6379/0"
    shop["api.yaml"] = shop["api.yaml"].replace(
        "cmVkaXM6Ly86UmVkaXMtUHctNDcxMUByZWRpczo2Mzc5LzA=", base64.b64encode(dsn.encode()).decode()
    )
    src, out = write_tree(tmp_path / "src", shop), tmp_path / "chart"
    assert run("convert", src, out, "--rules", "conventions").exit_code == 0
    objects = render_objects(out, "rel", "other")
    secrets = {name: o for (_, kind, _, name), o in objects.items() if kind == "Secret"}
    db = secrets["rel-api-db"]["stringData"]["DATABASE_URL"]
    assert db == "postgresql://shop:Pg-Pw-4711@rel-postgres.other.svc.cluster.local:5432/shop?sslmode=disable"
    cache = base64.b64decode(secrets["rel-api-cache"]["data"]["REDIS_URL"]).decode()
    assert cache == "redis://:Redis-Pw-4711@rel-redis.other.svc:6379/0"


# --------------------------------------------------------------------------- release-aware extras

EXTRAS_ON = {
    "networkPolicies": {"enabled": True},
    "serviceMonitors": {"enabled": True},
    "podDisruptionBudgets": {"enabled": True},
}
EXTRA_KINDS = ("NetworkPolicy", "ServiceMonitor", "PodDisruptionBudget")


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


@pytest.mark.parametrize(
    "packs", [("conventions", "flts-production"), ("flts-production", "conventions")], ids="+".join
)
def test_production_extras_of_two_releases_stay_apart(tmp_path: Path, packs: tuple) -> None:
    out = tmp_path / "flts"
    args = ("--chart-name", "flts", "--rules", packs[0], "--rules", packs[1])
    assert run("convert", FIXTURES / ".kubernetes", out, *args).exit_code == 0
    one, two = (render_objects(out, release, "shared", EXTRAS_ON) for release in ("one", "two"))
    assert not {(i[1], i[3]) for i in one} & {(i[1], i[3]) for i in two}  # no object of one is also two's
    pods = {
        release: [
            o["spec"]["template"]["metadata"]["labels"] for i, o in objects.items() if "template" in o.get("spec", {})
        ]
        for release, objects in (("one", one), ("two", two))
    }
    for release, objects in (("one", one), ("two", two)):
        other = pods["two" if release == "one" else "one"]
        extras = {i: o for i, o in objects.items() if i[1] in EXTRA_KINDS}
        assert {i[1] for i in extras} == set(EXTRA_KINDS)
        for (_, kind, namespace, name), obj in extras.items():
            assert namespace == "shared" and name.startswith(f"{release}-"), (kind, name)
            spec = obj["spec"]
            selectors = [spec.get("selector"), spec.get("podSelector")]
            selectors += [
                p["podSelector"] for r in spec.get("ingress") or [] for p in r.get("from") or [] if "podSelector" in p
            ]
            for selector in [s for s in selectors if s]:  # the default deny's {} selects the whole namespace
                if kind != "ServiceMonitor":
                    assert not [labels for labels in other if _selects(selector, labels)], (kind, name, selector)
                    assert [labels for labels in pods[release] if _selects(selector, labels)], (kind, name, selector)
                assert selector["matchLabels"]["app.kubernetes.io/instance"] == release
            if kind == "ServiceMonitor":
                assert spec["namespaceSelector"] == {"matchNames": ["shared"]}


WORKERS = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 2
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: "busybox:1.36", env: [{name: WEB, value: "http://web:80"}]}]
"""


def test_extras_select_by_instance_only_pods_that_carry_it(tmp_path: Path) -> None:
    """release-names alone labels only the pods a Service selects: the worker's budget keeps its
    selector, which would otherwise select nothing."""
    src = write_tree(tmp_path / "src", {"app.yaml": WORKERS})
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "extends: [default]\nrules:\n"
        + "".join(
            f"  - id: r-{name}\n    description: test\n    refactor: {name}\n"
            for name in ("pod-disruption-budgets", "release-names")
        )
    )
    out = tmp_path / "chart"
    assert run("convert", src, out, "--rules", rules).exit_code == 0
    objects = render_objects(out, "one", "default", {"podDisruptionBudgets": {"enabled": True}})
    budgets = {i[3]: o["spec"]["selector"]["matchLabels"] for i, o in objects.items() if i[1] == "PodDisruptionBudget"}
    assert budgets == {
        "one-web-pdb": {"app": "web", "app.kubernetes.io/instance": "one"},
        "one-worker-pdb": {"app": "worker"},
    }
    pods = {i[3]: o["spec"]["template"]["metadata"]["labels"] for i, o in objects.items() if i[1] == "Deployment"}
    assert pods == {"one-web": {"app": "web", "app.kubernetes.io/instance": "one"}, "one-worker": {"app": "worker"}}
