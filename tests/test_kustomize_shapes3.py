"""Kustomize overlays as teams write them: one folder per shape under ``kustomize_shapes3/``,
each a base and a dev and a prod overlay, converted with ``--env dev=... --env prod=...`` on
its own, with the Helm conventions and with the production pack. Every conversion must prove
itself for the base and both overlays, and ``verify`` must pass each of them.

These tests need ``kubectl`` (kustomize built in) or ``kustomize`` on PATH; they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import convert_ok, plain_build, render_objects, run, write_tree

from helmify_flts import kustomize, kyaml, proof

SHAPES_DIR = Path(__file__).parent / "kustomize_shapes3"
SHAPES = ("generators", "names", "images", "patches", "components", "labels", "replacements", "toggles")
PACKS = {
    "default": (),
    "conventions": ("--rules", "conventions"),
    "production": ("--rules", "production"),
    "conventions+production": ("--rules", "conventions", "--rules", "production"),
}


def env_args(shape: Path) -> list[str]:
    return [a for env in ("dev", "prod") for a in ("--env", f"{env}={shape / 'overlays' / env}")]


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def find(objects: dict, kind: str, name: str) -> dict:
    found = [obj for ident, obj in objects.items() if ident[1] == kind and ident[3] == name]
    assert len(found) == 1, sorted(objects)
    return found[0]


def convert_and_verify(shape: Path, chart: Path, *rules: str) -> None:
    convert_ok(shape / "base", chart, *env_args(shape), *rules)
    result = run("verify", chart, shape / "base", *env_args(shape))
    assert result.exit_code == 0, result.stdout + result.stderr
    for env in ("dev", "prod"):
        assert f"[{env}] verified" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shape converted once without refactorings, for the assertions on its values."""
    out = {}
    for shape in SHAPES:
        chart = tmp_path_factory.mktemp(shape) / "chart"
        convert_ok(SHAPES_DIR / shape / "base", chart, *env_args(SHAPES_DIR / shape))
        out[shape] = chart
    return out


@pytest.mark.parametrize("pack", sorted(PACKS))
@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_converts_and_verifies_for_base_dev_and_prod(tmp_path: Path, shape: str, pack: str) -> None:
    convert_and_verify(SHAPES_DIR / shape, tmp_path / "chart", *PACKS[pack])


@pytest.mark.parametrize("shape", SHAPES)
def test_each_environment_renders_what_kustomize_builds(charts: dict[str, Path], shape: str) -> None:
    # Against kustomize's own output, not the tool's build of it.
    chart = charts[shape]
    for folder, name in ((Path("base"), None), (Path("overlays/dev"), "dev"), (Path("overlays/prod"), "prod")):
        built = plain_build(SHAPES_DIR / shape / folder)
        env_values = values(chart, f"values-{name}.yaml") if name else None
        proven = proof.prove(chart, proof.Expected.sources(built), env_values)
        assert proven.ok, "\n".join(proven.describe())
        assert proven.compared == len(built.resources)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_converts_to_the_same_chart_again(charts: dict[str, Path], shape: str) -> None:
    result = run("convert", SHAPES_DIR / shape / "base", charts[shape], *env_args(SHAPES_DIR / shape), "--check")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_generators_switch_objects_whose_hash_changes_and_keep_unhashed_names(charts: dict[str, Path]) -> None:
    chart = charts["generators"]
    dev, prod = values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    built = {env: plain_build(SHAPES_DIR / "generators" / "overlays" / env) for env in ("dev", "prod")}
    dev_config = next(r.name for r in built["dev"].resources if r.name.startswith("api-config-"))
    # dev's merge gives api-config another hash: its own object, and the references follow.
    assert dev["apiConfig"]["configMap"]["enabled"] is False and dev["apiConfigDev"]["configMap"]["enabled"] is True
    assert dev["ordersApi"]["volumes"]["settings"]["configMap"]["name"] == dev_config
    # prod's generatorOptions drop the hash: the names are used whole.
    assert {"api-config", "feature-flags", "proxy-conf"} <= {r.name for r in built["prod"].resources}
    assert prod["featureFlags"]["configMap"]["enabled"] is True
    assert (chart / "files" / "prod" / "proxy-conf" / "nginx.conf").is_file()  # replaced, same name
    assert "base-pass" not in (chart / "helmify-report.md").read_text(encoding="utf-8")


