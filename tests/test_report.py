"""The review report: helmify-report.md and helmify-report.json, written by every convert.

Expectations are derived from the source manifests themselves (read independently here), never
copied from the tool's output.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, convert_ok, write_tree

from helmify_flts import kyaml

BASE = FIXTURES / ".kubernetes"
REDACTED = "<redacted>"
CREDENTIAL_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY")
REPORT_FILES = ("helmify-report.md", "helmify-report.json")


# --------------------------------------------------------------------------- helpers


def source_documents(folder: Path) -> list[tuple[str, dict]]:
    """Every YAML/JSON document in ``folder`` as (file name, object)."""
    docs = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        for doc in kyaml.load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict):
                docs.append((path.name, doc))
    return docs


def source_resources(folder: Path) -> list[tuple[str, dict]]:
    """Documents that are Kubernetes resources (apiVersion + kind, not Kustomize configuration)."""
    return [
        (f, d)
        for f, d in source_documents(folder)
        if d.get("apiVersion") and d.get("kind") and d["kind"] != "Kustomization"
    ]


def secret_strings(folder: Path) -> tuple[set[str], set[str]]:
    """(secret strings, strings that also occur as ordinary non-secret env values)."""
    secrets: set[str] = set()
    plain: set[str] = set()
    for _, doc in source_resources(folder):
        if doc["kind"] == "Secret":
            for section in ("stringData", "data"):
                for value in (doc.get(section) or {}).values():
                    secrets.add(str(value))
        for env in _env_entries(doc):
            if "value" not in env:
                continue
            if CREDENTIAL_NAME.search(str(env.get("name", "")).upper()):
                secrets.add(str(env["value"]))
            else:
                plain.add(str(env["value"]))
    return secrets, plain


def _env_entries(doc: dict):
    def walk(node: Any):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "env" and isinstance(value, list):
                    yield from (e for e in value if isinstance(e, dict))
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(doc)


def lookup(values: dict, dotted: str) -> Any:
    """Follow a key as --set writes it: segments split on dots that are not escaped (a\\.b)."""
    cur: Any = values
    for part in (p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", dotted)):
        assert isinstance(cur, dict) and part in cur, f"values key {dotted!r} not in values.yaml (at {part!r})"
        cur = cur[part]
    return cur


def fields_by_path(report: dict, kind: str, name: str) -> dict[str, dict]:
    matches = [r for r in report["resources"] if r["kind"] == kind and r["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} entries in the report"
    return {f["path"]: f for f in matches[0]["fields"]}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "flts"
    convert_ok(BASE, out)
    return out


@pytest.fixture(scope="module")
def report(chart: Path) -> dict:
    return json.loads((chart / "helmify-report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def markdown(chart: Path) -> str:
    return (chart / "helmify-report.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- files and packaging


def test_convert_writes_both_report_files(chart: Path) -> None:
    for name in REPORT_FILES:
        assert (chart / name).is_file(), name
        assert (chart / name).stat().st_size > 0, name


def test_helmignore_lists_both_report_files(chart: Path) -> None:
    lines = {line.strip() for line in (chart / ".helmignore").read_text(encoding="utf-8").splitlines()}
    for name in REPORT_FILES:
        assert name in lines, f"{name} not in .helmignore"


def test_packaged_chart_leaves_the_reports_out(chart: Path, tmp_path: Path) -> None:
    import helm_python

    archive = helm_python.package(str(chart), destination=str(tmp_path))
    with tarfile.open(archive) as tar:
        names = [Path(n).name for n in tar.getnames()]
    assert "values.yaml" in names and "Chart.yaml" in names
    for name in REPORT_FILES:
        assert name not in names, f"{name} was packaged"


def test_report_is_written_for_a_small_synthetic_chart(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {"cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n")},
    )
    out = tmp_path / "small"
    convert_ok(src, out)
    data = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))
    assert [(r["kind"], r["name"], r["source"]) for r in data["resources"]] == [("ConfigMap", "settings", "cm.yaml")]
    assert "ConfigMap" in (out / "helmify-report.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- JSON content


def test_json_lists_every_source_resource_with_location(report: dict) -> None:
    expected = sorted((d["kind"], (d.get("metadata") or {}).get("name"), f) for f, d in source_resources(BASE))
    got = sorted((r["kind"], r["name"], r["source"]) for r in report["resources"])
    assert got == expected
    for res in report["resources"]:
        assert "namespace" in res
        lines = (BASE / res["source"]).read_text(encoding="utf-8").splitlines()
        assert isinstance(res["line"], int) and 1 <= res["line"] <= len(lines), res
        start = lines[res["line"] - 1].strip()
        assert start and not start.startswith("#") and start != "---", (res["source"], res["line"], start)
        # The document that starts at that line is this resource: its kind and name follow.
        rest = []
        for line in lines[res["line"] - 1 :]:
            if line.strip() == "---":
                break
            rest.append(line)
        body = "\n".join(rest)
        assert re.search(rf'kind"?:\s*"?{re.escape(res["kind"])}\b', body), (res["source"], res["line"])
        assert re.search(rf'name"?:\s*"?{re.escape(res["name"])}"?\s*,?$', body, re.M), (res["source"], res["line"])


def test_namespace_recorded_as_built(report: dict) -> None:
    # The fixture is a kustomization with `namespace: flts`: every namespaced object is in flts.
    by_id = {(r["kind"], r["name"]): r for r in report["resources"]}
    assert by_id[("Secret", "postgres-credentials")]["namespace"] == "flts"
    assert by_id[("Deployment", "inference")]["namespace"] == "flts"
    assert not by_id[("ClusterRole", "flts-prometheus")]["namespace"]


def test_namespace_recorded_as_in_source_with_raw(tmp_path: Path) -> None:
    convert_ok(BASE, tmp_path / "flts", "--raw")
    report = json.loads((tmp_path / "flts" / "helmify-report.json").read_text(encoding="utf-8"))
    by_id = {(r["kind"], r["name"]): r for r in report["resources"]}
    assert by_id[("Secret", "postgres-credentials")]["namespace"] == "flts"
    assert not by_id[("Deployment", "inference")]["namespace"]
    assert "builtWith" in report and report["builtWith"] == {}


def test_inference_image_maps_to_inference_image_key(report: dict) -> None:
    fields = fields_by_path(report, "Deployment", "inference")
    field = fields["spec.template.spec.containers[inference].image"]
    assert field["key"] == "inference.image"
    assert field["original"] == "flts/inference:latest"
    assert field["rule"]


def test_train_gru_epochs_is_in_the_report(report: dict) -> None:
    fields = fields_by_path(report, "Deployment", "train-gru")
    [path] = [p for p in fields if p.endswith("env[EPOCHS].value")]
    assert path == "spec.template.spec.containers[train-gru].env[EPOCHS].value"
    assert fields[path]["original"] == "10"
    assert fields[path]["key"] and fields[path]["rule"]


def _expected_path(obj: Any, pointer: str) -> str:
    """The dotted path for a JSON pointer, naming list items by their ``name`` when they have one."""
    out = ""
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(obj, list):
            item = obj[int(part)]
            label = item.get("name") if isinstance(item, dict) and item.get("name") else part
            out += f"[{label}]"
            obj = item
        else:
            # Keys with dots or slashes (data["haproxy.cfg"]) are written in brackets.
            plain = all(c.isalnum() or c in "_-" for c in part)
            out += (("." if out else "") + part) if plain else f'["{part}"]'
            obj = obj.get(part) if isinstance(obj, dict) else None
    return out


def test_field_paths_name_list_items_by_name(report: dict) -> None:
    sources = {(d["kind"], d["metadata"]["name"]): d for _, d in source_resources(BASE)}
    checked = 0
    for res in report["resources"]:
        obj = sources[(res["kind"], res["name"])]
        for field in res["fields"]:
            assert field["path"] == _expected_path(obj, field["pointer"]), (res["name"], field)
            checked += 1
    assert checked > 100
    all_paths = [f["path"] for r in report["resources"] for f in r["fields"]]
    assert not [p for p in all_paths if re.search(r"(containers|env|ports)\[\d+\]", p)]


def test_every_field_has_key_original_and_rule(report: dict) -> None:
    for res in report["resources"]:
        for field in res["fields"]:
            assert {"path", "original", "key", "rule"} <= set(field), field
            assert field["key"] and field["rule"], field


def test_patch_is_empty_for_every_fixture_resource(report: dict) -> None:
    assert report["resources"]
    for res in report["resources"]:
        assert res["patch"] == [], (res["kind"], res["name"], res["patch"])


def test_built_folder_converts_what_the_kustomization_lists(report: dict) -> None:
    # The patch file lies in the folder but the kustomization does not list it: not converted.
    assert report["skipped"] == []
    assert "inference-patch-resources.yaml" not in {r["source"] for r in report["resources"]}
    assert report["builtWith"]["base"].startswith(("kustomize", "kubectl kustomize"))


def test_skipped_documents_listed_with_file_and_line(tmp_path: Path) -> None:
    convert_ok(BASE, tmp_path / "flts", "--raw")
    report = json.loads((tmp_path / "flts" / "helmify-report.json").read_text(encoding="utf-8"))
    skipped = {s["file"]: s for s in report["skipped"]}
    assert set(skipped) == {"kustomization.yaml", "inference-patch-resources.yaml"}
    for name, item in skipped.items():
        lines = (BASE / name).read_text(encoding="utf-8").splitlines()
        assert isinstance(item["line"], int) and 1 <= item["line"] <= len(lines), item
        assert not lines[item["line"] - 1].lstrip().startswith("#"), item
        assert item["message"]


def test_summary_line_counts_resources(report: dict) -> None:
    summary = report["summary"]
    assert isinstance(summary, str) and "\n" not in summary
    match = re.search(r"(\d+) resources", summary)
    assert match and int(match.group(1)) == len(source_resources(BASE))
    assert re.search(r"\b0 documents skipped\b", summary)  # built: the kustomization says what is read


def test_every_key_exists_in_values_with_the_original_value(chart: Path, report: dict) -> None:
    values = kyaml.load_all((chart / "values.yaml").read_text(encoding="utf-8"))[0]
    compared = 0
    for res in report["resources"]:
        for field in res["fields"]:
            held = lookup(values, field["key"])
            original = field["original"]
            if original is None or (isinstance(original, str) and REDACTED in original):
                continue
            compared += 1
            if field["rule"] == "existing-secret":
                # Empty means "the Secret from the manifests"; the original name stays the default.
                assert held == "", field["key"]
            elif field["rule"] == "configmap-files":
                # Multi-line config moved into the chart: values hold the file's path.
                assert (chart / held).read_text(encoding="utf-8") == original, field["key"]
            elif (
                isinstance(held, dict)
                and "repository" in held
                and isinstance(original, str)
                and field["path"].endswith(".image")
            ):
                image = held["repository"] + (f":{held['tag']}" if held.get("tag") is not None else "")
                if held.get("digest"):
                    image += f"@{held['digest']}"
                assert image == original, (field["key"], held, original)
            else:
                assert held == original, (field["key"], held, original)
    assert compared > 100


def test_inference_image_in_values_is_repository_and_tag(chart: Path) -> None:
    values = kyaml.load_all((chart / "values.yaml").read_text(encoding="utf-8"))[0]
    assert values["inference"]["image"]["repository"] == "flts/inference"
    assert values["inference"]["image"]["tag"] == "latest"


# --------------------------------------------------------------------------- redaction


def test_fixture_secrets_are_collected() -> None:
    """Guard for the redaction test: the fixtures really contain the secrets it looks for."""
    secrets, _ = secret_strings(BASE)
    assert {"minioadmin123", "bWxmbG93LWRldi1wYXNz", "admin"} <= secrets


@pytest.mark.parametrize("name", REPORT_FILES)
def test_no_fixture_secret_in_the_report(chart: Path, report: dict, name: str) -> None:
    text = (chart / name).read_text(encoding="utf-8")
    secrets, plain = secret_strings(BASE)
    # A secret that is also an ordinary (non-secret) env value elsewhere, such as Grafana's
    # admin user "admin", may legitimately appear for that other field; every other secret
    # string must not appear at all.
    for secret in sorted(secrets - plain):
        assert secret not in text, f"secret {secret!r} appears in {name}"
    assert REDACTED in text
    # The shared ones: the credential fields themselves are redacted; a secretKeyRef beside them
    # holds the name of a Secret, which is not secret and reads the same as the Secret's heading.
    for res in report["resources"]:
        for field in res["fields"]:
            if re.search(r"ENV\[[^\]]*(PASSWORD|SECRET|TOKEN|_KEY)[^\]]*\]\.VALUE$", field["path"].upper()):
                assert field["original"] == REDACTED, (res["name"], field)
            elif field["path"].endswith("secretKeyRef.name"):
                assert field["original"] not in (REDACTED, None), (res["name"], field)


def test_credential_env_fields_in_fixtures_are_redacted(report: dict) -> None:
    grafana = fields_by_path(report, "Deployment", "grafana")
    path = "spec.template.spec.containers[grafana].env[GF_SECURITY_ADMIN_PASSWORD].value"
    assert grafana[path]["original"] == REDACTED
    mlflow = fields_by_path(report, "Deployment", "mlflow")
    assert mlflow["spec.template.spec.containers[mlflow].env[AWS_SECRET_ACCESS_KEY].value"]["original"] == REDACTED


SYNTHETIC = {
    "secret.yaml": (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: app-secret\n"
        "type: Opaque\n"
        "stringData:\n"
        "  dbPassword: s3cr3t-Str1ngData-VALUE\n"
        "data:\n"
        "  apiKey: ZGF0YS1zZWNyZXQtdmFsdWU=\n"
    ),
    "deploy.yaml": (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: app\n"
        "spec:\n"
        "  replicas: 1\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: app\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: app\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: app\n"
        "          image: example/app:1.2.3\n"
        "          env:\n"
        "            - name: API_TOKEN\n"
        "              value: tok-9f8e7d6c5b4a-PLAINTEXT\n"
        "            - name: LOG_LEVEL\n"
        "              value: debug-visible\n"
    ),
}


def test_synthetic_secret_and_api_token_are_redacted(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", SYNTHETIC)
    out = tmp_path / "app"
    convert_ok(src, out)
    secrets, _ = secret_strings(src)
    assert secrets == {"s3cr3t-Str1ngData-VALUE", "ZGF0YS1zZWNyZXQtdmFsdWU=", "tok-9f8e7d6c5b4a-PLAINTEXT"}
    for name in REPORT_FILES:
        text = (out / name).read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {name}"
        assert "data-secret-value" not in text  # the decoded data value neither
        assert REDACTED in text, name
        assert "debug-visible" in text, "a non-secret env value should be shown"
    data = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))
    fields = fields_by_path(data, "Deployment", "app")
    assert fields["spec.template.spec.containers[app].env[API_TOKEN].value"]["original"] == REDACTED


# --------------------------------------------------------------------------- Markdown


def test_markdown_has_a_section_per_resource(markdown: str) -> None:
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    for _, doc in source_resources(BASE):
        kind, name = doc["kind"], doc["metadata"]["name"]
        assert [h for h in headings if f"{kind}/" in h and h.rstrip().endswith(name)], f"no section for {kind}/{name}"
    resource_headings = [h for h in headings if re.match(r"#+ \w+/", h)]
    assert len(resource_headings) == len(source_resources(BASE))


def test_markdown_contains_the_summary_line(markdown: str, report: dict) -> None:
    lines = markdown.splitlines()
    assert report["summary"] in lines
    assert re.search(r"\d+ resources", report["summary"])


def test_markdown_mentions_lifted_field_keys(markdown: str) -> None:
    assert "`inference.image`" in markdown
    assert "env[EPOCHS]" in markdown
