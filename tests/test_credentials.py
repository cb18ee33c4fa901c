"""Credentials: existingSecret switches reach every reference, and convert warns when an
environment's values file would hold a credential."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, convert_ok, run, write_tree

from helmify_flts import render

BASE = FIXTURES / ".kubernetes"


def _secret_names(obj: dict) -> list[str]:
    """Every Secret name a pod spec reads (env, envFrom, volumes, projected volumes)."""
    spec = obj["spec"]["template"]["spec"]
    names = []
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        names += [
            e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})
        ]
        names += [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
    for v in spec.get("volumes", []):
        if "secret" in v:
            names.append(v["secret"]["secretName"])
        for source in v.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.append(source["secret"]["name"])
    return names


@pytest.fixture(scope="module")
def flts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("creds") / "flts"
    # --raw: read file by file, postgres-credentials names namespace flts and its Deployment none
    # (the kustomization would give every object the same namespace)
    convert_ok(BASE, out, "--rules", "flts", "--raw")
    return out


def test_postgres_existing_secret_reaches_the_deployment(flts: Path) -> None:
    """postgres-credentials has `namespace: flts`, the Deployment none: the switch must still
    reach every reference, as it does for MinIO's Secret (no namespace on either)."""
    objects = render.rendered_objects(render.render_chart(flts, {"postgres": {"existingSecret": "my-pg"}}))
    kinds = {(i[1], i[3]) for i in objects}
    assert ("Secret", "postgres-credentials") not in kinds
    postgres = objects[("apps", "Deployment", "", "postgres")][1]
    assert _secret_names(postgres) == ["my-pg"] * 3
    for ident, (_, obj) in objects.items():
        assert "postgres-credentials" not in str(obj), ident


def test_every_secret_switch_reaches_every_reference(flts: Path) -> None:
    default = render.rendered_objects(render.render_chart(flts))
    readers = {
        name: [i for i, (_, o) in default.items() if i[1] in ("Deployment", "Job") and name in _secret_names(o)]
        for name in ("minio-credentials", "postgres-credentials")
    }
    assert readers["postgres-credentials"] and readers["minio-credentials"]
    for component, name in (("minio", "minio-credentials"), ("postgres", "postgres-credentials")):
        objects = render.rendered_objects(render.render_chart(flts, {component: {"existingSecret": "mine"}}))
        for ident in readers[name]:
            assert name not in _secret_names(objects[ident][1]), ident
            assert "mine" in _secret_names(objects[ident][1]), ident


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n{ns}stringData:\n  pw: x\n"
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
{ns}spec:
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      containers:
        - name: app
          image: app:1
          env:
            - name: PW
              valueFrom: {{secretKeyRef: {{name: creds, key: pw}}}}
      volumes:
        - name: p
          projected:
            sources:
              - secret: {{name: creds}}
"""


@pytest.mark.parametrize(
    "secret_ns, deploy_ns, follows",
    [
        ("", "", True),
        ("  namespace: a\n", "", True),  # the FLTS case: only the Secret names its namespace
        ("", "  namespace: a\n", True),
        ("  namespace: a\n", "  namespace: a\n", True),
        ("  namespace: a\n", "  namespace: b\n", False),  # another namespace's Secret of that name
    ],
)
def test_switch_follows_across_unwritten_namespaces(
    tmp_path: Path, secret_ns: str, deploy_ns: str, follows: bool
) -> None:
    src = write_tree(tmp_path / "src", {"s.yaml": SECRET.format(ns=secret_ns), "d.yaml": DEPLOY.format(ns=deploy_ns)})
    convert_ok(src, tmp_path / "out")
    values = render.load_values_file(tmp_path / "out" / "values.yaml")
    (key,) = [k for k, v in values.items() if isinstance(v, dict) and "existingSecret" in v]
    objects = render.rendered_objects(render.render_chart(tmp_path / "out", {key: {"existingSecret": "mine"}}))
    app = next(o for i, (_, o) in objects.items() if i[1] == "Deployment")
    assert _secret_names(app) == (["mine", "mine"] if follows else ["creds", "creds"])


def test_exact_namespace_wins_over_an_unwritten_one(tmp_path: Path) -> None:
    """Two Secrets `creds`, one in `a` and one with no namespace: a Deployment in `a` reads the
    one in `a`, so only that one's switch renames its references."""
    src = write_tree(
        tmp_path / "src",
        {
            "s.yaml": SECRET.format(ns="  namespace: a\n") + "---\n" + SECRET.format(ns="").replace("pw: x", "pw: y"),
            "d.yaml": DEPLOY.format(ns="  namespace: a\n"),
        },
    )
    convert_ok(src, tmp_path / "out")
    templates = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out" / "templates").glob("*.yaml")))
    switches = {line.strip() for line in templates.splitlines() if "existingSecret | default" in line}
    assert len(switches) == 1, switches


