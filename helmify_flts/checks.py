"""The meaning checks every refactored chart must pass, whatever its refactorings declare.

Each check compares the source objects of one folder with the objects the chart rendered for
it (identity -> plain dict), knowing which objects were renamed (source identity -> rendered
identity), and returns one message per broken promise. Pure functions: the proof runs them on
every refactored chart, the tests on hand-made broken ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .manifests import POD_TEMPLATE
from .references import custom_pod_spec

Identity = tuple[str, str, str, str]
Objects = Mapping[Identity, Any]

CONTAINER_FIELDS = (
    "image",
    "command",
    "args",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "resources",
    "securityContext",
)


def run(
    source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity], declared: frozenset[Identity]
) -> list[str]:
    """Every check; ``declared`` holds the source identities the report declares changes of."""
    return (
        environment(source, rendered, renamed)
        + containers(source, rendered, renamed)
        + services(source, rendered, renamed)
        + selectors(source, rendered, renamed)
        + undeclared(source, rendered, renamed, declared)
    )


def _title(ident: Identity) -> str:
    return f"{ident[1]} {ident[2] + '/' if ident[2] else ''}{ident[3]}"


def _pairs(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]):  # noqa: ANN202
    """(source identity, source object, rendered object) of every object that still renders."""
    for ident, obj in source.items():
        out = rendered.get(renamed.get(ident, ident))
        if isinstance(obj, dict) and isinstance(out, dict):
            yield ident, obj, out


def pod_spec(obj: dict, kind: str) -> dict | None:
    return _spec_at(obj, POD_TEMPLATE[kind]) if kind in POD_TEMPLATE else None


def _spec_at(obj: Any, at: tuple[str, ...]) -> dict | None:
    for part in at:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else None


def container_texts(ident: tuple, obj: dict) -> list[tuple[tuple, str]]:
    """(path, text) of each command word, arg and env value of a workload's containers (a Rollout's
    and a ScaledJob's too), init containers first: where a container names other objects and hosts
    in free text."""
    at = POD_TEMPLATE.get(ident[1]) or custom_pod_spec(ident)
    spec = _spec_at(obj, at) if at else None
    if spec is None:
        return []
    out: list[tuple[tuple, str]] = []
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group) or []):
            if not isinstance(container, dict):
                continue
            texts = [
                ((*at, group, i, f, j), v) for f in ("command", "args") for j, v in enumerate(container.get(f) or [])
            ]
            texts += [
                ((*at, group, i, "env", j, "value"), e.get("value"))
                for j, e in enumerate(container.get("env") or [])
                if isinstance(e, dict)
            ]
            out += [(path, text) for path, text in texts if isinstance(text, str)]
    return out


def _containers(spec: dict) -> dict[str, dict]:
    out = {}
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            if isinstance(c, dict):
                out[f"{group}[{c.get('name', i)}]"] = c
    return out


def _data(objects: Objects, kind: str, namespace: str, name: Any) -> dict | None:
    """The data of a ConfigMap or Secret (Secrets' ``stringData`` over base64 ``data``, both as given).
    Found as the references are (references.Index.find): in ``namespace``, else one with no
    namespace written (or read from an object with none), which lands where the folder is applied."""
    found = [(i, o) for i, o in objects.items() if i[1] == kind and i[3] == str(name) and isinstance(o, dict)]
    chosen = [o for i, o in found if i[2] == namespace] or [o for i, o in found if not i[2] or not namespace]
    if not chosen:
        return None
    data = dict(chosen[0].get("data") or {})
    if kind == "Secret":
        import base64

        decoded = {}
        for k, v in data.items():
            try:
                decoded[k] = base64.b64decode(str(v), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                decoded[k] = v
        data = {**decoded, **(chosen[0].get("stringData") or {})}
    return data


def effective_env(container: dict, namespace: str, objects: Objects) -> dict[str, Any]:
    """A container's environment as Kubernetes builds it: envFrom in order, then env; references
    to a ConfigMap or Secret of ``objects`` resolved to their value, others kept as written."""
    env: dict[str, Any] = {}
    for i, source in enumerate(container.get("envFrom") or []):
        if not isinstance(source, dict):
            continue
        prefix = str(source.get("prefix") or "")
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(field)
            if isinstance(ref, dict):
                data = _data(objects, kind, namespace, ref.get("name"))
                if data is None:
                    # Every variable of a source not among the objects, as one entry; ``=`` is in
                    # no variable's name, so it is never taken for one (see _env_change).
                    env[f"={i}={prefix}"] = ("unresolved", kind, ref.get("name"))
                else:
                    env.update({prefix + str(k): ("value", v) for k, v in data.items()})
    for item in container.get("env") or []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name"))
        value_from = item.get("valueFrom")
        if isinstance(value_from, dict):
            env[name] = _value_from(value_from, namespace, objects)
        else:
            env[name] = ("value", item.get("value", ""))
    return env


def _value_from(value_from: dict, namespace: str, objects: Objects) -> Any:
    for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = value_from.get(field)
        if isinstance(ref, dict):
            data = _data(objects, kind, namespace, ref.get("name"))
            if data is not None and ref.get("key") in data:
                return ("value", data[ref.get("key")])
            return ("unresolved", kind, ref.get("name"), ref.get("key"))
    return ("from", value_from)


def named_back(value: Any, renamed: Mapping[Identity, Identity]) -> Any:
    """``value`` with each renamed Service's new name in text put back to its old one, and each
    renamed StatefulSet's in its pods' DNS names (``rel-kafka-0.``): a host name renamed with its
    Service or StatefulSet is the same reference."""
    pairs = sorted(
        ((new[3], old[3]) for old, new in renamed.items() if old[1] == "Service" and new[3] != old[3]),
        key=lambda p: -len(p[0]),
    )
    pods = [
        (re.compile(r"(?<![A-Za-z0-9-])" + re.escape(new[3]) + r"(?=-[0-9]+\.)"), old[3])
        for old, new in sorted(renamed.items())
        if old[1] == "StatefulSet" and new[3] != old[3]
    ]
    return _named_back(value, pairs, pods)


def _named_back(value: Any, pairs: list[tuple[str, str]], pods: list[tuple[re.Pattern, str]]) -> Any:
    if not pairs and not pods:
        return value
    if isinstance(value, str):
        for pattern, old in pods:
            value = pattern.sub(old, value)
        for new, old in pairs:
            value = value.replace(new, old)
        return value
    if isinstance(value, list):
        return [_named_back(v, pairs, pods) for v in value]
    if isinstance(value, tuple):
        return tuple(_named_back(v, pairs, pods) for v in value)
    if isinstance(value, dict):
        return {k: _named_back(v, pairs, pods) for k, v in value.items()}
    return value


def _unrenamed(value: Any, renamed: Mapping[Identity, Identity], namespace: str) -> Any:
    """A reference that could not be resolved, with a renamed object's new name put back."""
    value = named_back(value, renamed)
    if isinstance(value, tuple) and value and value[0] == "unresolved":
        back = {(new[1], new[3]): old[3] for old, new in renamed.items() if new[2] == namespace}
        return (value[0], value[1], back.get((value[1], str(value[2])), value[2]), *value[3:])
    return value


def _container_pairs(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]):  # noqa: ANN202
    """(source identity, where, source container, rendered container or None) of every container
    of an object that still renders with a pod spec."""
    for ident, src, out in _pairs(source, rendered, renamed):
        spec_a, spec_b = pod_spec(src, ident[1]), pod_spec(out, ident[1])
        if spec_a is None or spec_b is None:
            continue
        after = _containers(spec_b)
        for where, container in _containers(spec_a).items():
            yield ident, where, container, after.get(where)


