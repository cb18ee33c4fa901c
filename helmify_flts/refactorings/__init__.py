"""Refactorings: named, built-in transformations that change what the chart renders, on purpose
and declared. One module per refactoring; :data:`REGISTRY` maps the names rule files use
(``refactor: standard-labels``) to them, and ``rules/rule-file.schema.json`` lists the same names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..values import dotted
from .base import Added, Change, Context, Declared, Identity, Named, Refactoring, SwitchedOn, TemplateChanges, apply
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
        from .cluster_ip import ClusterIP
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
            ClusterIP(),
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
        current, ctx = _advance(current, ctx, made)
    return apply(objects, changes)


def _advance(current: Mapping[Identity, dict], ctx: Context, made: list[Change]) -> tuple[Mapping, Context]:
    """The objects with what one rule declared applied, and the context the next rule declares
    with: the objects it split off in their workload's component, the renamed ones under their
    source identity."""
    if not made:
        return current, ctx
    step = apply(current, made, isolated=False)  # the next rule only reads them
    ctx = _owned(ctx, made)
    if step.renamed:
        back = {now: source for source, now in ctx.renamed.items()}
        more = {back.get(old, old): new for old, new in step.renamed.items()}
        ctx = replace(ctx, renamed={**ctx.renamed, **more})
    return step.expected, ctx


def _owned(ctx: Context, changes: list[Change]) -> Context:
    """``ctx`` with each object split off a workload in its workload's component (standard-labels
    reads it for the component label)."""
    back = {now: source for source, now in ctx.renamed.items()}
    owners = {identity(c.object): back.get(c.owner, c.owner) for c in changes if isinstance(c, Added) and c.owner}
    more = {ident: ctx.components[owner] for ident, owner in owners.items() if owner in ctx.components}
    return replace(ctx, components={**ctx.components, **more}) if more else ctx


def template_changes(
    rules: tuple[Any, ...], objects: Mapping[Identity, dict], ctx: Context, chart: str
) -> TemplateChanges:
    """What the chart's templates must do for these rules, computed from the source objects."""
    out = TemplateChanges()
    ctx = replace(ctx, rules=tuple(rules))
    # NOTES.txt names objects as the chart renders them, so it is written once every other rule
    # has said how it renames them; nothing else reads it.
    ordered = sorted(rules, key=lambda r: r.refactor == "notes")
    made: list[Change] = []  # what the rules so far declare, in order
    current, added = objects, set()  # the objects as declared so far, and those rules added
    changed: set[str] = set()  # the refactorings whose rules so far declared a change
    for i, rule in enumerate(ordered):
        files, values = set(out.files), len(out.values)
        if SEES_DECLARED.get(rule.refactor, frozenset()) & changed:
            _template_on_declared(rule, objects, made, ctx, chart, out)
        else:
            seen = objects
            if rule.refactor in REACHES_ADDED and added:
                seen = {**objects, **{ident: current[ident] for ident in added}}
            registry()[rule.refactor].template(seen, ctx, rule, chart, out)
        _fold_added(out, objects, ctx.release)
        out.switched += _switched_files(rule, out, files, out.values[values:])
        if _declared_later(ordered, i):
            changes = registry()[rule.refactor].declare(current, ctx, rule)
            made += changes
            current, ctx = _advance(current, ctx, changes)
            added |= {identity(c.object) for c in changes if isinstance(c, Added)} & set(current)
            changed |= {rule.refactor} if changes else set()
    return out


def _declared_later(ordered: list[Any], i: int) -> bool:
    """Whether a rule after the ``i``-th needs the objects as the rules up to it declare them."""
    before = {rule.refactor for rule in ordered[: i + 1]}
    for later in ordered[i + 1 :]:
        if later.refactor in REACHES_ADDED or SEES_DECLARED.get(later.refactor, frozenset()) & before:
            return True
        before.add(later.refactor)
    return False


