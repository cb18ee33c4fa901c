"""Work a proof shares between its renderings (the base values and each environment's): the chart
is loaded into the Helm engine once, and a text rendered the same way twice is parsed once; every
rendering is still made by the engine and compared on its own objects."""

from __future__ import annotations

import helm_python
import pytest

from helmify_flts import kyaml, proof

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
FIXED = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixed\ndata:\n  a: "1"\n'
VALUED = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: valued\ndata:\n  a: {{ .Values.a | quote }}\n"
FILES = {"Chart.yaml": CHART, "templates/fixed.yaml": FIXED, "templates/valued.yaml": VALUED}


def cm(name: str, a: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": a}}


def cases() -> dict[str, proof.Case]:
    return {
        name: proof.Case(
            proof.Expected(
                {("", "ConfigMap", "", "fixed"): cm("fixed", "1"), ("", "ConfigMap", "", "valued"): cm("valued", a)}
            ),
            {"a": a},
        )
        for name, a in (("", "base"), ("dev", "dev"), ("prod", "prod"))
    }


def test_the_engine_loads_the_chart_once_for_every_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    for how in ("load", "load_archive"):  # from a folder, or from an archive made in memory
        original = getattr(helm_python.Chart, how).__func__

        def counting(cls, chart, original=original):  # noqa: ANN001, ANN202
            loads.append(chart)
            return original(cls, chart)

        monkeypatch.setattr(helm_python.Chart, how, classmethod(counting))
    proofs = proof.prove_all(FILES, cases(), "c")
    assert len(loads) == 1
    assert all(p.ok for p in proofs.values())
    assert {name: p.objects[("", "ConfigMap", "", "valued")][1]["data"]["a"] for name, p in proofs.items()} == {
        "": "base",
        "dev": "dev",
        "prod": "prod",
    }


def test_a_text_rendered_alike_is_parsed_once_and_its_objects_are_not_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    composed = []
    original = kyaml.compose_all

    def counting(text: str):  # noqa: ANN202
        composed.append(text)
        return original(text)

    monkeypatch.setattr(kyaml, "compose_all", counting)
    proofs = proof.prove_all(FILES, cases(), "c")
    assert all(p.ok for p in proofs.values())
    assert composed.count(FIXED) == 1  # the same text in all three renderings
    assert len(composed) == 4  # plus the valued template, different each time
    fixed = [p.objects[("", "ConfigMap", "", "fixed")][1] for p in proofs.values()]
    assert fixed[0] == fixed[1] == fixed[2]
    assert fixed[0] is not fixed[1] and fixed[1] is not fixed[2]  # a change to one cannot reach another


def test_a_failed_comparison_in_one_environment_stays_in_it() -> None:
    wrong = cases()
    wrong["dev"] = proof.Case(
        proof.Expected(
            {("", "ConfigMap", "", "fixed"): cm("fixed", "2"), ("", "ConfigMap", "", "valued"): cm("valued", "dev")}
        ),
        {"a": "dev"},
    )
    proofs = proof.prove_all(FILES, wrong, "c")
    assert proofs[""].ok and proofs["prod"].ok
    assert not proofs["dev"].ok
    assert list(proofs["dev"].comparison.changed) == [("", "ConfigMap", "", "fixed")]
