"""Prove a chart: render it with the real Helm engine and compare with the source manifests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from . import chartarchive, kyaml, leftovers, partition, redact
from .background import Call, Pending
from .errors import UserError, Where
from .filenames import check_path, problem
from .manifests import LoadResult
from .paths import FieldPath
from .records import record
from .scopes import NONE, Scopes, declared

RENDER_PREFIX = "helmify-render-"


def _helm():  # noqa: ANN202
    try:
        import helm_python
    except Exception as exc:  # the native library can fail to load in many ways
        raise RuntimeError(
            f"the Helm engine (helm-python-sdk) cannot be loaded: {exc}. Install it with `pip install helm-python-sdk`"
        ) from exc
    return helm_python


def identity(obj: dict, scopes: Scopes = NONE) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name), each spelt as its text would be (``name: y`` -> "y"); the
    namespace is "" for a kind ``scopes`` (the objects' CustomResourceDefinitions) says is
    cluster-scoped, as manifests.Resource.identity has it."""
    api, kind = _text(obj.get("apiVersion", "")), _text(obj.get("kind", ""))
    group = api.rpartition("/")[0]
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ns = "" if scopes.is_cluster(group, kind) else _text(meta.get("namespace"))
    return (group, kind, ns, _text(meta.get("name")))


def _text(value: Any) -> str:
    """Identity fields as text; a plain y/on/1 that YAML reads as another type is compared by
    its canonical spelling on both sides (manifests.Resource does the same)."""
    return "" if value is None else kyaml.json_key(value)


def title(ident: tuple[str, str, str, str]) -> str:
    _, kind, ns, name = ident
    return f"{kind}/{ns + '/' if ns else ''}{name}"


def deep_merge(base: dict, over: dict) -> dict:
    """Helm's value merge: maps merge, anything else replaces, null deletes."""
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_values_file(path: Path) -> dict:
    text = ""
    try:
        text = path.read_text(encoding="utf-8-sig")
        docs = kyaml.load_all(text)
    except OSError as exc:
        raise UserError(f"cannot read values file: {exc.strerror}", Where(str(path))) from None
    except yaml.YAMLError as exc:
        raise UserError(
            f"not valid YAML ({kyaml.error_problem(exc)})", Where(str(path), kyaml.error_line(exc, text))
        ) from None
    except Exception as exc:  # noqa: BLE001 - any YAML error is a user error here
        raise UserError(redact.message(f"{path}: not valid YAML: {exc}")) from None
    doc = docs[0] if docs else None
    return doc if isinstance(doc, dict) else {}


def parse_set(expression: str) -> dict:
    """One --set KEY=VALUE, parsed by Helm's own parser."""
    helm = _helm()
    try:
        return helm.parse_set_string(expression)
    except helm.HelmError as exc:
        shown, hidden = shown_set(expression)
        said = str(exc)
        for piece in sorted(hidden, key=len, reverse=True):
            said = said.replace(piece, "<redacted>")
        raise UserError(
            f"--set {shown!r}: {redact.inline(said)}; write KEY=VALUE pairs separated by commas "
            "(a comma inside a value is written \\,)"
        ) from None


def shown_set(expression: str) -> tuple[str, list[str]]:
    """A --set expression as a message may show it, and the texts it hides. A value whose key
    looks like a credential is hidden, and so is what follows an unescaped comma in it: Helm
    reads that as a key of its own and quotes it back (``key "rest" has no value``)."""
    import re

    shown, hidden, secret = [], [], False
    for chunk in re.split(r"(?<!\\),", expression):
        key, sep, value = chunk.partition("=")
        if sep:
            secret = redact.inline(chunk) != chunk
            shown.append(f"{key}=<redacted>" if secret and value else chunk)
            hidden += [value] if secret and value else []
        elif secret and chunk:
            shown.append("<redacted>")
            hidden.append(chunk)
        else:
            shown.append(chunk)
    return ",".join(shown), hidden


def load_values_text(text: str) -> dict:
    docs = kyaml.load_all(text)
    return docs[0] if docs and isinstance(docs[0], dict) else {}


class RenderError(UserError):
    """Helm refused to render a chart: bad input for verify, a bug when convert made the chart."""


