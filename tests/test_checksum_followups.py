"""Follow-ups of conventions over kustomize overlays whose generators make other content: no
component template left empty once checksum-roll moved its objects out, one checksum file per
distinct object, and the existingSecret switch honoured by references that differ between
environments."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import convert_ok, run, write_tree

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
