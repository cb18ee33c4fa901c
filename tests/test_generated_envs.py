"""Conventions over kustomize overlays whose generators make other content: the overlay's
ConfigMap or Secret has another hash suffix, so every reference to it differs between
environments and is read from values, and each pod reads another object there. The release
prefix and the checksum annotations must hold in every environment, and the proof must pass for
the base and for each overlay."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import convert_ok, render_objects, run, write_tree

from helmify_flts import checks, kyaml

SHOP = Path(__file__).parent / "kustomize" / "shop"
OVERLAYS = {name: SHOP / "overlays" / name for name in ("dev", "staging", "prod")}


def env_args(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--env", f"{name}={OVERLAYS[name]}")]


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def pod_spec(objects: dict, kind: str, name: str) -> dict:
    found = [obj for ident, obj in objects.items() if ident[1] == kind and ident[3] == name]
    assert len(found) == 1, sorted(objects)
    return found[0]["spec"]["template"]


def converts_and_verifies(chart: Path, src: Path, *args: str) -> None:
    """convert exits 0, and verify passes the base and every --env of ``args``."""
    convert_ok(src, chart, *args)
    result = run("verify", chart, src, *[a for a in map(str, args) if a == "--env" or "=" in a])
    assert result.exit_code == 0, result.stderr + result.stdout
    for name in (a.split("=", 1)[0] for a in map(str, args) if "=" in a):
        assert f"[{name}] verified" in result.stdout + result.stderr


@pytest.mark.parametrize(
    # dev and staging change no generator (each alone converted before): with prod beside them
    "envs",
    [("prod",), ("dev", "prod"), ("staging", "prod"), ("dev", "staging", "prod")],
    ids=lambda e: "+".join(e),
)
def test_the_shop_converts_with_conventions_and_each_overlay(tmp_path: Path, envs: tuple[str, ...]) -> None:
    chart = tmp_path / "chart"
    converts_and_verifies(chart, SHOP / "base", "--rules", "conventions", *env_args(*envs))


@pytest.mark.parametrize("packs", [("conventions", "production"), ("production", "conventions")])
def test_the_shop_converts_with_conventions_and_the_production_pack(tmp_path: Path, packs: tuple[str, str]) -> None:
    chart = tmp_path / "chart"
    rules = [arg for pack in packs for arg in ("--rules", pack)]
    converts_and_verifies(chart, SHOP / "base", *rules, *env_args("dev", "prod"))


def test_prod_references_carry_the_release_prefix_and_prod_checksums(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    prod = render_objects(chart, namespace="shop", values=values(chart, "values-prod.yaml"))
    web = pod_spec(prod, "Deployment", "release-web")
    container = web["spec"]["containers"][0]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "release-db-credentials-hd82t72565"
    assert container["envFrom"][0]["configMapRef"]["name"] == "release-web-config-28thc2555t"
    assert web["spec"]["volumes"][0]["configMap"]["name"] == "release-web-config-28thc2555t"
    # Keyed by the generator's name, with the environment's for its own object: stable when the
    # content changes again, and only the objects the pods read in prod.
    assert sorted(k for k in web["metadata"]["annotations"] if k.startswith("checksum/")) == [
        "checksum/db-credentials-prod",
        "checksum/web-config-prod",
    ]
    base = render_objects(chart, namespace="shop")
    annotations = pod_spec(base, "Deployment", "release-web")["metadata"]["annotations"]
    assert sorted(k for k in annotations if k.startswith("checksum/")) == [
        "checksum/db-credentials",
        "checksum/web-config",
    ]
    # The checksum templates are named after the generators too.
    assert {p.name for p in (chart / "templates" / "checksum").iterdir()} == {
        "configmap-web-config.yaml",
        "configmap-web-config-prod.yaml",
        "secret-db-credentials.yaml",
        "secret-db-credentials-prod.yaml",
    }


WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          envFrom: [{secretRef: {name: api-secrets}}]
          env:
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: api-secrets, key: token}}
          volumeMounts: [{name: secrets, mountPath: /run/secrets/api}]
      volumes: [{name: secrets, secret: {secretName: api-secrets}}]
"""


