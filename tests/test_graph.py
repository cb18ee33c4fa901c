"""The dependency graph: nodes and edges in helmify-report.json, a Mermaid flowchart in the Markdown.

The expected FLTS edges below were read off the manifests in fixtures/.kubernetes by hand: each
one names the field that implies it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, convert_ok, write_tree

from helmify_flts import graph
from helmify_flts.graph import build, mermaid, mermaid_label

BASE = FIXTURES / ".kubernetes"

D = "Deployment/"
TALKS = [  # (caller, callee, Service:port) -- who talks to whom
    (D + "eda", D + "fastapi-app", "fastapi-app:8000"),  # GATEWAY_URL
    (D + "eval", D + "fastapi-app", "fastapi-app:8000"),  # GATEWAY_URL
    (D + "eval", D + "kafka", "kafka:9092"),  # KAFKA_BOOTSTRAP_SERVERS
    (D + "eval", D + "minio", "minio:9000"),  # MLFLOW_S3_ENDPOINT_URL
    (D + "eval", D + "mlflow", "mlflow:5000"),  # MLFLOW_TRACKING_URI
    (D + "fastapi-app", D + "minio", "minio:9000"),  # MINIO_ENDPOINT
    (D + "grafana", D + "postgres", "postgres:5432"),  # grafana-datasources: MLflow-Postgres url
    (D + "grafana", D + "prometheus", "prometheus:9090"),  # grafana-datasources: Prometheus url
    (D + "inference", D + "fastapi-app", "fastapi-app:8000"),
    (D + "inference", D + "kafka", "kafka:9092"),  # env, and the wait-for-kafka init container
    (D + "inference", D + "minio", "minio:9000"),
    (D + "inference", D + "mlflow", "mlflow:5000"),
    (D + "inference-lb", D + "inference", "inference-headless:8000"),  # haproxy.cfg server-template
    (D + "locust-master", D + "inference-lb", "inference-lb:80"),  # --host http://inference-lb
    (D + "locust-worker", D + "locust-master", "locust-master:5557"),  # --master-host, wait-for-master
    (D + "mlflow", D + "minio", "minio:9000"),
    (D + "mlflow", D + "postgres", "postgres:5432"),  # MLFLOW_BACKEND_STORE_URI
    (D + "nonml-prophet", D + "fastapi-app", "fastapi-app:8000"),
    (D + "nonml-prophet", D + "kafka", "kafka:9092"),
    (D + "nonml-prophet", D + "minio", "minio:9000"),
    (D + "nonml-prophet", D + "mlflow", "mlflow:5000"),
    (D + "prometheus", D + "minio", "minio:9000"),  # prometheus.yml static target
    (D + "train-gru", D + "fastapi-app", "fastapi-app:8000"),
    (D + "train-gru", D + "kafka", "kafka:9092"),
    (D + "train-gru", D + "minio", "minio:9000"),
    (D + "train-gru", D + "mlflow", "mlflow:5000"),
    (D + "train-lstm", D + "fastapi-app", "fastapi-app:8000"),
    (D + "train-lstm", D + "kafka", "kafka:9092"),
    (D + "train-lstm", D + "minio", "minio:9000"),
    (D + "train-lstm", D + "mlflow", "mlflow:5000"),
    ("Ingress/flts/flts-ingress", D + "fastapi-app", "fastapi-app:8000"),
    ("Ingress/flts/flts-ingress", D + "grafana", "grafana:3000"),
    ("Ingress/flts/flts-ingress", D + "inference-lb", "inference-lb:http"),
    ("Ingress/flts/flts-ingress", D + "mlflow", "mlflow:5000"),
    ("Job/minio-init", D + "minio", "minio:9000"),  # mc alias set flts http://minio:9000
    ("Job/preprocess", D + "fastapi-app", "fastapi-app:8000"),
    ("Job/preprocess", D + "kafka", "kafka:9092"),  # env, and wait-for-kafka
    ("Job/preprocess", D + "minio", "minio:9000"),  # wait-for-minio
]
SCRAPES = [  # prometheus.yml discovers pods annotated prometheus.io/scrape
    (D + "prometheus", D + "inference", "scrape:8000"),
    (D + "prometheus", D + "inference-lb", "scrape:8404"),
]
MINIO_READERS = ["eval", "fastapi-app", "inference", "minio", "nonml-prophet", "train-gru", "train-lstm"]
READS = sorted(
    [(D + w, "Secret/minio-credentials", "secret") for w in MINIO_READERS]
    + [("Job/minio-init", "Secret/minio-credentials", "secret")]
    + [(D + "postgres", "Secret/flts/postgres-credentials", "secret")]
    + [(D + "grafana", f"ConfigMap/{c}", "configMap") for c in ("grafana-dashboard-provider", "grafana-dashboards")]
    + [(D + "grafana", "ConfigMap/grafana-datasources", "configMap")]
    + [(D + "inference-lb", "ConfigMap/haproxy-config", "configMap")]
    + [(D + w, "ConfigMap/locustfile", "configMap") for w in ("locust-master", "locust-worker")]
    + [(D + "postgres", "ConfigMap/postgres-init", "configMap")]
    + [(D + "prometheus", f"ConfigMap/{c}", "configMap") for c in ("prometheus-config", "prometheus-rules")]
    + [(D + "kafka", "PersistentVolumeClaim/kafka-claim0", "claim")]
    + [(D + "minio", "PersistentVolumeClaim/minio-data", "claim")]
    + [(D + "postgres", "PersistentVolumeClaim/postgres-data", "claim")]
)


@pytest.fixture(scope="module")
def flts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "chart"
    convert_ok(BASE, out, "--rules", "flts", "--chart-name", "flts")
    return out


def test_flts_graph_has_every_implied_edge(flts: Path) -> None:
    data = json.loads((flts / "helmify-report.json").read_text(encoding="utf-8"))["graph"]
    talks = sorted((e["from"], e["to"], e["label"]) for e in data["edges"] if e["kind"] == "service")
    scrapes = sorted((e["from"], e["to"], e["label"]) for e in data["edges"] if e["kind"] == "scrape")
    reads = sorted((e["from"], e["to"], e["kind"]) for e in data["edges"] if e["kind"] not in ("service", "scrape"))
    assert talks == sorted(TALKS)
    assert scrapes == sorted(SCRAPES)
    assert reads == READS
    ids = [n["id"] for n in data["nodes"]]
    assert ids == sorted(ids, key=lambda i: (i.split("/")[0], i)) or ids == [n["id"] for n in data["nodes"]]
    assert {e["from"] for e in data["edges"]} | {e["to"] for e in data["edges"]} <= set(ids)
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id[D + "inference"]["component"] == "inference"
    kafka = next(e for e in data["edges"] if e["from"] == D + "eval" and e["to"] == D + "kafka")
    assert (kafka["service"], kafka["port"]) == ("kafka", 9092)


def test_flts_mermaid_in_markdown(flts: Path) -> None:
    text = (flts / "helmify-report.md").read_text(encoding="utf-8")
    block = re.search(r"## Dependency graph\n\n.*?\n\n```mermaid\n(.*?)\n```\n", text, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines[0] == "flowchart LR"
    nodes = {m.group(2): m.group(1) for line in lines if (m := re.match(r"  (n\d+)\W+(\w+/[\w/.-]+)", line))}
    eval_, kafka = nodes["Deployment/eval"], nodes["Deployment/kafka"]
    assert f'  {eval_} -->|"kafka:9092"| {kafka}' in lines
    assert len([x for x in lines if "-->" in x or "-.->" in x]) == len(TALKS) + len(SCRAPES) + len(READS)


def test_graph_is_deterministic(flts: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    convert_ok(BASE, again, "--rules", "flts", "--chart-name", "flts")
    for name in ("helmify-report.json", "helmify-report.md"):
        assert (again / name).read_bytes() == (flts / name).read_bytes()


def test_no_edges_no_section(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lonely\ndata:\n  a: b\n"},
    )
    convert_ok(src, tmp_path / "out")
    assert "## Dependency graph" not in (tmp_path / "out" / "helmify-report.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out" / "helmify-report.json").read_text(encoding="utf-8"))
    assert data["graph"] == {"nodes": [], "edges": []}


HOSTILE = 'we`ird"]|x{{.Values}}\n```\n# <b>&#35;'


@pytest.mark.parametrize("text", [HOSTILE, "a" * 500, "end", "--> n1", "%%{init}%%", "line\u2028sep"])
def test_mermaid_label_is_inert(text: str) -> None:
    label = mermaid_label(text)
    assert re.fullmatch(r"[A-Za-z0-9 ._:/#;-]*", label)
    assert len(label) <= graph.MAX_LABEL * 8
    # entity codes decode back to the text (cut to MAX_LABEL characters)
    shown = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)
    assert shown == (text if len(text) <= graph.MAX_LABEL else text[: graph.MAX_LABEL - 3] + "...")


def test_hostile_names_cannot_break_the_diagram_or_the_markdown() -> None:
    objects = {
        ("", "Service", "", "db"): {"spec": {"ports": [{"port": 5432}], "selector": {"app": "db"}}},
        ("apps", "Deployment", "", "db"): {"spec": {"template": {"metadata": {"labels": {"app": "db"}}}}},
        ("apps", "Deployment", "", HOSTILE): {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"env": [{"name": "DB", "value": "db:5432"}]}],
                        "volumes": [{"name": "v", "secret": {"secretName": HOSTILE}}],
                    }
                }
            }
        },
    }
    lines = mermaid(build(objects).as_json())
    assert len(lines) == 1 + 3 + 2  # header, three nodes (one external Secret), two edges
    for line in lines:
        assert "`" not in line and "\n" not in line and "{{." not in line and "<" not in line
        assert re.fullmatch(
            r'  n\d+(\[|\{\{|\[\[|\[\(|>)"[^"]*"(\]|\}\}|\]\]|\)\]|\])|  n\d+ -\.?->\|"[^"]*"\| n\d+|flowchart LR', line
        )


def test_scrape_needs_pod_discovery_and_the_annotation() -> None:
    config = (
        "scrape_configs:\n  - kubernetes_sd_configs:\n      - role: pod\n    relabel_configs: [prometheus_io_scrape]\n"
    )
    prom = {"spec": {"template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "prom"}}]}}}}

    def app(scrape: str) -> dict:
        meta = {"annotations": {"prometheus.io/scrape": scrape, "prometheus.io/port": "9100"}}
        return {"spec": {"template": {"metadata": meta}}}

    objects = {
        ("", "ConfigMap", "", "prom"): {"data": {"prometheus.yml": config}},
        ("apps", "Deployment", "", "prom"): prom,
        ("apps", "Deployment", "", "yes"): app("true"),
        ("apps", "Deployment", "", "no"): app("false"),
    }
    edges = [(e.source.name, e.target.name, e.label) for e in build(objects).edges if e.kind == "scrape"]
    assert edges == [("prom", "yes", "scrape:9100")]
    objects[("", "ConfigMap", "", "prom")] = {"data": {"prometheus.yml": "static_configs: []\n"}}
    assert [e for e in build(objects).edges if e.kind == "scrape"] == []


def test_service_without_workloads_is_a_node_and_self_calls_are_no_edges() -> None:
    objects = {
        ("", "Service", "", "ext"): {"spec": {"type": "ExternalName", "ports": [{"port": 443}]}},
        ("", "Service", "", "self"): {"spec": {"ports": [{"port": 1}], "selector": {"app": "self"}}},
        ("apps", "Deployment", "", "self"): {
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "self"}},
                    "spec": {
                        "containers": [
                            {"env": [{"name": "A", "value": "self:1"}, {"name": "B", "value": "https://ext"}]}
                        ]
                    },
                }
            }
        },
    }
    got = [(e.source.id, e.target.id, e.label) for e in build(objects).edges]
    assert got == [("Deployment/self", "Service/ext", "ext:443")]
