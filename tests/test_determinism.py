"""Generated output does not depend on the process: two runs with other string hashes (so other
iteration orders of every set and of dicts built from them) write the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

SHOP = ROOT / "tests" / "kustomize" / "shop"


def _convert(seed: int, out: Path, *args: str | Path) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    code = "import sys; from helmify_flts.cli import main; sys.exit(main())"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "convert",
            "-q",
            str(args[0]),
            str(out),
            "--chart-name",
            "demo",
            *map(str, args[1:]),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(
            (
                FIXTURES / ".kubernetes",
                "--rules",
                "conventions",
                "--rules",
                "flts-production",
                f"--env=dev={FIXTURES / 'environments' / 'dev'}",
                f"--env=prod={FIXTURES / 'environments' / 'prod'}",
            ),
            id="flts-production-envs",
        ),
        pytest.param(
            (SHOP / "base", "--rules", "conventions", f"--env=prod={SHOP / 'overlays' / 'prod'}"),
            id="kustomize-generators-conventions",
        ),
    ],
)
def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path, args: tuple) -> None:
    first = _convert(1, tmp_path / "a" / "chart", *args)
    second = _convert(2, tmp_path / "b" / "chart", *args)
    assert "values.yaml" in first and len(first) > 5
    assert sorted(first) == sorted(second)
    different = [rel for rel in first if first[rel] != second[rel]]
    assert different == []
