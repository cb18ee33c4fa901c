"""checksum-roll over environments that read another object, or one the chart does not render
there (its existingSecret switch set), and the existingSecret comment of a kustomize-generated
object."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import assert_reproduces, render_objects, run, write_tree

from helmify_flts import kyaml, render

SHOP = Path(__file__).parent / "kustomize" / "shop"

SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\nstringData: {TOKEN: %s}\n---\n"
APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {app: app}}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: example/app:1
          env:
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: %s, key: TOKEN}}
"""


def folders(root: Path, **each: tuple[tuple[str, ...], str]) -> dict[str, Path]:
    """One folder per name: the Secrets it holds and the Secret its Deployment reads."""
    out = {}
    for name, (secrets, reads) in each.items():
        text = "".join(SECRET % (s, s) for s in secrets) + APP % reads
        out[name] = write_tree(root / name, {"app.yaml": text})
    return out


def env_args(trees: dict[str, Path]) -> list[str]:
    return [arg for name, path in trees.items() if name != "base" for arg in ("--env", f"{name}={path}")]


def values(chart: Path, name: str) -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def checksums(chart: Path, values_: dict | None = None) -> dict[str, str]:
    objects = render_objects(chart, values=values_)
    app = next(obj for ident, obj in objects.items() if ident[1] == "Deployment")
    annotations = app["spec"]["template"]["metadata"].get("annotations") or {}
    return {k: v for k, v in annotations.items() if k.startswith("checksum/")}


def sha_of(chart: Path, rel: str, values_: dict | None = None) -> str:
    texts = render.render_chart(chart, values_, "release", "default")
    text = next(text for name, text in texts.items() if name.split("/", 1)[-1] == rel)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def converts_and_verifies(trees: dict[str, Path], chart: Path) -> str:
    """convert, then verify the base and every environment; convert's stderr."""
    result = run("convert", trees["base"], chart, "--rules", "conventions", *env_args(trees))
    assert result.exit_code == 0, result.stderr
    checked = run("verify", chart, trees["base"], *env_args(trees))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    for name in trees:
        assert f"[{name}] verified" in checked.stdout + checked.stderr
    return result.stderr


def declared(chart: Path, folder: str) -> str:
    """What .helmify-changes.json declares for ``folder`` ("" for the base), as text."""
    doc = json.loads((chart / ".helmify-changes.json").read_text(encoding="utf-8"))
    return json.dumps(doc["folders"][folder])


# 1. The failing chain: ext reads creds from outside the chart (its switch set), alt reads creds2.


def test_an_environment_reading_a_secret_managed_outside_the_chart_has_no_checksum_of_it(tmp_path: Path) -> None:
    # ext's declaration had checksum/creds (the chart has creds) while the template rendered it only
    # with creds (its switch, set in ext): convert failed its own proof, "this is a bug".
    trees = folders(tmp_path, base=(("creds",), "creds"), ext=((), "creds"), alt=(("creds2",), "creds2"))
    chart = tmp_path / "chart"
    converts_and_verifies(trees, chart)
    ext, alt = values(chart, "values-ext.yaml"), values(chart, "values-alt.yaml")
    assert ext["app"]["existingSecret"] == "creds"
    assert checksums(chart) == {"checksum/creds": sha_of(chart, "templates/checksum/secret-creds.yaml")}
    assert checksums(chart, ext) == {}
    assert checksums(chart, alt) == {"checksum/creds2": sha_of(chart, "templates/checksum/secret-creds2.yaml", alt)}
    # The declarations say the same: an annotation per object the folder's pods read and the chart renders.
    assert "checksum/creds" in declared(chart, "")
    assert "checksum/" not in declared(chart, "ext")
    assert "checksum/creds2" in declared(chart, "alt") and 'checksum/creds"' not in declared(chart, "alt")
    # Without the conventions the same tree converts to an exact copy of each folder.
    plain = tmp_path / "plain"
    assert run("convert", trees["base"], plain, *env_args(trees)).exit_code == 0
    assert_reproduces(plain, trees["base"])
    for name in ("ext", "alt"):
        assert_reproduces(plain, trees[name], values(plain, f"values-{name}.yaml"))


def test_the_checksum_follows_the_switch_where_every_folder_reads_the_secret(tmp_path: Path) -> None:
    # Read in both folders, the annotation rendered everywhere: in ext it hashed the empty text of
    # a Secret the chart does not render there (one ext's pods never read).
    trees = folders(tmp_path, base=(("creds",), "creds"), ext=((), "creds"))
    chart = tmp_path / "chart"
    converts_and_verifies(trees, chart)
    assert list(checksums(chart)) == ["checksum/creds"]
    assert checksums(chart, values(chart, "values-ext.yaml")) == {}
    assert "checksum/" not in declared(chart, "ext")
    # Switched at install, the base's pods read the user's Secret: no checksum of the chart's either.
    assert checksums(chart, {"app": {"existingSecret": "team-creds"}}) == {}


