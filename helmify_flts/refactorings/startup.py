"""Start-up order: wait-for init containers for the Services a workload depends on, and
one-shot init Jobs as Helm hooks ordered by the dependency graph.

A dependency is a Service a workload talks to (found in its env values, args, commands, the
ConfigMaps it reads and the Secrets it reads: a DSN in a Secret names its database's Service)
and the port it uses. Each one not yet waited for gets an init container, placed before the
workload's own init containers, that checks the port over TCP until it answers or the timeout
ends. An existing init container that already names the Service's host
(``until nc -z kafka 9092``) counts as waiting for it and is left as it is. A Service that
selects the workload's own pods is not a dependency (a broker advertising its own address).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from ..records import record
from ..references import Reference, find_references
from ..templating import ref as values_ref
from .base import Context, Expr, Put, TemplateChanges, get
from .base import selects as rule_selects
from .extract import InsertWaits
from .objects import (
    POD_TEMPLATE,
    Identity,
    Outcome,
    ValueKey,
    containers,
    copied,
    declared,
    find,
    find_identity,
    is_workload,
    labels_of,
    name_of,
    namespace_of,
    pod_spec,
    pod_template,
    selects,
)

WAIT_RULE = "wait-for"
HOOK_RULE = "init-job-hooks"
WAIT_PREFIX = "wait-for-"
# The check itself never holds input text: the host and port are arguments ($0, $1) of the script.
WAIT_SCRIPT = 'until nc -z -w 2 "$0" "$1"; do echo "waiting for $0:$1"; sleep 2; done'
HOOK_EVENTS = "post-install,post-upgrade"
HOOK_DELETE = "before-hook-creation"
_WAITS = re.compile(r"\b(nc|wait|until|curl|wget|pg_isready|telnet)\b")


@record(order=True)
class Dependency:
    """A Service a workload talks to, by name (in the workload's namespace), and the port it uses."""

    service: str
    port: int


@record
class WaitOptions:
    image: str = "busybox:1.36"
    timeout: int = 300  # seconds an init container waits before it fails (and the pod restarts it)
    resources: Mapping = field(
        default_factory=lambda: {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "100m", "memory": "32Mi"},
        }
    )
    rule: str = WAIT_RULE


DEFAULT_OPTIONS = WaitOptions()


def values(options: WaitOptions = DEFAULT_OPTIONS) -> tuple[ValueKey, ...]:
    """The global values of the wait-for init containers (each overridable per component)."""
    return (
        ValueKey(
            ("global", "waitFor", "enabled"), True, "Add init containers that wait for the Services a workload uses"
        ),
        ValueKey(
            ("global", "waitFor", "image"),
            options.image,
            "Image of the wait-for init containers (needs sh, nc, timeout)",
        ),
        ValueKey(
            ("global", "waitFor", "timeout"), options.timeout, "Seconds a wait-for init container waits for its Service"
        ),
        ValueKey(
            ("global", "waitFor", "resources"), dict(options.resources), "Resources of each wait-for init container"
        ),
    )


def wait_container(name: str, dep: Dependency, options: WaitOptions, host: str | None = None) -> dict:
    return {
        "name": name,
        "image": options.image,
        "command": ["timeout", str(options.timeout), "sh", "-c", WAIT_SCRIPT, host or dep.service, str(dep.port)],
        "resources": {k: dict(v) for k, v in options.resources.items()},
    }


def dependencies(
    objects: Mapping[Identity, dict], references: Sequence[Reference] | None = None
) -> dict[Identity, tuple[Dependency, ...]]:
    """Per workload, the Services of its namespace it talks to and the port it uses: host names
    in its env values, args and commands, in the ConfigMaps it reads, and in the Secrets it reads
    (the key of a ``secretKeyRef``; every key of an ``envFrom`` or a volume). Only the Service's
    name and port come out of a Secret: its values stay where they are."""
    refs = find_references(objects) if references is None else references
    hosts: dict[Identity, list[Reference]] = {}
    reads: dict[Identity, set[Identity]] = {}
    secrets: dict[Identity, dict[Identity, set[str] | None]] = {}  # workload -> Secret -> keys (None: all)
    for ref in refs:
        # A StatefulSet pod's DNS name (kafka-0.kafka-headless) as its governing Service's.
        if (ref.via == "host" or ref.via == "pod" and ref.target_kind == "Service") and ref.target is not None:
            hosts.setdefault(ref.source, []).append(ref)
        elif ref.target_kind == "ConfigMap" and ref.target is not None:
            reads.setdefault(ref.source, set()).add(ref.target)
        elif ref.target_kind == "Secret" and ref.target is not None and ref.via in ("env", "envFrom", "volume"):
            keys = secrets.setdefault(ref.source, {})
            if ref.via != "env":
                keys[ref.target] = None
            elif keys.get(ref.target, set()) is not None:
                key = get(objects[ref.source], (*ref.path[:-1], "key"))
                if isinstance(key, str):
                    keys.setdefault(ref.target, set()).add(key)
    out = {}
    for ident in sorted(objects):
        if not is_workload(objects[ident]):
            continue
        found = list(hosts.get(ident, []))
        for configmap in sorted(reads.get(ident, ())):
            found += hosts.get(configmap, [])
        for secret, keys in sorted(secrets.get(ident, {}).items()):
            found += [r for r in hosts.get(secret, []) if keys is None or r.path[1] in keys]
        deps = set()
        for ref in found:
            if ref.host_namespace not in (None, ref.target[2]) or ref.target[2] not in (
                "",
                namespace_of(objects[ident]),
            ):
                continue
            port = _port_number(objects.get(ref.target), ref.port)
            if port is not None:
                deps.add(Dependency(ref.target_name, port))
        if deps:
            out[ident] = tuple(sorted(deps))
    return out