def generated_tree(root: Path, token: str = "base-token") -> tuple[Path, Path]:
    """A base whose generated Secret is read by secretKeyRef, envFrom and a volume, and an
    overlay that changes one of its literals (so its Secret gets another hash)."""
    base = write_tree(
        root / "base",
        {
            "kustomization.yaml": (
                "namespace: api\nresources: [api.yaml]\nsecretGenerator:\n"
                f"  - name: api-secrets\n    literals: [token={token}, MODE=fast]\n"
            ),
            "api.yaml": WEB,
        },
    )
    prod = write_tree(
        root / "prod",
        {
            "kustomization.yaml": (
                "resources: [../base]\nsecretGenerator:\n"
                "  - name: api-secrets\n    behavior: merge\n    literals: [MODE=safe]\n"
            )
        },
    )
    return base, prod


def test_a_generated_secret_an_overlay_changes_keeps_the_declared_changes(tmp_path: Path) -> None:
    base, prod = generated_tree(tmp_path)
    chart = tmp_path / "chart"
    converts_and_verifies(chart, base, "--rules", "conventions", "--env", f"prod={prod}")
    rendered = render_objects(chart, namespace="api", values=values(chart, "values-prod.yaml"))
    secrets = [ident[3] for ident in rendered if ident[1] == "Secret"]
    assert len(secrets) == 1 and secrets[0].startswith("release-api-secrets-")
    spec = pod_spec(rendered, "Deployment", "release-api")["spec"]
    container = spec["containers"][0]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == secrets[0]
    assert container["envFrom"][0]["secretRef"]["name"] == secrets[0]
    assert spec["volumes"][0]["secret"]["secretName"] == secrets[0]


