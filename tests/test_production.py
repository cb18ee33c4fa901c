"""The production refactorings, object level: env -> ConfigMap, credentials -> Secret,
wait-for init containers and hook Jobs, Deployment -> StatefulSet. Each keeps what a container
sees (its effective environment), and declares what it adds and removes."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT, assert_proven, convert_ok, run, write_tree

from helmify_flts import manifests, render
from helmify_flts.refactorings import credentials, envconfig, envrefs, startup, statefulset
from helmify_flts.refactorings.objects import identity, pod_spec


def objects_of(*objs: dict) -> dict:
    return {identity(o): o for o in objs}


def flts() -> dict:
    return render.source_objects(manifests.load_folder(FIXTURES / ".kubernetes"))


def deployment(name: str, env: list | None = None, **container: object) -> dict:
    main: dict = {"name": name, "image": f"{name}:1", **container}
    if env is not None:
        main["env"] = env
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [main]}},
        },
    }


def service(name: str, port: int, selects: str | None = None, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": selects or name}, "ports": [{"port": port}], **spec},
    }


def effective_env(objects: dict, workload: dict) -> dict[str, dict[str, str]]:
    """Per container, the environment Kubernetes would give it: envFrom sources in order, then
    env in order (``$(VAR)`` expanded against what is defined so far), references resolved."""
    ns = workload.get("metadata", {}).get("namespace", "") or ""

    def data(kind: str, name: str) -> dict[str, str]:
        obj = next((o for (_, k, n_s, n), o in objects.items() if (k, n_s, n) == (kind, ns, name)), None)
        if obj is None:
            return {}
        out = dict(obj.get("stringData") or {})
        for key, value in (obj.get("data") or {}).items():
            out[key] = base64.b64decode(value).decode() if kind == "Secret" else value
        return out

    def expand(text: str, env: dict[str, str]) -> str:
        for name in envrefs.expanded_names(text):
            if name in env:
                text = text.replace(f"$({name})", env[name])
        return text

    result = {}
    for container in pod_spec(workload)["containers"]:
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            kind, ref = (
                ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
            )
            env.update({source.get("prefix", "") + k: v for k, v in data(kind, ref["name"]).items()})
        for entry in container.get("env") or []:
            if "value" in entry:
                env[entry["name"]] = expand(entry["value"], env)
            elif "secretKeyRef" in entry.get("valueFrom", {}):
                ref = entry["valueFrom"]["secretKeyRef"]
                env[entry["name"]] = data("Secret", ref["name"]).get(ref["key"], "<missing>")
            elif "configMapKeyRef" in entry.get("valueFrom", {}):
                ref = entry["valueFrom"]["configMapKeyRef"]
                env[entry["name"]] = data("ConfigMap", ref["name"]).get(ref["key"], "<missing>")
            else:
                env[entry["name"]] = repr(entry.get("valueFrom"))
        result[container["name"]] = env
    return result


def same_environments(before: dict, after: dict, renamed: dict | None = None) -> None:
    renamed = renamed or {}
    for ident, obj in before.items():
        if pod_spec(obj) is None:
            continue
        assert effective_env(before, obj) == effective_env(after, after[renamed.get(ident, ident)]), ident


# --- env -> ConfigMap ---------------------------------------------------------------------------------


def test_env_configmap_moves_plain_values_and_keeps_position_dependent_ones() -> None:
    web = deployment(
        "web",
        [
            {"name": "EARLY", "value": "$(HOST):80"},  # expands HOST: stays, and so does HOST
            {"name": "HOST", "value": "db"},
            {"name": "MODE", "value": "fast"},
            {"name": "TWICE", "value": "a"},
            {"name": "TWICE", "value": "b"},
            {"name": "SHARED", "value": "mine"},  # also given by envFrom: stays
            {"name": "DB_PASSWORD", "value": "hunter2"},  # a credential: not in a ConfigMap
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "LEVEL", "value": "info"},
        ],
        envFrom=[{"configMapRef": {"name": "common"}}],
    )
    common = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "common"}, "data": {"SHARED": "theirs"}}
    before = objects_of(web, common)
    moves = envconfig.plan(before)
    assert moves == (envconfig.Move(identity(web), "web", "web-env", ("MODE", "LEVEL")),)
    outcome = envconfig.apply(before, moves)
    after = outcome.objects
    cm = after[("", "ConfigMap", "", "web-env")]
    assert cm["data"] == {"MODE": "fast", "LEVEL": "info"}
    assert cm["metadata"]["labels"] == {"app": "web"}  # the workload's component
    container = pod_spec(after[identity(web)])["containers"][0]
    assert [e["name"] for e in container["env"]] == ["EARLY", "HOST", "TWICE", "TWICE", "SHARED", "DB_PASSWORD", "POD"]
    assert container["envFrom"] == [{"configMapRef": {"name": "common"}}, {"configMapRef": {"name": "web-env"}}]
    assert [c.identity for c in outcome.added] == [("", "ConfigMap", "", "web-env")]
    same_environments(before, after)
    assert before[identity(web)] == web  # the input is not changed


def test_env_configmap_unknown_envfrom_source_pins_everything() -> None:
    web = deployment("web", [{"name": "MODE", "value": "fast"}], envFrom=[{"secretRef": {"name": "elsewhere"}}])
    assert envconfig.plan(objects_of(web)) == ()


def test_env_configmap_whole_env_moves_and_name_taken() -> None:
    web = deployment("web", [{"name": "MODE", "value": "fast"}])
    taken = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-env"}, "data": {}}
    before = objects_of(web, taken)
    outcome = envconfig.apply(before, envconfig.plan(before))
    container = pod_spec(outcome.objects[identity(web)])["containers"][0]
    assert "env" not in container
    assert container["envFrom"] == [{"configMapRef": {"name": "web-env-2"}}]
    same_environments(before, outcome.objects)


def test_env_configmap_plan_of_the_base_applies_to_an_environment() -> None:
    base = deployment("web", [{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "info"}])
    moves = envconfig.plan(objects_of(base))
    prod = deployment(
        "web",
        [
            {"name": "MODE", "value": "safe"},
            {"name": "LEVEL", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "EXTRA", "value": "x"},
        ],
    )
    outcome = envconfig.apply(objects_of(prod), moves)
    # LEVEL is not a plain value in prod: it stays; EXTRA is prod's own and stays in env too
    container = pod_spec(outcome.objects[identity(prod)])["containers"][0]
    assert [e["name"] for e in container["env"]] == ["LEVEL", "EXTRA"]
    assert outcome.objects[("", "ConfigMap", "", "web-env")]["data"] == {"MODE": "safe"}
    assert any("LEVEL is not a plain value" in w for w in outcome.warnings)
    same_environments(objects_of(prod), outcome.objects)


def test_env_configmap_on_flts_keeps_every_environment() -> None:
    before = flts()
    after = envconfig.apply(before, envconfig.plan(before)).objects
    same_environments(before, after)
    mlflow = pod_spec(after[("apps", "Deployment", "", "mlflow")])["containers"][0]
    # the backend URI holds a password and the S3 keys are credentials (the report redacts the key
    # id too): they stay in env
    assert {e["name"] for e in mlflow["env"]} == {
        "MLFLOW_BACKEND_STORE_URI",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }


# --- credentials -> Secret ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DB_PASSWORD", "x", True),
        ("GF_SECURITY_ADMIN_PASSWORD", "admin", True),
        ("AWS_SECRET_ACCESS_KEY", "x", True),
        ("API_TOKEN", "x", True),
        ("STRIPE_KEY", "x", True),
        ("AWS_ACCESS_KEY_ID", "x", True),  # what the report redacts and the credential warning names
        ("DATABASE_URL", "postgresql://mlflow:pw@postgres:5432/mlflow", True),
        ("DATABASE_URL", "postgresql://mlflow@postgres:5432/mlflow", False),
        ("MLFLOW_TRACKING_URI", "http://mlflow:5000", False),
        ("CONN", "Server=db;User Id=sa;Password=x;", True),
        ("KEYBOARD", "us", False),
    ],
)
def test_credential_looking(name: str, value: str, expected: bool) -> None:
    assert envrefs.credential(name, value) is expected


def test_credentials_move_to_a_secret_in_place() -> None:
    web = deployment(
        "web",
        [
            {"name": "USER", "value": "app"},
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "DSN", "value": "postgres://app:$(DB_PASSWORD)@db/app"},  # expands: stays literal
            {"name": "URL", "value": "postgres://app:hunter2@db/app"},
        ],
    )
    before = objects_of(web)
    moves = credentials.plan(before)
    assert moves == (credentials.Move(identity(web), "web", "web-credentials", ("DB_PASSWORD", "URL")),)
    outcome = credentials.apply(before, moves)
    after = outcome.objects
    env = pod_spec(after[identity(web)])["containers"][0]["env"]
    assert [e["name"] for e in env] == ["USER", "DB_PASSWORD", "DSN", "URL"]  # same places
    assert env[1] == {
        "name": "DB_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "web-credentials", "key": "DB_PASSWORD"}},
    }
    secret = after[("", "Secret", "", "web-credentials")]
    assert secret["stringData"] == {"DB_PASSWORD": "hunter2", "URL": "postgres://app:hunter2@db/app"}
    assert [c.identity for c in outcome.added] == [("", "Secret", "", "web-credentials")]
    same_environments(before, after)


def test_credentials_then_configmap_on_flts() -> None:
    before = flts()
    step = credentials.apply(before, credentials.plan(before))
    after = envconfig.apply(step.objects, envconfig.plan(step.objects)).objects
    same_environments(before, after)
    added = {ident[3] for ident in after if ident not in before}
    assert {"mlflow-credentials", "grafana-credentials", "mlflow-env", "grafana-env"} <= added
    grafana = pod_spec(after[("apps", "Deployment", "", "grafana")])["containers"][0]
    assert [e["name"] for e in grafana["env"]] == ["GF_SECURITY_ADMIN_PASSWORD"]


# --- start-up order -----------------------------------------------------------------------------------


def test_wait_for_init_containers_skip_self_missing_and_already_waited() -> None:
    kafka = deployment("kafka")
    worker = deployment("worker")
    pod_spec(worker)["initContainers"] = [
        {"name": "setup", "image": "busybox", "command": ["sh", "-c", "cp a b"]},
        {
            "name": "check",
            "image": "busybox",
            "command": ["sh", "-c", "until nc -z minio.flts.svc 9000; do sleep 1; done"],
        },
    ]
    objs = objects_of(kafka, worker, service("kafka", 9092), service("minio", 9000), service("mlflow", 5000, "x"))
    deps = {
        identity(kafka): [startup.Dependency("kafka", 9092)],  # its own Service
        identity(worker): [
            startup.Dependency("kafka", 9092),
            startup.Dependency("minio", 9000),  # already waited for by "check"
            startup.Dependency("mlflow", 5000),
            startup.Dependency("nowhere", 1),  # no such Service
        ],
    }
    waits = startup.plan_waits(objs, deps)
    assert waits == {identity(worker): (startup.Dependency("kafka", 9092), startup.Dependency("mlflow", 5000))}
    options = startup.WaitOptions(image="busybox:1.37", timeout=60)
    outcome = startup.apply_waits(objs, waits, options)
    inits = pod_spec(outcome.objects[identity(worker)])["initContainers"]
    assert [c["name"] for c in inits] == ["wait-for-kafka", "wait-for-mlflow", "setup", "check"]
    assert inits[0]["image"] == "busybox:1.37"
    assert inits[0]["command"] == ["timeout", "60", "sh", "-c", startup.WAIT_SCRIPT, "kafka", "9092"]
    assert inits[0]["resources"]["limits"]["memory"] == "32Mi"
    assert inits[2:] == pod_spec(worker)["initContainers"]  # the existing ones, as they were
    assert {v.path for v in outcome.values} >= {("global", "waitFor", "enabled"), ("global", "waitFor", "timeout")}


def test_flts_preprocess_existing_waits_are_recognised() -> None:
    objs = flts()
    job = ("batch", "Job", "", "preprocess")
    deps = {
        job: [
            startup.Dependency("kafka", 9092),
            startup.Dependency("minio", 9000),
            startup.Dependency("fastapi-app", 8000),
        ]
    }
    assert startup.plan_waits(objs, deps) == {job: (startup.Dependency("fastapi-app", 8000),)}


def test_init_jobs_become_hooks_ordered_by_the_graph() -> None:
    def job(name: str) -> dict:
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "annotations": {"team": "data"}},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": name, "image": "x"}]},
                }
            },
        }

    minio_init, migrate = job("minio-init"), job("db-migrate")
    objs = objects_of(
        deployment("minio"), service("minio", 9000), minio_init, migrate, service("init-api", 80, "minio-init")
    )
    deps = {
        identity(minio_init): [startup.Dependency("minio", 9000)],
        identity(migrate): [startup.Dependency("init-api", 80)],
    }
    weights = startup.hook_weights(objs, [identity(minio_init), identity(migrate)], deps)
    assert weights == {identity(minio_init): 0, identity(migrate): 1}
    outcome = startup.apply_hooks(objs, weights)
    annotations = outcome.objects[identity(migrate)]["metadata"]["annotations"]
    assert annotations == {
        "team": "data",
        "helm.sh/hook": "post-install,post-upgrade",
        "helm.sh/hook-weight": "1",
        "helm.sh/hook-delete-policy": "before-hook-creation",
    }


# --- StatefulSets -------------------------------------------------------------------------------------


def test_flts_kafka_and_postgres_become_statefulsets() -> None:
    before = flts()
    kafka, postgres = ("apps", "Deployment", "", "kafka"), ("apps", "Deployment", "", "postgres")
    outcome = statefulset.apply(before, statefulset.Options(frozenset({kafka, postgres})))
    after = outcome.objects
    assert outcome.renamed == {
        kafka: ("apps", "StatefulSet", "", "kafka"),
        postgres: ("apps", "StatefulSet", "", "postgres"),
    }
    sts = after[("apps", "StatefulSet", "", "kafka")]
    assert sts["spec"]["serviceName"] == "kafka-headless"
    assert sts["spec"]["selector"] == before[kafka]["spec"]["selector"]  # never changes
    assert "strategy" not in sts["spec"]
    assert "volumes" not in sts["spec"]["template"]["spec"]
    [template] = sts["spec"]["volumeClaimTemplates"]
    assert template["metadata"]["name"] == "kafka-claim0"  # the volume's name: mounts stay
    assert template["spec"] == before[("", "PersistentVolumeClaim", "", "kafka-claim0")]["spec"]
    headless = after[("", "Service", "", "kafka-headless")]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == {"io.kompose.service": "kafka"}
    pg = after[("apps", "StatefulSet", "", "postgres")]["spec"]["template"]["spec"]
    assert [v["name"] for v in pg["volumes"]] == ["postgres-init"]  # the ConfigMap volume stays
    assert {c.identity[3] for c in outcome.removed} == {"kafka-claim0", "postgres-data"}
    assert {c.identity[3] for c in outcome.added} == {"kafka-headless", "postgres-headless"}
    assert any("moves data" in w for w in outcome.warnings)
    same_environments(before, after, outcome.renamed)
    # the pod template is the same: containers keep image, ports, probes and mounts
    for old, new in outcome.renamed.items():
        assert (
            before[old]["spec"]["template"]["spec"]["containers"]
            == after[new]["spec"]["template"]["spec"]["containers"]
        )


def test_statefulset_existing_claim_keeps_todays_claim() -> None:
    before = flts()
    kafka = ("apps", "Deployment", "", "kafka")
    options = statefulset.Options(frozenset({kafka}), existing_claims={kafka: "kafka-claim0"})
    outcome = statefulset.apply(before, options)
    sts = outcome.objects[("apps", "StatefulSet", "", "kafka")]
    assert "volumeClaimTemplates" not in sts["spec"]
    assert sts["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "kafka-claim0"
    assert ("", "PersistentVolumeClaim", "", "kafka-claim0") in outcome.objects
    assert outcome.removed == ()


def test_statefulset_uses_an_existing_headless_service_and_retargets_the_hpa() -> None:
    db = deployment("db")
    headless = service("db-peers", 5432, "db", clusterIP="None")
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "db"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "db"}, "maxReplicas": 3},
    }
    before = objects_of(db, headless, hpa)
    snapshot = copy.deepcopy(before)
    outcome = statefulset.apply(before, statefulset.Options(frozenset({identity(db)})))
    assert outcome.objects[("apps", "StatefulSet", "", "db")]["spec"]["serviceName"] == "db-peers"
    assert outcome.added == ()
    assert outcome.objects[identity(hpa)]["spec"]["scaleTargetRef"]["kind"] == "StatefulSet"
    assert before == snapshot


def test_flts_dependencies_come_from_the_reference_graph() -> None:
    objs = flts()
    deps = startup.dependencies(objs)
    dep = startup.Dependency
    assert deps[("batch", "Job", "", "minio-init")] == (dep("minio", 9000),)
    assert deps[("apps", "Deployment", "", "mlflow")] == (dep("minio", 9000), dep("postgres", 5432))
    # grafana reads its datasources from a ConfigMap: those hosts count
    assert deps[("apps", "Deployment", "", "grafana")] == (dep("postgres", 5432), dep("prometheus", 9090))
    waits = startup.plan_waits(objs, deps)
    assert ("apps", "Deployment", "", "kafka") not in waits  # it advertises its own Service
    assert waits[("apps", "Deployment", "", "locust-master")] == (dep("inference-lb", 80),)
    assert ("apps", "Deployment", "", "locust-worker") not in waits  # wait-for-master is there


# --- environments that provide a Secret themselves ----------------------------------------------------

SECRET_APP = """\
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
          image: web:1
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: web-credentials, key: password}}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: web-credentials, labels: {app: web}}
stringData: {password: dev-only}
"""


def test_an_environment_without_the_secret_names_it_as_existing_secret(tmp_path) -> None:
    base = write_tree(tmp_path / "base", {"app.yaml": SECRET_APP, "secret.yaml": SECRET})
    prod = write_tree(tmp_path / "prod", {"app.yaml": SECRET_APP})
    out = tmp_path / "chart"
    convert_ok(base, out, "--env", f"prod={prod}")
    values = yaml.safe_load((out / "values-prod.yaml").read_text())
    assert values == {"web": {"existingSecret": "web-credentials"}}  # no other switch for it
    assert "secret:" not in (out / "values.yaml").read_text()
    assert_proven(out, prod, values)


# --- through convert and verify -----------------------------------------------------------------------

WHOLE_ENV = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broker, labels: {app: broker}}
spec:
  selector: {matchLabels: {app: broker}}
  template:
    metadata: {labels: {app: broker}}
    spec:
      containers:
        - env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
          image: broker:1
          name: broker
"""


