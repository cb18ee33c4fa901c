"""Plain-object helpers shared by the refactorings: identities, pod specs, containers, outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from ..records import record
from ..render import identity

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name), as render.identity gives it

# Where each workload kind keeps its pod template (the pod spec sits below it at "spec").
POD_TEMPLATE: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}

__all__ = ["Identity", "identity"]


@record
class Change:
    """An object a refactoring adds or removes, with the rule that did it and why."""

    identity: Identity
    rule: str
    why: str
    owner: Identity | None = None  # the workload an added object was split off


@record
class ValueKey:
    """A values key the template side of a refactoring reads, with its default and its doc."""

    path: tuple[str, ...]
    default: Any
    doc: str


@record
class Outcome:
    """What a refactoring expects the chart to render: every object by the identity it renders
    as, the identities that changed (source -> rendered), objects added and removed, the values
    keys it introduces, and warnings for the report."""

    objects: dict[Identity, dict]
    renamed: dict[Identity, Identity] = field(default_factory=dict)
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    values: tuple[ValueKey, ...] = ()
    warnings: tuple[str, ...] = ()


def declared(before: Mapping[Identity, dict], outcome: Outcome, rule: str, why: str) -> list:
    """An outcome as the contract's declared changes: a JSON Patch per changed object (under its
    source identity), then the objects added and removed, each with the rule and why."""
    import jsonpatch

    from .base import Added, Edit, Removed, from_json, to_json

    removed = {c.identity: c for c in outcome.removed}
    added = {c.identity: c for c in outcome.added}
    changes: list = []
    for ident in sorted(before):
        new = outcome.renamed.get(ident, ident)
        if ident in removed or new not in outcome.objects or new in added:
            continue
        if identical(before[ident], outcome.objects[new]):
            continue  # most objects: a rule changes few, and diffing the rest was most of its cost
        # an earlier rule's Rendered placeholder (a checksum annotation) is compared in its JSON form
        ops = from_json(jsonpatch.make_patch(to_json(before[ident]), to_json(outcome.objects[new])).patch)
        if ops:
            changes.append(Edit(ident, tuple(ops), rule, why))
    changes += [Added(outcome.objects[c.identity], rule, c.why, c.owner) for c in outcome.added]
    changes += [Removed(c.identity, rule, c.why) for c in outcome.removed]
    return changes


def identical(a: Any, b: Any) -> bool:
    """Whether two plain objects are the same JSON document: ``==`` (fast, and false for nearly
    every pair that differs), then the types too, since ``==`` holds 1, 1.0 and True equal where
    JSON Patch, and the chart's YAML, tell them apart."""
    return a == b and _same_types(a, b, set())


def _same_types(a: Any, b: Any, seen: set[tuple[int, int]]) -> bool:
    """``seen``: the pairs of maps and lists already compared. Data YAML aliases share is shared
    in both objects (plain_copy keeps it so), so each shared pair is walked once, not once for
    each place that repeats it."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict | list):
        pair = (id(a), id(b))
        if pair in seen:
            return True
        seen.add(pair)
        if isinstance(a, dict):
            return all(_same_types(value, b[key], seen) for key, value in a.items())
        return all(_same_types(x, y, seen) for x, y in zip(a, b, strict=False))
    return True


def container_pointer(obj: dict, name: str) -> tuple[str | int, ...] | None:
    """Where the container named ``name`` sits in a workload, as keys and list indices."""
    at = POD_TEMPLATE.get(obj.get("kind", ""), ()) + ("spec",) if obj.get("kind") != "Pod" else ("spec",)
    spec = pod_spec(obj) or {}
    for i, container in enumerate(spec.get("containers") or []):
        if isinstance(container, dict) and container.get("name") == name:
            return (*at, "containers", i)
    return None


def is_workload(obj: Any) -> bool:
    return isinstance(obj, dict) and (obj.get("kind") in POD_TEMPLATE or obj.get("kind") == "Pod")


def pod_template(obj: dict) -> dict | None:
    """The pod template of a workload (None for a Pod, which has no template, or a broken object)."""
    node: Any = obj
    for part in POD_TEMPLATE.get(obj.get("kind", ""), ()):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) and node is not obj else None


def pod_spec(obj: dict) -> dict | None:
    """The pod spec of a workload, a Pod's own spec included."""
    if obj.get("kind") == "Pod":
        spec = obj.get("spec")
    else:
        template = pod_template(obj)
        spec = template.get("spec") if template else None
    return spec if isinstance(spec, dict) else None


def containers(spec: dict, key: str = "containers") -> list[dict]:
    items = spec.get(key)
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def all_containers(spec: dict) -> Iterator[dict]:
    yield from containers(spec, "initContainers")
    yield from containers(spec, "containers")


def namespace_of(obj: dict) -> str:
    meta = obj.get("metadata")
    value = meta.get("namespace") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def name_of(obj: dict) -> str:
    meta = obj.get("metadata")
    value = meta.get("name") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def labels_of(obj: dict) -> dict:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return dict(labels) if isinstance(labels, dict) else {}


def find(objects: Mapping[Identity, dict], kind: str, namespace: str, name: str) -> dict | None:
    """The object of ``kind`` named ``name`` in ``namespace``, whatever its API group; else one
    with no namespace written on one side (it lands in whatever namespace the folder is applied to)."""
    ident = find_identity(objects, kind, namespace, name)
    return objects[ident] if ident is not None else None


def find_identity(objects: Mapping[Identity, dict], kind: str, namespace: str, name: str) -> Identity | None:
    """The identity of the object :func:`find` finds."""
    loose = None
    for ident in sorted(objects):
        _, k, ns, n = ident
        if k == kind and n == name:
            if ns == namespace:
                return ident
            if loose is None and (not ns or not namespace):
                loose = ident
    return loose


def new_metadata(name: str, namespace: str, labels: dict) -> dict:
    """Metadata for an object a refactoring adds: the namespace only where the source had one."""
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    return meta


def unique_name(objects: Mapping[Identity, dict], kind: str, namespace: str, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... when an object of that kind already has the name."""
    name, n = wanted, 1
    while find(objects, kind, namespace, name) is not None:
        n += 1
        name = f"{wanted}-{n}"
    return name


def copied(objects: Mapping[Identity, dict]) -> dict[Identity, dict]:
    """A deep copy, so a refactoring never changes the objects it was given."""
    from .base import plain_copy

    return {ident: plain_copy(obj) for ident, obj in objects.items()}


def selects(selector: Any, labels: dict) -> bool:
    """Whether a Service's selector (a plain label map) picks pods with ``labels``."""
    return isinstance(selector, dict) and bool(selector) and all(labels.get(k) == v for k, v in selector.items())