# Refactorings whose template half also edits the objects an earlier rule split off a workload
# into the workload's template (a ConfigMap of its env values): the edits follow that object there.
REACHES_ADDED = frozenset({"standard-labels"})
# Refactorings that split objects off a workload or reshape its pod spec (env moved, init
# containers added, a Deployment made a StatefulSet).
SPLITS = frozenset({"env-configmap", "env-credentials", "statefulset", "wait-for"})
# Refactorings whose template half, after a rule of one of the given refactorings that declared a
# change, works on the objects as declared so far (their pointers name list items as the object
# has them, see _by_name): the edits of a renamed object go to its source, those of an added
# object follow it into its owner's template. The hook rules see a Job the other made a hook.
SEES_DECLARED: dict[str, frozenset[str]] = {
    "release-names": SPLITS,
    "release-namespace": SPLITS,
    "init-hooks": frozenset({"init-job-hooks"}),
    "init-job-hooks": frozenset({"init-hooks"}),
}


def _template_on_declared(
    rule: Any, objects: Mapping[Identity, dict], made: list[Change], ctx: Context, chart: str, out: TemplateChanges
) -> None:
    """Run ``rule``'s template half on the objects as ``made`` declares them, into ``out``."""
    declared = apply(objects, made)
    source = {new: old for old, new in declared.renamed.items()}
    # An object an earlier rule declared removed may still render under a switch (today's claim
    # under persistence.existingClaim): its template is edited as its source is.
    seen = {**declared.expected, **{r.identity: objects[r.identity] for r in declared.removed if r.identity in objects}}
    own = TemplateChanges()
    registry()[rule.refactor].template(seen, ctx, rule, chart, own)
    for ident, edits in own.edits.items():
        obj = seen.get(ident)
        out.edit(source.get(ident, ident), *(_by_name(edit, obj) for edit in edits))
    for ident, switches in own.switches.items():
        out.switches.setdefault(source.get(ident, ident), []).extend(switches)
    out.names.update({source.get(ident, ident): name for ident, name in own.names.items()})
    out.own_files.update({source.get(ident, ident): path for ident, path in own.own_files.items()})
    out.switched_refs |= {(source.get(ident, ident), pointer) for ident, pointer in own.switched_refs}
    for ident, labels in own.labels.items():
        out.labels.setdefault(source.get(ident, ident), {}).update(labels)
    out.values += own.values
    out.files.update(own.files)
    out.notes += own.notes
    out.warnings += own.warnings
    out.switched += own.switched


def _by_name(edit: Any, obj: Any) -> Any:
    """``edit`` with each index into a list of named items (containers, env, volumes) written as
    that item's name, which the earlier rule's template keeps while its indices may differ."""
    pointer = getattr(edit, "pointer", None)
    if pointer is None or obj is None:
        return edit
    parts: list = []
    node = obj
    for part in pointer:
        named = None
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            item = node[part]
            name = item.get("name") if isinstance(item, dict) else None
            names = [i.get("name") for i in node if isinstance(i, dict)]
            named = Named(name) if isinstance(name, str) and names.count(name) == 1 else None
            node = item
        else:
            node = node.get(part) if isinstance(node, dict) and isinstance(part, str) else None
        parts.append(named or part)
    return replace(edit, pointer=tuple(parts))


def _fold_added(out: TemplateChanges, objects: Mapping[Identity, dict], release: str) -> None:
    """Edits of an object that is not a source but was split off a workload go to the workload,
    to be applied to that object where the workload's template renders it. One the split names
    by the fullname helper (release-names before) is declared with the release prefix."""
    from .release_names import new_name

    owners: dict[Identity, tuple[Identity, str]] = {}
    for ident, edits in out.edits.items():
        for edit in edits:
            for split in (getattr(edit, "configmap", None), getattr(edit, "secret", None), getattr(edit, "obj", None)):
                if isinstance(split, dict):
                    made = identity(split)
                    name = new_name(release, made[3]) if getattr(edit, "named", None) else made[3]
                    owners[(*made[:3], name)] = (ident, made[3])
    for ident in [i for i in out.edits if i not in objects and i in owners]:
        owner, name = owners[ident]
        out.edit(owner, OnAdded(ident[1], name, tuple(out.edits.pop(ident))))