def _port_number(service: dict | None, port: int | str | None) -> int | None:
    """The port a reference uses as a number: named ports are looked up among the Service's."""
    ports = [p for p in ((service or {}).get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        if port.isascii() and port.isdigit() and len(port) <= 5:
            return int(port)
        named = [p.get("port") for p in ports if p.get("name") == port]
        return named[0] if named and isinstance(named[0], int) else None
    first = ports[0].get("port") if ports else None
    return first if isinstance(first, int) else None


def plan_waits(
    objects: Mapping[Identity, dict], dependencies: Mapping[Identity, Sequence[Dependency]]
) -> dict[Identity, tuple[Dependency, ...]]:
    """Per workload, the dependencies it needs a new init container for: not itself, not a
    Service missing from the folder, not one an init container already waits for."""
    out = {}
    for ident in sorted(dependencies):
        obj = objects.get(ident)
        spec = pod_spec(obj) if obj is not None and is_workload(obj) else None
        if spec is None:
            continue
        ns = namespace_of(obj)
        own = labels_of(pod_template(obj) or {}) if obj.get("kind") != "Pod" else labels_of(obj)
        waited = _waited_hosts(spec)
        todo = []
        for dep in sorted(set(dependencies[ident])):
            service = find(objects, "Service", ns, dep.service)
            if service is None or selects((service.get("spec") or {}).get("selector"), own):
                continue
            # Waited for by name, by a longer name, or through one of its pods (kafka-0.kafka-headless).
            if dep.service in waited or any(h.startswith(dep.service + ".") or _pod_of(h, dep.service) for h in waited):
                continue
            if dep.service not in [d.service for d in todo]:
                todo.append(dep)
        if todo:
            out[ident] = tuple(todo)
    return out


def _pod_of(host: str, service: str) -> bool:
    """Whether ``host`` is the DNS name of a pod behind ``service`` (kafka-0.kafka-headless...)."""
    label, _, rest = host.partition(".")
    return re.fullmatch(r"[a-z0-9][-a-z0-9]*-[0-9]+", label) is not None and (rest + ".").startswith(service + ".")


def _waited_hosts(spec: dict) -> set[str]:
    """Host-like words of the init containers that look like waits (nc, until, wait, curl...)."""
    hosts: set[str] = set()
    for init in containers(spec, "initContainers"):
        words = [w for key in ("command", "args") for w in (init.get(key) or []) if isinstance(w, str)]
        text = " ".join(words)
        if not (_WAITS.search(text) or str(init.get("name", "")).startswith(WAIT_PREFIX)):
            continue
        hosts |= {w.rstrip(".") for w in re.findall(r"[a-z0-9][-a-z0-9.]*", text.lower())}
        name = str(init.get("name", ""))
        if name.startswith(WAIT_PREFIX):
            hosts.add(name[len(WAIT_PREFIX) :])
    return hosts


def apply_waits(
    objects: Mapping[Identity, dict],
    waits: Mapping[Identity, Sequence[Dependency]],
    options: WaitOptions = DEFAULT_OPTIONS,
    hosts: Mapping[str, str] | None = None,
) -> Outcome:
    """The objects with a wait-for init container per planned dependency, before their own;
    ``hosts`` names the Services an earlier rule renamed (source name -> name)."""
    out = copied(objects)
    for ident, deps in sorted(waits.items()):
        obj = out.get(ident)
        spec = pod_spec(obj) if obj is not None else None
        if spec is None:
            continue
        existing = containers(spec, "initContainers")
        names = {c.get("name") for c in existing} | {c.get("name") for c in containers(spec)}
        new = []
        for dep in deps:
            name, n = f"{WAIT_PREFIX}{dep.service}", 1
            while name in names:
                n += 1
                name = f"{WAIT_PREFIX}{dep.service}-{n}"
            names.add(name)
            new.append(wait_container(name, dep, options, (hosts or {}).get(dep.service)))
        spec["initContainers"] = new + list(spec.get("initContainers") or [])
    return Outcome(out, values=values(options))


def hook_weights(
    objects: Mapping[Identity, dict], jobs: Sequence[Identity], dependencies: Mapping[Identity, Sequence[Dependency]]
) -> dict[Identity, int]:
    """A hook weight per init Job: 0, or one more than the heaviest hook Job it depends on
    (through a Service that selects it), so Helm runs each after those it needs."""
    hooks = [j for j in jobs if j in objects]
    needs: dict[Identity, set[Identity]] = {}
    for job in hooks:
        ns = namespace_of(objects[job])
        needs[job] = set()
        for dep in dependencies.get(job, ()):
            service = find(objects, "Service", ns, dep.service)
            selector = (service or {}).get("spec", {}).get("selector") if service else None
            for other in hooks:
                if other != job and selects(selector, labels_of(pod_template(objects[other]) or {})):
                    needs[job].add(other)
    weights: dict[Identity, int] = {}

    def weight(job: Identity, seen: frozenset[Identity]) -> int:
        if job not in weights:
            before = [weight(o, seen | {job}) for o in needs[job] if o not in seen]
            weights[job] = 1 + max(before) if before else 0
        return weights[job]

    for job in sorted(hooks):
        weight(job, frozenset())
    return weights


def apply_hooks(objects: Mapping[Identity, dict], weights: Mapping[Identity, int], rule: str = HOOK_RULE) -> Outcome:
    """The init Jobs as post-install/post-upgrade hooks, each recreated on the next run."""
    out = copied(objects)
    warnings = []
    for ident, weight in sorted(weights.items()):
        obj = out.get(ident)
        if obj is None or obj.get("kind") != "Job":
            continue
        meta = obj.setdefault("metadata", {})
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        if "helm.sh/hook" in annotations:
            continue  # already a hook: its author chose when it runs
        annotations = {
            **annotations,
            "helm.sh/hook": HOOK_EVENTS,
            "helm.sh/hook-weight": str(weight),
            "helm.sh/hook-delete-policy": HOOK_DELETE,
        }
        meta["annotations"] = annotations
        warnings.append(f"Job/{name_of(obj)} runs as a Helm hook after install and upgrade (weight {weight})")
    return Outcome(out, warnings=tuple(warnings))


class WaitFor:
    """The ``wait-for`` refactoring: init containers that wait for the Services a workload uses."""

    name = "wait-for"
    summary = (
        "give each workload init containers that wait (TCP, the port it uses) for the Services it talks to, "
        "found in its env values, args, commands, ConfigMaps and Secrets (a DSN); "
        "existing wait-for init containers are kept; "
        "image, timeout and resources are values (global.waitFor, overridable per component), with switches"
    )
    options: Mapping[str, str] = {
        "image": "image of the wait-for init containers (default busybox:1.36; needs sh, nc and timeout)",
        "timeout": "seconds each one waits before it fails (default 300)",
    }

    def _options(self, rule: Any) -> WaitOptions:
        image = rule.options.get("image") or WaitOptions.image
        return WaitOptions(image=str(image), timeout=int(rule.options.get("timeout") or WaitOptions.timeout))

    def _plan(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any
    ) -> dict[Identity, tuple[Dependency, ...]]:
        deps = ctx.of_objects("dependencies", objects, dependencies)
        chosen = {i: d for i, d in deps.items() if rule_selects(rule.match, i, objects[i], ctx)}
        return plan_waits(objects, chosen)

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        waits = self._plan(ctx.objects or objects, ctx, rule)
        hosts = {i[3]: now[3] for i, now in ctx.renamed.items() if i[1] == "Service"}  # release-names before
        # Planned on every folder's objects: a folder without the Service (an overlay deletes it, or
        # names its own) has nothing to wait for, as the template's condition on that wait says.
        waits = {
            ctx.now(i): kept
            for i, w in waits.items()
            if ctx.now(i) in objects
            and (kept := tuple(d for d in w if _in_folder(objects, ctx.now(i)[2], hosts.get(d.service, d.service))))
        }
        outcome = apply_waits(objects, waits, self._options(rule), hosts)
        return declared(objects, outcome, rule.id, "waits for the Services it uses before it starts")

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        options = self._options(rule)
        waits = self._plan(objects, ctx, rule)
        if not waits:
            return
        glob = ("global", "waitFor")
        for value in values(options):
            out.values.append((value.path, value.default, value.doc))
        for ident, deps in sorted(waits.items()):
            obj = objects[ident]
            base = tuple(ctx.bases.get(ident) or ctx.component_keys.get(ident) or (ident[3],))
            own = (*base, "waitFor")
            out.values += [
                ((*own, "enabled"), True, "Wait for the Services this workload uses (with global.waitFor.enabled)"),
                ((*own, "image"), "", "Image of its wait-for init containers; empty uses global.waitFor.image"),
                ((*own, "timeout"), 0, "Seconds its wait-for init containers wait; 0 uses global.waitFor.timeout"),
                (
                    (*own, "resources"),
                    {},
                    "Resources of its wait-for init containers; empty uses global.waitFor.resources",
                ),
            ]
            spec = POD_TEMPLATE.get(obj.get("kind", ""), ()) + ("spec",) if obj.get("kind") != "Pod" else ("spec",)
            names = _new_names(obj, deps)
            # a Service release-names renamed before this rule: its rendered name
            renamed = {i[3]: Expr(name) for i, name in out.names.items() if i[1] == "Service"}
            out.edit(
                ident,
                InsertWaits(
                    spec,
                    tuple(
                        (name, renamed.get(dep.service, dep.service), dep.port)
                        for name, dep in zip(names, deps, strict=True)
                    ),
                    f"and {values_ref((*glob, 'enabled'))} {values_ref((*own, 'enabled'))}",
                    f"{values_ref((*own, 'image'))} | default {values_ref((*glob, 'image'))}",
                    f"{values_ref((*own, 'timeout'))} | default {values_ref((*glob, 'timeout'))}",
                    f"{values_ref((*own, 'resources'))} | default {values_ref((*glob, 'resources'))}",
                    WAIT_SCRIPT,
                    tuple(
                        _where_rendered(ctx, find_identity(objects, "Service", ident[2], dep.service)) for dep in deps
                    ),
                ),
            )


def _in_folder(objects: Mapping[Identity, dict], namespace: str, name: str) -> bool:
    return find_identity(objects, "Service", namespace, name) is not None


def _where_rendered(ctx: Context, service: Identity | None) -> str | None:
    """The Go condition under which ``service`` renders, where some folder does not have it (a
    wait for it renders only there); None where every folder has it."""
    from ..plan import BASE

    presence = ctx.presence.get(service) if service is not None else None
    if presence is None or presence >= {BASE, *ctx.folder_names}:
        return None
    return ctx.conditions.get(service)


def _new_names(obj: dict, deps: Sequence[Dependency]) -> list[str]:
    """The names apply_waits gives the new init containers (unique in the pod)."""
    spec = pod_spec(obj) or {}
    taken = {c.get("name") for c in containers(spec, "initContainers")} | {c.get("name") for c in containers(spec)}
    names = []
    for dep in deps:
        name, n = f"{WAIT_PREFIX}{dep.service}", 1
        while name in taken:
            n += 1
            name = f"{WAIT_PREFIX}{dep.service}-{n}"
        taken.add(name)
        names.append(name)
    return names


class InitJobHooks:
    """The ``init-job-hooks`` refactoring: one-shot init Jobs run as Helm hooks, ordered by the graph."""

    name = "init-job-hooks"
    summary = (
        "make the Jobs a rule matches (init Jobs: *-init, *-migrate, *-setup) post-install,post-upgrade hooks "
        "recreated on each run, weighted so that a hook Job runs after the hook Jobs it uses"
    )
    options: Mapping[str, str] = {}

    def _weights(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> dict[Identity, int]:
        jobs = [i for i in sorted(objects) if i[1] == "Job" and rule_selects(rule.match, i, objects[i], ctx)]
        return hook_weights(objects, jobs, ctx.of_objects("dependencies", objects, dependencies))

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        weights = self._weights(ctx.objects or objects, ctx, rule)
        weights = {ctx.now(i): w for i, w in weights.items() if ctx.now(i) in objects}
        outcome = apply_hooks(objects, weights, rule.id)
        return declared(objects, outcome, rule.id, "an init Job runs as a Helm hook after install and upgrade")

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        for ident, weight in sorted(self._weights(objects, ctx, rule).items()):
            annotations = (objects[ident].get("metadata") or {}).get("annotations") or {}
            if "helm.sh/hook" in annotations:
                continue
            at = ("metadata", "annotations")
            out.edit(
                ident,
                Put((*at, "helm.sh/hook"), HOOK_EVENTS),
                Put((*at, "helm.sh/hook-weight"), str(weight)),
                Put((*at, "helm.sh/hook-delete-policy"), HOOK_DELETE),
            )
