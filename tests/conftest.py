"""Shared helpers: run the CLI, render charts with the real Helm engine, compare with sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from helmify_flts import kustomize, manifests, proof, render
from helmify_flts.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Regenerate the golden charts under tests/.")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden") or os.environ.get("UPDATE_GOLDEN"))


@pytest.fixture(scope="session", autouse=True)
def helm_engine() -> None:
    """The Helm engine must load: tests that prove charts cannot pass without it."""
    import helm_python  # noqa: F401  (an ImportError here fails the whole run loudly)


def run(*args: str | Path, input: str | None = None):
    """Invoke the CLI; the result carries exit_code, stdout and stderr (shown when a test fails)."""
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    print("exit:", result.exit_code)
    print("stdout:", result.stdout)
    print("stderr:", result.stderr)
    return result


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def render_objects(
    chart: Path, release: str = "release", namespace: str = "default", values: dict | None = None
) -> dict:
    """The objects ``chart`` renders with Helm, by identity."""
    texts = render.render_chart(chart, values, release, namespace)
    return {ident: obj for ident, (_, obj) in render.rendered_objects(texts).items()}


def assert_proven(
    chart: Path, src: Path, values: dict | None = None, *, skip_chart: bool = False, raw: bool = False, **how: str
) -> proof.Proof:
    """Render ``chart`` with Helm and require exactly the resources of ``src`` (no lint: some tests
    use names Kubernetes would refuse on purpose). ``skip_chart``: the chart sits inside ``src``
    and is not read as a source; ``how``: release and namespace names."""
    # What convert reads: a kustomization folder's build, any other folder's files.
    loaded = kustomize.Sources(raw=raw).load(src, skip=chart.resolve() if skip_chart else None)
    proven = proof.prove(chart, proof.Expected.sources(loaded), values, **how)
    assert proven.ok, "\n".join(proven.describe())
    assert proven.compared == len(loaded.resources)
    return proven


def assert_reproduces(chart: Path, src: Path, values: dict | None = None, *, raw: bool = False) -> proof.Proof:
    """Render ``chart`` with Helm and require exactly the resources of ``src``; lint must be clean."""
    proven = assert_proven(chart, src, values, raw=raw)
    findings = render.lint(chart, values)
    assert findings == [], findings
    return proven


def convert_ok(src: Path, out: Path, *extra: str) -> None:
    result = run("convert", src, out, *extra)
    assert result.exit_code == 0, result.stderr


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest)
    return dest


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The render folders go to a temp dir inside tmp_path, so a test sees everything written.
    A module that needs it for every test says ``pytestmark = pytest.mark.usefixtures("private_tmp")``."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def plain_build(folder: Path) -> manifests.LoadResult:
    """``kubectl kustomize DIR`` (or ``kustomize build DIR``) as is, read independently of the tool's own build."""
    argv = ["kustomize", "build"] if shutil.which("kustomize") else ["kubectl", "kustomize"]
    text = subprocess.run([*argv, str(folder)], capture_output=True, text=True, check=True, timeout=60).stdout
    resources: list[manifests.Resource] = []
    manifests.load_text("build", text, resources, [])
    return manifests.LoadResult(tuple(resources), (), ())