def test_a_name_the_user_sets_for_a_lifted_reference_is_used_as_is(tmp_path: Path) -> None:
    base, prod = generated_tree(tmp_path)
    chart = tmp_path / "chart"
    convert_ok(base, chart, "--rules", "conventions", "--env", f"prod={prod}")
    lifted = values(chart)["api"]["envValueFrom"]["TOKEN"]["secretKeyRef"]
    assert lifted["name"].startswith("api-secrets-")  # the name as the build gives it, without the prefix
    override = {"api": {"envValueFrom": {"TOKEN": {"secretKeyRef": {"name": "team-secret"}}}}}
    spec = pod_spec(render_objects(chart, namespace="api", values=override), "Deployment", "release-api")["spec"]
    # Only the chart's own objects get the release prefix: a Secret the team manages keeps its name.
    assert spec["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "team-secret"


def test_checksum_templates_keep_their_names_when_the_content_changes(tmp_path: Path) -> None:
    names = []
    for n, token in enumerate(("one", "two")):
        base, prod = generated_tree(tmp_path / str(n), token=token)
        chart = tmp_path / str(n) / "chart"
        convert_ok(base, chart, "--rules", "conventions", "--env", f"prod={prod}")
        names.append(sorted(p.name for p in (chart / "templates" / "checksum").iterdir()))
    assert names[0] == names[1] == ["secret-api-secrets-prod.yaml", "secret-api-secrets.yaml"]


def test_write_rules_names_a_generated_object_by_its_generator(tmp_path: Path) -> None:
    one, _ = generated_tree(tmp_path / "one", token="one")
    two, _ = generated_tree(tmp_path / "two", token="two")
    team = write_tree(
        tmp_path / "team", {"values.yaml": 'api:\n  image:\n    tag: "1.0"\n  auth:\n    existingSecret: ""\n'}
    )
    rules = tmp_path / "team-rules.yaml"
    convert_ok(one, tmp_path / "chart-one", "--values-layout", team / "values.yaml", "--write-rules", rules)
    written = kyaml.load_all(rules.read_text(encoding="utf-8"))[0]["rules"]
    switch = next(rule for rule in written if "existing" in rule)
    assert switch["match"]["names"] == ["api-secrets"]
    # The rule file keeps wiring the team's key after the content, and with it the hash, changed.
    result = run("convert", two, tmp_path / "chart-two", "--rules", rules)
    assert result.exit_code == 0, result.stderr
    assert "matched nothing" not in result.stderr
    template = (tmp_path / "chart-two" / "templates" / "api.yaml").read_text(encoding="utf-8")
    assert "secretName: {{ .Values.api.auth.existingSecret | default" in template


def test_a_refactoring_rule_matches_a_generated_object_by_its_generator(tmp_path: Path) -> None:
    base, prod = generated_tree(tmp_path)
    rules = write_tree(
        tmp_path / "rules",
        {
            "names.yaml": (
                "extends: [default]\nrules:\n  - id: names\n    description: Release names for the secrets only.\n"
                "    refactor: release-names\n    match: {names: [api-secrets]}\n"
            )
        },
    )
    chart = tmp_path / "chart"
    converts_and_verifies(chart, base, "--rules", rules / "names.yaml", "--env", f"prod={prod}")
    # The base's Secret only: prod's own object is named after its environment too (api-secrets-prod).
    rendered = render_objects(chart, namespace="api")
    assert sorted(ident[3].split("-")[0] for ident in rendered) == ["api", "release"]
    prod_names = render_objects(chart, namespace="api", values=values(chart, "values-prod.yaml"))
    assert sorted(ident[3].split("-")[0] for ident in prod_names) == ["api", "api"]


SRC = ("apps", "Deployment", "ns", "web")


def _workload(env_from: list, env: list | None = None) -> dict:
    container = {"name": "web", "image": "nginx", "envFrom": env_from, "env": env or []}
    return {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [container]}}}}


def test_check_messages_say_what_envfrom_brings() -> None:
    config = ("", "ConfigMap", "ns", "web-config")
    source = {
        SRC: _workload([{"configMapRef": {"name": "web-config"}}]),
        config: {"kind": "ConfigMap", "data": {"LOG_LEVEL": "info", "app.properties": "a=1\n"}},
    }
    # The reference names an object the rendered folder does not have.
    rendered = {SRC: _workload([{"configMapRef": {"name": "other"}}])}
    problems = checks.environment(source, rendered, {})
    assert problems == [
        "Deployment ns/web containers[web]: the variables envFrom[0] reads from ConfigMap other change",
        "Deployment ns/web containers[web]: environment variable LOG_LEVEL (from ConfigMap web-config through "
        "envFrom) changes",
        "Deployment ns/web containers[web]: environment variable app.properties (from ConfigMap web-config "
        "through envFrom) changes",
    ]
    assert not any("*ConfigMap" in p for p in problems)


def test_switches_of_one_name_in_two_namespaces_say_which_namespace(tmp_path: Path) -> None:
    # staging deploys the base's Secret again in its own namespace: two existingSecret keys, whose
    # comments read alike unless each names its namespace.
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, *env_args("staging"))
    lines = (chart / "values.yaml").read_text(encoding="utf-8").splitlines()
    docs = [
        line.strip()
        for line, after in zip(lines, lines[1:], strict=False)
        if after.strip().startswith("existingSecret:")
    ]
    assert len(docs) == 2 and docs[0] != docs[1], docs
    assert "in namespace shop;" in docs[0] and "in namespace shop-staging;" in docs[1]
    # A name in one namespace only says nothing of it.
    convert_ok(SHOP / "base", tmp_path / "alone")
    alone = (tmp_path / "alone" / "values.yaml").read_text(encoding="utf-8")
    assert "existingSecret:" in alone and "in namespace" not in alone
