"""Reviewing and re-running: --check, --diff, user files, hand edits, removals, interrupted
writes, verify, exit codes and verbosity."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, convert_ok, run

BASE = FIXTURES / ".kubernetes"


# --------------------------------------------------------------------------- helpers


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def copy_sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(BASE, src)
    # The workflow on a plain folder; tests/test_kustomize.py covers built ones.
    (src / "kustomization.yaml").unlink()
    return src


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def bump_inference_replicas(src: Path, to: int = 7) -> None:
    edit(src / "inference-deployment.yaml", "replicas: 2", f"replicas: {to}")


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


@pytest.fixture(scope="module")
def converted_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixtures and their chart, converted once for the module: converting is most of a test's time."""
    root = tmp_path_factory.mktemp("converted")
    convert_ok(copy_sources(root), root / "flts")
    return root


@pytest.fixture
def converted(converted_once: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the fixtures and a fresh chart of it (copied: tests edit both)."""
    src, out = tmp_path / "src", tmp_path / "flts"
    shutil.copytree(converted_once / "src", src)
    shutil.copytree(converted_once / "flts", out, symlinks=True)
    return src, out


# --------------------------------------------------------------------------- --check


def test_check_is_clean_right_after_convert(converted: tuple[Path, Path]) -> None:
    src, out = converted
    before = snapshot(out)
    result = run("convert", src, out, "--check")
    assert result.exit_code == 0
    assert snapshot(out) == before


def test_check_after_source_change_fails_lists_files_and_writes_nothing(converted: tuple[Path, Path]) -> None:
    src, out = converted
    bump_inference_replicas(src)
    before = snapshot(out)
    result = run("convert", src, out, "--check")
    assert result.exit_code == 1
    assert "values.yaml" in result.stderr
    assert str(out / "values.yaml") in result.stderr
    assert snapshot(out) == before


def test_check_after_image_tag_change(converted: tuple[Path, Path]) -> None:
    src, out = converted
    edit(src / "inference-deployment.yaml", "image: flts/inference:latest", "image: flts/inference:2.0.1")
    before = snapshot(out)
    result = run("convert", src, out, "--check")
    assert result.exit_code == 1
    assert "values.yaml" in result.stderr
    assert snapshot(out) == before


# --------------------------------------------------------------------------- --diff


def test_diff_shows_the_change_and_writes_nothing(converted: tuple[Path, Path]) -> None:
    src, out = converted
    bump_inference_replicas(src, 7)
    before = snapshot(out)
    result = run("convert", src, out, "--diff")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    minus = [line for line in lines if line.startswith("--- ")]
    plus = [line for line in lines if line.startswith("+++ ")]
    assert any(line.endswith(f"{out.as_posix()}/values.yaml") for line in minus), minus
    assert any(line.endswith(f"{out.as_posix()}/values.yaml") for line in plus), plus
    assert any(re.fullmatch(r"-\s+replicas: 2", line) for line in lines)
    assert any(re.fullmatch(r"\+\s+replicas: 7", line) for line in lines)
    assert snapshot(out) == before


def test_diff_is_empty_when_up_to_date(converted: tuple[Path, Path]) -> None:
    src, out = converted
    before = snapshot(out)
    result = run("convert", src, out, "--diff")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert snapshot(out) == before


def test_check_and_diff_together_is_a_usage_error(converted: tuple[Path, Path]) -> None:
    src, out = converted
    bump_inference_replicas(src)
    before = snapshot(out)
    result = run("convert", src, out, "--check", "--diff")
    assert result.exit_code == 2
    assert "error:" in result.stderr
    assert snapshot(out) == before


# --------------------------------------------------------------------------- user files, hand edits, removals


USER_FILES = {
    "templates/extra-configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  owner: platform-team\n"
    ),
    "values-ci.yaml": "inference:\n  replicas: 1\n",
    "README.md": "# FLTS chart\n\nHand-written notes.\n",
}


def add_user_files(out: Path) -> None:
    for rel, text in USER_FILES.items():
        (out / rel).write_text(text, encoding="utf-8")


def assert_user_files_intact(out: Path) -> None:
    for rel, text in USER_FILES.items():
        assert (out / rel).read_text(encoding="utf-8") == text, rel


def test_user_files_survive_reruns(converted: tuple[Path, Path]) -> None:
    src, out = converted
    add_user_files(out)
    convert_ok(src, out)
    assert_user_files_intact(out)
    bump_inference_replicas(src)
    convert_ok(src, out)
    assert_user_files_intact(out)
    assert re.search(r"^\s+replicas: 7$", (out / "values.yaml").read_text(encoding="utf-8"), re.M)


def test_user_files_do_not_make_check_fail(converted: tuple[Path, Path]) -> None:
    src, out = converted
    add_user_files(out)
    result = run("convert", src, out, "--check")
    assert result.exit_code == 0


REDIS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  replicas: 1
  selector:
    matchLabels:
      app: redis
  template:
    metadata:
      labels:
        app: redis
    spec:
      containers:
        - name: redis
          image: redis:7
"""


def test_user_file_survives_when_sources_start_producing_its_name(converted: tuple[Path, Path]) -> None:
    """A user's own template must not be silently replaced when a new source component claims its name."""
    src, out = converted
    mine = "# hand-written by the platform team\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: redis-extra\n"
    (out / "templates" / "redis.yaml").write_text(mine, encoding="utf-8")
    (src / "redis-deployment.yaml").write_text(REDIS, encoding="utf-8")
    result = run("convert", src, out)
    assert (out / "templates" / "redis.yaml").read_text(encoding="utf-8") == mine
    no_traceback(result)


@pytest.mark.parametrize("rel", ["values.yaml", "templates/inference.yaml"])
def test_hand_edited_generated_file_stops_the_run(converted: tuple[Path, Path], rel: str) -> None:
    src, out = converted
    with (out / rel).open("a", encoding="utf-8") as fh:
        fh.write("# my local tweak\n")
    bump_inference_replicas(src)  # a real update is pending too: still nothing may be written
    before = snapshot(out)
    result = run("convert", src, out)
    assert result.exit_code == 1
    assert str(out / rel) in result.stderr
    assert "--force" in result.stderr
    no_traceback(result)
    assert snapshot(out) == before

    forced = run("convert", src, out, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "# my local tweak" not in (out / rel).read_text(encoding="utf-8")
    # Now OUT is exactly what a fresh convert of the same sources writes.
    fresh = out.parent / "fresh" / out.name
    convert_ok(src, fresh)
    assert snapshot(out) == snapshot(fresh)


def test_generated_file_no_longer_produced_is_removed(converted: tuple[Path, Path]) -> None:
    src, out = converted
    add_user_files(out)
    assert (out / "templates" / "eda.yaml").is_file()
    (src / "eda.yaml").unlink()
    convert_ok(src, out)
    assert not (out / "templates" / "eda.yaml").exists()
    assert_user_files_intact(out)
    names = {r["name"] for r in json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))["resources"]}
    assert "eda" not in names


