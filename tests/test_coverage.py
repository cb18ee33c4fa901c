"""At least 90% of the fields people tune must be reachable from values.yaml.

The oracle here is written independently of the rule packs: it lists, for each resource, the
fields a user of such a chart expects to set, and checks each is covered by a lifted field in
the review report (the lifted field itself or a map/list that contains it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, run

from helmify_flts import kustomize, kyaml

POD = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def tunable_fields(kind: str, obj: dict) -> list[tuple]:
    """Pointers (as tuples) of the tunable fields present in one object."""
    out: list[tuple] = []

    def has(path: tuple) -> bool:
        cur = obj
        for part in path:
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
                cur = cur[part]
            else:
                return False
        return True

    if kind in POD:
        pod = POD[kind]
        spec = obj
        for part in pod:
            spec = spec[part]
        for group in ("containers", "initContainers"):
            for i, container in enumerate(spec.get(group, [])):
                base = pod + (group, i)
                for field in ("image", "imagePullPolicy", "resources"):
                    if field in container:
                        out.append(base + (field,))
                for j, var in enumerate(container.get("env", [])):
                    if "value" in var:
                        out.append(base + ("env", j, "value"))
        if kind in ("Deployment", "StatefulSet") and "replicas" in obj["spec"]:
            out.append(("spec", "replicas"))
    candidates = {
        "Service": [("spec", "type"), ("spec", "ports")],
        "PersistentVolumeClaim": [("spec", "resources", "requests", "storage"), ("spec", "storageClassName")],
        "Ingress": [("spec", "rules"), ("spec", "tls")],
        "HorizontalPodAutoscaler": [("spec", "minReplicas"), ("spec", "maxReplicas"), ("spec", "metrics")],
        "PodDisruptionBudget": [("spec", "minAvailable"), ("spec", "maxUnavailable")],
    }
    out += [p for p in candidates.get(kind, []) if has(p)]
    return out


def covered(field: tuple, lifted: list[tuple]) -> bool:
    return any(field[: len(p)] == p for p in lifted)


def pointer_parts(pointer: str) -> tuple:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    return tuple(int(p) if p.isdigit() else p for p in parts)


@pytest.mark.parametrize("folder", [FIXTURES / ".kubernetes", FIXTURES / "environments" / "prod"])
def test_tunable_fields_are_reachable(tmp_path: Path, folder: Path) -> None:
    out = tmp_path / "chart"
    assert run("convert", folder, out).exit_code == 0
    report = json.loads((out / "helmify-report.json").read_text())
    lifted = {
        (r["kind"], r["namespace"], r["name"]): [
            pointer_parts(f["pointer"]) for f in r["fields"] if not f["unsetByDefault"]
        ]
        for r in report["resources"]
    }
    total = reachable = 0
    missing = []
    for res in kustomize.Sources().load(folder).resources:  # what convert reads: a build
        obj = kyaml.construct(res.node)
        for field in tunable_fields(res.kind, obj):
            total += 1
            if covered(field, lifted[(res.kind, res.namespace, res.name)]):
                reachable += 1
            else:
                missing.append(f"{res.title} {field}")
    assert total > 100
    assert reachable / total >= 0.9, missing
    print(f"{reachable}/{total} tunable fields reachable; not reachable: {missing}")
