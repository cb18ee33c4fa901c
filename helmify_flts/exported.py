"""Objects read back from a cluster (``kubectl get -o yaml``): they carry fields the API server
sets, which the chart keeps as written (it reproduces its input), so the report says what they
do to an install. ``kubectl create --dry-run -o yaml`` leaves ``creationTimestamp: null`` and a
status (``{}``, a Service's ``{loadBalancer: {}}``), which are harmless and common: those alone
say nothing. Objects such a folder holds that no chart can install are skipped with a notice:
those a controller made (owner references, a selecting Service's Endpoints) and those the
cluster makes itself (``kube-root-ca.crt``, the ``default`` ServiceAccount, bound tokens)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml
from .errors import Notice, Where
from .paths import child

if TYPE_CHECKING:
    from .manifests import Resource

# Set by the API server on every object it stores.
SERVER_SET = ("resourceVersion", "uid", "selfLink", "generation", "creationTimestamp", "managedFields")
# How many objects a notice names before it says "and N more".
SHOWN = 3


def _empty(node: Node | None) -> bool:
    if node is None:
        return True
    if isinstance(node, ScalarNode):
        return node.tag == kyaml.NULL or node.value == ""
    return isinstance(node, (MappingNode, SequenceNode)) and not node.value


def server_fields(node: MappingNode) -> list[str]:
    """The fields of ``node`` that only the API server writes, in a fixed order."""
    metadata = child(node, "metadata")
    found = [f"metadata.{name}" for name in SERVER_SET if not _empty(child(metadata, name))]
    # A dry run writes `status: {loadBalancer: {}}` for a Service: status alone says nothing.
    if found and not _empty(child(node, "status")):
        found.append("status")
    return found


def _assigned(res: Resource) -> list[str]:
    """Fields that cluster filled in for this object and another cluster may refuse."""
    spec = child(res.node, "spec")
    out = []
    if res.kind == "Service":
        ip = child(spec, "clusterIP")
        if isinstance(ip, ScalarNode) and ip.value not in ("", "None"):
            out.append("spec.clusterIP")
        ports = child(spec, "ports")
        if isinstance(ports, SequenceNode) and any(not _empty(child(p, "nodePort")) for p in ports.value):
            out.append("spec.ports[].nodePort")
        if not _empty(child(spec, "healthCheckNodePort")):
            out.append("spec.healthCheckNodePort")
    elif res.kind == "PersistentVolumeClaim" and not _empty(child(spec, "volumeName")):
        out.append("spec.volumeName")
    return out


def notices(resources: Sequence[Resource]) -> list[Notice]:
    """One warning per file for its objects that were read back from a cluster."""
    by_file: dict[str, list[Resource]] = {}
    for res in resources:
        by_file.setdefault(res.source, []).append(res)
    found = (notice(rel, of_file) for rel, of_file in by_file.items())
    return [n for n in found if n is not None]


def notice(rel: str, resources: Sequence[Resource]) -> Notice | None:
    """One warning for the objects of one file that were read back from a cluster, if any."""
    found = [(res, server_fields(res.node)) for res in resources]
    found = [(res, fields) for res, fields in found if fields]
    if not found:
        return None
    fields = [f for f in (*(f"metadata.{n}" for n in SERVER_SET), "status") if any(f in fs for _, fs in found)]
    names = [f"{res.title} (line {res.line})" for res, _ in found[:SHOWN]]
    if len(found) > SHOWN:
        names.append(f"{len(found) - SHOWN} more")
    assigned = sorted({f"{res.kind} {f}" for res, _ in found for f in _assigned(res)})
    refused = any("metadata.resourceVersion" in fs for _, fs in found)
    message = (
        f"{', '.join(names)} {'was' if len(found) == 1 else 'were'} read back from a cluster: "
        f"{'it carries' if len(found) == 1 else 'they carry'} fields the API server sets ({', '.join(fields)}), "
        "which the chart keeps as written"
    )
    if refused:
        message += "; Kubernetes refuses to create an object that has a resourceVersion, so the install fails"
    if assigned:
        message += f"; values that cluster assigned ({', '.join(assigned)}) may be taken or unknown in another"
    return Notice(message + ": remove these fields from the manifests", Where(rel, found[0][0].line), "exported")


def owned(metadata: Node | None) -> str | None:
    """Why an object with owners cannot be in a chart, or None. An owner reference holds the
    owner's uid, which only the cluster the object was read from knows: a ReplicaSet's Pods, a
    Deployment's ReplicaSets, a Service's EndpointSlices. The owner makes them again, and where
    no object has that uid the garbage collector deletes them."""
    owners = child(metadata, "ownerReferences")
    if not isinstance(owners, SequenceNode) or not owners.value:
        return None
    first = owners.value[0]
    kind, name = child(first, "kind"), child(first, "name")
    owner = "/".join(n.value for n in (kind, name) if isinstance(n, ScalarNode)) or "another object"
    return (
        f"is owned by {owner} (metadata.ownerReferences): its owner made it in the cluster it was read from, "
        "and makes it again; where no object has that owner's uid the garbage collector deletes it"
    )


def controller_endpoints(resources: list[Resource]) -> tuple[list[Resource], list[Notice]]:
    """``resources`` without the Endpoints the endpoints controller keeps for a Service of the
    folder that selects pods (read back from a cluster with it), and a notice for each. The
    Endpoints of a Service without a selector are written by hand (an outside database) and stay."""
    selecting = {
        (res.namespace, res.name)
        for res in resources
        if res.kind == "Service" and res.api_version == "v1" and not _empty(child(child(res.node, "spec"), "selector"))
    }
    kept, notices = [], []
    for res in resources:
        if res.kind == "Endpoints" and res.api_version == "v1" and (res.namespace, res.name) in selecting:
            notices.append(
                Notice(
                    f"Endpoints/{res.name} belongs to Service/{res.name}, which selects pods: the endpoints "
                    "controller writes it in the cluster; skipped",
                    res.where,
                )
            )
        else:
            kept.append(res)
    return kept, notices


# The install of an object that exists already fails: the release does not own it.
_EXISTS = "so the install fails (it exists already)"


def made_by_cluster(kind: str, name: str, namespace: str | None, node: MappingNode) -> str | None:
    """Why ``node`` is an object the cluster made itself, which a folder read back from it holds
    and a chart cannot install; None for any other object."""
    metadata = child(node, "metadata")
    if kind == "ConfigMap" and name == "kube-root-ca.crt":
        return f"is made by the cluster, which publishes it in every namespace, {_EXISTS}"
    if kind == "ServiceAccount" and name == "default" and server_fields(node):
        # Written by hand (to add imagePullSecrets) it is the user's to keep; read back, it is the cluster's.
        return f"is made by the cluster in every namespace, {_EXISTS}"
    kubernetes = namespace == "default" or (namespace is None and server_fields(node))
    if kind in ("Service", "Endpoints", "EndpointSlice") and name == "kubernetes" and kubernetes:
        return f"is made by the API server for itself, {_EXISTS}"
    annotations = child(metadata, "annotations")
    if kind == "Secret" and not _empty(child(annotations, "kubernetes.io/service-account.uid")):
        return (
            "is a token the cluster made for a ServiceAccount whose uid only that cluster knows: "
            "the token controller deletes it"
        )
    return None


def exists_already(kind: str, name: str) -> str | None:
    """Why an object written by hand fails to install because the cluster made it already."""
    if kind == "ServiceAccount" and name == "default":
        return (
            "ServiceAccount 'default' exists in every namespace: the chart keeps it as written, and the install "
            "fails (it exists already and the release does not own it); set its fields with kubectl patch instead"
        )
    return None
