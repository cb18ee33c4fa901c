"""Which component each resource belongs to, and the values path ("base") of each resource.

A component comes from a component rule. Else a workload's comes from the first of the
configured labels (its pod template's where it has none), else from its own name; any other
resource's from what it points at or is pointed at by (an HPA's target, a Service's selector, a
ConfigMap mounted by one component's pods, the ServiceAccount a binding grants to, the Services
an Ingress routes to), else from the first of the configured labels, else from its own name.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .filenames import safe_name
from .globs import fnmatchcase
from .manifests import POD_TEMPLATE, Resource
from .paths import child, parse, text_at, walk
from .records import record
from .rules import _PLACEHOLDER, ComponentRule, Match, RuleSet, Segment


@record
class Component:
    """A group of resources rendered together: a values path and a template file name."""

    key: tuple[str, ...]
    file: str

    @property
    def dotted(self) -> str:
        return ".".join(self.key)


def camel(text: str) -> str:
    """``inference-lb`` -> ``inferenceLb``; ``train_gru`` -> ``trainGru``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    if not words:
        return text
    first = words[0]
    first = first.lower() if first.isupper() else first[0].lower() + first[1:]
    return first + "".join(w[0].upper() + w[1:] for w in words[1:])


# A template file stem leaves room for "-2" (see _unique_files) and ".yaml" in one file name.
SLUG_LIMIT = 200


def slug(text: str) -> str:
    """A DNS-label-like file stem: lower case, dashes, bounded (long ones end in a hash)."""
    out = re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", text).lower()).strip("-")
    return safe_name(out, SLUG_LIMIT) if out else "resource"


@functools.cache
def namesake(api_version: str, kind: str) -> bool:
    """Whether ``kind`` of ``api_version`` is a custom resource's that has a built-in kind's name."""
    from .schema import built_in
    from .scopes import custom

    group = api_version.rpartition("/")[0]
    return bool(group) and built_in(kind) and custom(group, kind)


def matches(match: Match, res: Resource, component: Component | None = None) -> bool:
    """Whether a rule's ``match`` selects this resource. A built-in kind's name selects a custom
    resource that shares it (Knative's ``Service``) only where the rule names its apiVersions:
    the packs' Service rules lift a type and ports that kind does not have."""
    if match.kinds and (
        res.kind not in match.kinds or (not match.api_versions and namesake(res.api_version, res.kind))
    ):
        return False
    if match.api_versions and not any(fnmatchcase(res.api_version, g) for g in match.api_versions):
        return False
    # A generated object also by its generator's name (key_name): a rule written for it keeps
    # matching when its content, and so the hash in its name, changes.
    if match.names and not any(fnmatchcase(res.name, g) or fnmatchcase(res.key_name, g) for g in match.names):
        return False
    if match.namespaces and not any(fnmatchcase(res.namespace or "", g) for g in match.namespaces):
        return False
    if match.labels:
        labels = res.labels()
        if any(labels.get(k) != v for k, v in match.labels):
            return False
    if match.components:
        if component is None or not any(
            fnmatchcase(component.dotted, g) or fnmatchcase(component.file, g) for g in match.components
        ):
            return False
    return True


def fill(segments: tuple[Segment, ...], bindings: dict[str, str | tuple[str, ...]]) -> tuple[str, ...]:
    """Substitute bindings into pattern segments; path bindings expand to several segments."""
    out: list[str] = []
    for seg in segments:
        if "{" not in seg.text:  # a literal segment (image, resources): nothing to fill in
            out.append(seg.text)
            continue
        if seg.expands_path:
            value = bindings[seg.text[1:-1]]
            out.extend(value if isinstance(value, tuple) else (value,))
            continue
        out.append(_PLACEHOLDER.sub(lambda m: _filtered(bindings, m.group(1), m.group(2)), seg.text))
    return tuple(out)


def _filtered(bindings: dict, name: str, filt: str | None) -> str:
    value = bindings[name]
    text = ".".join(value) if isinstance(value, tuple) else value
    if filt == "camel":
        return camel(text)
    if filt == "lower":
        return text.lower()
    if filt == "short":
        return camel(bindings.get("_short", text))
    return text


