"""cluster-ip: a Service's fixed ``spec.clusterIP`` (and ``spec.clusterIPs``) is left out of the
chart, so that the cluster allocates one per release. A Service exported from a cluster
(``kubectl get -o yaml``) carries the address the cluster gave it; two releases of a chart that
asks for it clash ("provided IP is already allocated"). Headless Services (``None``), Services
without one and ExternalName Services stay as they are, and so do ``ipFamilies`` and
``ipFamilyPolicy``, which the cluster allocates by.

Where one release really needs one address, the values key ``<service>.clusterIP`` (empty by
default) renders it only when set; the proof renders the default, which leaves it out."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Mapping
from typing import Any

from ..templating import ref
from .base import Context, Drop, Edit, Expr, Identity, MergeInto, TemplateChanges, selects

NAME = "cluster-ip"
WHY = "a fixed cluster IP clashes between releases: the cluster allocates one per release"
FIELDS = ("clusterIP", "clusterIPs")


def concrete(value: Any) -> bool:
    """Whether ``value`` is an IP address (not ``None``, not empty)."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def fixed(obj: Any) -> tuple[str, ...]:
    """The fields of a Service's spec that ask for fixed addresses (``clusterIP`` an IP address,
    ``clusterIPs`` a list of them), when it asks for nothing else: nothing for a headless or an
    ExternalName Service, or one whose fields hold anything but addresses."""
    spec = obj.get("spec") if isinstance(obj, dict) else None
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return ()
    many = spec.get("clusterIPs", [])
    if not concrete(spec.get("clusterIP", "0.0.0.0")) or not isinstance(many, list):
        return ()
    if "clusterIPs" in spec and not (many and all(concrete(v) for v in many)):
        return ()
    return tuple(f for f in FIELDS if f in spec)


def planned(objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> set[Identity]:
    """The Services (source identities) the chart renders without a fixed address: those that ask
    for one in some folder and for nothing but addresses (or nothing) in every folder that holds
    them, since one template renders them all."""
    chosen, kept = _split(objects, ctx, rule)
    return chosen - kept


def _split(objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> tuple[set[Identity], set[Identity]]:
    """The Services that ask for a fixed address in some folder, and those whose fields hold
    something else in some folder (headless there): the template keeps those fields."""
    chosen: set[Identity] = set()
    kept: set[Identity] = set()
    folders = ctx.every_folder() if ctx.objects else (objects,)
    for folder in folders:
        for ident, obj in folder.items():
            if ident[1] != "Service" or ident[0] != "":
                continue
            spec = obj.get("spec") if isinstance(obj, dict) else None
            found = fixed(obj)
            if found and selects(rule.match, ident, obj, ctx):
                chosen.add(ident)
            elif not found and isinstance(spec, dict) and any(f in spec for f in FIELDS):
                kept.add(ident)
    return chosen, kept


def same_as_base(rules: tuple[Any, ...], objects: Mapping[Identity, dict], ctx: Context) -> dict[Identity, dict]:
    """An environment's objects as planning compares them: a Service the chart renders without a
    fixed address holds the base's (or none, as the base), so that a different address in an
    environment becomes no values key; the proof still renders against the environment's own."""
    out = dict(objects)
    for rule in (r for r in rules if r.refactor == NAME):
        for ident in planned(ctx.objects, ctx, rule):
            base, obj = ctx.objects.get(ident), out.get(ident)
            if ident in ctx.env_only or not isinstance(base, dict) or not isinstance(obj, dict):
                continue
            new = copy.deepcopy(obj)
            spec, own = new.get("spec"), base.get("spec")
            if not isinstance(spec, dict) or not isinstance(own, dict):
                continue
            for f in FIELDS:
                spec.pop(f, None)
                if f in own:
                    spec[f] = copy.deepcopy(own[f])
            out[ident] = new
    return out


def value_key(ident: Identity, ctx: Context) -> tuple[str, ...]:
    """The values key that gives the Service a fixed address again (beside ``service.type``)."""
    base = tuple(ctx.bases.get(ident) or ctx.component_keys.get(ident) or (ident[3],))
    return (*base, "service", "clusterIP")


class ClusterIP:
    name = NAME
    summary = "A Service's fixed clusterIP is left out, so that the cluster allocates one per release."
    options: Mapping[str, str] = {}

    def declare(self, objects: Mapping[Identity, dict], ctx: Context, rule: Any) -> list:
        chosen = planned(objects, ctx, rule)
        back = {now: source for source, now in ctx.renamed.items()}  # an earlier rule's rename
        out = []
        for ident, obj in sorted(objects.items()):
            found = fixed(obj) if back.get(ident, ident) in chosen else ()
            if found:
                out.append(Edit(ident, tuple({"op": "remove", "path": f"/spec/{f}"} for f in found), rule.id, WHY))
        return out

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        chosen, kept = _split(objects, ctx, rule)
        out.warnings += [
            f"Service {ident[3]}: its fixed spec.clusterIP stays, since in another folder the field holds "
            "something else (None: headless); two releases of the chart ask for the same address"
            for ident in sorted(chosen & kept)
        ]
        for ident in sorted(chosen - kept):
            if ident not in objects:
                continue
            key = value_key(ident, ctx)
            # Rendered only when set, where the field was: the default (empty) leaves it out, as declared.
            out.edit(ident, MergeInto(("spec",), (("clusterIP", Expr(f"{ref(key)} | quote")),), when=(ref(key),)))
            out.edit(ident, Drop(("spec", "clusterIPs")))
            if key not in [k for k, _, _ in out.values]:
                doc = f"Fixed cluster IP of the {ident[3]} Service, for one release only (empty: the cluster allocates)"
                out.values.append((key, "", doc))
