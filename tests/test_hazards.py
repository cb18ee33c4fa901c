"""Hazards found in real manifest folders: each chart must still render the input back exactly."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import assert_proven, assert_reproduces, convert_ok, run, write_tree

from helmify_flts import kyaml, manifests, render

# --------------------------------------------------------------------------- helpers


def deployment(
    name: str,
    env: list[tuple[str, str]] | None = None,
    *,
    namespace: str | None = None,
    image: str = "registry.example.com/team/app:1.2.3",
    extra_spec: str = "",
    pod_annotations: dict[str, str] | None = None,
) -> str:
    """A complete Deployment; env values are written double-quoted, as JSON strings."""
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines += [
        "  labels:",
        f"    app: {name}",
        "spec:",
        "  selector:",
        "    matchLabels:",
        f"      app: {name}",
        "  template:",
        "    metadata:",
        "      labels:",
        f"        app: {name}",
    ]
    if pod_annotations:
        lines.append("      annotations:")
        lines += [f"        {k}: {json.dumps(v)}" for k, v in pod_annotations.items()]
    lines += ["    spec:", "      containers:", f"        - name: {name}", f"          image: {image}"]
    if env:
        lines.append("          env:")
        for var, value in env:
            lines += [f"            - name: {var}", f"              value: {json.dumps(value)}"]
    text = "\n".join(lines) + "\n"
    return text + extra_spec


def service(name: str, port: int = 80, namespace: str | None = None) -> str:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{ns}spec:\n  selector:\n"
        f"    app: {name}\n  ports:\n    - port: {port}\n      targetPort: 8080\n"
    )


def rendered(chart: Path, values: dict | None = None) -> dict[tuple, dict]:
    return {ident: obj for ident, (_, obj) in render.rendered_objects(render.render_chart(chart, values)).items()}


def find(objects: dict[tuple, dict], kind: str, name: str, namespace: str = "") -> dict:
    matches = [o for (_, k, ns, n), o in objects.items() if k == kind and n == name and ns == namespace]
    assert len(matches) == 1, (kind, name, namespace, sorted(objects))
    return matches[0]


def env_of(obj: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in obj["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def document_lines(text: str) -> list[int]:
    """1-based line of the first content line of each non-empty document in a YAML stream."""
    out, pending = [], True
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("---"):
            pending = True
            continue
        if pending and stripped and not stripped.startswith("#"):
            out.append(number)
            pending = False
    return out


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def chart_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_nothing_written(out: Path) -> None:
    assert not out.exists(), sorted(p.name for p in out.iterdir())


# --------------------------------------------------------------------------- literal {{ }} in data

BRACES = {
    "summary": "Pod {{ $labels.pod }} restarted",
    "description": "Value {{ $value }} in {{ $labels.namespace }}/{{ $labels.pod }}",
    "triple": "a {{{ b }}} c",
    "trim": "{{- if .x -}}yes{{- end }}",
    "closers": "}} only closing }}} braces",
    "helm": '{{ .Release.Name }} {{ include "x" . }}',
}

PROMETHEUS_RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: pod-alerts
  labels:
    app: monitoring
spec:
  groups:
    - name: pods
      rules:
        - alert: PodCrashLooping
          expr: rate(kube_pod_container_status_restarts_total[5m]) > 0
          annotations:
            summary: "Pod {{ $labels.pod }} restarted"
            description: 'Value {{ $value }} in {{ $labels.namespace }}/{{ $labels.pod }}'
"""

DASHBOARD_JSON = """\
{
  "title": "Nodes",
  "panels": [
    {"targets": [{"expr": "up", "legendFormat": "{{instance}}"}]},
    {"targets": [{"expr": "rate(x[5m])", "legendFormat": "{{job}} {{{weird}}}"}]}
  ]
}
"""

DASHBOARD_CM = (
    """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: grafana-dashboards
data:
  nodes.json: |
"""
    + "".join(f"    {line}\n" for line in DASHBOARD_JSON.splitlines())
    + """\
  alertmanager.tmpl: |
    {{ define "slack.text" }}{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}{{ end }}
"""
    + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in BRACES.items())
)


