"""Environments: one chart plus values-<env>.yaml that reproduces each environment's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, assert_reproduces, run, write_tree

from helmify_flts import kyaml

BASE = FIXTURES / ".kubernetes"
DEV = FIXTURES / "environments" / "dev"
PROD = FIXTURES / "environments" / "prod"


def load_values(path: Path) -> dict:
    return kyaml.load_all(path.read_text(encoding="utf-8"))[0] or {}


def flatten(tree: dict, prefix: tuple = ()) -> dict[tuple, object]:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, prefix + (key,)))
        else:
            out[prefix + (key,)] = value
    return out


@pytest.fixture(scope="module")
def flts_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("envs") / "flts"
    result = run("convert", BASE, out, "--rules", "rules/flts.yaml", "--env", f"dev={DEV}", "--env", f"prod={PROD}")
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.parametrize("env,folder", [("dev", DEV), ("prod", PROD)])
def test_each_environment_renders_its_manifests(flts_chart: Path, env: str, folder: Path) -> None:
    assert_reproduces(flts_chart, folder, load_values(flts_chart / f"values-{env}.yaml"))


def test_base_still_renders_with_default_values(flts_chart: Path) -> None:
    assert_reproduces(flts_chart, BASE)


def test_overlays_hold_only_differences(flts_chart: Path) -> None:
    base = flatten(load_values(flts_chart / "values.yaml"))
    for env in ("dev", "prod"):
        overlay = flatten(load_values(flts_chart / f"values-{env}.yaml"))
        assert overlay, env
        same = [k for k, v in overlay.items() if k in base and base[k] == v and not isinstance(v, dict)]
        assert same == [], f"{env} repeats base values: {same[:5]}"


def test_seed_differences_land_under_readable_keys(flts_chart: Path) -> None:
    dev = load_values(flts_chart / "values-dev.yaml")
    prod = load_values(flts_chart / "values-prod.yaml")
    assert dev["train"]["gru"]["training"]["epochs"] == "5"
    assert dev["inference"]["horizontalPodAutoscaler"]["enabled"] is False
    assert prod["inference"]["replicas"] == 4
    assert prod["inference"]["autoscaling"]["minReplicas"] == 4
    assert prod["postgres"]["persistence"]["storageClass"] == "premium-retain"
    assert prod["postgres"]["networkPolicy"]["enabled"] is True


def test_verify_accepts_environments(flts_chart: Path) -> None:
    ok = run("verify", flts_chart, BASE, "--env", f"dev={DEV}", "--env", f"prod={PROD}")
    assert ok.exit_code == 0
    assert "[prod] verified" in ok.stderr
    wrong = run("verify", flts_chart, BASE, "--env", f"dev={PROD}")
    assert wrong.exit_code == 1
    assert "[dev]" in wrong.stdout and "spec.replicas" in wrong.stdout


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - name: MODE
              value: "base"
          ports:
            - containerPort: 80
              name: http
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: http
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
"""


def make_envs(tmp: Path, variants: dict[str, dict[str, str]]) -> dict[str, Path]:
    return {name: write_tree(tmp / name, files) for name, files in variants.items()}


def convert_envs(tmp: Path, folders: dict[str, Path]) -> Path:
    out = tmp / "chart"
    args = ["convert", folders["base"], out]
    for name, folder in folders.items():
        if name != "base":
            args += ["--env", f"{name}={folder}"]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    for name, folder in folders.items():
        values = None if name == "base" else load_values(out / f"values-{name}.yaml")
        assert_reproduces(out, folder, values)
    return out


def test_environment_that_adds_and_one_that_removes_a_resource(tmp_path: Path) -> None:
    folders = make_envs(
        tmp_path,
        {
            "base": {"web.yaml": DEPLOY, "svc.yaml": SERVICE},
            "prod": {"web.yaml": DEPLOY, "svc.yaml": SERVICE, "hpa.yaml": HPA},
            "dev": {"web.yaml": DEPLOY},
        },
    )
    out = convert_envs(tmp_path, folders)
    base = load_values(out / "values.yaml")
    assert base["web"]["horizontalPodAutoscaler"]["enabled"] is False
    assert load_values(out / "values-prod.yaml")["web"]["horizontalPodAutoscaler"]["enabled"] is True
    assert load_values(out / "values-dev.yaml")["web"]["service"]["enabled"] is False


def test_list_differences_extra_env_var_and_extra_port(tmp_path: Path) -> None:
    extra_env = '            - name: EXTRA\n              value: "1"\n'
    extra_port = "            - containerPort: 9100\n              name: metrics\n"
    extra = DEPLOY.replace('              value: "base"\n', '              value: "base"\n' + extra_env)
    extra = extra.replace("              name: http\n", "              name: http\n" + extra_port)
    assert extra != DEPLOY
    folders = make_envs(tmp_path, {"base": {"web.yaml": DEPLOY}, "prod": {"web.yaml": extra}})
    out = convert_envs(tmp_path, folders)
    prod = load_values(out / "values-prod.yaml")
    # Items added at the end stay separate: the base's own env keys remain per variable.
    assert prod["web"]["extraEnv"] == [{"name": "EXTRA", "value": "1"}]
    assert prod["web"]["extraPorts"] == [{"containerPort": 9100, "name": "metrics"}]
    assert load_values(out / "values.yaml")["web"]["env"]["MODE"] == "base"


