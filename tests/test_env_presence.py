"""An empty list or map (``tls: []``, ``annotations: {}``) that only some environments have.

The chart writes an optional list or map only when it holds something, and one the base has empty
always. An environment with such a field empty where the base has items or nothing, or without a
field the base has empty, gets the field guarded by presence: an empty value renders as it is, and
where an environment (or the base) has no such field, its key is null and the field is left out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import assert_reproduces, run, write_tree

pytestmark = pytest.mark.usefixtures("private_tmp")

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
{meta}spec:
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {{service: {{name: web, port: {{number: 80}}}}}}
{spec}"""

FILLED_TLS = "  tls:\n  - {hosts: [example.com], secretName: web-tls}\n"
EMPTY_TLS = "  tls: []\n"
FILLED_MAP = "  annotations: {nginx.ingress.kubernetes.io/ssl-redirect: 'true'}\n"
EMPTY_MAP = "  annotations: {}\n"

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {{app: api}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
{pod}      containers:
      - name: api
        image: nginx:1.25
{container}"""

PRESENCE_GUARD = '{{- if not (kindIs "invalid" .Values.web.ingress.tls) }}'


def ingress(meta: str = "", spec: str = "") -> dict[str, str]:
    return {"ingress.yaml": INGRESS.format(meta=meta, spec=spec)}


def convert_proven(tmp: Path, base: dict[str, str], envs: dict[str, dict[str, str]]) -> Path:
    """Convert with every environment, then prove the chart as convert, verify and check do."""
    src = write_tree(tmp / "base", base)
    folders = {name: write_tree(tmp / name, files) for name, files in envs.items()}
    env_args = [a for name, folder in folders.items() for a in ("--env", f"{name}={folder}")]
    out = tmp / "chart"
    result = run("convert", src, out, *env_args)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    for name, folder in folders.items():
        assert_reproduces(out, folder, env_values(out, name))
    verified = run("verify", out, src, *env_args)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    for name in folders:
        assert f"[{name}] verified" in verified.stderr
    check = run("convert", src, out, *env_args, "--check")
    assert check.exit_code == 0, check.stdout + check.stderr
    return out


def env_values(out: Path, name: str) -> dict:
    return yaml.safe_load((out / f"values-{name}.yaml").read_text()) or {}


def base_values(out: Path) -> dict:
    return yaml.safe_load((out / "values.yaml").read_text())


def template(out: Path) -> str:
    return "\n".join(p.read_text() for p in sorted((out / "templates").glob("*.yaml")))


def test_empty_tls_in_dev_filled_in_prod_and_none_in_the_base(tmp_path: Path) -> None:
    """The usual case: dev has `tls: []`, prod a filled `tls:`, the base none at all."""
    out = convert_proven(
        tmp_path,
        ingress(),
        {"dev": ingress(spec=EMPTY_TLS), "prod": ingress(spec=FILLED_TLS)},
    )
    assert base_values(out)["web"]["ingress"]["tls"] is None  # left out by default, not `tls: []`
    assert env_values(out, "dev")["web"]["ingress"]["tls"] == []
    assert env_values(out, "prod")["web"]["ingress"]["tls"] == [{"hosts": ["example.com"], "secretName": "web-tls"}]
    assert PRESENCE_GUARD in template(out)
    # The rule that lifts the field keeps its key and its description.
    assert "# -- TLS hosts and certificate Secrets of the web Ingress" in (out / "values.yaml").read_text()


def test_empty_tls_in_one_environment_only(tmp_path: Path) -> None:
    """`tls: []` in dev; neither the base nor prod has a `tls` key, so theirs stays out."""
    out = convert_proven(tmp_path, ingress(), {"dev": ingress(spec=EMPTY_TLS), "prod": ingress()})
    assert env_values(out, "dev")["web"]["ingress"]["tls"] == []
    assert "tls" not in env_values(out, "prod").get("web", {}).get("ingress", {})
    assert PRESENCE_GUARD in template(out)


def test_filled_tls_in_the_base_empty_in_dev_and_left_out_in_prod(tmp_path: Path) -> None:
    out = convert_proven(
        tmp_path,
        ingress(spec=FILLED_TLS),
        {"dev": ingress(spec=EMPTY_TLS), "prod": ingress()},
    )
    assert env_values(out, "dev")["web"]["ingress"]["tls"] == []
    assert env_values(out, "prod")["web"]["ingress"]["tls"] is None  # null: the field is left out
    assert PRESENCE_GUARD in template(out)


@pytest.mark.parametrize(
    ("base", "env"),
    [
        pytest.param({"spec": EMPTY_TLS}, {"spec": FILLED_TLS}, id="empty-list-in-base-filled-in-env"),
        pytest.param({"spec": FILLED_TLS}, {"spec": EMPTY_TLS}, id="filled-list-in-base-empty-in-env"),
        pytest.param({"spec": EMPTY_TLS}, {}, id="empty-list-in-base-none-in-env"),
        pytest.param({}, {"meta": EMPTY_MAP}, id="empty-map-in-env-only"),
        pytest.param({"meta": FILLED_MAP}, {"meta": EMPTY_MAP}, id="filled-map-in-base-empty-in-env"),
        pytest.param({"meta": EMPTY_MAP}, {"meta": FILLED_MAP}, id="empty-map-in-base-filled-in-env"),
        pytest.param({"meta": EMPTY_MAP}, {}, id="empty-map-in-base-none-in-env"),
    ],
)
def test_empty_and_filled_lists_and_maps_between_base_and_environment(
    tmp_path: Path, base: dict[str, str], env: dict[str, str]
) -> None:
    """Each shape both ways round; a second environment keeps the base's own shape."""
    convert_proven(tmp_path, ingress(**base), {"dev": ingress(**env), "prod": ingress(**base)})


@pytest.mark.parametrize(
    ("base_pod", "base_container", "env_pod", "env_container"),
    [
        pytest.param("", "        resources: {limits: {cpu: 500m}}\n", "", "        resources: {}\n", id="resources"),
        pytest.param("      tolerations: []\n", "", "", "", id="tolerations"),
        pytest.param("", "", "      nodeSelector: {}\n", "", id="node-selector"),
    ],
)
def test_empty_knobs_of_a_pod_in_one_environment(
    tmp_path: Path, base_pod: str, base_container: str, env_pod: str, env_container: str
) -> None:
    """The same for the pod's optional knobs: `resources: {}` in dev, `tolerations: []` only in the base."""
    convert_proven(
        tmp_path,
        {"api.yaml": DEPLOY.format(pod=base_pod, container=base_container)},
        {"dev": {"api.yaml": DEPLOY.format(pod=env_pod, container=env_container)}},
    )


# Two generated Secrets: app-secrets read from three places in web and one in worker, and
# worker-secrets read by worker alone. Each overlay changes a literal of both, so their hash
# suffixes, and every reference to them, differ per environment.
GENERATED = {
    "base/kustomization.yaml": (
        "namespace: shop\nresources: [web.yaml, worker.yaml]\nsecretGenerator:\n"
        "  - name: app-secrets\n    literals: [token=base-token, MODE=fast]\n"
        "  - name: worker-secrets\n    literals: [QUEUE=base]\n"
    ),
    "base/web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: app-secrets, key: token}}
        envFrom:
        - secretRef: {name: app-secrets}
        volumeMounts:
        - {name: secrets, mountPath: /etc/secrets}
      volumes:
      - name: secrets
        secret: {secretName: app-secrets}
""",
    "base/worker.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, labels: {app: worker}}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: busybox:1.36
        env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: app-secrets, key: token}}
        - name: QUEUE
          valueFrom: {secretKeyRef: {name: worker-secrets, key: QUEUE}}
""",
    **{
        f"{env}/kustomization.yaml": (
            "resources: [../base]\nsecretGenerator:\n"
            f"  - name: app-secrets\n    behavior: merge\n    literals: [MODE={env}]\n"
            f"  - name: worker-secrets\n    behavior: merge\n    literals: [QUEUE={env}]\n"
        )
        for env in ("dev", "prod")
    },
}


def test_a_generated_secret_whose_hash_differs_per_environment_is_warned_about_once(tmp_path: Path) -> None:
    """Five references that the switches do not rename made five warnings saying two things; now
    one per Secret names it, the count, the values that hold the references and what to do."""
    root = write_tree(tmp_path, GENERATED)
    out = tmp_path / "chart"
    envs = ("--env", f"dev={root / 'dev'}", "--env", f"prod={root / 'prod'}")
    result = run("convert", root / "base", out, *envs)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "existingSecret" in line]
    assert len(warnings) == 2, warnings
    app, worker = warnings
    assert app.startswith("warning: kustomization.yaml:")
    assert "Secret/shop/app-secrets-" in app  # the base's Secret, by the name the build gives it
    assert "appSecrets.existingSecret does not rename it in 4 references that differ" in app
    for key in (
        "web.envValueFrom.TOKEN.secretKeyRef.name",
        "web.envFrom",
        "web.volumes.secrets.secret.secretName",
        "worker.envValueFrom.TOKEN.secretKeyRef.name",
    ):
        assert key in app
    assert "where you set appSecrets.existingSecret, set your Secret's name in those values too" in app
    assert "Secret/shop/worker-secrets-" in worker
    # Read by worker alone, it belongs to that component, and so does its switch.
    assert "worker.existingSecret does not rename it in 1 reference that differs" in worker
    assert "(worker.envValueFrom.QUEUE.secretKeyRef.name)" in worker and "in that value too" in worker
    assert "2 other warnings" in result.stderr.splitlines()[-1]
    # The review report says it once per Secret too.
    assert (out / "helmify-report.md").read_text(encoding="utf-8").count("does not rename it") == 2
    assert (out / "helmify-report.json").read_text(encoding="utf-8").count("does not rename it") == 2
    verified = run("verify", out, root / "base", *envs)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