def test_env_configmap_moves_a_whole_env_and_keeps_what_an_environment_adds(tmp_path) -> None:
    base = write_tree(tmp_path / "base", {"broker.yaml": WHOLE_ENV})
    # prod adds an item in the middle and one at the end: both stay in env, from values-prod.yaml
    middle = WHOLE_ENV.replace(
        '- {name: B, value: "2"}', '- {name: M, value: "m"}\n            - {name: B, value: "3"}'
    )
    prod = write_tree(
        tmp_path / "prod",
        {"broker.yaml": middle.replace('value: "3"}', 'value: "3"}\n            - {name: Z, value: z}')},
    )
    out = tmp_path / "chart"
    convert_ok(base, out, "--rules", "production", "--env", f"prod={prod}")
    template = (out / "templates/broker.yaml").read_text()
    assert "- env:" not in template  # a list item cannot open with an if: env went last
    assert "configMapRef" in template
    assert run("verify", out, base, "--env", f"prod={prod}").exit_code == 0
    report = json.loads((out / "helmify-report.json").read_text())
    assert [a["object"]["data"] for a in report["added"]] == [{"A": "1", "B": "2"}]
    assert [a["object"]["data"] for a in report["environments"]["prod"]["added"]] == [{"A": "1", "B": "3"}]


