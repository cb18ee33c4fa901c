"""convert in memory does each piece of work once, and its quicker paths give what the general
ones give (issue 8, speed: chart.build on the many-files corpus shape)."""

from __future__ import annotations

import gc
import random
import re
import sys
import time
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, assert_reproduces, convert_ok, run, write_tree
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from helmify_flts import (
    chart,
    collector,
    components,
    decisions,
    environments,
    filenames,
    kyaml,
    manifests,
    match,
    paths,
    redact,
    rewrite,
    rules,
    templating,
    values,
)
from helmify_flts.errors import UserError

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_convert  # noqa: E402

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: LEVEL, value: info}
          resources:
            limits: {cpu: 100m}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-dashboard
data:
  dashboard.json: |
    {"title": "one"}
    {"title": "two"}
"""


def _build(src: Path) -> chart.Result:
    with collector.paused():
        return chart.build(chart.Options(src=src, chart_name="bench"))


def test_placing_fields_does_not_gather_the_sources_scalars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The placeholder stem is proven on the emitted text; every scalar of a source (its
    dashboards too) was joined into one text for each resource before."""
    src = write_tree(tmp_path / "src", {"web.yaml": WORKLOAD})
    expected = _build(src).files

    def refuse(node: object) -> str:
        raise AssertionError("scalar_values gathered for a source that does not hold the stem")

    monkeypatch.setattr(kyaml, "scalar_values", refuse)
    assert _build(src).files == expected


def test_a_source_holding_the_placeholder_stem_still_converts_and_reproduces(tmp_path: Path) -> None:
    text = WORKLOAD.replace("value: info", 'value: "HELMIFYTPL00000 HELMIFYTPL"').replace(
        '{"title": "two"}', '{"title": "HELMIFYTPL00001"}'
    )
    src = write_tree(tmp_path / "src", {"web.yaml": text})
    out = tmp_path / "chart"
    convert_ok(src, out)
    assert_reproduces(out, src)
    assert "HELMIFYTPL00000 HELMIFYTPL" in (out / "values.yaml").read_text()


def test_deciding_a_field_builds_its_value_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": WORKLOAD})
    hits: list = []
    monkeypatch.setattr(rewrite, "decide", lambda hit, *a, **k: hits.append(hit) or decisions.decide(hit, *a, **k))
    _build(src)
    lifted = [h for h in hits if h.found.node is not None and h.mode.name in ("VALUE", "OPTIONAL")]
    assert lifted
    built: list = []
    real = kyaml.construct
    monkeypatch.setattr(kyaml, "construct", lambda node: built.append(node) or real(node))
    for hit in lifted:
        built.clear()
        decisions.decide(hit, "bench")
        assert built.count(hit.found.node) == 1, hit.field


def test_hit_matching_finds_what_it_found_when_it_walked_every_path_lazily(tmp_path: Path) -> None:
    """paths.walk collects into a list; hits and their order are what the rules claim."""
    src = write_tree(tmp_path / "src", {"web.yaml": WORKLOAD})
    result = _build(src)
    fields = [(lift.resource.kind, str(lift.path)) for lift in result.conversion.lifts]
    assert ("Deployment", "spec.template.spec.containers[web].env[LEVEL].value") in fields
    assert ("ConfigMap", 'data["dashboard.json"]') in fields


def _finish_whole_text(emitted: str, placeholders: templating.Placeholders) -> str:
    """templating.finish as it was: the pattern run over the whole text."""
    text = templating.escape(emitted)
    if not placeholders.actions:
        return text
    pattern = re.compile(
        rf"^(?P<lead>[ ]*(?:- )*)(?P<key>[^\n]*?: )?(?P<token>{placeholders.stem}\d{{5}})(?P<tail>: null)?$|"
        rf"(?P<inline>{placeholders.stem}\d{{5}})",
        re.MULTILINE,
    )
    return pattern.sub(lambda m: templating._expand(m, placeholders.actions), text)


