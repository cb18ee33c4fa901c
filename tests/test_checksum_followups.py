"""Follow-ups of conventions over kustomize overlays whose generators make other content: no
component template left empty once checksum-roll moved its objects out, one checksum file per
distinct object, and the existingSecret switch honoured by references that differ between
environments."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import convert_ok, render_objects, run, write_tree

from helmify_flts import emit, kyaml

SHOP = Path(__file__).parent / "kustomize" / "shop"
OVERLAYS = {name: SHOP / "overlays" / name for name in ("dev", "staging", "prod")}
SHELLS = ("templates/db-credentials.yaml", "templates/db-credentials-prod.yaml", "templates/web-config-prod.yaml")


def env_args(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--env", f"{name}={OVERLAYS[name]}")]


def values(chart: Path, name: str = "values.yaml") -> dict:
    return kyaml.load_all((chart / name).read_text(encoding="utf-8"))[0] or {}


def verifies(chart: Path, src: Path, *args: str | Path) -> str:
    """verify passes the base and every --env of ``args``; its output."""
    result = run("verify", chart, src, *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    for name in (str(a).split("=", 1)[0] for a in args if "=" in str(a)):
        assert f"[{name}] verified" in result.stdout + result.stderr
    return result.stdout + result.stderr


def shop_prod(chart: Path, *extra: str) -> object:
    return run("convert", SHOP / "base", chart, "--rules", "conventions", *env_args("prod"), *extra)


# Empty shells: a component whose every object checksum-roll moves into templates/checksum/.


def test_no_template_file_is_left_empty_when_its_objects_move(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    templates = sorted(p.relative_to(chart).as_posix() for p in (chart / "templates").rglob("*.yaml"))
    assert not set(SHELLS) & set(templates), templates
    for rel in templates:  # every template the chart ships holds something besides its guards
        lines = (chart / rel).read_text(encoding="utf-8").splitlines()
        assert any(line.strip() and not line.startswith(("{{- if", "{{- end")) for line in lines), rel
    # Nothing the chart writes names the files it no longer has.
    state = json.loads((chart / emit.STATE).read_text(encoding="utf-8"))["files"]
    for name in ("helmify-report.md", "helmify-report.json", ".helmify-changes.json", "templates/NOTES.txt"):
        text = (chart / name).read_text(encoding="utf-8")
        assert not any(f"`{shell}`" in text or f'"{shell}"' in text for shell in SHELLS), name
    assert not set(SHELLS) & set(state)
    report = json.loads((chart / "helmify-report.json").read_text(encoding="utf-8"))
    templates_named = {r["template"] for r in report["resources"]}
    assert "templates/checksum/secret-db-credentials.yaml" in templates_named
    assert templates_named <= set(state), templates_named - set(state)
    verifies(chart, SHOP / "base", *env_args("prod"))
    assert run("convert", SHOP / "base", chart, "--rules", "conventions", *env_args("prod"), "--check").exit_code == 0


def _with_old_shell(chart: Path, rel: str, text: str, *, recorded: str | None = None) -> None:
    """OUT as an earlier convert left it: a generated shell file, listed in the state file with the
    hash of what was written (``recorded``), holding ``text`` now."""
    (chart / rel).write_text(text, encoding="utf-8")
    state_path = chart / emit.STATE
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state["files"][rel] = emit.digest(recorded if recorded is not None else text)
    state_path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


SHELL = "{{- if .Values.dbCredentials.enabled }}\n\n{{- end }}"


def test_a_shell_an_earlier_convert_wrote_is_removed_on_re_convert(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    _with_old_shell(chart, "templates/db-credentials.yaml", SHELL)
    check = shop_prod(chart, "--check")
    assert check.exit_code == 1
    assert f"would remove {chart / 'templates/db-credentials.yaml'}" in check.stderr + check.stdout
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    assert not (chart / "templates/db-credentials.yaml").exists()
    assert "templates/db-credentials.yaml" not in json.loads((chart / emit.STATE).read_text(encoding="utf-8"))["files"]
    assert shop_prod(chart, "--check").exit_code == 0


EDITED = SHELL.replace("\n\n", "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-extra\ndata: {a: b}\n")


def test_a_shell_edited_by_hand_stops_the_run_and_is_kept(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    _with_old_shell(chart, "templates/db-credentials.yaml", EDITED, recorded=SHELL)
    stopped = shop_prod(chart)
    assert stopped.exit_code == 1
    assert (
        f"error: {chart / 'templates/db-credentials.yaml'}: edited by hand since helmify-flts wrote it, and the "
        "chart no longer has it (--force deletes it; rename it to keep it)"
    ) in stopped.stderr
    assert (chart / "templates/db-credentials.yaml").read_text(encoding="utf-8") == EDITED
    # Renamed, it is a file of the user's: kept, and its object is a note of verify, not a failure.
    (chart / "templates/db-credentials.yaml").rename(chart / "templates/team-extra.yaml")
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    assert (chart / "templates/team-extra.yaml").read_text(encoding="utf-8") == EDITED
    assert "team-extra" in verifies(chart, SHOP / "base", *env_args("prod"))


def test_force_deletes_a_shell_edited_by_hand(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    _with_old_shell(chart, "templates/db-credentials.yaml", EDITED, recorded=SHELL)
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"), "--force")
    assert not (chart / "templates/db-credentials.yaml").exists()
    verifies(chart, SHOP / "base", *env_args("prod"))


def test_a_file_of_the_users_where_a_shell_was_is_left_alone(tmp_path: Path) -> None:
    # Never generated (not in the state file): the old code would have refused to replace it.
    chart = tmp_path / "chart"
    write_tree(chart, {"templates/db-credentials.yaml": EDITED})
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("prod"))
    assert (chart / "templates/db-credentials.yaml").read_text(encoding="utf-8") == EDITED
    assert "team-extra" in verifies(chart, SHOP / "base", *env_args("prod"))


# One checksum file (and key) per distinct object.


def checksum_of(obj: dict) -> dict:
    annotations = obj["spec"]["template"]["metadata"].get("annotations") or {}
    return {k: v for k, v in annotations.items() if k.startswith("checksum/")}


def rendered_file(chart: Path, rel: str, values_: dict | None, namespace: str) -> str:
    from helmify_flts import render

    texts = render.render_chart(chart, values_, "release", namespace)
    return next(text for name, text in texts.items() if name.split("/", 1)[-1] == rel)


def test_an_overlays_objects_in_another_namespace_get_checksum_files_of_their_own(tmp_path: Path) -> None:
    import hashlib

    chart = tmp_path / "chart"
    convert_ok(SHOP / "base", chart, "--rules", "conventions", *env_args("staging", "prod"))
    verifies(chart, SHOP / "base", *env_args("staging", "prod"))
    assert {p.name for p in (chart / "templates" / "checksum").iterdir()} == {
        "configmap-web-config.yaml",
        "configmap-web-config.shop-staging.yaml",
        "configmap-web-config-prod.yaml",
        "secret-db-credentials.yaml",
        "secret-db-credentials.shop-staging.yaml",
        "secret-db-credentials-prod.yaml",
    }
    # Each file renders one object, and a pod's checksum is that of the object it reads.
    staging = values(chart, "values-staging.yaml")
    objects = render_objects(chart, namespace="shop", values=staging)
    web = next(obj for ident, obj in objects.items() if ident[1] == "Deployment" and ident[2] == "shop-staging")
    text = rendered_file(chart, "templates/checksum/secret-db-credentials.shop-staging.yaml", staging, "shop")
    assert text.count("kind: Secret") == 1 and "namespace: shop-staging" in text
    assert checksum_of(web)["checksum/db-credentials"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    base = rendered_file(chart, "templates/checksum/secret-db-credentials.yaml", None, "shop")
    assert base.count("kind: Secret") == 1 and "shop-staging" not in base


def two_teams(root: Path, b_mode: str = "b", b_app: str = "b") -> Path:
    """Two namespaces of one folder, each with a ConfigMap named config read by its Deployment;
    ``b_app``: the app label of team-b's ConfigMap (its component)."""

    def team(name: str, mode: str, app: str) -> str:
        return (
            "apiVersion: v1\nkind: ConfigMap\n"
            f"metadata: {{name: config, namespace: team-{name}, labels: {{app: {app}}}}}\n"
            f"data: {{MODE: {mode}}}\n---\napiVersion: apps/v1\nkind: Deployment\n"
            f"metadata: {{name: {name}, namespace: team-{name}, labels: {{app: {name}}}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec:\n      containers:\n        - name: {name}\n          image: example/{name}:1\n"
            "          envFrom: [{configMapRef: {name: config}}]\n"
        )

    return write_tree(root, {"a.yaml": team("a", "a", "a"), "b.yaml": team("b", b_mode, b_app)})