def test_names_and_namespaces_of_one_overlay_switch_its_own_objects_on(charts: dict[str, Path]) -> None:
    chart = charts["names"]
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    assert {i[2] for i in prod} == {"catalog-prod"}
    assert ("apps", "Deployment", "catalog-prod", "eu1-catalog-v5") in prod
    binding = prod[("rbac.authorization.k8s.io", "RoleBinding", "catalog-prod", "eu1-catalog-reader-v5")]
    assert binding["roleRef"]["name"] == "eu1-catalog-reader-v5"
    assert binding["subjects"][0] == {"kind": "ServiceAccount", "name": "eu1-catalog-v5", "namespace": "catalog-prod"}
    dev = render_objects(chart, values=values(chart, "values-dev.yaml"))
    assert {i[2] for i in dev} == {"catalog-dev"} and ("apps", "Deployment", "catalog-dev", "catalog") in dev


def test_images_and_replicas_become_image_and_replica_values(charts: dict[str, Path]) -> None:
    chart = charts["images"]
    dev, prod = values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    assert dev["checkout"]["image"] == {"tag": "main-4f2a9c1"}
    assert dev["checkout"]["containers"]["envoy"]["image"]["repository"] == "mirror.acme.test/envoyproxy/envoy"
    assert dev["checkoutCache"]["image"] == {"repository": "mirror.acme.test/library/redis"}
    assert prod["checkout"]["replicas"] == 6 and prod["checkoutCache"]["replicas"] == 3
    assert prod["checkout"]["image"]["digest"].startswith("sha256:3b1f")
    redis = prod["checkoutCache"]["image"]
    assert (redis["repository"], redis["tag"]) == ("registry.acme.test/mirror/redis", "7.2.5")


def test_patches_add_and_leave_out_list_items_by_name(charts: dict[str, Path]) -> None:
    chart = charts["patches"]
    dev, prod = values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    assert dev["billingApi"]["containersItems"] == {"log-shipper": False}  # $patch: delete
    assert dev["billingWorker"]["extraEnvBefore"]["LOG_FORMAT"] == [{"name": "LOG_LEVEL", "value": "debug"}]
    assert dev["billingAdmin"]["service"]["type"] == "NodePort"
    assert prod["billingApi"]["envItems"] == {"LOG_FORMAT": False, "RETRIES": False}
    assert prod["billingApi"]["volumesItems"] == {"cache": False}
    assert [c["name"] for c in prod["billingApi"]["extraContainers"]] == ["metrics-exporter"]
    assert prod["billingAdmin"]["deployment"]["enabled"] is False  # deleted by a patch


def test_a_component_in_one_overlay_switches_its_objects_and_sidecar(charts: dict[str, Path]) -> None:
    chart = charts["components"]
    dev, prod = values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    assert prod["search"]["horizontalPodAutoscaler"]["enabled"] is True
    assert prod["search"]["podDisruptionBudget"]["enabled"] is True
    assert "horizontalPodAutoscaler" not in dev["search"]
    sidecars = dev["search"]["extraContainersBefore"]["search"]
    assert [c["name"] for c in sidecars] == ["otel-collector"]


def test_labels_and_annotations_per_overlay_reach_selectors_only_where_asked(charts: dict[str, Path]) -> None:
    chart = charts["labels"]
    dev = render_objects(chart, values=values(chart, "values-dev.yaml"))
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    dev_app, prod_app = find(dev, "Deployment", "notifier"), find(prod, "Deployment", "notifier")
    assert dev_app["spec"]["selector"]["matchLabels"] == {"app": "notifier"}  # includeSelectors false
    assert dev_app["metadata"]["labels"]["environment"] == "dev"
    assert prod_app["spec"]["selector"]["matchLabels"] == {"app": "notifier", "acme.io/tenant": "eu"}
    assert find(prod, "Service", "notifier")["spec"]["selector"] == {"app": "notifier", "acme.io/tenant": "eu"}
    assert prod_app["metadata"]["annotations"]["acme.io/oncall"] == "pagerduty-messaging"
    assert dev_app["metadata"]["annotations"]["acme.io/owner"] == "team-messaging-dev"


def test_a_label_an_overlay_adds_to_a_service_and_its_deployment_gets_a_key_for_each(charts: dict[str, Path]) -> None:
    # Both objects of the component have metadata.labels: the Service's keys go under its kind,
    # beside its other keys (service.annotations), never under a numbered label (environment2).
    prod = values(charts["labels"], "values-prod.yaml")["notifier"]
    assert prod["metadata"]["labels"] == {"environment": "prod", "acme.io/tenant": "eu"}
    assert prod["service"]["metadata"]["labels"] == {"environment": "prod", "acme.io/tenant": "eu"}
    assert prod["selector"] == {"matchLabels": {"acme.io/tenant": "eu"}}  # the Deployment's selector
    assert prod["service"]["selector"] == {"acme.io/tenant": "eu"}
    text = (charts["labels"] / "values-dev.yaml").read_text(encoding="utf-8")
    assert "environment2" not in text and "environment: dev" in text


