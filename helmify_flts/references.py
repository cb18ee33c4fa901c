"""References between the objects of a folder: which object names which other one, and where.

Two sorts are found. Structured references are fields whose value is another object's name
(a ConfigMap volume, a ``secretKeyRef``, a claim, ``serviceAccountName``, RBAC subjects and
``roleRef``, an HPA's ``scaleTargetRef``, Ingress backends and TLS Secrets, a StatefulSet's
``serviceName``, the cert-manager issuer an Ingress's or a Gateway's annotation or a
Certificate's ``issuerRef`` names) or selectors that pick workloads (Services and
PodDisruptionBudgets; an Argo Rollout's and a KEDA ScaledJob's pods count, by their template's
labels). Custom resources name objects too: the fields of widely used ones are
known (a KEDA ScaledObject's ``scaleTargetRef``, a TriggerAuthentication's Secrets, a
VerticalPodAutoscaler's ``targetRef``, an Argo Rollout's ``workloadRef``, Services and pod spec,
a ScaledJob's job template, a Gateway API route's ``backendRefs``, a Gateway's
``certificateRefs``), and in any custom resource a
mapping with a built-in ``kind`` and a ``name`` names that object when the folder has it. Host
names are Service names written inside text: env values, ``command``, ``args`` (of a Rollout's
and a ScaledJob's pod spec too), ConfigMap data and a Secret's ``stringData`` and (base64-decoded)
``data`` (``kafka:9092``, ``http://mlflow:5000``, ``postgresql://app:pw@postgres:5432/app``,
``postgres.flts.svc.cluster.local``), and a KEDA trigger's ``metadata`` value that is nothing but
host names (``bootstrapServers: kafka:9092``, ``serverAddress: http://prometheus:9090``; a query
that holds one is more than that, and :func:`trigger_hosts` gives it all the same).
A host name found in a Secret's ``data`` says so (``encoding == "base64"``): its span is in the
decoded text, which :func:`text_at` gives. References hold no text of the value, so a Secret's
stays where it was.

Everything here is pure: plain objects in, frozen records out, in a deterministic order.

A host name counts only when it is one of the folder's Services and the text says it is a host:
it carries a port (``kafka:9092``), is the host of a URL (``http://mlflow``), names the
Service's namespace (``postgres.flts.svc``; ``postgres.default.svc`` where neither the text's
object nor the Service writes one: both land where the folder is applied, ``default`` as
written), is followed by one of the Service's port numbers (``nc -z kafka 9092``), or is the
whole value of a host-like flag or env var (``--master-host locust-master``,
``DB_HOST=postgres``). A bare word that happens to equal a Service name
(``CONSUMER_GROUP_ID=inference``, the bucket in ``s3://mlflow/``, ``flts/mlflow``) is not one.

A StatefulSet pod's own DNS name, ``<statefulset>-<ordinal>.<service>`` with the namespace
suffixes a Service takes (``kafka-0.kafka-headless:9092``, ``zk-1.zk-hs.flts.svc``), counts when
the Service is the StatefulSet's governing one (its ``spec.serviceName``): that shape is a host
name by itself, so it needs no port. It gives two references with ``via == "pod"``, one to the
StatefulSet (its span starts at the pod's label) and one to the Service (its span starts at the
Service's name); both end where the host name (and its port) ends. ``web-0.web`` where ``web`` is a
Deployment, or a StatefulSet another Service governs, is not one.

The port a host name uses is, in this order: the explicit ``:port``; a Service port number
right after it (``kafka 9092``, or within the next two arguments: ``--master-port 5557``); the
URL scheme's default (80 for http and ws, 443 for https and wss); else the Service's first port.
``port_from`` says which of these gave it.

Every scan is linear in the text: tokens are found by a pattern without nested repetition and
URLs by a plain search for ``://``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .paths import FieldPath
from .records import record
from .scopes import custom

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name), as the proof keys objects
Path = tuple[str | int, ...]

# Kinds whose pods a selector or a scaleTargetRef may point at, and where their pod spec sits.
_POD_SPEC: dict[str, Path] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
WORKLOAD_KINDS = frozenset(_POD_SPEC)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_GROUPS = {
    "ConfigMap": "",
    "Secret": "",
    "PersistentVolumeClaim": "",
    "ServiceAccount": "",
    "Service": "",
    "Role": "rbac.authorization.k8s.io",
    "ClusterRole": "rbac.authorization.k8s.io",
}
# The kinds RBAC rules name by their resource (plural) names, where a rule may list the objects.
_RBAC_KINDS = {
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "services": "Service",
    "serviceaccounts": "ServiceAccount",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
}
DEFAULT_NAMESPACE = "default"  # where objects without a namespace land when none is written
_CLUSTER_KINDS = frozenset({"ClusterRole", "Namespace", "PersistentVolume", "StorageClass"})
_SCHEME_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
# URL schemes whose "host" is a bucket or a path, never a Service.
_NOT_HOST_SCHEMES = frozenset({"s3", "s3a", "s3n", "gs", "gcs", "file", "az", "abfs", "abfss", "wasb", "wasbs"})
_HOST_WORDS = ("host", "hostname", "addr", "address", "server", "servers", "endpoint", "broker", "brokers")


@record
class Reference:
    """``source`` names an object of kind ``target_kind`` called ``target_name`` at ``path``.

    ``target`` is that object's identity when the folder has it (None for a Secret the cluster
    provides, say). For a host name inside a string, ``span`` is its (start, end) in the string
    at ``path``, ``port`` the port it uses (see the module doc, ``port_from``: explicit, nearby,
    scheme or service) and ``host_namespace`` the namespace the host name spells out, if any.
    ``via`` says what sort of reference it is (``host``, ``env``, ``envFrom``, ``volume``, ...)."""

    source: Identity
    path: Path
    target_kind: str
    target_name: str
    via: str
    target: Identity | None = None
    span: tuple[int, int] | None = None
    port: int | str | None = None
    port_from: str = ""
    host_namespace: str | None = None
    encoding: str = ""  # "base64": the field holds the text base64-encoded (a Secret's data)

    @property
    def pointer(self) -> str:
        """RFC 6901 pointer of the field in the source object."""
        return FieldPath.of(*self.path).pointer()


def find_references(objects: Mapping[Identity, dict]) -> list[Reference]:
    """Every reference between ``objects`` (identity -> plain object), sorted by source and path."""
    index = _Index(objects)
    found: list[Reference] = []
    for ident in sorted(objects):
        obj = objects[ident]
        if isinstance(obj, dict):
            found.extend(_of_object(ident, obj, index))
    return sorted(set(found), key=_order)


def _order(ref: Reference) -> tuple:
    return (
        ref.source,
        tuple((0, p) if isinstance(p, int) else (1, p) for p in ref.path),
        ref.span or (0, 0),
        ref.target_kind,
        ref.target_name,
    )


class _Index:
    """Objects by kind and name, and the folder's Services and namespaces for host names."""

    def __init__(self, objects: Mapping[Identity, dict]) -> None:
        self.objects = objects
        self.by_name: dict[tuple[str, str], list[Identity]] = {}
        for ident in sorted(objects):
            self.by_name.setdefault((ident[1], ident[3]), []).append(ident)
        self.namespaces = frozenset({i[3] for i in objects if i[1] == "Namespace"} | {i[2] for i in objects if i[2]})
        self.services = {i[3] for i in objects if i[1] == "Service" and i[0] == ""}
        # StatefulSets by name whose governing Service is one of the folder's: their pods have
        # DNS names of their own (kafka-0.kafka-headless).
        self.governed = {
            i[3]
            for i, obj in objects.items()
            if i[1] == "StatefulSet" and i[0] == "apps" and _get(obj, ("spec", "serviceName")) in self.services
        }
        self.pods: list[tuple[Identity, dict]] | None = None  # what runs pods, and their labels

    def find(self, kind: str, name: str, namespace: str) -> Identity | None:
        """The object of that kind and name, in ``namespace`` or with no namespace written
        (such objects land in whatever namespace the folder is applied to)."""
        candidates = self.by_name.get((kind, name), [])
        exact = [i for i in candidates if i[2] == namespace]
        loose = [i for i in candidates if not i[2] or not namespace]
        return (exact or loose or [None])[0]

    def service(self, name: str, namespace: str) -> Identity | None:
        return self.find("Service", name, namespace)

    def landed_service(self, name: str) -> Identity | None:
        """The Service ``name`` that writes no namespace, else one written in ``default``: what
        ``name.default.svc`` names in an object that writes none. The same in one folder and in
        every folder's objects at once (an overlay's copy written in ``default`` comes second)."""
        candidates = [i for i in self.by_name.get(("Service", name), []) if i[0] == ""]
        unwritten = [i for i in candidates if not i[2]] or [i for i in candidates if i[2] == DEFAULT_NAMESPACE]
        return unwritten[0] if unwritten else None

    def statefulset(self, label: str, service: Identity) -> Identity | None:
        """The StatefulSet whose pod ``label`` (``kafka-0``) is, when ``service`` governs it."""
        if not self.pod_label(label):
            return None
        found = self.find("StatefulSet", label.rpartition("-")[0], service[2])
        governs = found is not None and _get(self.objects[found], ("spec", "serviceName")) == service[3]
        return found if governs else None

    def pod_label(self, label: str) -> bool:
        """Whether ``label`` may be a governed StatefulSet's pod (``kafka-0``): a quick test."""
        name, dash, ordinal = label.rpartition("-")
        return bool(dash) and ordinal.isascii() and ordinal.isdigit() and name in self.governed

    def ports(self, service: Identity) -> list[int]:
        spec = self.objects[service].get("spec") or {}
        ports = spec.get("ports") if isinstance(spec, dict) else None
        return [p["port"] for p in ports or [] if isinstance(p, dict) and isinstance(p.get("port"), int)]

    def workloads(self, namespace: str, selector: dict[str, Any] | None, expressions: list | None = None):
        """Objects in ``namespace`` that run pods whose labels the selector matches: built-in
        workloads, and a Rollout's or a ScaledJob's pods by their template's labels."""
        if not selector and not expressions:
            return []
        if self.pods is None:  # read once, on the first selector: most objects run no pods
            self.pods = []
            for ident in sorted(i for i in self.objects if pod_spec_at(i) is not None):
                labels = pod_metadata_of(ident, self.objects[ident]).get("labels")
                self.pods.append((ident, labels if isinstance(labels, dict) else {}))
        return [
            ident
            for ident, labels in self.pods
            if (ident[2] == namespace or not ident[2] or not namespace)
            and _selects(selector or {}, expressions or [], labels)
        ]


