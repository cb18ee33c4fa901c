"""Objects a kustomization leaves without a namespace while the rest of its folder has one.

An overlay that generates a ConfigMap or Secret, or adds a resource, without repeating its
base's ``namespace:`` gives those objects none: ``kubectl apply -k`` puts them in whatever
namespace it is applied to, and so does the chart (the release's), not beside the objects of
the base that read them. The build and the chart agree, so the proof passes; only a warning
tells the author.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import Notice
from .manifests import Resource
from .scopes import Scopes, custom, of_resources

CODE = "no-namespace"


def notices(resources: Sequence[Resource], folder: Path, kustomization: str) -> list[Notice]:
    """One warning per object of a built folder that has no namespace where every other object
    with one is in the same namespace; none when no object has a namespace (the whole folder
    goes where it is applied) or when they are spread over several."""
    scopes = of_resources(resources)
    namespaces = {res.namespace for res in resources if res.namespace and not scopes.is_cluster(res.group, res.kind)}
    if len(namespaces) != 1:
        return []
    (namespace,) = namespaces
    shown = folder.as_posix().rstrip("/") or "."
    return [
        Notice(
            f"{res.title} has no namespace while the other objects of {shown} are in {namespace}: "
            "kubectl apply -k puts it in the namespace it is applied to, and so does the chart (the release's "
            f"namespace); set `namespace: {namespace}` in {shown}/{kustomization} to keep it beside them",
            res.where,
            CODE,
        )
        for res in resources
        if not res.namespace and _namespaced(res, scopes)
    ]


def _namespaced(res: Resource, scopes: Scopes) -> bool:
    # Every built-in kind the cluster-scoped list does not name lives in a namespace (a Lease, a
    # PodTemplate, an EndpointSlice as much as a Deployment). A custom resource without a namespace
    # may be cluster-scoped (a ClusterIssuer, a GatewayClass): its definition says, so only one whose
    # CustomResourceDefinition is in the folder with scope Namespaced counts.
    if (res.group, res.kind) in scopes.namespaced:
        return True
    return not custom(res.group, res.kind) and not scopes.is_cluster(res.group, res.kind)