def test_two_namespaces_configmaps_of_one_name_in_two_components_both_render(tmp_path: Path) -> None:
    # Each component wrote templates/checksum/configmap-config.yaml: one replaced the other.
    src = two_teams(tmp_path / "src")
    chart = tmp_path / "chart"
    convert_ok(src, chart, "--rules", "conventions")
    verifies(chart, src)
    assert sorted(p.name for p in (chart / "templates" / "checksum").iterdir()) == [
        "configmap-config.team-b.yaml",
        "configmap-config.yaml",
    ]


def test_a_pods_checksum_hashes_only_the_object_it_reads(tmp_path: Path) -> None:
    # Both ConfigMaps in one component shared a file, and each pod's checksum hashed both.
    annotations = []
    for mode in ("b", "changed"):
        src = two_teams(tmp_path / mode / "src", b_mode=mode, b_app="a")
        chart = tmp_path / mode / "chart"
        convert_ok(src, chart, "--rules", "conventions", "--chart-name", "teams")
        verifies(chart, src)
        objects = render_objects(chart, namespace="team-a")
        annotations.append({ident[2]: checksum_of(obj) for ident, obj in objects.items() if ident[1] == "Deployment"})
    assert annotations[0]["team-a"] == annotations[1]["team-a"]
    assert annotations[0]["team-b"] != annotations[1]["team-b"]