def _get(obj: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, int):
            obj = obj[step] if isinstance(obj, list) and step < len(obj) else None
        else:
            obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


def _items(obj: Any, path: Path) -> Iterator[tuple[Path, dict]]:
    """The mapping items of the list at ``path`` with their paths."""
    value = _get(obj, path)
    for i, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, dict):
            yield path + (i,), item


def service_refs(kind: str, obj: Any) -> Iterator[Path]:
    """Where an object tells the API server which Service to call (``{name, namespace}``): each
    admission webhook's ``clientConfig.service``, an APIService's ``spec.service`` and a
    CustomResourceDefinition's conversion webhook."""
    if kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        places = [path + ("clientConfig", "service") for path, _ in _items(obj, ("webhooks",))]
    elif kind == "APIService":
        places = [("spec", "service")]
    elif kind == "CustomResourceDefinition":
        places = [("spec", "conversion", "webhook", "clientConfig", "service")]
    else:
        return
    for path in places:
        if isinstance(_get(obj, path), dict):
            yield path


def pod_metadata(obj: dict, kind: str) -> dict:
    """The metadata of a workload's pods (its pod template's, a Pod's own); empty if malformed."""
    if kind not in _POD_SPEC:
        return {}
    meta = _get(obj, ("metadata",) if kind == "Pod" else _POD_SPEC[kind][:-1] + ("metadata",))
    return meta if isinstance(meta, dict) else {}


