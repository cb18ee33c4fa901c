"""Opt-in production extras: NetworkPolicies from the dependency graph, ServiceMonitors and
PodDisruptionBudgets. Each adds a template whose objects render only when its switch is on
(``networkPolicies.enabled``, ``serviceMonitors.enabled``, ``podDisruptionBudgets.enabled``, all
off by default) and the object's component is enabled. With default values nothing changes, so
they declare no change and the proof holds; switched on, they add objects the sources do not
have, which is their point.

- ``network-policies``: a default deny of ingress traffic to every pod of the release's
  namespace, and per workload that something calls, a policy that allows exactly those callers
  (workloads found by :mod:`graph`, on the pod ports their Services lead to), the Ingress
  controller (any namespace, on the ports Ingresses route to) and, for LoadBalancer and NodePort
  Services, any source on their ports. Egress stays open (DNS and external services). An Argo
  Rollout's pods and a KEDA ScaledJob's jobs' pods count as a workload's, by their template's
  labels (a ScaledJob has no selector); pods without labels no policy can select, which the
  report says.
- ``service-monitors``: a Prometheus Operator ServiceMonitor per Service with a metrics port
  (named ``metrics`` or ending in ``-metrics``) or a ``prometheus.io/scrape: "true"``
  annotation, on the Service or on the pods it selects (a Rollout's too; then at
  ``prometheus.io/port`` and ``prometheus.io/path``); one Service per annotated workload, headless
  ones last. A Rollout whose ``workloadRef`` names a Deployment runs pods with that Deployment's
  labels, which the Service selects as the Deployment's, annotations and all.
- ``pod-disruption-budgets``: a PodDisruptionBudget per Deployment, StatefulSet or ReplicaSet
  with more than one replica that no PodDisruptionBudget of the sources selects already.

With the conventions in the same run (in either order), what the extras add follows them, so that
two releases in one namespace stay apart once the switches are on: release-names gives each
object the release prefix, release-namespace puts it in the release namespace (and a
ServiceMonitor looks there), and a selector also matches ``app.kubernetes.io/instance`` where
every object it selects carries the release's (standard-labels, or release-names on the pods a
Service selects; neither labels a Rollout's or a ScaledJob's pod template); a selector of pods
without it stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from .. import graph, kyaml, templating
from ..records import record
from ..references import WORKLOAD_KINDS, find_references, pod_metadata_of, pod_spec_at
from ..templating import Inline, OptionalKey, Placeholders
from .base import Context, Identity, TemplateChanges, get, pointer_text, selects

_REPLICATED = ("Deployment", "StatefulSet", "ReplicaSet")


class _Extra:
    """What the three extras share: a switch, values, and one template of guarded documents."""

    name = ""
    summary = ""
    options: Mapping[str, str] = {}
    switch: tuple[str, ...] = ()
    file = ""
    values: tuple[tuple[tuple[str, ...], Any, str], ...] = ()

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        return []  # off by default: the default render is the sources' own

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        chosen = {i: o for i, o in objects.items() if selects(rule.match, i, o, ctx)}
        made = self.objects(chosen, objects, out.warnings)
        out.values.extend(self.values)
        marks = Placeholders(json.dumps([o for _, o in made], sort_keys=True, default=str))
        docs = []
        conventions = _conventions(objects, ctx)
        for owner, obj in made:
            conditions = [templating.ref(self.switch + ("enabled",))]
            component = ctx.components.get(owner)
            if component:
                conditions.append(templating.ref(tuple(component.split(".")) + ("enabled",)))
            obj = _release_aware(self.fill(obj, marks), conventions, chart, marks)
            body = templating.finish(kyaml.serialize(kyaml.represent(obj)), marks)
            docs.append(templating.guard(templating.all_of(conditions), body))
        if docs:
            out.files[self.file] = "\n---\n".join(d.rstrip("\n") for d in docs) + "\n"

    def objects(
        self, chosen: Mapping[Identity, dict], every: Mapping[Identity, dict], said: list[str]
    ) -> list[tuple[Identity, dict]]:
        """(the source object it belongs to, the object) for each object this extra adds; what it
        cannot add as it should goes to ``said`` (the report's warnings)."""
        raise NotImplementedError

    def fill(self, obj: dict, marks: Placeholders) -> dict:
        """``obj`` with the values-driven fields as placeholders."""
        return obj


INSTANCE = "app.kubernetes.io/instance"


@record
class _Conventions:
    """What the run's conventions do to the names, namespaces and labels the extras refer to."""

    names: bool = False  # release-names: every object carries the release prefix
    namespace: str | None = None  # release-namespace: objects of this namespace go to the release's
    labelled: frozenset[Identity] = frozenset()  # objects (pod templates, Services) given the instance label
    # What selectors may select, by namespace and whether they are Services: (object, its labels).
    selectable: Mapping[tuple[str, bool], tuple[tuple[Identity, dict], ...]] = field(default_factory=dict)


def _conventions(objects: Mapping[Identity, dict], ctx: Context) -> _Conventions:
    from .release_names import _instance_labels
    from .standard_labels import _places

    by = {r.refactor: r for r in reversed(ctx.rules)}  # the first rule of each refactoring
    labelled: set[Identity] = set()
    for rule in ctx.rules:
        if rule.refactor == "standard-labels" and INSTANCE not in (rule.options.get("skip") or ()):
            # Only where it puts its labels: a Rollout's or a ScaledJob's pod template is not one.
            labelled |= {
                i for i, o in objects.items() if selects(rule.match, i, o, ctx) and _label_place(i) in _places(i[1])
            }
    if "release-names" in by:
        labelled |= {i for i in _instance_labels(objects, ctx.release, ctx) if i[1] in WORKLOAD_KINDS}
    own = {i for i in labelled if INSTANCE not in (_labels(objects[i], i) or {})}
    selectable: dict[tuple[str, bool], list[tuple[Identity, dict]]] = {}
    for ident in sorted(objects):
        if pod_spec_at(ident) is not None or ident[1] == "Service":
            labels = _labels(objects[ident], ident) or {}
            selectable.setdefault((ident[2], ident[1] == "Service"), []).append((ident, labels))
    return _Conventions(
        "release-names" in by,
        ctx.namespace if "release-namespace" in by else None,
        frozenset(own),
        {k: tuple(v) for k, v in selectable.items()},
    )


def _labels(obj: dict, ident: Identity) -> dict | None:
    """The labels a selector matches: those of the pods an object runs (a workload's pod
    template's, a Rollout's, a ScaledJob's job template's), any other object's own."""
    runs = pod_spec_at(ident) is not None
    labels = pod_metadata_of(ident, obj).get("labels") if runs else get(obj, ("metadata", "labels"))
    return labels if isinstance(labels, dict) else None


def _label_place(ident: Identity) -> tuple[str | int, ...]:
    """Where the labels :func:`_labels` reads are: a pod template's (a Pod's own), else the object's."""
    spec = pod_spec_at(ident)
    return (*spec[:-1], "metadata", "labels") if spec and len(spec) > 1 else ("metadata", "labels")


def _release_aware(obj: dict, conv: _Conventions, chart: str, marks: Placeholders) -> dict:
    """``obj`` as the conventions have it: its name with the release prefix, its namespace the
    release's, and its selectors matching the release's instance label where the objects they
    select carry it."""
    from .release_names import full

    if not (conv.names or conv.namespace or conv.labelled):
        return obj
    obj = json.loads(json.dumps(obj))  # a copy: the objects are shared with the placeholder seed
    meta, spec = obj["metadata"], obj["spec"]
    namespace = meta.get("namespace", "")
    if conv.names:
        meta["name"] = marks.new(Inline(f"{{{{ {full(chart, meta['name'])} | quote }}}}"))
    release_namespace = marks.new(Inline("{{ .Release.Namespace | quote }}")) if namespace == conv.namespace else None
    if release_namespace is not None:
        meta["namespace"] = release_namespace
        names = (spec.get("namespaceSelector") or {}).get("matchNames")
        if obj["kind"] == "ServiceMonitor" and names == [namespace]:
            spec["namespaceSelector"]["matchNames"] = [release_namespace]
    if not conv.labelled:
        return obj
    release = marks.new(Inline("{{ .Release.Name | quote }}"))  # unused where no selector takes it
    kind = obj["kind"]
    if kind == "ServiceMonitor":
        _instance(spec.get("selector"), (namespace, True), conv, release)
    elif kind == "PodDisruptionBudget":
        _instance(spec.get("selector"), (namespace, False), conv, release)
    elif kind == "NetworkPolicy":
        if spec.get("podSelector"):  # the default deny selects every pod: left as it is
            _instance(spec["podSelector"], (namespace, False), conv, release)
        for rule in spec.get("ingress") or []:
            for peer in rule.get("from") or []:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    _instance(peer["podSelector"], (namespace, False), conv, release)
    return obj


def _instance(selector: Any, among: tuple[str, bool], conv: _Conventions, release: str) -> None:
    """Add the instance label to ``selector`` when every object ``among`` (a namespace's workloads
    or Services) that its matchLabels select carries the release's (a selector must never lose
    what it selects)."""
    match = selector.get("matchLabels") if isinstance(selector, dict) else None
    if not isinstance(match, dict) or not match or INSTANCE in match:
        return
    chosen = [i for i, labels in conv.selectable.get(among, ()) if all(labels.get(k) == v for k, v in match.items())]
    if chosen and all(i in conv.labelled for i in chosen):
        match[INSTANCE] = release


def _selector(obj: dict, ident: Identity) -> dict | None:
    """A workload's pod selector as a LabelSelector: its own (a Deployment's, a Rollout's), else its
    pods' labels (a Job's, a ScaledJob's job template's, which has no selector); None if neither."""
    own = get(obj, ("spec", "selector"))
    if isinstance(own, dict) and ("matchLabels" in own or "matchExpressions" in own):
        return own
    labels = _labels(obj, ident)
    return {"matchLabels": labels} if labels else None


def _unselectable(ident: Identity, what: str) -> str:
    return (
        f"{ident[1]} {ident[3]}: its pods carry no labels ({pointer_text(_label_place(ident))}), so no NetworkPolicy "
        f"can select them and, with networkPolicies.enabled, {what}; give its pod template labels"
    )


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, **({"namespace": namespace} if namespace else {})}


