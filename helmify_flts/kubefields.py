"""Check that a rule's path ends in a field Kubernetes knows, so that a typo in an optional
path (``priorityClasName``) is an error instead of a knob that renders an invalid field.

Only the last step is checked, and only where the schema of its parent is known: a built-in
kind the rule matches (custom resources are skipped), a parent that is an object with named
fields (not a free map such as ``labels``). A field that any version of any matched kind has
there passes. The schemas are the ones kubernetes-validate ships, loaded on first use.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from . import paths

KUBE_RELEASE = "1.30"  # the release of the schemas schema.py reads


@dataclass(frozen=True)
class UnknownField:
    """The last step of a path that no matched kind has, and the nearest real fields."""

    name: str
    kinds: tuple[str, ...]
    suggestions: tuple[str, ...]


def unknown_field(kinds: Iterable[str], steps: tuple[paths.Step, ...]) -> UnknownField | None:
    """What is wrong with the last step of ``steps`` in resources of ``kinds``, or None."""
    last = steps[-1] if steps else None
    if not isinstance(last, paths.Key):
        return None
    from . import schema  # the Kubernetes schemas load only when a user's rule needs them

    fields: set[str] = set()
    checked: list[str] = []
    for kind in kinds:
        for doc in schema.kind_schemas(kind):
            parent = _follow(doc, steps[:-1])
            if parent is None:
                continue  # the path does not lead there in this kind
            if "additionalProperties" in parent or not parent.get("properties"):
                return None  # a free map (labels, nodeSelector) or no object: nothing to say
            if last.name in parent["properties"]:
                return None
            fields.update(parent["properties"])
            checked.append(kind)
    if not checked:
        return None
    close = difflib.get_close_matches(last.name, sorted(fields), n=3)
    return UnknownField(last.name, tuple(dict.fromkeys(checked)), tuple(close))


def _follow(node: object, steps: tuple[paths.Step, ...]) -> dict | None:
    from . import schema

    current = schema.deref(node)
    for step in steps:
        if current is None:
            return None
        if isinstance(step, paths.Key):
            props = current.get("properties") or {}
            nxt = props.get(step.name, current.get("additionalProperties"))
        elif isinstance(step, paths.AnyKey):
            nxt = current.get("additionalProperties")
        else:
            nxt = current.get("items")
        current = schema.deref(nxt) if isinstance(nxt, dict) else None
    return current
