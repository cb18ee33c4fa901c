"""Refactorings: named, built-in transformations that change what the chart renders, on purpose
and declared. One module per refactoring; :data:`REGISTRY` maps the names rule files use
(``refactor: standard-labels``) to them, and ``rules/rule-file.schema.json`` lists the same names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .base import Added, Change, Context, Declared, Identity, Refactoring, SwitchedOn, TemplateChanges, apply
from .objects import identity
from .tree import OnAdded

# The refactorings themselves are imported on first use of REGISTRY (a rule file that names one):
# they are most of this package, and a convert without refactorings, or a module that needs only
# the types above, does not load them.
_REGISTRY: dict[str, Refactoring] = {}


def registry() -> dict[str, Refactoring]:
    """The refactorings by the name rule files use; one dict for the whole run."""
    if not _REGISTRY:
        from .autoscaling_replicas import AutoscalingReplicas
        from .checksum_roll import ChecksumRoll
        from .credentials import EnvCredentials
        from .envconfig import EnvConfigMap
        from .extras import DisruptionBudgets, NetworkPolicies, ServiceMonitors
        from .init_hooks import InitHooks
        from .notes import Notes
        from .release_names import ReleaseNames
        from .release_namespace import ReleaseNamespace
        from .standard_labels import StandardLabels
        from .startup import InitJobHooks, WaitFor
        from .statefulset import StatefulSets

        made: tuple[Refactoring, ...] = (
            StandardLabels(),
            ReleaseNamespace(),
            AutoscalingReplicas(),
            InitHooks(),
            ChecksumRoll(),
            Notes(),
            ReleaseNames(),
            NetworkPolicies(),
            ServiceMonitors(),
            DisruptionBudgets(),
        )
        # The production pack's refactorings.
        made += (EnvConfigMap(), EnvCredentials(), WaitFor(), InitJobHooks(), StatefulSets())
        _REGISTRY.update({r.name: r for r in made})
    return _REGISTRY


def __getattr__(name: str) -> Any:
    """``REGISTRY``, made when first asked for."""
    if name == "REGISTRY":
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def declare(rules: tuple[Any, ...], objects: Mapping[Identity, dict], ctx: Context) -> Declared:
    """The sources with what every refactoring rule declares applied, rule after rule: each sees
    the objects as the earlier rules left them."""
    changes: list[Change] = []
    current: Mapping[Identity, dict] = objects
    for rule in rules:
        made = registry()[rule.refactor].declare(current, ctx, rule)
        changes += made
        current = apply(current, made).expected if made else current
    return apply(objects, changes)


def template_changes(
    rules: tuple[Any, ...], objects: Mapping[Identity, dict], ctx: Context, chart: str
) -> TemplateChanges:
    """What the chart's templates must do for these rules, computed from the source objects."""
    from .notes import Notes

    out = TemplateChanges()
    reaches_added = _reaches_added()
    # NOTES.txt names objects as the chart renders them, so it is written once every other rule
    # has said how it renames them; nothing else reads it.
    ordered = sorted(rules, key=lambda r: r.refactor == Notes.name)
    current, added = objects, set()  # the objects as declared so far, and those rules added
    for i, rule in enumerate(ordered):
        files, values = set(out.files), len(out.values)
        seen = objects
        if rule.refactor in reaches_added and added:
            seen = {**objects, **{ident: current[ident] for ident in added}}
        registry()[rule.refactor].template(seen, ctx, rule, chart, out)
        _fold_added(out, objects)
        out.switched += _switched_files(rule, out, files, out.values[values:])
        if any(later.refactor in reaches_added for later in ordered[i + 1 :]):
            made = registry()[rule.refactor].declare(current, ctx, rule)
            current = apply(current, made).expected if made else current
            added |= {identity(c.object) for c in made if isinstance(c, Added)} & set(current)
    return out


def _reaches_added() -> frozenset[str]:
    """Refactorings whose template half also edits the objects an earlier rule split off a workload
    into the workload's template (a ConfigMap of its env values): the edits follow that object there."""
    from .standard_labels import StandardLabels

    return frozenset({StandardLabels.name})


def _fold_added(out: TemplateChanges, objects: Mapping[Identity, dict]) -> None:
    """Edits of an object that is not a source but was split off a workload go to the workload,
    to be applied to that object where the workload's template renders it."""
    owners = {
        identity(split): ident
        for ident, edits in out.edits.items()
        for edit in edits
        for split in (getattr(edit, "configmap", None), getattr(edit, "secret", None), getattr(edit, "obj", None))
        if isinstance(split, dict)
    }
    for ident in [i for i in out.edits if i not in objects and i in owners]:
        out.edit(owners[ident], OnAdded(ident[1], ident[3], tuple(out.edits.pop(ident))))


_KIND = re.compile(r"^kind: *([A-Za-z0-9]+) *$", re.MULTILINE)


def _switched_files(rule: Any, out: TemplateChanges, before: set[str], values: list) -> list[SwitchedOn]:
    """A rule that adds template files and one values switch, off by default (an opt-in extra:
    ``networkPolicies.enabled``): what those files render is what turning the switch on adds.
    A rule that says so itself (``out.switched``) is taken at its word."""
    keys = [key for key, default, _ in values if default is False and key[-1:] == ("enabled",)]
    if len(keys) != 1 or any(s.rule == rule.id for s in out.switched):
        return []
    why = f"{'.'.join(keys[0])} is on"
    added = sorted(f for f in set(out.files) - before if f.startswith("templates/") and f.endswith(".yaml"))
    return [
        SwitchedOn(keys[0], tuple(sorted(set(_KIND.findall(out.files[f])))), rule.id, why, template=f)
        for f in added
        if _KIND.search(out.files[f])
    ]


def _whole_modes() -> frozenset:
    from ..match import Mode

    return frozenset({Mode.VALUE, Mode.OPTIONAL, Mode.PRESENT})  # the key holds the field's value


def plan(plans: tuple[Any, ...], rules: tuple[Any, ...], ctx: Context) -> tuple[tuple[Any, ...], TemplateChanges]:
    """The resource plans with each refactoring's tree edits and switches."""
    from dataclasses import replace

    from .. import kyaml
    from ..existing import Guard
    from ..templating import all_of, condition, ref

    objects = {p.resource.identity: kyaml.construct(p.resource.node) for p in plans}
    whole = _whole_modes()
    ctx = replace(
        ctx,
        conditions={
            p.resource.identity: all_of(
                [ref(p.component.key + ("enabled",))] + [condition(g.key, g.negate) for g in p.guards]
            )
            for p in plans
        },
        bases={p.resource.identity: p.base for p in plans},
        lifted={p.resource.identity: {h.parts: h.key for h in p.hits if h.mode in whole} for p in plans},
    )
    changes = template_changes(rules, objects, ctx, ctx.chart)
    out = []
    for p in plans:
        ident = p.resource.identity
        switches = tuple(Guard(s.key, s.default, s.doc) for s in changes.switches.get(ident, ()))
        own_file = changes.own_files.get(ident)
        out.append(replace(p, edits=tuple(changes.edits.get(ident, ())), switches=switches, own_file=own_file))
    return tuple(out), changes


def declare_all(
    rules: tuple[Any, ...], loaded: Any, env_loaded: Mapping[str, Any], ctx: Context
) -> dict[str, Declared]:
    """What the chart must render for the base folder ("") and each environment's folder: the
    same refactorings applied to each folder's own objects."""
    from ..render import source_objects

    folders = {"": loaded, **env_loaded}
    return {name: declare(rules, source_objects(el), ctx) for name, el in folders.items()}