CREDENTIALS = """\
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
          image: web:1
          env:
            - {name: GF_SECURITY_ADMIN_PASSWORD, value: admin}
            - {name: DATABASE_URL, value: "postgresql://app:pw@db:5432/app"}
"""


def test_env_credentials_existing_secret_switch_names_the_users_secret(tmp_path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": CREDENTIALS})
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "production")
    values = yaml.safe_load((out / "values.yaml").read_text())
    assert values["web"]["existingSecret"] == ""
    assert values["web"]["env"]["GF_SECURITY_ADMIN_PASSWORD"] == "admin"  # the same key as before
    texts = render.render_chart(out, {"web": {"existingSecret": "vault-web"}}, "release", "default")
    objects = render.rendered_objects(texts)
    assert [i[1] for i in objects] == ["Deployment"]  # no chart Secret, no ConfigMap (nothing else to move)
    env = objects[("apps", "Deployment", "", "web")][1]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {"vault-web"}
    assert [e["valueFrom"]["secretKeyRef"]["key"] for e in env] == ["GF_SECURITY_ADMIN_PASSWORD", "DATABASE_URL"]
    for name in ("helmify-report.md", "helmify-report.json"):  # the declared Secret is shown redacted
        assert "app:pw@" not in (out / name).read_text()


def test_wait_for_switches_and_overrides(tmp_path) -> None:
    src = write_tree(
        tmp_path / "src", {"app.yaml": (ROOT / "tests/cases/refactor-start-up-order/input/app.yaml").read_text()}
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "production")

    def inits(values: dict, name: str) -> list:
        objects = render.rendered_objects(render.render_chart(out, values, "release", "default"))
        obj = next(o for (_, k, _, n), (_, o) in objects.items() if (k, n) == ("Deployment", name))
        return obj["spec"]["template"]["spec"].get("initContainers")

    assert [c["name"] for c in inits({}, "worker")] == ["wait-for-web-api", "check-db"]
    assert [c["name"] for c in inits({"worker": {"waitFor": {"enabled": False}}}, "worker")] == ["check-db"]
    assert inits({"global": {"waitFor": {"enabled": False}}}, "web") is None  # no empty list left behind
    [wait] = inits({"web": {"waitFor": {"image": "busybox:1.37", "timeout": 30}}}, "web")
    assert wait["image"] == "busybox:1.37" and wait["command"][:2] == ["timeout", "30"]
    assert wait["command"][-2:] == ["db", "5432"]
    [wait] = inits({"global": {"waitFor": {"timeout": 60}}}, "web")
    assert wait["command"][:2] == ["timeout", "60"] and wait["image"] == "busybox:1.36"
    migrate = (out / "templates/db-migrate.yaml").read_text()
    assert "helm.sh/hook: post-install,post-upgrade" in migrate