def test_replacements_copy_names_and_values_into_env(charts: dict[str, Path]) -> None:
    chart = charts["replacements"]
    dev = render_objects(chart, values=values(chart, "values-dev.yaml"))
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    ledger = find(dev, "Deployment", "ledger")["spec"]["template"]
    env = {e["name"]: e["value"] for e in ledger["spec"]["containers"][0]["env"]}
    assert env["REGION"] == "us-east-2" and env["DB_HOST"] == "ledger-db"
    assert ledger["metadata"]["annotations"]["acme.io/region"] == "us-east-2"
    ledger = find(prod, "Deployment", "prod-ledger")["spec"]["template"]
    env = {e["name"]: e["value"] for e in ledger["spec"]["containers"][0]["env"]}
    assert env["DB_HOST"] == "prod-ledger-db" and env["REGION"] == "eu-west-1"


def test_resources_of_one_overlay_only_get_switches(charts: dict[str, Path]) -> None:
    chart = charts["toggles"]
    base, dev, prod = values(chart), values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    assert base["mailpit"]["deployment"]["enabled"] is False and dev["mailpit"]["deployment"]["enabled"] is True
    assert prod["thumbnailerFromGateway"]["networkPolicy"]["enabled"] is True
    assert prod["thumbnailerWorker"]["podDisruptionBudget"]["enabled"] is True
    assert "mailpit" not in prod and "thumbnailerFromGateway" not in dev


WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef: {name: web-config}
          volumeMounts:
            - {name: web-config, mountPath: /etc/web}
      volumes:
        - name: web-config
          configMap: {name: web-config}
"""
BASE_KUSTOMIZATION = """\
resources: [web.yaml]
configMapGenerator:
  - name: web-config
    literals: [MODE=base]
"""


def test_references_in_items_only_an_overlay_adds_follow_the_release_prefix(tmp_path: Path) -> None:
    # prod mounts and reads a ConfigMap only it generates, the volume named after it: those items
    # render from values (an extraVolumes item, the envFrom list read whole), and the release prefix
    # must reach the ConfigMap's name there, and only its name.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": BASE_KUSTOMIZATION,
            "base/web.yaml": WEB,
            "prod/kustomization.yaml": """\
resources: [../base]
configMapGenerator:
  - name: feature-flags
    literals: [checkout.v2=on]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/envFrom/-
        value: {configMapRef: {name: feature-flags}}
      - op: add
        path: /spec/template/spec/volumes/-
        value: {name: feature-flags, configMap: {name: feature-flags}}
      - op: add
        path: /spec/template/spec/containers/0/volumeMounts/-
        value: {name: feature-flags, mountPath: /etc/flags}
""",
        },
    )
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, "--env", f"prod={root / 'prod'}", "--rules", "conventions")
    result = run("verify", chart, root / "base", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    flags = next(r.name for r in plain_build(root / "prod").resources if r.name.startswith("feature-flags-"))
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    pod = find(prod, "Deployment", "release-web")["spec"]["template"]["spec"]
    volumes = {v["name"]: v["configMap"]["name"] for v in pod["volumes"]}
    assert volumes["feature-flags"] == f"release-{flags}"  # the volume keeps its own name
    assert pod["containers"][0]["envFrom"][1] == {"configMapRef": {"name": f"release-{flags}"}}
    assert find(prod, "ConfigMap", f"release-{flags}")["data"] == {"checkout.v2": "on"}


def test_a_service_whose_workload_an_overlay_deletes_keeps_the_instance_selector(tmp_path: Path) -> None:
    # One template renders the Service in every environment: the instance label its selector gets
    # where it selects the Deployment holds in prod too, where a patch deletes that Deployment; and a
    # disruption budget only prod has gives a worker no Service selects the label in every environment.
    worker = WEB.replace("web", "worker").replace(
        "          envFrom:\n            - configMapRef: {name: worker-config}\n", ""
    )
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [web.yaml, worker.yaml]\n",
            "base/web.yaml": WEB.split("          envFrom:")[0]
            + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
            "  ports: [{port: 80}]\n",
            "base/worker.yaml": worker.split("          volumeMounts:")[0],
            "prod/kustomization.yaml": """\
resources: [../base, pdb.yaml]
patches:
  - patch: |-
      $patch: delete
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
""",
            "prod/pdb.yaml": """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: worker}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: worker}
