"""The committed golden chart of the FLTS fixtures is what convert writes today.

Regenerate after an intended change with: python -m pytest tests/test_golden.py --update-golden
and review the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT, run

GOLDEN = Path(__file__).parent / "golden" / "flts"
ARGS = ("--chart-name", "flts", "--rules", "rules/flts.yaml",
        "--env", "dev=fixtures/environments/dev", "--env", "prod=fixtures/environments/prod")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".helmify-state.json"}


def test_golden_chart_matches(tmp_path: Path, update_golden: bool, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "flts"
    result = run("convert", FIXTURES.relative_to(ROOT) / ".kubernetes", out, *ARGS)
    assert result.exit_code == 0, result.stderr
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=shutil.ignore_patterns(".helmify-state.json"))
    produced, golden = tree(out), tree(GOLDEN)
    assert sorted(produced) == sorted(golden)
    changed = [rel for rel in produced if produced[rel] != golden[rel]]
    assert changed == [], f"regenerate with --update-golden and review: {changed}"