def pod_metadata_of(ident: Identity, obj: Any) -> dict:
    """The metadata of the pods an object runs: a built-in workload's (see :func:`pod_metadata`), a
    Rollout's pod template's, a ScaledJob's job template's (its jobs' pods carry those labels);
    empty for an object that runs none, or if malformed."""
    if ident[1] in _POD_SPEC:
        return pod_metadata(obj, ident[1]) if isinstance(obj, dict) else {}
    spec = custom_pod_spec(ident)
    meta = _get(obj, spec[:-1] + ("metadata",)) if spec else None
    return meta if isinstance(meta, dict) else {}


def template_owners(objects: Mapping[Identity, Any], refs: list[Reference]) -> dict[Identity, Identity]:
    """Each Argo Rollout with no pod template of its own whose ``spec.workloadRef`` names a
    Deployment of the folder (``refs``: the folder's references), with that Deployment: the
    Rollout's pods are made from its template (their annotations, their containers). A Rollout
    whose Deployment the folder lacks runs pods nothing here describes."""
    return {
        ref.source: ref.target
        for ref in refs
        if ref.source[:2] == _ROLLOUT
        and ref.path == (*_TARGET_REFS[_ROLLOUT][0], "name")
        and ref.target is not None
        and ref.target[:2] == ("apps", "Deployment")
        and not isinstance(_get(objects.get(ref.source), ("spec", "template")), dict)
    }


