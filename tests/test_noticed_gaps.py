"""Gaps noticed in earlier work: the prod Kafka brokers' identities, ...

Each test converts what a user would convert and checks what they would run or read.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, render_objects, run

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