def test_finishing_line_by_line_gives_what_the_whole_text_pattern_gave() -> None:
    rng = random.Random(8)
    for _ in range(300):
        marks = templating.Placeholders("")
        lines = []
        for _ in range(rng.randint(0, 12)):
            pad = " " * rng.choice([0, 2, 4]) + rng.choice(["", "- ", "- - "])
            kind = rng.randint(0, 5)
            if kind == 0:
                lines.append(f"{pad}key: {marks.new(templating.Inline('{{ .Values.a | toJson }}'))}")
            elif kind == 1:
                lines.append(f"{pad}{marks.new(templating.OptionalKey('.Values.b', 'b', rng.random() < 0.5))}: null")
            elif kind == 2:
                lines.append(f"{pad}key: {marks.new(templating.Block('.Values.c'))}")
            elif kind == 3:
                lines.append(f"{pad}{marks.new(templating.ItemGuard('.Values.d'))}")
            elif kind == 4:
                lines.append(f"{pad}a: b: {{{{ x }}}} {marks.new(templating.Inline('X'))} tail")
            else:
                lines.append(pad + rng.choice(["plain: text", "", "x: {{ y }}", "- item", "k: 'v: w'"]))
        emitted = "\n".join(lines) + rng.choice(["", "\n"])
        assert templating.finish(emitted, marks) == _finish_whole_text(emitted, marks), emitted


def test_represent_gives_the_nodes_pyyaml_gives() -> None:
    shared = {"a": [1, None]}
    samples = [None, True, False, 0, -7, 2**70, "", "yes", "1.0", "~", {}, [], [shared, shared]]
    samples += [{"k": shared, "j": [shared, {"deep": ["x", True]}]}, 1.5, {"f": float("inf")}, {1: "x", None: 2}]

    def same(a: object, b: object) -> bool:
        if type(a) is not type(b) or a.tag != b.tag or getattr(a, "flow_style", None) != getattr(b, "flow_style", None):
            return False
        if isinstance(a, ScalarNode):
            return a.value == b.value and a.style == b.style
        if isinstance(a, MappingNode):
            return len(a.value) == len(b.value) and all(
                same(x, y) and same(v, w) for (x, v), (y, w) in zip(a.value, b.value, strict=True)
            )
        assert isinstance(a, SequenceNode)
        return len(a.value) == len(b.value) and all(same(x, y) for x, y in zip(a.value, b.value, strict=True))

    for value in samples:
        assert same(kyaml.represent(value), kyaml._Representer().represent_data(value)), value
    node = kyaml.represent([shared, shared])
    assert node.value[0] is node.value[1]  # a map met twice is one node, as PyYAML makes it


def test_the_ascii_test_for_unprintable_text_agrees_with_the_pattern() -> None:
    for code in range(0x100):
        for text in (chr(code), f"ab{chr(code)}cd\n", "x" * 100 + chr(code)):
            old = "\x85" in text or values._UNPRINTABLE.search(text) is not None
            assert (values.inexpressible(text) is not None) == old, hex(code)


def test_nan_and_inf_are_found_without_lowering_the_file() -> None:
    dotted = "description: see a.b." * 100  # dots everywhere: the file is lowered whole
    for text in ["a: .nan", "a: .NaN", "a: -.Inf", "a: .iNF", "x.y.z", "", ".", "a.na", "a: 1.5", "b: .İnf"] + [
        dotted,
        dotted + "\nc: .NaN",
        "a: .İnf " + dotted,
        dotted + ".İnf",
        "x" * 5000 + "." * 40 + ".NAN",
    ]:
        lowered = text.lower()
        assert manifests._nan_or_inf(text) == (".nan" in lowered or ".inf" in lowered), text
    rng = random.Random(8)
    for _ in range(2000):
        text = "".join(rng.choice(["a", ".", "n", "N", "İ", "i", "f", "F", "\n", "xyz" * 30]) for _ in range(60))
        lowered = text.lower()
        assert manifests._nan_or_inf(text) == (".nan" in lowered or ".inf" in lowered), text