def assign(
    resources: tuple[Resource, ...], ruleset: RuleSet, why: dict[Resource, str] | None = None
) -> dict[Resource, Component]:
    """Give every resource a component; ``why`` (if given) receives the reason for each."""
    why = why if why is not None else {}
    result: dict[Resource, Component] = {}
    rules = sorted(ruleset.component_rules, key=lambda r: -r.layer)
    for res in resources:
        comp = _from_rules(res, rules, why)
        if comp is None and res.kind in POD_TEMPLATE:
            comp = _from_labels(res, res.labels() or res.pod_labels(), ruleset.component_labels, why) or _own(res, why)
        if comp:
            result[res] = comp
    # What a single component uses belongs to it, whatever its own labels say (kompose labels
    # a claim "kafka-claim0"); shared or unreferenced resources fall back to their labels.
    _from_references(resources, result, why)
    # An Ingress follows the Services it routes to, and a binding the ServiceAccount it grants to
    # (a role its bindings), so those must all have their component first, also the ones that only
    # their labels or their own name give one.
    for res in resources:
        if res not in result and res.kind != "Ingress" and res.kind not in _RBAC:
            result[res] = _from_labels(res, res.labels(), ruleset.component_labels, why) or _own(res, why)
    _rbac(resources, result, why)
    _ingresses(resources, result, why)
    for res in resources:
        if res not in result:
            result[res] = _from_labels(res, res.labels(), ruleset.component_labels, why) or _own(res, why)
    return _unique_files(resources, result)


def _own(res: Resource, why: dict[Resource, str]) -> Component:
    why[res] = "its own name"
    return Component((camel(res.key_name),), slug(res.key_name))


def _unique_files(resources: tuple[Resource, ...], result: dict[Resource, Component]) -> dict[Resource, Component]:
    """Two components must not share a template file ("foo-bar" and "fooBar" both slug to foo-bar)."""
    owner: dict[str, tuple[str, ...]] = {}
    renamed: dict[Component, Component] = {}
    for res in resources:
        comp = result[res]
        if comp in renamed:
            result[res] = renamed[comp]
            continue
        file, n = comp.file, 1
        while owner.setdefault(file, comp.key) != comp.key:
            n += 1
            file = f"{comp.file}-{n}"
        if file != comp.file:
            renamed[comp] = result[res] = Component(comp.key, file)
    return result


def _from_rules(res: Resource, rules: list[ComponentRule], why: dict[Resource, str]) -> Component | None:
    for rule in rules:
        if matches(rule.match, res):
            why[res] = f"rule {rule.label}"
            # {name|short} drops the pattern's leading literal ("train.{name|short}": train-gru -> gru).
            lead = next((seg.text for seg in rule.component if "{" not in seg.text), "")
            bindings = {
                "name": res.key_name,
                "kind": res.kind,
                "namespace": res.namespace or "",
                "_short": short_name(res.key_name, lead) or res.key_name,
            }
            key = fill(rule.component, bindings)
            key = tuple(part for k in key for part in k.split("."))
            return Component(key, slug("-".join(key)))
    return None


def _from_labels(
    res: Resource, labels: dict[str, str], label_keys: tuple[str, ...], why: dict[Resource, str]
) -> Component | None:
    for key in label_keys:
        if labels.get(key):
            why[res] = f"label {key}={labels[key]}"
            return Component((camel(labels[key]),), slug(labels[key]))
    return None


