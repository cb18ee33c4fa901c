"""An Ingress joins the component of the Services it routes to; an overlay that leaves objects
without the namespace the rest of its folder has is named in a warning.

The kustomize tests need ``kubectl`` (kustomize built in) or ``kustomize`` on PATH; they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_reproduces, convert_ok, run, write_tree

from helmify_flts import components, kyaml, manifests, rules

GATEWAY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway, labels: {app: gateway}}
spec:
  selector: {matchLabels: {app: gateway}}
  template:
    metadata: {labels: {app: gateway}}
    spec:
      containers: [{name: gateway, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata: {name: gateway}
spec:
  selector: {app: gateway}
  ports: [{name: http, port: 80}]
"""
SHOP = GATEWAY.replace("gateway", "shop")


def ingress(name: str, *services: str, default: str | None = None, labels: str = "") -> str:
    paths = "".join(
        f"          - {{path: /{i}, pathType: Prefix, backend: {{service: {{name: {s}, port: {{number: 80}}}}}}}}\n"
        for i, s in enumerate(services)
    )
    text = f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}{labels}}}\nspec:\n"
    text += "  ingressClassName: nginx\n"
    if default:
        text += f"  defaultBackend: {{service: {{name: {default}, port: {{number: 80}}}}}}\n"
    if services:
        text += f"  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n{paths}"
    return text


def assigned(folder: Path) -> dict[str, str]:
    loaded = manifests.load_folder(folder)
    return {f"{r.kind}/{r.name}": c.dotted for r, c in components.assign(loaded.resources, rules.load_rules()).items()}


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def test_an_ingress_routing_to_one_components_services_joins_it(tmp_path: Path) -> None:
    # Named neither like the Service nor labelled: only its backends (the default one and a
    # path's) tie it to gateway. Its own label would give it a component of its own.
    src = write_tree(
        tmp_path / "src",
        {"app.yaml": GATEWAY + ingress("public", "gateway", default="gateway", labels=", labels: {app: edge}")},
    )
    assert assigned(src)["Ingress/public"] == "gateway"
    chart = tmp_path / "chart"
    convert_ok(src, chart)
    base = values(chart)
    assert set(base) == {"gateway"}
    assert base["gateway"]["ingress"]["className"] == "nginx"
    assert base["gateway"]["ingress"]["rules"][0]["host"] == "public.example.com"
    assert sorted(p.name for p in (chart / "templates").glob("*.yaml")) == ["gateway.yaml"]
    assert_reproduces(chart, src)
    # Switching the component off takes its route with it.
    result = run("verify", chart, src)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_an_ingress_follows_a_service_that_has_only_its_own_name_for_a_component(tmp_path: Path) -> None:
    # The Service selects no workload of the folder (its pods are deployed elsewhere): its own
    # name is its component, decided after the references, and the Ingress still joins it.
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: legacy}\nspec:\n  ports: [{port: 80}]\n"
    src = write_tree(tmp_path / "src", {"app.yaml": service + ingress("www", "legacy")})
    assert assigned(src) == {"Service/legacy": "legacy", "Ingress/www": "legacy"}


@pytest.mark.parametrize(
    "routes",
    [
        pytest.param(("gateway", "shop"), id="two-components"),
        pytest.param(("gateway", "missing"), id="a-service-not-in-the-folder"),
    ],
)
def test_an_ingress_routing_elsewhere_too_keeps_its_own_component(tmp_path: Path, routes: tuple[str, ...]) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": GATEWAY + "---\n" + SHOP + ingress("public", *routes)})
    assert assigned(src)["Ingress/public"] == "public"
    src = write_tree(
        tmp_path / "labelled", {"app.yaml": GATEWAY + ingress("public", *routes, labels=", labels: {app: edge}")}
    )
    assert assigned(src)["Ingress/public"] == "edge"


def test_a_default_backend_of_another_component_keeps_the_ingress_apart(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src", {"app.yaml": GATEWAY + "---\n" + SHOP + ingress("public", "gateway", default="shop")}
    )
    assert assigned(src)["Ingress/public"] == "public"


