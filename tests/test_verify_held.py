"""A library's verify() holds its own check's Secret values, as chart.build does: calling it in a
loop does not gather every value it ever checked until MAX_VALUES stops it."""

from __future__ import annotations

import contextvars
from pathlib import Path

import pytest
from conftest import convert_ok, write_tree

from helmify_flts import heldvalues, redact, verify


def _secret_folder(root: Path, values: list[str]) -> Path:
    data = "".join(f"  k{n}: {value}\n" for n, value in enumerate(values))
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n{data}"
    return write_tree(root, {"secret.yaml": secret})


def test_a_library_verify_holds_its_own_values_however_many_checks_came_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [[f"Vq{n}v{k}VerifyHeld" for k in range(3)] for n in range(5)]  # 15 values, 3 a check
    folders = []
    for n, values in enumerate(runs):
        src = _secret_folder(tmp_path / f"src{n}", values)
        convert_ok(src, tmp_path / f"chart{n}")  # a command: its values are its own
        folders.append((tmp_path / f"chart{n}", src))
    monkeypatch.setattr(heldvalues, "MAX_VALUES", 6)

    def loop() -> None:
        for (chart_dir, src), values in zip(folders, runs, strict=True):
            assert verify.verify(chart_dir, src).ok
            assert redact.held(f"x {values[0]} y") == "x <redacted> y"  # what it shows next hides them
        assert redact.held(runs[0][0]) == runs[0][0]  # an earlier check's are no longer held

    contextvars.Context().run(loop)  # a caller's context that no command began a run in