def environment(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]) -> list[str]:
    """Each container's effective environment is unchanged (resolved on each side)."""
    problems = []
    for ident, where, container, other in _container_pairs(source, rendered, renamed):
        if other is None:
            continue
        ns_b = renamed.get(ident, ident)[2]
        env_a = effective_env(container, ident[2], source)
        env_b = {k: _unrenamed(v, renamed, ns_b) for k, v in effective_env(other, ns_b, rendered).items()}
        # Where envFrom brings each variable from, on the rendered side and then the source's.
        origins = {**_env_from(other, ns_b, rendered), **_env_from(container, ident[2], source)}
        for name in sorted(set(env_a) | set(env_b)):
            if env_a.get(name) != env_b.get(name):
                problems.append(
                    f"{_title(ident)} {where}: {_env_change(name, env_a.get(name) or env_b.get(name), origins)}"
                )
    return problems


def _env_from(container: dict, namespace: str, objects: Objects) -> dict[str, str]:
    """Each variable envFrom brings and no ``env`` item overrides: the ConfigMap or Secret it comes from."""
    out: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(field) if isinstance(source, dict) else None
            data = _data(objects, kind, namespace, ref.get("name")) if isinstance(ref, dict) else None
            prefix = str(source.get("prefix") or "") if data is not None else ""
            out.update({prefix + str(k): f"{kind} {ref.get('name')}" for k in data or {}})
    for item in container.get("env") or []:
        if isinstance(item, dict):
            out.pop(str(item.get("name")), None)
    return out


