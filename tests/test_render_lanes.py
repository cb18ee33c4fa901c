"""The proof's renders with environments: several value sets render at once, and each is compared
as soon as its render has ended, while the engine renders the others."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import helm_python
import pytest
from conftest import convert_ok, run, write_tree

from helmify_flts import proof, render

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: {value}\n"
CHART = {
    "Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "templates/cm.yaml": CM.format(value="{{ .Values.k }}"),
}


def _tree(tmp_path: Path, envs: tuple[str, ...] = ("dev", "prod")) -> tuple[Path, list[str]]:
    src = write_tree(tmp_path / "src", {"cm.yaml": CM.format(value="base")})
    args: list[str] = []
    for env in envs:
        args += ["--env", f"{env}={write_tree(tmp_path / env, {'cm.yaml': CM.format(value=env)})}"]
    return src, args


def test_the_base_is_compared_while_an_environment_still_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared = threading.Event()
    waited: list[bool] = []
    real_render, real_compare = helm_python.Chart.render, proof._compare

    def render_(self: helm_python.Chart, values: dict, **kwargs: object) -> dict:
        texts = real_render(self, values, **kwargs)
        if "prod" in str(texts):  # in turn, nothing would be compared before this returned
            waited.append(compared.wait(timeout=10))
        return texts

    def compare(*args: object, **kwargs: object) -> proof.Proof:
        compared.set()
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(helm_python.Chart, "render", render_)
    monkeypatch.setattr(proof, "_compare", compare)
    src, envs = _tree(tmp_path)
    convert_ok(src, tmp_path / "out", *envs)
    assert waited == [True]


def test_at_most_two_renders_run_at_once_and_each_set_gets_its_own_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most, lock = [0], [0], threading.Lock()
    real_render = helm_python.Chart.render

    def render_(self: helm_python.Chart, values: dict, **kwargs: object) -> dict:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for every lane to have started its own
        try:
            return real_render(self, values, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(helm_python.Chart, "render", render_)
    order: list[str | None] = []
    more = {f"e{i}": {"k": f"v{i}"} for i in range(5)}
    texts = render.render_files(CHART, "c", {"k": "base"}, more, then=lambda name, _texts: order.append(name))
    assert most[0] == render.LANES == 2
    assert order == [None, *more]  # compared in the order of the sets, whatever order they end in
    assert "k: base" in texts[None]["c/templates/cm.yaml"]
    assert all(f"k: v{i}" in texts[f"e{i}"]["c/templates/cm.yaml"] for i in range(5))


def test_a_set_that_fails_fails_every_case_and_no_render_is_left_running() -> None:
    files = {
        **CHART,
        "templates/cm.yaml": '{{ if eq .Values.k "bad" }}{{ fail "boom" }}{{ end }}' + CHART["templates/cm.yaml"],
    }
    cases = {
        "": proof.Case(proof.Expected({})),
        "dev": proof.Case(proof.Expected({}), {"k": "bad"}),
        "prod": proof.Case(proof.Expected({}), {"k": "fine"}),
    }
    proofs = proof.prove_all(files, cases, "c")
    assert {name: p.failure.kind for name, p in proofs.items()} == {"": "render", "dev": "render", "prod": "render"}
    assert "boom" in proofs["prod"].failure.message
    assert not any(t.name.startswith("helm-render") for t in threading.enumerate())


def test_an_error_while_comparing_waits_for_the_renders_and_starts_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    real_render = helm_python.Chart.render

    def render_(self: helm_python.Chart, values: dict, **kwargs: object) -> dict:
        started.append(str(values.get("k")))
        time.sleep(0.3)  # the comparison of the first set fails while the second renders
        return real_render(self, values, **kwargs)

    def then(name: str | None, _texts: dict) -> None:
        raise ZeroDivisionError("a bug in the comparison")

    monkeypatch.setattr(helm_python.Chart, "render", render_)
    more = {f"e{i}": {"k": f"v{i}"} for i in range(6)}
    with pytest.raises(ZeroDivisionError):
        render.render_files(CHART, "c", {"k": "base"}, more, then=then)
    assert not any(t.name.startswith("helm-render") for t in threading.enumerate())
    # The first two, and at most one more per lane: each lane takes its next set as soon as its
    # render ends, before the comparison has failed; none takes one after (a render is 0.3 s).
    assert len(started) <= 2 + render.LANES < 1 + len(more)


def test_three_environments_convert_and_verify(tmp_path: Path) -> None:
    src, envs = _tree(tmp_path, ("dev", "stage", "prod"))
    done = run("convert", src, tmp_path / "out", *envs)
    assert done.exit_code == 0, done.stderr
    for env in ("dev", "stage", "prod"):
        assert env in (tmp_path / "out" / f"values-{env}.yaml").read_text()
    checked = run("verify", tmp_path / "out", src, *envs)
    assert checked.exit_code == 0, checked.stderr