# --------------------------------------------------------------------------- interrupted write


def _siblings(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def test_interrupted_swap_leaves_out_as_it_was(converted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import emit

    src, out = converted
    (out / "README.md").write_text("mine\n", encoding="utf-8")
    bump_inference_replicas(src)
    before, siblings = snapshot(out), _siblings(out)

    def boom(staging: Path, target: Path) -> None:
        raise RuntimeError("interrupted while swapping")

    monkeypatch.setattr(emit, "_swap_in", boom)
    result = run("convert", src, out)
    assert result.exit_code == 2 and "internal error: RuntimeError" in result.stderr
    assert snapshot(out) == before
    assert _siblings(out) == siblings


def test_interrupted_swap_without_renameat2_leaves_out_as_it_was(
    converted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where atomic exchange is unavailable (macOS, Windows, old kernels) the swap falls back to
    renames; an interruption partway through the swap must still leave OUT as it was."""
    import os

    from helmify_flts import emit

    src, out = converted
    bump_inference_replicas(src)
    before, siblings = snapshot(out), _siblings(out)
    real_rename = os.rename
    calls = {"n": 0}

    def flaky_rename(a, b, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(5, "Input/output error")
        return real_rename(a, b, *args, **kwargs)

    monkeypatch.setattr(emit, "_exchange", lambda a, b: False)
    monkeypatch.setattr(emit.os, "rename", flaky_rename)
    result = run("convert", src, out)
    monkeypatch.undo()
    assert result.exit_code == 2 and "Input/output error" in result.stderr  # an error, not a traceback
    assert calls["n"] >= 2
    assert out.is_dir(), f"{out} is gone; beside it: {sorted(_siblings(out))}"
    assert snapshot(out) == before
    assert _siblings(out) == siblings


def test_interrupted_first_write_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helmify_flts import emit

    out = tmp_path / "flts"

    def boom(staging: Path, target: Path) -> None:
        raise RuntimeError("interrupted while swapping")

    monkeypatch.setattr(emit, "_swap_in", boom)
    result = run("convert", BASE, out)
    assert result.exit_code == 2 and "internal error: RuntimeError" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_interrupted_file_writes_leave_out_as_it_was(
    converted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = converted
    bump_inference_replicas(src)
    before, siblings = snapshot(out), _siblings(out)
    real = Path.write_bytes
    calls = {"n": 0}

    def flaky(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    result = run("convert", src, out)
    monkeypatch.undo()
    assert result.exit_code == 2 and "No space left on device" in result.stderr  # an error, not a traceback
    assert calls["n"] >= 3
    assert snapshot(out) == before
    assert _siblings(out) == siblings


# --------------------------------------------------------------------------- verify


def test_verify_passes_on_a_fresh_chart(converted: tuple[Path, Path]) -> None:
    src, out = converted
    result = run("verify", out, src)
    assert result.exit_code == 0
    assert "verif" in result.stderr


def test_verify_reports_a_hand_broken_port(converted: tuple[Path, Path]) -> None:
    src, out = converted
    edit(out / "templates" / "inference.yaml", "containerPort: 8000", "containerPort: 8001")
    result = run("verify", out, src)
    assert result.exit_code == 1
    assert "Deployment/inference" in result.stdout
    assert re.search(r"spec\.template\.spec\.containers\[[^\]]+\]\.ports\[[^\]]+\]\.containerPort", result.stdout)
    assert "8000" in result.stdout and "8001" in result.stdout
    assert "verify failed" in result.stderr
    no_traceback(result)


def test_verify_failure_summary_does_not_claim_every_resource_identical(converted: tuple[Path, Path]) -> None:
    src, out = converted
    edit(out / "templates" / "inference.yaml", "containerPort: 8000", "containerPort: 8001")
    result = run("verify", out, src)
    assert result.exit_code == 1
    match = re.search(r"(\d+) of (\d+) resources identical", result.stderr)
    assert match, result.stderr
    identical, total = int(match.group(1)), int(match.group(2))
    assert identical == total - 1, f"one resource differs, yet the summary says {match.group(0)!r}"


def test_verify_reports_a_deleted_template_line(converted: tuple[Path, Path]) -> None:
    src, out = converted
    template = out / "templates" / "inference.yaml"
    lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
    [idx] = [i for i, line in enumerate(lines) if "containerPort: 8000" in line]
    template.write_text("".join(lines[:idx] + lines[idx + 1 :]), encoding="utf-8")
    result = run("verify", out, src)
    assert result.exit_code == 1
    assert "Deployment/inference" in result.stdout
    assert "containerPort" in result.stdout or "ports" in result.stdout
    no_traceback(result)


def test_verify_helm_syntax_error_is_a_clear_error(converted: tuple[Path, Path]) -> None:
    src, out = converted
    with (out / "templates" / "eda.yaml").open("a", encoding="utf-8") as fh:
        fh.write("{{ if }}\n")
    result = run("verify", out, src)
    assert result.exit_code in (1, 2)
    assert result.stderr.startswith(("error:", "verify failed"))
    assert "eda.yaml" in result.stderr
    no_traceback(result)


def test_verify_with_set_names_spec_replicas(converted: tuple[Path, Path]) -> None:
    src, out = converted
    result = run("verify", out, src, "--set", "inference.replicas=5")
    assert result.exit_code == 1
    assert "Deployment/inference" in result.stdout
    assert "spec.replicas" in result.stdout
    no_traceback(result)


def test_verify_with_values_file(converted: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = converted
    same = tmp_path / "same.yaml"
    same.write_text("inference:\n  replicas: 2\n", encoding="utf-8")
    assert run("verify", out, src, "--values", same).exit_code == 0
    other = tmp_path / "other.yaml"
    other.write_text("inference:\n  replicas: 3\n", encoding="utf-8")
    result = run("verify", out, src, "--values", other)
    assert result.exit_code == 1
    assert "spec.replicas" in result.stdout


def test_verify_reports_a_values_schema_violation(converted: tuple[Path, Path]) -> None:
    src, out = converted
    values = out / "values.yaml"
    text = values.read_text(encoding="utf-8")
    # inference's image tag becomes a number, which values.schema.json does not allow
    new, count = re.subn(r"(repository: flts/inference\n\s+tag: )latest", r"\g<1>5", text)
    assert count == 1
    values.write_text(new, encoding="utf-8")
    result = run("verify", out, src)
    assert result.exit_code in (1, 2)
    assert "inference/image/tag" in result.stderr + result.stdout
    assert "schema" in (result.stderr + result.stdout).lower()
    no_traceback(result)


def test_verify_set_violating_schema_is_reported(converted: tuple[Path, Path]) -> None:
    src, out = converted
    result = run("verify", out, src, "--set", "inference.image.tag=5")
    assert result.exit_code in (1, 2)
    assert "inference/image/tag" in result.stderr + result.stdout
    no_traceback(result)


# --------------------------------------------------------------------------- help, verbosity, usage errors


def test_help_documents_exit_codes() -> None:
    result = run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit codes" in text
    for code in ("0", "1", "2"):
        assert re.search(rf"\b{code}\b", text.split("Exit codes", 1)[1]), code


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    out = tmp_path / "flts"
    result = run("convert", BASE, out, "-q")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == ""
    assert (out / "values.yaml").is_file()


def test_verbose_prints_a_line_per_lifted_field(tmp_path: Path) -> None:
    out = tmp_path / "flts"
    result = run("convert", BASE, out, "-v")
    assert result.exit_code == 0
    data = json.loads((out / "helmify-report.json").read_text(encoding="utf-8"))
    fields = [(f["path"], f["key"], f["rule"]) for r in data["resources"] for f in r["fields"]]
    assert len(fields) > 100
    lines = result.stderr.splitlines()
    for path, key, rule in fields:
        assert any(
            path in line
            and re.search(rf"\b{re.escape(key)}\b(?![.\w])", line)
            and re.search(rf"\brule {re.escape(rule)}\b", line)
            for line in lines
        ), (path, key, rule)
    assert len([line for line in lines if "rule " in line]) >= len(fields)


def test_missing_src_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "flts"
    result = run("convert", tmp_path / "does-not-exist", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    no_traceback(result)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