APP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {MODE: %s}
---
apiVersion: v1
kind: Secret
metadata: {name: app}
stringData: {TOKEN: t}
---
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
          envFrom: [{configMapRef: {name: app}}, {secretRef: {name: app}}]
"""


def test_a_configmap_and_a_secret_of_one_name_get_annotation_keys_of_their_own(tmp_path: Path) -> None:
    # Both were checksum/app: the Secret's hash replaced the ConfigMap's, whose changes rolled nothing.
    seen = []
    for mode in ("a", "b"):
        src = write_tree(tmp_path / mode / "src", {"app.yaml": APP % mode})
        chart = tmp_path / mode / "chart"
        convert_ok(src, chart, "--rules", "conventions", "--chart-name", "app")
        verifies(chart, src)
        seen.append(checksum_of(next(o for i, o in render_objects(chart).items() if i[1] == "Deployment")))
    assert sorted(seen[0]) == ["checksum/app", "checksum/secret-app"]
    assert seen[0]["checksum/app"] != seen[1]["checksum/app"]
    assert seen[0]["checksum/secret-app"] == seen[1]["checksum/secret-app"]


# The existingSecret switch reaches references read whole from values (they differ between
# environments): with release-names, in every environment, as a reference written in the template.


def merged(*layers: dict) -> dict:
    """Values files and --set given in order: later ones win, maps merge (as Helm merges them)."""
    out: dict = {}
    for layer in layers:
        for key, value in layer.items():
            both = isinstance(value, dict) and isinstance(out.get(key), dict)
            out[key] = merged(out[key], value) if both else value
    return out


def secret_refs(objects: dict) -> dict[str, list[str]]:
    """Per workload, the Secret names its pods read through secretKeyRef."""
    out = {}
    for ident, obj in objects.items():
        if ident[1] in ("Deployment", "StatefulSet"):
            containers = obj["spec"]["template"]["spec"]["containers"]
            out[ident[3]] = [e["valueFrom"]["secretKeyRef"]["name"] for c in containers for e in c.get("env", [])]
    return out


def test_the_existing_secret_switch_reaches_lifted_references_in_every_environment(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    result = shop_prod(chart)
    assert result.exit_code == 0, result.stderr
    assert "does not rename it" not in result.stderr  # the warning of a switch that misses a reference
    for report in ("helmify-report.json", "helmify-report.md"):
        assert "does not rename it" not in (chart / report).read_text(encoding="utf-8")
    verifies(chart, SHOP / "base", *env_args("prod"))
    prod = values(chart, "values-prod.yaml")
    # Unset: the chart's Secrets, with the release prefix, as the proof has them.
    assert secret_refs(render_objects(chart, namespace="shop", values=prod)) == {
        "release-web": ["release-db-credentials-hd82t72565"],
        "release-db": ["release-db-credentials-hd82t72565"],
    }
    team = {"dbCredentials": {"existingSecret": "team-db"}}
    base = render_objects(chart, namespace="shop", values=team)
    assert secret_refs(base) == {"release-web": ["team-db"], "release-db": ["team-db"]}
    assert not [ident for ident in base if ident[1] == "Secret"]
    # prod's pods read prod's own Secret, whose switch is its own key: set in prod (as --set would
    # over values-prod.yaml), every reference names the user's Secret and the chart's is not rendered.
    own = render_objects(
        chart, namespace="shop", values=merged(prod, {"dbCredentialsProd": {"existingSecret": "team-db-prod"}})
    )
    assert secret_refs(own) == {"release-web": ["team-db-prod"], "release-db": ["team-db-prod"]}
    assert not [ident for ident in own if ident[1] == "Secret"]
    # The base's switch set in prod leaves prod's Secret, and its references, as they are.
    other = render_objects(chart, namespace="shop", values=merged(prod, team))
    assert secret_refs(other) == secret_refs(render_objects(chart, namespace="shop", values=prod))
    assert [ident[3] for ident in other if ident[1] == "Secret"] == ["release-db-credentials-hd82t72565"]


def test_the_switch_reaches_lifted_envfrom_and_volume_references_too(tmp_path: Path) -> None:
    from test_generated_envs import generated_tree

    base, prod = generated_tree(tmp_path)
    chart = tmp_path / "chart"
    result = run("convert", base, chart, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "does not rename it" not in result.stderr
    verifies(chart, base, "--env", f"prod={prod}")
    prod_values = values(chart, "values-prod.yaml")
    switches = [key for key, each in values(chart).items() if isinstance(each, dict) and "existingSecret" in each]
    assert sorted(switches) == ["api", "apiSecretsProd"]
    for layers in (
        [{"api": {"existingSecret": "team"}}],
        [prod_values, {"apiSecretsProd": {"existingSecret": "team"}}],
    ):
        objects = render_objects(chart, namespace="api", values=merged(*layers))
        assert not [ident for ident in objects if ident[1] == "Secret"]
        spec = next(obj for ident, obj in objects.items() if ident[1] == "Deployment")["spec"]["template"]["spec"]
        container = spec["containers"][0]
        assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "team"
        assert container["envFrom"][0]["secretRef"]["name"] == "team"
        assert spec["volumes"][0]["secret"]["secretName"] == "team"


def test_without_release_names_the_warning_stays(tmp_path: Path) -> None:
    # Nothing maps a reference read whole from values there: the switch does not reach it, and
    # convert says so.
    result = run("convert", SHOP / "base", tmp_path / "chart", *env_args("prod"))
    assert result.exit_code == 0, result.stderr
    # Said once for the Secret, with both references (web's and db's), not once per reference.
    assert result.stderr.count("dbCredentials.existingSecret does not rename it in 2 references") == 1
    assert result.stderr.count("does not rename it") == 1
