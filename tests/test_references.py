"""The reference finder: which object names which other one, where, and (for host names) how."""

from __future__ import annotations

import time

import pytest

from helmify_flts.references import Reference, find_references


def svc(name: str, *ports: int, namespace: str = "", selector: dict | None = None) -> tuple[tuple, dict]:
    spec: dict = {"ports": [{"port": p} for p in ports]}
    if selector is not None:
        spec["selector"] = selector
    return ("", "Service", namespace, name), {"apiVersion": "v1", "kind": "Service", "spec": spec}


def deploy(name: str, container: dict, *, labels: dict | None = None, pod: dict | None = None) -> tuple[tuple, dict]:
    spec = {"containers": [{"name": name, "image": "x", **container}], **(pod or {})}
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"template": {"metadata": {"labels": labels or {"app": name}}, "spec": spec}},
    }
    return ("apps", "Deployment", "", name), obj


def env(**values: str) -> dict:
    return {"env": [{"name": k, "value": v} for k, v in values.items()]}


def hosts(objects: dict) -> list[tuple[str, str, tuple[int, int] | None, object, str, str | None]]:
    """(target, pointer, span, port, port_from, namespace) of each host-name reference."""
    return [
        (r.target_name, r.pointer, r.span, r.port, r.port_from, r.host_namespace)
        for r in find_references(objects)
        if r.via == "host"
    ]


FOLDER = dict(
    [
        svc("kafka", 9092, 9093),
        svc("mlflow", 5000),
        svc("minio", 9000, 9001),
        svc("postgres", 5432),
        svc("locust-master", 8089, 5557),
        svc("web", 80, 8080),
        (("", "Namespace", "", "flts"), {"kind": "Namespace"}),
    ]
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("kafka:9092", [("kafka", (0, 10), 9092, "explicit", None)]),
        ("http://mlflow:5000", [("mlflow", (7, 18), 5000, "explicit", None)]),
        ("http://web", [("web", (7, 10), 80, "scheme", None)]),
        ("grpc://web/x", [("web", (7, 10), 80, "service", None)]),
        ("postgres.flts.svc.cluster.local", [("postgres", (0, 31), 5432, "service", "flts")]),
        ("postgres.flts.svc:5432", [("postgres", (0, 22), 5432, "explicit", "flts")]),
        ("postgres.flts", [("postgres", (0, 13), 5432, "service", "flts")]),
        ("postgresql://u:p@ss@postgres:5432/db", [("postgres", (20, 33), 5432, "explicit", None)]),
        (
            "kafka:9092,kafka:9093",
            [("kafka", (0, 10), 9092, "explicit", None), ("kafka", (11, 21), 9093, "explicit", None)],
        ),
        ("until nc -z kafka 9092; do sleep 1; done", [("kafka", (12, 17), 9092, "nearby", None)]),
        ("PLAINTEXT://kafka:9092", [("kafka", (12, 22), 9092, "explicit", None)]),
    ],
)
def test_host_names_in_env_values(value: str, expected: list) -> None:
    objects = {**FOLDER, **dict([deploy("app", env(TARGET=value))])}
    found = hosts(objects)
    assert [(t, s, p, pf, ns) for t, _, s, p, pf, ns in found] == expected
    assert all(ptr == "/spec/template/spec/containers/0/env/0/value" for _, ptr, *_ in found)
    for target, _, (start, end), *_ in found:
        assert value[start:end].startswith(target)


@pytest.mark.parametrize(
    "value",
    [
        "kafka.example.com:9092",  # a longer host name that starts with a Service's name
        "my-kafka:9092",  # a longer name that ends with it
        "kafka_broker:9092",
        "inference",  # a bare word that happens to be a Service name elsewhere
        "mlflow",  # bare: a group id, a bucket, a database name
        "s3://mlflow/artifacts",  # the bucket of an S3 URL
        "flts/mlflow",  # a path
        "postgresql://mlflow:secret@db:5432/mlflow",  # mlflow is the user and the database here
        "mlflow:secret",  # user:password, not host:port
        "postgresql://kafka:9092@db/x",  # the user name of a URL, however it looks
        "postgres.other.svc",  # a namespace the folder does not have
        "kafka.yml",
        "$(kafka):9092",
        "KAFKA:9092",  # names of Services are lower case; this is an env var's spelling
        "nc -z kafka 1234",  # not one of the Service's ports
    ],
)
def test_no_false_host_names(value: str) -> None:
    objects = {**FOLDER, **dict([deploy("app", env(GROUP=value))])}
    assert hosts(objects) == []


def test_bare_host_in_host_like_flag_or_env_var() -> None:
    args = ["--master-host", "locust-master", "--master-port", "5557", "--name", "kafka"]
    objects = {**FOLDER, **dict([deploy("app", {"args": args, **env(DB_HOST="postgres", GROUP_ID="kafka")})])}
    found = hosts(objects)
    assert found == [
        ("locust-master", "/spec/template/spec/containers/0/args/1", (0, 13), 5557, "nearby", None),
        ("postgres", "/spec/template/spec/containers/0/env/0/value", (0, 8), 5432, "service", None),
    ]


