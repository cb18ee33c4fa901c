"""The proof: render a chart with the real Helm engine and compare the result with the objects
expected of it. convert (base and every environment), ``convert --check``, verify and the tests
all prove a chart here, so they agree on what "reproduces" means.

What is expected is an input: today the source objects, later the sources with declared changes
applied. Rendering that fails is part of the result, not an exception, so each caller decides
what a failure means to it (a bug in convert, bad input for verify).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import redact, render
from .manifests import LoadResult
from .records import record

if TYPE_CHECKING:
    from .chart import Result

Identity = tuple[str, str, str, str]


@record(eq=False)
class Expected:
    """What one rendering must produce: exactly ``objects`` (identity -> object). Objects with an
    identity in ``may_add`` may render as well. When ``generated`` names the templates convert
    wrote (as in the state file), objects from any other template are the user's own and may
    render too; empty means every template counts as generated."""

    objects: Mapping[Identity, Any]
    may_add: frozenset[Identity] = frozenset()
    generated: frozenset[str] = frozenset()
    # (template, kind) -> rule: what a refactoring's switch, turned on, adds (a declared addition)
    switched: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def sources(cls, loaded: LoadResult, generated: frozenset[str] = frozenset()) -> Expected:
        """The manifests as read: the chart must render them back exactly."""
        return cls(render.source_objects(loaded), generated=generated)

    def resolved(self, texts: Mapping[str, str]) -> Mapping[Identity, Any]:
        """The objects with each value only the render can give (refactorings.base.Rendered, a
        checksum of a rendered template) taken from the rendered ``texts``."""
        if "helmify_flts.refactorings.base" not in sys.modules:
            return self.objects  # only a refactoring makes such values: none was loaded in this run
        from .refactorings.base import has_rendered, resolve

        if not any(has_rendered(obj) for obj in self.objects.values()):
            return self.objects
        return {ident: resolve(obj, texts) for ident, obj in self.objects.items()}

    def allows(self, ident: Identity, template: str) -> bool:
        """Whether an object nobody expected may render (declared, or from a template of the user's)."""
        return (
            ident in self.may_add
            or self.added_by(ident, template) is not None
            or bool(self.generated)
            and template.split("/", 1)[-1] not in self.generated
        )

    def added_by(self, ident: Identity, template: str) -> str | None:
        """The rule whose switched-on addition this object is, if it is one."""
        return self.switched.get((template.split("/", 1)[-1], ident[1]))


@record
class Failure:
    """Why there is nothing to compare: the engine is missing (``engine``), Helm refused the chart
    (``render``), or Helm's output is not YAML (``yaml``). ``message`` is the error as raised."""

    kind: str
    message: str

    def __str__(self) -> str:
        """The reason as convert reports it (redacted: the message may quote a Secret)."""
        lead = {
            "engine": "",
            "render": "Helm could not render the chart: ",
            "yaml": "Helm rendered text that is not valid YAML: ",
        }[self.kind]
        return redact.message(lead + self.message)


@record(eq=False)
class Proof:
    """One rendering compared with what was expected of it."""

    comparison: render.Comparison = field(default_factory=render.Comparison)
    allowed: tuple[Identity, ...] = ()  # rendered, not expected, and allowed to be there
    objects: Mapping[Identity, tuple[str, dict]] = field(default_factory=dict)  # rendered, with template
    texts: Mapping[str, str] = field(default_factory=dict)  # rendered text per template
    failure: Failure | None = None

    @property
    def rendered(self) -> bool:
        return self.failure is None

    @property
    def ok(self) -> bool:
        return self.rendered and self.comparison.ok

    @property
    def missing(self) -> list[Identity]:
        return self.comparison.missing

    @property
    def extra(self) -> list[Identity]:
        return self.comparison.extra

    @property
    def changed(self) -> dict[Identity, list[str]]:
        return self.comparison.changed

    @property
    def patches(self) -> dict[Identity, list[dict]]:
        return self.comparison.patches

    @property
    def compared(self) -> int:
        return self.comparison.compared

    def describe(self) -> list[str]:
        """One line per difference (values redacted), or the failure."""
        return self.comparison.describe() if self.failure is None else [str(self.failure)]


@record(eq=False)
class Case:
    """One rendering to prove: the values it is rendered with and what it must produce."""

    expected: Expected
    values: dict | None = None


def prove(
    chart: Path | Mapping[str, str],
    expected: Expected,
    values: dict | None = None,
    *,
    chart_name: str = "chart",
    release: str = "release",
    namespace: str = "default",
) -> Proof:
    """Render ``chart`` (a folder, or files held in memory) with ``values`` and compare."""
    if isinstance(chart, Path):
        try:
            texts = render.render_chart(chart, values, release, namespace)
        except Exception as exc:  # noqa: BLE001 - _failure re-raises what is not a render failure
            return Proof(failure=_failure(exc))
        return _compare(texts, expected)
    return prove_all(chart, {"": Case(expected, values)}, chart_name, release, namespace)[""]


def prove_all(
    files: Mapping[str, str],
    cases: Mapping[str, Case],
    chart_name: str,
    release: str = "release",
    namespace: str = "default",
    meanwhile: Callable[[], None] | None = None,
) -> dict[str, Proof]:
    """Prove chart files held in memory once per case, writing them out for the engine only once.
    A chart that does not render fails every case with the same failure. ``meanwhile`` runs while
    the engine renders (render.render_files); each case is compared as soon as its render has
    ended, while the engine renders the next."""
    names = list(cases)
    composed: dict[str, list] | None = {} if len(names) > 1 else None  # texts the renderings share, composed once
    proofs: dict[str, Proof] = {}

    def compare(name: str | None, texts: dict[str, str]) -> None:
        case = names[0] if name is None else name
        proofs[case] = _compare(texts, cases[case].expected, composed)

    try:
        render.render_files(
            dict(files),
            chart_name,
            cases[names[0]].values,
            {name: cases[name].values for name in names[1:]},
            release,
            namespace,
            meanwhile,
            compare,
        )
    except Exception as exc:  # noqa: BLE001 - _failure re-raises what is not a render failure
        failed = Proof(failure=_failure(exc))
        return {name: failed for name in names}
    return {name: proofs[name] for name in names}


def _failure(exc: Exception) -> Failure:
    if isinstance(exc, render.RenderError):
        return Failure("render", str(exc))
    if isinstance(exc, RuntimeError) and not isinstance(exc, RecursionError):
        return Failure("engine", str(exc))  # the Helm engine cannot be loaded
    raise exc  # anything else (no room in the temp folder, a path refused) is not about the chart


def _compare(texts: Mapping[str, str], expected: Expected, composed: dict[str, list] | None = None) -> Proof:
    try:
        objects = render.rendered_objects(dict(texts), composed)
    except yaml.YAMLError as exc:
        return Proof(texts=texts, failure=Failure("yaml", str(exc)))
    comparison = render.compare(expected.resolved(texts), objects)
    allowed = tuple(i for i in comparison.extra if expected.allows(i, objects[i][0]))
    if allowed:
        comparison = dataclasses.replace(comparison, extra=[i for i in comparison.extra if i not in allowed])
    return Proof(comparison, allowed, objects, texts)


@record(eq=False)
class ChartProof:
    """A converted chart proven: with default values against the base folder, and with each
    environment's values file against that environment's folder."""

    base: Proof
    environments: Mapping[str, Proof] = field(default_factory=dict)
    checks: tuple[str, ...] = ()  # built-in checks a refactored chart breaks (checks.py)

    @property
    def rendered(self) -> bool:
        return self.base.rendered

    @property
    def failure(self) -> Failure | None:
        return self.base.failure

    @property
    def ok(self) -> bool:
        return self.base.ok and all(p.ok for p in self.environments.values()) and not self.checks


def prove_conversion(result: Result, meanwhile: Callable[[], None] | None = None) -> ChartProof:
    """Prove what convert made, before anything is written. ``meanwhile`` runs while the engine
    renders (render.render_files says when it does not run at all)."""

    def expected(name: str, loaded: LoadResult) -> Expected:
        declared = result.declared.get(name)
        return (
            Expected(result.source_objects(loaded))
            if declared is None or declared.empty
            else Expected(declared.expected)
        )

    cases = {"": Case(expected("", result.loaded))}
    for name, loaded in result.environments.items():
        cases[name] = Case(expected(name, loaded), render.load_values_text(result.files[f"values-{name}.yaml"]))
    proofs = prove_all(
        result.files, cases, result.conversion_chart_name, result.proof_release, result.proof_namespace, meanwhile
    )
    failure = next((p.failure for p in proofs.values() if p.failure), None)
    if failure:  # one reason for the whole chart: nothing else is compared
        return ChartProof(Proof(failure=failure))
    broken: list[str] = []
    for name, loaded in [("", result.loaded), *result.environments.items()]:
        declared, proven = result.declared.get(name), proofs[name]
        if declared is None or declared.empty or not proven.rendered:
            continue
        rendered = {ident: obj for ident, (_, obj) in proven.objects.items()}
        from . import checks  # only a refactored chart has declared changes to check

        found = checks.run(result.source_objects(loaded), rendered, declared.renamed, frozenset(declared.edits))
        broken += [f"[{name}] {line}" if name else line for line in found]
    # What was rendered has been compared and checked: only the comparison outlives the proof
    # (the rendered texts and objects are as large as the chart, and the report comes next).
    proofs = {name: dataclasses.replace(p, objects={}, texts={}) for name, p in proofs.items()}
    base = proofs.pop("")
    return ChartProof(base, proofs, tuple(broken))
