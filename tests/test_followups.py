"""Known gaps of the refactoring packs, closed: each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, convert_ok, render_objects, run, write_tree

from helmify_flts import render

SHOP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          env:
            - name: DB_URLS
              value: postgres://db.shop.svc:5432/shop,postgres://db.shop.svc.example.org:5432/shop
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
"""


def test_release_namespace_rewrites_only_the_host_names_it_found(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"shop.yaml": SHOP})
    convert_ok(src, tmp_path / "chart", "--rules", "conventions", "--chart-name", "shop")
    web = render_objects(tmp_path / "chart", namespace="other")[("apps", "Deployment", "other", "release-web")]
    env = {e["name"]: e["value"] for e in web["spec"]["template"]["spec"]["containers"][0]["env"]}
    # The cluster host follows the namespace (and the release name); the external look-alike stays.
    assert env["DB_URLS"] == "postgres://release-db.other.svc:5432/shop,postgres://db.shop.svc.example.org:5432/shop"


def test_verify_summary_of_a_refactored_chart_says_as_declared(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"shop.yaml": SHOP})
    convert_ok(src, tmp_path / "chart", "--rules", "conventions", "--chart-name", "shop")
    result = run("verify", tmp_path / "chart", src)
    assert result.exit_code == 0
    assert "2 of 2 resources as declared (2 with declared changes)" in result.stderr
    assert "identical" not in result.stderr
    # An exact chart keeps its wording.
    convert_ok(src, tmp_path / "exact", "--chart-name", "shop")
    assert "2 of 2 resources identical," in run("verify", tmp_path / "exact", src).stderr


PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
"""


def test_markdown_report_shows_each_environments_declared_changes(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"shop.yaml": SHOP})
    dev = write_tree(tmp_path / "dev", {"shop.yaml": SHOP})
    prod = write_tree(tmp_path / "prod", {"shop.yaml": SHOP, "pdb.yaml": PDB})
    chart = tmp_path / "chart"
    convert_ok(
        src, chart, "--rules", "conventions", "--chart-name", "shop", "--env", f"dev={dev}", "--env", f"prod={prod}"
    )
    text = (chart / "helmify-report.md").read_text()
    dev_part = text[text.index("## Environment `dev`") : text.index("## Environment `prod`")]
    prod_part = text[text.index("## Environment `prod`") :].split("\n## ", 1)[0]
    assert "Declared changes: same changes as the base." in dev_part
    assert "```diff" not in dev_part
    # Only prod's budget is shown; the Deployment and the Service have the base's changes.
    assert "PodDisruptionBudget/shop/web:" in prod_part and "# rule release-names:" in prod_part
    assert '+ spec.selector.matchLabels["app.kubernetes.io/instance"]: "release"' in prod_part
    assert "Deployment/shop/web:" not in prod_part and "Service/shop/db:" not in prod_part
    assert "the 2 other changed resource(s) have the same changes as the base" in prod_part


def test_notes_follow_an_environments_service_type(tmp_path: Path) -> None:
    service = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
    )
    src = write_tree(tmp_path / "src", {"web.yaml": service})
    prod = write_tree(tmp_path / "prod", {"web.yaml": service.replace("spec:\n", "spec:\n  type: LoadBalancer\n")})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions", "--chart-name", "shop", "--env", f"prod={prod}")

    def notes(values: dict | None) -> str:
        return render.render_chart(chart, values, "shop", "default")["shop/templates/NOTES.txt"]

    base = notes(None)
    assert "kubectl port-forward -n default svc/shop-web 80:80" in base and "LoadBalancer" not in base
    prod_notes = notes(render.load_values_file(chart / "values-prod.yaml"))
    assert "Service shop-web (LoadBalancer)" in prod_notes and "port-forward" not in prod_notes


def test_verify_accepts_what_a_refactoring_switch_adds_and_reports_hand_edits(tmp_path: Path) -> None:
    case = ROOT / "tests" / "cases" / "refactor-release-namespace"
    chart = tmp_path / "chart"
    convert_ok(
        case / "input",
        chart,
        "--chart-name",
        "ns",
        *[a for f in (case / "rules").glob("*.yaml") for a in ("--rules", f)],
    )
    on = ("--set", "namespace.create=true")
    result = run("verify", chart, case / "input", *on)
    assert result.exit_code == 0
    assert "Namespace/shop is added by rule namespace, switched on" in result.stderr
    assert "1 added by switched-on rules" in result.stderr
    # Still checked for shape: a broken added object fails verify.
    template = chart / "templates" / "shop.yaml"
    original = template.read_text()
    template.write_text(original.replace("metadata:\n", "metadata:\n  labelz: {a: b}\n"))
    broken = run("verify", chart, case / "input", *on)
    assert broken.exit_code == 1 and "labelz" in broken.stdout
    # An object a hand-edited template adds is reported, switch on or not.
    template.write_text(original)
    web = chart / "templates" / "web.yaml"
    web.write_text(web.read_text() + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: sneaky}\n")
    edited = run("verify", chart, case / "input", *on)
    assert edited.exit_code == 1 and "rendered but not in the source: Namespace/sneaky" in edited.stdout


class _OptInPolicies:
    """An opt-in extra as the production pack's are: a template of guarded objects behind a values
    switch that is off by default, and no declared change (the default render is the sources')."""

    name = "opt-in-policies"
    summary = "test only"
    options: dict = {}

    def declare(self, objects, ctx, rule):  # noqa: ANN001, ANN201
        return []

    def template(self, objects, ctx, rule, chart, out) -> None:  # noqa: ANN001
        out.values.append((("policies", "enabled"), False, "Render the deny-all policy"))
        out.files["templates/opt-in-policies.yaml"] = (
            "{{- if .Values.policies.enabled }}\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata:\n  name: deny-all\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n{{- end }}\n"
        )


def test_verify_accepts_an_opt_in_extra_switched_on(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from helmify_flts import refactorings, rules

    monkeypatch.setitem(refactorings.REGISTRY, "opt-in-policies", _OptInPolicies())
    enum = rules.schema()["$defs"]["rule"]["properties"]["refactor"]["enum"]
    monkeypatch.setitem(rules.schema()["$defs"]["rule"]["properties"]["refactor"], "enum", [*enum, "opt-in-policies"])
    src = write_tree(tmp_path / "src", {"shop.yaml": SHOP})
    text = "rules:\n  - id: policies\n    description: A deny-all policy.\n    refactor: opt-in-policies\n"
    rule = write_tree(tmp_path, {"extra.yaml": text})
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--chart-name", "shop", "--rules", rule / "extra.yaml")
    assert run("verify", chart, src).exit_code == 0
    on = run("verify", chart, src, "--set", "policies.enabled=true")
    assert on.exit_code == 0 and "NetworkPolicy/deny-all is added by rule policies, switched on" in on.stderr


def test_verify_summary_counts_what_the_chart_must_render(tmp_path: Path) -> None:
    import re

    chart = tmp_path / "chart"
    convert_ok(ROOT / "fixtures/.kubernetes", chart, "--rules", "production", "--chart-name", "flts")
    result = run("verify", chart, ROOT / "fixtures/.kubernetes", "--set", "podDisruptionBudgets.enabled=true")
    assert result.exit_code == 0
    found = re.search(r"(\d+) of (\d+) resources as declared", result.stderr)
    assert found and found.group(1) == found.group(2), result.stderr  # objects the pack adds count on both sides
    assert "added by rule pod-disruption-budgets, switched on" in result.stderr