def test_flts_with_the_production_pack_converts_and_verifies_with_environments(tmp_path) -> None:
    envs = ["--env", f"dev={FIXTURES}/environments/dev", "--env", f"prod={FIXTURES}/environments/prod"]
    out = tmp_path / "helm"
    convert_ok(FIXTURES / ".kubernetes", out, "--rules", "production", "--rules", ROOT / "rules/flts.yaml", *envs)
    assert run("verify", out, FIXTURES / ".kubernetes", *envs).exit_code == 0
    report = json.loads((out / "helmify-report.json").read_text())
    added = {(a["object"]["kind"], a["object"]["metadata"]["name"]) for a in report["added"]}
    assert {("ConfigMap", "kafka-env"), ("Secret", "mlflow-credentials"), ("Secret", "grafana-credentials")} <= added
    minio_init = (out / "templates/minio-init.yaml").read_text()
    assert "helm.sh/hook: post-install,post-upgrade" in minio_init and "wait-for-minio" in minio_init


def test_readme_quick_start_converts_and_verifies_flts(tmp_path, monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "helmify-flts convert fixtures/.kubernetes" in line)
    args = command.split("helmify-flts ", 1)[1].split()
    assert "flts-production" in args
    monkeypatch.chdir(ROOT)
    out = tmp_path / "helm"
    args[args.index(".helm")] = str(out)
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert "moves data" in result.stderr  # the StatefulSets' warning
    envs = ["--env", "dev=fixtures/environments/dev", "--env", "prod=fixtures/environments/prod"]
    assert run("verify", out, "fixtures/.kubernetes", *envs).exit_code == 0
    report = json.loads((out / "helmify-report.json").read_text())
    removed = {(r["kind"], r["name"]) for r in report["removed"]}
    assert removed == {("PersistentVolumeClaim", "kafka-claim0"), ("PersistentVolumeClaim", "postgres-data")}
    prod = report["environments"]["prod"]
    prod_objects = {(a["object"]["kind"], a["object"]["metadata"]["name"]): a["object"] for a in prod["added"]}
    assert ("Service", "kafka-headless") in prod_objects
    values_prod = yaml.safe_load((out / "values-prod.yaml").read_text())
    assert values_prod["kafka"]["replicas"] == 3  # three brokers, as a StatefulSet
    assert values_prod["minio"]["existingSecret"] == "minio-credentials"
    kafka = (out / "templates/kafka.yaml").read_text()
    assert "kind: StatefulSet" in kafka and "volumeClaimTemplates:" in kafka