def test_the_nan_search_does_not_count_the_dots_of_a_whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    class Text(str):
        def count(self, *args: object) -> int:
            raise AssertionError("counted")

    assert manifests._nan_or_inf(Text("a: 1\n" * 1000)) is False


def test_helmignore_patterns_match_as_fnmatch_matches_them() -> None:
    names = [".git", ".gitx", "a.swp", "a.swp\n", "~", "x~", ".idea", "helmify-report.md", "a*b", "", "..", "ok.yaml"]
    for name in names + [p + "x" for p in filenames.IGNORED] + list(filenames.IGNORED):
        assert filenames.ignored(name) == any(fnmatchcase(name, p) for p in filenames.IGNORED), name


def test_convert_of_thirty_workload_files_stays_within_a_few_seconds(tmp_path: Path) -> None:
    """The files shape of bench_convert (a workload, a Service and a 700-line dashboard per file)
    at a third of its size; a quiet machine takes about a tenth of a second."""
    src = tmp_path / "src"
    src.mkdir()
    bench_convert.make_corpus(src, "files", 30)
    _build(src)  # imports and first-use compilations
    start = time.process_time()
    result = _build(src)
    assert time.process_time() - start < 5
    assert len([f for f in result.files if f.startswith("files/")]) == 30


def _parse_by_groups(text: str) -> tuple:
    """paths.parse as it was: each alternative of the token pattern asked for by name."""
    if not text or not text.strip():
        raise paths.PathError("empty path")
    steps: list = []
    pos, expect_step = 0, True
    while pos < len(text):
        m = paths._TOKEN.match(text, pos)
        if not m:
            raise paths.PathError(f"unexpected {text[pos]!r} at column {pos + 1} of {text!r}")
        pos = m.end()
        if m.group("dot"):
            if expect_step:
                raise paths.PathError(f"empty step before column {pos} of {text!r}")
            expect_step = True
            continue
        if m.group("quoted") is not None:
            steps.append(paths.Key(m.group("qkey")))
        elif m.group("bracket") is not None:
            if expect_step and steps:
                raise paths.PathError(f"a list selector must follow a key, in {text!r}")
            steps.append(paths._parse_items(m.group("inner"), text))
        elif not expect_step:
            raise paths.PathError(f"missing '.' before column {m.start() + 1} of {text!r}")
        elif m.group("bindkey"):
            steps.append(paths.AnyKey(m.group("bname")))
        elif m.group("star"):
            steps.append(paths.AnyKey(None))
        else:
            steps.append(paths.Key(m.group("key")))
        expect_step = False
    if expect_step:
        raise paths.PathError(f"path ends with '.': {text!r}")
    return tuple(steps)


def _outcome(parse: object, text: str) -> object:
    try:
        return parse(text)  # type: ignore[operator]
    except paths.PathError as exc:
        return str(exc)


def test_parsing_a_path_by_the_matched_alternative_gives_what_asking_each_group_gave() -> None:
    rng = random.Random(8)
    pieces = [
        "spec",
        ".",
        "[0]",
        "[]",
        "[1:]",
        "[name=x]",
        "[{c}]",
        '["a.b"]',
        "{k}",
        "*",
        "[{c} in 1:]",
        "{",
        "]",
        '"',
    ]
    texts = [t for rule in rules.load_rules().field_rules for t in rule.path_texts]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))) for _ in range(3000)]
    for text in texts:
        assert _outcome(paths.parse, text) == _outcome(_parse_by_groups, text), text


