"""Refactorings of the conventions and production packs that work together, in either order:
each pair converts a small folder (convert runs the proof and the built-in checks), verifies, and
renders the combined effect; a pair the order table of combine.py names stops with exit 2."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, render_objects, run, write_tree

from helmify_flts import render
from helmify_flts.refactorings import combine

WEB = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - {name: MODE, value: fast}
            - {name: API_URL, value: "http://api:8080/v1"}
            - {name: DB_PASSWORD, value: hunter2}
          volumeMounts: [{name: config, mountPath: /etc/web}]
      volumes:
        - name: config
          configMap: {name: web-config}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {site.conf: "listen 80"}
"""
API = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/shop/api:2.1
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 8080}]
"""
DB = """apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  selector: {matchLabels: {app: db}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16
          env:
            - {name: PGDATA, value: /data/pg}
          ports: [{containerPort: 5432}]
          volumeMounts:
            - {name: data, mountPath: /data}
            - {name: init, mountPath: /docker-entrypoint-initdb.d}
      volumes:
        - name: data
          persistentVolumeClaim: {claimName: db-data}
        - name: init
          configMap: {name: db-init}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: db-data, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: db-init, namespace: shop}
data: {init.sql: "create table t (a int);"}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
"""
JOB = """apiVersion: batch/v1
kind: Job
metadata: {name: db-init, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: init
          image: postgres:16
          args: ["psql", "postgresql://db:5432/app", "-c", "select 1"]
"""
SHOP = {"web.yaml": WEB, "api.yaml": API, "db.yaml": DB}
MATCH = {
    "statefulset": "    match: {kinds: [Deployment], names: [db]}\n",
    "init-job-hooks": "    match: {kinds: [Job], names: ['*-init']}\n",
}


def _rules(tmp_path: Path, *refactors: str) -> Path:
    body = "".join(
        f"  - id: r-{name}\n    description: test\n    refactor: {name}\n{MATCH.get(name, '')}" for name in refactors
    )
    path = tmp_path / f"rules-{'-'.join(refactors)}.yaml"
    path.write_text("extends: [default]\nrules:\n" + body)
    return path


def _convert(tmp_path: Path, files: dict[str, str], *refactors: str, name: str = "chart") -> Path:
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / name
    result = run("convert", src, out, "--chart-name", "shop", "--rules", _rules(tmp_path, *refactors))
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr
    verified = run("verify", out, src)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    return out


def _by_name(objects: dict, kind: str, name: str) -> dict:
    return next(obj for ident, obj in objects.items() if ident[1] == kind and ident[3] == name)


def _checksum(out: Path, template: str, values: dict | None = None, release: str = "release") -> str:
    text = render.render_chart(out, values, release, "shop")[f"shop/{template}"]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


CHECKSUM_PAIRS = [
    ("env-configmap", "checksum-roll"),
    ("checksum-roll", "env-configmap"),
    ("env-credentials", "checksum-roll"),
    ("checksum-roll", "env-credentials"),
]


@pytest.mark.parametrize("order", CHECKSUM_PAIRS, ids="+".join)
def test_checksum_roll_with_the_env_moves_rolls_for_every_configuration(tmp_path: Path, order: tuple) -> None:
    out = _convert(tmp_path, SHOP, *order)
    pod = _by_name(render_objects(out, namespace="shop"), "Deployment", "web")["spec"]["template"]
    annotations = pod["metadata"]["annotations"]
    # the folder's own ConfigMap (checksum-roll) and the object the env move adds, each hashed
    assert annotations["checksum/web-config"] == _checksum(out, "templates/checksum/configmap-web-config.yaml")
    if "env-configmap" in order:
        template = "templates/checksum/configmap-web-env.yaml"
        before = annotations["checksum/web-env"]
        assert before == _checksum(out, template)
        changed = {"web": {"env": {"MODE": "slow"}}}
        texts = render.render_chart(out, changed, "release", "shop")
        objects = {i: o for i, (_, o) in render.rendered_objects(texts).items()}
        after = _by_name(objects, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"]
        assert after["checksum/web-env"] == _checksum(out, template, changed) != before
        assert _by_name(objects, "ConfigMap", "web-env")["data"]["MODE"] == "slow"
    else:
        assert annotations["checksum/web-credentials"] == _checksum(
            out, "templates/checksum/secret-web-credentials.yaml"
        )
        mine = render_objects(out, namespace="shop", values={"web": {"existingSecret": "mine"}})
        left = _by_name(mine, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"]
        assert "checksum/web-credentials" not in left and "checksum/web-config" in left


@pytest.mark.parametrize("order", [("statefulset", "checksum-roll"), ("checksum-roll", "statefulset")], ids="+".join)
def test_checksum_roll_with_statefulset_rolls_the_statefulset(tmp_path: Path, order: tuple) -> None:
    out = _convert(tmp_path, SHOP, *order)
    objects = render_objects(out, namespace="shop")
    db = _by_name(objects, "StatefulSet", "db")
    assert db["spec"]["serviceName"] == "db-headless"
    annotation = db["spec"]["template"]["metadata"]["annotations"]["checksum/db-init"]
    assert annotation == _checksum(out, "templates/checksum/configmap-db-init.yaml")


PRODUCTION = ("env-credentials", "env-configmap", "wait-for", "init-job-hooks", "statefulset")


def _release(out: Path, release: str, namespace: str = "shop") -> dict:
    return render_objects(out, release=release, namespace=namespace)


@pytest.mark.parametrize("names_first", [False, True], ids=["production-first", "release-names-first"])
@pytest.mark.parametrize("refactor", ["env-configmap", "env-credentials", "statefulset", "wait-for"])
def test_release_names_with_a_production_refactoring_renames_what_it_adds(
    tmp_path: Path, refactor: str, names_first: bool
) -> None:
    order = ("release-names", refactor) if names_first else (refactor, "release-names")
    out = _convert(tmp_path, {**SHOP, "job.yaml": JOB}, *order)
    objects = _release(out, "one")
    names = {ident[3] for ident in objects}
    assert all(name.startswith("one-") for name in names), names
    web = _by_name(objects, "Deployment", "one-web")["spec"]["template"]["spec"]
    if refactor == "env-configmap":
        assert web["containers"][0]["envFrom"] == [{"configMapRef": {"name": "one-web-env"}}]
        assert _by_name(objects, "ConfigMap", "one-web-env")["data"]["API_URL"] == "http://one-api:8080/v1"
    elif refactor == "env-credentials":
        env = {e["name"]: e for e in web["containers"][0]["env"]}
        assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "one-web-credentials"
        assert _by_name(objects, "Secret", "one-web-credentials")["stringData"] == {"DB_PASSWORD": "hunter2"}
        assert env["API_URL"]["value"] == "http://one-api:8080/v1"
    elif refactor == "statefulset":
        db = _by_name(objects, "StatefulSet", "one-db")
        assert db["spec"]["serviceName"] == "one-db-headless"
        assert "one-db-headless" in names
        volumes = {v["name"]: v for v in db["spec"]["template"]["spec"]["volumes"]}
        assert volumes == {"init": {"name": "init", "configMap": {"name": "one-db-init"}}}
    else:
        waits = {c["name"]: c["command"][5:] for c in web["initContainers"]}
        assert waits == {"wait-for-api": ["one-api", "8080"]}
    two = {ident[3] for ident in _release(out, "two")}
    assert not names & two  # two releases in one namespace stay apart


CONVENTIONS = ("standard-labels", "release-namespace", "checksum-roll", "release-names")


@pytest.mark.parametrize("conventions_first", [False, True], ids=["production-first", "conventions-first"])
def test_the_whole_production_pack_with_release_names_and_namespace(tmp_path: Path, conventions_first: bool) -> None:
    refactors = (*CONVENTIONS, *PRODUCTION) if conventions_first else (*PRODUCTION, *CONVENTIONS)
    out = _convert(tmp_path, {**SHOP, "job.yaml": JOB}, *refactors)
    objects = _release(out, "one", "elsewhere")
    assert {ident[2] for ident in objects} == {"elsewhere"}  # the headless Service too
    for ident, obj in objects.items():
        assert ident[3].startswith("one-"), ident
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == "one", ident
    web = _by_name(objects, "Deployment", "one-web")["spec"]["template"]
    assert web["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "one-web-env"}}]
    annotations = web["metadata"]["annotations"]
    assert set(annotations) == {"checksum/web-config", "checksum/web-env", "checksum/web-credentials"}
    job = _by_name(objects, "Job", "one-db-init")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][1] == "postgresql://one-db:5432/app"


def test_labels_and_namespace_after_production_reach_what_it_added_under_release_names(tmp_path: Path) -> None:
    """release-names first, so the objects production adds are named by the fullname helper; the
    labels and the namespace that come after still reach them (exit 1 before: not folded)."""
    out = _convert(
        tmp_path, {**SHOP, "job.yaml": JOB}, "release-names", *PRODUCTION, "standard-labels", "release-namespace"
    )
    objects = _release(out, "one", "elsewhere")
    assert {ident[2] for ident in objects} == {"elsewhere"}
    for ident, obj in objects.items():
        labels = obj["metadata"]["labels"]
        assert ident[3].startswith("one-") and labels["app.kubernetes.io/instance"] == "one", ident
    components = {
        ident[3]: obj["metadata"]["labels"].get("app.kubernetes.io/component") for ident, obj in objects.items()
    }
    assert components["one-web-env"] == components["one-web-credentials"] == components["one-web"] == "web"
    assert components["one-db-headless"] == components["one-db-init"] == "db"


def test_a_pair_that_works_in_one_order_only_names_the_order_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(combine.MUST_PRECEDE, "release-names", frozenset({"wait-for"}))
    src = write_tree(tmp_path / "src", SHOP)
    out = tmp_path / "chart"
    result = run("convert", src, out, "--rules", _rules(tmp_path, "release-names", "wait-for"))
    assert result.exit_code == 2, result.stderr
    assert "rule r-wait-for (refactor: wait-for" in result.stderr
    assert "must come before rule r-release-names" in result.stderr
    assert "internal error" not in result.stderr and not out.exists()
    assert run("convert", src, out, "--rules", _rules(tmp_path, "wait-for", "release-names")).exit_code == 0


def test_every_pair_the_table_once_held_works_in_either_order() -> None:
    assert combine.MUST_PRECEDE == {}
    assert not hasattr(combine, "NOT_REACHED") and not hasattr(combine, "SAME_CHANGE")


@pytest.mark.parametrize("order", [("init-hooks", "init-job-hooks"), ("init-job-hooks", "init-hooks")], ids="+".join)
def test_init_hooks_and_init_job_hooks_together_make_one_hook(tmp_path: Path, order: tuple) -> None:
    out = _convert(tmp_path, {**SHOP, "job.yaml": JOB}, *order)
    job = _by_name(render_objects(out, namespace="shop"), "Job", "db-init")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    # the first rule decides; the second finds a hook and leaves it as it is
    assert ("helm.sh/hook-weight" in annotations) == (order[0] == "init-job-hooks")


ENVS = FIXTURES / "environments"
FLTS_ENVS = ("--env", f"dev={ENVS / 'dev'}", "--env", f"prod={ENVS / 'prod'}")
FLTS = FIXTURES / ".kubernetes"


@pytest.mark.parametrize(
    "packs", [("conventions", "flts-production"), ("flts-production", "conventions")], ids="+".join
)
def test_flts_with_conventions_and_flts_production_converts_and_proves(tmp_path: Path, packs: tuple) -> None:
    out = tmp_path / "flts"
    args = ("--chart-name", "flts", "--rules", packs[0], "--rules", packs[1], *FLTS_ENVS)
    result = run("convert", FLTS, out, *args)
    assert result.exit_code == 0, result.stderr  # exit 2 before: the pairs were refused
    assert run("verify", out, FLTS, *FLTS_ENVS).exit_code == 0
    objects = _release(out, "one", "other")
    assert {ident[2] for ident in objects if not ident[1].startswith("Cluster")} == {"other"}
    assert all(ident[3].startswith("one-") for ident in objects), sorted(i[3] for i in objects)
    kafka = _by_name(objects, "StatefulSet", "one-kafka")
    assert kafka["spec"]["serviceName"] == "one-kafka-headless"
    headless = _by_name(objects, "Service", "one-kafka-headless")
    assert headless["metadata"]["labels"]["app.kubernetes.io/instance"] == "one"
    # the split-off objects are in their workload's component (no component label before)
    assert headless["metadata"]["labels"]["app.kubernetes.io/component"] == "kafka"
    configmap = _by_name(objects, "ConfigMap", "one-fastapi-app-env")
    owner = _by_name(objects, "Deployment", "one-fastapi-app")["metadata"]["labels"]["app.kubernetes.io/component"]
    assert configmap["metadata"]["labels"]["app.kubernetes.io/component"] == owner == "fastapi"
    fastapi = _by_name(objects, "Deployment", "one-fastapi-app")["spec"]["template"]
    refs = [s["configMapRef"]["name"] for c in fastapi["spec"]["containers"] for s in c.get("envFrom") or []]
    assert "one-fastapi-app-env" in refs and "one-fastapi-app-env" in {i[3] for i in objects}
    waits = [c["command"][5] for c in fastapi["spec"].get("initContainers") or [] if c["name"].startswith("wait-for-")]
    assert waits and all(host.startswith("one-") for host in waits)
    annotation = fastapi["metadata"]["annotations"]["checksum/fastapi-app-env"]
    text = render.render_chart(out, None, "one", "other")["flts/templates/checksum/configmap-fastapi-app-env.yaml"]
    assert annotation == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # a credential URL moved to the Secret env-credentials adds names the renamed Service
    mlflow = _by_name(objects, "Secret", "one-mlflow-credentials")["stringData"]["MLFLOW_BACKEND_STORE_URI"]
    assert "@one-postgres:5432/" in mlflow  # "@postgres:5432/" with production first before
    prod = yaml.safe_load((out / "values-prod.yaml").read_text())
    assert prod["grafana"]["existingSecret"] == "grafana-credentials"
