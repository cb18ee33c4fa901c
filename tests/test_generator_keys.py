"""Keys and chart file names of objects a kustomize generator makes: named after the generator's
declared name, not the content hash in the object's name, so that values overrides keep applying
when the generator's content changes. The rendered names keep the hash."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_proven, assert_reproduces, convert_ok, render_objects, write_tree

from helmify_flts import kustomize, kyaml
from helmify_flts.manifests import Resource

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          envFrom: [{configMapRef: {name: web-config}}]
          env:
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
          volumeMounts: [{name: config, mountPath: /etc/web}]
      volumes: [{name: config, configMap: {name: web-config}}]
"""

PROPERTIES = "color=blue\nsize=3\n"


def base_tree(root: Path, level: str = "info", password: str = "s3cret") -> Path:
    kustomization = f"""\
namespace: shop
resources: [web.yaml]
configMapGenerator:
  - name: web-config
    literals: [LOG_LEVEL={level}]
    files: [app.properties]
secretGenerator:
  - name: db-credentials
    literals: [password={password}]
  - name: api-token  # read by no workload: a component of its own
    literals: [token={password}]
"""
    return write_tree(root, {"kustomization.yaml": kustomization, "web.yaml": WEB, "app.properties": PROPERTIES})


def overlay(root: Path, level: str) -> Path:
    kustomization = f"""\
resources: [../base]
configMapGenerator:
  - name: web-config
    behavior: merge
    literals: [LOG_LEVEL={level}]
"""
    return write_tree(root, {"kustomization.yaml": kustomization})