""",
        },
    )
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, "--env", f"prod={root / 'prod'}", "--rules", "conventions")
    result = run("verify", chart, root / "base", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    instance = {"app.kubernetes.io/instance": "release"}
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    assert find(prod, "Service", "release-web")["spec"]["selector"] == {"app": "web", **instance}
    assert find(prod, "PodDisruptionBudget", "release-worker")["spec"]["selector"]["matchLabels"] == {
        "app": "worker",
        **instance,
    }
    for objects in (prod, render_objects(chart)):
        labels = find(objects, "Deployment", "release-worker")["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "release"


BARE = WEB.split("          envFrom:")[0]
FLAGS_OVERLAY = """\
resources: [../base]
configMapGenerator:
  - name: flags
    literals: [CHECKOUT_V2=on]
    options: {disableNameSuffixHash: true}
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/envFrom
        value: [{configMapRef: {name: flags}}]
"""


@pytest.mark.parametrize("overlay_namespace", ["namespace: shop\n", ""], ids=["same-namespace", "no-namespace"])
def test_an_env_from_list_only_an_overlay_has_follows_the_release_prefix(
    tmp_path: Path, overlay_namespace: str
) -> None:
    # The whole envFrom list renders only where its values key is set; renaming inside it must not
    # render it (as null) where it is not. An overlay that forgets the base's namespace generates
    # the ConfigMap with none: it lands where the folder is applied, as the references read it.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "namespace: shop\nresources: [web.yaml]\n",
            "base/web.yaml": BARE,
            "prod/kustomization.yaml": overlay_namespace + FLAGS_OVERLAY,
        },
    )
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, "--env", f"prod={root / 'prod'}", "--rules", "conventions")
    result = run("verify", chart, root / "base", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (
        "envFrom"
        not in find(render_objects(chart), "Deployment", "release-web")["spec"]["template"]["spec"]["containers"][0]
    )
    prod = render_objects(chart, values=values(chart, "values-prod.yaml"))
    container = find(prod, "Deployment", "release-web")["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "release-flags"}}]


OPERATOR = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: operator}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: operator-read}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: operator, namespace: ops}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: operator
  labels: {app: operator}
spec:
  selector:
    matchLabels: {app: operator}
  template:
    metadata:
      labels: {app: operator}
    spec:
      serviceAccountName: operator
      containers:
        - name: operator
          image: quay.io/acme/operator:0.9.0
          env:
            - {name: API_URL, value: "https://api.acme.test"}
"""


def test_a_cluster_binding_naming_an_account_an_overlay_moves_keeps_that_name_there(tmp_path: Path) -> None:
    # dev moves everything namespaced to ops-dev; kustomize leaves the ClusterRoleBinding's subject
    # (namespace ops written out) as it is, naming an account dev does not deploy. One template
    # renders the binding in both folders: the release prefix only where the chart renders that
    # account.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "namespace: ops\nresources: [operator.yaml]\n",
            "base/operator.yaml": OPERATOR,
            "dev/kustomization.yaml": "namespace: ops-dev\nresources: [../base]\n",
        },
    )
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, "--env", f"dev={root / 'dev'}", "--rules", "conventions")
    result = run("verify", chart, root / "base", "--env", f"dev={root / 'dev'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    for objects, name in (
        (render_objects(chart), "release-operator"),
        (render_objects(chart, values=values(chart, "values-dev.yaml")), "operator"),
    ):
        assert find(objects, "ClusterRoleBinding", "release-operator-read")["subjects"][0]["name"] == name