def test_a_resource_backend_or_no_backend_at_all_keeps_the_ingress_apart(tmp_path: Path) -> None:
    bucket = (
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: assets}\nspec:\n"
        "  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}\n"
        "  rules:\n    - host: a.example.com\n      http:\n        paths:\n"
        "          - {path: /, pathType: Prefix, backend: {service: {name: gateway, port: {number: 80}}}}\n"
    )
    src = write_tree(tmp_path / "src", {"app.yaml": GATEWAY + bucket + ingress("bare")})
    comps = assigned(src)
    assert (comps["Ingress/assets"], comps["Ingress/bare"]) == ("assets", "bare")


def test_an_ingress_joins_only_a_service_of_its_own_namespace(tmp_path: Path) -> None:
    # Backends name Services of the Ingress's namespace; one of that name elsewhere is not it.
    in_shop = GATEWAY.replace("metadata: {name: gateway", "metadata: {namespace: shop, name: gateway")
    src = write_tree(tmp_path / "src", {"app.yaml": in_shop + ingress("public", "gateway")})
    assert assigned(src)["Ingress/public"] == "public"


def test_an_old_api_ingress_joins_its_services_component(tmp_path: Path) -> None:
    old = (
        "---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: public}\nspec:\n"
        "  backend: {serviceName: gateway, servicePort: 80}\n"
        "  rules:\n    - http:\n        paths: [{path: /, backend: {serviceName: gateway, servicePort: http}}]\n"
    )
    src = write_tree(tmp_path / "src", {"app.yaml": GATEWAY + old})
    assert assigned(src)["Ingress/public"] == "gateway"


def test_a_component_rule_still_decides_an_ingress(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "app.yaml": GATEWAY + ingress("public", "gateway"),
            "rules.yaml": "rules:\n  - id: edge\n    description: Ingresses apart.\n"
            "    match: {kinds: [Ingress]}\n    component: edge\n",
        },
    )
    loaded = manifests.load_folder(src, exclude=("rules.yaml",))
    ruleset = rules.load_rules((src / "rules.yaml",))
    comps = {f"{r.kind}/{r.name}": c.dotted for r, c in components.assign(loaded.resources, ruleset).items()}
    assert comps["Ingress/public"] == "edge"


OVERLAY_BASE = {
    "base/kustomization.yaml": "namespace: shop\nresources: [app.yaml]\n",
    "base/app.yaml": GATEWAY + ingress("public", "gateway", default="gateway"),
    # Every name gets the prefix: the Ingress, and the Service its backends name.
    "prod/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\n",
    # dev names its Ingress its own way.
    "dev/kustomization.yaml": """\
resources: [../base]
patches:
  - target: {kind: Ingress, name: public}
    patch: |-
      - op: replace
        path: /metadata/name
        value: public-dev
""",
}


@pytest.mark.parametrize(
    "pack", [(), ("--rules", "conventions", "--rules", "production")], ids=["default", "refactored"]
)
def test_an_overlays_renamed_ingress_joins_the_component_too(tmp_path: Path, pack: tuple[str, ...]) -> None:
    root = write_tree(tmp_path / "src", OVERLAY_BASE)
    envs = [a for env in ("dev", "prod") for a in ("--env", f"{env}={root / env}")]
    chart = tmp_path / "chart"
    convert_ok(root / "base", chart, *envs, *pack)
    result = run("verify", chart, root / "base", *envs)
    assert result.exit_code == 0, result.stdout + result.stderr
    for env in ("dev", "prod"):
        assert f"[{env}] verified" in result.stdout + result.stderr
    base, dev, prod = values(chart), values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
    # Nothing of any Ingress at the top level, in any environment.
    for top in (base, dev, prod):
        assert "gateway" in top and not {"public", "prodPublic", "publicDev"} & set(top), sorted(top)
    gateway = base["gateway"]
    assert gateway["public"]["ingress"]["rules"][0]["host"] == "public.example.com"
    assert gateway["prodPublic"]["ingress"]["enabled"] is False
    assert gateway["publicDev"]["ingress"]["enabled"] is False
    assert prod["gateway"]["prodPublic"]["ingress"]["enabled"] is True
    assert prod["gateway"]["public"]["ingress"]["enabled"] is False
    assert dev["gateway"]["publicDev"]["ingress"]["enabled"] is True


