"""chart.build makes no Python call per node that does nothing, and its loops give what the calls
gave (issue 8, speed: the files shape, where Python's cost per call is most of the gap)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from yaml.nodes import MappingNode

from helmify_flts import kyaml, paths
from helmify_flts.paths import Found, Key

DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env: [{name: A, value: "on"}, {name: B, value: "0755"}]
"""


def _python_calls(run: Callable[[], Any]) -> Counter:
    """The names of the Python functions ``run`` calls, counted."""
    calls: Counter = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            calls[frame.f_code.co_name] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls


def test_composing_and_emitting_call_no_python_path_resolver_hook() -> None:
    nodes: list = []
    calls = _python_calls(lambda: nodes.extend(kyaml.compose_all(DOC)))
    calls += _python_calls(lambda: kyaml.serialize(nodes[0]))
    assert calls["descend_resolver"] == calls["ascend_resolver"] == 0
    # Tags are still resolved as Kubernetes reads them, and written back so.
    env = paths.FieldPath.of("spec", "template", "spec", "containers", 0, "env").node(nodes[0])
    assert [item.value[1][1].tag for item in env.value] == [kyaml.STR, kyaml.STR]
    assert kyaml.load_all(kyaml.serialize(nodes[0])) == kyaml.load_all(DOC)


def _walked_key_by_key(root: Any, names: tuple[str, ...], missing_last: bool) -> list[Found]:
    """What walk gives for key steps, one paths.child call per key."""
    node, path = root, ()
    for i, name in enumerate(names):
        value = paths.child(node, name)
        path += (name,)
        if value is None:
            if i == len(names) - 1 and missing_last and isinstance(node, MappingNode):
                return [Found(paths.FieldPath(path), node, name, None, ())]
            return []
        if i == len(names) - 1:
            return [Found(paths.FieldPath(path), node, name, value, ())]
        node = value
    return []


def test_key_steps_are_walked_in_one_call_and_find_what_child_finds() -> None:
    root = next(kyaml.compose_all(DOC))
    for names in [
        ("spec", "replicas"),
        ("spec", "template", "spec", "containers"),
        ("metadata", "labels", "app"),
        ("metadata", "labels", "tier"),
        ("spec", "missing", "deeper"),
        ("metadata", "name", "below-a-scalar"),
    ]:
        steps = tuple(Key(name) for name in names)
        for missing_last in (False, True):
            found: list = []
            calls = _python_calls(
                lambda s=steps, m=missing_last, out=found: out.extend(paths.walk(root, s, missing_last=m))
            )
            assert calls["_walk"] == 1 and calls["child"] == 0, names
            assert found == _walked_key_by_key(root, names, missing_last), names
