"""Kustomize folders: what ``kubectl apply -k`` deploys is what the chart reproduces.

These tests need ``kubectl`` (kustomize built in) or ``kustomize`` on PATH, as the machines this
project runs on have; without it they fail, they never skip.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, assert_proven, assert_reproduces, convert_ok, plain_build, run, write_tree

from helmify_flts import kustomize, kyaml, manifests, proof
from helmify_flts.errors import UserError, Where

SHOP = ROOT / "tests" / "kustomize" / "shop"
ENVS = {name: SHOP / "overlays" / name for name in ("dev", "staging", "prod")}
FLTS = FIXTURES / ".kubernetes"


def assert_matches_build(chart: Path, folder: Path, values: dict | None = None) -> None:
    built = plain_build(folder)
    proven = proof.prove(chart, proof.Expected.sources(built), values)
    assert proven.ok, "\n".join(proven.describe())
    assert proven.compared == len(built.resources)


def values_of(chart: Path, env: str) -> dict:
    return kyaml.load_all((chart / f"values-{env}.yaml").read_text(encoding="utf-8"))[0] or {}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shop") / "chart"
    convert_ok(SHOP / "base", out, *[a for name, folder in ENVS.items() for a in ("--env", f"{name}={folder}")])
    return out


def test_kustomize_is_installed() -> None:
    assert shutil.which("kubectl") or shutil.which("kustomize"), "kubectl or kustomize must be on PATH"


def test_readme_quick_start_reproduces_the_flts_build(tmp_path: Path) -> None:
    out = tmp_path / ".helm"
    envs = {"dev": FIXTURES / "environments" / "dev", "prod": FIXTURES / "environments" / "prod"}
    args = ["--chart-name", "flts", "--rules", ROOT / "rules" / "flts.yaml"]
    convert_ok(FLTS, out, *args, *[a for n, f in envs.items() for a in ("--env", f"{n}={f}")])
    assert_matches_build(out, FLTS)
    for name, folder in envs.items():
        assert_matches_build(out, folder, values_of(out, name))
    rendered = {
        ident: obj for ident, (_, obj) in proof.prove(out, proof.Expected.sources(plain_build(FLTS))).objects.items()
    }
    inference = rendered[("apps", "Deployment", "flts", "inference")]
    assert inference["metadata"]["namespace"] == "flts"
    assert inference["metadata"]["labels"]["app.kubernetes.io/part-of"] == "flts"
    result = run("verify", out, FLTS, *[a for n, f in envs.items() for a in ("--env", f"{n}={f}")])
    assert result.exit_code == 0, result.stderr


def test_every_overlay_round_trips_as_an_environment(shop: Path) -> None:
    assert_reproduces(shop, SHOP / "base")
    assert_matches_build(shop, SHOP / "base")
    for name, folder in ENVS.items():
        assert_proven(shop, folder, values_of(shop, name))
        assert_matches_build(shop, folder, values_of(shop, name))


def test_overlay_changes_become_environment_values(shop: Path) -> None:
    dev, prod = values_of(shop, "dev"), values_of(shop, "prod")
    assert dev["web"]["shop"]["image"]["tag"] == "1.1.0-rc.1"  # images:
    assert dev["web"]["shop"]["replicas"] == 1  # replicas:
    assert prod["web"]["shop"]["replicas"] == 4
    assert prod["web"]["shop"]["resources"]["limits"]["memory"] == "1Gi"  # a strategic-merge patch
    assert prod["db"]["shop"]["terminationGracePeriodSeconds"] == 120  # a JSON patch
    assert prod["webMetrics"]["service"]["enabled"] is True  # the metrics component, on in prod only
    assert "webMetrics" not in dev


def test_generator_names_keep_their_hash_and_references_follow(shop: Path) -> None:
    base_cm = plain_build(SHOP / "base")
    names = {r.name for r in base_cm.resources if r.kind in ("ConfigMap", "Secret")}
    assert {n.rsplit("-", 1)[0] for n in names} == {"web-config", "db-credentials"}
    templates = "".join(p.read_text(encoding="utf-8") for p in (shop / "templates").glob("*.yaml"))
    for name in names:
        assert name in templates
    # prod merges a literal into web-config: a new hash, and the Deployment's references follow it.
    prod_name = next(r.name for r in plain_build(ENVS["prod"]).resources if r.name.startswith("web-config-"))
    assert prod_name not in names
    prod = json.dumps(values_of(shop, "prod"))
    assert prod.count(prod_name) == 2  # envFrom and the volume
    # prod replaces db-credentials: the Secret's new name, and both secretKeyRefs that follow it.
    prod_secret = next(r.name for r in plain_build(ENVS["prod"]).resources if r.kind == "Secret")
    assert prod_secret not in names
    assert prod.count(prod_secret) == 2  # the web Deployment's and the db StatefulSet's env


def test_generated_objects_are_keyed_by_their_generator_names(shop: Path) -> None:
    # Keys and chart file names carry no content hash: overrides keep applying when it changes.
    base = kyaml.load_all((shop / "values.yaml").read_text(encoding="utf-8"))[0]
    assert base["dbCredentials"]["shop"]["existingSecret"] == ""
    assert base["web"]["config"]["shop"]["files"]["app.properties"] == "files/web-config/app.properties"
    prod = values_of(shop, "prod")
    assert prod["webConfigProd"]["configMap"]["enabled"] is True  # prod's own ConfigMap, beside the base's
    assert prod["dbCredentialsProd"]["secret"]["enabled"] is True
    made = {p.relative_to(shop).as_posix() for p in shop.rglob("*") if p.is_file()}
    assert {
        "templates/db-credentials.yaml",
        "templates/web-config-prod.yaml",
        "files/web-config-prod/app.properties",
    } <= made
    built = [r for folder in (SHOP / "base", *ENVS.values()) for r in plain_build(folder).resources]
    hashes = {r.name.rsplit("-", 1)[1].lower() for r in built if r.kind in ("ConfigMap", "Secret")}
    keys = {
        key.lower()
        for name in ("values.yaml", *(f"values-{env}.yaml" for env in ENVS))
        for key in re.findall(r"^\s*([\w.-]+):", (shop / name).read_text(encoding="utf-8"), re.M)
    }
    assert len(hashes) == 4
    for digest in hashes:
        assert not [rel for rel in made if digest in rel]
        assert not [key for key in keys if digest in key]


def test_origin_annotations_name_file_and_line_and_are_stripped(shop: Path) -> None:
    report = json.loads((shop / "helmify-report.json").read_text(encoding="utf-8"))
    where = {
        (r["kind"], r["name"].rsplit("-", 1)[0] if r["kind"] == "ConfigMap" else r["name"]): r
        for r in report["resources"]
        if not r["source"].startswith("[")  # the base's objects, not those only an overlay has
    }
    web = where[("Deployment", "web")]
    assert (web["source"], web["line"]) == ("web.yaml", 1)
    service = where[("Service", "web")]
    lines = (SHOP / "base" / "web.yaml").read_text(encoding="utf-8").splitlines()
    assert service["source"] == "web.yaml" and lines[service["line"] - 1] == "apiVersion: v1"
    assert lines[service["line"] : service["line"] + 3] == ["kind: Service", "metadata:", "  name: web"]
    generated = where[("ConfigMap", "web-config")]
    kfile = (SHOP / "base" / "kustomization.yaml").read_text(encoding="utf-8").splitlines()
    assert generated["source"] == "kustomization.yaml"
    assert kfile[generated["line"] - 1].strip() == "- name: web-config"
    # An object only an overlay's component has is named by its file, from the base folder.
    metrics = next(r for r in report["resources"] if r["name"] == "web-metrics")
    assert metrics["source"] == "[staging] ../../components/metrics/metrics-service.yaml"
    assert metrics["line"] == 1
    chart_text = "".join(p.read_text(encoding="utf-8") for p in shop.rglob("*") if p.is_file())
    assert kustomize.ORIGIN not in chart_text
    assert "# Source: web.yaml" in (shop / "templates" / "web.yaml").read_text(encoding="utf-8")
    assert report["builtWith"].keys() == {"base", "dev", "staging", "prod"}
    assert "kustomize v" in report["builtWith"]["base"]


def test_raw_converts_the_files_as_they_are(tmp_path: Path) -> None:
    convert_ok(FLTS, tmp_path / "chart", "--raw")
    raw = manifests.load_folder(FLTS)  # the files, as --raw reads them
    proven = proof.prove(tmp_path / "chart", proof.Expected.sources(raw))
    assert proven.ok, "\n".join(proven.describe())
    inference = next(r for r in raw.resources if r.kind == "Deployment" and r.name == "inference")
    assert inference.namespace is None
    result = run("verify", tmp_path / "chart", FLTS, "--raw")
    assert result.exit_code == 0, result.stderr
    result = run("verify", tmp_path / "chart", FLTS)  # built: the namespace and label now differ
    assert result.exit_code == 1
    assert "missing from the chart: Deployment/flts/inference" in result.stdout


def test_no_kustomize_on_path_is_an_error_naming_both_and_raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "chart"
    result = run("convert", SHOP / "base", out)
    assert result.exit_code == 2
    message = result.stderr
    assert "kustomization.yaml" in message and "`kustomize`" in message and "`kubectl`" in message
    assert "--raw" in message and "Traceback" not in message
    assert not out.exists()
    verified = run("verify", tmp_path, SHOP / "base")
    assert verified.exit_code == 2
    assert run("convert", SHOP / "base", out, "--raw").exit_code == 0  # needs no kustomize


def test_a_failing_build_is_an_error_with_kustomizes_message(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {"kustomization.yaml": "resources:\n  - missing-deployment.yaml\n"},
    )
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: kustomization.yaml: ")
    assert "missing-deployment.yaml" in first and "Traceback" not in result.stderr
    assert not (tmp_path / "chart").exists()


def test_an_environment_whose_build_fails_names_its_folder(tmp_path: Path) -> None:
    bad = write_tree(tmp_path / "bad", {"kustomization.yaml": "resources: [nope.yaml]\n"})
    result = run("convert", SHOP / "base", tmp_path / "chart", "--env", f"dev={bad}")
    assert result.exit_code == 2
    assert f"{bad.as_posix()}/kustomization.yaml" in result.stderr and "nope.yaml" in result.stderr


def test_a_build_reaching_outside_its_folder_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"outside.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    src = write_tree(tmp_path / "src", {"kustomization.yaml": "resources: [../outside.yaml]\n"})
    result = run("convert", src, tmp_path / "chart")
    assert result.exit_code == 2
    assert "outside" in result.stderr


def test_check_diff_and_verify_follow_the_build(tmp_path: Path) -> None:
    src = tmp_path / "shop"
    shutil.copytree(SHOP, src)
    out = tmp_path / "chart"
    convert_ok(src / "base", out, "--env", f"prod={src / 'overlays' / 'prod'}")
    assert run("convert", src / "base", out, "--env", f"prod={src / 'overlays' / 'prod'}", "--check").exit_code == 0
    assert run("verify", out, src / "base", "--env", f"prod={src / 'overlays' / 'prod'}").exit_code == 0
    # Only the kustomization changes: the build, and so the chart, is different now.
    kfile = src / "base" / "kustomization.yaml"
    kfile.write_text(kfile.read_text(encoding="utf-8").replace("LOG_LEVEL=info", "LOG_LEVEL=debug"), encoding="utf-8")
    check = run("convert", src / "base", out, "--env", f"prod={src / 'overlays' / 'prod'}", "--check")
    assert check.exit_code == 1 and "values.yaml" in check.stderr + check.stdout
    diff = run("convert", src / "base", out, "--env", f"prod={src / 'overlays' / 'prod'}", "--diff")
    assert diff.exit_code == 1 and "LOG_LEVEL" in diff.stdout
    verified = run("verify", out, src / "base")
    assert verified.exit_code == 1
    assert "web-config" in verified.stdout + verified.stderr


def test_each_folder_is_built_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = kustomize.build

    def counting(folder: Path, tool: kustomize.Tool) -> kustomize.Build:
        calls.append(str(folder.resolve()))
        return real(folder, tool)

    monkeypatch.setattr(kustomize, "build", counting)
    out = tmp_path / "chart"
    base = SHOP / "base"
    convert_ok(base, out, "--env", f"same={base}", "--env", f"dev={ENVS['dev']}")
    assert sorted(calls) == sorted({str(base.resolve()), str(ENVS["dev"].resolve())})
    calls.clear()
    started = time.monotonic()
    result = run("verify", out, base, "--env", f"same={base}", "--env", f"dev={ENVS['dev']}")
    assert result.exit_code == 0, result.stderr
    assert len(calls) == 2 and time.monotonic() - started < 60


def test_a_folder_without_kustomization_is_read_as_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("no kustomize for a plain folder")

    monkeypatch.setattr(kustomize, "build", refuse)
    monkeypatch.setattr(kustomize, "find_tool", refuse)
    src = write_tree(
        tmp_path / "src",
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"},
    )
    convert_ok(src, tmp_path / "chart")
    report = json.loads((tmp_path / "chart" / "helmify-report.json").read_text(encoding="utf-8"))
    assert report["builtWith"] == {}
    assert "kustomization" not in (tmp_path / "chart" / "helmify-report.md").read_text(encoding="utf-8")


def test_exclude_applies_to_origin_files(tmp_path: Path) -> None:
    out = tmp_path / "chart"
    convert_ok(SHOP / "base", out, "--exclude", "db.yaml")
    report = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))
    assert {r["source"] for r in report["resources"]} == {"web.yaml", "kustomization.yaml"}


def test_build_output_is_bounded_in_time(tmp_path: Path) -> None:
    started = time.monotonic()
    loaded = kustomize.Sources().load(SHOP / "overlays" / "prod")
    assert time.monotonic() - started < 30
    assert loaded.built_with and all(r.built for r in loaded.resources)
    assert kustomize.TIMEOUT <= 300 and kustomize.MAX_OUTPUT <= 1 << 30


def test_a_build_writing_too_much_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kustomize, "MAX_OUTPUT", 100)
    with pytest.raises(UserError) as caught:
        kustomize.Sources().load(SHOP / "base")
    assert caught.value.where == Where("kustomization.yaml") and "too large" in caught.value.message


def test_field_lines_point_into_the_origin_file(shop: Path) -> None:
    values = (shop / "values.yaml").read_text(encoding="utf-8")
    web = (SHOP / "base" / "web.yaml").read_text(encoding="utf-8").splitlines()
    found = re.search(r"From web\.yaml:(\d+) spec\.replicas", values)
    assert found and web[int(found.group(1)) - 1] == "  replicas: 2"
    found = re.search(r"From web\.yaml:(\d+) spec\.template\.spec\.containers\[web\]\.image", values)
    assert found and web[int(found.group(1)) - 1].strip().startswith("image: registry.example.com/shop/web")


def test_a_secret_reference_an_environment_renames_is_carried(tmp_path: Path) -> None:
    # Not kustomize only: any environment whose workloads read another Secret than the base's.
    def folder(name: str, secret: str) -> Path:
        workload = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
            "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n"
            "          env:\n            - name: P\n"
            f"              valueFrom: {{secretKeyRef: {{name: {secret}, key: password}}}}\n"
        )
        secret_doc = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {secret}}}\nstringData: {{password: x}}\n"
        return write_tree(tmp_path / name, {"all.yaml": secret_doc + "---\n" + workload})

    base, prod = folder("base", "db-a"), folder("prod", "db-b")
    out = tmp_path / "chart"
    convert_ok(base, out, "--env", f"prod={prod}")
    assert_reproduces(out, base)
    assert_proven(out, prod, values_of(out, "prod"))


def test_a_temp_folder_behind_a_link_still_maps_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "a" / "b" / "c" / "tmp"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    monkeypatch.setenv("TMPDIR", str(link))
    monkeypatch.setattr("tempfile.tempdir", None)
    loaded = kustomize.Sources().load(SHOP / "base")
    assert {r.source for r in loaded.resources} == {"web.yaml", "db.yaml", "kustomization.yaml"}


def test_a_build_that_does_not_finish_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # A build that never ends, rather than a real one and a timeout of a millisecond: on a loaded
    # machine the real build could end before the timer's thread first ran.
    never = kustomize.Tool(("sh", "-c", "exec sleep 60"), "kubectl kustomize", "")
    monkeypatch.setattr(kustomize, "find_tool", lambda kustomization: never)
    monkeypatch.setattr(kustomize, "TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(UserError) as caught:
        kustomize.Sources().load(SHOP / "base")
    assert "did not finish" in caught.value.message and "--raw" in caught.value.message
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (
            "path: deploy/web.yaml\nrepo: https://github.com/shop/base\nref: v1\n",
            kustomize.Origin("https://github.com/shop/base//deploy/web.yaml?ref=v1", None, local=False),
        ),
        (
            "configuredIn: base/kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
            "repo: https://github.com/shop/base\n",
            kustomize.Origin(
                "https://github.com/shop/base//base/kustomization.yaml", "ConfigMapGenerator", local=False
            ),
        ),
        ("path: web.yaml\n", kustomize.Origin("web.yaml", None)),
        (
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: SecretGenerator\n",
            kustomize.Origin("kustomization.yaml", "SecretGenerator"),
        ),
    ],
)
def test_an_origin_names_its_generator_or_none_for_local_and_remote_bases(
    annotation: str, expected: kustomize.Origin
) -> None:
    assert kustomize._origin(annotation, "/tmp/w", "/tmp/w") == expected
