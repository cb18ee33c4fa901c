"""Warnings for credentials an environment's values file would hold in plain text.

An environment that sets a password (the prod Grafana admin password, a Secret's data, a DSN
with a password in it) differently from the base gets that value written into
``values-<env>.yaml``. Whatever :mod:`redact` would hide counts as a credential, so the report
and this warning agree on what is secret. The warning names the values key and the
``existingSecret`` switch to use instead; it never shows the value.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import redact
from .components import Component
from .environments import Override
from .errors import Notice
from .existing import Guard
from .manifests import Resource
from .values import dotted

CODE = "credential-in-values"
_REFERENCES = frozenset({"secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"})  # valueFrom's


def notices(
    env: str,
    overrides: list[Override],
    guards: Mapping[Resource, Guard],
    components: Mapping[Resource, Component],
    env_resources: tuple[Resource, ...] = (),
) -> list[Notice]:
    """One warning per key of ``values-<env>.yaml`` whose value looks like a credential."""
    where_of = {res.identity: res.where for res in env_resources}
    switches = {guard.key for guard in guards.values()}
    out = []
    for o in overrides:
        if o.key in switches or not _holds_credential(o):
            continue  # an existingSecret switch holds the name of a Secret, not what is in it
        key = dotted(o.key)
        message = (
            f"[{env}] values-{env}.yaml holds a credential in plain text at {key} ({o.resource.title}); "
            + _instead(env, o.resource, guards, components)
        )
        out.append(Notice(message, where_of.get(o.resource.identity), code=CODE))
    return out


def _holds_credential(o: Override) -> bool:
    """Whether redaction would hide anything of the value (judged by where it sits in its resource)."""
    if o.value is None or isinstance(o.value, bool):
        return False
    if isinstance(o.value, dict) and o.value and set(o.value) <= _REFERENCES:
        return False  # an env value read from a Secret names that Secret; it holds no credential
    if any(name in _REFERENCES for name in o.names):
        return False  # a field of such a reference: the Secret's name, or the key read from it
    try:
        return redact.field(o.resource.kind, o.names or o.key, o.value) != o.value
    except RecursionError:  # too deep to judge: err on the side of warning
        return True


def _instead(
    env: str, res: Resource, guards: Mapping[Resource, Guard], components: Mapping[Resource, Component]
) -> str:
    guard = guards.get(res)
    if guard is not None:
        return (
            f"create that {res.kind} yourself and set {dotted(guard.key)} to its name in values-{env}.yaml instead, "
            f"so the chart does not render {res.name}"
        )
    component = components.get(res)
    switches = sorted(
        dotted(g.key)
        for r, g in guards.items()
        if r.kind == "Secret" and component is not None and components.get(r) == component
    )
    if switches:
        return (
            f"read it from a Secret (valueFrom.secretKeyRef) and use {' or '.join(switches)} "
            "to name a Secret you manage instead"
        )
    return (
        "no existingSecret switch reads it: move it into a Secret in the manifests (valueFrom.secretKeyRef), "
        "which gives the chart an existingSecret switch for a Secret you manage"
    )
