"""Peak memory: a large chart renders in groups of templates with the same texts as one render,
and the proof and the report keep no more copies of the chart than they need."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from conftest import ROOT, write_tree

from helmify_flts import chart, collector, emit, jsontext, partition, proof, render, report

CASES = Path(__file__).parent / "cases"
CHART = "apiVersion: v2\nname: big\nversion: 0.1.0\n"
HELPERS = '{{- define "big.name" -}}big{{- end }}\n'


def cm(name: str, body: str = "a: {{ .Values.a | quote }}") -> str:
    return (
        f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ include "big.name" . }}}}-{name}\ndata:\n  {body}\n'
    )


def big(**extra: str) -> dict[str, str]:
    files = {
        "Chart.yaml": CHART,
        "values.yaml": "a: x\n",
        "templates/_helpers.tpl": HELPERS,
        **{f"templates/t{i}.yaml": cm(f"t{i}") for i in range(8)},
    }
    files.update({f"templates/{name}": text for name, text in extra.items()})
    return files


@pytest.fixture
def small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chart counts as large: templates render in up to four groups."""
    monkeypatch.setattr(partition, "GROUP_BYTES", 1)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The template files of each chart the Helm engine loads."""
    import helm_python

    seen: list[str] = []
    real = helm_python.Chart.load.__func__

    def load(cls, path):  # noqa: ANN001, ANN202
        seen.append(" ".join(sorted(p.name for p in Path(path, "templates").rglob("*") if p.is_file())))
        return real(cls, path)

    monkeypatch.setattr(helm_python.Chart, "load", classmethod(load))
    return seen


def whole(files: dict[str, str], values: dict | None = None, more: dict | None = None) -> dict:
    saved = partition.MAX_GROUPS
    partition.MAX_GROUPS = 1
    try:
        return render.render_files(files, "big", values, more)
    finally:
        partition.MAX_GROUPS = saved


# ----------------------------------------------------------------------------- partition.groups


def test_a_small_chart_renders_at_once() -> None:
    assert partition.groups(big()) == [frozenset(rel for rel in big() if rel.startswith("templates/"))]


def test_a_large_chart_groups_the_templates_that_render_alone(small_groups: None) -> None:
    files = big(
        **{
            "checksum/c.yaml": cm("c"),
            "roll.yaml": cm("r", 'sum: {{ include (print $.Template.BasePath "/checksum/c.yaml") . | sha256sum }}'),
            "more.yaml": '{{- define "big.more" -}}m{{- end }}\n' + cm("m"),
            "NOTES.txt": "hi\n",
        }
    )
    groups = partition.groups(files)
    assert len(groups) == partition.MAX_GROUPS
    grouped = frozenset().union(*groups)
    # partials, files that define a name, and templates named by path stay in every group
    assert {"templates/_helpers.tpl", "templates/more.yaml", "templates/checksum/c.yaml"}.isdisjoint(grouped)
    assert grouped == {f"templates/t{i}.yaml" for i in range(8)} | {"templates/roll.yaml", "templates/NOTES.txt"}
    assert sum(len(g) for g in groups) == len(grouped)  # each template in one group


@pytest.mark.parametrize(
    "action",
    [
        '{{ $_ := set .Values "a" "y" }}',
        '{{ $_ := unset .Values "a" }}',
        "{{ $_ := merge .Values (dict) }}",
        '{{ $_ := merge (dict "k" .Values) (dict "k" (dict "a" "y")) }}',
        "{{ $_ := mergeOverwrite .Values (dict) }}",
        '{{ tpl "{{ .Values.a }}" . }}',
        '{{ "}}" }}{{ $_ := set .Values "a" "y" }}',
        '{{ print "}}" | printf "%s" }}{{- $x := dict }}{{ $_ := set $x "k" 1 }}',
    ],
)
def test_a_template_that_can_change_the_values_renders_the_chart_at_once(small_groups: None, action: str) -> None:
    files = big(**{"z.yaml": cm("z") + action + "\n"})
    assert len(partition.groups(files)) == 1


def test_words_outside_actions_and_in_strings_do_not_stop_grouping(small_groups: None) -> None:
    files = big(**{"z.yaml": cm("z", 'b: {{ "set, tpl and merge" | quote }}') + "# set, tpl and merge are text here\n"})
    assert len(partition.groups(files)) == partition.MAX_GROUPS


def test_a_chart_with_subcharts_renders_at_once(small_groups: None) -> None:
    assert len(partition.groups(big(**{}) | {"charts/sub/Chart.yaml": CHART})) == 1


# ----------------------------------------------------------------------------- render_files


def test_grouped_rendering_gives_the_texts_of_one_render(small_groups: None, loads: list[str]) -> None:
    files = big(**{"NOTES.txt": "{{ .Release.Name }} {{ .Values.a }}\n"})
    files["values.schema.json"] = '{"type": "object", "properties": {"a": {"type": "string"}}}\n'
    files["files/f.txt"] = "data\n"
    files["templates/f.yaml"] = cm("f", 'f: {{ .Files.Get "files/f.txt" | quote }}')
    grouped = render.render_files(files, "big", {"a": "v"}, {"dev": {"a": "w"}})
    # the values are checked against the schema in a pass of their own, then four groups render
    assert loads[0] == "_helpers.tpl" and len(loads) == 1 + partition.MAX_GROUPS
    assert all("_helpers.tpl" in names for names in loads)
    assert grouped == whole(files, {"a": "v"}, {"dev": {"a": "w"}})
    assert list(grouped[None]) == sorted(grouped[None])
    assert grouped["dev"]["big/templates/t3.yaml"].endswith('a: "w"\n')


def test_a_template_named_by_a_computed_path_falls_back_to_one_render(small_groups: None, loads: list[str]) -> None:
    # The path is put together at render time: no string names the template, so it is grouped
    # apart; its group fails to include it, and the chart is rendered at once.
    files = big(**{"z.yaml": cm("z", 'b: {{ include (print $.Template.BasePath "/t" "0.yaml") . | sha256sum }}')})
    assert render.render_files(files, "big") == whole(files)
    assert len(loads) > partition.MAX_GROUPS and loads[-1].count(".yaml") == 9


def test_a_failing_template_fails_as_in_one_render(small_groups: None) -> None:
    files = big(**{"t5.yaml": '{{ fail "no way" }}'})
    with pytest.raises(render.RenderError) as grouped:
        render.render_files(files, "big")
    with pytest.raises(render.RenderError) as at_once:
        whole(files)
    assert "no way" in str(grouped.value)
    assert _without_folder(grouped.value) == _without_folder(at_once.value)


def test_values_are_checked_against_the_schema(small_groups: None, loads: list[str]) -> None:
    files = big()
    files["values.schema.json"] = '{"type": "object", "properties": {"a": {"type": "integer"}}}\n'
    with pytest.raises(render.RenderError) as grouped:
        render.render_files(files, "big", {"a": "x"})
    with pytest.raises(render.RenderError) as at_once:
        whole(files, {"a": "x"})
    assert _without_folder(grouped.value) == _without_folder(at_once.value)
    assert loads[0] == "_helpers.tpl"  # the first pass, with no group of templates, refused the values


def _without_folder(exc: Exception) -> str:
    return str(exc).split(": ", 1)[1]


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "input").is_dir()))
def test_every_case_renders_the_same_in_groups(case: str, small_groups: None, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    monkeypatch.chdir(folder)
    rules = tuple(p.as_posix() for p in sorted(Path("rules").glob("*.yaml")))
    envs = tuple((p.name, Path("envs") / p.name) for p in sorted(Path("envs").glob("*")) if p.is_dir())
    with collector.paused():
        result = chart.build(chart.Options(src=Path("input"), chart_name=case, rule_files=rules, envs=envs))
    more = {name: render.load_values_text(result.files[f"values-{name}.yaml"]) for name, _ in envs}
    grouped = render.render_files(result.files, case, None, more)
    assert grouped == whole(result.files, None, more)
    # the checksum annotations merge maps: such charts render at once
    merges = any("merge" in text for rel, text in result.files.items() if rel.startswith("templates/"))
    assert len(partition.groups(result.files)) > 1 or merges


def test_the_flts_chart_renders_the_same_in_groups(small_groups: None) -> None:
    golden = ROOT / "tests" / "golden" / "flts"
    files = {
        p.relative_to(golden).as_posix(): p.read_text(encoding="utf-8")
        for p in golden.rglob("*")
        if p.is_file() and not p.name.startswith("helmify-report")
    }
    assert len(partition.groups(files)) > 1
    more = {env: render.load_values_text(files[f"values-{env}.yaml"]) for env in ("dev", "prod")}
    assert render.render_files(files, "flts", None, more) == whole(files, None, more)


# ----------------------------------------------------------------------------- proof and report

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  app.conf: |
    listen 8080;
"""


