"""cluster-ip (in the conventions): a Service's fixed clusterIP is left out of the chart, declared
and proven, so that two releases do not ask for the same address; headless Services keep None."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import assert_reproduces, convert_ok, render_objects, run, write_tree

FIXED = "10.96.12.34"
OTHER = "10.96.99.1"

APP = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.27", ports: [{{containerPort: 80}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, labels: {{app: web}}}}
spec:
  clusterIP: {FIXED}
  clusterIPs: [{FIXED}]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-headless, labels: {{app: web}}}}
spec:
  clusterIP: None
  clusterIPs: [None]
  selector: {{app: web}}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-plain, labels: {{app: web}}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 8080}}]
"""

SERVICE = ("", "Service", "", "release-web")
HEADLESS = ("", "Service", "", "release-web-headless")
PLAIN = ("", "Service", "", "release-web-plain")


def _folders(tmp_path: Path, app: str = APP, env: str | None = None) -> tuple[Path, Path]:
    write_tree(tmp_path, {"src/app.yaml": app, "prod/app.yaml": env if env is not None else app.replace(FIXED, OTHER)})
    return tmp_path / "src", tmp_path / "prod"


def _conventions(tmp_path: Path, *extra: str, app: str = APP) -> Path:
    src, _ = _folders(tmp_path, app)
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--chart-name", "shop", "--rules", "conventions", *extra)
    return chart


def test_conventions_leave_a_fixed_cluster_ip_out_and_verify_accepts_it(tmp_path: Path) -> None:
    chart = _conventions(tmp_path)
    result = run("verify", chart, tmp_path / "src")
    assert result.exit_code == 0, result.stdout + result.stderr
    objects = render_objects(chart)
    spec = objects[SERVICE]["spec"]
    assert "clusterIP" not in spec and "clusterIPs" not in spec
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"  # allocated by these
    headless = objects[HEADLESS]["spec"]
    assert headless["clusterIP"] == "None" and headless["clusterIPs"] == ["None"]
    assert "clusterIP" not in objects[PLAIN]["spec"]
    # Two releases: neither asks for an address.
    other = render_objects(chart, release="second")[("", "Service", "", "second-web")]["spec"]
    assert "clusterIP" not in other and "clusterIPs" not in other
    assert FIXED not in (chart / "templates" / "web.yaml").read_text()
    assert FIXED not in (chart / "values.yaml").read_text()


def test_the_declaration_and_the_report_say_why(tmp_path: Path) -> None:
    chart = _conventions(tmp_path)
    recorded = json.loads((chart / ".helmify-changes.json").read_text())
    edits = [c for c in recorded["folders"][""] if c.get("rule") == "cluster-ip"]
    assert [(c["edit"], c["ops"]) for c in edits] == [
        (
            ["", "Service", "", "web"],
            [{"op": "remove", "path": "/spec/clusterIP"}, {"op": "remove", "path": "/spec/clusterIPs"}],
        )
    ]
    assert "allocates one per release" in edits[0]["why"]
    report = json.loads((chart / "helmify-report.json").read_text())
    web = next(r for r in report["resources"] if r["kind"] == "Service" and r["name"] == "web")
    assert {"op": "remove", "path": "/spec/clusterIP"} in web["changes"]
    headless = next(r for r in report["resources"] if r["kind"] == "Service" and r["name"] == "web-headless")
    assert not any("clusterIP" in op["path"] for op in headless.get("changes") or [])
    markdown = (chart / "helmify-report.md").read_text()
    assert "# rule cluster-ip: a fixed cluster IP clashes between releases" in markdown


def test_only_the_conventions_leave_the_fixed_ip_out(tmp_path: Path) -> None:
    src, _ = _folders(tmp_path)
    plain = tmp_path / "plain"
    convert_ok(src, plain, "--chart-name", "shop")
    assert_reproduces(plain, src)
    kept = render_objects(plain)[("", "Service", "", "web")]["spec"]
    assert kept["clusterIP"] == FIXED and kept["clusterIPs"] == [FIXED]
    assert "clusterIP" not in yaml.safe_load((plain / "values.yaml").read_text())["web"]["service"]
    chart = tmp_path / "conventions"
    convert_ok(src, chart, "--chart-name", "shop", "--rules", "conventions")
    assert "clusterIP" not in render_objects(chart)[SERVICE]["spec"]


