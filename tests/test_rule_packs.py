"""One small case per built-in rule: the field it lifts lands under the key it promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree

from helmify_flts import kyaml, rules

POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api}
      annotations: {team: web}
    spec:
      nodeSelector: {disk: ssd}
      tolerations: [{key: spot, operator: Exists}]
      affinity: {nodeAffinity: {}}
      securityContext: {runAsNonRoot: true}
      imagePullSecrets: [{name: regcred}]
      initContainers:
        - name: wait-db
          image: busybox:1.36
          env: [{name: TARGET, value: db}]
          resources: {limits: {cpu: 50m}}
      containers:
        - name: api
          image: registry.example.com/shop/api:2.1@sha256:0d9e4be8d2e0d3c8a7d6b44e5e1e9e0a
          imagePullPolicy: Always
          env: [{name: MODE, value: prod}]
          resources: {requests: {cpu: 100m}}
          securityContext: {readOnlyRootFilesystem: true}
        - name: exporter
          image: prom/statsd-exporter:v0.26.0
          env: [{name: LEVEL, value: info}]
          resources: {limits: {memory: 64Mi}}
"""
OTHERS = """\
apiVersion: v1
kind: Service
metadata: {name: api, labels: {app: api}, annotations: {lb: internal}}
spec: {type: LoadBalancer, selector: {app: api}, ports: [{port: 80}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: api-data, labels: {app: api}}
spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 5Gi}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, labels: {app: api}, annotations: {cert: le}}
spec:
  ingressClassName: nginx
  rules: [{host: api.example.com}]
  tls: [{hosts: [api.example.com], secretName: api-tls}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 9
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec: {minAvailable: 1, selector: {matchLabels: {app: api}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: api-report, labels: {app: api}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: example/report:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, labels: {app: api}}
data:
  app.conf: |
    a=1
    b=2
---
apiVersion: v1
kind: Secret
metadata: {name: api-secret, labels: {app: api}}
stringData: {token: x}
"""

# rule id -> (values key, expected value)
CASES = {
    "image": (
        ("api", "image"),
        {
            "repository": "registry.example.com/shop/api",
            "tag": "2.1",
            "digest": "sha256:0d9e4be8d2e0d3c8a7d6b44e5e1e9e0a",
        },
    ),
    "image-pull-policy": (("api", "imagePullPolicy"), "Always"),
    "resources": (("api", "resources"), {"requests": {"cpu": "100m"}}),
    "env": (("api", "env", "MODE"), "prod"),
    "extra-env": (("api", "extraEnv"), []),
    "container-security-context": (("api", "securityContext"), {"readOnlyRootFilesystem": True}),
    "sidecar-image": (
        ("api", "containers", "exporter", "image"),
        {"repository": "prom/statsd-exporter", "tag": "v0.26.0"},
    ),
    "sidecar-resources": (("api", "containers", "exporter", "resources"), {"limits": {"memory": "64Mi"}}),
    "sidecar-env": (("api", "containers", "exporter", "env", "LEVEL"), "info"),
    "init-image": (("api", "initContainers", "waitDb", "image"), {"repository": "busybox", "tag": "1.36"}),
    "init-resources": (("api", "initContainers", "waitDb", "resources"), {"limits": {"cpu": "50m"}}),
    "init-env": (("api", "initContainers", "waitDb", "env", "TARGET"), "db"),
    "replicas": (("api", "replicas"), 3),
    "cron-schedule": (("api", "report", "schedule"), "0 3 * * *"),
    "node-selector": (("api", "nodeSelector"), {"disk": "ssd"}),
    "tolerations": (("api", "tolerations"), [{"key": "spot", "operator": "Exists"}]),
    "affinity": (("api", "affinity"), {"nodeAffinity": {}}),
    "pod-annotations": (("api", "podAnnotations"), {"team": "web"}),
    "pod-security-context": (("api", "podSecurityContext"), {"runAsNonRoot": True}),
    "image-pull-secrets": (("api", "imagePullSecrets"), [{"name": "regcred"}]),
    "service-type": (("api", "service", "type"), "LoadBalancer"),
    "service-ports": (("api", "service", "ports"), [{"port": 80}]),
    "service-annotations": (("api", "service", "annotations"), {"lb": "internal"}),
    "pvc-size": (("api", "persistence", "size"), "5Gi"),
    "pvc-storage-class": (("api", "persistence", "storageClass"), "fast"),
    "pvc-access-modes": (("api", "persistence", "accessModes"), ["ReadWriteOnce"]),
    "ingress-class": (("api", "ingress", "className"), "nginx"),
    "ingress-rules": (("api", "ingress", "rules"), [{"host": "api.example.com"}]),
    "ingress-tls": (("api", "ingress", "tls"), [{"hosts": ["api.example.com"], "secretName": "api-tls"}]),
    "ingress-annotations": (("api", "ingress", "annotations"), {"cert": "le"}),
    "hpa-min-replicas": (("api", "autoscaling", "minReplicas"), 2),
    "hpa-max-replicas": (("api", "autoscaling", "maxReplicas"), 9),
    "hpa-metrics": (
        ("api", "autoscaling", "metrics"),
        [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
            }
        ],
    ),
    "pdb-min-available": (("api", "podDisruptionBudget", "minAvailable"), 1),
    "configmap-files": (("api", "files", "app.conf"), "files/api-config/app.conf"),
    "existing-secret": (("api", "existingSecret"), ""),
}
NOT_EXERCISED = {"hpa-cpu-target", "pdb-max-unavailable", "claim-template-size", "claim-template-storage-class"}


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("packs")
    src = write_tree(tmp / "src", {"deploy.yaml": POD, "others.yaml": OTHERS})
    out = tmp / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    return out, kyaml.load_all((out / "values.yaml").read_text())[0]


def test_every_default_rule_has_a_case() -> None:
    ids = {r.id for r in rules.load_rules().rules}
    assert ids - set(CASES) - NOT_EXERCISED == set()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_lifts_its_field(chart: tuple[Path, dict], rule_id: str) -> None:
    _, values = chart
    path, expected = CASES[rule_id]
    node = values
    for part in path:
        assert isinstance(node, dict) and part in node, (rule_id, path, part)
        node = node[part]
    assert node == expected