def _env_change(name: str, value: Any, origins: Mapping[str, str]) -> str:
    """How a changed entry of :func:`effective_env` is said: a variable of its own, one that
    envFrom brings from a ConfigMap or Secret (every key is a variable there, ``app.properties``
    too), or all of those of an envFrom source that is not among the objects."""
    if name.startswith("="):
        _, index, prefix = name.split("=", 2)
        with_prefix = f" with prefix {prefix!r}" if prefix else ""
        return f"the variables envFrom[{index}] reads from {value[1]} {value[2]}{with_prefix} change"
    if name in origins:
        return f"environment variable {name} (from {origins[name]} through envFrom) changes"
    return f"environment variable {name} changes"


def containers(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]) -> list[str]:
    """Containers keep image, command, args, ports, probes, resources, securityContext and mount paths."""
    problems = []
    for ident, where, container, other in _container_pairs(source, rendered, renamed):
        if other is None:
            problems.append(f"{_title(ident)}: container {where} is gone")
            continue
        for field in CONTAINER_FIELDS:
            if container.get(field) != named_back(other.get(field), renamed):
                problems.append(f"{_title(ident)} {where}: {field} changes")
        if _mount_paths(container) != _mount_paths(other):
            problems.append(f"{_title(ident)} {where}: mount paths change")
    return problems


def _mount_paths(container: dict) -> list[str]:
    return sorted(str(m.get("mountPath")) for m in container.get("volumeMounts") or [] if isinstance(m, dict))


def pod_labels(obj: dict, kind: str) -> dict | None:
    at = POD_TEMPLATE.get(kind)
    if not at:
        return None
    node: Any = obj
    for part in (*at[:-1], "metadata", "labels") if len(at) > 1 else ("metadata", "labels"):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _selected(service: dict, namespace: str, objects: Objects, back: Mapping[Identity, Identity]) -> set[Identity]:
    selector = (service.get("spec") or {}).get("selector") if isinstance(service.get("spec"), dict) else None
    if not isinstance(selector, dict) or not selector:
        return set()
    out = set()
    for ident, obj in objects.items():
        labels = pod_labels(obj, ident[1]) if isinstance(obj, dict) else None
        if ident[2] == namespace and labels is not None and all(labels.get(k) == v for k, v in selector.items()):
            out.add(back.get(ident, ident))
    return out


def services(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]) -> list[str]:
    """Each Service selects the same workloads as before."""
    back = {new: old for old, new in renamed.items()}
    problems = []
    for ident, src, out in _pairs(source, rendered, renamed):
        if ident[1] != "Service":
            continue
        before = _selected(src, ident[2], source, {})
        after = _selected(out, renamed.get(ident, ident)[2], rendered, back)
        if before != after:
            gone = ", ".join(_title(i) for i in sorted(before - after))
            new = ", ".join(_title(i) for i in sorted(after - before))
            problems.append(
                f"{_title(ident)} selects other workloads"
                + (f"; no longer {gone}" if gone else "")
                + (f"; now also {new}" if new else "")
            )
    return problems


def selectors(source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity]) -> list[str]:
    """A workload's selector never changes: selectors are immutable in a cluster."""
    problems = []
    for ident, src, out in _pairs(source, rendered, renamed):
        if ident[1] in POD_TEMPLATE and ident[1] != "Pod":
            a = (src.get("spec") or {}).get("selector") if isinstance(src.get("spec"), dict) else None
            b = (out.get("spec") or {}).get("selector") if isinstance(out.get("spec"), dict) else None
            if a != b:
                problems.append(f"{_title(ident)}: spec.selector changes (selectors are immutable in a cluster)")
    return problems


def undeclared(
    source: Objects, rendered: Objects, renamed: Mapping[Identity, Identity], declared: frozenset[Identity]
) -> list[str]:
    """A resource the report says nothing about renders exactly as before."""
    from . import kyaml

    return [
        f"{_title(ident)} changes, but the report declares no change of it"
        for ident, src, out in _pairs(source, rendered, renamed)
        if ident not in declared and ident not in renamed and not kyaml.same(src, out)
    ]