def keys(tree: object, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every key path of a values tree."""
    if not isinstance(tree, dict):
        return {path}
    return {path} | {k for name, sub in tree.items() for k in keys(sub, (*path, str(name)))}


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def layout(chart: Path) -> tuple[set, set[str], set[str]]:
    """What users and CI refer to: the values keys, and the paths of templates and chart files."""
    templates = {p.name for p in (chart / "templates").iterdir()}
    files = {p.relative_to(chart).as_posix() for p in (chart / "files").rglob("*") if p.is_file()}
    return keys(values(chart)), templates, files


def test_a_changed_literal_keeps_keys_template_and_file_names(tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "chart", tmp_path / "two" / "chart"
    src_one = base_tree(tmp_path / "one" / "base")
    src_two = base_tree(tmp_path / "two" / "base", level="debug", password="other")
    convert_ok(src_one, first)
    convert_ok(src_two, second)
    assert_reproduces(first, src_one)
    assert_reproduces(second, src_two)
    assert layout(first) == layout(second)
    found, templates, files = layout(first)
    assert ("web", "existingSecret") in found  # db-credentials, read by web only
    assert ("apiToken", "existingSecret") in found
    assert "api-token.yaml" in templates
    assert "files/web-config/app.properties" in files
    assert values(first)["web"]["files"]["app.properties"] == "files/web-config/app.properties"
    # The objects keep the build's hashed names, which differ with the content.
    names_one = {r.name for r in kustomize.Sources().load(src_one).resources}
    names_two = {r.name for r in kustomize.Sources().load(src_two).resources}
    hashed = {n for n in names_one if n.startswith(("web-config-", "db-credentials-", "api-token-"))}
    assert len(hashed) == 3 and not hashed & names_two
    text = "".join(p.read_text(encoding="utf-8") for p in (first / "templates").glob("*.yaml"))
    assert all(name in text for name in hashed)


def test_an_override_of_a_generated_secret_still_applies_after_its_content_changed(tmp_path: Path) -> None:
    charts = []
    for n, password in enumerate(("s3cret", "rotated")):
        src = base_tree(tmp_path / str(n) / "base", password=password)
        charts.append(tmp_path / str(n) / "chart")
        convert_ok(src, charts[-1])
    # The same override, written once, keeps replacing the Secret however its content changed.
    override = {"apiToken": {"existingSecret": "team-token"}}
    for chart in charts:
        kinds = [i[1] for i in render_objects(chart, values=override)]
        assert sorted(kinds) == ["ConfigMap", "Deployment", "Secret"]  # db-credentials stays; api-token is the team's


def test_an_overlay_changing_a_generator_gets_distinct_stable_keys(tmp_path: Path) -> None:
    layouts = []
    for n, (dev_level, prod_level) in enumerate((("debug", "warn"), ("trace", "error"))):
        root = tmp_path / str(n)
        src = base_tree(root / "base")
        dev, prod = overlay(root / "dev", dev_level), overlay(root / "prod", prod_level)
        chart = root / "chart"
        convert_ok(src, chart, "--env", f"dev={dev}", "--env", f"prod={prod}")
        assert_reproduces(chart, src)
        for name, folder in (("dev", dev), ("prod", prod)):
            assert_proven(chart, folder, values(chart, f"values-{name}.yaml"))
        dev_values, prod_values = values(chart, "values-dev.yaml"), values(chart, "values-prod.yaml")
        # Each environment's own ConfigMap is switched on under a key of its own.
        assert dev_values["webConfigDev"]["configMap"]["enabled"] is True
        assert prod_values["webConfigProd"]["configMap"]["enabled"] is True
        assert "webConfigProd" not in dev_values and "webConfigDev" not in prod_values
        templates = {p.name for p in (chart / "templates").iterdir()}
        assert {"web-config-dev.yaml", "web-config-prod.yaml"} <= templates
        layouts.append((layout(chart), keys(dev_values), keys(prod_values)))
    assert layouts[0] == layouts[1]


def test_environments_with_the_same_generated_content_share_one_key(tmp_path: Path) -> None:
    src = base_tree(tmp_path / "base")
    staging, prod = overlay(tmp_path / "staging", "warn"), overlay(tmp_path / "prod", "warn")
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--env", f"staging={staging}", "--env", f"prod={prod}")
    for name, folder in (("staging", staging), ("prod", prod)):
        assert values(chart, f"values-{name}.yaml")["webConfigStagingProd"]["configMap"]["enabled"] is True
        assert_proven(chart, folder, values(chart, f"values-{name}.yaml"))


def test_disable_name_suffix_hash_keeps_the_declared_name(tmp_path: Path) -> None:
    # A declared name that ends like a hash suffix is still the object's whole name.
    kustomization = """\
generatorOptions: {disableNameSuffixHash: true}
configMapGenerator:
  - name: cache-bcdfghkmt2
    literals: [A=1]
"""
    src = write_tree(tmp_path / "base", {"kustomization.yaml": kustomization})
    chart = tmp_path / "chart"
    convert_ok(src, chart)
    assert_reproduces(chart, src)
    assert "cacheBcdfghkmt2" in values(chart)
    assert (chart / "templates" / "cache-bcdfghkmt2.yaml").is_file()


def test_a_name_prefix_stays_in_the_stem() -> None:
    assert kustomize.stem_of("dev-web-config-h8525df7b5", ["web-config"]) == "dev-web-config"
    assert kustomize.stem_of("web-config-h8525df7b5", ["web-config"]) == "web-config"
    assert kustomize.stem_of("web-config", ["web-config"]) is None  # disableNameSuffixHash
    assert kustomize.stem_of("web-config-h8525df7b5", ["other"]) is None  # not this generator's
    assert kustomize.stem_of("web-config-vowelsaeio", ["web-config"]) is None  # not kustomize's alphabet


def test_objects_sharing_a_stem_keep_their_full_names() -> None:
    def res(name: str, stem: str | None) -> Resource:
        node = next(iter(kyaml.compose_all(f"kind: ConfigMap\nmetadata: {{name: {name}}}\n")))
        return Resource("k", 1, 0, "v1", "ConfigMap", "shop", name, node, stem=stem)

    kept = kustomize._unclashed([res("web-config-h8525df7b5", "web-config"), res("web-config", None)])
    assert [r.key_name for r in kept] == ["web-config-h8525df7b5", "web-config"]
