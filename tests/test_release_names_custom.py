"""release-names and custom resources: a custom kind's references are not known (an Ingress
annotation, a Certificate's issuerRef, any field of any other custom resource may name it), so
the release prefix would leave them dangling; such objects keep their names, and every reference
to them still names an object the chart renders."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import convert_ok, render_objects, run, write_tree

from helmify_flts.scopes import NONE

CERT_MANAGER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef:
      name: letsencrypt-key
    solvers:
      - http01:
          ingress:
            ingressClassName: nginx
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: internal-ca
spec:
  ca:
    secretName: internal-ca-key
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: api-cert
spec:
  secretName: api-cert-tls
  dnsNames: [api.example.com]
  issuerRef:
    name: letsencrypt
    kind: ClusterIssuer
    group: cert-manager.io
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: internal-cert
spec:
  secretName: internal-tls
  dnsNames: [api.internal]
  issuerRef:
    name: internal-ca
    kind: Issuer
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:1.0
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  ingressClassName: nginx
  tls:
    - hosts: [api.example.com]
      secretName: api-tls
  rules:
    - host: api.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: api, port: {number: 80}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api-internal
  annotations:
    cert-manager.io/issuer: internal-ca
spec:
  ingressClassName: nginx
  rules:
    - host: api.internal
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: api, port: {number: 80}}
"""


def _convert(tmp_path: Path) -> tuple[Path, Path, object]:
    src = write_tree(tmp_path / "src", {"app.yaml": CERT_MANAGER})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--rules", "conventions", "--chart-name", "shop")
    assert result.exit_code == 0, result.stderr
    return src, out, result


def test_cert_manager_issuers_keep_their_names_and_every_reference_resolves(tmp_path: Path) -> None:
    src, out, _ = _convert(tmp_path)
    objects = render_objects(out, release="prod", namespace="web")
    names = {(i[1], i[3]) for i in objects}
    # The built-in objects get the release prefix; the custom resources keep their names.
    assert {("Deployment", "prod-api"), ("Service", "prod-api"), ("Ingress", "prod-api")} <= names
    assert {("ClusterIssuer", "letsencrypt"), ("Issuer", "internal-ca")} <= names
    assert {("Certificate", "api-cert"), ("Certificate", "internal-cert")} <= names
    by_kind: dict[str, dict[str, dict]] = {}
    for ident, obj in objects.items():
        by_kind.setdefault(ident[1], {})[ident[3]] = obj
    # Every reference to an issuer names one the chart renders.
    for cert in by_kind["Certificate"].values():
        ref = cert["spec"]["issuerRef"]
        assert ref["name"] in by_kind[ref["kind"]], ref
    annotations = {
        key: value
        for ingress in by_kind["Ingress"].values()
        for key, value in ingress["metadata"]["annotations"].items()
    }
    assert annotations["cert-manager.io/cluster-issuer"] in by_kind["ClusterIssuer"]
    assert annotations["cert-manager.io/issuer"] in by_kind["Issuer"]
    # The Ingress still routes to the renamed Service.
    backend = by_kind["Ingress"]["prod-api"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] in by_kind["Service"]
    assert run("verify", out, src, "-q").exit_code == 0


def test_the_report_says_custom_resources_keep_their_names(tmp_path: Path) -> None:
    _, out, result = _convert(tmp_path)
    report = json.loads((out / "helmify-report.json").read_text())
    issuer = next(r for r in report["resources"] if (r["kind"], r["name"]) == ("ClusterIssuer", "letsencrypt"))
    assert "renderedAs" not in issuer  # rendered under its own name
    api = next(r for r in report["resources"] if (r["kind"], r["name"]) == ("Deployment", "api"))
    assert api["renderedAs"]["name"] == "release-api"
    assert "Certificate/api-cert" in result.stderr and "keeps its name" in result.stderr


