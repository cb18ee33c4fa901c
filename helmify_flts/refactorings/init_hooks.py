"""init-hooks: Jobs that initialise something once (by default those named ``*-init``,
``*-migrate`` or ``*-setup``; a rule's ``match`` chooses others) become ``post-install,post-upgrade``
hooks, deleted before the next one is created, so that upgrades run them again instead of failing
on an immutable Job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..globs import fnmatchcase
from .base import Context, Edit, Identity, Put, TemplateChanges, get, pointer_text, selects

NAME = "init-hooks"
DEFAULT_NAMES = ("*-init", "*-migrate", "*-setup")
ANNOTATIONS = {
    "helm.sh/hook": "post-install,post-upgrade",
    "helm.sh/hook-delete-policy": "before-hook-creation",
}
WHY = "a one-shot initialisation runs as a Helm hook on every install and upgrade"


class InitHooks:
    name = NAME
    summary = "One-shot init Jobs become post-install,post-upgrade hooks."
    options: Mapping[str, str] = {
        "events": "the hook events (default post-install,post-upgrade)",
        "deletePolicy": "the hook delete policy (default before-hook-creation)",
    }

    def _jobs(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list[Identity]:
        out = []
        for ident, obj in sorted(objects.items()):
            if ident[1] != "Job" or not selects(rule.match, ident, obj, ctx):
                continue
            if rule.match.names or any(fnmatchcase(ident[3], g) for g in DEFAULT_NAMES):
                out.append(ident)
        return out

    def _wanted(self, obj: dict, rule: Any) -> dict[str, str]:
        wanted = {
            "helm.sh/hook": str(rule.options.get("events") or ANNOTATIONS["helm.sh/hook"]),
            "helm.sh/hook-delete-policy": str(
                rule.options.get("deletePolicy") or ANNOTATIONS["helm.sh/hook-delete-policy"]
            ),
        }
        have = get(obj, ("metadata", "annotations"))
        have = have if isinstance(have, dict) else {}
        return {} if "helm.sh/hook" in have else wanted  # a hook the manifest declares stays its own

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        out = []
        for ident in self._jobs(objects, ctx, rule):
            obj = objects[ident]
            wanted = self._wanted(obj, rule)
            if not wanted or not isinstance(obj.get("metadata"), dict):
                continue
            if not isinstance(get(obj, ("metadata", "annotations")), dict):
                ops: tuple[dict, ...] = ({"op": "add", "path": "/metadata/annotations", "value": wanted},)
            else:
                ops = tuple(
                    {"op": "add", "path": pointer_text(("metadata", "annotations", k)), "value": v}
                    for k, v in wanted.items()
                )
            out.append(Edit(ident, ops, rule.id, WHY))
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        for ident in self._jobs(objects, ctx, rule):
            if isinstance(objects[ident].get("metadata"), dict):
                for key, value in self._wanted(objects[ident], rule).items():
                    out.edit(ident, Put(("metadata", "annotations", key), value))
        ours = [r for r in ctx.rules if getattr(r, "refactor", None) == NAME]
        if ours and ours[0] is rule:  # said once, for what no init-hooks rule of the run takes
            out.warnings += self._plain_jobs(objects, ctx, ours)

    def _plain_jobs(self, objects: Mapping[Identity, dict], ctx: Context, rules: list) -> list[str]:
        """Jobs that stay plain Jobs: a Job's pod template cannot change, so the first upgrade
        that changes it (a new image tag) fails. Said with the rule that would take them."""
        taken = {ident for r in rules for ident in self._jobs(objects, ctx, r)}
        out = []
        for ident, obj in sorted(objects.items()):
            annotations = get(obj, ("metadata", "annotations"))
            if ident[1] != "Job" or ident in taken or (isinstance(annotations, dict) and "helm.sh/hook" in annotations):
                continue
            out.append(
                f"Job/{ident[3]} stays a plain Job: a Job's pod template cannot change, so helm upgrade fails "
                "once its template does (a new image tag); to run it as a hook on every install and upgrade, "
                f"add a rule with 'refactor: {NAME}' and 'match: {{kinds: [Job], names: [{ident[3]}]}}'"
            )
        return out
