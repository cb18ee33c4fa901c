"""A Service that selects a Deployment's pods and an Argo Rollout's (a canary beside the stable
track): release-names adds the instance label to built-in pod templates only, so adding it to
that Service's selector cut the Rollout's pods off the Service. Such a selector keeps no instance
label, and the report says why."""

from __future__ import annotations

from pathlib import Path

from conftest import render_objects, run, write_tree

FOLDER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web, track: stable}}
  template:
    metadata: {labels: {app: web, track: stable}}
    spec:
      containers: [{name: web, image: "example/web:1"}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web-canary}
spec:
  selector: {matchLabels: {app: web, track: canary}}
  template:
    metadata: {labels: {app: web, track: canary}}
    spec:
      containers: [{name: web, image: "example/web:2"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_a_service_in_front_of_a_rollout_still_selects_its_pods(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"all.yaml": FOLDER})
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "Service/web /spec/selector selects the pods of Rollout/web-canary" in result.stderr
    assert run("verify", chart, src).exit_code == 0
    objects = render_objects(chart, release="shop")
    service = next(o for i, o in objects.items() if i[1] == "Service")
    rollout = next(o for i, o in objects.items() if i[1] == "Rollout")
    deployment = next(o for i, o in objects.items() if i[1] == "Deployment")
    selector = service["spec"]["selector"]
    assert _selects(selector, rollout["spec"]["template"]["metadata"]["labels"])
    assert _selects(selector, deployment["spec"]["template"]["metadata"]["labels"])


def test_a_service_in_front_of_deployments_alone_still_gets_the_instance_label(tmp_path: Path) -> None:
    alone = FOLDER.replace("app: web, track: canary", "app: other, track: canary")
    src = write_tree(tmp_path / "src", {"all.yaml": alone})
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stderr
    assert "selects the pods of Rollout" not in result.stderr
    objects = render_objects(chart, release="shop")
    service = next(o for i, o in objects.items() if i[1] == "Service")
    assert service["spec"]["selector"] == {"app": "web", "app.kubernetes.io/instance": "shop"}