def render_files(
    files: dict[str, str],
    chart_name: str,
    values: dict | None = None,
    more: dict[str, dict] | None = None,
    release: str = "release",
    namespace: str = "default",
    meanwhile: Callable[[], None] | None = None,
    then: Callable[[str | None, dict[str, str]], None] | None = None,
) -> dict:
    """Render chart files held in memory: ``{None: texts with values}`` plus one entry per named
    values set in ``more``. The engine loads them from an archive made in memory; a chart the
    archive cannot carry exactly, or large enough to render in groups, is written to a temporary
    folder for it instead.

    ``meanwhile`` is called in this thread while the engine renders in others (the engine runs
    outside the interpreter lock), once the chart is loaded. ``then(name, texts)`` is called in
    this thread for each value set in order, as soon as its render has ended, while the engine
    renders the next ones. A chart rendered in groups renders alone, to bound memory: ``meanwhile``
    is not called (whether it was is the caller's to track) and ``then`` is called once all is
    rendered. An error of ``meanwhile`` or ``then`` is raised once the renders have ended; they
    should catch their own."""
    import tempfile

    # The folders of killed runs hold whole charts, Secrets included: remove them.
    leftovers.sweep(Path(tempfile.gettempdir()), RENDER_PREFIX)
    value_sets = {None: values, **(more or {})}
    parts = partition.groups(files)
    for rel in files:  # the archive's names are checked as the folder's paths would be
        if why := problem(rel):
            raise UserError(f"refusing the chart file {rel!r}: {why}")
    if len(parts) == 1 and (packed := chartarchive.pack(chart_name, files)) is not None:
        return _render_each(packed, value_sets, release, namespace, meanwhile, then)
    try:
        with tempfile.TemporaryDirectory(prefix=f"{RENDER_PREFIX}{leftovers.tag()}-") as tmp:
            root = Path(tmp) / chart_name
            grouped = frozenset().union(*parts) if len(parts) > 1 else frozenset()
            for rel, text in files.items():
                if rel not in grouped:
                    _write(root, rel, text)
            if not grouped:
                return _render_each(root, value_sets, release, namespace, meanwhile, then)
            rendered = _render_parts(root, files, parts, value_sets, release, namespace)
            for name, texts in rendered.items() if then else ():
                then(name, texts)
            return rendered
    except OSError as exc:
        raise UserError(
            f"cannot write the chart to a temporary folder for Helm ({exc.strerror or exc}); "
            f"free some space in {tempfile.gettempdir()} or point TMPDIR elsewhere"
        ) from None


def _write(root: Path, rel: str, text: str) -> None:
    target = check_path(root, rel)  # refuses anything that would land outside the folder
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _render_parts(
    root: Path,
    files: dict[str, str],
    parts: list[frozenset[str]],
    value_sets: dict[str | None, dict | None],
    release: str,
    namespace: str,
) -> dict:
    """Render a large chart one group of templates at a time (partition.py says why the texts are
    those of one render), which bounds the Helm engine's memory by a group's share of the output.
    Values are checked against values.schema.json once, in a first pass with no group: the check
    depends on the values alone, and compiling a large schema takes as much memory as rendering a
    group. If any pass fails, the whole chart is rendered at once, so that a failure reads exactly
    as it would have."""
    out: dict[str | None, dict[str, str]] = {name: {} for name in value_sets}
    if "values.schema.json" in files:
        parts = [frozenset(), *parts]
    try:
        for i, part in enumerate(parts):
            for rel in sorted(part):
                _write(root, rel, files[rel])
            rendered = _render_each(root, value_sets, release, namespace)
            for rel in part:
                check_path(root, rel).unlink()
            if i == 0 and "values.schema.json" in files:
                check_path(root, "values.schema.json").unlink()
            for name, texts in rendered.items():
                # Templates in no group render with every group: their text is taken from the first.
                out[name].update(texts if i == 0 else {k: v for k, v in texts.items() if k.partition("/")[2] in part})
    except RenderError:
        for rel, text in files.items():
            _write(root, rel, text)
        return _render_each(root, value_sets, release, namespace)
    return {name: dict(sorted(texts.items())) for name, texts in out.items()}


def render_chart(
    chart_dir: Path, values: dict | None = None, release: str = "release", namespace: str = "default"
) -> dict[str, str]:
    """Rendered text per template file, from the real Helm engine."""
    helm = _helm()
    try:
        with helm.Chart.load(str(chart_dir)) as chart:
            return chart.render(values or {}, name=release, namespace=namespace)
    except helm.HelmError as exc:
        raise RenderError(f"Helm cannot render the chart in {chart_dir}: {exc}") from None


def _render_each(
    chart: Path | bytes,
    value_sets: dict[str | None, dict | None],
    release: str = "release",
    namespace: str = "default",
    meanwhile: Callable[[], None] | None = None,
    then: Callable[[str | None, dict[str, str]], None] | None = None,
) -> dict:
    """Render one chart (a folder, or the bytes of its archive) with several value sets: the
    engine loads it (reads, parses and checks every file) once, not once per set. A loaded chart
    is immutable and safe to share between threads, so renders do not interact. ``meanwhile`` and
    ``then``: see render_files; without them the sets render one after another, in this thread."""
    helm = _helm()
    try:
        with helm.Chart.load_archive(chart) if isinstance(chart, bytes) else helm.Chart.load(str(chart)) as loaded:

            def one(values: dict | None) -> dict[str, str]:
                return loaded.render(values or {}, name=release, namespace=namespace)

            if meanwhile is None and then is None:
                return {name: one(values) for name, values in value_sets.items()}
            return _in_lanes(one, value_sets, meanwhile or (lambda: None), then or (lambda _name, _texts: None))
    except helm.HelmError as exc:
        where = "" if isinstance(chart, bytes) else f" in {chart}"
        raise RenderError(f"Helm cannot render the chart{where}: {exc}") from None


