"""standard-labels: the labels Helm charts carry (app.kubernetes.io/*, helm.sh/chart) on object
metadata and pod templates. Selectors are never touched (they are immutable in a cluster), and a
label the source already sets keeps its value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..manifests import POD_TEMPLATE
from .base import Context, Edit, Expr, Identity, Put, TemplateChanges, get, pointer_text, selects

NAME = "standard-labels"
LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)")


class StandardLabels:
    name = NAME
    summary = "Adds the standard labels to object metadata and pod-template labels; selectors stay as they are."
    options: Mapping[str, str] = {"skip": "labels not to add (a list of the label names above)"}

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        out = []
        for ident, obj in objects.items():
            if not selects(rule.match, ident, obj, ctx):
                continue
            values = self._values(ident, ctx, rule)
            ops: list[dict] = []
            for at in _places(ident[1]):
                if not isinstance(get(obj, at[:-2]), dict):
                    continue  # no object or pod template where labels would go
                if not isinstance(get(obj, at[:-1]), dict):
                    ops.append({"op": "add", "path": pointer_text(at[:-1]), "value": {"labels": dict(values)}})
                    continue
                labels = get(obj, at)
                if not isinstance(labels, dict):
                    ops.append({"op": "add", "path": pointer_text(at), "value": dict(values)})
                    continue
                ops += [
                    {"op": "add", "path": pointer_text((*at, k)), "value": v}
                    for k, v in values.items()
                    if k not in labels
                ]
            if ops:
                out.append(Edit(ident, tuple(ops), rule.id, "standard labels let tools find the release's objects"))
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        exprs = {
            "app.kubernetes.io/name": Expr(f'include "{chart}.name" . | quote'),
            "app.kubernetes.io/instance": Expr(".Release.Name | quote"),
            "app.kubernetes.io/version": Expr(".Chart.AppVersion | quote"),
            "app.kubernetes.io/part-of": Expr(f'include "{chart}.name" . | quote'),
            "app.kubernetes.io/managed-by": Expr(".Release.Service | quote"),
            "helm.sh/chart": Expr(f'include "{chart}.chart" . | quote'),
        }
        for ident, obj in objects.items():
            if not selects(rule.match, ident, obj, ctx):
                continue
            wanted = self._values(ident, ctx, rule)
            for at in _places(ident[1]):
                if not isinstance(get(obj, at[:-2]), dict):
                    continue
                labels = get(obj, at) if isinstance(get(obj, at), dict) else {}
                for key, value in wanted.items():
                    if key not in labels:
                        out.edit(ident, Put((*at, key), exprs.get(key, value)))
                        if at == ("metadata", "labels"):
                            out.labels.setdefault(ident, {})[key] = exprs.get(key, value)

    def _values(self, ident: Identity, ctx: Context, rule: Any) -> dict[str, str]:
        skip = set(rule.options.get("skip") or ())
        values = {
            "app.kubernetes.io/name": ctx.chart,
            "app.kubernetes.io/instance": ctx.release,
            "app.kubernetes.io/version": ctx.app_version,
            "app.kubernetes.io/component": _component(ident, ctx),
            "app.kubernetes.io/part-of": ctx.chart,
            "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": f"{ctx.chart}-{ctx.chart_version}".replace("+", "_")[:63].rstrip("-"),
        }
        return {k: v for k, v in values.items() if k not in skip and _LABEL_VALUE.fullmatch(v) and len(v) <= 63}


def _component(ident: Identity, ctx: Context) -> str:
    """The object's component; for an object an earlier rule gave another kind (a Deployment
    made a StatefulSet), the component of the source of that namespace and name, where all agree."""
    if ident in ctx.components:
        return ctx.components[ident]
    back = {now: source for source, now in ctx.renamed.items()}  # renamed by an earlier rule
    if back.get(ident) in ctx.components:
        return ctx.components[back[ident]]
    same = {c for (_, _, ns, name), c in ctx.components.items() if (ns, name) == (ident[2], ident[3])}
    return same.pop() if len(same) == 1 else ""


def _places(kind: str) -> list[tuple[str | int, ...]]:
    """Where labels go in an object of ``kind``: its metadata, and its pod template's if it has one."""
    places: list[tuple[str | int, ...]] = [("metadata", "labels")]
    at = POD_TEMPLATE.get(kind)
    if at and len(at) > 1:
        places.append((*at[:-1], "metadata", "labels"))
    return places
