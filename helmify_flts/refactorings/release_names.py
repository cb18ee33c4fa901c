"""release-names: every object's name gets the release prefix through a ``fullname`` helper, as
``helm create`` charts do, and every reference follows it: the fields that name an object
(ConfigMap, Secret and claim references, serviceAccountName, RBAC subjects, roleRefs and rules'
resourceNames, HPA targets, Ingress backends and TLS Secrets, a StatefulSet's serviceName, the
Service a webhook calls, ...) and Service host
names inside env values, args, commands and config files. A StatefulSet pod's own DNS name
(``kafka-0.kafka-headless:9092``) follows both its StatefulSet and its governing Service, each
part where the rule renames its object, whatever the ordinal (``spec.replicas`` is a knob, and an
environment or an autoscaler may set more). A Service that selects pods of the
folder also selects by ``app.kubernetes.io/instance`` (added to those pod templates), and so do
PodDisruptionBudgets and NetworkPolicies, so that two releases in one namespace have disjoint
names, and Services, disruption budgets and policies that reach only their own pods;
workload selectors stay as they are (a cluster does not let them change). References come
from :mod:`helmify_flts.references`; a word the finder cannot prove is a host name (built at run
time, a group id) stays as it is, and the report warns about it: so do a pod's name that a shell
fills in (``$HOSTNAME.kafka-headless``) and ``web-0.web`` where ``web`` is not a StatefulSet that
Service governs. Host names in a Secret's
``stringData`` and base64 ``data`` (a DSN) follow too, the latter decoded and encoded again.
Custom resources keep their names (:func:`helmify_flts.scopes.custom`): which fields name them is
not known (an Ingress's ``cert-manager.io/cluster-issuer`` annotation, a Certificate's
``issuerRef``), and a prefix would leave such a reference dangling; the report lists each.
What custom resources name follows where the finder knows the field (a KEDA scaler's target, a
``{kind, name}`` of an object of the folder, host names in a Rollout's or a ScaledJob's pod spec,
a trigger's metadata value that is nothing but host names); a field it does not know that spells a
renamed object's name stays, and so does a trigger's host name inside a longer text (a query):
the report says so once per custom resource."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import templating
from ..paths import FieldPath, plain_name
from ..references import encoded, text_at
from ..templating import quote
from . import named_in_args
from .base import Context, Edit, Expr, Identity, Put, TemplateChanges, get, pointer_text, selects
from .release_namespace import scopes_of

NAME = "release-names"
WHY = "the release prefix keeps two releases in one namespace apart"


# The longest release name whose prefix must keep every object's name apart: objects whose names
# the 63-character cut would make one for a release name of up to this length keep their names.
LONGEST_RELEASE = 30


def _cut_together(
    objects: Mapping[Identity, dict], ctx: Context, rule: Any, scopes: Any
) -> dict[Identity, tuple[Identity, int]]:
    """Objects (of every folder) the release prefix and the 63-character cut would give the name of
    another object of their kind and namespace, for a release name of up to LONGEST_RELEASE
    characters: each with the other one and the shortest release name that joins them. Two
    ConfigMaps would be one, and the proof, which renames both alike, would not see it."""
    seen: dict[tuple, set[str]] = {}
    for folder in (objects, ctx.objects, *ctx.folders):
        for i, obj in folder.items():
            # A shorter name is never cut, and most names are shorter.
            long_enough = len(i[3]) > 62 - LONGEST_RELEASE
            if long_enough and not scopes.keeps_name(i[0], i[1]) and selects(rule.match, i, obj, ctx):
                seen.setdefault(i[:3], set()).add(i[3])
    long = "x" * LONGEST_RELEASE
    out: dict[Identity, tuple[Identity, int]] = {}
    for place, names in seen.items():
        by_cut: dict[str, list[str]] = {}
        for name in sorted(names):
            by_cut.setdefault(new_name(long, name), []).append(name)
        for group in by_cut.values():
            for a, b in zip(group, group[1:], strict=False):
                length = next(n for n in range(1, LONGEST_RELEASE + 1) if new_name("x" * n, a) == new_name("x" * n, b))
                out.setdefault((*place, a), ((*place, b), length))
                out[(*place, b)] = ((*place, a), length)
    return out


def _cut_together_warnings(ctx: Context, rule: Any, objects: Mapping[Identity, dict]) -> list[str]:
    said = []
    for ident, (other, length) in sorted(_cut_together(objects, ctx, rule, scopes_of(objects, ctx)).items()):
        if ident < other:
            said.append(
                f"{ident[1]}/{ident[3]} and {other[3]} keep their names: with the release prefix, cut to 63 "
                f"characters, they would be one name for a release name of {length} characters or more; shorten "
                "them to tell them apart within their first characters"
            )
    return said


def new_name(release: str, name: str) -> str:
    """The name the fullname helper gives: release-name, at most 63 characters."""
    return f"{release}-{name}"[:63].rstrip("-")


def helper(chart: str) -> str:
    return (
        "{{/*\nAn object's name with the release prefix, at most 63 characters (the DNS label limit).\n*/}}\n"
        f'{{{{- define "{chart}.fullname" -}}}}\n'
        '{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}\n'
        "{{- end }}\n"
    )


def full(chart: str, name: str) -> str:
    """The Go expression that prints ``name`` with the release prefix (the fullname helper)."""
    return f'include "{chart}.fullname" (dict "root" $ "name" {quote(name)})'


class ReleaseNames:
    name = NAME
    summary = "Every object's name gets the release prefix; every reference follows."
    options: Mapping[str, str] = {}

    def _plan(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any):  # noqa: ANN202
        # Names that mean something outside the chart stay (scopes.Scopes.keeps_name).
        scopes = scopes_of(objects, ctx)
        renamed = {
            i for i, obj in objects.items() if not scopes.keeps_name(i[0], i[1]) and selects(rule.match, i, obj, ctx)
        }
        renamed -= set(_cut_together(objects, ctx, rule, scopes))
        fields: dict[Identity, list] = {}
        hosts: dict[Identity, dict[tuple, list]] = {}
        # Each StatefulSet pod's DNS name (kafka-0.kafka-headless) by where it is and where it ends:
        # both its parts, whether renamed or not, for the template's pattern of the whole name.
        pods: dict[tuple, dict[str, Any]] = {}
        for ref in references(objects, ctx):
            if ref.via == "pod":
                pods.setdefault((ref.source, ref.path, ref.span[1]), {})[ref.target_kind] = ref
            if ref.target not in renamed or ref.source not in objects or _apart(ref, ctx):
                continue
            value = text_at(objects[ref.source], ref)
            if ref.span is None and value == ref.target_name:
                fields.setdefault(ref.source, []).append(ref)
            elif ref.span is not None and isinstance(value, str) and _in_chart(ref, objects, ctx):
                hosts.setdefault(ref.source, {}).setdefault(ref.path, []).append(ref)
        return renamed, fields, hosts, pods

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        renamed, fields, hosts, _ = self._plan(objects, ctx, rule)
        instance = _instance_labels(objects, ctx.release, ctx)
        out = []
        for ident in sorted(set(renamed) | set(fields) | set(hosts) | set(instance)):
            obj = objects[ident]
            ops = [
                {"op": "replace", "path": pointer_text(ref.path), "value": new_name(ctx.release, ref.target_name)}
                for ref in fields.get(ident, [])
            ]
            for path, refs in hosts.get(ident, {}).items():
                text = text_at(obj, refs[0])
                for ref in sorted(refs, key=lambda r: r.span, reverse=True):
                    start = ref.span[0]
                    text = text[:start] + new_name(ctx.release, ref.target_name) + text[start + len(ref.target_name) :]
                value = encoded(text) if refs[0].encoding == "base64" else text
                ops.append({"op": "replace", "path": pointer_text(path), "value": value})
            ops += [{"op": "add", "path": pointer_text(p), "value": v} for p, v in instance.get(ident, [])]
            if ident in renamed and isinstance(obj.get("metadata"), dict):
                ops.append({"op": "replace", "path": "/metadata/name", "value": new_name(ctx.release, ident[3])})
            if ops:
                out.append(Edit(ident, tuple(_unique(ops)), rule.id, WHY))
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        from .base import Rename, RenameHosts

        renamed, fields, hosts, pods = self._plan(objects, ctx, rule)
        out.files["templates/_fullname.tpl"] = helper(chart)

        for ident, labels in _instance_labels(objects, ctx.release, ctx).items():
            for path, value in labels:
                expr = Expr(".Release.Name | quote")
                out.edit(ident, Put(path, expr if isinstance(value, str) else _with_release(value)))
        for ident in renamed:
            if isinstance(objects[ident].get("metadata"), dict):
                out.edit(ident, Put(("metadata", "name"), Expr(f"{full(chart, ident[3])} | quote")))
                out.names[ident] = full(chart, ident[3])
        # Each environment folder planned once: the names its references hold, and its host names.
        planned = [(folder, self._plan(folder, ctx, rule)) for folder in ctx.folders]
        others = self._other_names(fields, planned)
        for ident, refs in fields.items():
            for ref in refs:
                more = others.get((ident, ref.path), [])
                also = tuple((name, _full_where(chart, ctx, target, name)) for name, target in more)
                # Where the field is read whole from values, a name whose object has an
                # existingSecret switch prints the user's Secret once it is set, in every folder.
                existing = tuple(
                    (name, templating.ref(ctx.existing[target]))
                    for name, target in ((ref.target_name, ref.target), *more)
                    if target in ctx.existing
                )
                new = _full_where(chart, ctx, ref.target, ref.target_name)
                out.edit(ident, Rename(ref.path, ref.target_name, new, also, existing))
                if existing:
                    out.switched_refs.add((ident, tuple(ref.path)))
        for ident, pointer, name, target in _only_in_folders(objects, fields, planned):
            # An item only environments' copies have (an overlay's own volume or envFrom entry):
            # rendered from values, renamed there as that folder's declaration renames it.
            existing = ((name, templating.ref(ctx.existing[target])),) if target in ctx.existing else ()
            out.edit(ident, Rename(pointer, name, _full_where(chart, ctx, target, name), (), existing))
        out.warnings += _cut_together_warnings(ctx, rule, objects)
        out.warnings += _unproven(objects, renamed, hosts, pods)
        out.warnings += self._not_followed(objects, ctx, rule)
        out.warnings += _in_custom_resources(objects, renamed)
        out.warnings += _in_triggers(objects, renamed, hosts)
        out.warnings += _custom_kept(objects, ctx, rule)
        out.warnings += _written_instances(objects)
        out.warnings += _custom_selectors(objects)
        out.warnings += named_in_args.unfollowed(objects, renamed)
        found: dict[tuple[Identity, tuple], tuple[list, list, bool]] = {}
        for folder, at, (f_hosts, f_pods) in self._every_folder(objects, planned, (hosts, pods)):
            for ident, by_path in f_hosts.items():
                for path, refs in by_path.items():
                    where = (ident, at(ident, path))
                    pod_forms, forms, _ = found.setdefault(where, ([], [], refs[0].encoding == "base64"))
                    for ref in refs:
                        text = text_at(folder[ident], ref)
                        # (pattern, new name, the pattern in toJson's text)
                        if ref.via == "pod":
                            form = _pod_form(text, f_pods[(ident, path, ref.span[1])], refs, chart)
                        else:
                            new = _full_where(chart, ctx, ref.target, ref.target_name)
                            form = (_form(text, ref), new, _form(text, ref, json=True))
                        into = pod_forms if ref.via == "pod" else forms
                        before = _item_before(folder[ident], ref.path)
                        same = next((f for f in into if f[0] == form[0]), None)
                        if same is None:
                            into.append((form[0], form[1], [before], form[2]))
                        elif before not in same[2]:
                            same[2].append(before)
        for (ident, path), (pod_forms, forms, base64) in found.items():
            # A pod's whole name first: a Service's own pattern (.kafka-headless:9092 after
            # $(POD_NAME)) may match the end of a pod's name, and a pod's cannot match a Service's.
            both = (*pod_forms, *forms)
            # An item's form from a folder where any item may come before it holds for every item.
            before = tuple(() if None in b else tuple(b) for _, _, b, _ in both)
            patterns = tuple((f, new) for f, new, _, _ in both)
            out.edit(ident, RenameHosts(path, patterns, base64, before, tuple(j for *_, j in both)))

    def _every_folder(self, objects: Mapping[Identity, dict], planned: list, own: tuple):  # noqa: ANN202
        """The host names to follow in each folder: the planned objects' first, then each
        environment folder's (another port, one more host in a list, a longer suffix, a pod's name
        only it has), so that the template's patterns match every folder's text of a field,
        whether the template holds the base's text or reads the field from values. Each with the
        folder's objects and how a path into them becomes the path into the planned object."""
        yield objects, lambda ident, path: path, own
        for folder, (_, _, f_hosts, f_pods) in planned:
            mine: dict[Identity, dict[tuple, list]] = {}
            for ident, by_path in f_hosts.items():
                for path, refs in by_path.items():
                    if ident in objects and same_path(path, folder[ident], objects[ident]) is not None:
                        mine.setdefault(ident, {})[path] = refs
            yield folder, lambda ident, path, f=folder: same_path(path, f[ident], objects[ident]), (mine, f_pods)

    def _not_followed(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list[str]:
        """Host names in an item that only an environment's copy of an object has (an env var
        only prod sets, rendered from values as written): the template has no field of its own
        to rename them in, so that environment's declaration leaves them, and the report says so."""
        out, scopes = [], scopes_of(objects, ctx)
        for env, folder in zip(ctx.folder_names, ctx.folders, strict=False):
            for ref in references(folder, ctx):
                if ref.source not in objects or ref.span is None or ref.target_name == "" or _apart(ref, ctx):
                    continue
                if ref.via == "pod" and ref.target_kind == "StatefulSet":
                    continue  # said once, with its Service
                renamed = ref.target is not None and ref.target in objects
                renamed = renamed and not scopes.keeps_name(ref.target[0], ref.target[1])
                renamed = renamed and selects(rule.match, ref.target, objects[ref.target], ctx)
                if renamed and not _in_chart(ref, folder, ctx):
                    text = text_at(folder[ref.source], ref)
                    host = text[ref.span[0] : ref.span[1]] if isinstance(text, str) else ref.target_name
                    out.append(
                        f"{ref.source[1]} {ref.source[3]} {pointer_text(ref.path)} in environment {env}: "
                        f"{host!r} names a Service the release renames, but only that environment has this item, "
                        f"rendered from values-{env}.yaml as written; left as it is there (write the "
                        "release's name in that values file to follow it)"
                    )
        return sorted(set(out))

    def _other_names(self, fields: Mapping[Identity, list], planned: list) -> dict[tuple, list[tuple[str, Identity]]]:
        """Per reference field of the planned objects, the other objects it names in the
        environments' folders that this rule renames there (an overlay's generated Secret, whose
        name has another hash): the field's values then hold those names, and each is renamed as
        that folder's declaration renames it. Each with the object it names there."""
        wanted = {(ident, ref.path): ref.target_name for ident, refs in fields.items() for ref in refs}
        out: dict[tuple, list[tuple[str, Identity]]] = {}
        for _, (_, found, _, _) in planned:
            for ident, refs in found.items():
                for ref in refs:
                    at = (ident, ref.path)
                    known = [name for name, _ in out.get(at, [])]
                    if at in wanted and ref.target_name != wanted[at] and ref.target_name not in known:
                        out.setdefault(at, []).append((ref.target_name, ref.target))
        return out


def _full_where(chart: str, ctx: Context, target: Identity | None, name: str) -> str:
    """The Go expression of the name a reference to ``target`` (called ``name``) renders: the
    release's name for it; where some folder lacks that object (an overlay deletes the Service a
    URL names, or moves the ServiceAccount a ClusterRoleBinding names to another namespace), only
    where the chart renders it, since there the reference names something else (or nothing) and
    each folder's declaration renames only what that folder has. An existingSecret switch decides
    a Secret's name by itself."""
    from ..plan import BASE

    everywhere = {BASE, *ctx.folder_names}
    condition = ctx.conditions.get(target) if target is not None else None
    if not condition or target in ctx.existing or everywhere <= ctx.presence.get(target, everywhere):
        return full(chart, name)
    return f"ternary ({full(chart, name)}) {quote(name)} ({condition})"


def _only_in_folders(
    objects: Mapping[Identity, dict], fields: Mapping[Identity, list], planned: list
) -> list[tuple[Identity, tuple, str, Identity]]:
    """The reference fields of environments' folders that are no reference field of the planned
    objects (``fields``): a volume or an envFrom entry only an overlay adds. Each once: the object,
    the path with named items by name (the template finds its items by it), the name and what it
    names."""
    wanted = {(ident, tuple(ref.path)) for ident, refs in fields.items() for ref in refs}
    out: dict[tuple, tuple[Identity, tuple, str, Identity]] = {}
    for folder, (_, found, _, _) in planned:
        for ident, refs in found.items():
            if ident not in objects:
                continue
            for ref in refs:
                if {(ident, tuple(ref.path)), (ident, same_path(ref.path, folder[ident], objects[ident]))} & wanted:
                    continue  # a field the planned object has too: renamed with it (_other_names)
                pointer = _pointer(FieldPath.named(ref.path, folder[ident]).steps, objects[ident])
                out.setdefault((ident, pointer, ref.target_name), (ident, pointer, ref.target_name, ref.target))
    return [out[k] for k in sorted(out, key=repr)]


def _pointer(steps: tuple, planned: Any) -> tuple:
    """A path into an environment's copy of an object as the template finds it: named items by
    name, an item without a name by its index where the planned object has an item there, else by
    a name no item has (the template's item at that index is another one: the ConfigMap that
    env-configmap reads after the values' own envFrom items), so that only values are renamed."""
    from .base import Named

    out: list = []
    node = planned
    for step in steps:
        if isinstance(step, str):
            out.append(step)
            node = node.get(step) if isinstance(node, dict) else None
        elif step.name is not None:
            out.append(Named(step.name))
            node = next((x for x in node if plain_name(x) == step.name), None) if isinstance(node, list) else None
        elif isinstance(node, list) and step.index < len(node):
            out.append(step.index)
            node = node[step.index]
        else:
            out.append(Named(""))
            node = None
    return tuple(out)


def same_path(path: tuple, obj: Any, planned: Any) -> tuple | None:
    """``path`` into an environment folder's copy of an object as a path into the planned object:
    an item of a named list (a container, an env var) by its name, which keeps while indices differ.
    None where the planned object has no such item (an env var only that folder has)."""
    return FieldPath.named(path, obj).indices(planned)


def _in_chart(ref: Any, objects: Mapping[Identity, dict], ctx: Context) -> bool:
    """Whether the template has a field of its own for the text ``ref`` is in: not an item that
    only environments' copies of the object have (an env var only prod sets), which the chart
    renders from that environment's values as written, so the release prefix cannot follow there."""
    chart, obj = ctx.objects.get(ref.source), objects.get(ref.source)
    if chart is None or obj is None:
        return True
    named = FieldPath.named(ref.path, obj)
    if named.indices(chart) is not None:
        return True
    return not any(ref.source in f and named.indices(f[ref.source]) is not None for f in ctx.folders)


def _apart(ref: Any, ctx: Context) -> bool:
    """Whether no folder has both ends of ``ref``: an overlay's renamed copy of a workload (its
    nameSuffix) still naming the base's Service, which that overlay does not deploy. No folder's
    declaration renames such a reference, so the chart leaves it as it is."""
    source, target = ctx.presence.get(ref.source), ctx.presence.get(ref.target)
    return source is not None and target is not None and not source & target


def references(objects: Mapping[Identity, dict], ctx: Context) -> list:
    """What :func:`references.find_references` finds in ``objects``: the source's and what earlier
    rules added (env-credentials moves a URL with a password from an env value into a Secret's
    ``stringData``, where it is found as in any Secret)."""
    from ..references import find_references

    return find_references(objects)


INSTANCE = "app.kubernetes.io/instance"


def _instance_labels(
    objects: Mapping[Identity, dict], release: str, ctx: Context | None = None
) -> dict[Identity, list[tuple[tuple, Any]]]:
    """The instance label that keeps two releases apart, per object: in each pod selector of the
    folder that selects pods of the folder (a Service's selector, a PodDisruptionBudget's, a
    NetworkPolicy's podSelector and its same-namespace peers), and on those pod templates.
    Workload selectors, which a cluster does not let change, stay as they are. With ``ctx``, a
    selector that selects pods in any folder counts in every folder: one template renders it in
    all of them (a Service whose Deployment an overlay deletes, a disruption budget only prod has
    for a Deployment no Service selects)."""
    from ..checks import pod_labels
    from ..manifests import POD_TEMPLATE

    out: dict[Identity, list[tuple[tuple, Any]]] = {}
    workloads: set[Identity] = set()
    selecting, selected, blocked = _selecting(ctx) if ctx is not None and ctx.objects else (set(), set(), set())
    workloads.update(i for i in objects if i in selected)
    custom = _custom_pods(objects)
    for owner, path, plain in _pod_selectors(objects):
        selector = get(objects[owner], path)
        chosen = _selected_by(objects, owner[2], selector, plain)
        if not (chosen or (owner, path) in selecting) or _has_instance(selector, plain):
            continue
        if (owner, path) in blocked or _custom_selected(custom, owner[2], selector, plain):
            continue  # it also selects a custom resource's pods, which the label does not reach
        if plain:
            added: tuple[tuple, Any] = ((*path, INSTANCE), release)
        elif isinstance(selector.get("matchLabels"), dict):
            added = ((*path, "matchLabels", INSTANCE), release)
        else:
            added = ((*path, "matchLabels"), {INSTANCE: release})
        out.setdefault(owner, []).append(added)
        workloads.update(chosen)
    for ident in sorted(workloads):
        obj, at = objects[ident], POD_TEMPLATE.get(ident[1])
        labels = pod_labels(obj, ident[1])
        if not at or len(at) < 2 or labels is None or INSTANCE in labels:
            continue
        meta = (*at[:-1], "metadata")
        if not isinstance(get(obj, meta), dict):
            out[ident] = [(meta, {"labels": {INSTANCE: release}})]
        elif not isinstance(get(obj, (*meta, "labels")), dict):
            out[ident] = [((*meta, "labels"), {INSTANCE: release})]
        else:
            out[ident] = [((*meta, "labels", INSTANCE), release)]
    return out


def _selecting(ctx: Context) -> tuple[set[tuple[Identity, tuple]], set[Identity], set[tuple[Identity, tuple]]]:
    """The pod selectors (object, path) that select pods of their folder, without an instance
    label, in some folder of the chart, and the workloads they select there: by source identity
    and by the identity an earlier rule gave it (the objects a declaration sees). Third, the
    selectors that select a custom resource's pods in some folder (see :func:`_custom_selected`)."""
    selecting: set[tuple[Identity, tuple]] = set()
    selected: set[Identity] = set()
    blocked: set[tuple[Identity, tuple]] = set()
    for folder in ctx.every_folder():
        custom = _custom_pods(folder)
        for owner, path, plain in _pod_selectors(folder):
            selector = get(folder[owner], path)
            chosen = _selected_by(folder, owner[2], selector, plain)
            if chosen and not _has_instance(selector, plain):
                selecting |= {(owner, path), (ctx.now(owner), path)}
                selected |= {*chosen, *(ctx.now(i) for i in chosen)}
            if _custom_selected(custom, owner[2], selector, plain):
                blocked |= {(owner, path), (ctx.now(owner), path)}
    return selecting, selected, blocked


def _custom_pods(objects: Mapping[Identity, dict]) -> list[tuple[Identity, dict]]:
    """The custom resources of a folder that run pods (an Argo Rollout, a ScaledJob's jobs), with
    their pods' labels: read once per folder, asked for each selector."""
    from ..references import custom_pod_spec, pod_metadata_of

    return [
        (i, labels)
        for i, o in objects.items()
        if custom_pod_spec(i) is not None and isinstance(labels := pod_metadata_of(i, o).get("labels"), dict)
    ]


def _custom_selected(pods: list[tuple[Identity, dict]], namespace: str, selector: Any, plain: bool) -> list[Identity]:
    """Of ``pods`` (see :func:`_custom_pods`), the custom resources whose pods a selector selects.
    The instance label reaches built-in pod templates only, so such a selector keeps none: with it,
    the Service would no longer reach those pods."""
    if not isinstance(selector, dict):
        return []
    return [i for i, labels in pods if i[2] == namespace and _matches(selector, labels, plain)]


def _written_instances(objects: Mapping[Identity, dict]) -> list[str]:
    """Pod selectors that already select by an instance label the manifests write (a folder made
    with ``helm template``: ``app.kubernetes.io/instance: demo``): labels the manifests write keep
    their value (a workload's own selector may hold it, and that cannot change), so two releases
    in one namespace would select each other's pods. Said once per selector."""
    out = []
    for owner, path, plain in _pod_selectors(objects):
        selector = get(objects[owner], path)
        if not _has_instance(selector, plain) or not _selected_by(objects, owner[2], selector, plain):
            continue
        labels = selector if plain else selector.get("matchLabels")
        value = labels.get(INSTANCE) if isinstance(labels, dict) else None
        shown = f"{INSTANCE}: {value}" if isinstance(value, str) else INSTANCE
        out.append(
            f"{owner[1]}/{owner[3]} selects {shown} as the manifests write it (made by a release of another "
            "chart?), and the chart keeps that value, so two releases in one namespace would select each other's "
            "pods; install one release per namespace, or take that label out of the manifests' selectors and pod "
            "labels"
        )
    return out


def _with_release(value: dict) -> Any:
    """A labels mapping (or metadata holding one) with the release name as the instance label."""
    return {k: _with_release(v) if isinstance(v, dict) else Expr(".Release.Name | quote") for k, v in value.items()}


def _custom_selectors(objects: Mapping[Identity, dict]) -> list[str]:
    """Pod selectors left without the instance label because they also select a custom resource's
    pods (see :func:`_custom_selected`), and what that means. Said once per selector."""
    out, custom = [], _custom_pods(objects)
    for owner, path, plain in _pod_selectors(objects):
        selector = get(objects[owner], path)
        if _has_instance(selector, plain) or not (found := _custom_selected(custom, owner[2], selector, plain)):
            continue
        pods = ", ".join(f"{i[1]}/{i[3]}" for i in sorted(found))
        out.append(
            f"{owner[1]}/{owner[3]} {pointer_text(path)} selects the pods of {pods}, which the release's instance "
            "label does not reach (a custom resource's pod template), so it keeps no instance label and two releases "
            "in one namespace would select each other's pods; install one release per namespace"
        )
    return out


def _pod_selectors(objects: Mapping[Identity, dict]) -> list[tuple[Identity, tuple, bool]]:
    """Each selector of pods in the object's own namespace: (object, path, is a plain label map).
    A NetworkPolicy peer with a namespaceSelector reaches other namespaces and is left alone."""
    out: list[tuple[Identity, tuple, bool]] = []
    for ident, obj in objects.items():
        if ident[1] == "Service" and isinstance(get(obj, ("spec", "selector")), dict):
            out.append((ident, ("spec", "selector"), True))
        elif ident[1] == "PodDisruptionBudget" and isinstance(get(obj, ("spec", "selector")), dict):
            out.append((ident, ("spec", "selector"), False))
        elif ident[1] == "NetworkPolicy":
            if isinstance(get(obj, ("spec", "podSelector")), dict):
                out.append((ident, ("spec", "podSelector"), False))
            for rules, peers in (("ingress", "from"), ("egress", "to")):
                for i, rule in enumerate(get(obj, ("spec", rules)) or []):
                    for j, peer in enumerate(rule.get(peers) or [] if isinstance(rule, dict) else []):
                        if isinstance(peer, dict) and isinstance(peer.get("podSelector"), dict):
                            if "namespaceSelector" not in peer:
                                out.append((ident, ("spec", rules, i, peers, j, "podSelector"), False))
    return out


def _has_instance(selector: dict, plain: bool) -> bool:
    if plain:
        return INSTANCE in selector
    labels = selector.get("matchLabels")
    expressions = selector.get("matchExpressions")
    return (isinstance(labels, dict) and INSTANCE in labels) or (
        isinstance(expressions, list) and any(isinstance(e, dict) and e.get("key") == INSTANCE for e in expressions)
    )


def _matches(selector: dict, labels: dict, plain: bool) -> bool:
    """Whether a selector (a plain label map, or a LabelSelector) selects pods with ``labels``."""
    if plain:
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
    wanted = selector.get("matchLabels") or {}
    if not isinstance(wanted, dict) or any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if not (
            (op == "In" and labels.get(key) in values)
            or (op == "NotIn" and labels.get(key) not in values)
            or (op == "Exists" and key in labels)
            or (op == "DoesNotExist" and key not in labels)
        ):
            return False
    return True


def _selected_by(objects: Mapping[Identity, dict], namespace: str, selector: Any, plain: bool) -> list[Identity]:
    from ..checks import pod_labels

    if not isinstance(selector, dict):
        return []
    return [
        i
        for i, o in objects.items()
        if i[2] == namespace and (labels := pod_labels(o, i[1])) is not None and _matches(selector, labels, plain)
    ]


def _unproven(objects: Mapping[Identity, dict], renamed: set, hosts: dict, pods: Mapping[tuple, dict]) -> list[str]:
    """Words in env values, args and commands that spell a renamed Service's name but that the
    reference finder cannot prove are host names (a name built at run time, a group id), and what
    looks like a pod's DNS name behind such a Service there or in ConfigMap data that the finder
    did not read as a StatefulSet pod's (``$HOSTNAME.kafka-headless``, ``web-0.web``): they stay
    as they are, and the report lists them."""
    services = sorted({i[3] for i in renamed if i[1] == "Service"}, key=len, reverse=True)
    if not services:
        return []
    names = "|".join(re.escape(s) for s in services)
    word = _word(services)
    # What looks like a pod's DNS name (web-0.web) but that the finder did not read as a
    # StatefulSet pod's: the workload is not a StatefulSet that Service governs.
    pod_like = re.compile(
        r"(?<![A-Za-z0-9_.-])([a-z0-9][a-z0-9-]*-[0-9]+)\.(" + names + r")(?![A-Za-z0-9_/-]|\.[A-Za-z])"
    )
    # A pod's name that a shell or the kubelet fills in ($HOSTNAME.kafka-headless) in front of a
    # Service that the finder did not read as a host name there: ``$HOSTNAME.`` is read as a
    # variable, and ``$(POD_NAME).kafka-headless`` with no port or namespace is a bare word.
    run_time = re.compile(
        r"(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)\.("
        + names
        + r")(?![A-Za-z0-9_-])"
    )
    found_pods: dict[tuple, set[int]] = {}
    for (source, path, _), parts in pods.items():
        found_pods.setdefault((source, path), set()).update(r.span[0] for r in parts.values())
    # Objects of one kind and name in several namespaces (an overlay's own): the warning says which.
    spaces: dict[tuple[str, str], set[str]] = {}
    for i in objects:
        spaces.setdefault((i[1], i[3]), set()).add(i[2])
    twins = {kind_name for kind_name, seen in spaces.items() if len(seen) > 1}
    out = []
    for ident, path, text, words in _texts(objects):
        if not words and not any("." + name in text for name in services):
            continue  # a config file (a dashboard) with no name in front of a renamed Service's
        spans = {r.span[0] for r in hosts.get(ident, {}).get(path, [])}
        spans |= found_pods.get((ident, path), set())
        ns = f" in namespace {ident[2]}" if ident[2] and (ident[1], ident[3]) in twins else ""
        where = f"{ident[1]} {ident[3]}{ns} {pointer_text(path)}"
        found = {m.group(1) for m in word.finditer(text) if m.start() not in spans} if words else set()
        for name in sorted(found):
            out.append(
                f"{where}: {name!r} is the name of a Service the release renames, but not provably a host name "
                "there; left as it is"
            )
        pods_seen = {m.group(): m.groups() for m in pod_like.finditer(text) if m.start() not in spans}
        for host, (label, service) in sorted(pods_seen.items()):
            out.append(
                f"{where}: {host!r} looks like the DNS name of a pod behind Service {service!r}, which the release "
                f"renames, but {label!r} is not a pod of a StatefulSet that Service governs; left as it is"
            )
        built = {m.group() for m in run_time.finditer(text) if m.start(2) not in spans}
        for host in sorted(built):
            out.append(
                f"{where}: {host!r} is a host name built at run time in front of a Service the release "
                "renames; left as it is"
            )
    return out


def _word(services: list[str]) -> re.Pattern:
    """A Service's name as a word on its own: not part of a path, a file name, a longer name or a
    variable, nor a URL's scheme (``redis://``, named like the Service it reaches; ``services``
    longest first)."""
    names = "|".join(re.escape(s) for s in services)
    return re.compile(r"(?<![A-Za-z0-9_./@$%{-])(" + names + r")(?![A-Za-z0-9_/-]|\.[A-Za-z]|://)")


def _in_triggers(objects: Mapping[Identity, dict], renamed: set, hosts: Mapping[Identity, dict]) -> list[str]:
    """KEDA trigger metadata that names a Service the release renames where the finder does not
    follow it (:func:`helmify_flts.references.hosts_only`: a value that is more than host names,
    such as a query or a list with other text, whose other text must not change), and words there
    that spell such a Service's name but are not provably host names: in a host-like field, or in
    a longer text (a query's ``service="web"``; a value that is only the word, a consumer group or
    a topic, is an app's name). The scaler would then ask for an object the chart does not render:
    said once per scaler, with what to do."""
    from ..references import host_like, scaler_metadata, trigger_hosts

    services = sorted({i[3] for i in renamed if i[1] == "Service"}, key=len, reverse=True)
    if not services or not any(next(scaler_metadata(i, o), None) for i, o in objects.items()):
        return []
    found: dict[tuple[Identity, tuple], list] = {}
    for ref in trigger_hosts(objects):
        found.setdefault((ref.source, ref.path), []).append(ref)
    names = {i[3] for i in renamed}
    word = _word(services)
    said: dict[Identity, dict[str, tuple]] = {}  # per scaler, what it says (each once, in order) and where
    for ident in sorted(objects):
        for path, key, text in scaler_metadata(ident, objects[ident]):
            refs = found.get((ident, path), [])
            followed = {r.span for r in hosts.get(ident, {}).get(path, [])}
            # Each host name once (a pod's DNS name is two references): what it names, where it starts.
            by_end: dict[int, list] = {}
            for ref in refs:
                if ref.target in renamed and ref.span not in followed:
                    by_end.setdefault(ref.span[1], []).append(ref)
            where = pointer_text(path)
            items = said.setdefault(ident, {})
            for end, parts in sorted(by_end.items()):
                start = min(r.span[0] for r in parts)
                objects_named = " and ".join(f"{r.target_kind}/{r.target_name}" for r in parts)
                items.setdefault(f"{where} {text[start:end]!r} names {objects_named}", path)
            spans = [r.span for r in refs]
            # The whole value in a field whose key names an object is said with the custom
            # resource's other fields (_in_custom_resources).
            whole = text in names and _names_an_object(path)
            for m in word.finditer(text) if not whole else ():
                if (m.group(1) != text or host_like(key)) and not any(a <= m.start() < b for a, b in spans):
                    items.setdefault(f"{where} {m.group(1)!r} may name Service/{m.group(1)}", path)
    out = []
    for ident, items in said.items():
        if not items:
            continue
        fields = "this field" if len(set(items.values())) == 1 else "these fields"
        out.append(
            f"{ident[1]} {ident[3]}: " + "; ".join(items) + ", which the release renames, but a trigger's metadata "
            "follows it only where a value is nothing but host names (host:port, a URL, or a comma-separated list "
            "of them): left as written, so the installed scaler would ask for an object the chart does not render; "
            f"write {fields} as such a value or with the release's name for the object, or keep the object's name "
            "(apply release-names with a rule of your own whose match leaves it out)"
        )
    return out


def _texts(objects: Mapping[Identity, dict]) -> list[tuple[Identity, tuple, str, bool]]:
    """Where a host name may be written: each container's env values, args and commands, and
    ConfigMap data (config files, scripts). Each with whether a bare word that spells a Service's
    name is worth a warning there (not in config files: a dashboard's legend, a topic)."""
    from ..checks import container_texts

    out = []
    for ident, obj in sorted(objects.items()):
        data = obj.get("data") if ident[1] == "ConfigMap" else None
        if isinstance(data, dict):
            out += [(ident, ("data", k), v, False) for k, v in sorted(data.items(), key=str) if isinstance(v, str)]
        out += [(ident, path, text, True) for path, text in container_texts(ident, obj)]
    return out


def _in_custom_resources(objects: Mapping[Identity, dict], renamed: set) -> list[str]:
    """Fields of custom resources that name an object the release renames (a Prometheus's
    ``serviceAccountName``, a route's backend) where no reference the finder knows covers them
    (:func:`helmify_flts.references._of_custom`: a scaler's target, a ``{kind, name}`` of an object
    of the folder): they stay as they are, and the report says so once per custom resource, with
    what to do."""
    names: dict[str, list[Identity]] = {}
    for ident in sorted(renamed):
        names.setdefault(ident[3], []).append(ident)
    mentions = {
        ident: found
        for ident, strings in custom_strings(objects).items()
        if (found := [(path, value) for path, value in strings if value in names and _names_an_object(path)])
    }
    if not mentions:
        return []
    from ..references import find_references, read_whole

    # Every reference the finder knows, followed or not (a ScaledObject's authenticationRef
    # names its TriggerAuthentication, not the Secret of the same name).
    known = {(ref.source, tuple(ref.path)) for ref in find_references(objects)}
    out = []
    for ident, found in mentions.items():
        said = []
        whole = read_whole(ident[0], ident[1])
        for path, value in found:
            named = _of_written_kind(get(objects[ident], path[:-1]), names[value])
            if (ident, tuple(path)) in known or not named or any(path[: len(p)] == p for p in whole):
                continue
            said.append(f"{pointer_text(path)} {value!r} names {_named_kinds(path, named)}")
        if said:
            fields = "this field" if len(said) == 1 else "these fields"
            kind = _custom_kind(ident)
            out.append(
                f"{kind} {ident[3]}: " + "; ".join(said) + f", which the release renames, but {kind} is a "
                "custom resource whose references are not known: left as written, so the installed chart would name "
                f"an object it does not render; template {fields} (the release's name for the object), or keep the "
                "object's name (apply release-names with a rule of your own whose match leaves it out)"
            )
    return out


def _of_written_kind(parent: Any, objects: list[Identity]) -> list[Identity]:
    """The ``objects`` a name may mean, where it sits beside a ``kind`` (and an ``apiVersion`` or a
    group): only those of that kind and group (``{group: example.com, kind: Bucket, name: db}``
    names no Service ``db``). Beside a ``type`` and no ``kind``, only those of the kind the type
    spells: ``{type: group, name: orders}`` (a Kafka ACL's consumer group) names no object."""
    from ..references import group_of

    kind = parent.get("kind") if isinstance(parent, dict) else None
    if not isinstance(kind, str):
        typed = parent.get("type") if isinstance(parent, dict) else None
        if isinstance(typed, str):
            spelt = re.sub(r"[-_ ]", "", typed).lower()
            return [i for i in objects if i[1].lower() == spelt]
        return objects
    group = group_of(parent)
    return [i for i in objects if i[1] == kind and group in (None, i[0])]


def _named_kinds(path: tuple, objects: list[Identity]) -> str:
    """The renamed objects a custom resource's field most likely names: of the kind its key says
    (serviceAccountName names a ServiceAccount, not the Service of the same name; a ``name``
    says it by the key it sits under: ``secretKeyRef.name`` names a Secret), else all."""
    keys = [p.lower() for p in path if isinstance(p, str)]
    key = keys[-2] if keys[-1] == "name" and len(keys) > 1 else keys[-1]
    said = [i for i in objects if i[1].lower() in key or (key in _HOSTS and i[1] == "Service")]
    longest = max((len(i[1]) for i in said), default=0)
    kinds = ", ".join(f"{i[1]}/{i[3]}" for i in said if len(i[1]) == longest) if said else ""
    return kinds or ", ".join(f"{i[1]}/{i[3]}" for i in objects)


def _custom_kind(ident: Identity) -> str:
    """A custom resource's kind as messages name it: with its group where a built-in kind has
    the same name (Knative's ``Service.serving.knative.dev``, not a Service)."""
    from ..schema import built_in

    return f"{ident[1]}.{ident[0]}" if ident[0] and built_in(ident[1]) else ident[1]


def _custom_kept(objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list[str]:
    """Custom resources the rule matches that keep their names (scopes.custom): which fields name
    them is not known, so a prefix could leave a reference dangling; two releases then share
    the name, and the report says so once per object."""
    from ..scopes import SELECTED_BY_LABELS, custom

    return [
        f"{_custom_kind(i)}/{i[3]} keeps its name: {_custom_kind(i)} is a custom resource whose references are "
        "not known (an "
        "annotation or a field of another object may name it), so a release prefix could leave a reference to it "
        "dangling; two releases in one namespace (or in one cluster, for a cluster-scoped kind) share this object"
        for i, obj in sorted(objects.items())
        # a kind picked by its labels is prefixed (scopes.Scopes.keeps_name): not one that keeps its name
        if custom(i[0], i[1]) and (i[0], i[1]) not in SELECTED_BY_LABELS and selects(rule.match, i, obj, ctx)
    ]


def custom_strings(objects: Mapping[Identity, dict]) -> dict[Identity, list[tuple[tuple, str]]]:
    """Each custom resource's strings outside its metadata, with their paths in pointer order:
    where it may name other objects, in fields no schema here describes. By group and kind: a
    Knative Service is a custom resource, though Kubernetes has a Service."""
    from ..scopes import custom

    out = {}
    for ident, obj in sorted(objects.items()):
        if not isinstance(obj, dict) or not custom(ident[0], ident[1]):
            continue
        stack: list[tuple[tuple, Any]] = [((k,), v) for k, v in obj.items() if k != "metadata"]
        found = []
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict):
                stack.extend(((*path, k), v) for k, v in value.items())
            elif isinstance(value, list):
                stack.extend(((*path, i), v) for i, v in enumerate(value))
            elif isinstance(value, str):
                found.append((path, value))
        out[ident] = sorted(found, key=lambda f: pointer_text(f[0]))
    return out


def _names_an_object(path: tuple) -> bool:
    """A field whose key says it holds an object's name (``name``, ``serviceAccountName``,
    ``secret``), not a label, a selector or a port."""
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    if any(isinstance(p, str) and p in ("labels", "matchLabels", "selector", "annotations") for p in path):
        return False
    return key.lower().endswith("name") or key.lower() in ("service", "secret", "configmap", "serviceaccount", *_HOSTS)


_HOSTS = ("host", "hosts")  # a mesh route's destination, a gateway's hosts: a Service's name


def _item_before(obj: Any, path: tuple) -> str | None:
    """The item just before a list item at ``path`` (a word of args before a host name: its flag,
    which the finder reads), as toJson writes it; None for the first item or a field of a map."""
    if not path or not isinstance(path[-1], int) or path[-1] < 1:
        return None
    words = get(obj, tuple(path[:-1]))
    if not isinstance(words, list) or path[-1] > len(words) or not isinstance(words[path[-1] - 1], str):
        return None
    return _go_json(words[path[-1] - 1])


# What Go's JSON encoder (toJson) writes for characters JSON must escape or Go escapes for HTML.
_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_json(text: str) -> str:
    """``text`` as a JSON string the way toJson writes it."""
    out = []
    for c in text:
        if c in _GO_ESCAPES:
            out.append(_GO_ESCAPES[c])
        elif ord(c) < 0x20 or c in "<>&\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _form(text: str, ref: Any, head: Any = None, *, json: bool = False) -> str:
    """An RE2 pattern that finds this host name where the finder found it, with what comes before
    (group 1) and after it (group 2), so that a bare word elsewhere in the text stays as it is.
    ``head``: ``ref`` names the Service of a StatefulSet pod's DNS name, and ``head`` its
    StatefulSet; the pattern's middle is then the whole ``kafka-0.kafka-headless``. ``json``: the
    pattern for the text as toJson writes it inside a string (see :func:`host_context`)."""
    first = head or ref
    before, after = host_context(text, first, json=json)
    name = text[first.span[0] : ref.span[0] + len(ref.target_name)]
    rest = text[ref.span[0] + len(ref.target_name) : ref.span[1]]
    if ref.host_namespace:  # the namespace may be the release's (release-namespace)
        rest_pattern = r"\.[a-z0-9-]+" + re.escape(rest[len(ref.host_namespace) + 1 :])
    else:
        rest_pattern = re.escape(rest)
    return f"({before}){re.escape(name)}({rest_pattern}{after})"


def _pod_form(text: str, parts: Mapping[str, Any], followed: list, chart: str) -> tuple[str, str, str]:
    """The pattern of a StatefulSet pod's DNS name, and the Go expression of its new name: the pod's
    label with the StatefulSet's new name and its ordinal, a dot, the Service's new name. A part
    not ``followed`` (a user's rule keeps that object's name) keeps its name. Third, the pattern
    for the text as toJson writes it."""
    pod, service = parts["StatefulSet"], parts["Service"]
    ordinal = text[pod.span[0] + len(pod.target_name) : service.span[0]]  # "-0."

    def name(ref: Any) -> str:
        return full(chart, ref.target_name) if ref in followed else quote(ref.target_name)

    new = f"print ({name(pod)}) {quote(ordinal)} ({name(service)})"
    return _form(text, service, pod), new, _form(text, service, pod, json=True)


def host_context(text: str, ref: Any, *, json: bool = False) -> tuple[str, str]:
    """RE2 patterns for what comes just before and just after a host name the finder found in
    ``text`` (its span): enough to tell it from a look-alike elsewhere in the text. ``json``: for
    the text inside a JSON string as toJson writes it (a list read whole from values is renamed in
    its JSON text), where a quote, a tab, ``&``, ``<`` or ``>`` next to the host is escaped."""

    def literal(part: str) -> str:
        return re.escape(_go_json(part)[1:-1] if json else part)

    start, end = ref.span
    if text[max(0, start - 3) : start] == "://":
        before = "://"
    elif start == 0:
        before = "^"
    else:
        before = literal(text[start - 1])
    tail = text[end:]
    nearby = re.match(r"[ \t]+[0-9]+", tail) if ref.port_from == "nearby" else None
    if nearby:
        after = literal(nearby.group())
    elif not tail:
        after = "$"
    else:
        after = literal(tail[0])
    return before, after


def _unique(ops: list[dict]) -> list[dict]:
    seen, out = set(), []
    for op in ops:
        if op["path"] not in seen:
            seen.add(op["path"])
            out.append(op)
    return out