def test_a_folder_rendering_a_secret_its_pods_do_not_read_gets_a_warning_not_a_failed_proof(tmp_path: Path) -> None:
    # Both folders have creds and creds2; swap's pods read creds2. No values condition tells "renders
    # but not read" from "renders and read": the annotations are left out, with a warning.
    trees = folders(tmp_path, base=(("creds", "creds2"), "creds"), swap=(("creds", "creds2"), "creds2"))
    chart = tmp_path / "chart"
    stderr = converts_and_verifies(trees, chart)
    for name in ("creds", "creds2"):
        assert (
            f"warning: checksum-roll: Deployment/app reads Secret/{name} in some folders, while a folder that has"
            f" Secret/{name} runs those pods with another one: no values condition tells these apart, so they get"
            f" no checksum/{name} annotation"
        ) in stderr
    assert checksums(chart) == {}
    assert checksums(chart, values(chart, "values-swap.yaml")) == {}
    assert "checksum-roll" in (chart / "helmify-report.md").read_text(encoding="utf-8")


def test_a_secret_read_and_rendered_in_every_folder_keeps_an_unconditional_checksum(tmp_path: Path) -> None:
    trees = folders(tmp_path, base=(("creds",), "creds"), dev=(("creds",), "creds"))
    chart = tmp_path / "chart"
    assert "checksum-roll" not in converts_and_verifies(trees, chart)
    line = next(x for x in (chart / "templates" / "app.yaml").read_text().splitlines() if "checksum/creds" in x)
    assert "ternary" not in line  # no condition: as before


# 2. The existingSecret comment of a generated Secret names the generator, not today's hash.


def comment_of(text: str, key: str) -> list[str]:
    """The comment lines above each ``key:`` line of a values file."""
    lines = text.splitlines()
    return [lines[i - 1].strip() for i, line in enumerate(lines) if line.strip().startswith(f"{key}:")]


def test_the_existing_secret_comment_of_a_generated_secret_names_its_generator(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    prod = SHOP / "overlays" / "prod"
    result = run("convert", SHOP / "base", chart, "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    base_doc, prod_doc = comment_of((chart / "values.yaml").read_text(encoding="utf-8"), "existingSecret")
    assert base_doc == (
        "# -- Name of an existing Secret to use instead of db-credentials, which kustomize generates, rendered as"
        " db-credentials-<hash of its content>; empty renders it from this chart"
    )
    assert prod_doc == (
        "# -- Name of an existing Secret to use instead of db-credentials-prod, the db-credentials kustomize"
        " generates for the environments that have it, rendered as db-credentials-<hash of its content>; empty"
        " renders it from this chart"
    )
    # Nothing in prod reads the base's Secret (its pods read prod's own): values-prod.yaml switches
    # it off, and names no Secret (the base's hash) as one prod manages itself.
    prod_values = (chart / "values-prod.yaml").read_text(encoding="utf-8")
    assert comment_of(prod_values, "existingSecret") == []
    assert values(chart, "values-prod.yaml")["dbCredentials"] == {"secret": {"enabled": False}}
    assert values(chart, "values.yaml")["dbCredentials"]["existingSecret"] == ""
    schema = (chart / "values.schema.json").read_text(encoding="utf-8")
    assert "instead of db-credentials-h" not in schema and "instead of db-credentials, which" in schema
    run_verify = run("verify", chart, SHOP / "base", "--env", f"prod={prod}")
    assert run_verify.exit_code == 0, run_verify.stdout + run_verify.stderr


def test_the_existing_secret_comment_of_a_named_secret_is_unchanged(tmp_path: Path) -> None:
    trees = folders(tmp_path, base=(("creds",), "creds"))
    chart = tmp_path / "chart"
    assert run("convert", trees["base"], chart).exit_code == 0
    assert comment_of((chart / "values.yaml").read_text(encoding="utf-8"), "existingSecret") == [
        "# -- Name of an existing Secret to use instead of creds; empty renders creds from this chart"
    ]


def test_flts_prod_pods_have_no_checksum_of_the_credentials_prod_manages(tmp_path: Path) -> None:
    # FLTS prod reads minio-credentials and postgres-credentials from Secrets managed outside the
    # chart (values-prod.yaml sets their switches): its pods had checksums of empty text. (The
    # grafana and mlflow Secrets the production refactorings add had none there already.)
    fixtures = Path(__file__).parent.parent / "fixtures"
    envs = [f"--env=dev={fixtures / 'environments' / 'dev'}", f"--env=prod={fixtures / 'environments' / 'prod'}"]
    chart = tmp_path / "chart"
    packs = ("--rules", "conventions", "--rules", "flts-production")
    result = run("convert", fixtures / ".kubernetes", chart, "--chart-name", "flts", *packs, *envs)
    assert result.exit_code == 0, result.stderr
    prod = values(chart, "values-prod.yaml")
    assert prod["minio"]["existingSecret"] == "minio-credentials"

    def credential_checksums(values_: dict | None) -> set[str]:
        objects = render_objects(chart, namespace="flts", values=values_)
        return {
            key
            for ident, obj in objects.items()
            if ident[1] in ("Deployment", "StatefulSet", "Job")
            for key in (obj["spec"]["template"]["metadata"].get("annotations") or {})
            if key.endswith("-credentials")
        }

    managed = {f"checksum/{name}-credentials" for name in ("minio", "postgres", "grafana", "mlflow")}
    assert credential_checksums(None) == managed
    assert credential_checksums(prod) == set()
    assert "checksum/minio-credentials" not in declared(chart, "prod")
