"""Golden cases: tests/cases/<name>/ holds input/, optional rules/*.yaml and expected/.

Each case must convert, match expected/ byte for byte, render back to exactly its input with
Helm, and convert again to the same bytes. Regenerate: python -m pytest tests/test_cases.py --update-golden
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import assert_reproduces, run

CASES = Path(__file__).parent / "cases"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".helmify-state.json"}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "input").is_dir()))
def test_case(case: str, tmp_path: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    monkeypatch.chdir(folder)  # paths in the report are as given: keep them relative
    rules = [arg for f in sorted(Path("rules").glob("*.yaml")) for arg in ("--rules", f.as_posix())]
    out = tmp_path / case
    result = run("convert", "input", out, "--chart-name", case, *rules)
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, folder / "input")
    again = tmp_path / "again" / case
    assert run("convert", "input", again, "--chart-name", case, *rules).exit_code == 0
    assert tree(again) == tree(out), "a second convert gave different bytes"
    expected = folder / "expected"
    if update_golden:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(out, expected, ignore=shutil.ignore_patterns(".helmify-state.json"))
    assert expected.is_dir(), f"no expected/ for case {case}: run with --update-golden"
    produced, golden = tree(out), tree(expected)
    assert sorted(produced) == sorted(golden)
    assert [rel for rel in produced if produced[rel] != golden[rel]] == []