def test_command_and_config_map_data() -> None:
    cm = {"kind": "ConfigMap", "data": {"prometheus.yml": 'targets: ["minio:9000"]\n# kafka is down\n', "n": 3}}
    objects = {
        **FOLDER,
        ("", "ConfigMap", "", "prom"): cm,
        **dict([deploy("app", {"command": ["sh", "-c", "until nc -z minio 9000; do :; done"]})]),
    }
    found = hosts(objects)
    assert found == [
        ("minio", "/data/prometheus.yml", (11, 21), 9000, "explicit", None),
        ("minio", "/spec/template/spec/containers/0/command/2", (12, 17), 9000, "nearby", None),
    ]


def test_hosts_only_for_services_of_the_folder() -> None:
    objects = dict([deploy("app", env(A="kafka:9092", B="http://mlflow:5000"))])
    assert find_references(objects) == []


def test_service_in_another_namespace() -> None:
    objects = {
        **dict([svc("db", 5432, namespace="data"), svc("db", 5433, namespace="other")]),
        ("apps", "Deployment", "app", "api"): deploy("api", env(A="db.data.svc.cluster.local", B="db:5432"))[1],
    }
    found = [(r.target, r.host_namespace, r.port) for r in find_references(objects)]
    assert found == [(("", "Service", "data", "db"), "data", 5432)]


def test_structured_references_of_a_pod_spec() -> None:
    pod = {
        "serviceAccountName": "runner",
        "imagePullSecrets": [{"name": "registry"}],
        "volumes": [
            {"name": "a", "configMap": {"name": "cfg"}},
            {"name": "b", "secret": {"secretName": "tls"}},
            {"name": "c", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "d", "projected": {"sources": [{"configMap": {"name": "p-cfg"}}, {"secret": {"name": "p-sec"}}]}},
            {"name": "e", "emptyDir": {}},
        ],
        "initContainers": [{"name": "i", "image": "x", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
    }
    container = {
        "envFrom": [{"configMapRef": {"name": "app-env"}}],
        "env": [
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}},
            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "b"}}},
            {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
    }
    objects = dict([deploy("app", container, pod=pod)])
    objects[("", "ConfigMap", "", "cfg")] = {"kind": "ConfigMap"}
    got = [(r.pointer, r.target_kind, r.target_name, r.via, r.target) for r in find_references(objects)]
    base = "/spec/template/spec"
    assert got == [
        (
            f"{base}/containers/0/env/0/valueFrom/configMapKeyRef/name",
            "ConfigMap",
            "cfg",
            "env",
            ("", "ConfigMap", "", "cfg"),
        ),
        (f"{base}/containers/0/env/1/valueFrom/secretKeyRef/name", "Secret", "creds", "env", None),
        (f"{base}/containers/0/envFrom/0/configMapRef/name", "ConfigMap", "app-env", "envFrom", None),
        (f"{base}/imagePullSecrets/0/name", "Secret", "registry", "imagePullSecrets", None),
        (f"{base}/initContainers/0/envFrom/0/secretRef/name", "Secret", "init-env", "envFrom", None),
        (f"{base}/serviceAccountName", "ServiceAccount", "runner", "serviceAccountName", None),
        (f"{base}/volumes/0/configMap/name", "ConfigMap", "cfg", "volume", ("", "ConfigMap", "", "cfg")),
        (f"{base}/volumes/1/secret/secretName", "Secret", "tls", "volume", None),
        (f"{base}/volumes/2/persistentVolumeClaim/claimName", "PersistentVolumeClaim", "data", "volume", None),
        (f"{base}/volumes/3/projected/sources/0/configMap/name", "ConfigMap", "p-cfg", "volume", None),
        (f"{base}/volumes/3/projected/sources/1/secret/name", "Secret", "p-sec", "volume", None),
    ]


def test_cronjob_pod_spec_and_statefulset_service_name() -> None:
    cron = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "cron"}}}}},
    }
    sts = {"kind": "StatefulSet", "spec": {"serviceName": "db-headless", "template": {"spec": {}}}}
    objects = {("batch", "CronJob", "", "c"): cron, ("apps", "StatefulSet", "", "db"): sts}
    got = [(r.source[3], r.pointer, r.target_kind, r.target_name) for r in find_references(objects)]
    assert got == [  # sorted by source identity: group "apps" before "batch"
        ("db", "/spec/serviceName", "Service", "db-headless"),
        ("c", "/spec/jobTemplate/spec/template/spec/serviceAccountName", "ServiceAccount", "cron"),
    ]