def test_literal_braces_in_data_render_as_themselves(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "rules.yaml": PROMETHEUS_RULE,
            "dashboards.yaml": DASHBOARD_CM,
            "app.yaml": deployment(
                "app",
                [("TEMPLATE", "{{ .Release.Name }}"), ("LEGEND", "{{instance}}")],
                pod_annotations={"note": "{{ $labels.pod }}", "t": "{{{ x }}}"},
            ),
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)

    objects = rendered(out)
    rule = find(objects, "PrometheusRule", "pod-alerts")["spec"]["groups"][0]["rules"][0]["annotations"]
    assert rule == {"summary": BRACES["summary"], "description": BRACES["description"]}
    data = find(objects, "ConfigMap", "grafana-dashboards")["data"]
    assert data["nodes.json"] == DASHBOARD_JSON
    assert json.loads(data["nodes.json"])["panels"][0]["targets"][0]["legendFormat"] == "{{instance}}"
    assert data["alertmanager.tmpl"].startswith('{{ define "slack.text" }}{{ range .Alerts }}')
    for key, value in BRACES.items():
        assert data[key] == value, key
    app = find(objects, "Deployment", "app")
    assert env_of(app) == {"TEMPLATE": "{{ .Release.Name }}", "LEGEND": "{{instance}}"}
    assert app["spec"]["template"]["metadata"]["annotations"] == {"note": "{{ $labels.pod }}", "t": "{{{ x }}}"}


# --------------------------------------------------------------------------- YAML 1.1 / 1.2 scalars

AMBIGUOUS = [
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "N",
    "ON",
    "0755",
    "08",
    "1e4",
    "0x1F",
    "1_000",
    "2026-01-01",
    "12345678901234567890",
    "0.8",
    "=",
    "~",
    "null",
    "true",
    "",
]

CRD_WITH_EQUALS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: selectors.example.com
spec:
  group: example.com
  names:
    kind: Selector
    plural: selectors
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            operator:
              type: string
              enum: [=, "!=", <, ">"]
            op2:
              type: string
              enum:
                - =
                - ==
"""

# Unquoted scalars in a custom resource: each keeps the meaning Kubernetes (go-yaml v2) gives it.
UNQUOTED = {
    "on": True,
    "off": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "0755": 493,
    "1e4": 10000.0,
    "0x1F": 31,
    "1_000": 1000,
    "2026-01-01": "2026-01-01",
    "12345678901234567890": 12345678901234567890,
    "0.8": 0.8,
    "=": "=",
    "08": 8.0,
}
SETTING_CR = (
    """\
apiVersion: example.com/v1
kind: Setting
metadata:
  name: knobs
spec:
  plain:
"""
    + "".join(f"    k{i}: {text}\n" for i, text in enumerate(UNQUOTED))
    + """\
  quoted:
"""
    + "".join(f"    k{i}: {json.dumps(text)}\n" for i, text in enumerate(AMBIGUOUS))
    + """\
  list: [on, "on", 0755, "0755", =, "="]
"""
)

VOLUME_SPEC = """\
          volumeMounts:
            - name: scripts
              mountPath: /scripts
      volumes:
        - name: scripts
          configMap:
            name: scripts
            defaultMode: 0755
