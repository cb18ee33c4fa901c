"""env -> ConfigMap: a container's literal env values move to a ConfigMap it reads with envFrom.

The effective environment stays the same: entries whose meaning depends on their position
(``$(VAR)`` expansions and what they name, names given twice or also given by envFrom) stay in
``env``, and so do credential-looking values, which belong in a Secret, not a ConfigMap. The new
ConfigMap is read last among the container's envFrom sources.

The plan is made once, on the base folder, and applied to every folder (the base and each
environment), so that one template serves them all. The ConfigMap renders from a template file of
its own, whose sha256 the pod template's ``checksum/<configmap>`` annotation holds, so that changing
a value rolls the pods (as checksum-roll does for the folder's own ConfigMaps).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..records import record
from . import envrefs
from .base import Context, TemplateChanges
from .checksum_roll import annotations, template_path
from .envmove import EnvMove
from .extract import MoveEnvToConfigMap
from .objects import (
    Change,
    Identity,
    Outcome,
    container_pointer,
    containers,
    copied,
    find,
    identity,
    is_workload,
    labels_of,
    name_of,
    namespace_of,
    new_metadata,
    pod_spec,
    unique_name,
)
from .release_names import full

RULE = "env-configmap"


@record
class Move:
    """Literal env values of one container that move to one ConfigMap, in env order."""

    workload: Identity
    container: str
    configmap: str
    names: tuple[str, ...]


def plan(
    objects: Mapping[Identity, dict],
    selected: Callable[[Identity], bool] = lambda _: True,
    keep: Callable[[str, str], bool] = envrefs.credential,
    reserved: Collection[Identity] = (),
) -> tuple[Move, ...]:
    """Which values move where. ``selected`` picks the workloads (the rule's match); ``keep``
    names values that stay in env whatever their position (credentials, by default);
    ``reserved``: identities no new ConfigMap may take besides the objects' own."""
    moves = []
    taken: dict[Identity, dict] = {**dict.fromkeys(reserved, {}), **objects}
    for ident in sorted(objects):
        obj = objects[ident]
        spec = pod_spec(obj) if is_workload(obj) and selected(ident) else None
        if spec is None:
            continue
        ns = namespace_of(obj)
        for i, container in enumerate(containers(spec)):
            name = container.get("name")
            if not isinstance(name, str):
                continue
            pinned = envrefs.positional(container, objects, ns)
            env = container.get("env") if isinstance(container.get("env"), list) else []
            names = tuple(
                e["name"]
                for e in env
                if envrefs.is_literal(e) and e["name"] not in pinned and not keep(e["name"], e["value"])
            )
            if not names:
                continue
            wanted = f"{name_of(obj)}-env" if i == 0 else f"{name_of(obj)}-{name}-env"
            cm = unique_name(taken, "ConfigMap", ns, wanted)
            taken[("", "ConfigMap", ns, cm)] = {}
            moves.append(Move(ident, name, cm, names))
    return tuple(moves)


def apply(objects: Mapping[Identity, dict], moves: tuple[Move, ...], rule: str = RULE) -> Outcome:
    """The objects with each planned value moved; a name this folder does not hold as a literal
    value stays where it is, with a warning."""
    out = copied(objects)
    added, warnings = [], []
    for move in moves:
        obj = out.get(move.workload)
        spec = pod_spec(obj) if obj is not None else None
        container = next((c for c in containers(spec) if c.get("name") == move.container), None) if spec else None
        if container is None:
            continue
        ns = namespace_of(obj)
        if find(out, "ConfigMap", ns, move.configmap) is not None:
            warnings.append(f"ConfigMap/{move.configmap} exists already; {move.workload[3]} keeps its env")
            continue
        env = container.get("env") if isinstance(container.get("env"), list) else []
        by_name = {e.get("name"): e for e in env if envrefs.is_literal(e)}
        pinned = envrefs.positional(container, out, ns)
        data = {}
        for name in move.names:
            if name in by_name and name not in pinned:
                data[name] = by_name[name]["value"]
            else:
                warnings.append(
                    f"{obj['kind']}/{name_of(obj)} container {move.container}: {name} is not a plain value "
                    f"here, so it stays in env"
                )
        if not data:
            continue
        kept = [e for e in env if not (isinstance(e, dict) and e.get("name") in data and envrefs.is_literal(e))]
        if kept:
            container["env"] = kept
        else:
            container.pop("env", None)
        sources = container.get("envFrom") if isinstance(container.get("envFrom"), list) else []
        container["envFrom"] = [*sources, {"configMapRef": {"name": move.configmap}}]
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": new_metadata(move.configmap, ns, labels_of(obj)),
            "data": data,
        }
        cm_ident = identity(configmap)
        out[cm_ident] = configmap
        why = f"literal env values of {obj['kind']}/{name_of(obj)} ({move.container}), read by envFrom"
        added.append(Change(cm_ident, rule, why, move.workload))
    return Outcome(out, added=tuple(added), warnings=tuple(warnings))


class EnvConfigMap(EnvMove):
    """The ``env-configmap`` refactoring: both halves, from one plan made on the chart's objects."""

    name = "env-configmap"
    summary = (
        "move a workload's literal env values into a ConfigMap it reads with envFrom; entries whose meaning "
        "depends on their position, and credentials, stay in env; values keys stay as they are; a checksum/<configmap> "
        "pod annotation rolls the pods when a value changes"
    )
    made_kind = "ConfigMap"
    made_field = "configmap"
    why = "literal env values are read from a ConfigMap (envFrom)"
    roll_why = "pods roll when their env values change"
    plan_moves = staticmethod(plan)
    apply_moves = staticmethod(apply)

    def stays(self, entry: Any, pinned: set[str], folder: Mapping[Identity, dict], namespace: str) -> bool:
        # apply moves a literal value whose place in env does not matter
        return not envrefs.is_literal(entry) or entry["name"] in pinned

    def made_name(self, move: Move) -> str:
        return move.configmap

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        out.warnings.extend(self._declined(objects, ctx, rule))
        for move in self._plan(objects, ctx, rule):
            obj = objects[move.workload]
            pointer = container_pointer(obj, move.container)
            if pointer is None:
                continue
            configmap = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": new_metadata(move.configmap, namespace_of(obj), labels_of(obj)),
            }
            ident = identity(configmap)
            named = full(chart, move.configmap) if move.workload in out.names else None  # release-names before
            out.edit(move.workload, MoveEnvToConfigMap(pointer, move.names, configmap, template_path(ident), named))
            merge = annotations(obj, move.workload, [ident])
            if merge is not None:
                out.edit(move.workload, merge)
