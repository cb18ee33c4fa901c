"""release-namespace: the folder's main namespace becomes the release namespace.

``metadata.namespace``, RBAC subjects, the Services that webhooks and APIServices call, the claim
a volume is kept for, and ``NAME.NS.svc(.cluster.local)`` host names (a StatefulSet pod's
``kafka-0.kafka-headless.NS.svc`` too) in env values, args, commands, ConfigMap data (config
files) and Secret data follow ``.Release.Namespace``, so that ``helm install -n other`` keeps
the release in one namespace. A folder that writes no namespace has ``default`` as its main
one, and ``NAME.default.svc`` follows the same way; where another namespace is the main one,
such a host name for a Service that writes no namespace (it lands in the release namespace too)
stays, and the report says so. A Namespace object of that name becomes the switch
``namespace.create`` (off by default) and is declared removed. Rendered in the main namespace,
as the proof renders, nothing else changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..references import service_refs, text_at
from ..scopes import Scopes, declared
from .base import (
    Context,
    Expr,
    Identity,
    Put,
    Removed,
    RenameHosts,
    Switch,
    SwitchedOn,
    TemplateChanges,
    get,
    pointer_text,
    selects,
)

NAME = "release-namespace"
CREATE_KEY = ("namespace", "create")
WHY_ADDED = "namespace.create is on: the chart creates the release namespace"
WHY_REMOVED = "the release namespace is created by helm install --create-namespace, or with namespace.create"


class ReleaseNamespace:
    name = NAME
    summary = "The folder's main namespace becomes the release namespace."
    options: Mapping[str, str] = {}

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        return [
            Removed(ident, rule.id, WHY_REMOVED)
            for ident, obj in objects.items()
            if ident[1] == "Namespace" and ident[3] == ctx.namespace and selects(rule.match, ident, obj, ctx)
        ]

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        from .release_names import references, same_path

        namespace = Expr(".Release.Namespace | quote")
        scopes = scopes_of(objects, ctx)
        for ident, obj in objects.items():
            if not selects(rule.match, ident, obj, ctx):
                continue
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if ident[1] == "Namespace" and ident[3] == ctx.namespace:
                out.edit(ident, Put(("metadata", "name"), namespace))
                out.switches.setdefault(ident, []).append(
                    Switch(CREATE_KEY, False, "Create the release namespace with the chart (off: helm creates it)")
                )
                out.switched.append(SwitchedOn(CREATE_KEY, ("Namespace",), rule.id, WHY_ADDED, source=ident))
                continue
            # A cluster-scoped object's namespace means nothing to the cluster: the release's
            # would only suggest that the object belongs to one.
            if meta.get("namespace") == ctx.namespace and not scopes.is_cluster(ident[0], ident[1]):
                out.edit(ident, Put(("metadata", "namespace"), namespace))
            if ident[1] in ("RoleBinding", "ClusterRoleBinding"):
                for i, subject in enumerate(obj.get("subjects") or []):
                    if isinstance(subject, dict) and subject.get("namespace") == ctx.namespace:
                        out.edit(ident, Put(("subjects", i, "namespace"), namespace))
            # A webhook (or an APIService) the API server calls must name the Service where
            # the release puts it, and a volume kept for a claim the claim where it is.
            places = [*service_refs(ident[1], obj), *([("spec", "claimRef")] if ident[1] == "PersistentVolume" else [])]
            for path in places:
                if get(obj, (*path, "namespace")) == ctx.namespace:
                    out.edit(ident, Put((*path, "namespace"), namespace))
        out.warnings += _in_custom_resources(objects, ctx)
        forms: dict[tuple[Identity, tuple], list[tuple[str, str]]] = {}
        stays: set[str] = set()
        # Every folder's text of a field: an environment may spell a host with the namespace
        # where the base does not (kafka.NS.svc.cluster.local in prod only).
        for env, folder in (("", objects), *zip(ctx.folder_names, ctx.folders, strict=False)):
            for ref in references(folder, ctx):
                # A StatefulSet pod's DNS name (kafka-0.kafka-headless.NS.svc) as its Service's.
                host = ref.via == "host" or (ref.via == "pod" and ref.target_kind == "Service")
                if not (host and ref.host_namespace and ref.source in objects):
                    continue
                if ref.host_namespace != ctx.namespace:
                    lands = ref.target is not None and not ref.target[2]  # in the release namespace
                    if lands and selects(rule.match, ref.source, objects[ref.source], ctx):
                        stays.add(_stays(folder, ref, env, ctx.namespace))
                    continue
                path = ref.path if folder is objects else same_path(ref.path, folder[ref.source], objects[ref.source])
                if path is not None and selects(rule.match, ref.source, objects[ref.source], ctx):
                    text = text_at(folder[ref.source], ref)
                    form = (_form(text, ref), ".Release.Namespace", _form(text, ref, json=True))
                    found = forms.setdefault((ref.source, path, ref.encoding == "base64"), [])
                    if form not in found:
                        found.append(form)
        for (ident, path, base64), found in forms.items():
            patterns = tuple((f, new) for f, new, _ in found)
            out.edit(ident, RenameHosts(path, patterns, base64, json=tuple(j for _, _, j in found)))
        out.warnings += sorted(stays)


def _stays(folder: Mapping[Identity, dict], ref: Any, env: str, main: str) -> str:
    """What the report says of a host name that spells out a namespace other than the main one
    for a Service that writes none (``kafka.default.svc`` in a folder whose main namespace is
    ``shop``): the Service lands in the release namespace, and the text keeps naming the other."""
    text = text_at(folder[ref.source], ref)
    host = text[ref.span[0] : ref.span[1]] if isinstance(text, str) else ref.target_name
    where = f"{ref.source[1]} {ref.source[3]} {pointer_text(ref.path)}" + (f" in environment {env}" if env else "")
    return (
        f"{where}: {host!r} names namespace {ref.host_namespace!r}, but Service {ref.target_name} writes no "
        f"namespace and lands in the release namespace, which host names follow only where they name {main!r}: "
        "left as it is, so installed in another namespace it names a Service the chart does not put there; "
        f"write the host without the namespace, or with {main!r}"
    )


def scopes_of(objects: Mapping[Identity, dict], ctx: Context) -> Scopes:
    """The scopes the CustomResourceDefinitions of every folder of the run declare."""
    return declared(obj for folder in (objects, ctx.objects, *ctx.folders) for obj in folder.values())


def _in_custom_resources(objects: Mapping[Identity, dict], ctx: Context) -> list[str]:
    """Fields of custom resources that name the main namespace (a Prometheus's alertmanagers, a
    ServiceMonitor's namespaceSelector): no schema here says they are namespaces, so they stay as
    they are, and the report says so once per custom resource, with what to do. So do the user
    names of the namespace's service accounts (``system:serviceaccount:NS:web`` in OpenShift's
    security context constraints, ``cluster.local/ns/NS/sa/web`` in a mesh's policy)."""
    from .release_names import custom_strings

    ns = re.escape(ctx.namespace)
    account = re.compile(rf"\bsystem:serviceaccounts?:{ns}(?::|$)|(?:^|/)ns/{ns}/sa/")
    out = []
    for ident, found in custom_strings(objects).items():
        fields = [
            pointer_text(path)
            for path, value in found
            if value == ctx.namespace
            and next((p for p in reversed(path) if isinstance(p, str)), "").lower()
            in ("namespace", "namespaces", "matchnames")
            or ctx.namespace in value
            and account.search(value)
        ]
        if fields:
            these = "this field" if len(fields) == 1 else "these fields"
            out.append(
                f"{ident[1]} {ident[3]} {', '.join(fields)}: {ctx.namespace!r} names the namespace the release "
                f"replaces, but {ident[1]} is a custom resource whose fields are not known; left as it is, so "
                f"installed in another namespace it would still name {ctx.namespace!r}: template {these} "
                "({{ .Release.Namespace }}), or install the release in that namespace"
            )
    return out


def _form(text: str, ref: Any, *, json: bool = False) -> str:
    """An RE2 pattern for the namespace of this host name where the finder found it (group 1 is
    what comes before the namespace, group 2 what follows), so that a look-alike elsewhere in the
    text (``postgres.flts.svc.example.org``) stays. The name may already carry a release prefix
    (release-names applied first). ``json``: for the text as toJson writes it."""
    from .release_names import host_context

    before, _ = host_context(text, ref, json=json)
    name = re.escape(ref.target_name)
    suffix = r"\.svc(?:\.cluster\.local)?(?:[^a-z0-9.-]|$)"  # the port may differ where a value is set
    return f"({before}(?:[a-z0-9-]+-)?{name}\\.){re.escape(ref.host_namespace)}({suffix})"
