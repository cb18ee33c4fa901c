"""Named path sets: one name for a place that sits at a different path in each kind, so that a
pod-level rule names one path (``{podSpec}.nodeSelector``) instead of one per workload shape.

A path that starts with a set stands for one path per place of the set, and each applies only
to the kinds the set puts it in: a Pod's ``spec`` is not a Deployment's ``spec``.
"""

from __future__ import annotations

import re

from . import paths
from .errors import UserError, Where
from .manifests import POD_TEMPLATE

# Each set maps a kind to the prefixes the name stands for there.
SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "podTemplate": {kind: (".".join(at[:-1]),) for kind, at in POD_TEMPLATE.items() if len(at) > 1},
    "podSpec": {kind: (".".join(at),) for kind, at in POD_TEMPLATE.items()},
    "containers": {
        kind: (".".join(at + ("containers",)), ".".join(at + ("initContainers",))) for kind, at in POD_TEMPLATE.items()
    },
}
DOCS = {
    "podTemplate": "the pod template of a workload that has one (Deployment, StatefulSet, DaemonSet, ReplicaSet "
    "and Job: `spec.template`; CronJob: `spec.jobTemplate.spec.template`)",
    "podSpec": "the pod spec of every workload kind (`{podTemplate}.spec`, and a Pod's own `spec`)",
    "containers": "both container lists of the pod spec, `{podSpec}.containers` and `{podSpec}.initContainers`",
}
_USE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}(?=[.\[]|$)")
KIND_ORDER = list(SETS["podSpec"])  # the order in which a rule's implied kinds are listed


def expand(text: str, where: Where) -> list[tuple[tuple[paths.Step, ...], frozenset[str] | None]]:
    """Parse a path; one that starts with a path set (``{podSpec}.nodeSelector``) stands for one
    path per place of the set, each with the kinds it applies to."""
    m = _USE.match(text)
    places: dict[str, list[str]] = {}
    if m and m.group(1) in SETS:
        for kind, prefixes in SETS[m.group(1)].items():
            for prefix in prefixes:
                places.setdefault(prefix + text[m.end() :], []).append(kind)
    else:
        places[text] = []
    out = []
    for concrete, kinds in places.items():
        try:
            steps = paths.parse(concrete)
        except paths.PathError as exc:
            raise UserError(f"bad path: {exc}", where) from None
        reserved = [name for name in paths.bindings_of(steps) if name in SETS]
        if reserved:
            raise UserError(
                f"{{{reserved[0]}}} in {text!r} names a path set, which can only start a path; "
                "give the binding another name",
                where,
            )
        out.append((steps, frozenset(kinds) if kinds else None))
    return out
