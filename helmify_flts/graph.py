"""The dependency graph of a folder: which workload talks to which, and what it reads.

Nodes are the workloads (an Argo Rollout and a KEDA ScaledJob run pods too), the Ingresses that
route to them, and the ConfigMaps, Secrets and claims workloads read. Edges come from
:mod:`references`, and each starts at a node:

- ``service``: a workload names a Service host (in its env, command, args, or a ConfigMap or
  Secret it reads) and the Service selects another workload (a Rollout's or a ScaledJob's pods by
  their template's labels too); the edge goes to that workload, labelled ``service:port``. A
  Service that selects no workload of the folder is a node itself.
  An Ingress backend gives the same kind of edge from the Ingress.
- ``configMap``, ``secret``, ``claim``: a workload reads that object (volume, env, envFrom,
  imagePullSecrets; a projected volume counts too). Objects the folder lacks are nodes marked
  ``external`` (a Secret the cluster provides).

- ``scrape``: a workload reads a Prometheus configuration that discovers pods
  (``kubernetes_sd_configs`` with ``role: pod`` and the ``prometheus_io_scrape`` annotation
  filter), and another workload's pods carry ``prometheus.io/scrape: "true"`` (a Rollout's by its
  template, or by the template of the Deployment its ``workloadRef`` names); labelled
  ``scrape:port`` with the ``prometheus.io/port`` annotation's port when it has one.

A workload naming its own Service (Kafka's advertised listener) is no edge, and neither is a host
name in a KEDA trigger (the operator calls it, no pod of the folder). Everything is
sorted, so the same folder gives the same graph, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .records import record
from .references import Identity, Reference, find_references, pod_metadata_of, pod_spec_at, template_owners

_DATA_KINDS = {"ConfigMap": "configMap", "Secret": "secret", "PersistentVolumeClaim": "claim"}
_HOLDERS = ("ConfigMap", "Secret")  # a host name written in them is one their readers talk to


@record(order=True)
class Node:
    kind: str
    namespace: str
    name: str
    external: bool = False  # named by a reference, not an object of the folder

    @property
    def id(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)


@record
class Edge:
    source: Node
    target: Node
    kind: str  # service, scrape, configMap, secret, claim
    label: str  # service:port, or the object's name
    port: int | str | None = None
    service: str | None = None


@record(eq=False)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def as_json(self, components: Mapping[str, str] | None = None) -> dict:
        """Nodes and edges as the report's ``graph`` key (``components``: node id -> component)."""
        components = components or {}
        return {
            "nodes": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "namespace": n.namespace,
                    "name": n.name,
                    **({"component": components[n.id]} if n.id in components else {}),
                    **({"external": True} if n.external else {}),
                }
                for n in self.nodes
            ],
            "edges": [
                {
                    "from": e.source.id,
                    "to": e.target.id,
                    "kind": e.kind,
                    "label": e.label,
                    **({"service": e.service} if e.service is not None else {}),
                    **({"port": e.port} if e.port is not None else {}),
                }
                for e in self.edges
            ],
        }


def build(objects: Mapping[Identity, dict], references: list[Reference] | None = None) -> Graph:
    """The graph of ``objects`` (identity -> plain object), from their references."""
    refs = find_references(objects) if references is None else references
    selected: dict[Identity, list[Identity]] = {}  # Service -> the workloads it selects
    readers: dict[Identity, list[Identity]] = {}  # ConfigMap or Secret -> the workloads that read it
    for ref in refs:
        if ref.source[1] == "Service" and ref.via == "selector" and ref.target is not None:
            selected.setdefault(ref.source, []).append(ref.target)
        if ref.target is not None and _in_pods(ref) and ref.target_kind in _HOLDERS:
            readers.setdefault(ref.target, []).append(ref.source)
    # Each StatefulSet pod's DNS name by where it is: the StatefulSet its first part names.
    pods = {
        (r.source, r.path, r.span[1]): r.target
        for r in refs
        if r.via == "pod" and r.target_kind == "StatefulSet" and r.target is not None and r.span is not None
    }
    nodes: set[Node] = {_node(i) for i in objects if pod_spec_at(i) is not None}
    edges: set[Edge] = set()
    for ref in refs:
        if _in_pods(ref) and ref.target_kind in _DATA_KINDS:
            target = _node(ref.target) if ref.target else Node(ref.target_kind, ref.source[2], ref.target_name, True)
            nodes.add(target)
            edges.add(Edge(_node(ref.source), target, _DATA_KINDS[ref.target_kind], ref.target_name))
        elif ref.target_kind == "Service" and ref.via in ("host", "backend", "pod") and ref.target is not None:
            if ref.source[1] in _HOLDERS:
                callers = readers.get(ref.source, [])
            elif ref.source[1] == "Ingress" or _in_pods(ref):
                callers = [ref.source]
                nodes.add(_node(ref.source))
            else:
                continue  # a KEDA trigger's host: the operator calls it, no pod of the folder
            label = f"{ref.target_name}:{ref.port}" if ref.port is not None else ref.target_name
            # A StatefulSet pod's DNS name (kafka-0.kafka-headless) reaches that pod through its
            # governing Service, also where the Service selects no pods of the folder.
            callees = selected.get(ref.target) or [ref.target]
            pod = pods.get((ref.source, ref.path, ref.span[1])) if ref.via == "pod" and ref.span else None
            callees = callees if pod is None or pod in callees else [*callees, pod]
            for caller in callers:
                for callee in callees:
                    if callee == caller:
                        continue
                    nodes.add(_node(callee))
                    edges.add(Edge(_node(caller), _node(callee), "service", label, ref.port, ref.target_name))
    edges |= _scrapes(objects, readers, template_owners(objects, refs))
    return Graph(tuple(sorted(nodes)), tuple(sorted(edges, key=_edge_order)))