def test_a_rule_load_resolves_each_path_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving stats every folder of a path; the packs' folder was resolved for every file
    and every extends of a load."""
    resolved: list[Path] = []
    real = Path.resolve
    monkeypatch.setattr(Path, "resolve", lambda self, strict=False: resolved.append(self) or real(self, strict))
    ruleset = rules.load_rules(("flts",))
    assert resolved and len(resolved) == len(set(resolved))
    assert "builtin:flts.yaml" in ruleset.files
    # The default pack's extends are built in; the pack the user names is theirs.
    assert {(r.where.file, r.builtin) for r in ruleset.rules if r.where.file != "builtin:flts.yaml"} == {
        (f, True) for f in ruleset.files[:-2]
    }
    assert not any(r.builtin for r in ruleset.rules if r.where.file == "builtin:flts.yaml")


def test_a_key_pattern_without_braces_splits_as_the_brace_aware_split_does() -> None:
    for text in ["a", "a.b", "a..b", ".a", "a.", "", "a.{x}.b", "{x.y}.z", "a}.b", "{a.b"]:
        if "{" in text or "}" in text:
            continue
        assert rules._split_outside_braces(text) == text.split(".")
    assert rules._split_outside_braces("a.{x.y}.b") == ["a", "{x.y}", "b"]


def _path_text_grown(path: tuple) -> str:
    """paths.path_text as it was: a text grown part by part."""
    out = ""
    for part in path:
        if isinstance(part, paths.Item):
            out += str(part)
        elif paths._BARE_KEY.fullmatch(part):
            out += ("." if out else "") + part
        else:
            out += f'["{part}"]'
    return out


def test_a_path_text_joined_at_once_is_the_text_grown_part_by_part() -> None:
    rng = random.Random(8)
    parts = ["spec", "a-b_1", "prometheus.io/scrape", "", ".", "x y", paths.Item(0), paths.Item(3, "web"), "é"]
    for _ in range(3000):
        path = tuple(rng.choice(parts) for _ in range(rng.randint(0, 6)))
        assert paths.path_text(path) == _path_text_grown(path), path


def test_hit_matching_asks_every_rule_that_matches_a_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules are picked per kind before they are matched: none that matches may be left out."""
    extra = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: tick, image: busybox}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 1}
