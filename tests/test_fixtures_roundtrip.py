"""The bundled FLTS manifests: the chart renders them back exactly, lints clean, and is stable."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, assert_reproduces, convert_ok

BASE = FIXTURES / ".kubernetes"


def test_base_chart_reproduces_the_manifests(tmp_path: Path) -> None:
    out = tmp_path / "flts"
    convert_ok(BASE, out)
    assert_reproduces(out, BASE)


def test_second_convert_gives_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "flts", tmp_path / "b" / "flts"
    convert_ok(BASE, a)
    convert_ok(BASE, b)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
