"""Edge cases found by converting varied real-world-style folders."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import assert_reproduces, convert_ok, run, write_tree

from helmify_flts import kyaml, render


def deployment(
    name: str, *, app: str | None = None, namespace: str | None = None, extra: str = "", replicas: str = "1"
) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
  labels: {{app: {app or name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {app or name}, part: {name}}}}}
  template:
    metadata: {{labels: {{app: {app or name}, part: {name}}}}}
    spec:
      containers:
        - name: main
          image: example/{name}:1.0{extra}
"""


def values_of(chart: Path) -> dict:
    return kyaml.load_all((chart / "values.yaml").read_text())[0]


def convert(tmp: Path, files: dict[str, str], *args: str) -> Path:
    src = write_tree(tmp / "src", files)
    out = tmp / "chart"
    result = run("convert", src, out, *args)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    return out


def test_maps_with_null_entries_stay_in_the_template(tmp_path: Path) -> None:
    extra = "\n          resources: {limits: , requests: {cpu: 10m}}"
    out = convert(tmp_path, {"a.yaml": deployment("api", extra=extra)})
    assert "resources" not in values_of(out)["api"] or values_of(out)["api"]["resources"] == {}


def test_scale_to_zero_and_empty_strings_reach_the_manifest(tmp_path: Path) -> None:
    out = convert(tmp_path, {"a.yaml": deployment("api", replicas="2")})
    objects = render.rendered_objects(render.render_chart(out, {"api": {"replicas": 0}}))
    assert objects[("apps", "Deployment", "", "api")][1]["spec"]["replicas"] == 0


def test_environment_with_zero_replicas(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {"a.yaml": deployment("api")})
    prod = write_tree(tmp_path / "prod", {"a.yaml": deployment("api", replicas="0")})
    out = tmp_path / "chart"
    assert run("convert", base, out, "--env", f"prod={prod}").exit_code == 0
    assert_reproduces(out, prod, kyaml.load_all((out / "values-prod.yaml").read_text())[0])


def test_int_or_string_fields_accept_either_type(tmp_path: Path) -> None:
    pdb = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  maxUnavailable: 25%
  selector: {matchLabels: {app: api}}
