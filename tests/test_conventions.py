"""The conventions pack: each refactoring renders what chart authors expect, and the whole pack
converts and proves every manifest folder of the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, convert_ok, run

from helmify_flts import render

CASES = ROOT / "tests" / "cases"


def _objects(chart: Path, release: str = "release", namespace: str = "default", values: dict | None = None) -> dict:
    texts = render.render_chart(chart, values, release, namespace)
    return {ident: obj for ident, (_, obj) in render.rendered_objects(texts).items()}


def _convert_case(case: str, tmp_path: Path, *extra: str) -> Path:
    folder = CASES / case
    out = tmp_path / case
    rules = [arg for f in sorted((folder / "rules").glob("*.yaml")) for arg in ("--rules", f)]
    convert_ok(folder / "input", out, "--chart-name", case, *rules, *extra)
    return out


def test_standard_labels_on_metadata_and_pod_templates_never_selectors(tmp_path: Path) -> None:
    chart = _convert_case("refactor-standard-labels", tmp_path)
    objects = _objects(chart, release="shop")
    web = objects[("apps", "Deployment", "", "web")]
    assert web["metadata"]["labels"]["app.kubernetes.io/instance"] == "shop"
    assert web["metadata"]["labels"]["app.kubernetes.io/name"] == "storefront"  # the source's own, kept
    assert web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert "helm.sh/chart" not in web["metadata"]["labels"]  # skipped by the rule's option
    cron = objects[("batch", "CronJob", "", "report")]
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"] == "shop"
    assert objects[("", "Service", "", "web")]["spec"]["selector"] == {"app": "web"}


def test_release_namespace_follows_helm_install_n(tmp_path: Path) -> None:
    chart = _convert_case("refactor-release-namespace", tmp_path)
    data = json.loads((chart / "helmify-report.json").read_text())
    assert data["proof"] == {"release": "release", "namespace": "shop"}
    assert [(r["kind"], r["name"], r["rule"]) for r in data["removed"]] == [("Namespace", "shop", "namespace")]
    objects = _objects(chart, namespace="other")
    assert {i[2] for i in objects if i[1] != "Namespace"} == {"other"}
    assert not any(i[1] == "Namespace" for i in objects)  # namespace.create is off by default
    web = objects[("apps", "Deployment", "other", "web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["args"] == ["--broker", "kafka.other.svc:9092"]
    env = {e["name"]: e["value"] for e in web["env"]}
    assert env == {"DB_HOST": "db.other.svc.cluster.local:5432", "OTHER_HOST": "metrics.monitoring.svc:9090"}
    config = objects[("", "ConfigMap", "other", "web-config")]["data"]["app.yaml"]
    assert "db.other.svc:5432" in config and "kafka.other.svc:9092" in config and ".shop." not in config
    binding = objects[("rbac.authorization.k8s.io", "RoleBinding", "other", "web")]
    assert binding["subjects"][0]["namespace"] == "other"
    created = _objects(chart, namespace="other", values={"namespace": {"create": True}})
    assert ("", "Namespace", "", "other") in created


def test_a_value_set_per_environment_still_follows_the_namespace(tmp_path: Path) -> None:
    chart = _convert_case("refactor-release-namespace", tmp_path)
    values = {"web": {"env": {"DB_HOST": "db.shop.svc:6432"}}}
    web = _objects(chart, namespace="qa", values=values)[("apps", "Deployment", "qa", "web")]
    assert {e["name"]: e["value"] for e in web["spec"]["template"]["spec"]["containers"][0]["env"]}["DB_HOST"] == (
        "db.qa.svc:6432"
    )


def test_replicas_render_only_while_autoscaling_is_off(tmp_path: Path) -> None:
    folder = CASES / "refactor-autoscaling-replicas"
    chart = _convert_case("refactor-autoscaling-replicas", tmp_path, "--env", f"prod={folder / 'envs' / 'prod'}")
    data = json.loads((chart / "helmify-report.json").read_text())
    api = next(r for r in data["resources"] if r["kind"] == "Deployment" and r["name"] == "api")
    assert api["changes"] == [{"op": "remove", "path": "/spec/replicas"}]
    worker = next(
        r for r in data["environments"]["prod"]["resources"] if r["name"] == "worker" and r["kind"] == "Deployment"
    )
    assert worker["changes"] == [{"op": "remove", "path": "/spec/replicas"}]
    objects = _objects(chart)
    assert "replicas" not in objects[("apps", "Deployment", "", "api")]["spec"]
    assert objects[("apps", "Deployment", "", "worker")]["spec"]["replicas"] == 3  # no autoscaler in base
    off = _objects(chart, values={"api": {"autoscaling": {"enabled": False}}})
    assert off[("apps", "Deployment", "", "api")]["spec"]["replicas"] == 2
    assert ("autoscaling", "HorizontalPodAutoscaler", "", "api") not in off
    prod = _objects(chart, values=render.load_values_file(chart / "values-prod.yaml"))
    assert "replicas" not in prod[("apps", "Deployment", "", "worker")]["spec"]


def test_one_shot_jobs_become_hooks_and_a_declared_hook_stays(tmp_path: Path) -> None:
    chart = _convert_case("refactor-init-hooks", tmp_path)
    objects = _objects(chart)
    annotations = objects[("batch", "Job", "", "db-migrate")]["metadata"]["annotations"]
    assert annotations == {
        "helm.sh/hook": "post-install,post-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation",
    }
    assert objects[("batch", "Job", "", "bucket-init")]["metadata"]["annotations"] == {"helm.sh/hook": "pre-install"}
    assert "annotations" not in objects[("batch", "Job", "", "nightly-report")]["metadata"]


def test_pods_roll_with_the_rendered_configuration_they_read(tmp_path: Path) -> None:
    import hashlib

    chart = _convert_case("refactor-checksum-roll", tmp_path)
    texts = render.render_chart(chart)
    objects = {ident: obj for ident, (_, obj) in render.rendered_objects(texts).items()}

    def digest(path: str) -> str:
        return hashlib.sha256(texts[f"refactor-checksum-roll/templates/checksum/{path}"].encode()).hexdigest()

    web = objects[("apps", "Deployment", "", "web")]["spec"]["template"]["metadata"]["annotations"]
    assert web == {
        "prometheus.io/scrape": "true",  # the pod's own annotation, kept
        "checksum/web-config": digest("configmap-web-config.yaml"),
        "checksum/web-creds": digest("secret-web-creds.yaml"),
    }  # no checksum of managed-elsewhere: the chart does not have it
    worker = objects[("apps", "Deployment", "", "worker")]["spec"]["template"]["metadata"]["annotations"]
    assert worker == {"checksum/web-config": digest("configmap-web-config.yaml")}
    data = json.loads((chart / "helmify-report.json").read_text())
    assert "hunter2" not in json.dumps(data)
    config = next(r for r in data["resources"] if r["name"] == "web-config")
    assert config["template"] == "templates/checksum/configmap-web-config.yaml"
    changed = render.render_chart(chart, {"webCreds": {"existingSecret": "theirs"}})
    assert "checksum/web-creds" in changed["refactor-checksum-roll/templates/web.yaml"]


def test_notes_say_how_to_reach_what_renders(tmp_path: Path) -> None:
    chart = _convert_case("refactor-notes", tmp_path)
    notes = render.render_chart(chart, None, "shop", "prod")["refactor-notes/templates/NOTES.txt"]
    assert "kubectl port-forward -n prod svc/web 80:80" in notes
    assert "Service api (NodePort)" in notes and "Service lb (LoadBalancer)" in notes
    assert "Ingress site: https://shop.example.com/" in notes
    off = render.render_chart(chart, {"api": {"enabled": False}}, "shop", "prod")["refactor-notes/templates/NOTES.txt"]
    assert "Service api" not in off


def test_release_names_follow_every_reference_and_warn_about_the_unprovable(tmp_path: Path) -> None:
    folder = CASES / "refactor-release-names"
    out = tmp_path / "chart"
    result = run("convert", folder / "input", out, "--rules", folder / "rules" / "names.yaml", "--chart-name", "c")
    assert result.exit_code == 0
    assert "args/3: 'kafka' is the name of a Service the release renames" in result.stderr  # --group kafka
    assert "env/1/value: 'mlflow' is the name of a Service" in result.stderr  # CONSUMER_GROUP=mlflow
    data = json.loads((out / "helmify-report.json").read_text())
    api = next(r for r in data["resources"] if (r["kind"], r["name"]) == ("Deployment", "api"))
    assert api["renderedAs"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "", "name": "release-api"}
    objects = _objects(out, release="shop")
    spec = objects[("apps", "Deployment", "", "shop-api")]["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert spec["serviceAccountName"] == "shop-api"
    assert spec["volumes"][0]["persistentVolumeClaim"]["claimName"] == "shop-api-data"
    assert container["args"] == ["--broker", "shop-kafka:9092", "--group", "kafka"]
    env = {e["name"]: e for e in container["env"]}
    assert env["TRACKING_URI"]["value"] == "http://shop-mlflow:5000"
    assert env["CONSUMER_GROUP"]["value"] == "mlflow"
    assert env["TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "shop-api-creds"
    assert container["envFrom"][0]["configMapRef"]["name"] == "shop-api-config"
    config = objects[("", "ConfigMap", "", "shop-api-config")]["data"]["app.properties"]
    assert "broker=shop-kafka:9092" in config and "tracking=http://shop-mlflow:5000/api" in config
    binding = objects[("rbac.authorization.k8s.io", "RoleBinding", "", "shop-api-reader")]
    assert binding["roleRef"]["name"] == "shop-api-reader" and binding["subjects"][0]["name"] == "shop-api"
    hpa = objects[("autoscaling", "HorizontalPodAutoscaler", "", "shop-api")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "shop-api"
    ingress = objects[("networking.k8s.io", "Ingress", "", "shop-api")]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "shop-api"
    assert ingress["spec"]["tls"][0]["secretName"] == "api-tls"  # not the chart's: not renamed
    theirs = _objects(out, release="shop", values={"api": {"existingSecret": "vault-api"}})
    theirs_env = theirs[("apps", "Deployment", "", "shop-api")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["name"]: e for e in theirs_env}["TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "vault-api"


def test_two_flts_releases_in_one_namespace_are_apart(tmp_path: Path) -> None:
    from helmify_flts.references import find_references

    out = tmp_path / "helm"
    convert_ok(ROOT / "fixtures/.kubernetes", out, "--rules", "conventions", "--rules", ROOT / "rules/flts.yaml")
    releases = {name: _objects(out, release=name, namespace="flts") for name in ("alpha", "beta")}
    names = {name: {(i[1], i[3]) for i in objects} for name, objects in releases.items()}
    assert names["alpha"] and not names["alpha"] & names["beta"]
    for name, objects in releases.items():
        # Beside the release's own objects, the unprefixed Services: a host name left behind would find them.
        bare = {
            ("", "Service", i[2], i[3].removeprefix(f"{name}-")): o for i, o in objects.items() if i[1] == "Service"
        }
        hosts = [r for r in find_references({**bare, **objects}) if r.via == "host" and r.source in objects]
        assert hosts and all(r.target_name.startswith(f"{name}-") for r in hosts), [
            (r.source[3], r.target_name) for r in hosts if not r.target_name.startswith(f"{name}-")
        ]
        # Each Service selects only its own release's pods: the instance label is in its selector.
        selectors = [
            o["spec"]["selector"] for i, o in objects.items() if i[1] == "Service" and o["spec"].get("selector")
        ]
        assert selectors and all(s["app.kubernetes.io/instance"] == name for s in selectors)


FOLDERS = sorted(
    [ROOT / "fixtures" / ".kubernetes"]
    + [p / "input" for p in CASES.iterdir() if (p / "input").is_dir() and not (p / "rules").is_dir()]
)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.parent.name if p.name == "input" else p.name)
def test_the_pack_converts_and_proves_every_manifest_folder(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart"
    envs = sorted(p for p in (folder.parent / "envs").glob("*") if p.is_dir()) if folder.name == "input" else []
    env_args = [arg for env in envs for arg in ("--env", f"{env.name}={env}")]
    convert_ok(folder, out, "--rules", "conventions", "--chart-name", "chart", *env_args)
    assert run("verify", out, folder, *env_args, "-q").exit_code == 0
