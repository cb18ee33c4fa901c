"""verify: render a chart with Helm, compare with the manifests, lint, and schema-check."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from . import emit, heldvalues, inputfile, kustomize, proof, redact, render
from .errors import UserError
from .records import record
from .refactorings import record as declarations

KUBE_VERSION = "1.30.0"


@record(frozen=False)
class Verification:
    """What one render of the chart showed; outcome.VerifyOutcome words it."""

    ok: bool
    lines: list[str] = field(default_factory=list)
    summary: str = ""
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure


def values_for(value_files: tuple[Path, ...], set_values: tuple[str, ...] = ()) -> dict:
    """User values as Helm combines them: files in order, then each --set."""
    values: dict = {}
    for path in value_files:
        if not path.is_file():
            what = "not found" if not path.exists() else "not a regular file"
            raise UserError(f"values file {path} {what}; give a YAML values file")
        values = render.deep_merge(values, render.load_values_file(path))
    for expr in set_values:
        if "=" not in expr:
            raise UserError(f"--set {redact.inline(expr)!r} is not KEY=VALUE; write it so (--set image.tag=1.2)")
        values = render.deep_merge(values, render.parse_set(expr))
    redact.hold_credentials(values)
    return values


def check_links(chart_dir: Path) -> None:
    """Helm follows symbolic links when it loads a chart folder, and the chart comes with the
    change under review: a link to /proc/self/environ read with .Files.Get would print the CI
    job's environment in a difference. A link that leads out of the chart is an error."""
    import os

    for here, dirs, files in os.walk(chart_dir):
        for name in sorted(dirs + files):
            path = Path(here, name)
            if path.is_symlink() and (target := inputfile.outside(path, chart_dir)):
                raise UserError(
                    f"{path} is a symbolic link to {target}, outside the chart, which Helm would read; "
                    "replace the link with the file itself or remove it"
                )


def schema_problems(objects: dict[tuple, tuple[str, dict]]) -> tuple[list[str], int]:
    """Strict offline schema validation of built-in kinds; custom resources are only counted."""
    import kubernetes_validate as kv

    problems, custom = [], 0
    for ident, (_, obj) in sorted(objects.items()):
        try:
            kv.validate(obj, KUBE_VERSION, strict=True)
        except kv.SchemaNotFoundError:
            custom += 1
        except kv.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path) or "(object)"
            problems.append(f"{render.title(ident)}: schema: {where}: {_schema_message(ident[1], obj, exc)}")
        except Exception as exc:  # noqa: BLE001 - a malformed object (apiVersion: 1) cannot be looked up
            problems.append(f"{render.title(ident)}: schema: cannot validate: {exc}")
    return problems, custom


def _schema_message(kind: str, obj: dict, exc: Exception) -> str:
    """The validator's message, which quotes the offending value: not when that value is a
    credential (the message then names only the rule it breaks)."""
    instance = getattr(exc, "instance", None)
    if redact.at(kind, obj, tuple(getattr(exc, "path", ())), instance) != instance:
        return f"the value (not shown: it may be a credential) fails {getattr(exc, 'validator', 'the schema')}"
    return redact.inline(str(getattr(exc, "message", exc)))


