"""Hostile input that earlier hardening missed: special files and links where input is read,
state and values files that are not what they claim, secrets in arguments, and the cases a
fuzzing campaign (benchmarks/fuzz_convert.py) turned up. Each test runs the CLI as CI would."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_reproduces, run, write_tree

SECRET = "hunter2zq9secret"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Render folders go to a temp dir inside tmp_path, so a test sees everything written."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def deployment(name: str = "web") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: nginx:1.25
        env:
        - name: DB_PASSWORD
          value: {SECRET}
"""


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, else what it is (links not followed)."""
    out: dict[str, bytes | str] = {}
    if not root.exists():
        return out
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(here, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = "special"
    return out


def assert_refused(result, *words: str) -> None:  # noqa: ANN001
    """Exit 2 with one ``error:`` naming ``words``, no traceback, no secret."""
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert SECRET not in result.stdout + result.stderr


def within(seconds: float, *args: str | Path):  # noqa: ANN201
    """Run the CLI in a thread and fail the test (not hang it) if it takes over ``seconds``."""
    done: dict = {}

    def target() -> None:
        done["result"] = run(*args)

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"helmify-flts {' '.join(map(str, args))} ran for over {seconds} s"
    assert time.monotonic() - started < seconds
    return done["result"]


# --------------------------------------------------------------------------- fuzzing finds


def test_a_yaml11_key_an_environment_leaves_out_keeps_its_meaning(tmp_path: Path) -> None:
    """A plain ``yes:`` key is the key "true" to Kubernetes; where an environment leaves it out,
    the chart writes the key anew behind a guard, and wrote the text "yes" (seed 4213)."""
    src = write_tree(
        tmp_path / "src", {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  yes: db\n"}
    )
    dev = write_tree(
        tmp_path / "dev", {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: |\n    web\n"}
    )
    out = tmp_path / "out"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    assert_reproduces(out, src)
    assert run("verify", out, src, "--env", f"dev={dev}").exit_code == 0