# --------------------------------------------------------------------------- credential warnings

PROD_SECRETS = ("gr4fana-Pr0d-adm1n", "Zq4!rT8vNw2#pLx6", "pR0d-mlfl0w-7fK2qz", "flts-prod-admin")


# FLTS prod reads these from Secrets of its own; as literal env values, they are what convert warns about.
PLAIN_PROD = {
    "grafana-deployment.yaml": {"GF_SECURITY_ADMIN_PASSWORD": "gr4fana-Pr0d-adm1n"},
    "mlflow-deployment.yaml": {
        "MLFLOW_BACKEND_STORE_URI": '"postgresql://mlflow:pR0d-mlfl0w-7fK2qz@postgres:5432/mlflow"',
        "AWS_ACCESS_KEY_ID": "flts-prod-admin",
        "AWS_SECRET_ACCESS_KEY": '"Zq4!rT8vNw2#pLx6"',
    },
}


def _plain_prod(dest: Path) -> Path:
    """The FLTS prod folder with its credentials written as literal env values."""
    shutil.copytree(FIXTURES / "environments" / "prod", dest)
    for name, values in PLAIN_PROD.items():
        text = (dest / name).read_text(encoding="utf-8")
        for var, value in values.items():
            text, count = re.subn(
                rf"(- name: {var}\n( +))valueFrom:\n +secretKeyRef:\n +name: [\w-]+\n +key: {var}\n",
                lambda m, value=value: f"{m.group(1)}value: {value}\n",
                text,
            )
            assert count == 1, (name, var)
        (dest / name).write_text(text, encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def with_envs(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("creds-envs") / "flts"
    dev, prod = FIXTURES / "environments" / "dev", _plain_prod(tmp_path_factory.mktemp("plain") / "prod")
    result = run("convert", BASE, out, "--rules", "flts", "--env", f"dev={dev}", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    return out, result


def _credential_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "holds a credential" in line]


def test_prod_credentials_are_warned_with_the_switch_to_use(with_envs) -> None:
    out, result = with_envs
    lines = _credential_lines(result.stderr)
    keys = sorted(re.search(r"plain text at (\S+) ", line).group(1) for line in lines)
    assert keys == sorted(
        [
            "grafana.env.GF_SECURITY_ADMIN_PASSWORD",
            "mlflow.env.MLFLOW_BACKEND_STORE_URI",  # a DSN with a password in it
            "mlflow.env.AWS_ACCESS_KEY_ID",
            "mlflow.env.AWS_SECRET_ACCESS_KEY",
        ]
    )  # prod's secret store provides the MinIO and Postgres Secrets: values-prod.yaml names them instead
    assert all(line.startswith("warning: ") and "[prod] values-prod.yaml" in line for line in lines)
    by_key = {re.search(r"plain text at (\S+) ", line).group(1): line for line in lines}
    assert render.load_values_file(out / "values-prod.yaml")["minio"]["existingSecret"] == "minio-credentials"
    assert "no existingSecret switch reads it" in by_key["grafana.env.GF_SECURITY_ADMIN_PASSWORD"]
    # each key named is really in values-prod.yaml, holding a value the warning does not show
    prod = render.load_values_file(out / "values-prod.yaml")
    for key in keys:
        node = prod
        for part in key.split("."):
            node = node[part]
        assert isinstance(node, str) and node and node not in result.stderr


def test_warnings_never_show_the_value(with_envs) -> None:
    out, result = with_envs
    report = (out / "helmify-report.json").read_text(encoding="utf-8")
    markdown = (out / "helmify-report.md").read_text(encoding="utf-8")
    for secret in PROD_SECRETS:
        assert secret in (out / "values-prod.yaml").read_text(
            encoding="utf-8"
        )  # the chart holds it, as the manifests do
        assert secret not in result.stderr and secret not in report and secret not in markdown
    warned = [w for w in json.loads(report)["warnings"] if w["code"] == "credential-in-values"]
    assert len(warned) == 4
    assert all(w["file"] and w["line"] for w in warned)
    assert sum("holds a credential" in line for line in markdown.splitlines()) == 4


def test_no_warning_for_dev_or_for_plain_values(with_envs) -> None:
    _, result = with_envs
    assert not [line for line in _credential_lines(result.stderr) if "[dev]" in line]
    assert not [line for line in _credential_lines(result.stderr) if "UVICORN_WORKERS" in line or "resources" in line]


ENV_APP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      containers:
        - name: app
          image: app:1
          env:
            - {{name: DATABASE_URL, value: "{url}"}}
            - {{name: API_TOKEN, value: "{token}"}}
            - {{name: PASSWORD_FILE, value: "{file}"}}
            - {{name: DB_KEY, value: "{key}"}}
            - {{name: LOG_LEVEL, value: "{level}"}}
"""


def test_names_and_urls_that_count(tmp_path: Path) -> None:
    base = dict(url="postgres://u:base-pw@db/x", token="t0", file="/run/a", key="k0", level="info")
    env = dict(url="postgres://u:env-s3cret@db/x", token="t0k3n-env", file="/run/b", key="k3y-env", level="debug")
    src = write_tree(tmp_path / "src", {"app.yaml": ENV_APP.format(**base)})
    prod = write_tree(tmp_path / "prod", {"app.yaml": ENV_APP.format(**env)})
    result = run("convert", src, tmp_path / "out", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    keys = sorted(re.search(r"plain text at (\S+) ", line).group(1) for line in _credential_lines(result.stderr))
    assert keys == ["app.env.API_TOKEN", "app.env.DATABASE_URL", "app.env.DB_KEY"]
    for value in ("env-s3cret", "t0k3n-env", "k3y-env"):
        assert value not in result.stderr


def test_url_without_password_is_no_credential(tmp_path: Path) -> None:
    base = dict(url="postgres://db/x", token="t0", file="/run/a", key="k0", level="info")
    env = dict(url="postgres://db2/x", token="t0", file="/run/a", key="k0", level="info")
    src = write_tree(tmp_path / "src", {"app.yaml": ENV_APP.format(**base)})
    prod = write_tree(tmp_path / "prod", {"app.yaml": ENV_APP.format(**env)})
    result = run("convert", src, tmp_path / "out", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert _credential_lines(result.stderr) == []


def test_secret_names_and_switches_in_an_environment_are_not_called_credentials(tmp_path: Path) -> None:
    """An environment that reads a variable from another Secret, or points the existingSecret
    switch at its own Secret, writes names into its values file, not credentials; a password it
    sets in plain text is still one."""
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/shop/web:1
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
            - {name: ADMIN_PASSWORD, value: base-admin}
"""
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db-credentials}\nstringData: {password: base}\n"
    src = write_tree(tmp_path / "base", {"web.yaml": deployment, "secret.yaml": secret})
    prod_web = deployment.replace("name: db-credentials, key", "name: db-credentials-prod, key").replace(
        "base-admin", "prod-admin"
    )
    prod = write_tree(tmp_path / "prod", {"web.yaml": prod_web, "secret.yaml": secret})
    result = run("convert", src, tmp_path / "chart", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    flagged = [line for line in result.stderr.splitlines() if "credential in plain text" in line]
    assert len(flagged) == 1 and "ADMIN_PASSWORD" in flagged[0], flagged
    assert "prod-admin" not in result.stderr