LANES = (
    2  # renders at once: the engine's work is single-threaded Go, and the machines CI runs on have two cores or more
)


def _in_lanes(
    one: Callable[[dict | None], dict[str, str]],
    value_sets: dict[str | None, dict | None],
    meanwhile: Callable[[], None],
    then: Callable[[str | None, dict[str, str]], None],
) -> dict:
    """``one(values)`` for each value set, in at most LANES threads of their own that take the
    sets in order, while ``meanwhile()`` and then ``then(name, texts)`` for each set in order run
    in this one. The render threads hold the interpreter lock only to hand the values over and
    take the texts back, so the proof compares one set's objects while the engine renders the
    next. The first render starts before ``meanwhile``, since the proof waits for it and the
    report does not. On an error no further set is started, and every started render ends before
    the error is raised (the loaded chart is released after)."""
    names = list(value_sets)
    results = {name: Pending() for name in names}
    queue, lock, stop = iter(names), threading.Lock(), threading.Event()

    def lane() -> None:
        while not stop.is_set():
            with lock:
                name = next(queue, queue)
            if name is queue:
                return
            results[name].settle(one, value_sets[name])

    lanes = [Call("helm-render" + (f"-{i + 1}" if i else ""), lane) for i in range(min(LANES, len(names)))]
    try:
        meanwhile()
        out = {}
        for name in names:
            out[name] = results[name].result()
            then(name, out[name])
        return out
    finally:
        stop.set()
        for each in lanes:
            each.wait()


def rendered_objects(texts: dict[str, str], composed: dict[str, list] | None = None) -> dict[tuple, tuple[str, dict]]:
    """Objects in rendered output, keyed by identity, with the template each came from.
    ``composed`` keeps each text's nodes for the next rendering of the same chart: most templates
    render the same text with every environment's values, and composing is most of the cost.
    Objects are built afresh each time, so no rendering shares an object with another."""
    found: list[tuple[str, dict]] = []
    for template, text in sorted(texts.items()):
        if not template.endswith((".yaml", ".yml", ".json")):
            continue
        if composed is None:
            docs = kyaml.load_all(text)
        else:
            if text not in composed:
                composed[text] = list(kyaml.compose_all(text))
            docs = [kyaml.construct(n) if n is not None else None for n in composed[text]]
        found += [(template, doc) for doc in docs if isinstance(doc, dict) and doc]
    # The rendered CustomResourceDefinitions say the scope of their kinds, as the sources' do.
    scopes = declared(doc for _, doc in found)
    return {identity(doc, scopes): (template, doc) for template, doc in found}


def lint(chart_dir: Path, values: dict | None = None, namespace: str | None = None) -> list[dict]:
    """Lint findings at warning level or above (info messages are advice, not problems), in
    ``namespace`` where the chart names it (the release namespace the proof renders with)."""
    helm = _helm()
    report = helm.lint(str(chart_dir), values, namespace=namespace) if namespace else helm.lint(str(chart_dir), values)
    return [m for m in report.get("messages", []) if m.get("severity", 0) >= 2]


@record(frozen=False, eq=False)
class Comparison:
    """How rendered objects differ from the source: missing, extra, and changed objects."""

    missing: list[tuple] = field(default_factory=list)
    extra: list[tuple] = field(default_factory=list)
    changed: dict[tuple, list[str]] = field(default_factory=dict)
    patches: dict[tuple, list[dict]] = field(default_factory=dict)
    compared: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    def describe(self) -> list[str]:
        lines = [f"missing from the chart: {title(i)}" for i in self.missing]
        lines += [f"rendered but not in the source: {title(i)}" for i in self.extra]
        for ident, diffs in self.changed.items():
            lines.append(f"{title(ident)} differs:")
            lines.extend(f"  {d}" for d in diffs)
        return lines


def source_objects(loaded: LoadResult) -> dict[tuple, dict]:
    return {res.identity: kyaml.construct(res.node) for res in loaded.resources}