class NetworkPolicies(_Extra):
    name = "network-policies"
    summary = (
        "opt-in (networkPolicies.enabled): a default deny of ingress and per called workload a NetworkPolicy "
        "allowing exactly the callers the dependency graph found"
    )
    switch = ("networkPolicies",)
    file = "templates/helmify-network-policies.yaml"
    values = (
        (
            ("networkPolicies", "enabled"),
            False,
            "Render NetworkPolicies: deny ingress by default, allow only the callers the dependency graph found",
        ),
    )

    def objects(
        self, chosen: Mapping[Identity, dict], every: Mapping[Identity, dict], said: list[str]
    ) -> list[tuple[Identity, dict]]:
        refs = find_references(every)
        g = graph.build(every, refs)
        by_node = {(i[1], i[2], i[3]): i for i in every}
        rules: dict[Identity, dict[str, set | None]] = {}
        unlabelled: dict[Identity, set[str]] = {}  # callers whose pods no policy can select -> what they call
        for edge in g.edges:
            if edge.kind not in ("service", "scrape"):
                continue
            callee = by_node.get((edge.target.kind, edge.target.namespace, edge.target.name))
            caller = by_node.get((edge.source.kind, edge.source.namespace, edge.source.name))
            if callee is None or caller is None or pod_spec_at(callee) is None or callee not in chosen:
                continue
            ports = _pod_ports(edge, every)
            if edge.source.kind == "Ingress":
                peer: dict | None = {"namespaceSelector": {}}  # the controller runs in a namespace of its own
            else:
                selector = _selector(every[caller], caller)
                peer = {"podSelector": selector} if selector else None
                if peer is None:
                    unlabelled.setdefault(caller, set()).add(f"{callee[1]} {callee[3]}")
            if peer is not None:
                _allow(rules.setdefault(callee, {}), peer, ports)
        for caller in sorted(unlabelled):
            called = ", ".join(sorted(unlabelled[caller]))
            said.append(_unselectable(caller, f"the policies of what they call ({called}) keep them out"))
        for ref in refs:  # Services open to the world: any source on their ports
            spec = get(every[ref.source], ("spec",)) if ref.source[1] == "Service" else None
            if ref.via == "selector" and isinstance(spec, dict) and spec.get("type") in ("LoadBalancer", "NodePort"):
                if ref.target in chosen:
                    ports = [_target_port(p) for p in spec.get("ports") or [] if isinstance(p, dict)]
                    _allow(rules.setdefault(ref.target, {}), None, [p for p in ports if p is not None])
        namespaces = sorted({i[2] for i in chosen if pod_spec_at(i) is not None})
        made: list[tuple[Identity, dict]] = []
        taken = {(i[2], i[3]) for i in every if i[1] == "NetworkPolicy"}
        for ns in namespaces:
            if (ns, "default-deny-ingress") not in taken:
                deny = {"podSelector": {}, "policyTypes": ["Ingress"]}
                made.append(((), _np("default-deny-ingress", ns, deny)))
        for callee in sorted(rules):
            name = f"{callee[3]}-allow-callers"
            selector = _selector(every[callee], callee)
            if selector is None:
                said.append(_unselectable(callee, "the default deny keeps their callers out"))
            if selector is None or (callee[2], name) in taken:
                continue
            spec = {"podSelector": selector, "policyTypes": ["Ingress"], "ingress": _ingress(rules[callee])}
            made.append((callee, _np(name, callee[2], spec)))
        return made