def _from_references(
    resources: tuple[Resource, ...], result: dict[Resource, Component], why: dict[Resource, str]
) -> None:
    workloads = [r for r in resources if r.kind in POD_TEMPLATE and r in result]
    by_name = {(r.kind, r.namespace, r.name): r for r in workloads}
    refs: dict[tuple[str, str | None, str], set[Component]] = {}
    for w in workloads:
        for kind, name in _pod_references(w.pod_spec()):
            refs.setdefault((kind, w.namespace, name), set()).add(result[w])
    pod_labels = {w: w.pod_labels().items() for w in workloads}  # asked again for every resource below
    # The workloads carrying each label, by namespace: a selector is tested only against those that
    # carry its first label, not against every workload (a folder of N Services and N workloads).
    carrying: dict[tuple[str | None, str, str], list[Resource]] = {}
    for w in workloads:
        for key, value in pod_labels[w]:
            carrying.setdefault((w.namespace, key, value), []).append(w)
    for res in resources:
        if res in result:
            continue
        found: set[Component] = set()
        target = child(child(res.node, "spec"), "scaleTargetRef")
        if target is not None:
            tw = by_name.get((text_at(target, "kind") or "", res.namespace, text_at(target, "name") or ""))
            if tw is not None:
                found.add(result[tw])
        selector = _selector(res)
        if selector:
            key, value = next(iter(selector.items()))
            found |= {
                result[w] for w in carrying.get((res.namespace, key, value), ()) if selector.items() <= pod_labels[w]
            }
        found |= refs.get((res.kind, res.namespace, res.name), set())
        if len(found) == 1:
            result[res] = found.pop()
            why[res] = f"used by or selecting {result[res].dotted} only"


_RBAC = frozenset({"RoleBinding", "ClusterRoleBinding", "Role", "ClusterRole"})


def _rbac(resources: tuple[Resource, ...], result: dict[Resource, Component], why: dict[Resource, str]) -> None:
    """A binding follows the ServiceAccount it grants to; a role follows the bindings that use it,
    so switching a component off never leaves half of its permissions behind."""
    accounts = [r for r in resources if r.kind == "ServiceAccount" and r in result]
    for res in resources:
        if res in result or res.kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        subjects = child(res.node, "subjects")
        found = set()
        for subject in subjects.value if isinstance(subjects, SequenceNode) else ():
            if text_at(subject, "kind") != "ServiceAccount":
                continue
            ns = text_at(subject, "namespace")
            found |= {
                result[a]
                for a in accounts
                if a.name == text_at(subject, "name") and (ns is None or a.namespace is None or a.namespace == ns)
            }
        if len(found) == 1:
            result[res] = found.pop()
            why[res] = f"grants to a ServiceAccount of {result[res].dotted}"
    bindings = [r for r in resources if r.kind in ("RoleBinding", "ClusterRoleBinding") and r in result]
    for res in resources:
        if res in result or res.kind not in ("Role", "ClusterRole"):
            continue
        found = {
            result[b]
            for b in bindings
            if text_at(b.node, "roleRef", "name") == res.name and text_at(b.node, "roleRef", "kind") == res.kind
        }
        if len(found) == 1:
            result[res] = found.pop()
            why[res] = f"bound only by {result[res].dotted}"


# Where an Ingress names a backend: the default one and each path's (extensions/v1beta1 and
# networking.k8s.io/v1beta1 call the default one ``backend``).
_BACKENDS = tuple(parse(path) for path in ("spec.defaultBackend", "spec.backend", "spec.rules[].http.paths[].backend"))


def _ingresses(resources: tuple[Resource, ...], result: dict[Resource, Component], why: dict[Resource, str]) -> None:
    """An Ingress whose every backend is a Service of one component joins it, so switching the
    component off leaves no route to nothing; one routing to several keeps its labels or name."""
    services = {(r.namespace, r.name): result[r] for r in resources if r.kind == "Service" and r in result}
    for res in resources:
        if res in result or res.kind != "Ingress":
            continue
        found: set[Component | None] = set()
        for steps in _BACKENDS:
            for backend in walk(res.node, steps):
                name = text_at(backend.node, "service", "name") or text_at(backend.node, "serviceName")
                found.add(services.get((res.namespace, name or "")))
        if len(found) == 1 and None not in found:
            result[res] = found.pop()
            why[res] = f"routes only to Services of {result[res].dotted}"