def test_a_custom_kind_keeps_its_name_whatever_its_group() -> None:
    # Custom kinds: no schema here; their references are not known.
    assert NONE.keeps_name("cert-manager.io", "ClusterIssuer")
    assert NONE.keeps_name("cert-manager.io", "Issuer")
    assert NONE.keeps_name("gateway.networking.k8s.io", "HTTPRoute")
    assert NONE.keeps_name("monitoring.coreos.com", "Alertmanager")  # named by its Secret's name
    # A CRD that reuses a built-in kind's name in a group of its own is still custom.
    assert NONE.keeps_name("example.com", "Deployment")
    # Kubernetes' own kinds get the prefix.
    assert not NONE.keeps_name("apps", "Deployment")
    assert not NONE.keeps_name("", "Service")
    assert not NONE.keeps_name("networking.k8s.io", "Ingress")
    assert not NONE.keeps_name("rbac.authorization.k8s.io", "ClusterRole")
    assert not NONE.keeps_name("certificates.k8s.io", "CertificateSigningRequest")


def test_a_service_monitor_nothing_names_gets_the_release_prefix(tmp_path: Path) -> None:
    """Prometheus picks ServiceMonitors and rules by their labels: two releases in one namespace
    must not share their names."""
    assert not NONE.keeps_name("monitoring.coreos.com", "ServiceMonitor")
    assert not NONE.keeps_name("monitoring.coreos.com", "PrometheusRule")
    monitor = (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata:\n  name: api\n  labels: {release: prom}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n  endpoints: [{port: http}]\n"
    )
    service = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  labels: {app: api}\n"
        "spec:\n  selector: {app: api}\n  ports: [{name: http, port: 80}]\n"
    )
    src = write_tree(tmp_path / "src", {"monitor.yaml": monitor, "service.yaml": service})
    convert_ok(src, tmp_path / "out", "--rules", "conventions")
    rendered = render_objects(tmp_path / "out", release="prod")
    names = {(obj["kind"], obj["metadata"]["name"]) for obj in rendered.values()}
    assert ("ServiceMonitor", "prod-api") in names and ("Service", "prod-api") in names


def test_a_custom_resource_named_by_another_custom_resource_does_not_dangle(tmp_path: Path) -> None:
    # A reference the tool cannot know: one custom resource names another in a field of its own.
    src = write_tree(
        tmp_path / "src",
        {
            "app.yaml": (
                "apiVersion: example.com/v1\nkind: Pipeline\nmetadata: {name: build}\nspec: {steps: [a]}\n---\n"
                "apiVersion: example.com/v1\nkind: PipelineRun\nmetadata: {name: build-1}\n"
                "spec: {pipelineRef: {name: build}}\n"
            )
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "conventions", "--chart-name", "shop")
    objects = render_objects(out, release="prod")
    pipelines = {i[3] for i in objects if i[1] == "Pipeline"}
    run_ = next(o for i, o in objects.items() if i[1] == "PipelineRun")
    assert run_["spec"]["pipelineRef"]["name"] in pipelines
    assert run("verify", out, src, "-q").exit_code == 0


def test_the_cert_manager_references_are_known() -> None:
    from helmify_flts import kyaml
    from helmify_flts.references import find_references
    from helmify_flts.render import identity

    docs = [kyaml.construct(node) for node in kyaml.compose_all(CERT_MANAGER) if node is not None]
    objects = {identity(o): o for o in docs}
    found = {
        (r.source[1], r.source[3], r.pointer, r.target_kind, r.target_name, r.target is not None)
        for r in find_references(objects)
        if r.via == "issuer"
    }
    assert found == {
        (
            "Ingress",
            "api",
            "/metadata/annotations/cert-manager.io~1cluster-issuer",
            "ClusterIssuer",
            "letsencrypt",
            True,
        ),
        ("Ingress", "api-internal", "/metadata/annotations/cert-manager.io~1issuer", "Issuer", "internal-ca", True),
        ("Certificate", "api-cert", "/spec/issuerRef/name", "ClusterIssuer", "letsencrypt", True),
        ("Certificate", "internal-cert", "/spec/issuerRef/name", "Issuer", "internal-ca", True),
    }


def test_every_issuer_a_rendered_object_names_is_rendered_too(tmp_path: Path) -> None:
    # The references the finder knows, read from what Helm renders with a release name: none dangles.
    from helmify_flts.references import find_references

    _, out, _ = _convert(tmp_path)
    objects = render_objects(out, release="prod", namespace="web")
    refs = [r for r in find_references(objects) if r.via == "issuer"]
    assert len(refs) == 4
    assert all(r.target is not None for r in refs), [r for r in refs if r.target is None]