@pytest.fixture
def converted(tmp_path: Path) -> chart.Result:
    write_tree(tmp_path / "src", {"web.yaml": WEB})
    with collector.paused():
        return chart.build(chart.Options(src=tmp_path / "src", chart_name="web"))


def test_the_proof_of_a_conversion_keeps_the_comparison_only(converted: chart.Result) -> None:
    proven = proof.prove_conversion(converted)
    assert proven.ok and proven.base.compared == 2
    # the rendered texts and objects (each as large as the chart) are not carried into the report
    assert proven.base.texts == {} and proven.base.objects == {}


def _old_json(data: dict) -> str:
    return jsontext.dumps(json.loads(json.dumps(data), parse_constant=str), ensure_ascii=False, allow_nan=False) + "\n"


def test_the_json_report_is_made_without_a_copy_of_the_data(
    converted: chart.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    proven = proof.prove_conversion(converted)
    expected = _old_json(report.as_json(converted, proven))

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report data was copied through json.loads")

    monkeypatch.setattr(report.json, "loads", no_copy)
    assert report.files(converted, proven)["helmify-report.json"] == expected


@pytest.mark.parametrize("odd", [float("nan"), float("inf"), -math.inf, {1: "a", "1": "b"}, {None: 1, True: 2}])
def test_numbers_and_keys_json_cannot_hold_are_made_strings_as_before(
    converted: chart.Result, monkeypatch: pytest.MonkeyPatch, odd: object
) -> None:
    proven = proof.prove_conversion(converted)
    data = report.as_json(converted, proven)
    data["resources"][0]["fields"][0]["original"] = [odd]
    monkeypatch.setattr(report, "as_json", lambda result, proven, prepared=None: data)
    expected, copied = _old_json(data), []
    real = report.json.loads
    monkeypatch.setattr(report.json, "loads", lambda *a, **k: copied.append(1) or real(*a, **k))
    assert report.files(converted, proven)["helmify-report.json"] == expected
    assert copied == [1]  # the round trip made them strings


# ----------------------------------------------------------------------------- finishing and writing


def test_the_json_report_is_joined_with_its_last_newline(
    converted: chart.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Adding the newline to the finished text copied the whole report (megabytes) once more.
    ends = []
    real = jsontext.dumps

    def spy(value: object, *args: object, **kwargs: object) -> str:
        ends.append(kwargs.get("end"))
        return real(value, *args, **kwargs)

    monkeypatch.setattr(jsontext, "dumps", spy)
    text = report.files(converted, proof.prove_conversion(converted))["helmify-report.json"]
    assert ends == ["\n"] and text.endswith("}\n")


@pytest.mark.parametrize("value", [{}, [], {"a": [1, 2.5, None, True, "é"]}, "x"])
def test_dumps_ends_as_asked(value: object) -> None:
    assert jsontext.dumps(value, end="\n") == json.dumps(value, indent=2) + "\n"
    assert jsontext.dumps(value) == json.dumps(value, indent=2)


def test_a_large_file_is_hashed_and_written_without_a_second_copy(tmp_path: Path) -> None:
    import tracemalloc

    text = "é" + "x" * (8 << 20)  # the review report of a large chart: megabytes
    files = {"helmify-report.json": text, "small.txt": "é\n"}
    plan = emit.make_plan(tmp_path / "out", files)
    tracemalloc.start()
    try:
        emit.write(tmp_path / "out", files, plan)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for rel, content in files.items():
        assert (tmp_path / "out" / rel).read_bytes() == content.encode("utf-8")
    state = json.loads((tmp_path / "out" / emit.STATE).read_text())
    assert state["files"]["helmify-report.json"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert peak < 4 << 20, f"{peak >> 20} MB held at once while writing an 8 MB file"


@pytest.mark.parametrize("text", ["", "a", "x" * 5 + "é€😀" * 7, "😀" * 40], ids=["empty", "one", "mixed", "astral"])
def test_the_digest_is_sha256_of_the_utf8_text(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emit, "_CHUNK", 3)  # slices of 3 characters: 1 to 4 bytes each in UTF-8
    assert emit.digest(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
