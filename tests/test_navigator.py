"""The field-path type: rendering, pointers, and resolving against node trees and plain objects."""

from __future__ import annotations

from yaml.nodes import Node

from helmify_flts import kyaml
from helmify_flts.paths import MISSING, FieldPath, Item, parse, walk

POD = """\
spec:
  template:
    spec:
      containers:
      - name: main
        image: app:1
        env:
        - name: DEBUG
          value: "1"
        - name: a/b~c
          value: x
      - name: side
        image: side:2
data:
  yes: on
  a.b: dotted
"""


def _tree() -> Node:
    return next(kyaml.compose_all(POD))


def _debug() -> FieldPath:
    return FieldPath.of("spec", "template", "spec", "containers", Item(0, "main"), "env", Item(0, "DEBUG"), "value")


def test_renders_as_the_report_shows_it() -> None:
    assert str(_debug()) == "spec.template.spec.containers[main].env[DEBUG].value"
    assert str(FieldPath.of("args", 2)) == "args[2]"
    assert str(FieldPath.of("metadata", "annotations", "prometheus.io/scrape")) == (
        'metadata.annotations["prometheus.io/scrape"]'
    )


def test_pointer_uses_indices_and_escapes() -> None:
    assert _debug().pointer() == "/spec/template/spec/containers/0/env/0/value"
    path = FieldPath.of("env", Item(1, "a/b~c"), "value")
    assert path.pointer() == "/env/1/value"
    assert FieldPath.of("a/b", "c~d").pointer() == "/a~1b/c~0d"
    assert FieldPath.from_pointer("/a~1b/c~0d").steps == ("a/b", "c~d")


def test_plain_names_and_prefixes() -> None:
    path = _debug()
    assert path.plain == ("spec", "template", "spec", "containers", 0, "env", 0, "value")
    assert path.names == ("spec", "template", "spec", "containers", "main", "env", "DEBUG", "value")
    assert path.within(path[:4]) and not path[:4].within(path)
    assert path[:4].overlaps(path) and path.overlaps(path[:4])
    assert not path.overlaps(FieldPath.of("spec", "template", "spec", "containers", 1))
    assert isinstance(path[:2], FieldPath) and path[-1] == "value"


def test_walk_yields_field_paths() -> None:
    tree = _tree()
    found = list(walk(tree, parse("spec.template.spec.containers[{c}].image")))
    assert [str(f.path) for f in found] == [
        "spec.template.spec.containers[main].image",
        "spec.template.spec.containers[side].image",
    ]
    assert all(isinstance(f.path, FieldPath) for f in found)


def test_resolves_in_a_node_tree() -> None:
    tree = _tree()
    node = _debug().node(tree)
    assert node is not None and node.value == "1"
    assert FieldPath.of("spec", "missing", "x").node(tree) is None
    found = FieldPath.of("spec", "template", "spec", "containers", 1, "image").locate(tree)
    assert str(found.path) == "spec.template.spec.containers[side].image"
    assert found.node.value == "side:2" and found.key == "image"
    absent = FieldPath.of("spec", "template", "spec", "containers", 1, "ports").locate(tree)
    assert absent.node is None and absent.key == "ports"


def test_keys_as_kubernetes_reads_them() -> None:
    tree = _tree()
    # ``yes`` is the key "true" for Kubernetes: an object path finds it only when read that way.
    assert FieldPath.of("data", "true").node(tree) is None
    found = FieldPath.of("data", "true").locate(tree, as_read=True)
    assert found.node.value == "on" and str(found.path) == "data.yes"
    assert FieldPath.of("data", "yes").as_read(tree) == FieldPath.of("data", "true")


def test_resolves_in_plain_objects_by_name() -> None:
    obj = {"env": [{"name": "EXTRA", "value": "0"}, {"name": "DEBUG", "value": "1"}]}
    # DEBUG was item 0 where the path was made; here an item came before it.
    assert FieldPath.of("env", Item(0, "DEBUG"), "value").resolve(obj) == "1"
    assert FieldPath.of("env", Item(0), "value").resolve(obj) == "0"
    assert FieldPath.of("env", Item(5), "value").resolve(obj) is MISSING
    assert FieldPath.of("nope").resolve(obj) is MISSING


def test_a_shared_name_falls_back_to_the_index() -> None:
    obj = {"env": [{"name": "A", "value": "first"}, {"name": "A", "value": "second"}]}
    assert FieldPath.of("env", Item(1, "A"), "value").resolve(obj) == "second"


def test_names_compared_as_kubernetes_reads_them() -> None:
    obj = {"ports": [{"name": 0, "port": 80}]}
    assert FieldPath.of("ports", Item(3, "0"), "port").resolve(obj) == 80


def test_left_out_items() -> None:
    obj = {"env": [{"name": "A"}, {"name": "B"}]}
    assert FieldPath.of("env", Item(2, "C"), "value").left_out(obj)
    assert not FieldPath.of("env", Item(0, "B"), "value").left_out(obj)
    assert not FieldPath.of("env", Item(7), "value").left_out(obj)


def test_named_turns_indices_into_item_names() -> None:
    src = {"containers": [{"name": "main", "args": ["a"]}]}
    out = {"containers": [{"name": "main", "args": ["b"]}]}
    path = FieldPath.named(["containers", 0, "args", 0], src, out)
    assert str(path) == "containers[main].args[0]"


def test_indices_find_a_named_item_where_another_copy_holds_it() -> None:
    # prod's copy inserts an env var before B: B's place in the base's copy is found by its name.
    prod = {"env": [{"name": "A"}, {"name": "X"}, {"name": "B", "value": "b"}]}
    base = {"env": [{"name": "A"}, {"name": "B", "value": "b"}]}
    path = FieldPath.named(("env", 2, "value"), prod)
    assert path.indices(base) == ("env", 1, "value")
    assert FieldPath.named(("env", 1), prod).indices(base) is None  # X: only prod has it
    twice = {"env": [{"name": "B"}, {"name": "B"}]}
    assert path.indices(twice) is None  # a name two items share says nothing
    assert FieldPath.of("args", 0).indices({"args": ["x"]}) == ("args", 0)  # no name: its own place


ROLE = """\
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [app]}
- {apiGroups: [""], resources: [pods, secrets], resourceNames: [app, other]}
- {apiGroups: [""], resources: secrets, resourceNames: [third]}
- {apiGroups: [""], resources: [{secrets: 1}], resourceNames: [fourth]}
"""


def test_a_selector_on_a_list_field_selects_by_one_of_its_items() -> None:
    tree = next(kyaml.compose_all(ROLE))
    found = list(walk(tree, parse("rules[resources=secrets].resourceNames[]")))
    assert [(f.path.plain, f.node.value) for f in found] == [
        (("rules", 1, "resourceNames", 0), "app"),
        (("rules", 1, "resourceNames", 1), "other"),
        (("rules", 2, "resourceNames", 0), "third"),  # a scalar field, as before
    ]
    # Binding reads one text: a list field binds nothing.
    assert [f.bindings for f in walk(tree, parse("rules[resources={r}]"))] == [(("r", "secrets"),)]