def _scrapes(
    objects: Mapping[Identity, dict], readers: dict[Identity, list[Identity]], owners: Mapping[Identity, Identity]
) -> set[Edge]:
    """Prometheus pod discovery: who scrapes which annotated pods (an Argo Rollout's too, by its
    own template or, through ``owners``, the Deployment's its ``workloadRef`` names)."""
    scrapers = {reader for cm, who in readers.items() if _discovers_pods(objects.get(cm)) for reader in who}
    edges: set[Edge] = set()
    for ident in objects:
        if pod_spec_at(ident) is None:
            continue
        made_from = owners.get(ident, ident)  # the object whose pod template its pods are made from
        annotations = _pod_annotations(made_from, objects[made_from])
        if str(annotations.get("prometheus.io/scrape", "")).lower() != "true":
            continue
        port = annotations.get("prometheus.io/port")
        port = int(port) if isinstance(port, str) and port.isascii() and port.isdigit() and len(port) <= 5 else None
        label = f"scrape:{port}" if port is not None else "scrape"
        for scraper in scrapers:
            if scraper != ident and (scraper[2] == ident[2] or not scraper[2] or not ident[2]):
                edges.add(Edge(_node(scraper), _node(ident), "scrape", label, port))
    return edges


def _discovers_pods(obj: dict | None) -> bool:
    data = obj.get("data") if isinstance(obj, dict) else None
    texts = [v for v in data.values() if isinstance(v, str)] if isinstance(data, dict) else []
    return any(
        "kubernetes_sd_configs" in t and re.search(r"role:\s*['\"]?pod\b", t) and "prometheus_io_scrape" in t
        for t in texts
    )


def _pod_annotations(ident: Identity, obj: dict) -> dict:
    annotations = pod_metadata_of(ident, obj).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _in_pods(ref: Reference) -> bool:
    """Whether ``ref`` is in the pod spec of an object that runs pods (a workload, a Rollout, a
    ScaledJob's job template): its pods read that object or call that host."""
    spec = pod_spec_at(ref.source)
    return spec is not None and ref.path[: len(spec)] == spec


def _node(ident: Identity) -> Node:
    return Node(ident[1], ident[2], ident[3])


def _edge_order(edge: Edge) -> tuple:
    return (edge.source, edge.target, edge.kind, edge.label, str(edge.port))


# Characters a Mermaid label shows as they are; everything else becomes an entity code (#35;),
# so no input can end a label, a node, the diagram or the Markdown fence around it.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._:/-")
_SHAPES = {
    "ConfigMap": ('[["', '"]]'),
    "Secret": ('{{"', '"}}'),
    "PersistentVolumeClaim": ('[("', '")]'),
    "Ingress": ('>"', '"]'),
}
MAX_LABEL = 80  # characters of a name shown in the diagram


def mermaid_label(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label."""
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 3] + "..."
    return "".join(c if c in _PLAIN else f"#{ord(c)};" for c in text)


def mermaid(data: dict) -> list[str]:
    """The graph, as :meth:`Graph.as_json` gives it, as a Mermaid ``flowchart`` (lines, without
    the Markdown fence)."""
    ids = {node["id"]: f"n{i}" for i, node in enumerate(data["nodes"])}
    out = ["flowchart LR"]
    for node in data["nodes"]:
        opening, closing = _SHAPES.get(node["kind"], ('["', '"]'))
        extra = " (external)" if node.get("external") else ""
        label = mermaid_label(f"{node['kind']}/{node['name']}{extra}")
        out.append(f"  {ids[node['id']]}{opening}{label}{closing}")
    for edge in data["edges"]:
        # A read names its object in the target node already: the arrow says how it is read.
        arrow, label = ("-->", edge["label"]) if edge["kind"] in ("service", "scrape") else ("-.->", edge["kind"])
        out.append(f'  {ids[edge["from"]]} {arrow}|"{mermaid_label(label)}"| {ids[edge["to"]]}')
    return out
