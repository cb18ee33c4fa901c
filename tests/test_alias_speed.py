"""The production pack on manifests that share data through YAML anchors: proven, and in time
proportional to what the file holds rather than to what its aliases repeat."""

from __future__ import annotations

import time
from pathlib import Path

import jsonpatch
import pytest
from conftest import run, write_tree

from helmify_flts import kyaml
from helmify_flts.refactorings import base, objects

PRODUCTION = ("--rules", "flts-production")


def deployment(name: str, containers: int, env: int, volumes: int, notes: int) -> str:
    """A Deployment whose annotations (on the object and on its pods), env list, volume mounts and
    resources are written once, under anchors, and aliased by every other place that uses them."""
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}", "  annotations: &notes"]
    lines += [f'    example.com/note-{i}: "note {i} of {name}, padded out to a realistic length"' for i in range(notes)]
    lines += [
        "spec:",
        "  selector:",
        "    matchLabels: &selector",
        f"      app: {name}",
        "  template:",
        "    metadata:",
    ]
    lines += ["      labels: *selector", "      annotations: *notes", "    spec:", "      volumes:"]
    for i in range(volumes):
        lines += [f"        - name: vol-{i}", "          configMap:", f"            name: {name}-files-{i}"]
    lines += ["      containers:"]
    for c in range(containers):
        lines += [f"        - name: c{c}", f"          image: registry.example.com/{name}/c{c}:1.{c}.0"]
        if c:
            lines += ["          env: *env", "          volumeMounts: *mounts", "          resources: *resources"]
            continue
        lines += ["          env: &env"]
        for i in range(env):
            lines += [f"            - name: SETTING_{i}", f'              value: "setting {i} of {name}"']
        lines += ["          volumeMounts: &mounts"]
        for i in range(volumes):
            lines += [f"            - name: vol-{i}", f"              mountPath: /etc/{name}/vol-{i}"]
        lines += ["          resources: &resources", "            limits: {cpu: 500m, memory: 512Mi}"]
    return "\n".join(lines) + "\n"


def test_the_generated_input_keeps_its_sharing() -> None:
    # What the timing test below is about: aliases past the point where the reading expands them
    # (yamldoc.UNSHARE_NODES), so that every container holds the very same env and mounts.
    (obj,) = kyaml.load_all(deployment("app", containers=10, env=30, volumes=500, notes=600))
    pod = obj["spec"]["template"]
    first, last = pod["spec"]["containers"][0], pod["spec"]["containers"][-1]
    assert first["volumeMounts"] is last["volumeMounts"] and first["env"] is last["env"]
    assert pod["metadata"]["annotations"] is obj["metadata"]["annotations"]


def test_alias_heavy_deployments_convert_under_the_production_pack_in_bounded_time(tmp_path: Path) -> None:
    # About 240 kB; every container's env moves to a ConfigMap of its own and the pod template,
    # which shares its annotations with the Deployment's, gets a checksum annotation per ConfigMap.
    text = "---\n".join(deployment(f"app{d}", containers=10, env=30, volumes=500, notes=600) for d in range(2))
    src = write_tree(tmp_path / "src", {"apps.yaml": text})
    started = time.monotonic()
    result = run("convert", src, tmp_path / "chart", *PRODUCTION)
    took = time.monotonic() - started
    assert result.exit_code == 0, result.stderr  # the proof passed: convert writes nothing otherwise
    assert took < 30, f"took {took:.1f} s"
    template = (tmp_path / "chart" / "templates" / "app0.yaml").read_text()
    assert "checksum/app0-c9-env" in template and "checksum/app0-env" in template


def test_each_container_s_configmap_rolls_pods_that_had_no_annotations(tmp_path: Path) -> None:
    # Each container's checksum annotation was declared as the whole annotations map: the last won.
    containers = "".join(
        f"        - name: c{c}\n          image: example.com/c{c}:1\n          env:\n"
        f"            - name: SETTING_{c}\n              value: v{c}\n"
        for c in range(3)
    )
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n"
        "    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n" + containers
    )
    src = write_tree(tmp_path / "src", {"web.yaml": text})
    result = run("convert", src, tmp_path / "chart", "--rules", "production")
    assert result.exit_code == 0, result.stderr
    template = (tmp_path / "chart" / "templates" / "web.yaml").read_text()
    for name in ("web-env", "web-c1-env", "web-c2-env"):
        assert f'"checksum/{name}"' in template


