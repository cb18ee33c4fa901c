"""Bring-your-own resources: an ``existingSecret``-style switch.

For each resource an ``existing`` rule matches (a Secret, say), one values key names a resource
the user manages instead. Empty (the default) renders the chart's own copy; set, the copy is not
rendered and every field that names it (found through the rule's reference paths) names the
user's resource instead.
"""

from __future__ import annotations

from collections import Counter

from yaml.nodes import ScalarNode

from .components import Component, fill, key_bindings, matches
from .manifests import Resource
from .match import Hit
from .paths import walk
from .records import record
from .rules import RuleSet


@record
class Guard:
    """A condition on one resource: render it only if the values key is (or, negated, is not) set."""

    key: tuple[str, ...]
    default: object
    doc: str
    negate: bool = False


def plan_existing(
    resources: tuple[Resource, ...],
    components: dict[Resource, Component],
    bases: dict[Resource, tuple[str, ...]],
    ruleset: RuleSet,
) -> tuple[list[Hit], dict[Resource, Guard]]:
    """Reference hits (each naming field becomes ``key | default "name"``) and the guards."""
    hits: list[Hit] = []
    guards: dict[Resource, Guard] = {}
    rules = sorted(ruleset.existing_rules, key=lambda r: -r.layer)
    # Objects of one kind and name in several namespaces (an overlay's copy in its own namespace)
    # get one switch each: their comments say which namespace each is for.
    spread = Counter((res.kind, res.name) for res in resources)
    placed = {(res.kind, res.name, res.namespace) for res in resources}
    named: dict[int, dict[str, list]] = {}  # per rule: each name its reference paths find, where
    for res in resources:
        rule = next((r for r in rules if matches(r.match, res, components[res])), None)
        if rule is None:
            continue
        comp = components[res]
        key = fill(rule.existing_key, key_bindings(res, comp, bases[res]))
        guards[res] = Guard(key, "", switch_doc(res, spread[res.kind, res.name] > 1), negate=True)
        if id(rule) not in named:  # every resource walked once per rule, not once per matched resource
            named[id(rule)] = _names_found(resources, rule.references)
        for other, found in named[id(rule)].get(res.name, ()):
            if other is not res and _in_reach(other, res, placed):
                hits.append(Hit(rule, other, found, key))
    return hits, guards


def _names_found(resources: tuple[Resource, ...], references: tuple) -> dict[str, list]:
    """Each text the reference paths find in any resource, with where: in the order of the
    resources, then of the paths, then of the walk (the order of the hits)."""
    out: dict[str, list] = {}
    for other in resources:
        for steps in references:
            for found in walk(other.node, steps):
                if isinstance(found.node, ScalarNode):
                    out.setdefault(found.node.value, []).append((other, found))
    return out


def renames_inside(ref_hits: list[Hit], kept: list[Hit]) -> dict[Resource, tuple]:
    """The reference hits a field read whole from values covers (``imagePullSecrets``, an
    Ingress's ``tls``), so that they are not lifted themselves: per resource, tree edits that
    rename the Secret inside that value's text to the switch's name, else the chart's own."""
    lifted = set(map(id, kept))
    out: dict[Resource, list] = {}
    for hit in ref_hits:
        if id(hit) not in lifted and isinstance(hit.found.node, ScalarNode):
            # Only here: a plain convert without such a reference does not load the refactorings.
            from .refactorings.base import Rename
            from .templating import quote, ref

            name = hit.found.node.value
            rename = Rename(hit.found.path.plain, name, f"{ref(hit.key)} | default {quote(name)}")
            out.setdefault(hit.resource, []).append(rename)
    return {res: tuple(edits) for res, edits in out.items()}


def switch_doc(res: Resource, where: bool = False) -> str:
    """The values comment of ``res``'s switch, naming its namespace too when ``where``. A
    kustomize generator's object is named after the generator: its rendered name carries a hash
    of its content, which changes with the data, while the switch's key (named after the generator
    too) stays, and an environment's values may set it to switch off an object whose hash that
    environment does not have."""
    doc = _switch_doc(res)
    if where and res.namespace:
        first, _, rest = doc.partition(";")
        return f"{first} in namespace {res.namespace};{rest}"
    return doc


def _switch_doc(res: Resource) -> str:
    if not res.stem:
        return f"Name of an existing {res.kind} to use instead of {res.name}; empty renders {res.name} from this chart"
    generator = res.name[:-11]  # kustomize appends "-" and ten characters of the hash (kustomize.stem_of)
    made = (
        f"{generator}, which kustomize generates"
        if res.stem == generator
        else (f"{res.stem}, the {generator} kustomize generates for the environments that have it")
    )
    return (
        f"Name of an existing {res.kind} to use instead of {made}, rendered as {generator}-<hash of its content>;"
        " empty renders it from this chart"
    )


def _in_reach(other: Resource, res: Resource, placed: set[tuple[str, str, str]]) -> bool:
    """Whether a name written in ``other`` can mean ``res``. An object with no namespace written
    lands in the namespace the folder is applied to, which is the one the others name (FLTS
    writes ``namespace: flts`` on its Secret but not on the Deployments that read it), so it
    reaches across unless an object of that kind and name sits in the referrer's own namespace."""
    if other.namespace == res.namespace:
        return True
    if other.namespace and res.namespace:
        return False
    # (kind, name, namespace) of every resource: res itself is not in other's namespace here
    return (res.kind, res.name, other.namespace) not in placed
