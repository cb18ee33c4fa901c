"""Fast paths give exactly what the general code they stand in for gives.

convert takes shortcuts where the general code was slow (a precomputed table instead of the
whole Kubernetes schema, ...). Each shortcut is checked here against the general code, on the
cases it covers and on the cases it must hand back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helmify_flts import schema

# --------------------------------------------------------------------------- the integer table


def test_the_integer_table_is_the_kubernetes_schema_pruned() -> None:
    """The table shipped with the package is what kubernetes-validate's schema gives today
    (after an upgrade: `python -m helmify_flts.schema` rewrites it)."""
    shipped = json.loads(schema.INTEGER_TABLE.read_text(encoding="utf-8"))
    assert shipped["kubernetes"] == schema.KUBE_SCHEMA
    assert shipped == schema.integer_table(schema._schema_folder())


def _paths(node: Any, definitions: dict, depth: int, prefix: tuple = ()) -> list[tuple]:
    """Every path below a schema node up to ``depth`` steps (list items as index 0, map values
    under a made-up key), and a name no schema has at each level."""
    out = [prefix, prefix + ("noSuchField",)]
    node = schema._deref(node, definitions)
    if depth == 0 or node is None:
        return out
    if isinstance(node.get("items"), dict):
        out += _paths(node["items"], definitions, depth - 1, prefix + (0,))
    for key, sub in node.get("properties", {}).items():
        out += _paths(sub, definitions, depth - 1, prefix + (key,))
    if isinstance(node.get("additionalProperties"), dict):
        out += _paths(node["additionalProperties"], definitions, depth - 1, prefix + ("anyKey",))
    return out


@pytest.mark.parametrize(("api_version", "kind", "depth"), [
    ("apps/v1", "Deployment", 7), ("apps/v1", "StatefulSet", 6), ("batch/v1", "CronJob", 7), ("v1", "Service", 5),
    ("autoscaling/v2", "HorizontalPodAutoscaler", 7), ("policy/v1", "PodDisruptionBudget", 5),
    ("networking.k8s.io/v1", "Ingress", 8), ("v1", "PersistentVolumeClaim", 6),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 9),
])
def test_the_integer_table_types_every_field_as_the_whole_schema_does(api_version: str, kind: str, depth: int) -> None:
    full = schema._definitions()
    table = schema._integer_table()
    root = schema._load(schema._schema_file(api_version, kind))
    small = table["kinds"][schema._schema_file(api_version, kind)]
    paths = _paths(root, full, depth)
    assert len(paths) > 50
    typed = 0
    for path in paths:
        expected = schema.integers(schema._walk(root, path, full), definitions=full)
        assert schema.integers(schema._walk(small, path, table["definitions"]),
                               definitions=table["definitions"]) == expected, path
        typed += expected is not None
    assert typed >= 3