def test_a_declared_change_of_shared_data_changes_that_place_only() -> None:
    shared = {"team": "a"}
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "annotations": shared},
        "data": {"copy": shared, "list": [shared, shared]},
    }
    ident = ("", "ConfigMap", "", "x")
    ops = (
        {"op": "add", "path": "/data/copy/extra", "value": "1"},
        {"op": "remove", "path": "/data/list/1/team"},
    )
    declared = base.apply({ident: obj}, [base.Edit(ident, ops, "r", "why")])
    got = declared.expected[ident]
    assert got["metadata"]["annotations"] == {"team": "a"}
    assert got["data"] == {"copy": {"team": "a", "extra": "1"}, "list": [{"team": "a"}, {}]}
    assert obj["data"]["copy"] == {"team": "a"}  # the input is left as it was
    assert got == jsonpatch.apply_patch(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "annotations": {"team": "a"}},
            "data": {"copy": {"team": "a"}, "list": [{"team": "a"}, {"team": "a"}]},
        },
        list(ops),
    )


def test_identical_is_unchanged_by_sharing() -> None:
    item = {"n": 1}
    assert objects.identical({"a": [item, item]}, {"a": [{"n": 1}, {"n": 1}]})
    assert not objects.identical({"a": [item, item]}, {"a": [{"n": 1}, {"n": 1.0}]})


def test_identical_walks_shared_data_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 places holding one list of 500 maps, in each object (each built on its own, as a copy
    # of a YAML alias is): expanded, 200,000 maps to look at.
    def made() -> dict:
        env = [{"name": f"N{i}", "value": str(i)} for i in range(500)]
        return {"containers": [{"name": f"c{c}", "env": env} for c in range(200)]}

    calls = 0
    walk = objects._same_types

    def counted(a, b, seen):
        nonlocal calls
        calls += 1
        return walk(a, b, seen)

    monkeypatch.setattr(objects, "_same_types", counted)
    assert objects.identical(made(), made())
    # the object, its list, 200 containers with 2 fields each, and the shared list of 500 maps
    # of 2 fields once: about 2,700 calls, not the 700,000 the expansion has
    assert calls < 5_000, calls
    floats = made()
    floats["containers"][0]["env"][499]["value"] = 1.0  # shared by all 200: equal to 1, not the same JSON
    ints = made()
    ints["containers"][0]["env"][499]["value"] = 1
    assert floats == ints and not objects.identical(ints, floats)


def test_a_credential_entry_shared_by_containers_moves_for_each(tmp_path: Path) -> None:
    # One env entry, aliased into ten containers: moving it for the first container changed it
    # for all (the others then had no Secret, or the patch no longer applied).
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web", "spec:", "  selector:"]
    lines += ["    matchLabels: {app: web}", "  template:", "    metadata:", "      labels: {app: web}", "    spec:"]
    lines += ["      volumes:"] + [f"        - {{name: v{i}, emptyDir: {{}}}}" for i in range(600)]
    lines += ["      containers:"]
    for c in range(10):
        lines += [f"        - name: c{c}", f"          image: example.com/c{c}:1", "          env:"]
        if c == 0:
            lines += ["            - &password {name: DB_PASSWORD, value: hunter2}", "          volumeMounts: &mounts"]
            lines += [f"            - {{name: v{i}, mountPath: /m/{i}}}" for i in range(600)]
        else:
            lines += ["            - *password", "          volumeMounts: *mounts"]
    (obj,) = kyaml.load_all("\n".join(lines))
    pods = obj["spec"]["template"]["spec"]["containers"]
    assert pods[0]["env"][0] is pods[9]["env"][0]  # shared as read
    src = write_tree(tmp_path / "src", {"web.yaml": "\n".join(lines) + "\n"})
    result = run("convert", src, tmp_path / "chart", "--rules", "production")
    assert result.exit_code == 0, result.stderr
    made = sorted(p.name for p in (tmp_path / "chart" / "templates" / "checksum").iterdir())
    assert made == sorted(["secret-web-credentials.yaml", *(f"secret-web-c{c}-credentials.yaml" for c in range(1, 10))])