"""
    src = write_tree(tmp_path / "src", {"web.yaml": WORKLOAD, "more.yaml": extra})
    asked: list[tuple] = []
    real = match.matches
    monkeypatch.setattr(match, "matches", lambda m, res, comp=None: asked.append((m, res)) or real(m, res, comp))
    result = _build(src)
    ruleset = result.ruleset
    resources = result.loaded.resources
    assigned = {
        res: result.conversion.component_of_file[f]
        for f, members in result.conversion.components.items()
        for res in members
    }
    expected = {
        (id(r.match), res) for r in ruleset.field_rules for res in resources if real(r.match, res, assigned[res])
    }
    assert expected <= {(id(m), res) for m, res in asked}
    assert {res.kind for _, res in expected} >= {"CronJob", "Deployment", "ConfigMap"}


def test_a_literal_key_segment_fills_as_the_pattern_fills_it() -> None:
    bindings = {"component": ("web",), "base": ("web", "api"), "name": "web", "kind": "Deployment", "_short": "web"}
    for text in ["image", "resources", "x-y", "", "{name}", "{name|camel}", "a{kind|lower}b", "{component}", "{base}"]:
        segment = rules.Segment(text)
        by_pattern = (
            list(bindings[text[1:-1]])
            if segment.expands_path
            else [components._PLACEHOLDER.sub(lambda m: components._filtered(bindings, m.group(1), m.group(2)), text)]
        )
        assert list(components.fill((segment,), bindings)) == by_pattern, text


def test_nodes_emit_as_the_whole_dumper_emits_them(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"web.yaml": WORKLOAD})
    tricky = "a: |+\n  kept\n\nb: !!binary aGk=\nc: [1, {d: e}]\nf: 'x: y'\ng: |-\n  x\n---\n|\n  top\n---\n"
    nodes = [r.node for r in _build(src).loaded.resources] + list(kyaml.compose_all(tricky))
    nodes += [kyaml.represent({"x": [None, True, 1.5, "yes", "", "a\\nb"]}), ScalarNode(kyaml.STR, "plain")]
    for node in nodes:
        assert kyaml.serialize(node) == yaml.serialize(node, Dumper=kyaml.Dumper)


def test_a_bare_key_is_what_the_bare_key_pattern_matches() -> None:
    keys = ["", "-", "_", "a", "A-b_9", "a.b", "a b", "é", "a\n", "\n", "ａ", "٣", "a/b", "a~", "x" * 50, "Ⅻ", "²"]
    keys += [chr(code) for code in range(0x300)] + ["a" + chr(code) for code in range(0x300)]
    for key in keys:
        assert paths._bare(key) == bool(paths._BARE_KEY.fullmatch(key)), repr(key)


def test_an_identifier_in_a_values_reference_is_what_the_identifier_pattern_matches() -> None:
    parts = ["", "a", "_", "a1", "1a", "a-b", "if", "a\n", "a\n\n", "\n", "é", "aé", "a b", "A_9z", "ｘ", "ℌ"]
    parts += [chr(code) for code in range(0x300)] + ["a" + chr(code) for code in range(0x300)]
    for part in parts:
        assert templating._ident(part) == bool(templating.IDENT.fullmatch(part)), repr(part)


def test_a_values_key_ending_in_a_line_break_is_indexed_not_dotted() -> None:
    """After a dot, the break would end the name: ``.Values.x.a`` would read another key."""
    assert templating.ref(("x", "a\n")) == '(index .Values.x "a\\n")'
    assert templating.ref(("x", "a")) == ".Values.x.a"


def test_yaml_1_1_line_breaks_are_still_written_double_quoted() -> None:
    """ASCII text skips the search for them; any other text is searched as before."""
    for brk in ("\x85", "\u2028", "\u2029"):
        for value in (f"a{brk}b", f"é{brk}", brk):
            text = kyaml.scalar_text(ScalarNode(kyaml.STR, value, style=None))
            assert text.startswith('"') and kyaml.load_all(f"k: {text}") == [{"k": value}], repr(value)
    assert kyaml.scalar_text(ScalarNode(kyaml.STR, "plain-text", style=None)) == "plain-text"


def test_file_sizes_are_checked_in_utf8_bytes_whatever_the_text() -> None:
    limit = filenames.HELM_MAX_FILE
    filenames.check_sizes({"a": "x" * limit, "b": "é" * (limit // 2), "c": "\ud800" * (limit // 3)})
    for big in ("x" * (limit + 1), "é" * (limit // 2 + 1), "€" * (limit // 3 + 1), "\ud800" * (limit // 3 + 1)):
        with pytest.raises(UserError, match="over Helm's limit"):
            filenames.check_sizes({"templates/x.yaml": big})


def _lines_of_every_text() -> list[str]:
    """Lines of the texts the report shows: the FLTS fixtures, the benchmark's workloads and the
    redaction tests' own inputs."""
    texts = [p.read_text() for p in sorted((ROOT / "fixtures").rglob("*.y*ml"))]
    texts += [bench_convert.workload(i) for i in range(3)]
    texts += [p.read_text() for p in sorted((ROOT / "tests").glob("test_*redact*.py"))]
    rng = random.Random(8)
    pieces = [" ", "\t", "-", "#", ";", '"', "'", "{", "[", "export ", "password", "token", "a.b", "/", ":", "=", "x"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) + " v" for _ in range(3000)]
    return [line for text in texts for line in text.split("\n")]


def test_the_line_scan_passes_over_only_lines_whose_key_it_would_not_hide() -> None:
    judged = 0
    for line in _lines_of_every_text():
        sep = redact._LINE_SEP.search(line)
        if sep is None:
            continue
        at = sep.start()
        first = len(line) - len(line.lstrip(redact._DECORATION))
        if first < at and line[first] in redact._NAME_CHARS:
            judged += 1
            continue  # read in full, as before
        # The general reading of the line, which the fast test above skips.
        start, key = redact._name_before(line, at, skip=" \t\"'")
        assert not (key and line[at + 1 :].strip() and redact._line_start(line[:start])), line
    assert judged > 100
    assert redact._lines('{"password": "x"}\n  password: y\n') == '{"password": "x"}\n  password: <redacted>\n'


def _convert_counting_frozen(src: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, int]:
    """The chart written, and how many objects were frozen when the command thawed them."""
    counts: list[int] = []
    real = gc.unfreeze
    monkeypatch.setattr(gc, "unfreeze", lambda: (counts.append(gc.get_freeze_count()), real()))
    assert run("convert", "-q", src, out).exit_code == 0
    assert gc.get_freeze_count() == 0  # nothing stays frozen for the rest of the process
    return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}, counts[0]


