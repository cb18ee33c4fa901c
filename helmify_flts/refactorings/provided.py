"""Secrets an environment provides itself, for the env-credentials refactoring.

The base folder holds a workload's credentials as literal env values, which env-credentials moves
into a chart Secret behind ``<component>.existingSecret``. An environment whose manifests already
read exactly those names from a Secret the folder does not hold (prod's secret store, the FLTS
summary's Phase 3) uses that switch: its values file names the Secret instead of holding the
credentials. Environment planning then compares the base's entries (what the chart templates) and
the switch is set; the proof still renders against the environment's own manifests.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..records import record
from . import credentials
from .base import Context, selects
from .objects import Identity, containers, find, namespace_of, pod_spec


@record
class Provided:
    """An environment names ``secret`` at values key ``key`` for the credentials of ``workload``."""

    key: tuple[str, ...]
    secret: str
    workload: Identity


def _env(obj: Any, container: str) -> list | None:
    spec = pod_spec(obj) if isinstance(obj, dict) else None
    found = next((c for c in containers(spec) if c.get("name") == container), None) if spec else None
    env = found.get("env") if isinstance(found, dict) else None
    return env if isinstance(env, list) else None


def _reads_from(env: list, names: tuple[str, ...]) -> str | None:
    """The one Secret the entries ``names`` read (each under the key of its own name), else None."""
    by_name = {e.get("name"): e for e in env if isinstance(e, dict)}
    secrets = set()
    for name in names:
        entry = by_name.get(name, {})
        ref = entry.get("valueFrom", {}).get("secretKeyRef") if isinstance(entry.get("valueFrom"), dict) else None
        if not isinstance(ref, dict) or ref.get("key") != name or not isinstance(ref.get("name"), str):
            return None
        secrets.add(ref["name"])
    return secrets.pop() if len(secrets) == 1 else None


def secrets(
    rules: tuple[Any, ...], objects: Mapping[Identity, dict], ctx: Context
) -> tuple[dict[Identity, dict], tuple[Provided, ...]]:
    """An environment's objects as planning compares them (the base's literal entries where the
    environment reads them from a Secret of its own), and the switches that say so."""
    out = dict(objects)
    provided = []
    base = ctx.objects
    for rule in (r for r in rules if r.refactor == "env-credentials"):
        for move in credentials.plan(base, lambda i, match=rule.match: selects(match, i, base[i], ctx)):
            obj, base_env = objects.get(move.workload), _env(base.get(move.workload), move.container)
            env = _env(obj, move.container)
            secret = _reads_from(env, move.names) if env is not None else None
            if secret is None or base_env is None or find(objects, "Secret", namespace_of(obj), secret) is not None:
                continue
            literal = {e.get("name"): e for e in base_env if isinstance(e, dict) and e.get("name") in move.names}
            new = copy.deepcopy(obj)
            new_env = _env(new, move.container)
            new_env[:] = [copy.deepcopy(literal.get(e.get("name"), e)) if isinstance(e, dict) else e for e in new_env]
            out[move.workload] = new
            provided.append(Provided(credentials.existing_key(base, ctx, move.workload), secret, move.workload))
    return out, tuple(provided)
