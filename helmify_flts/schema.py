"""values.schema.json from the values tree, so that `helm lint` and installs catch type slips
(an image tag written as the number 1.10, a map where a list belongs)."""

from __future__ import annotations

from typing import Any

from .values import Leaf, Values


def for_values(values: Values) -> dict:
    schema = {"$schema": "https://json-schema.org/draft-07/schema#", "title": "Values"}
    schema.update(_tree(values.root, closed=False))
    return schema


def _tree(tree: dict, closed: bool = True) -> dict:
    """Branches the chart defines are closed: a misspelt or vanished key (image.tga) is an
    error instead of a silent no-op. The top level stays open for Helm's own (global)."""
    props = {}
    for key, item in tree.items():
        props[key] = _leaf(item) if isinstance(item, Leaf) else _tree(item)
    out: dict = {"type": "object", "properties": props}
    if closed:
        out["additionalProperties"] = False
    return out


def _leaf(leaf: Leaf) -> dict:
    out = _type(leaf.value, top=True)
    if leaf.doc:
        out["description"] = leaf.doc.splitlines()[0]
    return out


def _type(value: Any, top: bool = False) -> dict:
    if isinstance(value, (bool, int, float, str)):
        # Scalars may change type legitimately (maxUnavailable 1 -> "25%", --set tag=2), so
        # only their being scalars is checked; image parts below are strictly strings.
        return {"type": ["string", "number", "integer", "boolean", "null"]}
    if isinstance(value, list):
        return {"type": ["array", "null"]}
    if isinstance(value, dict):
        if top and value and all(isinstance(v, str) for v in value.values()) and "repository" in value:
            parts = dict.fromkeys(["repository", "tag", "digest", *value])
            return {"type": "object", "properties": {k: {"type": "string"} for k in parts},
                    "additionalProperties": False}
        return {"type": ["object", "null"]}
    return {}