def compare(source: dict[tuple, Any], rendered: dict[tuple, tuple[str, dict]]) -> Comparison:
    """Semantic comparison under Kubernetes' YAML rules (1 and 1.0 are the same number)."""
    result = Comparison()
    for ident in sorted(source):
        if ident not in rendered:
            result.missing.append(ident)
            continue
        result.compared += 1
        src, out = source[ident], rendered[ident][1]
        if kyaml.same(src, out):  # the usual case, and far cheaper than a full diff
            result.patches[ident] = []
            continue
        # Imported only when something differs: it takes longer to import than a render.
        import jsonpatch

        result.patches[ident] = jsonpatch.make_patch(src, out).patch
        result.changed[ident] = _describe_diff(_differences(src, out), src, out, ident[1]) or [
            "values of different types"
        ]
    result.extra = sorted(i for i in rendered if i not in source)
    return result


# DeepDiff pairs a list's items with difflib, which takes the square of the list's length when
# items repeat (4,000 alike: 4 s; 36,000: minutes), and walks objects as their YAML aliases expand
# them (24 uses of one 1,500-item list: 13 s). Past these sizes a failed proof's differences are
# found by a walk of its own, item by item, in time linear in the objects.
DEEPDIFF_NODES = 20_000
DEEPDIFF_LIST = 500


def _differences(src: Any, out: Any) -> list[tuple[str, list, Any, Any]]:
    """Each difference as (DeepDiff's kind of change, path parts, old, new); ``ABSENT`` stands for
    the side without the value."""
    if _small(src) and _small(out):
        from deepdiff import DeepDiff
        from deepdiff.helper import NotPresent

        diff = DeepDiff(src, out, ignore_numeric_type_changes=True, view="tree")
        return [
            (
                kind,
                level.path(output_format="list"),
                *(ABSENT if isinstance(v, NotPresent) else v for v in (level.t1, level.t2)),
            )
            for kind, levels in diff.items()
            for level in levels
        ]
    found: list[tuple[str, list, Any, Any]] = []
    _walk_differences(src, out, [], found)
    return found


def _small(value: Any) -> bool:
    """At most DEEPDIFF_NODES maps, lists and values as aliases expand them, and no list longer
    than DEEPDIFF_LIST items."""
    left, stack = DEEPDIFF_NODES, [value]
    while stack:
        current = stack.pop()
        left -= 1
        if left < 0:
            return False
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            if len(current) > DEEPDIFF_LIST:
                return False
            stack.extend(current)
    return True


def _walk_differences(a: Any, b: Any, parts: list, found: list) -> None:
    """What DeepDiff reports (with ``ignore_numeric_type_changes``), list items compared by their
    place: an item put in or taken out shifts the rest, which then read as changed."""
    if kyaml.same(a, b):
        return
    if type(a) is dict and type(b) is dict:
        for key, value in a.items():
            if key in b:
                _walk_differences(value, b[key], [*parts, key], found)
            else:
                found.append(("dictionary_item_removed", [*parts, key], value, ABSENT))
        found.extend(("dictionary_item_added", [*parts, key], ABSENT, v) for key, v in b.items() if key not in a)
    elif type(a) is list and type(b) is list:
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _walk_differences(x, y, [*parts, i], found)
        found.extend(("iterable_item_removed", [*parts, i], a[i], ABSENT) for i in range(len(b), len(a)))
        found.extend(("iterable_item_added", [*parts, i], ABSENT, b[i]) for i in range(len(a), len(b)))
    elif type(a) is type(b) or all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)):
        found.append(("values_changed", parts, a, b))
    else:
        found.append(("type_changes", parts, a, b))


class _Absent:
    """The side of a difference that has no value there."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()


def _describe_diff(differences: list[tuple[str, list, Any, Any]], src: Any, out: Any, resource_kind: str) -> list[str]:
    """One line per difference, list items named by their ``name`` as in the report; values are
    redacted by where they sit (a Secret's data, a credential-named field), since these lines are
    printed to CI logs."""
    lines = []
    for kind, parts, t1, t2 in differences:
        where = str(FieldPath.named(parts, src, out)) or "(whole object)"
        obj = out if kind in ("dictionary_item_added", "iterable_item_added") else src
        old, new = (v if v is ABSENT else redact.at(resource_kind, obj, parts, v) for v in (t1, t2))
        lines.append(f"{where}: {_kind(kind)} {_detail(old, new)}".rstrip())
    return sorted(lines)


def _kind(kind: str) -> str:
    return {
        "values_changed": "changed",
        "type_changes": "type changed",
        "dictionary_item_added": "added",
        "dictionary_item_removed": "removed",
        "iterable_item_added": "added",
        "iterable_item_removed": "removed",
    }.get(kind, kind.replace("_", " "))


def _detail(old: Any, new: Any) -> str:
    if old is ABSENT:
        return f"-> {new!r}"
    if new is ABSENT:
        return f"(was {old!r})"
    return f"{old!r} -> {new!r}"