"""


def test_ambiguous_scalars_keep_their_meaning(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scripts\ndata:\n" + "".join(
        f"  k{i}: {json.dumps(text)}\n" for i, text in enumerate(AMBIGUOUS)
    )
    env = [(f"V{i}", text) for i, text in enumerate(AMBIGUOUS)]
    annotations = {f"a{i}": text for i, text in enumerate(AMBIGUOUS)}
    src = write_tree(
        tmp_path / "src",
        {
            "crd.yaml": CRD_WITH_EQUALS,
            "setting.yaml": SETTING_CR,
            "scripts.yaml": cm,
            "app.yaml": deployment("app", env, pod_annotations=annotations, extra_spec=VOLUME_SPEC),
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)

    objects = rendered(out)
    props = find(objects, "CustomResourceDefinition", "selectors.example.com")["spec"]["versions"][0]["schema"][
        "openAPIV3Schema"
    ]["properties"]
    assert props["operator"]["enum"] == ["=", "!=", "<", ">"]
    assert props["op2"]["enum"] == ["=", "=="]

    spec = find(objects, "Setting", "knobs")["spec"]
    for i, (text, meaning) in enumerate(UNQUOTED.items()):
        got = spec["plain"][f"k{i}"]
        assert got == meaning and type(got) is type(meaning), (text, got)
    assert spec["quoted"] == {f"k{i}": text for i, text in enumerate(AMBIGUOUS)}
    assert spec["list"] == [True, "on", 493, "0755", "=", "="]

    assert find(objects, "ConfigMap", "scripts")["data"] == {f"k{i}": t for i, t in enumerate(AMBIGUOUS)}
    app = find(objects, "Deployment", "app")
    assert env_of(app) == dict(env)
    assert app["spec"]["template"]["metadata"]["annotations"] == annotations
    assert app["spec"]["template"]["spec"]["volumes"][0]["configMap"]["defaultMode"] == 0o755

    # The exact spelling survives in the templates, not just the meaning.
    templates = {p.name: p.read_text() for p in (out / "templates").glob("*.yaml")}
    setting = [t for t in templates.values() if "kind: Setting" in t]
    assert len(setting) == 1
    for i, text in enumerate(UNQUOTED):
        assert f"\n    k{i}: {text}\n" in setting[0], text
    assert any("defaultMode: 0755\n" in t for t in templates.values())


def test_env_value_on_stays_a_string_after_overrides(tmp_path: Path) -> None:
    env = [("FEATURE", "on"), ("DEBUG", "off"), ("MODE", "0755"), ("RATIO", "0.8"), ("OTHER", "x")]
    src = write_tree(tmp_path / "src", {"app.yaml": deployment("app", env)})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)

    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    assert values["app"]["env"]["FEATURE"] == "on"
    assert values["app"]["env"]["MODE"] == "0755"

    defaults = find(rendered(out), "Deployment", "app")
    assert env_of(defaults) == dict(env)
    overrides = [
        {"app": {"env": {"OTHER": "changed"}}},
        {"app": {"image": {"tag": "9.9.9"}}},
        {"app": {"replicas": 3, "env": {"DEBUG": "verbose"}}},
    ]
    for override in overrides:
        obj = find(rendered(out, override), "Deployment", "app")
        got = env_of(obj)
        assert got["FEATURE"] == "on" and isinstance(got["FEATURE"], str), override
        assert got["MODE"] == "0755" and got["RATIO"] == "0.8", override
        changed = {k for k in got if got[k] != dict(env)[k]}
        assert changed <= {"OTHER", "DEBUG"}, override
    assert env_of(find(rendered(out, overrides[0]), "Deployment", "app"))["OTHER"] == "changed"
    image = find(rendered(out, overrides[1]), "Deployment", "app")["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "registry.example.com/team/app:9.9.9"


# --------------------------------------------------------------------------- patch fragments

PATCHES = """\
# kubectl patch deployment web --patch-file web-patch.yaml
spec:
  replicas: 5
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          env:
            - name: LOG_LEVEL
              value: debug
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    spec:
      containers:
        - name: web
          env:
            - name: LOG_LEVEL
              value: trace