def _selects(match: dict, expressions: list, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in expressions:
        if not isinstance(expr, dict):
            return False
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(op, False)
        if not ok:
            return False
    return True


def _of_object(ident: Identity, obj: dict, index: _Index) -> Iterator[Reference]:
    kind, ns = ident[1], ident[2]

    def named(path: Path, target_kind: str, via: str, namespace: str | None = None) -> Iterator[Reference]:
        name = _get(obj, path)
        if isinstance(name, str) and name:
            target_ns = "" if target_kind in _CLUSTER_KINDS else (ns if namespace is None else namespace)
            target = index.find(target_kind, name, target_ns)
            yield Reference(ident, path, target_kind, name, via, target)

    if kind in _POD_SPEC:
        yield from _of_pod_spec(ident, obj, _POD_SPEC[kind], index, named)
    if kind == "StatefulSet":
        yield from named(("spec", "serviceName"), "Service", "serviceName")
    if kind == "ServiceAccount":
        for path, _ in _items(obj, ("imagePullSecrets",)):
            yield from named(path + ("name",), "Secret", "imagePullSecrets")
        for path, _ in _items(obj, ("secrets",)):
            yield from named(path + ("name",), "Secret", "secrets")
    if kind in ("Role", "ClusterRole"):
        # A rule that grants access to named objects only (a ConfigMap, a Secret of the folder).
        for path, rule in _items(obj, ("rules",)):
            resources, names = rule.get("resources"), rule.get("resourceNames")
            listed = resources if isinstance(resources, list) else []
            kinds = [_RBAC_KINDS[r] for r in listed if isinstance(r, str) and r in _RBAC_KINDS]
            for j in range(len(names) if isinstance(names, list) and kinds else 0):
                for target_kind in kinds:
                    for ref in named(path + ("resourceNames", j), target_kind, "resourceNames"):
                        if ref.target is not None:
                            yield ref
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        for path, subject in _items(obj, ("subjects",)):
            if subject.get("kind") == "ServiceAccount":
                sub_ns = subject.get("namespace")
                yield from named(
                    path + ("name",), "ServiceAccount", "subject", sub_ns if isinstance(sub_ns, str) else None
                )
        role_kind = _get(obj, ("roleRef", "kind"))
        if role_kind in ("Role", "ClusterRole"):
            yield from named(("roleRef", "name"), role_kind, "roleRef")
    if kind == "PersistentVolumeClaim":  # a claim bound to a volume of the folder, and back
        yield from named(("spec", "volumeName"), "PersistentVolume", "volumeName")
    if kind == "PersistentVolume":
        claim_ns = _get(obj, ("spec", "claimRef", "namespace"))
        yield from named(
            ("spec", "claimRef", "name"),
            "PersistentVolumeClaim",
            "claimRef",
            claim_ns if isinstance(claim_ns, str) else None,
        )
    if kind == "HorizontalPodAutoscaler":
        target_kind = _get(obj, ("spec", "scaleTargetRef", "kind"))
        if isinstance(target_kind, str):
            yield from named(("spec", "scaleTargetRef", "name"), target_kind, "scaleTargetRef")
    if kind == "PodDisruptionBudget":
        selector = _get(obj, ("spec", "selector"))
        if isinstance(selector, dict):
            labels, exprs = selector.get("matchLabels"), selector.get("matchExpressions")
            for target in index.workloads(
                ns, labels if isinstance(labels, dict) else None, exprs if isinstance(exprs, list) else None
            ):
                yield Reference(ident, ("spec", "selector"), target[1], target[3], "selector", target)
    if kind == "Service" and ident[0] == "":
        selector = _get(obj, ("spec", "selector"))
        if isinstance(selector, dict):
            for target in index.workloads(ns, selector):
                yield Reference(ident, ("spec", "selector"), target[1], target[3], "selector", target)
    if kind == "Ingress":
        yield from _of_ingress(ident, obj, index, named)
    yield from _of_cert_manager(ident, obj, named)
    if "." in ident[0] and custom(ident[0], kind):  # a custom resource's group has a dot
        yield from _of_custom(ident, obj, index, named)
    for path in service_refs(kind, obj):
        svc_ns = _get(obj, path + ("namespace",))
        yield from named(path + ("name",), "Service", "apiServer", svc_ns if isinstance(svc_ns, str) else None)
    if kind == "ConfigMap":
        data = obj.get("data")
        if isinstance(data, dict):
            for key in sorted(data):
                if isinstance(data[key], str):
                    yield from _hosts(ident, ("data", key), data[key], index, flag=None, following=())
    if kind == "Secret" and ident[0] == "":
        yield from _of_secret(ident, obj, index)
        # A ServiceAccount token Secret is bound to its account by name; the token controller
        # deletes one whose account does not exist.
        yield from named(("metadata", "annotations", "kubernetes.io/service-account.name"), "ServiceAccount", "token")


def _of_secret(ident: Identity, obj: dict, index: _Index) -> Iterator[Reference]:
    """Host names in a Secret's values (a DSN, a broker list): ``stringData`` as it is, ``data``
    decoded from base64."""
    plain = obj.get("stringData")
    if isinstance(plain, dict):
        for key in sorted(plain, key=str):
            if isinstance(plain[key], str):
                yield from _hosts(ident, ("stringData", key), plain[key], index, flag=None, following=())
    data = obj.get("data")
    if isinstance(data, dict):
        for key in sorted(data, key=str):
            text = decoded(data[key])
            if text is not None:
                for ref in _hosts(ident, ("data", key), text, index, flag=None, following=()):
                    yield dataclasses.replace(ref, encoding="base64")


def decoded(value: Any) -> str | None:
    """The text a Secret's ``data`` value encodes, when it is canonical base64 of UTF-8 text (so
    that encoding the text again gives back the same value); else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if base64.b64encode(raw).decode("ascii") == value else None


def encoded(text: str) -> str:
    """``text`` as a Secret's ``data`` holds it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def text_at(obj: Any, ref: Reference) -> Any:
    """The text ``ref``'s span is in: the value at its path, decoded where it is base64."""
    value = _get(obj, ref.path)
    return decoded(value) if ref.encoding == "base64" else value


def _of_pod_spec(ident: Identity, obj: dict, spec: Path, index: _Index, named) -> Iterator[Reference]:
    """The objects a pod spec names, and the Service host names in its containers' env values,
    commands and args."""
    yield from named(spec + ("serviceAccountName",), "ServiceAccount", "serviceAccountName")
    if _get(obj, spec + ("serviceAccountName",)) is None:
        yield from named(spec + ("serviceAccount",), "ServiceAccount", "serviceAccountName")
    for path, _ in _items(obj, spec + ("imagePullSecrets",)):
        yield from named(path + ("name",), "Secret", "imagePullSecrets")
    for path, _ in _items(obj, spec + ("volumes",)):
        yield from named(path + ("configMap", "name"), "ConfigMap", "volume")
        yield from named(path + ("secret", "secretName"), "Secret", "volume")
        yield from named(path + ("persistentVolumeClaim", "claimName"), "PersistentVolumeClaim", "volume")
        for source_path, _ in _items(obj, path + ("projected", "sources")):
            yield from named(source_path + ("configMap", "name"), "ConfigMap", "volume")
            yield from named(source_path + ("secret", "name"), "Secret", "volume")
    for lst in _CONTAINER_LISTS:
        for cpath, container in _items(obj, spec + (lst,)):
            for path, _ in _items(obj, cpath + ("envFrom",)):
                yield from named(path + ("configMapRef", "name"), "ConfigMap", "envFrom")
                yield from named(path + ("secretRef", "name"), "Secret", "envFrom")
            for path, env in _items(obj, cpath + ("env",)):
                yield from named(path + ("valueFrom", "configMapKeyRef", "name"), "ConfigMap", "env")
                yield from named(path + ("valueFrom", "secretKeyRef", "name"), "Secret", "env")
                value, name = env.get("value"), env.get("name")
                if isinstance(value, str):
                    yield from _hosts(
                        ident,
                        path + ("value",),
                        value,
                        index,
                        flag=name if isinstance(name, str) else None,
                        following=(),
                    )
            for field in ("command", "args"):
                words = container.get(field)
                if not isinstance(words, list):
                    continue
                for i, word in enumerate(words):
                    if isinstance(word, str):
                        before = words[i - 1] if i and isinstance(words[i - 1], str) else None
                        flag = before if before and before.startswith("-") else None
                        yield from _hosts(
                            ident,
                            cpath + (field, i),
                            word,
                            index,
                            flag=flag,
                            following=tuple(w for w in words[i + 1 : i + 3]),
                        )


def _of_ingress(ident: Identity, obj: dict, index: _Index, named) -> Iterator[Reference]:
    backends: list[Path] = [("spec", "defaultBackend"), ("spec", "backend")]
    for rpath, _ in _items(obj, ("spec", "rules")):
        for ppath, _ in _items(obj, rpath + ("http", "paths")):
            backends.append(ppath + ("backend",))
    for bpath in backends:
        backend = _get(obj, bpath)
        if not isinstance(backend, dict):
            continue
        if isinstance(backend.get("service"), dict):
            port = _get(backend, ("service", "port", "number")) or _get(backend, ("service", "port", "name"))
            for ref in named(bpath + ("service", "name"), "Service", "backend"):
                yield _with_port(ref, port, "explicit")
        else:  # extensions/v1beta1 and networking.k8s.io/v1beta1
            for ref in named(bpath + ("serviceName",), "Service", "backend"):
                yield _with_port(ref, backend.get("servicePort"), "explicit")
    for path, _ in _items(obj, ("spec", "tls")):
        yield from named(path + ("secretName",), "Secret", "tls")


# cert-manager: the annotations that ask it for a certificate of an Ingress's or a Gateway's TLS
# hosts, and the kinds whose spec.issuerRef names the issuer that signs them.
_ISSUER_ANNOTATIONS = {"cert-manager.io/cluster-issuer": "ClusterIssuer", "cert-manager.io/issuer": "Issuer"}
_ANNOTATED = {("networking.k8s.io", "Ingress"), ("extensions", "Ingress"), ("gateway.networking.k8s.io", "Gateway")}
_ISSUED = {("cert-manager.io", "Certificate"), ("cert-manager.io", "CertificateRequest")}
CERT_MANAGER = "cert-manager.io"


def _of_cert_manager(ident: Identity, obj: dict, named) -> Iterator[Reference]:
    """The cert-manager issuers an object names: an Ingress's or a Gateway's
    ``cert-manager.io/cluster-issuer`` (a ClusterIssuer) and ``cert-manager.io/issuer`` (an Issuer
    of its namespace, or the kind ``cert-manager.io/issuer-kind`` says), and a Certificate's or a
    CertificateRequest's ``spec.issuerRef`` (an Issuer unless its kind says otherwise). An issuer of
    another group (``issuer-group``, ``issuerRef.group``: an external issuer) is not cert-manager's."""
    if ident[:2] in _ANNOTATED:
        annotations = _get(obj, ("metadata", "annotations"))
        annotations = annotations if isinstance(annotations, dict) else {}
        if annotations.get("cert-manager.io/issuer-group", CERT_MANAGER) in ("", CERT_MANAGER):
            for key, target_kind in _ISSUER_ANNOTATIONS.items():
                if key == "cert-manager.io/issuer":
                    target_kind = annotations.get("cert-manager.io/issuer-kind") or target_kind
                if target_kind in ("Issuer", "ClusterIssuer"):
                    scope = "" if target_kind == "ClusterIssuer" else None
                    yield from named(("metadata", "annotations", key), target_kind, "issuer", scope)
    if ident[:2] in _ISSUED and _get(obj, ("spec", "issuerRef", "group")) in (None, "", CERT_MANAGER):
        target_kind = _get(obj, ("spec", "issuerRef", "kind")) or "Issuer"
        if target_kind in ("Issuer", "ClusterIssuer"):
            scope = "" if target_kind == "ClusterIssuer" else None
            yield from named(("spec", "issuerRef", "name"), target_kind, "issuer", scope)


# Widely used custom resources whose fields name built-in objects of their namespace, by
# (group, kind). An object reference ({apiVersion, kind, name}) with the kind it has when none
# is written (KEDA scales a Deployment unless told otherwise):
_TARGET_REFS: dict[tuple[str, str], tuple[Path, str | None]] = {
    ("keda.sh", "ScaledObject"): (("spec", "scaleTargetRef"), "Deployment"),
    ("autoscaling.k8s.io", "VerticalPodAutoscaler"): (("spec", "targetRef"), None),
    ("argoproj.io", "Rollout"): (("spec", "workloadRef"), None),
}
_ROLLOUT = ("argoproj.io", "Rollout")
# A pod spec (a ScaledJob's job template, a Rollout's own pod template):
_POD_SPECS: dict[tuple[str, str], Path] = {
    ("keda.sh", "ScaledJob"): ("spec", "jobTargetRef", "template", "spec"),
    ("argoproj.io", "Rollout"): ("spec", "template", "spec"),
}
_SCALERS = frozenset({("keda.sh", "ScaledObject"), ("keda.sh", "ScaledJob")})


def pod_spec_at(ident: Identity) -> Path | None:
    """Where the pod spec of an object that runs pods is (a built-in workload's, a ScaledJob's job
    template's, a Rollout's pod template's), None for an object that runs none."""
    return _POD_SPEC.get(ident[1]) or custom_pod_spec(ident)


def custom_pod_spec(ident: Identity) -> Path | None:
    """Where a widely used custom resource's pod spec is (a ScaledJob's job template's, a Rollout's
    pod template's), None for any other object."""
    return _POD_SPECS.get(ident[:2])


# Lists of {name} items, each naming an object of one kind (a TriggerAuthentication's Secrets and
# ConfigMaps; a ClusterTriggerAuthentication's live in KEDA's own namespace):
_NAMED_LISTS: dict[tuple[str, str], tuple[tuple[Path, str], ...]] = {
    ("keda.sh", "TriggerAuthentication"): (
        (("spec", "secretTargetRef"), "Secret"),
        (("spec", "configMapTargetRef"), "ConfigMap"),
    ),
}
# Fields that hold a name (an Argo Rollout's Services):
_NAMES: dict[tuple[str, str], tuple[tuple[Path, str], ...]] = {
    ("argoproj.io", "Rollout"): tuple(
        (("spec", "strategy", strategy, field), "Service")
        for strategy, field in (
            ("canary", "canaryService"),
            ("canary", "stableService"),
            ("blueGreen", "activeService"),
            ("blueGreen", "previewService"),
        )
    ),
}


def read_whole(group: str, kind: str) -> tuple[Path, ...]:
    """Where a widely used custom resource's fields are all known, so that a name there that is no
    reference names no object (a scaler's ``envSourceContainerName``, a job template's container)."""
    key = (group, kind)
    places = [_TARGET_REFS[key][0]] if key in _TARGET_REFS else []
    places += [_POD_SPECS[key]] if key in _POD_SPECS else []
    return (*places, *(path for path, _ in _NAMED_LISTS.get(key, ())))


def _of_custom(ident: Identity, obj: dict, index: _Index, named) -> Iterator[Reference]:
    """What a custom resource names: the fields of the widely used ones above, then any mapping
    with a built-in ``kind`` and a ``name`` that is an object of the folder (see :func:`_of_kind_and_name`)."""
    known: list[Reference] = []
    key = ident[:2]
    if key in _TARGET_REFS:
        path, default = _TARGET_REFS[key]
        known += _object_ref(obj, path, default, "targetRef", named)
    if key in _POD_SPECS:
        known += _of_pod_spec(ident, obj, _POD_SPECS[key], index, named)
    for path, target_kind in _NAMED_LISTS.get(key, ()):
        for item_path, _ in _items(obj, path):
            known += named(item_path + ("name",), target_kind, "ref")
    for path, target_kind in _NAMES.get(key, ()):
        known += named(path, target_kind, "ref")
    if key[0] == GATEWAY_API and key[1] in _ROUTES:
        known += _of_route(obj, named)
    if key == (GATEWAY_API, "Gateway"):
        known += _of_gateway(obj, named)
    if key in _SCALERS:
        # A trigger's credentials: a TriggerAuthentication of the namespace unless the kind says
        # ClusterTriggerAuthentication (custom resources both, which keep their names).
        for path, _ in _items(obj, ("spec", "triggers")):
            auth_kind = _get(obj, path + ("authenticationRef", "kind")) or "TriggerAuthentication"
            if auth_kind in ("TriggerAuthentication", "ClusterTriggerAuthentication"):
                scope = "" if auth_kind == "ClusterTriggerAuthentication" else None
                known += named(path + ("authenticationRef", "name"), auth_kind, "ref", scope)
        # A trigger's host names (the KEDA operator calls them): only a value that is nothing but
        # host names, so that no other text of a query or a list follows by accident.
        for _, text, refs in _of_triggers(ident, obj, index):
            if hosts_only(text, refs):
                known += refs
    yield from known
    yield from _of_kind_and_name(ident, obj, index, {ref.path for ref in known})


GATEWAY_API = "gateway.networking.k8s.io"
_ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute"})


def _of_route(obj: dict, named) -> Iterator[Reference]:
    """A Gateway API route's backends: each ``backendRefs`` item of its rules (and of an HTTPRoute
    filter's ``requestMirror``) names a Service unless its ``group`` and ``kind`` say otherwise, in
    the route's namespace unless its ``namespace`` says so."""
    places: list[Path] = []
    for rule_path, _ in _items(obj, ("spec", "rules")):
        for ref_path, backend in _items(obj, rule_path + ("backendRefs",)):
            places.append(ref_path)
            places += [ref_path + f + ("requestMirror", "backendRef") for f, _ in _items(backend, ("filters",))]
        places += [f + ("requestMirror", "backendRef") for f, _ in _items(obj, rule_path + ("filters",))]
    for path in places:
        backend = _get(obj, path)
        if not isinstance(backend, dict) or (backend.get("group", ""), backend.get("kind", "Service")) != (
            "",
            "Service",
        ):
            continue
        namespace = backend.get("namespace")
        # Not "backend": the dependency graph draws Ingresses' backends, and a route is no node of it.
        yield from named(path + ("name",), "Service", "ref", namespace if isinstance(namespace, str) else None)


def _of_gateway(obj: dict, named) -> Iterator[Reference]:
    """A Gateway's TLS certificates: each ``certificateRefs`` item of a listener names a Secret
    unless its ``group`` and ``kind`` say otherwise, in the Gateway's namespace unless its
    ``namespace`` says so."""
    for listener_path, _ in _items(obj, ("spec", "listeners")):
        for ref_path, ref in _items(obj, listener_path + ("tls", "certificateRefs")):
            if (ref.get("group", ""), ref.get("kind", "Secret")) != ("", "Secret"):
                continue
            namespace = ref.get("namespace")
            yield from named(ref_path + ("name",), "Secret", "ref", namespace if isinstance(namespace, str) else None)


def _object_ref(obj: dict, path: Path, default: str | None, via: str, named) -> Iterator[Reference]:
    """The object an ``{apiVersion, kind, name}`` mapping at ``path`` names (``default``: its kind
    when none is written); one of another API group than ``apiVersion`` says is not it."""
    ref = _get(obj, path)
    if not isinstance(ref, dict):
        return
    target_kind = ref.get("kind", default)
    if not isinstance(target_kind, str) or not target_kind:
        return
    group = group_of(ref)
    for found in named(path + ("name",), target_kind, via):
        if found.target is not None and group is not None and found.target[0] != group:
            found = dataclasses.replace(found, target=None)
        yield found


def group_of(ref: dict) -> str | None:
    """The API group a reference mapping names (``apiVersion``, ``apiGroup`` or ``group``), None if none."""
    version = ref.get("apiVersion")
    if isinstance(version, str):
        return version.rpartition("/")[0] if "/" in version else ""
    for key in ("apiGroup", "group"):
        if isinstance(ref.get(key), str):
            return ref[key]
    return None


def _of_kind_and_name(ident: Identity, obj: dict, index: _Index, known: set[Path]) -> Iterator[Reference]:
    """The general rule for custom resources: a mapping outside the metadata with a ``kind`` and a
    ``name`` (and a ``namespace``, an ``apiVersion`` or an ``apiGroup``, if written) names an
    object when the kind is a built-in one and the folder has that object, in that namespace (its
    own by default) and of that group. A name the folder has no object of is no reference."""
    stack: list[tuple[Path, Any]] = [((k,), v) for k, v in obj.items() if k not in ("metadata", "status")]
    while stack:
        path, value = stack.pop()
        if isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value) if isinstance(v, (dict, list)))
            continue
        if not isinstance(value, dict):
            continue
        stack.extend((path + (k,), v) for k, v in value.items() if isinstance(v, (dict, list)))
        kind, name = value.get("kind"), value.get("name")
        if not (isinstance(kind, str) and isinstance(name, str) and name) or path + ("name",) in known:
            continue
        namespace = value.get("namespace")
        namespace = namespace if isinstance(namespace, str) and namespace else ident[2]
        target = index.find(kind, name, "" if kind in _CLUSTER_KINDS else namespace)
        group = group_of(value)
        if target is None or custom(target[0], target[1]) or group not in (None, target[0]):
            continue
        yield Reference(ident, path + ("name",), kind, name, "ref", target)