def verify(
    chart_dir: Path,
    src: Path,
    value_files: tuple[Path, ...] = (),
    set_values: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    schema: bool = True,
    folder: str = "",
    sources: kustomize.Sources | None = None,
) -> Verification:
    """Check that ``chart_dir`` with the given values renders exactly the manifests in ``src``
    (``folder``: "" the base, or the environment they are), with the changes the chart declares."""
    # The credentials it hides are this check's, or its command's: a library calling it in a loop
    # does not gather every value it ever checked until MAX_VALUES stops it (as chart.build).
    heldvalues.for_build()
    if not (chart_dir / "Chart.yaml").is_file():
        raise UserError(f"{chart_dir} has no Chart.yaml; give the chart folder that convert wrote")
    check_links(chart_dir)
    loaded = (sources or kustomize.Sources()).load(src, exclude, skip=chart_dir.resolve())
    values = values_for(value_files, set_values)
    state = emit.read_state(chart_dir)
    generated = frozenset(state)
    recorded = declarations.read(chart_dir) if declarations.FILE in state else None
    expected, release, namespace, declared_lines = (
        proof.Expected.sources(loaded, generated=generated),
        "release",
        "default",
        [],
    )
    removed, edited = 0, set()
    if recorded is not None:
        declared, declared_lines = declarations.replay(render.source_objects(loaded), recorded.folders.get(folder, ()))
        switched = {(s.template, kind): s.rule for s in recorded.switched if _on(values, s.key) for kind in s.kinds}
        expected = proof.Expected(declared.expected, generated=generated, switched=switched)
        release, namespace = recorded.release, recorded.namespace
        removed = len(declared.removed)
        # An object a rule edits and a later one removes (the Namespace the release's takes the
        # place of) is counted with the removed, not with the resources the chart renders.
        edited = {declared.renamed.get(i, i) for i in declared.edits} & declared.expected.keys()
    proven = proof.prove(chart_dir, expected, values, release=release, namespace=namespace)
    _raise_failure(chart_dir, proven.failure)
    comparison, objects = proven.comparison, proven.objects
    added = {i: rule for i in proven.allowed if (rule := expected.added_by(i, objects[i][0])) is not None}
    theirs = [i for i in proven.allowed if i not in added]
    notes = [
        f"{render.title(i)} comes from {objects[i][0].split('/', 1)[-1]}, a template of yours: "
        "not compared with the source"
        for i in theirs
    ]
    notes += [
        f"{render.title(i)} is added by rule {rule}, switched on: checked, not compared" for i, rule in added.items()
    ]
    from .teamvalues import unread_notes

    notes += unread_notes(chart_dir, value_files)
    lines = declared_lines + comparison.describe()
    findings = render.lint(chart_dir, values, namespace if recorded is not None else None)
    # An API the manifests themselves use that a later Kubernetes deprecates (v1 Endpoints for a
    # Service without a selector): the chart is right to render it, so it is said, not failed.
    deprecated = [m for m in findings if _DEPRECATED in str(m.get("error", ""))]
    findings = [m for m in findings if m not in deprecated]
    lines += [redact.inline(f"lint: {m.get('path', '')}: {m.get('error', '')}") for m in findings]
    notes += [
        redact.inline(f"lint: {m.get('path', '')}: {m.get('error', '')} (as the manifests have it)") for m in deprecated
    ]
    custom = 0
    if schema:
        problems, custom = schema_problems(objects)
        lines += problems
    ok = not lines
    # A refactored chart renders the sources with its declared changes: "identical" would mislead.
    edited -= set(comparison.changed) | set(comparison.missing)
    same = "as declared" if recorded is not None and recorded.folders.get(folder) else "identical"
    # What the chart must render: the sources with the declared objects added and removed.
    total = len(expected.objects) if recorded is not None else len(loaded.resources)
    summary = (
        f"{comparison.compared - len(comparison.changed)} of {total} resources {same}"
        + (f" ({len(edited)} with declared changes)" if edited else "")
        + ", "
        f"{len(comparison.missing)} missing, {len(comparison.extra)} extra, "
        f"{len(comparison.changed)} changed; lint {len(findings)} finding(s)"
        + (f"; {custom} custom resource(s) without a schema" if custom else "")
        + (f"; {len(theirs)} from your own templates" if theirs else "")
        + (f"; {removed} removed as the chart declares" if removed else "")
        + (f"; {len(added)} added by switched-on rules" if added else "")
    )
    return Verification(ok, lines, summary, notes)


_DEPRECATED = " is deprecated in v"  # Helm lint's words for an API a later Kubernetes deprecates


def _on(values: dict, key: tuple[str, ...]) -> bool:
    """Whether the values switch ``key`` is on."""
    node: Any = values
    for part in key:
        node = node.get(part) if isinstance(node, dict) else None
    return node is True or isinstance(node, str) and node.lower() == "true"


def _raise_failure(chart_dir: Path, failure: proof.Failure | None) -> None:
    """A chart that does not render is bad input here, reported as such (exit 2)."""
    if failure is None:
        return
    if failure.kind == "yaml":
        raise UserError(redact.message(f"Helm rendered {chart_dir} to text that is not valid YAML: {failure.message}"))
    if failure.kind == "render":
        raise render.RenderError(failure.message)
    raise RuntimeError(failure.message)  # the Helm engine itself is missing or broken
