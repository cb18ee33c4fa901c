"""existingSecret switches are planned in one walk of the folder per rule, not one per Secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import convert_ok, write_tree

from helmify_flts import existing

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n  namespace: {ns}\nstringData:\n  k: value-{i}\n"
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: d{i}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{app: d{i}}}}}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        env:
        - name: K
          valueFrom: {{secretKeyRef: {{name: s{i}, key: k}}}}
      volumes:
      - name: v
        secret: {{secretName: s{j}}}
"""


def _folder(root: Path, count: int, ns: str = "team") -> Path:
    files = {}
    for i in range(count):
        files[f"s{i}.yaml"] = SECRET.format(i=i, ns=ns)
        files[f"d{i}.yaml"] = DEPLOY.format(i=i, j=(i + 1) % count, ns=ns)
    return write_tree(root, files)


def _walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> int:
    calls = [0]
    real = existing.walk

    def walk(*args: object) -> object:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(existing, "walk", walk)
    convert_ok(_folder(tmp_path / f"src{count}", count), tmp_path / f"out{count}")
    return calls[0]


def test_the_walks_grow_with_the_folder_not_with_its_square(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = _walks(tmp_path, monkeypatch, 10), _walks(tmp_path, monkeypatch, 40)
    assert large <= 4 * small + 10  # 4x the resources: 4x the walks (16x before)


def test_every_reference_follows_its_secrets_switch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert_ok(_folder(tmp_path / "src", 3), out)
    for i in range(3):
        text = (out / "templates" / f"d{i}.yaml").read_text()
        assert f'existingSecret | default "s{i}"' in text and f'existingSecret | default "s{(i + 1) % 3}"' in text
