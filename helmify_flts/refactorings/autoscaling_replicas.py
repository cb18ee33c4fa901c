"""autoscaling-replicas: while a workload's HorizontalPodAutoscaler renders, the workload does
not render ``spec.replicas``, so that ``helm upgrade`` does not reset what the autoscaler chose.
The values key stays, for when autoscaling is off."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..templating import all_of, ref
from .base import Context, Edit, Identity, PutUnless, Switch, TemplateChanges, selects

NAME = "autoscaling-replicas"
WHY = "the HorizontalPodAutoscaler {hpa} sets the replicas while it renders"


def scaled(objects: Mapping[Identity, dict]) -> Iterator[tuple[Identity, Identity]]:
    """(autoscaler, workload it scales) for each HorizontalPodAutoscaler whose target is in ``objects``."""
    for ident, obj in sorted(objects.items()):
        if ident[1] != "HorizontalPodAutoscaler" or not isinstance(obj, dict):
            continue
        target = (obj.get("spec") or {}).get("scaleTargetRef") if isinstance(obj.get("spec"), dict) else None
        if not isinstance(target, dict):
            continue
        for other in sorted(objects):
            if other[1] == target.get("kind") and other[3] == str(target.get("name")) and other[2] == ident[2]:
                yield ident, other
                break


class AutoscalingReplicas:
    name = NAME
    summary = "spec.replicas is not rendered while the workload's HorizontalPodAutoscaler is."
    options: Mapping[str, str] = {}

    def _pairs(
        self,
        objects: Mapping[Identity, dict],
        ctx: Context,
        rule: Any,
        folders: tuple[Mapping[Identity, dict], ...] = (),
    ) -> dict[Identity, Identity]:
        """Each workload that sets replicas (in ``objects``, or in any of ``folders``) with the
        autoscaler that scales it."""
        out: dict[Identity, Identity] = {}
        for hpa, workload in scaled(objects):
            copies = [objects[workload], *(f[workload] for f in folders if workload in f)]
            sets = any(isinstance(c.get("spec"), dict) and "replicas" in c["spec"] for c in copies)
            if sets and selects(rule.match, workload, objects[workload], ctx):
                out.setdefault(workload, hpa)
        return out

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        return [
            Edit(workload, ({"op": "remove", "path": "/spec/replicas"},), rule.id, WHY.format(hpa=hpa[3]))
            for workload, hpa in self._pairs(objects, ctx, rule).items()
        ]

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        # The replicas an environment sets (a replicas transformer where the base has none) are
        # not rendered there either while its autoscaler is: each folder's declaration says so.
        for workload, hpa in self._pairs(objects, ctx, rule, ctx.every_folder()).items():
            # A switch of its own, so that autoscaling can be turned off and the replicas key used.
            key = (*ctx.bases[hpa], "autoscaling", "enabled")
            if key not in [s.key for s in out.switches.get(hpa, [])]:
                out.switches.setdefault(hpa, []).append(
                    Switch(
                        key,
                        True,
                        f"Render the HorizontalPodAutoscaler {hpa[3]} (off: {workload[3]} runs replicas pods)",
                    )
                )
            condition = all_of([ctx.conditions[hpa], ref(key)])
            out.edit(workload, PutUnless(("spec", "replicas"), condition))