"""
    out = convert(tmp_path, {"a.yaml": deployment("api"), "pdb.yaml": pdb})
    result = run("verify", out, tmp_path / "src", "--set", "api.podDisruptionBudget.maxUnavailable=1")
    assert "schema" not in result.stdout and "lint" not in result.stdout
    assert "spec.maxUnavailable: type changed '25%' -> 1" in result.stdout


def test_notes_render_the_release(tmp_path: Path) -> None:
    out = convert(tmp_path, {"a.yaml": deployment("api")})
    texts = render.render_chart(out, None, release="shop")
    notes = next(text for name, text in texts.items() if name.endswith("templates/NOTES.txt"))
    assert "installed as release shop" in notes and "{{" not in notes


def test_generate_name_is_skipped_with_a_reason(tmp_path: Path) -> None:
    job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: example/m:1}]\n"
    )
    src = write_tree(tmp_path / "src", {"a.yaml": deployment("api"), "job.yaml": job})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0
    assert "job.yaml:1: Job uses generateName" in result.stderr
    assert run("verify", tmp_path / "chart", src).exit_code == 0


def test_copies_in_two_namespaces_get_their_own_keys(tmp_path: Path) -> None:
    out = convert(
        tmp_path,
        {
            "staging.yaml": deployment("web", namespace="staging"),
            "prod.yaml": deployment("web", namespace="production"),
        },
    )
    web = values_of(out)["web"]
    assert web["staging"]["image"]["repository"] == "example/web"
    assert web["production"]["image"]["repository"] == "example/web"
    objects = render.rendered_objects(render.render_chart(out, {"web": {"staging": {"replicas": 3}}}))
    assert objects[("apps", "Deployment", "staging", "web")][1]["spec"]["replicas"] == 3
    assert objects[("apps", "Deployment", "production", "web")][1]["spec"]["replicas"] == 1


def test_a_short_name_that_is_a_values_key_does_not_lose_its_knobs(tmp_path: Path) -> None:
    result_chart = convert(
        tmp_path,
        {
            "a.yaml": deployment("shop", app="shop"),
            "b.yaml": deployment("shop-image", app="shop"),
        },
    )
    shop = values_of(result_chart)["shop"]
    assert shop["image"]["repository"] == "example/shop"
    assert shop["imageDeployment"]["image"]["repository"] == "example/shop-image"


def test_a_pack_given_by_path_reports_its_unused_rules(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"a.yaml": deployment("api")})
    result = run("convert", src, tmp_path / "chart", "--rules", "rules/flts.yaml")
    assert result.exit_code == 0
    assert "rule 'flts-epochs' matched nothing" in result.stderr
    assert "component rule 'flts-trainers' matched nothing" in result.stderr


def test_extra_env_adds_variables_with_or_without_an_env_list(tmp_path: Path) -> None:
    with_env = deployment("api", extra="\n          env: [{name: MODE, value: web}]")
    out = convert(tmp_path, {"a.yaml": with_env, "b.yaml": deployment("worker")})
    extra = [{"name": "NEW_VAR", "value": "1"}]
    values = {"api": {"extraEnv": extra}, "worker": {"extraEnv": extra}}
    objects = render.rendered_objects(render.render_chart(out, values))
    api = objects[("apps", "Deployment", "", "api")][1]["spec"]["template"]["spec"]["containers"][0]
    worker = objects[("apps", "Deployment", "", "worker")][1]["spec"]["template"]["spec"]["containers"][0]
    assert api["env"] == [{"name": "MODE", "value": "web"}] + extra
    assert worker["env"] == extra


def test_templates_and_charts_inside_the_folder_are_skipped(tmp_path: Path) -> None:
    template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: b\n"
    src = write_tree(
        tmp_path / "src",
        {
            "a.yaml": deployment("api"),
            "old-chart/Chart.yaml": "apiVersion: v2\nname: old\nversion: 0.1.0\n",
            "old-chart/templates/cm.yaml": template,
            "jinja/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ value }}\n",
            "broken/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata:\n  a: {{ x }}: [\n",
        },
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr
    assert "old-chart/: a Helm chart" in result.stderr
    assert "jinja/cm.yaml:1: has unquoted template syntax" in result.stderr
    assert "broken/cm.yaml:5: has template syntax" in result.stderr
    assert_reproduces(tmp_path / "chart", write_tree(tmp_path / "only", {"a.yaml": deployment("api")}))


def test_a_missing_helm_engine_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    src = write_tree(tmp_path / "src", {"a.yaml": deployment("api")})
    assert run("convert", src, tmp_path / "chart").exit_code == 0

    def broken():
        raise RuntimeError("the Helm engine (helm-python-sdk) cannot be loaded: test")

    monkeypatch.setattr(render, "_helm", broken)
    result = run("verify", tmp_path / "chart", src)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the Helm engine")


def test_out_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"a.yaml": deployment("api")})
    (tmp_path / "chart").write_text("not a folder")
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert (tmp_path / "chart").read_text() == "not a folder"


def test_names_that_yaml_reads_as_booleans_or_numbers_keep_their_identity(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{a: b}}\n"
    src = write_tree(
        tmp_path / "src",
        {"a.yaml": cm.format(name="y"), "b.yaml": cm.format(name="no"), "c.yaml": cm.format(name="1234")},
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 0, result.stderr


def test_fuzzed_inputs_fail_cleanly_or_reproduce(tmp_path: Path) -> None:
    bad_merge = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  labels: {<<: x}\n"
    nan = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\ndata:\n  x: .nan\n"
    for name, text, line in (("merge.yaml", bad_merge, 5), ("nan.yaml", nan, 5)):
        src = write_tree(tmp_path / name, {name: text})
        result = run("convert", src, tmp_path / f"{name}.out")
        assert result.exit_code == 2, name
        assert result.stderr.startswith(f"error: {name}:{line}:"), result.stderr
        assert not (tmp_path / f"{name}.out").exists()


def test_odd_env_lists_reproduce(tmp_path: Path) -> None:
    odd = "\n".join(
        [
            "          env: []",
        ]
    )
    messy = "\n".join(
        [
            "          env:",
            "            - name: A",
            "            - x",
            '            - {name: A, value: "1"}',
            '            - name: "L\\u2028S"',
            "              value: v",
        ]
    )
    convert(tmp_path / "a", {"a.yaml": deployment("api", extra="\n" + odd)})
    out = convert(tmp_path / "b", {"a.yaml": deployment("api", extra="\n" + messy)})
    assert values_of(out)["api"]["env"]["L\u2028S"] == "v"


def test_names_with_braces_and_odd_types_do_not_break_notes_or_verify(tmp_path: Path) -> None:
    cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a{{b}}"}\ndata: {a: b}\n'
    odd = "apiVersion: 1\nkind: Foo\nmetadata: {name: f}\nspec: {a: 1}\n"
    src = write_tree(tmp_path / "src", {"a.yaml": cm, "b.yaml": odd})
    out = tmp_path / "chart"
    assert run("convert", src, out).exit_code == 0
    result = run("verify", out, src)
    assert "Traceback" not in result.stderr + result.stdout
    assert "2 of 2 resources identical" in result.stderr


def test_an_environment_value_helm_cannot_carry_is_a_clear_error(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {"a.yaml": deployment("api")})
    # Below 2^64, so an integer to Kubernetes (go-yaml reads longer digit strings as floats).
    prod = write_tree(tmp_path / "prod", {"a.yaml": deployment("api", replicas="12345678901234567890")})
    result = run("convert", base, tmp_path / "chart", "--env", f"prod={prod}")
    assert result.exit_code == 2
    assert "[prod]" in result.stderr and "2^53" in result.stderr
    assert not (tmp_path / "chart").exists()


def test_containers_named_by_numbers_are_followed_by_position(tmp_path: Path) -> None:
    base = deployment("api").replace("- name: main", "- name: -0")
    dev = base.replace("image: example/api:1.0", "image: example/api:1.1")
    folders = {
        "base": write_tree(tmp_path / "base", {"a.yaml": base}),
        "dev": write_tree(tmp_path / "dev", {"a.yaml": dev}),
    }
    out = tmp_path / "chart"
    assert run("convert", folders["base"], out, "--env", f"dev={folders['dev']}").exit_code == 0
    assert kyaml.load_all((out / "values-dev.yaml").read_text())[0]["api"]["image"]["tag"] == "1.1"


ANCHORED = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: &labels {app: api}}
spec:
  selector: {matchLabels: *labels}
  template:
    metadata: {labels: *labels}
    spec:
      containers:
        - name: api
          image: ghcr.io/x/api:1
          resources: &res
            limits: {cpu: 100m}
        - name: side
          image: ghcr.io/x/side:1
          resources: *res
"""