def test_items_inserted_before_others_get_a_key_per_place(tmp_path: Path) -> None:
    middle = DEPLOY.replace("          env:\n", '          env:\n            - name: FIRST\n              value: "0"\n')
    middle = middle.replace('value: "base"', 'value: "prod"')
    assert middle != DEPLOY
    folders = make_envs(tmp_path, {"base": {"web.yaml": DEPLOY}, "prod": {"web.yaml": middle}})
    out = convert_envs(tmp_path, folders)
    prod = load_values(out / "values-prod.yaml")["web"]
    assert prod["extraEnvBefore"]["MODE"] == [{"name": "FIRST", "value": "0"}]
    assert prod["env"]["MODE"] == "prod"  # the base's own variable keeps its own key


def test_a_list_whose_items_are_removed_or_reordered_is_lifted_whole(tmp_path: Path) -> None:
    b_var = '            - name: B\n              value: "b"\n'
    two = DEPLOY.replace('              value: "base"\n', '              value: "base"\n' + b_var)
    swapped = DEPLOY.replace("          env:\n", "          env:\n" + b_var)
    folders = make_envs(
        tmp_path, {"base": {"web.yaml": two}, "dev": {"web.yaml": DEPLOY}, "prod": {"web.yaml": swapped}}
    )
    out = convert_envs(tmp_path, folders)
    dev = load_values(out / "values-dev.yaml")["web"]["env"]
    assert [e["name"] for e in dev] == ["MODE"]


def test_difference_in_a_field_no_rule_covers_is_lifted_and_reported(tmp_path: Path) -> None:
    grace = DEPLOY.replace(
        "    spec:\n      containers:", "    spec:\n      terminationGracePeriodSeconds: 60\n      containers:"
    )
    probe = DEPLOY.replace("          image: nginx:1.27\n", "          image: nginx:1.27\n          workingDir: /srv\n")
    folders = make_envs(tmp_path, {"base": {"web.yaml": probe}, "prod": {"web.yaml": grace}})
    out = convert_envs(tmp_path, folders)
    prod = flatten(load_values(out / "values-prod.yaml"))
    assert prod[("web", "terminationGracePeriodSeconds")] == 60
    assert prod[("web", "workingDir")] is None
    report = (out / "helmify-report.md").read_text()
    assert "Environment `prod`" in report and "lifted automatically" in report


def test_a_scalar_that_differs_keeps_its_type_in_each_environment(tmp_path: Path) -> None:
    yes = DEPLOY.replace('value: "base"', 'value: "yes"')
    on = DEPLOY.replace('value: "base"', 'value: "0755"')
    folders = make_envs(tmp_path, {"base": {"web.yaml": DEPLOY}, "dev": {"web.yaml": yes}, "prod": {"web.yaml": on}})
    out = convert_envs(tmp_path, folders)
    assert load_values(out / "values-dev.yaml")["web"]["env"]["MODE"] == "yes"
    assert load_values(out / "values-prod.yaml")["web"]["env"]["MODE"] == "0755"


def test_bad_env_option_is_a_usage_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "base", {"web.yaml": DEPLOY})
    for bad in ("prod", "Prod=x", f"prod={tmp_path / 'missing'}"):
        result = run("convert", src, tmp_path / "out", "--env", bad)
        assert result.exit_code == 2
        assert result.stderr.startswith("error:")
        assert not (tmp_path / "out").exists()


CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, labels: {app: web}}
data:
  TZ: UTC
  app.conf: |
    a=1
    b=2
