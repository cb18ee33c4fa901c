"""The committed golden chart of the FLTS fixtures is what convert writes today, every file of it.

This is the one golden that pins the whole chart, the review report included; the small cases under
tests/cases pin values and templates only (see tests/test_cases.py).

Regenerate after an intended change with: python -m pytest tests/test_golden.py --update-golden
and review the diff before committing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT, assert_reproduces, run

from helmify_flts import kyaml

GOLDEN = Path(__file__).parent / "golden" / "flts"
ARGS = (
    "--chart-name",
    "flts",
    "--rules",
    "rules/flts.yaml",
    "--env",
    "dev=fixtures/environments/dev",
    "--env",
    "prod=fixtures/environments/prod",
)


# The report names the kustomize that built the folders; CI machines may have another version.
KUSTOMIZE_VERSION = re.compile(rb"\(kustomize v[0-9A-Za-z.+-]+\)")


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): KUSTOMIZE_VERSION.sub(b"(kustomize VERSION)", p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".helmify-state.json"
    }


def test_golden_chart_matches(tmp_path: Path, update_golden: bool, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "flts"
    result = run("convert", FIXTURES.relative_to(ROOT) / ".kubernetes", out, *ARGS)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, FIXTURES / ".kubernetes")
    for env in ("dev", "prod"):
        values = kyaml.load_all((out / f"values-{env}.yaml").read_text(encoding="utf-8"))[0] or {}
        assert_reproduces(out, FIXTURES / "environments" / env, values)
    again = tmp_path / "again" / "flts"
    assert run("convert", FIXTURES.relative_to(ROOT) / ".kubernetes", again, *ARGS).exit_code == 0
    assert tree(again) == tree(out), "a second convert gave different bytes"
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=shutil.ignore_patterns(".helmify-state.json"))
    produced, golden = tree(out), tree(GOLDEN)
    assert sorted(produced) == sorted(golden)
    changed = [rel for rel in produced if produced[rel] != golden[rel]]
    assert changed == [], f"regenerate with --update-golden and review: {changed}"