def _selector(res: Resource) -> dict[str, str]:
    spec = child(res.node, "spec")
    node = child(spec, "selector")
    if res.kind in ("PodDisruptionBudget",):
        node = child(node, "matchLabels")
    elif res.kind == "NetworkPolicy":
        node = child(child(spec, "podSelector"), "matchLabels")
    elif res.kind != "Service":
        return {}
    if not isinstance(node, MappingNode):
        return {}
    return {k.value: v.value for k, v in node.value if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)}


# Fields of a pod spec that name another resource the pod uses.
_POD_REFERENCES = tuple(
    (kind, parse(path))
    for kind, path in (
        ("ServiceAccount", "serviceAccountName"),
        ("ConfigMap", "volumes[].configMap.name"),
        ("Secret", "volumes[].secret.secretName"),
        ("PersistentVolumeClaim", "volumes[].persistentVolumeClaim.claimName"),
        ("ConfigMap", "volumes[].projected.sources[].configMap.name"),
        ("Secret", "volumes[].projected.sources[].secret.name"),
        *(
            (kind, f"{group}[].{path}")
            for group in ("containers", "initContainers")
            for kind, path in (
                ("ConfigMap", "envFrom[].configMapRef.name"),
                ("Secret", "envFrom[].secretRef.name"),
                ("ConfigMap", "env[].valueFrom.configMapKeyRef.name"),
                ("Secret", "env[].valueFrom.secretKeyRef.name"),
            )
        ),
    )
)


def _pod_references(spec: Node | None) -> Iterator[tuple[str, str]]:
    """(kind, name) of the ConfigMaps, Secrets, PVCs and ServiceAccount a pod spec uses."""
    if not isinstance(spec, MappingNode):
        return
    for kind, steps in _POD_REFERENCES:
        for found in walk(spec, steps):
            if isinstance(found.node, ScalarNode) and found.node.value:
                yield kind, found.node.value


def bases(
    assigned: dict[Resource, Component], reserved: frozenset[str] = frozenset()
) -> dict[Resource, tuple[str, ...]]:
    """The values path of each resource: its component's, plus a short name when it shares the
    component with other resources of the same class (workloads count as one class).

    A short name that is also a key the rules use (``shop-image`` -> ``image``) gets its kind
    appended; copies of one name in several namespaces get the namespace appended."""
    groups: dict[tuple[tuple[str, ...], str], list[Resource]] = {}
    for res, comp in assigned.items():
        cls = "workload" if res.kind in POD_TEMPLATE else res.kind
        groups.setdefault((comp.key, cls), []).append(res)
    result: dict[Resource, tuple[str, ...]] = {}
    for (key, _), members in groups.items():
        if len(members) == 1:
            result[members[0]] = key
            continue
        file = assigned[members[0]].file
        for res in members:
            short = camel(short_name(res.key_name, file))
            if short in reserved:
                short += res.kind
            result[res] = key + ((short,) if short else ())
        taken = Counter(result[res] for res in members)
        written = {res.namespace for res in members}
        for res in members:
            if taken[result[res]] > 1:
                # A copy that writes no namespace is installed into the release's: "default" names
                # it, unless a copy that writes "default" is there too (an overlay's own copy).
                unset = "releaseNamespace" if "default" in written else "default"
                result[res] = result[res] + (camel(res.namespace or unset),)
    return result


def key_bindings(res: Resource, comp: Component, base: tuple[str, ...]) -> dict:
    """What the placeholders of a field or existingSecret rule's key stand for, for ``res``."""
    return {
        "component": comp.key,
        "base": base,
        "name": res.key_name,
        "kind": res.kind,
        "namespace": res.namespace or "",
        "_short": short_name(res.key_name, comp.file) or res.key_name,
    }


def short_name(name: str, prefix: str) -> str:
    """``locust-master`` in component ``locust`` -> ``master``; the component's own name -> ``""``."""
    if name == prefix:
        return ""
    for sep in ("-", "_", "."):
        if name.startswith(prefix + sep):
            return name[len(prefix) + 1 :]
    return name
