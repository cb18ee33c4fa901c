"""Regression tests for small defects: the no-namespace warning's kinds, line numbers in JSON streams,
the store of held Secret values per build, and `--set` keys shown for dotted label keys."""

from __future__ import annotations

import contextvars
import time
from pathlib import Path

import pytest
from conftest import run, write_tree

from helmify_flts import chart, heldvalues, kustomize, manifests, redact, unnamespaced

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""
# Built-in namespaced kinds a hand list of kinds had missed.
TEMPLATE = """\
apiVersion: v1
kind: PodTemplate
metadata: {name: spare}
template:
  metadata: {labels: {app: spare}}
  spec:
    containers: [{name: spare, image: "busybox:1.36"}]
"""
REVISION = """\
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: web-1}
revision: 1
"""
CAPACITY = """\
apiVersion: storage.k8s.io/v1
kind: CSIStorageCapacity
metadata: {name: zone-a}
storageClassName: fast
"""
# Neither may be named: one is cluster-scoped, the other a custom kind no definition here scopes.
CLUSTER_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
"""
ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec: {selfSigned: {}}
"""


def test_the_no_namespace_warning_names_every_namespaced_built_in_kind(tmp_path: Path) -> None:
    docs = [DEPLOYMENT, TEMPLATE, REVISION, CAPACITY, CLUSTER_ROLE, ISSUER]
    loaded = manifests.load_folder(write_tree(tmp_path / "src", {"app.yaml": "---\n".join(docs)}))
    found = unnamespaced.notices(loaded.resources, Path("overlays/prod"), "kustomization.yaml")
    named = sorted(n.message.split(" has no namespace")[0] for n in found)
    assert named == ["CSIStorageCapacity/zone-a", "ControllerRevision/web-1", "PodTemplate/spare"]
    assert all(n.code == unnamespaced.CODE for n in found)


def test_a_kustomization_leaving_a_pod_template_without_namespace_is_warned(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "namespace: shop\nresources: [app.yaml]\n",
            "base/app.yaml": DEPLOYMENT,
            "prod/kustomization.yaml": "resources: [../base, spare.yaml]\n",
            "prod/spare.yaml": TEMPLATE,
        },
    )
    result = run("convert", root / "prod", tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "has no namespace" in line]
    assert len(warned) == 1 and "PodTemplate/spare" in warned[0], result.stderr
    assert "set `namespace: shop`" in warned[0]


def _config_map(name: str, extra: str = "") -> str:
    return f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "{name}"}}{extra}}}'


def test_a_json_stream_names_the_lines_of_values_that_share_one(tmp_path: Path) -> None:
    # Line 1 holds two values, the second no resource; line 3 holds two more, the second spread
    # over lines 3 and 4; line 5 one more. Each is named by the line it starts on in the file.
    stream = (
        f'{_config_map("a")} {{"data": {{"x": "1"}}}}\n'
        "\n"
        f'{_config_map("c")} {_config_map("d", ",")[:-1]}\n"data": {{"x": "1"}}}}\n'
        f"{_config_map('e')}\n"
    )
    loaded = manifests.load_folder(write_tree(tmp_path / "src", {"app.json": stream}))
    assert [(res.name, res.line) for res in loaded.resources] == [("a", 1), ("c", 3), ("d", 3), ("e", 5)]
    assert [str(n.where) for n in loaded.notices] == ["app.json:1"]
    (d,) = [res for res in loaded.resources if res.name == "d"]
    data = d.node.value[-1][1]
    assert d.line_of(None, data) == 4


def test_an_error_in_the_second_value_of_a_json_line_names_that_line(tmp_path: Path) -> None:
    twice = ', "data": {"x": "1", "x": "2"}'
    src = write_tree(tmp_path / "src", {"app.json": f"{_config_map('a')} {_config_map('b', twice)}\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: app.json:1: the key 'x' is here and on line 1 of the same mapping")
    later = f"{_config_map('a')} {_config_map('b')}\n\n{_config_map('c', twice)}\n"
    write_tree(src, {"app.json": later})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: app.json:3: the key 'x' is here and on line 3 of the same mapping")
    # A character YAML refuses (DEL) is named on its line too.
    deleted = _config_map("c", ', "data": {"x": "a\x7fb"}')
    write_tree(src, {"app.json": f"{_config_map('a')} {_config_map('b')}\n\n{deleted}\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: app.json:3: not valid YAML (the control character U+007F"), result.stderr


def _secret_folder(root: Path, values: list[str]) -> Path:
    data = "".join(f"  k{n}: {value}\n" for n, value in enumerate(values))
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n{data}"
    config = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata: {{copy: {values[0]}}}\n"
    return write_tree(root, {"secret.yaml": secret, "cm.yaml": config})


def test_a_library_build_holds_its_own_values_however_many_builds_came_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library calling chart.build in a loop added every build's Secret values to one store, and
    once the builds together held MAX_VALUES values, every later build failed with "too many"."""
    monkeypatch.setattr(heldvalues, "MAX_VALUES", 6)
    runs = [[f"Hq{n}v{k}LibraryHeld" for k in range(3)] for n in range(5)]  # 15 values, 3 a build

    def loop() -> None:
        for n, values in enumerate(runs):
            src = _secret_folder(tmp_path / f"src{n}", values)
            chart.build(chart.Options(src=src, chart_name="lib"))
            # After the build its values are hidden (the report a caller makes next hides them).
            assert redact.held(f"x {values[0]} y") == "x <redacted> y"
        assert redact.held(runs[0][0]) == runs[0][0]  # an earlier build's are no longer held

    start = time.monotonic()
    contextvars.Context().run(loop)  # a caller's context that no command began a run in
    assert time.monotonic() - start < 60


def test_a_library_build_again_from_the_same_sources_still_hides_their_values(tmp_path: Path) -> None:
    # Two builds sharing one Sources (as a values layout fit builds twice): the kustomization is
    # built and read once, and the second build, holding values of its own, is taught them again.
    src = _secret_folder(tmp_path / "src", ["Js8sharedSourcesHeld"])
    write_tree(src, {"kustomization.yaml": "resources: [secret.yaml, cm.yaml]\n"})

    def twice() -> None:
        sources = kustomize.Sources()
        try:
            for _ in range(2):
                chart.build(chart.Options(src=src, chart_name="lib", sources=sources))
                assert redact.held("Js8sharedSourcesHeld") == "<redacted>"
        finally:
            sources.close()

    contextvars.Context().run(twice)


def test_the_builds_of_one_command_share_its_values(tmp_path: Path) -> None:
    first = _secret_folder(tmp_path / "first", ["Gp3firstBuildHeld"])
    second = _secret_folder(tmp_path / "second", ["Fr6secondBuildHeld"])

    def command() -> None:
        heldvalues.begin()
        chart.build(chart.Options(src=first, chart_name="one"))
        chart.build(chart.Options(src=second, chart_name="two"))
        assert redact.held("Gp3firstBuildHeld Fr6secondBuildHeld") == "<redacted> <redacted>"

    contextvars.Context().run(command)