def test_convert_freezes_what_the_pause_made_and_thaws_it_when_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_tree(tmp_path / "src", {"app.yaml": WORKLOAD})
    frozen_chart, frozen = _convert_counting_frozen(src, tmp_path / "frozen" / "out", monkeypatch)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the general path: every object scanned
    scanned_chart, none = _convert_counting_frozen(src, tmp_path / "scanned" / "out", monkeypatch)
    assert frozen > 1000 and none == 0
    assert frozen_chart == scanned_chart


def _left_out_step_by_step(path: paths.FieldPath, obj: object) -> bool:
    """The general reading: each item step resolved as a path of its own."""
    for i, part in enumerate(path.steps):
        if isinstance(part, paths.Item) and isinstance(obj, list):
            names = [paths.plain_name(x) for x in obj]
            if part.name is not None and None not in names and part.name not in names:
                return True
            obj = path[i : i + 1].resolve(obj)
        elif isinstance(obj, dict) and not isinstance(part, paths.Item):
            obj = obj.get(part)
        else:
            return False
    return False


def test_left_out_steps_through_items_as_resolve_does() -> None:
    rng = random.Random(8)
    names = ["a", "b", "0", None]

    def tree(depth: int) -> object:
        if depth == 0 or rng.random() < 0.2:
            return rng.choice([None, "x", 0, []])
        if rng.random() < 0.5:
            return {k: tree(depth - 1) for k in rng.sample(["c", "d"], rng.randint(0, 2))}
        items = []
        for _ in range(rng.randint(0, 3)):
            item = {"v": tree(depth - 1)}
            name = rng.choice([*names, 0])
            if name is not None:
                item["name"] = name
            items.append(item if rng.random() < 0.9 else "plain")
        return items

    seen = set()
    for _ in range(4000):
        obj = tree(4)
        steps = []
        for _ in range(rng.randint(1, 5)):
            steps.append(rng.choice([paths.Item(rng.randint(0, 3), rng.choice(names)), "c", "d", "v"]))
        path = paths.FieldPath(tuple(steps))
        seen.add(path.left_out(obj))
        assert path.left_out(obj) == _left_out_step_by_step(path, obj), (path, obj)
    assert seen == {True, False}


def _flts_with_environments() -> chart.Result:
    fixtures = ROOT / "fixtures"
    return _build_options(
        chart.Options(
            src=fixtures / ".kubernetes",
            chart_name="flts",
            rule_files=(str(ROOT / "rules" / "flts.yaml"),),
            raw=True,
            envs=(("dev", fixtures / "environments" / "dev"), ("prod", fixtures / "environments" / "prod")),
        )
    )


def _build_options(opts: chart.Options) -> chart.Result:
    with collector.paused():
        return chart.build(opts)


def test_environments_share_the_hits_paths_as_read_and_overlay_as_each_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[object] = []
    real_as_read = paths.FieldPath.as_read

    def as_read(self: paths.FieldPath, root: object) -> paths.FieldPath:
        reads.append((id(root), self))
        return real_as_read(self, root)

    monkeypatch.setattr(paths.FieldPath, "as_read", as_read)
    shared = _flts_with_environments()
    assert reads and len(reads) == len(set(reads))  # each hit's path read once for both environments
    real_overlay = environments.overlay
    monkeypatch.setattr(environments, "overlay", lambda *args: real_overlay(*args[:-1]))  # each alone
    alone = _flts_with_environments()
    assert shared.files == alone.files
    assert shared.overrides.keys() == alone.overrides.keys() == {"dev", "prod"} and all(shared.overrides.values())
    for name in shared.overrides:
        assert [
            (o.key, o.base, o.value, o.resource.identity, o.names, o.automatic) for o in shared.overrides[name]
        ] == [(o.key, o.base, o.value, o.resource.identity, o.names, o.automatic) for o in alone.overrides[name]]