def _np(name: str, namespace: str, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }


def _allow(rules: dict[str, set | None], peer: dict | None, ports: list[int | str] | None) -> None:
    """Let ``peer`` (None: any source) reach ``ports`` (None: every port)."""
    key = json.dumps(peer, sort_keys=True)
    if ports is None or (key in rules and rules[key] is None):
        rules[key] = None
    else:
        rules.setdefault(key, set()).update((type(p).__name__, p) for p in ports)


def _ingress(rules: dict[str, set | None]) -> list[dict]:
    """One ingress rule per set of ports, listing every peer allowed on exactly those ports."""
    by_ports: dict[tuple, list[dict | None]] = {}
    for key in sorted(rules):
        ports = rules[key]
        by_ports.setdefault(tuple(sorted(ports)) if ports is not None else ("all",), []).append(json.loads(key))
    out = []
    for ports, peers in sorted(by_ports.items(), key=lambda item: json.dumps(item[1], sort_keys=True)):
        rule: dict = {} if None in peers else {"from": peers}  # any source covers the rest
        if ports != ("all",) and ports:
            rule["ports"] = [{"protocol": "TCP", "port": p} for _, p in ports]
        out.append(rule)
    return out


def _target_port(port: dict) -> int | str | None:
    value = port.get("targetPort", port.get("port"))
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _pod_ports(edge: graph.Edge, every: Mapping[Identity, dict]) -> list[int | str] | None:
    """The pod ports an edge reaches: a scrape's own, or the target port of the Service port used."""
    if edge.kind == "scrape":
        return [edge.port] if edge.port is not None else None
    service = next((o for i, o in every.items() if i[1] == "Service" and i[3] == edge.service), None)
    for port in (get(service, ("spec", "ports")) or []) if service else []:
        if isinstance(port, dict) and edge.port is not None and edge.port in (port.get("port"), port.get("name")):
            found = _target_port(port)
            return [found] if found is not None else None
    return None


