"""checksum-roll: a pod template that mounts or reads a ConfigMap or Secret of the chart gets a
``checksum/<name>`` annotation of its rendered content, so that changing the configuration
rolls the pods. Each such ConfigMap or Secret moves to a template file of its own
(``templates/checksum/<kind>-<name>.yaml``), whose rendered text the annotation hashes (the
classic ``include (print $.Template.BasePath ...) . | sha256sum``); the proof computes the same
hash from the rendered text of that file."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..filenames import safe_name, short_hash
from ..manifests import POD_TEMPLATE
from ..records import record
from .base import Context, Edit, Expr, Identity, MergeInto, Rendered, TemplateChanges, get, pointer_text, selects

NAME = "checksum-roll"
WHY = "pods roll when the configuration they read changes"
KINDS = {
    "ConfigMap": ("configMap", "configMapRef", "configMapKeyRef"),
    "Secret": ("secret", "secretRef", "secretKeyRef"),
}


def template_path(ident: Identity, name: str = "") -> str:
    """Where a checksummed ConfigMap or Secret is rendered: the chart layout this refactoring
    chooses. ``name``: what chart files of ``ident`` are named after where that is not its name (a
    generated object's name without the content hash, :meth:`Context.key_name`)."""
    return f"templates/checksum/{ident[1].lower()}-{safe_name(name or ident[3], 200)}.yaml"


def _in_templates(ident: Identity, name: str = "") -> str:
    return template_path(ident, name).removeprefix("templates/")


def chart_names(ctx: Context) -> tuple[dict[Identity, str], dict[Identity, str]]:
    """What each ConfigMap and Secret of the chart is called in this refactoring's template files
    and in its annotation keys: ``(files, keys)``, each the object's name (a generated one's
    without the hash, :meth:`Context.key_name`) unless another object would share it. Two objects
    of a kind and name in two namespaces (an overlay's own namespace, or one folder's) must not
    share a file: one component's file would replace the other's, or one pod's checksum would
    hash both. The object in the proof's namespace keeps the name, the others add their namespace
    (``secret-db-credentials.shop-staging.yaml``). A ConfigMap and a Secret of one name that a pod
    reads must not share an annotation key: the Secret's adds its kind (``checksum/secret-app``).
    Made from every folder's objects (``ctx.objects``), so each folder's declaration and the
    template agree."""
    idents = sorted(i for i in ctx.objects if i[1] in KINDS)
    wanted = {i: ctx.key_name(i) for i in idents}
    files = _unique(
        {i: safe_name(name, 200) for i, name in wanted.items()},
        scope=lambda i: i[1],
        first=lambda i: (i[2] != ctx.namespace, i),
        other=lambda i, name: f"{name}.{i[2] or '_'}",
        fold=str.casefold,  # a case-insensitive disk holds one of Config and config
    )
    keys = _unique(
        wanted, scope=lambda i: i[2], first=lambda i: i, other=lambda i, name: f"{i[1].lower()}-{name}", fold=str
    )
    return {i: files.get(i, wanted[i]) for i in idents}, {i: keys.get(i, wanted[i]) for i in idents}


def _unique(
    wanted: Mapping[Identity, str],
    scope: Callable[[Identity], Any],
    first: Callable[[Identity], Any],
    other: Callable[[Identity, str], str],
    fold: Callable[[str], str],
) -> dict[Identity, str]:
    """The objects whose wanted name another of their ``scope`` wants too, each with a name of its
    own: the ``first`` keeps it, each other gets ``other(ident, name)`` (with a short hash of its
    identity should that be taken as well). Deterministic: it depends on the objects only."""
    by: dict[tuple, list[Identity]] = {}
    for ident in sorted(wanted, key=first):
        by.setdefault((scope(ident), fold(wanted[ident])), []).append(ident)
    taken = set(by)
    out: dict[Identity, str] = {}
    for (where, _), members in sorted(by.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        for n, ident in enumerate(members[1:]):
            name = other(ident, wanted[ident])
            while (where, fold(name)) in taken:
                name = f"{other(ident, wanted[ident])}-{short_hash(f'{ident}#{n}', 6)}"
                n += len(members)
            taken.add((where, fold(name)))
            out[ident] = name
    return out


def _named(spec: dict) -> Iterator[tuple[str, str]]:
    """(kind, name) of each ConfigMap and Secret a pod spec mounts or reads."""
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        if isinstance(volume.get("configMap"), dict):
            yield "ConfigMap", str(volume["configMap"].get("name"))
        if isinstance(volume.get("secret"), dict):
            yield "Secret", str(volume["secret"].get("secretName"))
        for source in get(volume, ("projected", "sources")) or []:
            if isinstance(source, dict):
                for kind, field in (("ConfigMap", "configMap"), ("Secret", "secret")):
                    if isinstance(source.get(field), dict):
                        yield kind, str(source[field].get("name"))
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            if not isinstance(container, dict):
                continue
            for source in container.get("envFrom") or []:
                for kind, (_, ref, _) in KINDS.items():
                    if isinstance(source, dict) and isinstance(source.get(ref), dict):
                        yield kind, str(source[ref].get("name"))
            for item in container.get("env") or []:
                for kind, (_, _, key_ref) in KINDS.items():
                    found = get(item, ("valueFrom", key_ref)) if isinstance(item, dict) else None
                    if isinstance(found, dict):
                        yield kind, str(found.get("name"))


@record
class Plan:
    """What checksum-roll annotates, made once from every folder so that each folder's declaration
    and the template agree. A workload gets ``checksum/<name>`` for an object only where its pods
    read that object and the chart renders it: an object managed outside the chart there (its
    existingSecret switch set, its folder without it) has no content of the chart to hash.
    ``always``: per workload, the objects it reads in every folder that has it, each rendered
    there; ``when``: those it reads in exactly the folders where the object renders, annotated
    under the object's render condition; ``skipped``: (workload, object) pairs no condition of
    the object tells apart (a folder renders the object while that folder's pods read another),
    which get no annotation in any folder, with a warning."""

    always: Mapping[Identity, tuple[Identity, ...]]
    when: Mapping[Identity, tuple[Identity, ...]]
    skipped: tuple[tuple[Identity, Identity], ...] = ()


class ChecksumRoll:
    name = NAME
    summary = "Pods roll when a ConfigMap or Secret of the chart they read changes."
    options: Mapping[str, str] = {}

    def _reads(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any
    ) -> Iterator[tuple[Identity, list[Identity]]]:
        """Per workload of ``objects`` (one folder's), the ConfigMaps and Secrets its pods read that
        the chart renders in that folder (the folder has them)."""
        for ident, obj in sorted(objects.items()):
            at = POD_TEMPLATE.get(ident[1])
            if not at or len(at) < 2 or not selects(rule.match, ident, obj, ctx):
                continue
            spec = get(obj, at)
            if not isinstance(spec, dict):
                continue
            read = []
            for kind, name in _named(spec):
                target = ("", kind, ident[2], name)
                if target in objects and target not in read:
                    read.append(target)
            if read:
                yield ident, read

    def _plan(self, ctx: Context, rule: Any) -> Plan:
        folders = ctx.every_folder()
        reads = [dict(self._reads(folder, ctx, rule)) for folder in folders]
        always: dict[Identity, tuple[Identity, ...]] = {}
        when: dict[Identity, tuple[Identity, ...]] = {}
        skipped = []
        for ident in sorted(set().union(*reads)):
            having = [(r.get(ident, []), folder) for r, folder in zip(reads, folders, strict=True) if ident in folder]
            read = list(dict.fromkeys(t for each, _ in having for t in each))
            always[ident] = tuple(t for t in read if all(t in each for each, _ in having))
            # The object's render condition holds exactly where its folder has it.
            when[ident] = tuple(
                t for t in read if t not in always[ident] and all((t in each) == (t in f) for each, f in having)
            )
            skipped += [(ident, t) for t in read if t not in always[ident] + when[ident]]
        return Plan(always, when, tuple(skipped))

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        out = []
        files, keys = chart_names(ctx)
        skipped = set(self._plan(ctx, rule).skipped)
        for ident, read in self._reads(objects, ctx, rule):
            kept = [t for t in read if (ident, t) not in skipped]
            edit = declared_annotations(ident, objects[ident], kept, rule.id, names=keys, files=files) if kept else None
            if edit is not None:
                out.append(edit)
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        # Planned from what each workload reads in every folder that has it: an environment whose
        # generated ConfigMap or Secret has other content (another hash) reads another object there,
        # and one whose values switch an object off (existingSecret) reads one the chart does not have.
        planned = self._plan(ctx, rule)
        files, keys = chart_names(ctx)
        for ident in sorted(planned.always):
            if ident not in objects:
                continue
            read = [*planned.always[ident], *planned.when[ident]]
            for target in read:
                out.own_files[target] = template_path(target, files.get(target, ""))
            when = {t: ctx.conditions.get(t, "") for t in planned.when[ident]}
            merge = annotations(objects[ident], ident, read, names=keys, when=when, files=files)
            if merge is not None:
                out.edit(ident, merge)
        for ident, target in planned.skipped:
            out.own_files.setdefault(target, template_path(target, files.get(target, "")))
            what = f"{target[1]}/{target[3]}"
            out.warnings.append(
                f"checksum-roll: {ident[1]}/{ident[3]} reads {what} in some folders, while a folder that has {what}"
                f" runs those pods with another one: no values condition tells these apart, so they get no"
                f" {_annotation(target, keys)} annotation and do not roll when {what} changes (leave"
                f" {what} out of the folders whose pods do not read it)"
            )


def _annotation(target: Identity, names: Mapping[Identity, str]) -> str:
    """The annotation key of ``target``'s checksum: one place, for the declaration and the template."""
    return f"checksum/{names.get(target, target[3])}"


def declared_annotations(
    ident: Identity,
    obj: dict,
    read: list[Identity],
    rule: str,
    why: str = WHY,
    names: Mapping[Identity, str] | None = None,
    files: Mapping[Identity, str] | None = None,
) -> Edit | None:
    """The pod template of ``obj`` with a ``checksum/<name>`` annotation per object of ``read``,
    each the sha256 of its own template file as rendered; one the source has is left as it is.
    ``names`` and ``files``: what annotation keys and template files are named after where that
    is not the object's name (:func:`chart_names`)."""
    names, files = names or {}, files or {}
    meta_at = (*POD_TEMPLATE[ident[1]][:-1], "metadata")
    wanted = {_annotation(t, names): Rendered(template_path(t, files.get(t, ""))) for t in read}
    meta = get(obj, meta_at)
    if not isinstance(meta, dict):
        ops: tuple[dict, ...] = ({"op": "add", "path": pointer_text(meta_at), "value": {"annotations": wanted}},)
    elif not isinstance(meta.get("annotations"), dict):
        ops = ({"op": "add", "path": pointer_text((*meta_at, "annotations")), "value": wanted},)
    else:
        ops = tuple(
            {"op": "add", "path": pointer_text((*meta_at, "annotations", k)), "value": v}
            for k, v in wanted.items()
            if k not in meta["annotations"]
        )
    return Edit(ident, ops, rule, why) if ops else None


def rolls(
    objects: Mapping[Identity, dict],
    reads: list[tuple[Identity, Identity, Identity]],
    added: Any,
    rule: str,
    why: str,
) -> list:
    """For objects a refactoring adds in a template of their own: per (workload, object, name)
    triple, the annotation edit, where this folder's declaration adds the object (``added``: its
    objects.Change list), as the chart renders the object and its checksum together. ``name`` is
    the object as the chart names its template and annotation (without a release prefix)."""
    made = {c.identity for c in added}
    out = []
    # Per workload whose pod template has no annotations: the keys the edits so far add. The
    # first edit adds the whole map; a later one (another container's object) must add its key
    # to that map, or it would replace it.
    given: dict[Identity, dict[str, None]] = {}
    for workload, target, shown in reads:
        if target not in made:
            continue
        obj = objects[workload]
        if workload in given:
            obj = {"kind": workload[1]}
            node = obj
            for part in (*POD_TEMPLATE[workload[1]][:-1], "metadata"):
                node = node.setdefault(part, {})
            node["annotations"] = given[workload]
        edit = declared_annotations(workload, obj, [shown], rule, why)
        if edit is None:
            continue
        out.append(edit)
        if not isinstance(get(objects[workload], (*POD_TEMPLATE[workload[1]][:-1], "metadata", "annotations")), dict):
            given.setdefault(workload, {})[_annotation(shown, {})] = None
    return out


def annotations(
    obj: dict,
    ident: Identity,
    read: list[Identity],
    unless: str = "",
    names: Mapping[Identity, str] | None = None,
    when: Mapping[Identity, str] | None = None,
    files: Mapping[Identity, str] | None = None,
) -> MergeInto | None:
    """The template edit that renders what :func:`declared_annotations` declares (only while the
    Go condition ``unless`` is false: the object's own; each object's only while its condition
    in ``when`` holds)."""
    names, when, files = names or {}, when or {}, files or {}
    meta_at = (*POD_TEMPLATE[ident[1]][:-1], "metadata")
    have = get(obj, (*meta_at, "annotations"))
    have = have if isinstance(have, dict) else {}
    kept = [t for t in read if _annotation(t, names) not in have]
    entries = tuple(
        (
            _annotation(t, names),
            Expr(f'include (print $.Template.BasePath "/{_in_templates(t, files.get(t, ""))}") . | sha256sum'),
        )
        for t in kept
    )
    conditions = tuple(when.get(t, "") for t in kept) if any(when.get(t) for t in kept) else ()
    return MergeInto((*meta_at, "annotations"), entries, unless, conditions) if entries else None
