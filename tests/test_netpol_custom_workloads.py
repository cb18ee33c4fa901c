"""NetworkPolicies for the pods of custom workloads: a KEDA ScaledJob's jobs are let in by their
job template's labels (it has no selector), an Argo Rollout's policy selects what its pods carry,
and a Service that selects a Rollout's pods leads to the Rollout in the dependency graph, so that
whoever calls that Service is let in to the Rollout's pods. The default render stays the sources'."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import render_objects, run, write_tree

from helmify_flts import graph, kyaml
from helmify_flts.references import find_references
from helmify_flts.render import identity

ON = {"networkPolicies": {"enabled": True}}

API = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - {name: api, image: "example/api:1.0", ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
"""

JOBS = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: worker, namespace: shop}
spec:
  jobTargetRef:
    template:
      metadata:
        labels: {app: worker, tier: batch}
      spec:
        restartPolicy: Never
        containers:
          - name: worker
            image: example/worker:1.0
            env:
              - {name: API_URL, value: "http://api:80/jobs"}
  triggers:
    - type: cron
      metadata: {timezone: UTC, start: "0 * * * *", end: "5 * * * *", desiredReplicas: "1"}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: bare, namespace: shop}
spec:
  jobTargetRef:
    template:
      spec:
        restartPolicy: Never
        containers:
          - name: bare
            image: example/bare:1.0
            args: [--api, "http://api:80"]
  triggers:
    - type: cron
      metadata: {timezone: UTC, start: "0 * * * *", end: "5 * * * *", desiredReplicas: "1"}
"""

ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
        - name: web
          image: example/web:1.0
          ports: [{containerPort: 8080}]
          env:
            - {name: API_URL, value: "http://api:80"}
  strategy:
    canary: {stableService: web}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector:
    matchLabels: {app: client}
  template:
    metadata:
      labels: {app: client}
    spec:
      containers:
        - name: client
          image: example/client:1.0
          env:
            - {name: WEB_URL, value: "http://web:80"}
"""

# A Deployment whose pods the Rollout's selector matches too (app: web), and that standard-labels
# labels with the release's instance while it leaves the Rollout's pod template as it is.
ADMIN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-admin, namespace: shop}
spec:
  selector:
    matchLabels: {app: web, role: admin}
  template:
    metadata:
      labels: {app: web, role: admin}
    spec:
      containers:
        - {name: admin, image: "example/admin:1.0"}
