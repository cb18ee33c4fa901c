"""release-namespace: the folder's main namespace becomes the release namespace.

``metadata.namespace``, RBAC subjects and ``NAME.NS.svc(.cluster.local)`` host names in env
values, args, commands and ConfigMap data (config files) follow ``.Release.Namespace``, so that
``helm install -n other`` keeps the release in one namespace. A Namespace object of that name
becomes the switch ``namespace.create`` (off by default) and is declared removed. Rendered in
the main namespace, as the proof renders, nothing else changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Context, Expr, Identity, Put, Removed, Replace, Switch, TemplateChanges, selects

NAME = "release-namespace"
CREATE_KEY = ("namespace", "create")
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
        from ..references import find_references

        namespace = Expr(".Release.Namespace | quote")
        for ident, obj in objects.items():
            if not selects(rule.match, ident, obj, ctx):
                continue
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if ident[1] == "Namespace" and ident[3] == ctx.namespace:
                out.edit(ident, Put(("metadata", "name"), namespace))
                out.switches.setdefault(ident, []).append(
                    Switch(CREATE_KEY, False, "Create the release namespace with the chart (off: helm creates it)")
                )
                continue
            if meta.get("namespace") == ctx.namespace:
                out.edit(ident, Put(("metadata", "namespace"), namespace))
            if ident[1] in ("RoleBinding", "ClusterRoleBinding"):
                for i, subject in enumerate(obj.get("subjects") or []):
                    if isinstance(subject, dict) and subject.get("namespace") == ctx.namespace:
                        out.edit(ident, Put(("subjects", i, "namespace"), namespace))
        for ref in find_references(objects):
            if ref.via == "host" and ref.host_namespace == ctx.namespace and ref.source in objects:
                if selects(rule.match, ref.source, objects[ref.source], ctx):
                    old = f"{ref.target_name}.{ctx.namespace}.svc"
                    new = f'printf "%s.%s.svc" {_go(ref.target_name)} .Release.Namespace'
                    out.edit(ref.source, Replace(ref.path, old, new))


def _go(text: str) -> str:
    from ..templating import quote

    return quote(text)