def scaler_metadata(ident: Identity, obj: Any) -> Iterator[tuple[Path, str, str]]:
    """Each text of a KEDA scaler's triggers' ``metadata`` (``bootstrapServers``, ``serverAddress``,
    a query) as (path, key, text); nothing for any other object."""
    if ident[:2] not in _SCALERS:
        return
    for path, trigger in _items(obj, ("spec", "triggers")):
        metadata = trigger.get("metadata")
        if not isinstance(metadata, dict):
            continue
        for key in sorted(k for k in metadata if isinstance(k, str)):
            if isinstance(metadata[key], str):
                yield path + ("metadata", key), key, metadata[key]


def _of_triggers(ident: Identity, obj: dict, index: _Index) -> Iterator[tuple[Path, str, list[Reference]]]:
    """The Service host names in each text of a KEDA scaler's trigger metadata, with its path and
    the text. A key is camelCase, so it is read word by word (``bootstrapServers`` is host-like:
    a bare Service name there is a host, as in ``--bootstrap-servers kafka``)."""
    for path, key, text in scaler_metadata(ident, obj):
        refs = list(_hosts(ident, path, text, index, flag=_words(key), following=()))
        if refs:
            yield path, text, refs


def _words(key: str) -> str:
    """A camelCase key's words, as a flag spells them (``bootstrapServers``: ``bootstrap-Servers``)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", key)


def host_like(key: str) -> bool:
    """Whether a field's key (``serverAddress``, ``KAFKA_HOST``, ``--master-host``) says that its
    value is a host name."""
    return _is_host_name(_words(key))


def trigger_hosts(objects: Mapping[Identity, dict]) -> list[Reference]:
    """Every Service host name in the KEDA scalers' trigger metadata of ``objects``, whether
    :func:`find_references` gives it (a value that is nothing but host names) or not (a host
    name inside a query)."""
    scalers = [i for i in sorted(objects) if i[:2] in _SCALERS and isinstance(objects[i], dict)]
    if not scalers:
        return []
    index = _Index(objects)
    return [ref for i in scalers for _, _, refs in _of_triggers(i, objects[i], index) for ref in refs]


# What may stand around a host name in a value that is one URL: the scheme (and a user), a path
# or a query. Compiled where a trigger is read, not as the module loads (most folders have none).
_URL_HEAD = r"[A-Za-z][A-Za-z0-9+.\-]*://(?:[^\s/@]*@)?"
_URL_TAIL = r"[/?#][^\s,]*"


def hosts_only(text: str, refs: list[Reference]) -> bool:
    """Whether ``text`` is nothing but the host names ``refs`` found in it: one host name (with its
    port, ``kafka:9092``), or one URL with it as its host (``http://prometheus:9090``), or a
    comma-separated list of such items with one host name each."""
    starts: dict[int, int] = {}  # each host name's end -> its start (a pod's DNS name: its label's)
    for ref in refs:
        if ref.span is None:
            return False
        starts[ref.span[1]] = min(ref.span[0], starts.get(ref.span[1], ref.span[0]))
    items = text.split(",")
    if len(items) != len(starts):
        return False
    at = 0
    for item, end in zip(items, sorted(starts), strict=True):
        start = starts[end]
        first, last = at + len(item) - len(item.lstrip(" ")), at + len(item.rstrip(" "))
        if not first <= start < end <= last:
            return False
        head, tail = text[first:start], text[end:last]
        if (head and not re.fullmatch(_URL_HEAD, head)) or (tail and not (head and re.fullmatch(_URL_TAIL, tail))):
            return False
        at += len(item) + 1
    return True


def _with_port(ref: Reference, port: Any, source: str) -> Reference:
    if isinstance(port, (int, str)) and not isinstance(port, bool):
        return dataclasses.replace(ref, port=port, port_from=source)
    return ref


# $(VAR), as Kubernetes expands it in env values, command and args, and a shell's ${VAR}.
_VARIABLE = re.compile(r"\$(?:\([A-Za-z_][A-Za-z0-9_]*\)|\{[A-Za-z_][A-Za-z0-9_]*\})")
# A host-name-like token: letters, digits, dots and dashes; no nested repetition, so linear.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
_DIGITS = re.compile(r"[0-9]{1,5}")
# Above this many characters, a text is first searched for the Services' names (a C search per
# name) before it is read token by token (a Python step per token).
_LONG = 4096


def _hosts(
    ident: Identity, path: Path, text: str, index: _Index, flag: str | None, following: tuple
) -> Iterator[Reference]:
    """Service host names inside ``text`` (see the module doc for what counts)."""
    if not index.services:
        return
    authorities = list(_url_authorities(text))  # in order, not overlapping
    for _, start, end, scheme in authorities:
        yield from _host_at(ident, path, text, start, end, index, scheme=scheme)
    host_like = flag is not None and _is_host_name(flag)
    claimed = iter(authorities)
    within = next(claimed, None)
    services, governed = index.services, index.governed
    if len(text) > _LONG and not any(name in text for name in services):
        return  # a long text (a dashboard) that holds no Service's name holds no host name either
    for m in _TOKEN.finditer(text):
        # Most tokens of a long text (a dashboard, a script) name no Service: _host_at would read
        # the same first label and give None, so they are passed over before anything else.
        first = m.group().rstrip(".-").partition(".")[0]
        pod = first not in services
        if pod and not (governed and index.pod_label(first)):
            continue
        start, end = m.start(), m.end()
        while within is not None and within[2] <= start:
            within = next(claimed, None)
        if within is not None and within[0] <= start:
            continue  # part of a URL's authority, read above
        # A pod's DNS name may follow an id (KRaft's voters: 0@kafka-0.kafka-headless:9093).
        if start and text[start - 1] in ("_/$%{" if pod else "_/@$%{"):
            continue
        if end < len(text) and text[end] in "_":
            continue
        whole = start == 0 and end == len(text)
        yield from _host_at(
            ident, path, text, start, end, index, scheme=None, bare_ok=whole and host_like, following=following
        )


def _is_host_name(flag: str) -> bool:
    words = re.split(r"[^a-z0-9]+", flag.lower())
    return bool(words) and words[-1] in _HOST_WORDS


def _url_authorities(text: str) -> Iterator[tuple[int, int, int, str]]:
    """(authority start, host start, end, scheme) of each URL, found by a plain search for ``://``."""
    at = text.find("://")
    while at != -1:
        s = at
        while s > 0 and (text[s - 1].isalnum() or text[s - 1] in "+.-") and at - s < 32:
            s -= 1
        scheme = text[s:at].lower()
        begin = at + 3
        end = begin
        while end < len(text) and not text[end].isspace() and text[end] not in "/?#\"'<>`,;)]}":
            # A variable the kubelet or a shell fills in ($(DB_PASSWORD), ${PW}) is part of the
            # authority (most often its password): its closing bracket does not end it.
            variable = _VARIABLE.match(text, end) if text[end] == "$" else None
            end = variable.end() if variable else end + 1
        authority = text[begin:end]
        host_start = begin + authority.rfind("@") + 1  # userinfo may hold a password: skip it
        pod = _VARIABLE.match(text, host_start)
        if pod:  # a host the pod fills in ($(POD_NAME).kafka-headless): the rest is read as text is
            end = pod.end()
        if scheme and scheme[0].isalpha() and scheme not in _NOT_HOST_SCHEMES and host_start < end:
            yield begin, host_start, end, scheme
        at = text.find("://", max(end, at + 3))


def _host_at(
    ident: Identity,
    path: Path,
    text: str,
    start: int,
    end: int,
    index: _Index,
    *,
    scheme: str | None,
    bare_ok: bool = False,
    following: tuple = (),
) -> tuple[Reference, ...]:
    """The references of ``text[start:end]`` when it begins with a Service host name (then
    ``:port``): one to the Service, or for a StatefulSet pod's DNS name one to the StatefulSet and
    one to its governing Service; none when it does not."""
    m = _TOKEN.match(text, start, end)
    if m is None:
        return ()
    host_end = m.end()
    while host_end > start and text[host_end - 1] in ".-":
        host_end -= 1
    host = text[start:host_end]
    if scheme is not None and host_end < end and text[host_end] != ":":
        return ()
    name, _, rest = host.partition(".")
    pod = ""  # the pod's own label (kafka-0) in front of its governing Service's name
    if name not in index.services and rest and index.pod_label(name):
        pod = name
        name, _, rest = rest.partition(".")
    host_ns = None
    if rest:
        ns, _, suffix = rest.partition(".")
        # An object and a Service that write no namespace land in one, the one the folder is
        # applied to: ``default`` as written (the main namespace where none is written), the
        # release's once installed (see _Index.landed_service).
        landed = ns == DEFAULT_NAMESPACE and not ident[2]
        if suffix not in ("", "svc", "svc.cluster.local") or not (ns in index.namespaces or landed):
            return ()
        host_ns = ns
    if name not in index.services:
        service = None
    elif host_ns == DEFAULT_NAMESPACE and not ident[2]:
        service = index.landed_service(name)
    else:
        service = index.service(name, host_ns or ident[2])
    if service is None or (host_ns and service[2] and service[2] != host_ns):
        return ()
    statefulset = index.statefulset(pod, service) if pod else None
    if pod and statefulset is None:
        return ()
    port: int | None = None
    port_from = ""
    span_end = host_end
    if host_end < len(text) and text[host_end] == ":":
        digits = _DIGITS.match(text, host_end + 1)
        if digits and (digits.end() == len(text) or not text[digits.end()].isalnum()):
            port, port_from, span_end = int(digits.group()), "explicit", digits.end()
        elif scheme is None:
            return ()  # ``mlflow:secret`` is a user and password, ``name:tag`` an image
    ports = index.ports(service)
    if port is None and scheme is None:
        nearby = _nearby_port(text, host_end, following, ports)
        if nearby is not None:
            port, port_from = nearby, "nearby"
        elif not (host_ns or bare_ok or pod):
            return ()
    if port is None and scheme in _SCHEME_PORTS:
        port, port_from = _SCHEME_PORTS[scheme], "scheme"
    if port is None and ports:
        port, port_from = ports[0], "service"
    if not pod:
        return (Reference(ident, path, "Service", name, "host", service, (start, span_end), port, port_from, host_ns),)
    at = start + len(pod) + 1
    return (
        Reference(
            ident, path, "StatefulSet", statefulset[3], "pod", statefulset, (start, span_end), port, port_from, host_ns
        ),
        Reference(ident, path, "Service", name, "pod", service, (at, span_end), port, port_from, host_ns),
    )


def _nearby_port(text: str, end: int, following: tuple, ports: list[int]) -> int | None:
    """A Service port right after the host (``kafka 9092``) or in the next arguments."""
    rest = text[end : end + 8]
    stripped = rest.lstrip(" \t")
    if stripped != rest:
        digits = _DIGITS.match(stripped)
        if (
            digits
            and int(digits.group()) in ports
            and (digits.end() == len(stripped) or not stripped[digits.end()].isalnum())
        ):
            return int(digits.group())
    for word in following:
        if isinstance(word, str) and word.isascii() and word.isdigit() and len(word) <= 5 and int(word) in ports:
            return int(word)
        if isinstance(word, int) and not isinstance(word, bool) and word in ports:
            return word
    return None