def test_rbac_hpa_pdb_ingress_and_selectors() -> None:
    web = deploy("web", {}, labels={"app": "web", "tier": "front"})
    other = deploy("other", {}, labels={"app": "other"})
    objects = {
        **dict([web, other, svc("web", 80, selector={"app": "web"}), svc("external", 80)]),
        ("rbac.authorization.k8s.io", "RoleBinding", "", "rb"): {
            "kind": "RoleBinding",
            "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ops"}, {"kind": "User", "name": "bob"}],
            "roleRef": {"kind": "ClusterRole", "name": "view"},
        },
        ("autoscaling", "HorizontalPodAutoscaler", "", "h"): {
            "kind": "HorizontalPodAutoscaler",
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}},
        },
        ("policy", "PodDisruptionBudget", "", "p"): {
            "kind": "PodDisruptionBudget",
            "spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}},
        },
        ("networking.k8s.io", "Ingress", "", "i"): {
            "kind": "Ingress",
            "spec": {
                "defaultBackend": {"service": {"name": "external", "port": {"name": "http"}}},
                "rules": [{"http": {"paths": [{"backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
                "tls": [{"secretName": "web-tls"}],
            },
        },
    }
    got = [(r.source[3], r.pointer, r.target_kind, r.target_name, r.port) for r in find_references(objects)]
    assert got == [
        ("web", "/spec/selector", "Deployment", "web", None),
        ("h", "/spec/scaleTargetRef/name", "Deployment", "web", None),
        ("i", "/spec/defaultBackend/service/name", "Service", "external", "http"),
        ("i", "/spec/rules/0/http/paths/0/backend/service/name", "Service", "web", 80),
        ("i", "/spec/tls/0/secretName", "Secret", "web-tls", None),
        ("p", "/spec/selector", "Deployment", "web", None),
        ("rb", "/roleRef/name", "ClusterRole", "view", None),
        ("rb", "/subjects/0/name", "ServiceAccount", "sa", None),
    ]


def test_empty_selector_selects_nothing_and_odd_shapes_are_ignored() -> None:
    objects = {
        **dict([deploy("web", {}), svc("web", 80, selector={})]),
        ("apps", "Deployment", "", "bad"): {"kind": "Deployment", "spec": {"template": {"spec": {"volumes": "x"}}}},
        ("", "ConfigMap", "", "n"): {"kind": "ConfigMap", "data": None},
        ("policy", "PodDisruptionBudget", "", "p"): {"kind": "PodDisruptionBudget", "spec": {"selector": [1]}},
    }
    assert find_references(objects) == []


def test_reference_is_frozen_and_sorted_deterministically() -> None:
    objects = {**FOLDER, **dict([deploy("b", env(X="kafka:9092")), deploy("a", env(X="minio:9000"))])}
    first = find_references(objects)
    assert first == find_references(dict(reversed(list(objects.items()))))
    assert [r.source[3] for r in first] == ["a", "b"]
    with pytest.raises(AttributeError):
        first[0].port = 1  # type: ignore[misc]
    assert isinstance(first[0], Reference)


def test_linear_on_long_text() -> None:
    text = "a" * 200_000 + "://" + "b-" * 100_000 + " kafka" * 20_000 + ":" * 50_000 + " http://x" * 20_000
    objects = {**FOLDER, ("", "ConfigMap", "", "big"): {"kind": "ConfigMap", "data": {"x": text}}}
    began = time.monotonic()
    find_references(objects)
    assert time.monotonic() - began < 5


def _long_config(value: str) -> dict:
    filler = "".join(f'"panel{i}": {{"expr": "rate(http_requests_total[5m])", "title": "p{i}"}},\n' for i in range(200))
    return {("", "ConfigMap", "", "dash"): {"kind": "ConfigMap", "data": {"d.json": filler + value + filler}}}


@pytest.mark.parametrize(
    "value, expected",
    [
        ('"url": "http://mlflow:5000"', ["mlflow"]),
        ('"bootstrap": "kafka:9092,minio:9000"', ["kafka", "minio"]),
        ('"host": "postgres.flts.svc"', ["postgres"]),
        ('"note": "nothing here"', []),
    ],
)
def test_long_texts_find_the_same_hosts_as_short_ones(value: str, expected: list) -> None:
    found = [t for t, *_ in hosts({**FOLDER, **_long_config(value)})]
    assert len(next(iter(_long_config(value).values()))["data"]["d.json"]) > 4096
    assert found == expected
    short = {**FOLDER, ("", "ConfigMap", "", "dash"): {"kind": "ConfigMap", "data": {"d.json": value}}}
    assert found == [t for t, *_ in hosts(short)]


def test_a_long_text_naming_no_service_is_not_read_token_by_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import references

    calls: list[int] = []
    real = references._host_at

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(references, "_host_at", counting)
    hosts({**FOLDER, **_long_config('"note": "nothing here"')})
    assert calls == []
    hosts({**FOLDER, **_long_config('"url": "kafka:9092"')})
    assert len(calls) == 1  # only the token that names a Service is looked at