def test_an_environment_with_another_fixed_ip_renders_without_either(tmp_path: Path) -> None:
    src, prod = _folders(tmp_path)
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--chart-name", "shop", "--rules", "conventions", "--env", f"prod={prod}")
    overlay = (chart / "values-prod.yaml").read_text()
    assert OTHER not in overlay and FIXED not in (chart / "values.yaml").read_text()  # no key for either
    values = yaml.safe_load(overlay) or {}
    for spec in (render_objects(chart)[SERVICE]["spec"], render_objects(chart, values=values)[SERVICE]["spec"]):
        assert "clusterIP" not in spec and "clusterIPs" not in spec
    recorded = json.loads((chart / ".helmify-changes.json").read_text())
    assert any(c.get("rule") == "cluster-ip" for c in recorded["folders"]["prod"])
    result = run("verify", chart, src, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_an_environment_without_the_ip_or_with_it_only_there(tmp_path: Path) -> None:
    """The base asks for an address and the environment for none, and the other way round: one
    template renders both folders without one."""
    lines = [f"  clusterIP: {FIXED}\n", f"  clusterIPs: [{FIXED}]\n"]
    without = APP
    for line in lines:
        without = without.replace(line, "")
    for base, env in ((APP, without), (without, APP)):
        src, prod = _folders(tmp_path / str(len(base)), base, env)
        chart = tmp_path / str(len(base)) / "chart"
        convert_ok(src, chart, "--chart-name", "shop", "--rules", "conventions", "--env", f"prod={prod}")
        assert FIXED not in (chart / "values-prod.yaml").read_text() + (chart / "values.yaml").read_text()
        result = run("verify", chart, src, "--env", f"prod={prod}")
        assert result.exit_code == 0, result.stdout + result.stderr


def test_the_values_key_gives_one_release_its_fixed_ip(tmp_path: Path) -> None:
    chart = _conventions(tmp_path)
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["web"]["service"]["clusterIP"] == ""  # renders nothing until set
    spec = render_objects(chart, values={"web": {"service": {"clusterIP": OTHER}}})[SERVICE]["spec"]
    assert spec["clusterIP"] == OTHER and "clusterIPs" not in spec


def test_a_template_edited_back_to_the_fixed_ip_fails_verify(tmp_path: Path) -> None:
    chart = _conventions(tmp_path)
    template = chart / "templates" / "web.yaml"
    text = template.read_text()
    assert "  ipFamilies:\n" in text
    template.write_text(text.replace("  ipFamilies:\n", f"  clusterIP: {FIXED}\n  ipFamilies:\n", 1))
    result = run("verify", chart, tmp_path / "src")
    assert result.exit_code == 1
    assert "clusterIP" in result.stdout + result.stderr


def test_a_service_headless_in_one_folder_keeps_its_fields(tmp_path: Path) -> None:
    """One template renders every folder: where an environment's Service is headless, the field
    is the environment's to keep, so the base's address stays too (and both folders reproduce)."""
    env = APP.replace(f"  clusterIP: {FIXED}\n  clusterIPs: [{FIXED}]\n", "  clusterIP: None\n")
    src, prod = _folders(tmp_path, APP, env)
    chart = tmp_path / "chart"
    result = run("convert", src, chart, "--chart-name", "shop", "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "Service web: its fixed spec.clusterIP stays" in result.stderr  # said, not silent
    assert "its fixed spec.clusterIP stays" in (chart / "helmify-report.md").read_text()
    assert render_objects(chart)[SERVICE]["spec"]["clusterIP"] == FIXED
    result = run("verify", chart, src, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_an_external_name_service_and_an_empty_ip_stay(tmp_path: Path) -> None:
    extra = """\
---
apiVersion: v1
kind: Service
metadata: {name: web-db, labels: {app: web}}
spec: {type: ExternalName, externalName: db.example.org}
---
apiVersion: v1
kind: Service
metadata: {name: web-auto, labels: {app: web}}
spec:
  clusterIP: ""
  selector: {app: web}
  ports: [{port: 81}]
"""
    chart = _conventions(tmp_path, app=APP + extra)
    objects = render_objects(chart)
    assert objects[("", "Service", "", "release-web-auto")]["spec"]["clusterIP"] == ""
    assert objects[("", "Service", "", "release-web-db")]["spec"]["externalName"] == "db.example.org"
    assert "clusterIP" not in objects[SERVICE]["spec"]


USER_RULE = """\
rules:
  - id: svc-fixed-ip
    description: The Service's fixed address, e.g. 10.96.12.34
    match: {kinds: [Service], names: [web]}
    path: spec.clusterIP
    key: "{component}.service.fixedIP"
"""


def test_a_users_rule_lifting_the_field_is_told_its_key_is_read_by_no_template(tmp_path: Path) -> None:
    # cluster-ip replaces spec.clusterIP after the rule lifted it: the rule's key would be a knob
    # that changes nothing. Said with the rule's file and line; the chart still proves.
    src = write_tree(tmp_path / "src", {"app.yaml": APP})
    rule_file = write_tree(tmp_path, {"rules.yaml": USER_RULE}) / "rules.yaml"
    out = tmp_path / "out"
    result = run("convert", src, out, "--rules", "conventions", "--rules", rule_file)
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "no template reads" in line]
    assert warned == [
        f"warning: {rule_file}:2: rule 'svc-fixed-ip' lifts spec.clusterIP of Service/web into "
        "web.service.fixedIP, but a refactoring replaces that field, so no template reads the key and setting "
        "it changes nothing; leave the rule out, or use the key the refactoring documents in values.yaml"
    ]
    assert ".Values.web.service.fixedIP" not in (out / "templates" / "web.yaml").read_text()
    # Without the refactoring the same rule's key is read, and nothing is said.
    plain = run("convert", src, tmp_path / "plain", "--rules", rule_file)
    assert plain.exit_code == 0 and "no template reads" not in plain.stderr
    assert ".Values.web.service.fixedIP" in (tmp_path / "plain" / "templates" / "web.yaml").read_text()


def test_the_report_lists_the_key_the_refactoring_adds(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": APP})
    out = tmp_path / "out"
    convert_ok(src, out, "--rules", "conventions")
    report = json.loads((out / "helmify-report.json").read_text())
    added = {item["key"]: item["comment"] for item in report["addedValues"]}
    assert added["web.service.clusterIP"].startswith("Fixed cluster IP of the web Service")
    markdown = (out / "helmify-report.md").read_text()
    assert "## Values keys the refactorings add" in markdown and "- `web.service.clusterIP`: Fixed" in markdown
    # Without refactorings there are none, and the section is left out.
    convert_ok(src, tmp_path / "plain")
    assert json.loads((tmp_path / "plain" / "helmify-report.json").read_text())["addedValues"] == []
    assert "refactorings add" not in (tmp_path / "plain" / "helmify-report.md").read_text()