class ServiceMonitors(_Extra):
    name = "service-monitors"
    summary = (
        "opt-in (serviceMonitors.enabled): a Prometheus Operator ServiceMonitor per Service with a metrics port "
        "or a prometheus.io/scrape annotation"
    )
    switch = ("serviceMonitors",)
    file = "templates/helmify-service-monitors.yaml"
    values = (
        (
            ("serviceMonitors", "enabled"),
            False,
            "Render a ServiceMonitor (Prometheus Operator) per Service with a metrics port or a prometheus.io/scrape "
            "annotation",
        ),
        (("serviceMonitors", "interval"), "30s", "How often Prometheus scrapes each ServiceMonitor's endpoints"),
        (
            ("serviceMonitors", "labels"),
            {},
            "Labels of the ServiceMonitors, for the Prometheus that selects them (release: kube-prometheus-stack)",
        ),
    )

    def objects(
        self, chosen: Mapping[Identity, dict], every: Mapping[Identity, dict], said: list[str]
    ) -> list[tuple[Identity, dict]]:
        refs = find_references(every)
        selected: dict[Identity, list[Identity]] = {}
        for ref in refs:
            if ref.via == "selector" and ref.source[1] == "Service" and ref.target is not None:
                selected.setdefault(ref.source, []).append(ref.target)
        services = sorted(
            (i for i in chosen if i[1] == "Service" and i[0] == ""),
            key=lambda i: (get(every[i], ("spec", "clusterIP")) == "None", i),  # headless ones last
        )
        made: list[tuple[Identity, dict]] = []
        covered: set[Identity] = set()  # workloads already scraped through a Service
        for ident in services:
            svc = every[ident]
            labels = get(svc, ("metadata", "labels"))
            ports = [p for p in get(svc, ("spec", "ports")) or [] if isinstance(p, dict)]
            if not isinstance(labels, dict) or not labels or not ports:
                continue  # a ServiceMonitor finds Services by their labels
            endpoints = _own_endpoints(svc, ports)
            if not endpoints:
                for workload in selected.get(ident, []):
                    if workload not in covered:
                        endpoints = _pod_endpoints(workload, every[workload], ports)
                        if endpoints:
                            covered.add(workload)
                            break
            if endpoints:
                spec = {"selector": {"matchLabels": labels}, "endpoints": endpoints}
                if ident[2]:
                    spec["namespaceSelector"] = {"matchNames": [ident[2]]}
                obj = {
                    "apiVersion": "monitoring.coreos.com/v1",
                    "kind": "ServiceMonitor",
                    "metadata": _meta(ident[3], ident[2]),
                    "spec": spec,
                }
                made.append((ident, obj))
        return made

    def fill(self, obj: dict, marks: Placeholders) -> dict:
        meta = dict(obj["metadata"])
        meta[marks.new(OptionalKey(".Values.serviceMonitors.labels", "labels", block=True))] = None
        endpoints = [
            {**e, "interval": marks.new(Inline("{{ .Values.serviceMonitors.interval | toJson }}"))}
            for e in obj["spec"]["endpoints"]
        ]
        return {**obj, "metadata": meta, "spec": {**obj["spec"], "endpoints": endpoints}}