"""


def _convert(tmp_path: Path, files: dict[str, str], *args: str) -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "chart"
    result = run("convert", src, out, "--chart-name", "shop", *args)
    assert result.exit_code == 0, result.stderr
    # switched off (the default), the chart renders the sources (with the declared changes)
    assert run("verify", out, src, "-q").exit_code == 0
    return src, out


def _policies(out: Path, release: str = "rel") -> tuple[dict, dict]:
    rendered = render_objects(out, release=release, namespace="shop", values=ON)
    policies = {i[3]: o for i, o in rendered.items() if i[1] == "NetworkPolicy"}
    return policies, {(i[1], i[3]): o for i, o in rendered.items()}


def _peers(policy: dict, port: int) -> list[dict]:
    """The peers a policy lets in on ``port``."""
    return [
        peer
        for rule in policy["spec"]["ingress"]
        if port in [p["port"] for p in rule.get("ports", [])]
        for peer in rule.get("from", [])
    ]


def _selects(selector: dict, labels: dict) -> bool:
    return set(selector) == {"matchLabels"} and selector["matchLabels"].items() <= labels.items()


def _warnings(out: Path) -> list[str]:
    return [w["message"] for w in json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["warnings"]]


def test_a_scaled_jobs_pods_are_let_in_by_their_job_template_labels(tmp_path: Path) -> None:
    _, out = _convert(tmp_path, {"api.yaml": API, "jobs.yaml": JOBS}, "--rules", "production")
    policies, rendered = _policies(out)
    job_pods = rendered[("ScaledJob", "worker")]["spec"]["jobTargetRef"]["template"]["metadata"]["labels"]
    peers = _peers(policies["api-allow-callers"], 8080)
    assert {"podSelector": {"matchLabels": {"app": "worker", "tier": "batch"}}} in peers, peers
    assert any(_selects(p["podSelector"], job_pods) for p in peers)
    # a job template without labels: no policy can let those pods in, and the report says so
    said = [w for w in _warnings(out) if w.startswith("ScaledJob bare:")]
    assert len(said) == 1, _warnings(out)
    assert "/spec/jobTargetRef/template/metadata/labels" in said[0] and "Deployment api" in said[0]
    assert not [w for w in _warnings(out) if w.startswith("ScaledJob worker:")]


def test_a_rollouts_policy_selects_what_its_pods_carry_under_the_conventions(tmp_path: Path) -> None:
    files = {"api.yaml": API, "rollout.yaml": ROLLOUT}
    _, out = _convert(tmp_path, files, "--rules", "production", "--rules", "conventions")
    policies, rendered = _policies(out, "prod")
    rollout = rendered[("Rollout", "web")]  # a custom resource keeps its name
    pods = rollout["spec"]["template"]["metadata"]["labels"]
    client = rendered[("Deployment", "prod-client")]["spec"]["template"]["metadata"]["labels"]
    own = policies["prod-web-allow-callers"]["spec"]
    assert _selects(own["podSelector"], pods), (own["podSelector"], pods)
    assert [p for p in _peers(policies["prod-web-allow-callers"], 8080) if _selects(p["podSelector"], client)]
    # the Rollout as a caller: the peer that lets it in to the api selects its pods as rendered
    assert [p for p in _peers(policies["prod-api-allow-callers"], 8080) if _selects(p["podSelector"], pods)]


def test_a_rollouts_selector_gets_no_instance_label_its_pods_lack(tmp_path: Path) -> None:
    """standard-labels gives the instance label to a Deployment's pod template, not to a Rollout's:
    a selector that matches both keeps what it has, or it would leave out the Rollout's pods."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "extends: [default]\nrules:\n"
        + "".join(
            f"  - id: r-{name}\n    description: test\n    refactor: {name}\n"
            for name in ("standard-labels", "network-policies")
        )
    )
    files = {"api.yaml": API, "rollout.yaml": ROLLOUT, "admin.yaml": ADMIN}
    _, out = _convert(tmp_path, files, "--rules", str(rules))
    policies, rendered = _policies(out)
    pods = rendered[("Rollout", "web")]["spec"]["template"]["metadata"]["labels"]
    admin = rendered[("Deployment", "web-admin")]["spec"]["template"]["metadata"]["labels"]
    assert "app.kubernetes.io/instance" not in pods and admin["app.kubernetes.io/instance"] == "rel"
    assert [p for p in _peers(policies["api-allow-callers"], 8080) if _selects(p["podSelector"], pods)]
    assert _selects(policies["web-allow-callers"]["spec"]["podSelector"], pods)


def test_a_service_selecting_a_rollout_leads_to_it_and_its_callers_are_let_in(tmp_path: Path) -> None:
    objects = {
        identity(o): o
        for o in (kyaml.construct(n) for n in kyaml.compose_all(API + "---\n" + ROLLOUT) if n is not None)
    }
    selected = [(r.source[3], r.target) for r in find_references(objects) if r.via == "selector"]
    assert ("web", ("argoproj.io", "Rollout", "shop", "web")) in selected
    edges = {(e.source.id, e.target.id, e.label) for e in graph.build(objects).edges if e.kind == "service"}
    assert ("Deployment/shop/client", "Rollout/shop/web", "web:80") in edges

    _, out = _convert(tmp_path, {"api.yaml": API, "rollout.yaml": ROLLOUT}, "--rules", "production")
    data = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["graph"]
    calls = {(e["from"], e["to"]) for e in data["edges"] if e["kind"] == "service"}
    assert ("Deployment/shop/client", "Rollout/shop/web") in calls
    assert "Service/shop/web" not in {n["id"] for n in data["nodes"]}  # no node of its own any more
    policies, rendered = _policies(out)
    client = rendered[("Deployment", "client")]["spec"]["template"]["metadata"]["labels"]
    web = policies["web-allow-callers"]
    assert web["spec"]["podSelector"] == {"matchLabels": {"app": "web"}}
    assert _peers(web, 8080) == [{"podSelector": {"matchLabels": client}}]
    assert "default-deny-ingress" in policies
