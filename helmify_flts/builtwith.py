"""Whether OUT differs from what convert would write only in which kustomize its report says
built the folders.

The report records the kustomize (and its version) that built each kustomization folder. A
check on another machine, or after kustomize was upgraded, would otherwise call OUT out of date
although the chart, and everything in the report but that line, is the same: the chart is what
a check is about, so such an OUT is up to date, and the check says which versions differ."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .emit import Plan

REPORT = "helmify-report.json"
# the only files the line is in: a chart file that changed is a change, whatever it holds
REPORTS = frozenset({REPORT, "helmify-report.md"})


def only_tool_changed(plan: Plan, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Folder (``base`` or an environment) -> (the kustomize OUT's report records, the one that
    built it now), when that is all that would change in OUT; else empty."""
    if plan.create or plan.remove or REPORT not in plan.update or not set(plan.update) <= REPORTS:
        return {}
    old, new = _built_with(plan.current.get(REPORT)), _built_with(files.get(REPORT))
    if old is None or new is None or old.keys() != new.keys():
        return {}
    changed = {name: (old[name], new[name]) for name in sorted(old) if old[name] != new[name]}
    if not changed:
        return {}
    for rel in plan.update:
        text = files[rel]
        for was, now in changed.values():
            text = text.replace(now, was)
        if text != plan.current.get(rel):
            return {}
    return changed


def notes(changed: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """What a check says about each folder whose kustomize differs."""
    return tuple(
        f"note: the report says the {name} folder was built with {was}; this run built it with {now}. "
        "The chart is the same, so it counts as up to date (convert would rewrite only that line of the report)"
        for name, (was, now) in changed.items()
    )


def _built_with(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # OUT's copy is input: hand-edited, nested past reading
        return None
    found = data.get("builtWith", {}) if isinstance(data, dict) else None
    if not isinstance(found, dict) or not all(isinstance(v, str) and v for v in found.values()):
        return None
    return found
