"""Which kinds live outside namespaces: Kubernetes' own, widely used custom ones, and those the
CustomResourceDefinitions of a run declare.

The OpenAPI schemas kubernetes-validate ships do not say a kind's scope (they carry no
``x-kubernetes`` scope marker), so Kubernetes' own cluster-scoped kinds are listed here by hand,
by API group, from the API reference (kubernetes.io/docs/reference/kubernetes-api/, the
resources ``kubectl api-resources --namespaced=false`` lists), removed and alpha ones included:
an old or a bleeding-edge folder has them too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import field, replace
from typing import Any

from .records import record

Kind = tuple[str, str]  # (API group, kind); "" is the core group

_KUBERNETES = {
    "": ("Namespace", "Node", "PersistentVolume", "ComponentStatus"),
    "admissionregistration.k8s.io": (
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
    ),
    "apiextensions.k8s.io": ("CustomResourceDefinition",),
    "apiregistration.k8s.io": ("APIService",),
    "authentication.k8s.io": ("TokenReview", "SelfSubjectReview"),
    "authorization.k8s.io": ("SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"),
    "certificates.k8s.io": ("CertificateSigningRequest", "ClusterTrustBundle"),
    "flowcontrol.apiserver.k8s.io": ("FlowSchema", "PriorityLevelConfiguration"),
    "internal.apiserver.k8s.io": ("StorageVersion",),
    "networking.k8s.io": ("IngressClass", "IPAddress", "ServiceCIDR"),
    "node.k8s.io": ("RuntimeClass",),
    "policy": ("PodSecurityPolicy",),
    "rbac.authorization.k8s.io": ("ClusterRole", "ClusterRoleBinding"),
    "resource.k8s.io": ("DeviceClass", "ResourceSlice", "DeviceTaintRule"),
    "scheduling.k8s.io": ("PriorityClass",),
    "storage.k8s.io": ("StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"),
    "storagemigration.k8s.io": ("StorageVersionMigration",),
}
# Widely used custom resources, cluster-scoped by their projects' own definitions, for folders
# that install them without shipping the CustomResourceDefinition.
_WELL_KNOWN_CUSTOM = {
    "gateway.networking.k8s.io": ("GatewayClass",),
    "snapshot.storage.k8s.io": ("VolumeSnapshotClass", "VolumeSnapshotContent"),
    "cert-manager.io": ("ClusterIssuer",),
    "external-secrets.io": ("ClusterSecretStore", "ClusterExternalSecret"),
    "kyverno.io": ("ClusterPolicy",),
    "triggers.tekton.dev": ("ClusterTriggerBinding", "ClusterInterceptor"),
}
BUILT_IN: frozenset[Kind] = frozenset(
    (group, kind) for table in (_KUBERNETES, _WELL_KNOWN_CUSTOM) for group, kinds in table.items() for kind in kinds
)
# The groups of the widely used custom resources above: their kinds are custom ones.
CUSTOM_GROUPS = frozenset(_WELL_KNOWN_CUSTOM)
# Custom kinds nothing names: Prometheus picks them by their labels. Two releases in one
# namespace would share their names, so release-names prefixes them as it does built-in kinds.
SELECTED_BY_LABELS = frozenset(
    ("monitoring.coreos.com", kind) for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe")
)
# Cluster-scoped kinds whose names mean something outside the chart, so that a release prefix
# would break them: a CRD's is its group and plural, a Namespace's and an APIService's are what
# others name, and a class (StorageClass, IngressClass, GatewayClass, ...) is chosen by name by
# claims, pods, Ingresses and Gateways outside the chart too (ingress-nginx's IngressClass "nginx").
NAMED_BY_OTHERS = frozenset({"Namespace", "CustomResourceDefinition", "APIService"})


@record
class Scopes:
    """The scopes a run's CustomResourceDefinitions declare, over the built-in list."""

    cluster: frozenset[Kind] = field(default_factory=frozenset)
    namespaced: frozenset[Kind] = field(default_factory=frozenset)

    def is_cluster(self, group: str, kind: str) -> bool:
        if (group, kind) in self.cluster:
            return True
        return (group, kind) in BUILT_IN and (group, kind) not in self.namespaced

    def keeps_name(self, group: str, kind: str) -> bool:
        """Whether release-names leaves the name of an object of this kind as it is: a kind named
        by others, a cluster-scoped class, or a custom resource (see :func:`custom`)."""
        return (
            kind in NAMED_BY_OTHERS
            or (kind.endswith("Class") and self.is_cluster(group, kind))
            or (custom(group, kind) and (group, kind) not in SELECTED_BY_LABELS)
        )


NONE = Scopes()


@functools.cache  # asked per object and per reference; the schema lookup scans a folder listing
def custom(group: str, kind: str) -> bool:
    """Whether ``kind`` is a custom resource's: one with no schema here, or one of a group outside
    Kubernetes' own (a CRD may reuse a built-in kind's name). Which fields of which objects name
    it is not known in general (any field of another custom resource), so a release prefix could
    leave such references dangling while the chart still reproduced its own objects. cert-manager's
    issuers too, though :mod:`helmify_flts.references` knows their usual references: an Ingress's
    annotations are a values knob whose issuer name the user writes as it is, a ClusterIssuer
    serves the whole cluster, and other charts' objects may name an Issuer of the namespace."""
    from .schema import built_in

    if group in CUSTOM_GROUPS or ("." in group and not group.endswith(".k8s.io")):
        return True
    return not built_in(kind) and (group, kind) not in BUILT_IN


def declared(objects: Iterable[Any]) -> Scopes:
    """The scopes the CustomResourceDefinitions among ``objects`` (plain objects) declare."""
    cluster, namespaced = set(), set()
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
            continue
        if not str(obj.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
            continue
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        group, kind, scope = spec.get("group"), names.get("kind"), spec.get("scope")
        if not (isinstance(group, str) and isinstance(kind, str) and kind):
            continue
        if scope == "Cluster":
            cluster.add((group, kind))
        elif scope == "Namespaced":
            namespaced.add((group, kind))
    return Scopes(frozenset(cluster), frozenset(namespaced - cluster))


def of_resources(resources: Iterable[Any]) -> Scopes:
    """The scopes the CustomResourceDefinitions among ``resources`` (manifests.Resource) declare;
    only those are read whole."""
    from .kyaml import construct

    return declared(construct(res.node) for res in resources if res.kind == "CustomResourceDefinition")


def settle(resources: Sequence[Any]) -> tuple[Any, ...]:
    """``resources`` (manifests.Resource), each of a kind the CustomResourceDefinitions among them
    declare with that scope marked (``cluster``), so that its identity follows the definition."""
    found = of_resources(resources)
    if not (found.cluster or found.namespaced):
        return tuple(resources)
    return tuple(
        replace(res, cluster=found.is_cluster(res.group, res.kind))
        if (res.group, res.kind) in found.cluster | found.namespaced
        else res
        for res in resources
    )
