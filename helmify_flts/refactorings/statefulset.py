"""Deployment -> StatefulSet, for the workloads a rule names.

The workload keeps its name, selector and pod template. It gets a headless Service as its
``serviceName`` (an existing headless Service that selects it, else ``<name>-headless``), and
each claim its pods mount (a standalone PVC no other workload mounts) becomes a
``volumeClaimTemplate`` named after the volume, so mounts stay as they are; the standalone PVC
is declared removed. A StatefulSet's claims are named ``<volume>-<name>-<ordinal>``, so a
running install that switches starts on new, empty claims: ``existingClaims`` (the
``persistence.existingClaim`` value) mounts a claim by name instead, and today's claim, named
there, is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ..records import record
from ..templating import ref as values_ref
from .base import Context, Drop, Expr, Put, Switch, TemplateChanges
from .base import selects as rule_selects
from .extract import ClaimToTemplate, SplitOff
from .objects import (
    Change,
    Identity,
    Outcome,
    copied,
    declared,
    find,
    identity,
    is_workload,
    labels_of,
    name_of,
    namespace_of,
    new_metadata,
    pod_spec,
    pod_template,
    selects,
    unique_name,
)
from .release_names import full

RULE = "statefulset"

# Deployment spec fields a StatefulSet does not have.
_DEPLOYMENT_ONLY = ("strategy", "progressDeadlineSeconds", "paused")
# Where other objects name a workload by kind and name.
_TARGETS = {"HorizontalPodAutoscaler": ("spec", "scaleTargetRef"), "VerticalPodAutoscaler": ("spec", "targetRef")}


@record
class Options:
    workloads: frozenset[Identity]  # the Deployments to turn into StatefulSets
    existing_claims: Mapping[Identity, str] = field(default_factory=dict)  # workload -> claim to mount instead
    rule: str = RULE
    headless: Mapping[Identity, str] = field(default_factory=dict)  # workload -> its new headless Service's name


def apply(objects: Mapping[Identity, dict], options: Options) -> Outcome:
    out = copied(objects)
    renamed: dict[Identity, Identity] = {}
    added, removed, warnings = [], [], []
    for ident in sorted(options.workloads):
        obj = out.get(ident)
        if obj is None or obj.get("kind") != "Deployment" or pod_spec(obj) is None:
            continue
        ns, name = namespace_of(obj), name_of(obj)
        spec = obj["spec"]
        pod_labels = labels_of(pod_template(obj) or {})
        headless, new_service = _headless_service(out, obj, pod_labels, options.headless.get(ident))
        if new_service is not None:
            out[identity(new_service)] = new_service
            added.append(Change(identity(new_service), options.rule, f"headless Service for StatefulSet/{name}", ident))
        templates, gone = _claim_templates(out, obj, options.existing_claims.get(ident))
        for claim in gone:
            claim_ident = identity(claim)
            del out[claim_ident]
            removed.append(Change(claim_ident, options.rule, f"becomes a volumeClaimTemplate of StatefulSet/{name}"))
        for key in _DEPLOYMENT_ONLY:
            spec.pop(key, None)
        new_spec = {}
        for key, value in spec.items():
            new_spec[key] = value
            if key == "selector":
                new_spec["serviceName"] = headless
        new_spec.setdefault("serviceName", headless)
        if templates:
            new_spec["volumeClaimTemplates"] = templates
        obj["kind"] = "StatefulSet"
        obj["apiVersion"] = "apps/v1"
        obj["spec"] = new_spec
        del out[ident]
        new_ident = identity(obj)
        out[new_ident] = obj
        renamed[ident] = new_ident
        _retarget(out, ns, name)
        if gone:
            warnings.append(
                f"StatefulSet/{name}: switching a running install moves data: its pods get new claims "
                f"({', '.join(t['metadata']['name'] + '-' + name + '-0' for t in templates)}); set "
                "persistence.existingClaim to today's claim to keep using it"
            )
    return Outcome(out, renamed=renamed, added=tuple(added), removed=tuple(removed), warnings=tuple(warnings))


def _headless_service(
    objects: dict[Identity, dict], obj: dict, pod_labels: dict, wanted: str | None = None
) -> tuple[str, dict | None]:
    """The name of the headless Service that governs the StatefulSet, and the one to add if none
    does (``wanted``, else ``<name>-headless``)."""
    ns, name = namespace_of(obj), name_of(obj)
    selecting = [
        s
        for (_, kind, s_ns, _), s in sorted(objects.items())
        if kind == "Service" and s_ns == ns and selects((s.get("spec") or {}).get("selector"), pod_labels)
    ]
    for service in selecting:
        if (service.get("spec") or {}).get("clusterIP") == "None":
            return name_of(service), None
    model = selecting[0] if selecting else None
    service_name = unique_name(objects, "Service", ns, wanted or f"{name}-headless")
    selector = dict((model["spec"].get("selector") if model else None) or _match_labels(obj))
    ports = [dict(p) for p in (model["spec"].get("ports") or [])] if model else _container_ports(obj)
    spec: dict = {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector}
    if ports:
        spec["ports"] = ports
    labels = labels_of(model) if model else labels_of(obj)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": new_metadata(service_name, ns, labels), "spec": spec}
    return service_name, service


def _match_labels(obj: dict) -> dict:
    selector = (obj.get("spec") or {}).get("selector") or {}
    return dict(selector.get("matchLabels") or {})


def _container_ports(obj: dict) -> list[dict]:
    ports = []
    for container in (pod_spec(obj) or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if isinstance(port, dict) and "containerPort" in port:
                item = {"port": port["containerPort"], "targetPort": port["containerPort"]}
                if port.get("name"):
                    item = {"name": port["name"], **item}
                if port.get("protocol"):
                    item["protocol"] = port["protocol"]
                ports.append(item)
    return ports


def _claim_templates(objects: dict[Identity, dict], obj: dict, existing: str | None) -> tuple[list[dict], list[dict]]:
    """volumeClaimTemplates made of the claims only this workload mounts, and those claims.
    With ``existing`` the pods mount that claim instead, and a claim of that name stays."""
    ns = namespace_of(obj)
    spec = pod_spec(obj) or {}
    volumes = spec.get("volumes") if isinstance(spec.get("volumes"), list) else []
    templates, gone, kept = [], [], []
    for volume in volumes:
        source = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
        claim_name = source.get("claimName") if isinstance(source, dict) else None
        claim = find(objects, "PersistentVolumeClaim", ns, claim_name) if isinstance(claim_name, str) else None
        if claim is None or _mounted_elsewhere(objects, obj, claim_name):
            kept.append(volume)
            continue
        if existing:
            source["claimName"] = existing
            kept.append(volume)
            if existing != claim_name:
                gone.append(claim)
            continue
        meta = {"name": volume["name"]}
        if labels_of(claim):
            meta["labels"] = labels_of(claim)
        templates.append({"metadata": meta, "spec": dict(claim.get("spec") or {})})
        gone.append(claim)
    if kept:
        spec["volumes"] = kept
    else:
        spec.pop("volumes", None)
    return templates, gone


def _mounted_elsewhere(objects: dict[Identity, dict], obj: dict, claim_name: str) -> bool:
    for other in objects.values():
        spec = pod_spec(other) if is_workload(other) and other is not obj else None
        if spec is None or namespace_of(other) != namespace_of(obj) or not isinstance(spec.get("volumes"), list):
            continue
        for volume in spec["volumes"]:
            source = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
            if isinstance(source, dict) and source.get("claimName") == claim_name:
                return True
    return False


def _retarget(objects: dict[Identity, dict], ns: str, name: str) -> None:
    """Autoscalers that name the Deployment name the StatefulSet."""
    for (_, kind, o_ns, _), other in objects.items():
        where = _TARGETS.get(kind)
        if where is None or o_ns != ns:
            continue
        target = other
        for part in where:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict) and target.get("kind") == "Deployment" and target.get("name") == name:
            target["kind"] = "StatefulSet"


class StatefulSets:
    """The ``statefulset`` refactoring: the Deployments a rule names become StatefulSets."""

    name = "statefulset"
    summary = (
        "turn the Deployments the rule matches into StatefulSets: a headless Service as serviceName, the claim "
        "the pods mount as a volumeClaimTemplate (the standalone PVC declared removed), persistence.existingClaim "
        "to keep today's claim; the report warns that switching a running install moves data"
    )
    options: Mapping[str, str] = {}

    def _chosen(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> frozenset[Identity]:
        return frozenset(i for i in objects if i[1] == "Deployment" and rule_selects(rule.match, i, objects[i], ctx))

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        chosen = self._chosen(ctx.objects or objects, ctx, rule)
        # after release-names: each workload by its new name, and its headless Service with the prefix
        headless = {ctx.now(i): ctx.prefixed(i, f"{i[3]}-headless") for i in chosen}
        workloads = frozenset(ctx.now(i) for i in chosen if ctx.now(i) in objects)
        outcome = apply(objects, Options(workloads, rule=rule.id, headless=headless))
        return declared(objects, outcome, rule.id, "runs as a StatefulSet: stable names and a claim per pod")

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        chosen = self._chosen(objects, ctx, rule)
        outcome = apply(objects, Options(chosen, rule=rule.id))
        out.warnings.extend(outcome.warnings)  # for whoever converts, not NOTES.txt of every install
        for ident in sorted(chosen):
            new = outcome.objects.get(outcome.renamed.get(ident, ident))
            if new is None or new.get("kind") != "StatefulSet":
                continue
            base = tuple(ctx.bases.get(ident) or ctx.component_keys.get(ident) or (ident[3],))
            existing = (*base, "persistence", "existingClaim")
            edits: list = [Put(("kind",), "StatefulSet"), Put(("apiVersion",), "apps/v1")]
            edits += [Drop(("spec", key)) for key in _DEPLOYMENT_ONLY if key in (objects[ident].get("spec") or {})]
            # a Service release-names renamed before this rule, or the one added here where it renamed
            # the workload, is named by the fullname helper
            service_name = new["spec"]["serviceName"]
            named = out.names.get(("", "Service", ident[2], service_name))
            if named is None and ident in out.names:
                named = full(chart, service_name)
            edits.append(Put(("spec", "serviceName"), Expr(f"{named} | quote") if named else service_name))
            for added in outcome.added:
                service = outcome.objects[added.identity]
                if service["metadata"]["name"] == service_name:
                    model = _model(objects, objects[ident])
                    service = _with_labels(service, out.labels.get(model or ident, {}))
                    selected = _selected(service, named, out.edits.get(model, []) if model else [])
                    edits.append(SplitOff(selected, named))
            templates = {t["metadata"]["name"]: t for t in new["spec"].get("volumeClaimTemplates") or []}
            for gone in outcome.removed:
                claim = objects[gone.identity]
                volume = _volume_of(objects[ident], gone.identity[3])
                if volume is None or volume not in templates:
                    continue
                templates[volume] = _with_labels(templates[volume], out.labels.get(gone.identity, {}))
                claim_base = tuple(ctx.bases.get(gone.identity) or base)
                exprs = _claim_exprs(templates[volume], claim_base)
                edits.append(
                    ClaimToTemplate(
                        ("spec",), ("spec", "template", "spec"), volume, values_ref(existing), templates[volume], exprs
                    )
                )
                out.switches.setdefault(gone.identity, []).append(
                    Switch(
                        existing,
                        "",
                        f"Name of an existing claim for {name_of(claim)}'s data; today's claim "
                        f"({name_of(claim)}) keeps it, empty gives each pod a new claim from volumeClaimTemplates",
                    )
                )
            out.edit(ident, *edits)
            for other, obj in objects.items():
                target = ((obj.get("spec") or {}).get("scaleTargetRef") or {}) if other[1] in _TARGETS else {}
                if target.get("kind") == "Deployment" and target.get("name") == ident[3] and other[2] == ident[2]:
                    out.edit(other, Put((*_TARGETS[other[1]], "kind"), "StatefulSet"))


def _model(objects: Mapping[Identity, dict], obj: dict) -> Identity | None:
    """The Service whose labels the added headless Service copies (see _headless_service)."""
    ns, pod_labels = namespace_of(obj), labels_of(pod_template(obj) or {})
    return next(
        (
            ident
            for ident, s in sorted(objects.items())
            if ident[1] == "Service" and ident[2] == ns and selects((s.get("spec") or {}).get("selector"), pod_labels)
        ),
        None,
    )


def _selected(service: dict, named: str | None, model_edits: list) -> dict:
    """The added headless Service selecting by what release-names, before this rule, added to the
    selector it copies."""
    if not named:
        return service
    selector = dict(service["spec"].get("selector") or {})
    for edit in model_edits:
        if isinstance(edit, Put) and edit.pointer[:2] == ("spec", "selector") and len(edit.pointer) == 3:
            selector[edit.pointer[2]] = edit.value
    return {**service, "spec": {**service["spec"], "selector": selector}}


def _with_labels(obj: dict, labels: Mapping[str, Any]) -> dict:
    """``obj`` with the labels an earlier rule added to the object its labels were copied from, as
    that rule renders them (its declaration copied them from that object as the rule left it)."""
    if not labels:
        return obj
    meta = dict(obj.get("metadata") or {})
    meta["labels"] = {
        **(meta.get("labels") or {}),
        **{k: v for k, v in labels.items() if k not in (meta.get("labels") or {})},
    }
    return {**obj, "metadata": meta}


def _volume_of(obj: dict, claim: str) -> str | None:
    for volume in (pod_spec(obj) or {}).get("volumes") or []:
        if isinstance(volume, dict) and (volume.get("persistentVolumeClaim") or {}).get("claimName") == claim:
            return volume.get("name")
    return None


def _claim_exprs(template: dict, base: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The claim's fields the storage rules lift, read from the same values keys in the template."""
    spec = template.get("spec") or {}
    out = []
    if ((spec.get("resources") or {}).get("requests") or {}).get("storage") is not None:
        out.append((("spec", "resources", "requests", "storage"), values_ref((*base, "persistence", "size"))))
    if "storageClassName" in spec:
        out.append((("spec", "storageClassName"), values_ref((*base, "persistence", "storageClass"))))
    if "accessModes" in spec:
        out.append((("spec", "accessModes"), values_ref((*base, "persistence", "accessModes"))))
    return tuple(out)
