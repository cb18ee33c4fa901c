"""Golden cases: tests/cases/<name>/ holds input/, optional rules/*.yaml, optional envs/<env>/ and expected/.

Each case must convert, render back to exactly its input with Helm (and to each envs/<env>/ folder
with values-<env>.yaml), convert again to the same bytes, and match expected/ byte for byte.

expected/ pins the chart's values and templates only: values.yaml, values-<env>.yaml,
templates/*.yaml and files/. The review report, NOTES.txt, _helpers.tpl, Chart.yaml, .helmignore
and values.schema.json are left out, so that a change to the report's wording or to the skeleton
does not rewrite every case; tests/golden/flts pins the whole chart once. A case about one of those
files pins it by keeping it in expected/: every file present there is compared too, and kept when
the case is regenerated with: python -m pytest tests/test_cases.py --update-golden
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import pytest
from conftest import assert_reproduces, run

from helmify_flts import kyaml
from helmify_flts.refactorings import record

CASES = Path(__file__).parent / "cases"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".helmify-state.json"
    }


def pinned_by_default(rel: str) -> bool:
    """The files every case compares: what the rules made of the input, not the wording around it."""
    path = PurePosixPath(rel)
    if len(path.parts) == 1:
        return path.match("values.yaml") or path.match("values-*.yaml")
    if path.parts[0] == "templates":
        return len(path.parts) == 2 and path.suffix == ".yaml"
    return path.parts[0] == "files"


def load_values(path: Path) -> dict:
    return kyaml.load_all(path.read_text(encoding="utf-8"))[0] or {}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "input").is_dir()))
def test_case(case: str, tmp_path: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    monkeypatch.chdir(folder)  # paths in the chart are as given: keep them relative
    rules = [arg for f in sorted(Path("rules").glob("*.yaml")) for arg in ("--rules", f.as_posix())]
    envs = sorted(p.name for p in Path("envs").glob("*") if p.is_dir())
    args = ("--chart-name", case, *rules, *[arg for env in envs for arg in ("--env", f"{env}=envs/{env}")])
    out = tmp_path / case
    result = run("convert", "input", out, *args)
    assert result.exit_code == 0, result.stderr
    if (out / record.FILE).is_file():  # a refactored chart: proven against its declared changes
        env_args = [arg for env in envs for arg in ("--env", f"{env}=envs/{env}")]
        assert run("verify", out, "input", *env_args).exit_code == 0
    else:
        assert_reproduces(out, folder / "input")
        for env in envs:
            assert_reproduces(out, folder / "envs" / env, load_values(out / f"values-{env}.yaml"))
    again = tmp_path / "again" / case
    assert run("convert", "input", again, *args).exit_code == 0
    assert tree(again) == tree(out), "a second convert gave different bytes"

    expected = folder / "expected"
    produced = tree(out)
    if update_golden:
        kept = set(tree(expected)) if expected.is_dir() else set()
        shutil.rmtree(expected, ignore_errors=True)
        for rel, data in produced.items():
            if pinned_by_default(rel) or rel in kept:
                (expected / rel).parent.mkdir(parents=True, exist_ok=True)
                (expected / rel).write_bytes(data)
    assert expected.is_dir(), f"no expected/ for case {case}: run with --update-golden"
    golden = tree(expected)
    compared = {rel: data for rel, data in produced.items() if pinned_by_default(rel) or rel in golden}
    assert sorted(compared) == sorted(golden), "files pinned by the case differ: run with --update-golden and review"
    assert [rel for rel in compared if compared[rel] != golden[rel]] == []


def test_cases_pin_values_templates_and_files_only() -> None:
    """The wording of the report and the chart skeleton stay out of the small cases."""
    pinned = ["values.yaml", "values-prod.yaml", "templates/web.yaml", "files/prometheus-config/prometheus.yml"]
    left_out = [
        "helmify-report.md",
        "helmify-report.json",
        "templates/NOTES.txt",
        "templates/_helpers.tpl",
        "Chart.yaml",
        ".helmignore",
        "values.schema.json",
        "templates/sub/x.yaml",
    ]
    assert [rel for rel in pinned if not pinned_by_default(rel)] == []
    assert [rel for rel in left_out if pinned_by_default(rel)] == []
    cases = [case for case in CASES.iterdir() if (case / "input").is_dir()]
    assert len(cases) >= 20
    assert [case.name for case in cases if not (case / "expected" / "values.yaml").is_file()] == []