def namespace_warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning:") and "has no namespace" in line]


BASE = {
    "base/kustomization.yaml": "namespace: shop\nresources: [app.yaml]\n",
    "base/app.yaml": GATEWAY,
}
JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: seed}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: seed, image: "busybox:1.36"}]
"""


def test_an_overlays_generated_and_added_objects_without_the_namespace_are_named(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {
            **BASE,
            "prod/kustomization.yaml": """\
resources: [../base, seed.yaml]
configMapGenerator:
  - name: flags
    literals: [CHECKOUT_V2=on]
secretGenerator:
  - name: db
    literals: [password=hunter2-prod]
""",
            "prod/seed.yaml": JOB,
        },
    )
    chart = tmp_path / "chart"
    result = run("convert", root / "base", chart, "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stderr
    found = namespace_warnings(result.stderr)
    assert len(found) == 3, result.stderr
    folder = (root / "prod").as_posix()
    generated = next(line for line in found if "ConfigMap/flags-" in line)
    # The generator's line, the folder, and what to write where.
    assert generated.startswith("warning: kustomization.yaml:3: [prod] ConfigMap/flags-")
    assert f"the other objects of {folder} are in shop" in generated
    assert f"set `namespace: shop` in {folder}/kustomization.yaml" in generated
    assert any("Secret/db-" in line for line in found) and any("Job/seed " in line for line in found)
    assert "hunter2" not in result.stderr
    report = (chart / "helmify-report.json").read_text(encoding="utf-8")
    assert report.count('"code": "no-namespace"') == 3
    assert "ConfigMap/flags-" in (chart / "helmify-report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "prod/kustomization.yaml": "namespace: shop\nresources: [../base]\nconfigMapGenerator:\n"
                "  - {name: flags, literals: [A=1]}\n"
            },
            id="overlay-sets-the-namespace",
        ),
        pytest.param(
            {
                "base/kustomization.yaml": "resources: [app.yaml]\n",
                "prod/kustomization.yaml": "resources: [../base]\nconfigMapGenerator:\n"
                "  - {name: flags, literals: [A=1]}\n",
            },
            id="no-object-has-a-namespace",
        ),
        pytest.param(
            {
                "prod/kustomization.yaml": "resources: [../base, seed.yaml]\nconfigMapGenerator:\n"
                "  - {name: flags, literals: [A=1]}\n",
                "prod/seed.yaml": JOB.replace("metadata: {name: seed}", "metadata: {name: seed, namespace: tools}"),
            },
            id="several-namespaces",
        ),
        pytest.param(
            {
                "prod/kustomization.yaml": "resources: [../base, cluster.yaml]\n",
                "prod/cluster.yaml": """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: gateway-read}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec: {acme: {server: "https://acme.example.com", privateKeySecretRef: {name: le}}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 1}
""",
            },
            id="cluster-scoped-and-custom-kinds",
        ),
    ],
)
def test_no_namespace_warning_where_nothing_is_left_behind(tmp_path: Path, files: dict[str, str]) -> None:
    root = write_tree(tmp_path / "src", {**BASE, **files})
    result = run("convert", root / "base", tmp_path / "chart", "--env", f"prod={root / 'prod'}")
    assert result.exit_code == 0, result.stderr
    assert namespace_warnings(result.stderr) == []
    assert '"code": "no-namespace"' not in (tmp_path / "chart" / "helmify-report.json").read_text(encoding="utf-8")


def test_a_base_kustomization_that_leaves_one_resource_without_the_namespace_is_named_too(tmp_path: Path) -> None:
    # No namespace: in the kustomization, one file writes it and the other does not.
    root = write_tree(
        tmp_path / "src",
        {
            "base/kustomization.yaml": "resources: [app.yaml, seed.yaml]\n",
            "base/app.yaml": GATEWAY.replace("metadata: {name: gateway", "metadata: {namespace: shop, name: gateway"),
            "base/seed.yaml": JOB,
        },
    )
    result = run("convert", root / "base", tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    found = namespace_warnings(result.stderr)
    assert len(found) == 1 and found[0].startswith("warning: seed.yaml:1: Job/seed has no namespace"), found