PUBLIC_STYLE = sorted(p.name for p in (ROOT / "tests/cases").iterdir() if (p / "input").is_dir())


@pytest.mark.parametrize("case", PUBLIC_STYLE)
def test_production_pack_converts_and_proves_every_case_folder(case: str, tmp_path, monkeypatch) -> None:
    folder = ROOT / "tests/cases" / case
    monkeypatch.chdir(folder)
    # the case's own rule files, but not its refactorings (combining them with these is not supported yet)
    own = [f for f in sorted(Path("rules").glob("*.yaml")) if "refactor:" not in f.read_text()]
    rules = [arg for f in own for arg in ("--rules", f.as_posix())]
    envs = [arg for p in sorted(Path("envs").glob("*")) if p.is_dir() for arg in ("--env", f"{p.name}=envs/{p.name}")]
    result = run("convert", "input", tmp_path / "chart", "--rules", "production", *rules, *envs)
    assert result.exit_code == 0, result.stderr  # convert proves the declared changes and runs the checks


def _pod_annotations(objects: dict, kind: str, name: str) -> dict:
    obj = next(o for (_, k, _, n), (_, o) in objects.items() if (k, n) == (kind, name))
    return obj["spec"]["template"]["metadata"].get("annotations") or {}


def test_env_configmap_and_credentials_roll_the_pods(tmp_path) -> None:
    import hashlib

    src = write_tree(
        tmp_path / "src",
        {
            "web.yaml": CREDENTIALS.replace(
                "          env:\n", "          env:\n            - {name: MODE, value: fast}\n"
            )
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--rules", "production")
    assert run("verify", out, src).exit_code == 0

    def checksums(values: dict) -> tuple[dict, dict]:
        texts = render.render_chart(out, values, "release", "default")
        return _pod_annotations(render.rendered_objects(texts), "Deployment", "web"), texts

    annotations, texts = checksums({})
    by_file = {name.split("/", 1)[1]: text for name, text in texts.items()}
    for name, file in (("web-env", "configmap-web-env.yaml"), ("web-credentials", "secret-web-credentials.yaml")):
        text = by_file[f"templates/checksum/{file}"]
        assert f"name: {name}" in text  # the added object renders from its own file
        assert annotations[f"checksum/{name}"] == hashlib.sha256(text.encode()).hexdigest()
    assert "kind: ConfigMap" not in (out / "templates/web.yaml").read_text()
    changed, _ = checksums({"web": {"env": {"MODE": "slow"}}})
    assert changed["checksum/web-env"] != annotations["checksum/web-env"]  # a new value rolls the pods
    assert changed["checksum/web-credentials"] == annotations["checksum/web-credentials"]
    rotated, _ = checksums({"web": {"env": {"GF_SECURITY_ADMIN_PASSWORD": "s3cret"}}})
    assert rotated["checksum/web-credentials"] != annotations["checksum/web-credentials"]
    # a Secret of the user's is not the chart's to hash: no Secret, no checksum of it
    existing, _ = checksums({"web": {"existingSecret": "vault-web"}})
    assert set(existing) == {"checksum/web-env"}


def test_flts_quick_start_rolls_pods_per_environment(tmp_path) -> None:
    envs = ["--env", f"dev={FIXTURES}/environments/dev", "--env", f"prod={FIXTURES}/environments/prod"]
    out = tmp_path / "helm"
    convert_ok(FIXTURES / ".kubernetes", out, "--chart-name", "flts", "--rules", "flts-production", *envs)
    assert run("verify", out, FIXTURES / ".kubernetes", *envs).exit_code == 0

    def grafana(env: str | None) -> dict:
        values = yaml.safe_load((out / f"values-{env}.yaml").read_text()) if env else {}
        texts = render.render_chart(out, values, "release", "flts")
        return _pod_annotations(render.rendered_objects(texts), "Deployment", "grafana")

    base, prod = grafana(None), grafana("prod")
    assert {"checksum/grafana-env", "checksum/grafana-credentials"} <= set(base)
    assert "checksum/grafana-credentials" not in prod  # prod reads an existing Secret
    assert prod["checksum/grafana-env"] != base["checksum/grafana-env"]  # prod's env values differ