def test_anchors_of_a_manifest_are_expanded_in_the_chart(tmp_path: Path) -> None:
    """Templates and values say each value where it goes, as Kubernetes reads the manifest: no
    YAML anchors or aliases (``&id001 app: &id002 api``) carried into the chart."""
    src = write_tree(tmp_path / "src", {"api.yaml": ANCHORED})
    out = tmp_path / "chart"
    convert_ok(src, out)
    for path in [out / "values.yaml", *sorted((out / "templates").glob("*.yaml"))]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(^|[\s:\[{,-])[&*]id\d", text), (path.name, text)
    assert "matchLabels:\n      app: api" in (out / "templates" / "api.yaml").read_text(encoding="utf-8")
    assert_reproduces(out, src)


def test_a_document_that_repeats_much_through_aliases_keeps_its_sharing(tmp_path: Path) -> None:
    """Past a bound, aliases are not expanded into the conversion (it would grow with them); the
    chart still reproduces the manifest."""
    items = ", ".join(f"v{i}" for i in range(100))
    text = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
        f"spec:\n  base: &row [{items}]\n  rows: [{', '.join(['*row'] * 300)}]\n"
    )
    src = write_tree(tmp_path / "src", {"w.yaml": text})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert "*id" in (out / "templates" / "w.yaml").read_text(encoding="utf-8")
    assert_reproduces(out, src)


def test_convert_without_the_helm_engine_says_what_to_install_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    src = write_tree(tmp_path / "src", {"a.yaml": deployment("api")})

    def broken():
        raise RuntimeError("the Helm engine (helm-python-sdk) cannot be loaded: test")

    monkeypatch.setattr(render, "_helm", broken)
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-2].startswith("error: the Helm engine (helm-python-sdk) cannot be loaded")
    assert "bug" not in result.stderr and not (tmp_path / "chart").exists()