"""


def test_patch_fragments_are_skipped_with_a_warning(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": deployment("web", [("LOG_LEVEL", "info")]) + "---\n" + service("web"),
            "web-patch.yaml": PATCHES,
        },
    )
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    lines = document_lines(PATCHES)
    assert len(lines) == 3
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    for number in lines:
        hits = [w for w in warnings if w.startswith(f"warning: web-patch.yaml:{number}:")]
        assert len(hits) == 1, (number, warnings)
        assert "skipped" in hits[0]
    assert_reproduces(out, src)
    web = find(rendered(out), "Deployment", "web")
    assert env_of(web) == {"LOG_LEVEL": "info"}
    assert "replicas" not in web["spec"]


# --------------------------------------------------------------------------- duplicates and --exclude


def _duplicate_tree(root: Path) -> Path:
    return write_tree(
        root,
        {
            "x-deployment.yaml": deployment("x") + "---\n" + service("x", port=80),
            "x-service.yaml": "# the Service, again\n" + service("x", port=8080),
            "other.yaml": service("other"),
        },
    )


def test_same_resource_in_two_files_is_an_error(tmp_path: Path) -> None:
    src = _duplicate_tree(tmp_path / "src")
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    first = document_lines((src / "x-deployment.yaml").read_text())[1]  # the Service document
    second = document_lines((src / "x-service.yaml").read_text())[0]
    assert f"x-deployment.yaml:{first}" in result.stderr, result.stderr
    assert f"x-service.yaml:{second}" in result.stderr, result.stderr
    assert "Service/x" in result.stderr
    assert_nothing_written(out)


def test_two_variants_of_one_deployment_are_an_error(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "inference-deployment.yaml": deployment("inference"),
            "inference-deployment-slo.yaml": deployment("inference", [("SLO_MS", "200")]),
        },
    )
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert "inference-deployment.yaml:1" in result.stderr
    assert "inference-deployment-slo.yaml:1" in result.stderr
    assert_nothing_written(out)


@pytest.mark.parametrize("glob", ["x-service.yaml", "*-service.yaml", "*service*"])
def test_exclude_leaves_a_file_out(tmp_path: Path, glob: str) -> None:
    src = _duplicate_tree(tmp_path / "src")
    out = tmp_path / "chart"
    convert_ok(src, out, "--exclude", glob)
    expected = tmp_path / "expected"
    shutil.copytree(src, expected)
    (expected / "x-service.yaml").unlink()
    assert_reproduces(out, expected)
    svc = find(rendered(out), "Service", "x")
    assert svc["spec"]["ports"][0]["port"] == 80


def test_exclude_a_folder(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "app.yaml": deployment("app"),
            "variants/app-slo.yaml": deployment("app", [("SLO", "1")]),
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--exclude", "variants/*")
    expected = write_tree(tmp_path / "expected", {"app.yaml": deployment("app")})
    assert_reproduces(out, expected)


# --------------------------------------------------------------------------- files that are not resources

NOT_RESOURCES = {
    "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    "resources:\n  - app.yaml\n",
    "overlays/dev/kustomization.yaml": "resources:\n  - ../../app.yaml\nnamePrefix: dev-\n",
    "values.yaml": 'replicaCount: 1\nimage:\n  repository: nginx\n  tag: "1.25"\n',
    "Chart.yaml": 'apiVersion: v2\nname: legacy\nversion: 0.1.0\nappVersion: "1.0"\n',
}


def test_tool_files_are_skipped_with_warnings(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": deployment("app") + "---\n" + service("app"), **NOT_RESOURCES})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--raw")  # the files as they are: the kustomization is skipped
    assert result.exit_code == 0, result.stderr
    for rel in NOT_RESOURCES:
        assert re.search(rf"^warning: {re.escape(rel)}:1: .*skipped", result.stderr, re.M), (rel, result.stderr)
    assert_reproduces(out, src, raw=True)
    chart = kyaml.load_all((out / "Chart.yaml").read_text())[0]
    assert chart["name"] != "legacy"
    assert {k for _, k, _, _ in rendered(out)} == {"Deployment", "Service"}


# --------------------------------------------------------------------------- stream shapes and encodings

MULTI_DOC = """\
---
# the first ConfigMap
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
data:
  a: "1"
---
---
# a document with only a comment
---

---
apiVersion: v1
kind: ConfigMap
metadata:
  name: two
data:
  b: "2"
---
"""

LIST_WRAPPER = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: listed
    spec:
      ports:
        - port: 80
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: listed
    data:
      k: v
"""

JSON_MANIFEST = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "from-json", "labels": {"app": "from-json"}},
        "spec": {"type": "ClusterIP", "ports": [{"port": 443, "targetPort": "https", "name": "https"}]},
    },
    indent=2,
)

CRLF = (
    "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\ndata:\r\n"
    "  script.sh: |\r\n    #!/bin/sh\r\n    echo hello\r\n  plain: value\r\n"
)
BOM = "\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bom\ndata:\n  k: v\n"


def test_stream_shapes_and_encodings_reproduce(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "multi.yaml": MULTI_DOC,
            "list.yaml": LIST_WRAPPER,
            "svc.json": JSON_MANIFEST,
            "crlf.yaml": CRLF.encode("utf-8"),
            "bom.yaml": BOM.encode("utf-8"),
            "crlf-bom.yaml": ("\ufeff" + CRLF.replace("name: crlf", "name: crlf-bom")).encode("utf-8"),
        },
    )
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 0, result.stderr
    assert "warning:" not in result.stderr
    assert_reproduces(out, src)
    objects = rendered(out)
    names = sorted((k, n) for _, k, _, n in objects)
    assert names == sorted(
        [
            ("ConfigMap", "one"),
            ("ConfigMap", "two"),
            ("Service", "listed"),
            ("ConfigMap", "listed"),
            ("Service", "from-json"),
            ("ConfigMap", "crlf"),
            ("ConfigMap", "bom"),
            ("ConfigMap", "crlf-bom"),
        ]
    )
    assert find(objects, "ConfigMap", "crlf")["data"] == {"script.sh": "#!/bin/sh\necho hello\n", "plain": "value"}
    assert find(objects, "ConfigMap", "bom")["data"] == {"k": "v"}
    assert find(objects, "Service", "from-json") == json.loads(JSON_MANIFEST)
    for path in (out / "templates").glob("*.yaml"):
        assert b"\r" not in path.read_bytes() and not path.read_bytes().startswith(b"\xef\xbb\xbf"), path


