"""A failed proof's differences are explained in bounded time: large objects (as YAML aliases
expand them) and long lists are walked item by item instead of by DeepDiff, whose list matching
takes the square of a list of repeated items."""

from __future__ import annotations

import time

from helmify_flts import render

IDENT = ("apps", "Deployment", "", "app")


def _deployment(mounts: list) -> dict:
    # Every container uses one list, as a YAML alias would give it.
    containers = [{"name": f"c{j}", "image": "app:1", "volumeMounts": mounts} for j in range(24)]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {"containers": containers},
    }


def _timed_compare(src: dict, out: dict) -> tuple[float, render.Comparison]:
    start = time.perf_counter()
    result = render.compare({IDENT: src}, {IDENT: ("app.yaml", out)})
    return time.perf_counter() - start, result


def test_a_difference_in_aliased_data_is_explained_in_linear_time() -> None:
    mounts = [{"name": f"m{i}", "mountPath": f"/data/{i}"} for i in range(1500)]
    changed = [dict(m) for m in mounts]
    changed[700]["mountPath"] = "/elsewhere"
    spent, result = _timed_compare(_deployment(mounts), _deployment(changed))
    lines = result.changed[IDENT]
    assert len(lines) == 24
    assert "spec.containers[c3].volumeMounts[m700].mountPath: changed '/data/700' -> '/elsewhere'" in lines
    assert spent < 6, f"took {spent:.1f} s (DeepDiff: 11-13 s)"


def test_a_long_list_of_repeated_items_is_explained_in_linear_time() -> None:
    src = {"kind": "ConfigMap", "metadata": {"name": "args"}, "args": ["--verbose"] * 8000}
    out = {"kind": "ConfigMap", "metadata": {"name": "args"}, "args": ["--verbose"] * 8000 + ["--quiet"]}
    out["args"][4000] = "--debug"
    start = time.perf_counter()
    result = render.compare({IDENT: src}, {IDENT: ("cm.yaml", out)})
    spent = time.perf_counter() - start
    assert sorted(result.changed[IDENT]) == [
        "args[4000]: changed '--verbose' -> '--debug'",
        "args[8000]: added -> '--quiet'",
    ]
    assert spent < 3, f"took {spent:.1f} s (DeepDiff's list matching: about 12 s)"


def test_the_walk_reports_what_deepdiff_reports_on_small_objects() -> None:
    src = {"data": {"a": "1", "b": "2"}, "spec": {"x": [1, 2, 3], "z": 1, "w": "t", "gone": {"k": 1}}}
    out = {"data": {"a": "1", "c": "3"}, "spec": {"x": [1, 5], "z": 1.0, "w": 7, "new": [1]}}
    walked: list = []
    render._walk_differences(src, out, [], walked)
    assert render._small(src) and render._small(out)  # so compare itself uses DeepDiff here
    by_deepdiff = render._describe_diff(render._differences(src, out), src, out, "ConfigMap")
    assert render._describe_diff(walked, src, out, "ConfigMap") == by_deepdiff
    assert by_deepdiff == [
        "data.b: removed (was '2')",
        "data.c: added -> '3'",
        "spec.gone: removed (was {'k': 1})",
        "spec.new: added -> [1]",
        "spec.w: type changed 't' -> 7",
        "spec.x[1]: changed 2 -> 5",
        "spec.x[2]: removed (was 3)",
    ]


def test_size_limits_pick_the_walk() -> None:
    assert render._small({"a": list(range(render.DEEPDIFF_LIST))})
    assert not render._small({"a": list(range(render.DEEPDIFF_LIST + 1))})
    assert not render._small([{"k": i} for i in range(render.DEEPDIFF_NODES // 2)])
