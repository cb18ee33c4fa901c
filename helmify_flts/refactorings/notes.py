"""notes: NOTES.txt says how to reach each exposed Service of the release (port-forward,
NodePort, LoadBalancer, Ingress host) by the name and namespace it renders with, each line under
the same condition as the Service or Ingress it names, so that it lists only what renders.
NOTES.txt is not an object: nothing to declare."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..templating import one_line, ref
from .base import Context, Expr, Identity, Put, TemplateChanges, get, selects

NAME = "notes"


class Notes:
    name = NAME
    summary = "NOTES.txt says how to reach each Service and Ingress host that renders."
    options: Mapping[str, str] = {}

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        return []

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        lines = []
        for ident, obj in sorted(objects.items()):
            if not selects(rule.match, ident, obj, ctx) or ident not in ctx.conditions:
                continue
            meta = rendered(out.edits.get(ident, ()))
            name = f"{{{{ {out.names[ident]} }}}}" if ident in out.names else one_line(ident[3])
            # the namespace the Service renders in: the release's unless the source names its own
            ns = meta.get("namespace") or (one_line(ident[2]) if ident[2] else "{{ .Release.Namespace }}")
            how = _reach(ident, obj, name, ns, ctx.lifted.get(ident, {}).get(("spec", "type")))
            if how:
                lines += [f"{{{{- if {ctx.conditions[ident]} }}}}", *how, "{{- end }}"]
        if lines:
            out.notes += ["", "How to reach the release:", *lines]


def rendered(edits: Sequence[Any]) -> dict[str, str]:
    """``name`` and ``namespace`` -> the template text that prints an object's metadata.name and
    metadata.namespace, where a refactoring sets them (release-names, release-namespace); the last
    edit of each wins, as in the template."""
    out = {}
    for edit in edits:
        if isinstance(edit, Put) and edit.pointer in (("metadata", "name"), ("metadata", "namespace")):
            if isinstance(edit.value, Expr):
                out[edit.pointer[1]] = "{{ " + edit.value.text.removesuffix(" | quote") + " }}"
            elif isinstance(edit.value, str):
                out[edit.pointer[1]] = one_line(edit.value)
    return out


def _reach(
    ident: Identity, obj: dict, name: str, ns: str = "{{ .Release.Namespace }}", type_key: tuple[str, ...] | None = None
) -> list[str]:
    """How to reach a Service or an Ingress named ``name`` as it renders. A Service whose type is
    a values key (an environment may change it) says what the type the release renders with calls for."""
    if ident[1] == "Service":
        ports = [p for p in get(obj, ("spec", "ports")) or [] if isinstance(p, dict) and isinstance(p.get("port"), int)]
        if not ports or get(obj, ("spec", "clusterIP")) == "None":
            return []
        port = ports[0]["port"]
        if type_key is None:
            return _service(name, ns, port, str(get(obj, ("spec", "type")) or "ClusterIP"))
        kind = f'(toString ({ref(type_key)} | default "ClusterIP"))'
        return [
            f'{{{{- if eq {kind} "NodePort" }}}}',
            *_service(name, ns, port, "NodePort"),
            f'{{{{- else if eq {kind} "LoadBalancer" }}}}',
            *_service(name, ns, port, "LoadBalancer"),
            "{{- else }}",
            *_service(name, ns, port, "ClusterIP"),
            "{{- end }}",
        ]
    if ident[1] == "Ingress":
        tls = {h for t in get(obj, ("spec", "tls")) or [] if isinstance(t, dict) for h in t.get("hosts") or []}
        out = []
        for item in get(obj, ("spec", "rules")) or []:
            host = item.get("host") if isinstance(item, dict) else None
            if isinstance(host, str) and host:
                scheme = "https" if host in tls else "http"
                out.append(f"  - Ingress {name}: {scheme}://{one_line(host)}/")
        return out
    return []


def _service(name: str, ns: str, port: int, kind: str) -> list[str]:
    if kind == "NodePort":
        return [
            f"  - Service {name} (NodePort): kubectl get -n {ns} svc {name} "
            "-o jsonpath='{.spec.ports[0].nodePort}' gives the port on every node"
        ]
    if kind == "LoadBalancer":
        return [
            f"  - Service {name} (LoadBalancer): kubectl get -n {ns} svc {name} "
            f"-o jsonpath='{{.status.loadBalancer.ingress[0]}}' gives the address; port {port}"
        ]
    return [f"  - Service {name}: kubectl port-forward -n {ns} svc/{name} {port}:{port}, then localhost:{port}"]