def test_invalid_yaml_is_an_error_with_its_line(tmp_path: Path) -> None:
    bad = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\ndata:\n  x: "1"\n'
    src = write_tree(tmp_path / "src", {"app.yaml": deployment("app"), "bad.yaml": bad})
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 2
    m = re.match(r"error: bad\.yaml:(\d+): ", result.stderr)
    assert m, result.stderr
    assert int(m.group(1)) == line_of(bad, "name: a: b")
    assert_nothing_written(out)


def test_invalid_yaml_in_a_later_document(tmp_path: Path) -> None:
    bad = service("ok") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: [1, 2\n  y: 3\n"
    src = write_tree(tmp_path / "src", {"bad.yaml": bad})
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 2
    m = re.match(r"error: bad\.yaml:(\d+): ", result.stderr)
    assert m, result.stderr
    assert line_of(bad, "x: [1, 2") <= int(m.group(1)) <= line_of(bad, "y: 3") + 1
    assert_nothing_written(out)


def test_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    latin1 = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: "caf\xe9"\n'.encode("latin-1")
    src = write_tree(tmp_path / "src", {"app.yaml": deployment("app"), "latin1.yaml": latin1})
    out = tmp_path / "chart"
    result = run("convert", src, out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: latin1.yaml:6:"), result.stderr
    assert "UTF-8" in result.stderr
    assert_nothing_written(out)


# --------------------------------------------------------------------------- namespaces and cluster scope

CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: reader
subjects:
  - kind: ServiceAccount
    name: app
    namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: prod
rules: []
"""


def test_namespaced_unnamespaced_and_cluster_scoped_resources(tmp_path: Path) -> None:
    settings = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n{ns}data:\n  where: {where}\n"
    src = write_tree(
        tmp_path / "src",
        {
            "cluster.yaml": CLUSTER,
            "crd.yaml": CRD_WITH_EQUALS,
            "app.yaml": deployment("app", namespace="prod") + "---\n" + service("app", namespace="prod"),
            "plain.yaml": deployment("plain") + "---\n" + service("plain"),
            "settings-prod.yaml": settings.format(ns="  namespace: prod\n", where="prod"),
            "settings-dev.yaml": settings.format(ns="  namespace: dev\n", where="dev"),
            "settings-none.yaml": settings.format(ns="", where="none"),
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    objects = rendered(out)
    source = render.source_objects(manifests.load_folder(src))
    assert len(objects) == len(source) == 12
    for ident, obj in objects.items():
        assert obj["metadata"].get("namespace") == source[ident]["metadata"].get("namespace"), ident
    for kind, name in (
        ("Namespace", "prod"),
        ("ClusterRole", "reader"),
        ("ClusterRoleBinding", "reader"),
        ("CustomResourceDefinition", "selectors.example.com"),
        ("Deployment", "plain"),
    ):
        assert "namespace" not in find(objects, kind, name)["metadata"]
    assert find(objects, "ConfigMap", "settings", "dev")["data"] == {"where": "dev"}
    assert find(objects, "ConfigMap", "settings")["data"] == {"where": "none"}
    assert find(objects, "Role", "reader", "prod")["rules"] == []


# --------------------------------------------------------------------------- operator custom resources

OPERATOR_CRS = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef:
    name: worker
  minReplicaCount: 0
  maxReplicaCount: 20
  triggers:
    - type: kafka
      metadata:
        bootstrapServers: kafka:9092
        consumerGroup: workers
        topic: jobs
        lagThreshold: "50"
        offsetResetPolicy: latest
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: worker
  labels:
    release: prometheus
spec:
  selector:
    matchLabels:
      app: worker
  endpoints:
    - port: metrics
      interval: 30s
      relabelings:
        - sourceLabels: [__meta_kubernetes_pod_name]
          targetLabel: pod
          replacement: "${1}"
"""


def test_custom_resources_pass_through_intact(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "worker.yaml": deployment("worker") + "---\n" + service("worker"),
            "operators.yaml": OPERATOR_CRS,
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    expected = {(d["kind"], d["metadata"]["name"]): d for d in kyaml.load_all(OPERATOR_CRS)}
    for override in (None, {"worker": {"image": {"tag": "2.0"}, "replicas": 4}}):
        objects = rendered(out, override)
        for (kind, name), doc in expected.items():
            assert find(objects, kind, name) == doc, (kind, override)
    report = json.loads((out / "helmify-report.json").read_text())
    for res in report["resources"]:
        if res["kind"] in ("ScaledObject", "ServiceMonitor"):
            assert res["fields"] == [], res


# --------------------------------------------------------------------------- a large install bundle


def _bundle(crds: int = 40, properties: int = 220) -> str:
    lines: list[str] = []
    for i in range(crds):
        lines += [
            "---",
            "apiVersion: apiextensions.k8s.io/v1",
            "kind: CustomResourceDefinition",
            "metadata:",
            f"  name: widgets{i}.example.com",
            "spec:",
            "  group: example.com",
            "  names:",
            f"    kind: Widget{i}",
            f"    plural: widgets{i}",
            "  scope: Namespaced",
            "  versions:",
            "    - name: v1",
            "      served: true",
            "      storage: true",
            "      schema:",
            "        openAPIV3Schema:",
            "          type: object",
            "          properties:",
        ]
        for p in range(properties):
            lines += [
                f"            field{p}:",
                "              type: string",
                f'              description: "Field {p} of Widget{i}, e.g. {{{{ .name }}}}"',
                '              enum: [=, "!=", "on", "0755"]',
            ]
    lines.append("---")
    lines += deployment(
        "operator", [("WATCH_NAMESPACE", ""), ("LEADER_ELECT", "true")], namespace="widgets"
    ).splitlines()
    return "\n".join(lines) + "\n"


def test_large_install_bundle(tmp_path: Path) -> None:
    text = _bundle()
    assert text.count("\n") >= 35_000
    assert text.count("kind: CustomResourceDefinition") >= 36
    src = write_tree(tmp_path / "src", {"install.yaml": text})
    out = tmp_path / "chart"
    started = time.perf_counter()
    convert_ok(src, out)
    elapsed = time.perf_counter() - started
    print(f"converted a {text.count(chr(10))}-line bundle in {elapsed:.2f}s")
    assert_reproduces(out, src)
    operator = find(rendered(out), "Deployment", "operator", "widgets")
    assert env_of(operator) == {"WATCH_NAMESPACE": "", "LEADER_ELECT": "true"}


# --------------------------------------------------------------------------- kompose output

KOMPOSE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    kompose.cmd: kompose convert -f /home/alice/src/flts/docker-compose.yml -o .kubernetes
    kompose.version: 1.34.0 (cbf2835db)
  labels:
    io.kompose.service: kafka
  name: kafka
spec:
  replicas: 1
  selector:
    matchLabels:
      io.kompose.service: kafka
  strategy:
    type: Recreate
  template:
    metadata:
      annotations:
        kompose.cmd: kompose convert -f /home/alice/src/flts/docker-compose.yml -o .kubernetes
        kompose.version: 1.34.0 (cbf2835db)
      labels:
        io.kompose.service: kafka
    spec:
      containers:
        - image: bitnami/kafka:3.7
          name: kafka
          volumeMounts:
            - mountPath: /bitnami
              name: kafka-claim0
      restartPolicy: Always
      volumes:
        - name: kafka-claim0
          persistentVolumeClaim:
            claimName: kafka-claim0
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  labels:
    io.kompose.service: kafka-claim0
  name: kafka-claim0
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 100Mi
---
apiVersion: v1
kind: Service
metadata:
  annotations:
    kompose.cmd: kompose convert -f /home/alice/src/flts/docker-compose.yml -o .kubernetes
    kompose.version: 1.34.0 (cbf2835db)
  labels:
    io.kompose.service: kafka
  name: kafka
spec:
  ports:
    - name: "9092"
      port: 9092
      targetPort: 9092
  selector:
    io.kompose.service: kafka
"""


def test_kompose_annotations_and_labels_are_preserved(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"kafka.yaml": KOMPOSE})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    objects = rendered(out)
    for doc in kyaml.load_all(KOMPOSE):
        got = find(objects, doc["kind"], doc["metadata"]["name"])
        assert got["metadata"] == doc["metadata"]
        if doc["kind"] == "Deployment":
            assert got["spec"]["template"]["metadata"] == doc["spec"]["template"]["metadata"]
    assert find(objects, "Service", "kafka")["spec"]["ports"][0]["name"] == "9092"


# --------------------------------------------------------------------------- env names that helmify collides


def test_env_names_differing_only_by_underscore_get_distinct_keys(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": deployment("web", [("VAR_1", "one"), ("VAR1", "two")])})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    values = kyaml.load_all((out / "values.yaml").read_text())[0]
    env = values["web"]["env"]
    assert env["VAR_1"] == "one" and env["VAR1"] == "two"

    objects = render.rendered_objects(render.render_chart(out, {"web": {"env": {"VAR_1": "changed"}}}))
    web = next(obj for (_, kind, _, name), (_, obj) in objects.items() if kind == "Deployment" and name == "web")
    assert env_of(web) == {"VAR_1": "changed", "VAR1": "two"}
    objects = render.rendered_objects(render.render_chart(out, {"web": {"env": {"VAR1": "other"}}}))
    web = next(obj for (_, kind, _, name), (_, obj) in objects.items() if kind == "Deployment" and name == "web")
    assert env_of(web) == {"VAR_1": "one", "VAR1": "other"}


# --------------------------------------------------------------------------- determinism and OUT in SRC


def _rich_tree(root: Path) -> Path:
    return write_tree(
        root,
        {
            "rules.yaml": PROMETHEUS_RULE,
            "dashboards.yaml": DASHBOARD_CM,
            "setting.yaml": SETTING_CR,
            "crd.yaml": CRD_WITH_EQUALS,
            "kafka.yaml": KOMPOSE,
            "worker.yaml": deployment("worker", [("B", "on"), ("A", "0755")]) + "---\n" + service("worker"),
            "operators.yaml": OPERATOR_CRS,
            "list.yaml": LIST_WRAPPER,
            "svc.json": JSON_MANIFEST,
            "web-patch.yaml": PATCHES,
            "kustomization.yaml": NOT_RESOURCES["kustomization.yaml"],
        },
    )


def test_conversion_is_deterministic(tmp_path: Path) -> None:
    src = _rich_tree(tmp_path / "src")
    a, b = tmp_path / "a" / "mychart", tmp_path / "b" / "mychart"
    first, second = run("convert", src, a, "--raw"), run("convert", src, b, "--raw")
    assert first.exit_code == second.exit_code == 0
    assert first.stderr.replace(str(a), "OUT") == second.stderr.replace(str(b), "OUT")
    files_a, files_b = chart_files(a), chart_files(b)
    assert sorted(files_a) == sorted(files_b)
    assert "values.yaml" in files_a and "Chart.yaml" in files_a
    for rel in files_a:
        assert files_a[rel] == files_b[rel], rel
    assert_reproduces(a, src, raw=True)


def _assert_reproduces_skipping(chart: Path, src: Path) -> None:
    assert assert_proven(chart, src, skip_chart=True).compared > 0
    assert render.lint(chart) == []


@pytest.mark.parametrize("name", [".helm", "chart"])
def test_out_inside_src_is_not_read_back(tmp_path: Path, name: str) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": deployment("web", [("MODE", "on")]) + "---\n" + service("web"),
            "dash.yaml": DASHBOARD_CM,
        },
    )
    out = src / name
    first = run("convert", src, out)
    assert first.exit_code == 0, first.stderr
    assert "warning:" not in first.stderr
    before = chart_files(out)
    second = run("convert", src, out)
    assert second.exit_code == 0, second.stderr
    assert "warning:" not in second.stderr and "error" not in second.stderr
    assert chart_files(out) == before
    check = run("convert", src, out, "--check")
    assert check.exit_code == 0, check.stderr
    _assert_reproduces_skipping(out, src)
    report = json.loads((out / "helmify-report.json").read_text())
    assert sorted(r["source"] for r in report["resources"]) == ["dash.yaml", "web.yaml", "web.yaml"]
    assert report["skipped"] == []