def test_a_url_naming_a_service_an_overlay_deletes_keeps_its_host_there(tmp_path: Path) -> None:
    # prod deletes the backend and its Service (a managed one runs outside the cluster) but keeps
    # an argument naming it: there the host is not the chart's Service, so it keeps its name.
    backend = BARE.replace("web", "backend") + (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: backend}\nspec:\n"
        "  selector: {app: backend}\n  ports: [{port: 8080}]\n"
    )
    frontend = BARE.replace("image: nginx:1.27\n", 'image: nginx:1.27\n          args: ["--upstream=backend:8080"]\n')
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [frontend.yaml, backend.yaml]\n",
            "base/frontend.yaml": frontend,
            "base/backend.yaml": backend,
            "prod/kustomization.yaml": """\
resources: [../base]
patches:
  - patch: |-
      $patch: delete
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: backend}
  - patch: |-
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata: {name: backend}
""",
        },
    )
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, "--env", f"prod={root / 'prod'}", "--rules", "conventions")
    result = run("verify", chart, root / "base", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    for objects, host in (
        (render_objects(chart), "release-backend"),
        (render_objects(chart, values=values(chart, "values-prod.yaml")), "backend"),
    ):
        container = find(objects, "Deployment", "release-web")["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [f"--upstream={host}:8080"]


SHARED = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared-settings}\ndata: {REGION: eu}\n"


@pytest.mark.parametrize("base_sources", [False, True], ids=["added", "extended"])
@pytest.mark.parametrize(
    "packs", [("production",), ("conventions", "production"), ("production", "conventions")], ids="+".join
)
def test_env_values_moved_into_a_config_map_follow_the_env_from_an_overlay_adds(
    tmp_path: Path, packs: tuple[str, ...], base_sources: bool
) -> None:
    # prod reads its own generated Secret with envFrom (a list the base has not, or one more item of
    # the base's); env-configmap reads the ConfigMap of the literal env values after those sources.
    # The chart must render one envFrom list: the sources values give, then the ConfigMap.
    operator = OPERATOR
    if base_sources:
        operator = (
            OPERATOR.replace(
                "          env:\n",
                "          envFrom:\n            - configMapRef: {name: shared-settings}\n          env:\n",
            )
            + SHARED
        )
    target = "/spec/template/spec/containers/0/envFrom" + ("/-" if base_sources else "")
    value = (
        "{secretRef: {name: operator-credentials}}" if base_sources else "[{secretRef: {name: operator-credentials}}]"
    )
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "namespace: ops\nresources: [operator.yaml]\n",
            "base/operator.yaml": operator,
            "prod/kustomization.yaml": f"""\
namespace: ops
resources: [../base]
secretGenerator:
  - name: operator-credentials
    literals: [API_TOKEN=prod-only-value]
patches:
  - target: {{kind: Deployment, name: operator}}
    patch: |-
      - op: add
        path: {target}
        value: {value}
""",
        },
    )
    chart = tmp_path / "chart"
    rules = [a for pack in packs for a in ("--rules", pack)]
    convert_ok(root / "base", chart, "--env", f"prod={root / 'prod'}", *rules)
    result = run("verify", chart, root / "base", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stdout + result.stderr
    prefix = "release-" if "conventions" in packs else ""
    secret = next(r.name for r in plain_build(root / "prod").resources if r.kind == "Secret")
    shared = [{"configMapRef": {"name": prefix + "shared-settings"}}] if base_sources else []
    moved = {"configMapRef": {"name": prefix + "operator-env"}}
    for objects, sources in (
        (render_objects(chart), shared),
        (
            render_objects(chart, values=values(chart, "values-prod.yaml")),
            [*shared, {"secretRef": {"name": prefix + secret}}],
        ),
    ):
        container = find(objects, "Deployment", prefix + "operator")["spec"]["template"]["spec"]["containers"][0]
        assert container["envFrom"] == [*sources, moved]


def test_a_kustomize_crash_is_said_in_one_line_with_the_step_and_what_avoids_it(tmp_path: Path) -> None:
    # kustomize v5.5 panics on a patch file of several "$patch: delete" documents; its goroutine
    # dump is no message for a user.
    err = tmp_path / "err"
    err.write_text(
        "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead.\n"
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x40 pc=0x15c47c5]\n\n"
        "goroutine 1 [running]:\n"
        "sigs.k8s.io/kustomize/kyaml/yaml.(*RNode).Content(...)\n"
        "sigs.k8s.io/kustomize/api/internal/builtins.(*PatchTransformerPlugin).transformStrategicMerge(0x8?)\n"
        "\tsigs.k8s.io/kustomize/api@v0.18.0/internal/builtins/PatchTransformer.go:112 +0x2e3\n",
        encoding="utf-8",
    )
    message = kustomize._message(err)
    assert message.startswith("kustomize crashed in its PatchTransformer step (runtime error: invalid memory")
    assert "give each its own patch" in message
    assert "goroutine" not in message and "Warning" not in message and "\n" not in message


def test_an_overlay_whose_base_kustomization_is_not_yaml_names_that_base(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [web.yaml]\nimages:\n  - {name: nginx, newTag: [1}\n",
            "base/web.yaml": BARE,
            "good/kustomization.yaml": "resources: [web.yaml]\n",
            "good/web.yaml": BARE,
            "prod/kustomization.yaml": "resources: [../base]\n",
        },
    )
    chart = tmp_path / "chart"
    result = run("convert", root / "good", chart, "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 2 and not chart.exists()
    message = result.stderr.strip()
    assert message.startswith(f"error: {(root / 'prod').as_posix()}/kustomization.yaml: [prod] ")
    assert "../base (" in message and "invalid Kustomization: yaml: line 2" in message
    assert "must resolve to a file" not in message and "Traceback" not in message
