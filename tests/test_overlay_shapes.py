"""Kustomize overlays in the shapes public repositories use: one folder per layout under
``overlay_shapes/``, each a base and two or three overlays (a hello-world app with a name
prefix and per-overlay literals, an overlay pulling two bases, JSON 6902 and strategic-merge
patches, components only prod has, secrets from env files, a StatefulSet's disk size). Each is
converted with every overlay as an environment, with no pack, with the conventions, with the
production pack and with both, and ``verify`` must pass the base and every overlay.

These tests need ``kubectl`` (kustomize built in) or ``kustomize`` on PATH; they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import render_objects, run, write_tree

from helmify_flts import kyaml

SHAPES_DIR = Path(__file__).parent / "overlay_shapes"
PACKS = {
    "default": (),
    "conventions": ("--rules", "conventions"),
    "production": ("--rules", "production"),
    "conventions+production": ("--rules", "conventions", "--rules", "production"),
}


def env_args(root: Path, overlays: str = "overlays") -> list[str]:
    return [a for env in sorted((root / overlays).iterdir()) for a in ("--env", f"{env.name}={env}")]


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def converted(root: Path, chart: Path, *rules: str) -> str:
    """Convert and verify ``root`` (base/ and overlays/*); the convert's messages."""
    result = run("convert", root / "base", chart, *env_args(root), *rules)
    assert result.exit_code == 0, result.stdout + result.stderr
    verified = run("verify", chart, root / "base", *env_args(root))
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    for env in sorted((root / "overlays").iterdir()):
        assert f"[{env.name}] verified" in verified.stdout + verified.stderr
    return result.stdout + result.stderr


APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reports
  labels: {app: reports}
spec:
  selector:
    matchLabels: {app: reports}
  template:
    metadata:
      labels: {app: reports}
    spec:
      containers:
        - name: reports
          image: registry.acme.test/reports:3.0.4
          env:
            - {name: WORKERS, value: "4"}
            - {name: PDF_ENGINE, value: chromium}
"""


@pytest.mark.parametrize(
    "patch",
    [
        # an overlay that drops the only literal value leaves no env list at all
        "- op: remove\n  path: /spec/template/spec/containers/0/env",
        # one that moves an item: the list's order changes
        "- op: move\n  from: /spec/template/spec/containers/0/env/1\n  path: /spec/template/spec/containers/0/env/0",
    ],
    ids=["env-removed", "env-reordered"],
)
@pytest.mark.parametrize("credential", [False, True], ids=["plain", "credential"])
def test_env_values_read_whole_from_values_stay_in_env_with_the_production_pack(
    tmp_path: Path, patch: str, credential: bool
) -> None:
    # env-configmap and env-credentials take items out of the container's env list; where an
    # environment makes the chart read that list whole from values, the template has no items to
    # take, and the declaration must not expect them moved: the chart rendered no ConfigMap (or
    # Secret) while its checksum annotation included the file it would have been in.
    app = APP.replace("PDF_ENGINE, value: chromium", "DB_PASSWORD, value: Kq3-not-shown") if credential else APP
    indented = "\n".join("      " + line for line in patch.splitlines())
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": app,
            "overlays/dev/kustomization.yaml": (
                "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: reports}\n"
                f"    patch: |-\n{indented}\n"
            ),
        },
    )
    out = converted(root, tmp_path / "chart", "--rules", "production")
    moved = "DB_PASSWORD" if credential else "WORKERS, PDF_ENGINE"
    rule = "env-credentials" if credential else "env-configmap"
    assert "container reports: its env list is read whole from reports.env" in out
    assert f"so {moved} st" in out and f"in env ({rule})" in out
    assert "Kq3-not-shown" not in out


MODES = """\
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
          image: registry.acme.test/api:1.0.0
          env:
            - {name: MODE, value: fast}
            - {name: DEBUG, value: "false"}
            - {name: DB_PASSWORD, value: Hv2-not-shown}
"""
QA_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: qa-db}
stringData: {DB_PASSWORD: Qw5-not-shown}
"""


ENV = "/spec/template/spec/containers/0/env"
FROM_CONFIG = f"{{op: add, path: {ENV}/0/valueFrom, value: {{configMapKeyRef: {{name: modes, key: qa}}}}}}"
FROM_SECRET = "{secretKeyRef: {name: qa-db, key: DB_PASSWORD}}"


@pytest.mark.parametrize(
    "patch,stays",
    [
        (
            f"{FROM_CONFIG}\n      - {{op: remove, path: {ENV}/0/value}}",
            "MODE stays in env in every folder: in qa it is read by valueFrom (env-configmap)",
        ),
        (
            f"{{op: replace, path: {ENV}/1/value, value: $(MODE)-debug}}",
            "DEBUG stays in env in every folder: in qa its place in env matters (env-configmap)",
        ),
        (
            f"{{op: replace, path: {ENV}/2, value: {{name: DB_PASSWORD, valueFrom: {FROM_SECRET}}}}}",
            "DB_PASSWORD stays in env in every folder: in qa it is read by valueFrom (env-credentials)",
        ),
    ],
    ids=["value-from", "expanded", "credential-from-own-secret"],
)
def test_env_values_an_overlay_gives_otherwise_stay_in_env_everywhere(tmp_path: Path, patch: str, stays: str) -> None:
    # The production pack plans its env moves on the base, and one template serves every folder:
    # a value that qa reads by valueFrom, or whose place qa's env makes matter ($(MODE) expands
    # it), cannot move there, so it moves nowhere. qa's declaration and the template disagreed.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": MODES,
            "overlays/qa/kustomization.yaml": "resources: [../../base, secret.yaml]\n"
            f"patches:\n  - target: {{kind: Deployment}}\n    patch: |-\n      - {patch}\n",
            "overlays/qa/secret.yaml": QA_SECRET,
        },
    )
    out = converted(root, tmp_path / "chart", "--rules", "production")
    assert f"warning: Deployment/api container api: {stays}" in out
    assert "not-shown" not in out


FRONTEND = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  selector:
    matchLabels: {app: frontend}
  template:
    metadata:
      labels: {app: frontend}
    spec:
      containers:
        - name: frontend
          image: ghcr.io/acme/frontend:2.3.0
          env:
            - {name: SESSION_STORE, value: redis}
            - {name: REDIS_URL, value: "redis://redis:6379/0"}
"""
REDIS = """\
apiVersion: v1
kind: Service
metadata:
  name: redis
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
"""


def test_a_url_scheme_named_like_a_renamed_service_is_not_warned_about(tmp_path: Path) -> None:
    # redis://redis:6379: the host follows the release prefix; the scheme is no host name, and
    # no warning may say it was left as it is. The bare word (a store's kind) still is.
    root = write_tree(tmp_path / "src", {"app.yaml": FRONTEND, "redis.yaml": REDIS})
    chart = tmp_path / "chart"
    result = run("convert", root, chart, "--rules", "conventions")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "env/0/value: 'redis' is the name of a Service the release renames" in result.stderr
    assert "env/1/value" not in result.stderr
    rendered = render_objects(chart)
    env = rendered[("apps", "Deployment", "", "release-frontend")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[1] == {"name": "REDIS_URL", "value": "redis://release-redis:6379/0"}


def test_a_warning_on_an_overlays_copy_in_its_own_namespace_names_that_namespace(tmp_path: Path) -> None:
    # The base's frontend and prod's (namespace shop) are two objects of one kind and name: a
    # warning about prod's must not send the reader to the base's, which holds no such value.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml, redis.yaml]\n",
            "base/app.yaml": FRONTEND.replace("value: redis}", "value: memory}"),
            "base/redis.yaml": REDIS,
            "overlays/prod/kustomization.yaml": "namespace: shop\nresources: [../../base]\n"
            "patches:\n  - target: {kind: Deployment}\n    patch: |-\n"
            "      - {op: replace, path: /spec/template/spec/containers/0/env/0/value, value: redis}\n",
        },
    )
    out = converted(root, tmp_path / "chart", "--rules", "conventions")
    assert "warning: Deployment frontend in namespace shop /spec/template/spec/containers/0/env/0/value: 'redis'" in out
    assert out.count("is the name of a Service the release renames") == 1


WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
spec:
  selector:
    matchLabels: {app: payments}
  template:
    metadata:
      labels: {app: payments}
    spec:
      containers:
        - name: payments
          image: registry.acme.test/payments:4.12.0
          envFrom:
            - secretRef: {name: payments-db}
"""


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_an_overlay_in_a_namespace_of_its_own_switches_the_bases_secret_off(tmp_path: Path, pack: str) -> None:
    # prod deploys its own copies in namespace payments-prod: nothing there reads the base's
    # Secret. Its values must switch that Secret off, not name it as a Secret prod manages itself.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n"
            "secretGenerator:\n  - name: payments-db\n    envs: [db.env]\n",
            "base/app.yaml": WORKER,
            "base/db.env": "DB_PASSWORD=Lm4-not-shown\n",
            "overlays/prod/kustomization.yaml": "namespace: payments-prod\nresources: [../../base]\n",
        },
    )
    chart = tmp_path / "chart"
    out = converted(root, chart, *PACKS[pack])
    prod = values(chart, "values-prod.yaml")
    assert prod["payments"]["db"]["default"] == {"secret": {"enabled": False}}
    assert "existingSecret" not in (chart / "values-prod.yaml").read_text(encoding="utf-8")
    assert "Lm4-not-shown" not in out


HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: payments}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payments}
  minReplicas: 2
  maxReplicas: 6
"""


def test_replicas_only_an_overlay_sets_are_left_out_while_its_autoscaler_renders(tmp_path: Path) -> None:
    # The base sets no replicas; prod adds an autoscaler and a replicas transformer. prod's
    # declaration leaves replicas out while the autoscaler renders; so must the template, which
    # was made from the base's Deployment alone.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": WORKER.replace("          envFrom:\n            - secretRef: {name: payments-db}\n", ""),
            "overlays/prod/kustomization.yaml": "resources: [../../base, hpa.yaml]\n"
            "replicas:\n  - {name: payments, count: 4}\n",
            "overlays/prod/hpa.yaml": HPA,
        },
    )
    chart = tmp_path / "chart"
    converted(root, chart, "--rules", "conventions")
    prod = values(chart, "values-prod.yaml")
    assert prod["payments"]["replicas"] == 4
    rendered = render_objects(chart, values=prod)
    assert "replicas" not in rendered[("apps", "Deployment", "", "release-payments")]["spec"]
    prod["payments"]["autoscaling"] = {"enabled": False}
    rendered = render_objects(chart, values=prod)
    assert rendered[("apps", "Deployment", "", "release-payments")]["spec"]["replicas"] == 4


# The layouts under overlay_shapes/, each converted with every pack and verified.

SHAPES = ("hello", "multibase", "json6902", "smp", "extras", "secrets", "stateful")
# Secret values the layouts hold (env files, literals): never in a message or the report.
SECRET_VALUES = ("Zq8-base-secret-value", "Xy7-dev-secret-value", "Pr0d-secret-value-77", "sk_live_prodkey_998877")


def flatten(tree: dict, prefix: tuple = ()) -> dict[tuple, object]:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, prefix + (key,)))
        else:
            out[prefix + (key,)] = value
    return out


def check_hello(chart: Path) -> None:
    # namePrefix: staging and production deploy objects of their own; dev only relabels
    assert values(chart, "values-dev.yaml")["hello"]["theDeployment"]["replicas"] == 1
    production = values(chart, "values-production.yaml")["hello"]
    assert production["productionTheDeployment"] == {"deployment": {"enabled": True}}
    assert values(chart)["hello"]["productionTheDeployment"]["replicas"] == 10


def check_multibase(chart: Path) -> None:
    staging = values(chart, "values-staging.yaml")
    assert staging["frontend"]["default"]["env"] == {"SESSION_STORE": "redis", "REDIS_URL": "redis://redis:6379/0"}
    assert staging["redis"]["default"]["deployment"]["enabled"] is True
    assert "redis" not in values(chart, "values-dev.yaml")


def check_json6902(chart: Path) -> None:
    dev, prod = values(chart, "values-dev.yaml")["gateway"], values(chart, "values-prod.yaml")["gateway"]
    assert dev["extraEnvBefore"] == {"RATE_LIMIT": [{"name": "DEBUG_ROUTES", "value": "true"}]}
    assert dev["tolerations"] is None and dev["replicas"] == 1
    assert prod["resources"] == {"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m", "memory": "512Mi"}}
    assert prod["env"] == {"TRACING": "on"}


def check_smp(chart: Path) -> None:
    dev = values(chart, "values-dev.yaml")
    assert dev["reportsBackup"]["cronJob"]["enabled"] is False  # $patch: delete of a resource
    assert dev["reports"]["containersItems"] == {"chromium": False}
    assert dev["reports"]["resources"] == {"requests": {"cpu": "10m", "memory": None}, "limits": None}
    prod = values(chart, "values-prod.yaml")["reports"]
    assert [c["name"] for c in prod["extraInitContainersBefore"]["migrate"]] == ["wait-for-db"]


def check_extras(chart: Path) -> None:
    prod = values(chart, "values-prod.yaml")["storefront"]
    for kind in ("horizontalPodAutoscaler", "podDisruptionBudget", "networkPolicy"):
        assert prod[kind] == {"enabled": True}
    staging = values(chart, "values-staging.yaml")["storefront"]["default"]
    assert staging["service"]["type"] == "LoadBalancer" and staging["ingress"] == {"enabled": True}


def check_secrets(chart: Path) -> None:
    for env in ("dev", "prod"):
        assert values(chart, f"values-{env}.yaml")["paymentsDb"]["default"] == {"secret": {"enabled": False}}
    report = (chart / "helmify-report.md").read_text(encoding="utf-8")
    assert not [s for s in SECRET_VALUES if s in report]


def check_stateful(chart: Path) -> None:
    qa = values(chart, "values-qa.yaml")["postgres"]["default"]
    assert qa["service"] == {"enabled": False}
    assert qa["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "8Gi"


@pytest.mark.parametrize("pack", sorted(PACKS))
@pytest.mark.parametrize("shape", SHAPES)
def test_each_layout_converts_and_verifies_every_overlay(tmp_path: Path, shape: str, pack: str) -> None:
    root, chart = SHAPES_DIR / shape, tmp_path / "chart"
    out = converted(root, chart, *PACKS[pack])
    assert not [s for s in SECRET_VALUES if s in out]
    assert "This is a bug" not in out
    if pack == "default":
        globals()[f"check_{shape}"](chart)
    # An overlay's values file holds only what differs from values.yaml.
    base = flatten(values(chart))
    for env in sorted((root / "overlays").iterdir()):
        repeated = [
            k for k, v in flatten(values(chart, f"values-{env.name}.yaml")).items() if k in base and base[k] == v
        ]
        assert repeated == [], f"{env.name} repeats values.yaml: {repeated[:5]}"


def test_a_retain_keys_directive_an_overlay_leaves_in_the_build_is_no_credential(tmp_path: Path) -> None:
    # kustomize keeps a strategic-merge patch's $retainKeys in its output; the list of field
    # names it holds was called a credential in plain text in values-dev.yaml.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": MODES,
            "overlays/dev/kustomization.yaml": "resources: [../../base]\npatches:\n  - patch: |-\n"
            "      {apiVersion: apps/v1, kind: Deployment, metadata: {name: api},\n"
            "       spec: {strategy: {$retainKeys: [type], type: Recreate}}}\n",
        },
    )
    result = run("convert", root / "base", tmp_path / "chart", *env_args(root))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert values(tmp_path / "chart", "values-dev.yaml")["api"]["strategy"]["$retainKeys"] == ["type"]
    assert "credential in plain text at api.strategy" not in result.stderr


def test_a_configmap_the_production_pack_adds_never_shares_a_generators_name(tmp_path: Path) -> None:
    # configMapGenerator api-env (from an env file) and env-configmap's ConfigMap for Deployment
    # api, also api-env: one checksum file and one annotation key served both, and prod's pods
    # (namespace prod) got the checksum of another file than the one declared.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n"
            "configMapGenerator:\n  - {name: api-env, envs: [api.env]}\n",
            "base/api.env": "CURRENCY=EUR\n",
            "base/app.yaml": MODES.replace(
                "          env:\n", "          envFrom:\n            - configMapRef: {name: api-env}\n          env:\n"
            ),
            "overlays/prod/kustomization.yaml": "namespace: prod\nresources: [../../base]\n"
            "configMapGenerator:\n  - {name: api-env, behavior: merge, literals: [CURRENCY=USD]}\n",
        },
    )
    chart = tmp_path / "chart"
    converted(root, chart, "--rules", "conventions", "--rules", "production")
    made = render_objects(chart)
    pod = made[("apps", "Deployment", "", "release-api")]["spec"]["template"]
    assert {"checksum/api-env", "checksum/api-env-2"} <= set(pod["metadata"]["annotations"])
    assert made[("", "ConfigMap", "", "release-api-env-2")]["data"] == {"MODE": "fast", "DEBUG": "false"}


API = """\
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
          image: registry.acme.test/api:1.0.0
          env:
            - {name: DATABASE_HOST, value: db}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - {name: postgres, image: "postgres:16"}
"""
MANAGED_DB = """\
resources: [../../base]
patches:
  - patch: '{$patch: delete, apiVersion: v1, kind: Service, metadata: {name: db}}'
  - patch: '{$patch: delete, apiVersion: apps/v1, kind: Deployment, metadata: {name: db}}'
  - target: {kind: Deployment, name: api}
    patch: |-
      - {op: replace, path: /spec/template/spec/containers/0/env/0/value, value: pg.acme.internal}
"""


@pytest.mark.parametrize("pack", ["production", "conventions+production"])
def test_a_workload_waits_only_for_services_its_folder_deploys(tmp_path: Path, pack: str) -> None:
    # prod uses a managed database and deletes the db Service; dev's name prefix makes its own
    # (dev-db). The waits were planned on every folder's objects at once: prod's pods waited for a
    # Service prod does not deploy (and never started), and with release names dev's declaration
    # and the template named the Service differently.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": API,
            "overlays/prod/kustomization.yaml": MANAGED_DB,
            "overlays/dev/kustomization.yaml": "namePrefix: dev-\nresources: [../../base]\n",
        },
    )
    chart = tmp_path / "chart"
    converted(root, chart, *PACKS[pack])

    def waits(env: str | None) -> dict[str, list[str]]:
        rendered = render_objects(chart, values=values(chart, f"values-{env}.yaml") if env else None)
        return {
            i[3]: [c["name"] for c in o["spec"]["template"]["spec"].get("initContainers", [])]
            for i, o in rendered.items()
            if i[1] == "Deployment"
        }

    prefix = "release-" if "conventions" in pack else ""
    assert waits(None)[f"{prefix}api"] == ["wait-for-db"]
    assert waits("prod") == {f"{prefix}api": []}
    assert waits("dev")[f"{prefix}dev-api"] == []  # dev-api still names db, which dev does not deploy