_KIND = re.compile(r"^kind: *([A-Za-z0-9]+) *$", re.MULTILINE)


def _switched_files(rule: Any, out: TemplateChanges, before: set[str], values: list) -> list[SwitchedOn]:
    """A rule that adds template files and one values switch, off by default (an opt-in extra:
    ``networkPolicies.enabled``): what those files render is what turning the switch on adds.
    A rule that says so itself (``out.switched``) is taken at its word."""
    keys = [key for key, default, _ in values if default is False and key[-1:] == ("enabled",)]
    if len(keys) != 1 or any(s.rule == rule.id for s in out.switched):
        return []
    why = f"{dotted(keys[0])} is on"
    added = sorted(f for f in set(out.files) - before if f.startswith("templates/") and f.endswith(".yaml"))
    return [
        SwitchedOn(keys[0], tuple(sorted(set(_KIND.findall(out.files[f])))), rule.id, why, template=f)
        for f in added
        if _KIND.search(out.files[f])
    ]


def _whole_modes() -> frozenset:
    from ..match import Mode

    return frozenset({Mode.VALUE, Mode.OPTIONAL, Mode.PRESENT})  # the key holds the field's value


def lifted_fields(plans: tuple[Any, ...]) -> dict[Identity, dict[tuple, tuple[str, ...]]]:
    """Per resource, the fields whose values key holds their whole value (path -> key): what
    ``Context.lifted`` holds for both halves, so that a refactoring declares only what the
    template can do (env items to move out of a list read whole from values, say)."""
    whole = _whole_modes()
    return {p.resource.identity: {h.parts: h.key for h in p.hits if h.mode in whole} for p in plans}


def plan(plans: tuple[Any, ...], rules: tuple[Any, ...], ctx: Context) -> tuple[tuple[Any, ...], TemplateChanges]:
    """The resource plans with each refactoring's tree edits and switches."""

    from .. import kyaml
    from ..existing import Guard
    from ..templating import all_of, condition, ref

    objects = {p.resource.identity: kyaml.construct(p.resource.node) for p in plans}
    ctx = replace(
        ctx,
        conditions={
            p.resource.identity: all_of(
                [ref(p.component.key + ("enabled",))] + [condition(g.key, g.negate) for g in p.guards]
            )
            for p in plans
        },
        bases={p.resource.identity: p.base for p in plans},
        existing={p.resource.identity: p.existing.key for p in plans if p.existing is not None},
        lifted=lifted_fields(plans),
    )
    changes = template_changes(rules, objects, ctx, ctx.chart)
    out = []
    for p in plans:
        ident = p.resource.identity
        switches = tuple(Guard(s.key, s.default, s.doc) for s in changes.switches.get(ident, ()))
        own_file = changes.own_files.get(ident)
        # After the plan's own (a Secret switch's renames inside a value read whole), so that a
        # release prefix applies to the chart's Secret and not to the one the switch names.
        edits = p.edits + tuple(changes.edits.get(ident, ()))
        out.append(replace(p, edits=edits, switches=switches, own_file=own_file))
    return tuple(out), changes


def declare_all(
    rules: tuple[Any, ...], loaded: Any, env_loaded: Mapping[str, Any], ctx: Context
) -> dict[str, Declared]:
    """What the chart must render for the base folder ("") and each environment's folder: the
    same refactorings applied to each folder's own objects."""
    from ..render import source_objects

    folders = {"": loaded, **env_loaded}
    return {name: declare(rules, source_objects(el), ctx) for name, el in folders.items()}