def _own_endpoints(svc: dict, ports: list[dict]) -> list[dict]:
    """Endpoints from the Service itself: its metrics ports, or its scrape annotation."""
    annotations = get(svc, ("metadata", "annotations"))
    annotations = annotations if isinstance(annotations, dict) else {}
    if str(annotations.get("prometheus.io/scrape", "")).lower() == "true":
        return _annotated(annotations, ports, service_side=True)
    return [
        {"port": p["name"], "path": "/metrics"}
        for p in ports
        if isinstance(p.get("name"), str) and (p["name"] == "metrics" or p["name"].endswith("-metrics"))
    ]


def _pod_endpoints(ident: Identity, workload: dict, ports: list[dict]) -> list[dict]:
    """Endpoints from the scrape annotation of the pods a workload runs (a Rollout's too)."""
    annotations = pod_metadata_of(ident, workload).get("annotations")
    if not isinstance(annotations, dict) or str(annotations.get("prometheus.io/scrape", "")).lower() != "true":
        return []
    named = {}
    spec = pod_spec_at(ident)
    for container in (get(workload, (*spec, "containers")) or []) if spec and isinstance(workload, dict) else []:
        for p in container.get("ports") or [] if isinstance(container, dict) else []:
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                named[p["name"]] = p.get("containerPort")
    return _annotated(annotations, ports, service_side=False, named=named)


