"""The proof on its own: a small chart rendered with Helm and compared with what is expected of it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import write_tree

from helmify_flts import proof, render
from helmify_flts.emit import Plan
from helmify_flts.errors import UserError
from helmify_flts.outcome import Mode, Outcome

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
CM = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    'data:\n  a: {{{{ .Values.a | default "1" | quote }}}}\n'
)
IDENT = ("", "ConfigMap", "", "app")
OTHER = ("", "ConfigMap", "", "other")


def expected_cm(name: str = "app", a: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": a}}


def files(**templates: str) -> dict[str, str]:
    return {"Chart.yaml": CHART, **{f"templates/{name}.yaml": text for name, text in templates.items()}}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "c", files(app=CM.format(name="app")))


def test_identical_objects_prove(chart: Path) -> None:
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm()}))
    assert proven.ok and proven.rendered
    assert proven.compared == 1 and proven.patches == {IDENT: []}
    assert proven.describe() == []


def test_a_changed_field_is_named_with_its_path_and_patch(chart: Path) -> None:
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm()}), {"a": "2"})
    assert not proven.ok and proven.rendered
    assert proven.changed == {IDENT: ["data.a: changed '1' -> '2'"]}
    assert proven.patches[IDENT] == [{"op": "replace", "path": "/data/a", "value": "2"}]
    assert proven.describe() == ["ConfigMap/app differs:", "  data.a: changed '1' -> '2'"]


def test_the_expected_side_is_an_input(chart: Path) -> None:
    # A declared change: what is expected is no longer the source as read.
    assert proof.prove(chart, proof.Expected({IDENT: expected_cm(a="2")}), {"a": "2"}).ok


def test_a_missing_object(chart: Path) -> None:
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm(), OTHER: expected_cm("other")}))
    assert not proven.ok
    assert proven.missing == [OTHER] and proven.compared == 1
    assert proven.describe() == ["missing from the chart: ConfigMap/other"]


def test_an_extra_object(tmp_path: Path) -> None:
    chart = write_tree(tmp_path / "c", files(app=CM.format(name="app"), other=CM.format(name="other")))
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm()}))
    assert not proven.ok
    assert proven.extra == [OTHER] and proven.allowed == ()
    assert proven.describe() == ["rendered but not in the source: ConfigMap/other"]


def test_an_extra_object_that_is_allowed(tmp_path: Path) -> None:
    chart = write_tree(tmp_path / "c", files(app=CM.format(name="app"), other=CM.format(name="other")))
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm()}, may_add=frozenset({OTHER})))
    assert proven.ok
    assert proven.extra == [] and proven.allowed == (OTHER,)
    assert proven.objects[OTHER][0] == "c/templates/other.yaml"


def test_objects_from_templates_not_generated_are_allowed(tmp_path: Path) -> None:
    chart = write_tree(tmp_path / "c", files(app=CM.format(name="app"), other=CM.format(name="other")))
    generated = frozenset({"templates/app.yaml", "values.yaml"})
    assert proof.prove(chart, proof.Expected({IDENT: expected_cm()}, generated=generated)).allowed == (OTHER,)
    # The user's template may not stand in for an expected object, though: that one is compared.
    mine = proof.prove(
        chart, proof.Expected({IDENT: expected_cm(), OTHER: expected_cm("other", "x")}, generated=generated)
    )
    assert list(mine.changed) == [OTHER]


def test_a_render_failure_is_data(tmp_path: Path) -> None:
    chart = write_tree(tmp_path / "c", files(app='{{ fail "no such thing" }}\n'))
    proven = proof.prove(chart, proof.Expected({IDENT: expected_cm()}))
    assert not proven.ok and not proven.rendered
    assert proven.failure is not None and proven.failure.kind == "render"
    assert "no such thing" in proven.failure.message
    assert str(proven.failure).startswith("Helm could not render the chart: ")
    assert proven.describe() == [str(proven.failure)]


def test_rendered_text_that_is_not_yaml_is_a_failure(tmp_path: Path) -> None:
    chart = write_tree(tmp_path / "c", files(app="a: [unclosed\n"))
    proven = proof.prove(chart, proof.Expected({}))
    assert proven.failure is not None and proven.failure.kind == "yaml"
    assert str(proven.failure).startswith("Helm rendered text that is not valid YAML: ")


def test_files_held_in_memory_are_proven_once_per_case() -> None:
    cases = {
        "base": proof.Case(proof.Expected({IDENT: expected_cm()})),
        "dev": proof.Case(proof.Expected({IDENT: expected_cm(a="dev")}), {"a": "dev"}),
        "wrong": proof.Case(proof.Expected({IDENT: expected_cm()}), {"a": "dev"}),
    }
    proofs = proof.prove_all(files(app=CM.format(name="app")), cases, "c")
    assert {name: p.ok for name, p in proofs.items()} == {"base": True, "dev": True, "wrong": False}


def test_a_chart_in_memory_that_does_not_render_fails_every_case() -> None:
    cases = {"base": proof.Case(proof.Expected({})), "dev": proof.Case(proof.Expected({}), {"a": "x"})}
    proofs = proof.prove_all(files(app='{{ fail "boom" }}\n'), cases, "c")
    assert all(p.failure is not None and p.failure.kind == "render" for p in proofs.values())


# --------------------------------------------------------------------------- the outcome of a convert run


def outcome(mode: Mode, proven: proof.ChartProof, plan: Plan, **options: bool) -> Outcome:
    # Only the notices of the conversion are read on these paths (the summary is not).
    return Outcome(Path("out"), mode, SimpleNamespace(notices=()), proven, plan, **options)


PROVEN = proof.ChartProof(proof.Proof())
UNPROVEN = proof.ChartProof(proof.Proof(render.Comparison(missing=[IDENT])))
CHANGED = Plan(update=("values.yaml",))


@pytest.mark.parametrize("mode", list(Mode))
def test_an_unproven_chart_is_never_written_nor_diffed(mode: Mode) -> None:
    done = outcome(mode, UNPROVEN, CHANGED, force=True, quiet=True)
    assert not done.writes and not done.shows_diff
    assert done.exit_code == 1
    assert done.verdict() == [
        "error: the chart does not reproduce the source:",
        "  missing from the chart: ConfigMap/app",
        "Nothing was written to out. This is a bug in helmify-flts; please report it with the command you ran.",
    ]


def test_a_chart_that_does_not_render_says_why() -> None:
    failed = proof.ChartProof(proof.Proof(failure=proof.Failure("render", "boom")))
    assert outcome(Mode.WRITE, failed, CHANGED).verdict()[0] == (
        "error: the chart does not render: Helm could not render the chart: boom"
    )


def test_hand_edits_stop_a_write_unless_forced() -> None:
    edited = Plan(update=("values.yaml",), edited=("values.yaml",))
    stopped = outcome(Mode.WRITE, PROVEN, edited, quiet=True)
    assert (stopped.writes, stopped.exit_code) == (False, 1)
    assert stopped.verdict()[0] == "error: out/values.yaml: edited by hand since helmify-flts wrote it"
    forced = outcome(Mode.WRITE, PROVEN, edited, force=True, quiet=True)
    assert (forced.writes, forced.exit_code, forced.verdict()) == (True, 0, [])


@pytest.mark.parametrize("mode", [Mode.CHECK, Mode.DIFF])
def test_check_and_diff_write_nothing_and_fail_on_changes(mode: Mode) -> None:
    done = outcome(mode, PROVEN, CHANGED)
    assert (done.writes, done.shows_diff, done.exit_code) == (False, mode is Mode.DIFF, 1)
    assert done.verdict() == [
        "would write out/values.yaml",
        "out is out of date: 1 file(s) would change; run convert to update it",
    ]
    assert outcome(mode, PROVEN, CHANGED, quiet=True).verdict() == []


def test_check_and_diff_together_are_a_usage_error() -> None:
    with pytest.raises(UserError, match="alternatives"):
        Mode.of(check=True, diff=True)