"""


def test_differences_a_rule_declines_are_lifted_automatically(tmp_path: Path) -> None:
    # data.TZ is one line, so the file rule declines it; app.conf becomes one line in prod.
    prod_config = CONFIG.replace("TZ: UTC", "TZ: Europe/Berlin").replace("    a=1\n    b=2\n", "    a=1\n")
    prod_config = prod_config.replace("app.conf: |", "app.conf: |-")
    folders = make_envs(
        tmp_path,
        {"base": {"web.yaml": DEPLOY, "cm.yaml": CONFIG}, "prod": {"web.yaml": DEPLOY, "cm.yaml": prod_config}},
    )
    out = convert_envs(tmp_path, folders)
    prod = load_values(out / "values-prod.yaml")["web"]
    assert prod["data"]["TZ"] == "Europe/Berlin"
    assert (out / prod["files"]["app.conf"]).read_text() == "a=1"


def test_a_field_in_an_empty_map_is_lifted_with_its_map(tmp_path: Path) -> None:
    vol = "      volumes:\n        - name: scratch\n          emptyDir: {}\n"
    base = DEPLOY + vol
    prod = DEPLOY + vol.replace("emptyDir: {}", "emptyDir: {sizeLimit: 1Gi}")
    folders = make_envs(tmp_path, {"base": {"web.yaml": base}, "prod": {"web.yaml": prod}})
    convert_envs(tmp_path, folders)


def test_colliding_container_keys_do_not_borrow_each_others_values(tmp_path: Path) -> None:
    sidecars = (
        "        - name: log_shipper\n          image: fluent/fluent-bit:3.0\n"
        "        - name: Log-Shipper\n          image: fluent/fluent-bit:3.1\n"
    )
    base = DEPLOY.replace(
        "          ports:\n            - containerPort: 80\n              name: http\n",
        "          ports:\n            - containerPort: 80\n              name: http\n" + sidecars,
    )
    dev = base.replace("fluent-bit:3.1", "fluent-bit:3.1.1")
    folders = make_envs(tmp_path, {"base": {"web.yaml": base}, "dev": {"web.yaml": dev}})
    convert_envs(tmp_path, folders)


def test_a_sidecar_inserted_before_the_main_container_with_its_env_changed(tmp_path: Path) -> None:
    sidecar = "        - name: proxy\n          image: envoyproxy/envoy:v1.30\n"
    dev = DEPLOY.replace("      containers:\n", "      containers:\n" + sidecar)
    dev = dev.replace(
        '              value: "base"\n',
        '              value: "base"\n            - name: NEW\n              value: "x"\n',
    )
    folders = make_envs(tmp_path, {"base": {"web.yaml": DEPLOY}, "dev": {"web.yaml": dev}})
    convert_envs(tmp_path, folders)


def test_a_changed_argument_lifts_the_argument_list(tmp_path: Path) -> None:
    image = "          image: nginx:1.27\n"
    args = DEPLOY.replace(image, image + '          args: [--workers, "2"]\n')
    dev = args.replace('"2"]', '"1"]')
    folders = make_envs(tmp_path, {"base": {"web.yaml": args}, "dev": {"web.yaml": dev}})
    out = convert_envs(tmp_path, folders)
    assert load_values(out / "values-dev.yaml")["web"]["args"] == ["--workers", "1"]


def test_an_item_left_out_by_an_environment_gets_a_switch(tmp_path: Path) -> None:
    b_var = '            - name: B\n              value: "b"\n'
    base = DEPLOY.replace('              value: "base"\n', '              value: "base"\n' + b_var)
    extra = '            - name: C\n              value: "c"\n'
    prod = DEPLOY.replace('              value: "base"\n', '              value: "base"\n' + extra)  # no B, adds C
    folders = make_envs(tmp_path, {"base": {"web.yaml": base}, "dev": {"web.yaml": DEPLOY}, "prod": {"web.yaml": prod}})
    out = convert_envs(tmp_path, folders)
    assert load_values(out / "values.yaml")["web"]["envItems"]["B"] is True
    dev = load_values(out / "values-dev.yaml")["web"]
    assert dev == {"envItems": {"B": False}}
    prod_values = load_values(out / "values-prod.yaml")["web"]
    assert prod_values["envItems"] == {"B": False}
    assert prod_values["extraEnv"] == [{"name": "C", "value": "c"}]


def test_an_env_var_switching_to_value_from_keeps_its_name(tmp_path: Path) -> None:
    """A variable that is a value in one environment and read from a Secret or ConfigMap in another
    is keyed by its own name in both places: env.LOG_LEVEL for the value, envValueFrom.LOG_LEVEL
    for where it is read from (not a camel-cased logLEVEL.valueFrom under env)."""
    base = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/x/api:1
          env:
            - {name: LOG_LEVEL, value: debug}
      initContainers:
        - name: migrate
          image: ghcr.io/x/migrate:1
          env:
            - {name: DB_URL, value: "postgresql://db:5432/app"}
"""
    prod = base.replace(
        "{name: LOG_LEVEL, value: debug}", "{name: LOG_LEVEL, valueFrom: {configMapKeyRef: {name: s, key: level}}}"
    )
    prod = prod.replace('value: "postgresql://db:5432/app"', "valueFrom: {secretKeyRef: {name: db, key: url}}")
    src = write_tree(tmp_path / "base", {"api.yaml": base})
    prod_dir = write_tree(tmp_path / "prod", {"api.yaml": prod})
    out = tmp_path / "chart"
    result = run("convert", src, out, "--env", f"prod={prod_dir}")
    assert result.exit_code == 0, result.stderr
    values = load_values(out / "values-prod.yaml")["api"]
    assert values["envValueFrom"]["LOG_LEVEL"] == {"configMapKeyRef": {"name": "s", "key": "level"}}
    assert values["env"]["LOG_LEVEL"] is None
    assert "logLEVEL" not in values["env"]
    assert flatten(values)[("initContainers", "migrate", "envValueFrom", "DB_URL", "secretKeyRef", "key")] == "url"
    assert_reproduces(out, prod_dir, load_values(out / "values-prod.yaml"))
    assert_reproduces(out, src)