def _annotated(annotations: dict, ports: list[dict], service_side: bool, named: dict | None = None) -> list[dict]:
    """The endpoint ``prometheus.io/port`` and ``/path`` name, through the Service port that leads to it."""
    wanted = str(annotations.get("prometheus.io/port", ""))
    path = annotations.get("prometheus.io/path")
    path = path if isinstance(path, str) and path.startswith("/") else "/metrics"
    for p in ports:
        target = p.get("targetPort", p.get("port"))
        number = (named or {}).get(target, target) if isinstance(target, str) else target
        if not wanted or str(p.get("port") if service_side else number) == wanted:
            if isinstance(p.get("name"), str):
                return [{"port": p["name"], "path": path}]
            if target is not None:
                return [{"targetPort": target, "path": path}]
    return []


class DisruptionBudgets(_Extra):
    name = "pod-disruption-budgets"
    summary = (
        "opt-in (podDisruptionBudgets.enabled): a PodDisruptionBudget per workload with more than one replica "
        "that none of the sources' budgets covers"
    )
    switch = ("podDisruptionBudgets",)
    file = "templates/helmify-pod-disruption-budgets.yaml"
    values = (
        (
            ("podDisruptionBudgets", "enabled"),
            False,
            "Render a PodDisruptionBudget for each workload with more than one replica (the manifests' own are kept)",
        ),
        (
            ("podDisruptionBudgets", "minAvailable"),
            1,
            "Pods of each such workload that must stay up during voluntary disruptions (a number or a percentage)",
        ),
    )

    def objects(
        self, chosen: Mapping[Identity, dict], every: Mapping[Identity, dict], said: list[str]
    ) -> list[tuple[Identity, dict]]:
        budgeted = {
            r.target for r in find_references(every) if r.source[1] == "PodDisruptionBudget" and r.via == "selector"
        }
        taken = {(i[2], i[3]) for i in every if i[1] == "PodDisruptionBudget"}
        made: list[tuple[Identity, dict]] = []
        for ident in sorted(chosen):
            obj = every[ident]
            replicas = get(obj, ("spec", "replicas"))
            if ident[1] not in _REPLICATED or ident in budgeted or not isinstance(replicas, int) or replicas < 2:
                continue
            selector = get(obj, ("spec", "selector"))
            name = f"{ident[3]}-pdb"
            if not isinstance(selector, dict) or not selector or (ident[2], name) in taken:
                continue
            pdb = {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": _meta(name, ident[2]),
                "spec": {"minAvailable": 1, "selector": selector},
            }
            made.append((ident, pdb))
        return made

    def fill(self, obj: dict, marks: Placeholders) -> dict:
        spec = {
            **obj["spec"],
            "minAvailable": marks.new(Inline("{{ .Values.podDisruptionBudgets.minAvailable | toJson }}")),
        }
        return {**obj, "spec": spec}
