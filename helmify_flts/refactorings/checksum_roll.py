"""checksum-roll: a pod template that mounts or reads a ConfigMap or Secret of the chart gets a
``checksum/<name>`` annotation of its rendered content, so that changing the configuration
rolls the pods. Each such ConfigMap or Secret moves to a template file of its own
(``templates/checksum/<kind>-<name>.yaml``), whose rendered text the annotation hashes (the
classic ``include (print $.Template.BasePath ...) . | sha256sum``); the proof computes the same
hash from the rendered text of that file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..filenames import safe_name
from ..manifests import POD_TEMPLATE
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


class ChecksumRoll:
    name = NAME
    summary = "Pods roll when a ConfigMap or Secret of the chart they read changes."
    options: Mapping[str, str] = {}

    def _reads(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any
    ) -> Iterator[tuple[Identity, list[Identity]]]:
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
                # the chart's objects decide, as in the template: an environment whose folder lacks
                # the Secret (provided there, existingSecret) still renders the annotation
                if (target in objects or target in ctx.objects) and target not in read:
                    read.append(target)
            if read:
                yield ident, read

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        out = []
        for ident, read in self._reads(objects, ctx, rule):
            edit = declared_annotations(ident, objects[ident], read, rule.id, names=ctx.key_names)
            if edit is not None:
                out.append(edit)
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        # What each workload reads in every folder that has it: an environment whose generated
        # ConfigMap or Secret has other content (another hash) reads another object there.
        folders = (objects, *ctx.folders)
        reads = [dict(self._reads(folder, ctx, rule)) for folder in folders]
        for ident in sorted(set().union(*reads)):
            if ident not in objects:
                continue
            seen = [r.get(ident, []) for r, folder in zip(reads, folders, strict=True) if ident in folder]
            read = list(dict.fromkeys(t for each in seen for t in each))
            for target in read:
                out.own_files[target] = template_path(target, ctx.key_names.get(target, ""))
            # One read only in some folders renders while its object does: the folders that read
            # it have it render, the others do not (the base's generated Secret in an overlay that
            # makes its own).
            always = [t for t in read if all(t in each for each in seen)]
            when = {t: ctx.conditions.get(t, "") for t in read if t not in always}
            merge = annotations(objects[ident], ident, always + list(when), names=ctx.key_names, when=when)
            if merge is not None:
                out.edit(ident, merge)


def declared_annotations(
    ident: Identity,
    obj: dict,
    read: list[Identity],
    rule: str,
    why: str = WHY,
    names: Mapping[Identity, str] | None = None,
) -> Edit | None:
    """The pod template of ``obj`` with a ``checksum/<name>`` annotation per object of ``read``,
    each the sha256 of its own template file as rendered; one the source has is left as it is.
    ``names``: what objects are named after where that is not their name (generated ones)."""
    names = names or {}
    meta_at = (*POD_TEMPLATE[ident[1]][:-1], "metadata")
    wanted = {f"checksum/{names.get(t, t[3])}": Rendered(template_path(t, names.get(t, ""))) for t in read}
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
    for workload, target, shown in reads:
        edit = declared_annotations(workload, objects[workload], [shown], rule, why) if target in made else None
        if edit is not None:
            out.append(edit)
    return out


def annotations(
    obj: dict,
    ident: Identity,
    read: list[Identity],
    unless: str = "",
    names: Mapping[Identity, str] | None = None,
    when: Mapping[Identity, str] | None = None,
) -> MergeInto | None:
    """The template edit that renders what :func:`declared_annotations` declares (only while the
    Go condition ``unless`` is false: the object's own; each object's only while its condition
    in ``when`` holds)."""
    names, when = names or {}, when or {}
    meta_at = (*POD_TEMPLATE[ident[1]][:-1], "metadata")
    have = get(obj, (*meta_at, "annotations"))
    have = have if isinstance(have, dict) else {}
    kept = [t for t in read if f"checksum/{names.get(t, t[3])}" not in have]
    entries = tuple(
        (
            f"checksum/{names.get(t, t[3])}",
            Expr(f'include (print $.Template.BasePath "/{_in_templates(t, names.get(t, ""))}") . | sha256sum'),
        )
        for t in kept
    )
    conditions = tuple(when.get(t, "") for t in kept) if any(when.get(t) for t in kept) else ()
    return MergeInto((*meta_at, "annotations"), entries, unless, conditions) if entries else None
