"""The review report (Markdown for people, JSON for machines), summaries and rule listings.

Secret material never appears here: every value shown passes through :mod:`redact`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import __version__, graph, jsontext, kyaml, pathsets, redact, render
from . import rules as rules_mod
from .chart import Result
from .manifests import Resource
from .paths import FieldPath
from .proof import ChartProof
from .rewrite import Lift
from .rules import RuleSet
from .templating import printable
from .values import dotted


class _Shown:
    """Values as the report shows them: redacted by where they sit in their resource."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.objects: dict[Any, Any] = {}
        self.texts: dict[tuple, Any] = {}
        self.pointers = {(lift.resource.identity, lift.key): lift.pointer for lift in result.conversion.lifts}

    def _object(self, res: Resource) -> Any:
        if res.identity not in self.objects:
            self.objects[res.identity] = self.result.plain_of(res)
        return self.objects[res.identity]

    def at(self, res: Resource, pointer: tuple, value: Any) -> Any:
        if not isinstance(value, str):
            return redact.at(res.kind, self._object(res), pointer, value)
        # A text is shown once per field and value: an environment's override repeats the base
        # value of a lifted field, and environments often share a value. Scanning texts for
        # credentials is most of the report's cost.
        key = (res.identity, tuple(pointer), value)
        if key not in self.texts:
            self.texts[key] = redact.at(res.kind, self._object(res), pointer, value)
        return self.texts[key]

    def lift(self, lift: Lift) -> Any:
        return self.at(lift.resource, lift.pointer, lift.original)

    def override(self, res: Resource, key: tuple[str, ...], names: tuple[str, ...], value: Any) -> Any:
        pointer = self.pointers.get((res.identity, key))
        if pointer is None:  # no lifted field to place it by: judge it by every name it came with
            return redact.field(res.kind, names + key, value)
        return self.at(res, pointer, value)

    def patch(self, res: Resource, ops: list[dict]) -> list[dict]:
        out = []
        for op in ops:
            op = dict(op)
            if "value" in op:
                op["value"] = self.at(res, FieldPath.from_pointer(op.get("path", "")).plain, op["value"])
            out.append(op)
        return out


def summary(result: Result) -> str:
    conv = result.conversion
    lifted = [lift for lift in conv.lifts if not lift.optional_absent]
    keys = sum(1 for _ in conv.values.leaves())
    skipped = sum(1 for n in result.notices if n.code == "warning")
    return (
        f"{len(result.loaded.resources)} resources in {len(conv.components)} components, "
        f"{len(lifted)} fields lifted into {keys} values, "
        f"{sum(1 for lift in conv.lifts if lift.optional_absent)} optional knobs, "
        f"{skipped} documents skipped, {len(result.notices) - skipped} other warnings"
    )


def decisions(result: Result) -> list[str]:
    """-v: why each resource is in its component, and each field lifted."""
    template_of = {
        res: comp
        for file, members in result.conversion.components.items()
        for comp in [result.conversion.component_of_file[file]]
        for res in members
    }
    grouping = [
        f"{res.title} -> component {template_of[res].dotted} ({result.component_reasons.get(res, '')})"
        for res in result.resources
    ]
    return grouping + [
        f"{lift.resource.title} {lift.field} -> {dotted(lift.key)} (rule {lift.rule}"
        f"{', unset: renders nothing' if lift.optional_absent else ''})"
        for lift in result.conversion.lifts
    ]


class Prepared:
    """The parts of the report that do not depend on the proof: made while the Helm engine renders
    the chart (outside the interpreter lock), so the two overlap."""

    def __init__(self, result: Result) -> None:
        conv = result.conversion
        lifts_of: dict[Any, list[Lift]] = {}
        for lift in conv.lifts:
            lifts_of.setdefault(lift.resource, []).append(lift)
        self.template_of = {
            res: f"templates/{file}.yaml" for file, members in conv.components.items() for res in members
        }
        self.shown = shown = _Shown(result)
        self.fields = {
            res: [
                {
                    "path": lift.field,
                    "pointer": lift.path.pointer(),
                    "original": None if lift.optional_absent else shown.lift(lift),
                    "key": dotted(lift.key),
                    "keyPath": list(lift.key),
                    "rule": lift.rule,
                    "unsetByDefault": lift.optional_absent,
                }
                for lift in lifts_of.get(res, [])
            ]
            for res in result.resources
        }
        self.declared = {
            res: _declared_entry(result.declared.get(""), res.identity, shown._object(res), res.kind)
            for res in result.resources
        }
        self.graph = _graph(result, self.template_of)
        self.environments = {
            name: {
                "overrides": [
                    {
                        "key": dotted(o.key),
                        "keyPath": list(o.key),
                        "resource": o.resource.title,
                        "base": shown.override(o.resource, o.key, o.names, o.base),
                        "value": shown.override(o.resource, o.key, o.names, o.value),
                        "automatic": bool(o.automatic),
                    }
                    for o in overrides
                ],
                "resources": [
                    {
                        "apiVersion": res.api_version,
                        "kind": res.kind,
                        "namespace": res.namespace,
                        "name": res.name,
                        **_declared_entry(result.declared.get(name), res.identity, result.plain_of(res), res.kind),
                    }
                    for res in result.environments[name].resources
                ]
                if name in result.environments
                else [],
                **_declared_top(result, result.declared.get(name)),
            }
            for name, overrides in result.overrides.items()
        }


def as_json(result: Result, proven: ChartProof, prepared: Prepared | None = None) -> dict:
    conv = result.conversion
    made = prepared or Prepared(result)
    template_of = made.template_of
    resources = []
    for res in result.resources:
        patch = made.shown.patch(res, proven.base.patches.get(res.identity, [])) if proven.rendered else None
        resources.append(
            {
                "apiVersion": res.api_version,
                "kind": res.kind,
                "namespace": res.namespace,
                "name": res.name,
                "source": res.source,
                "line": res.line,
                "component": conv.component_of_file[template_of[res][len("templates/") : -len(".yaml")]].dotted,
                "template": conv.moved.get(res, template_of[res]),
                "fields": made.fields[res],
                "patch": patch,
                "expectedChanges": [],
                "unexpectedChanges": patch or [],
                **made.declared[res],
            }
        )
    return {
        "tool": "helmify-flts",
        "version": __version__,
        "chart": result.conversion_chart_name,
        "summary": summary(result),
        "rendered": proven.rendered,
        "renderError": str(proven.failure) if proven.failure else None,
        "identical": proven.ok,
        "missing": [render.title(i) for i in proven.base.missing],
        "extra": [render.title(i) for i in proven.base.extra],
        "resources": resources,
        "builtWith": _built_with(result),
        "skipped": [
            {"file": n.where.file if n.where else None, "line": n.where.line if n.where else None, "message": n.message}
            for n in result.notices
            if n.code == "warning"
        ],
        "warnings": [
            {
                "file": n.where.file if n.where else None,
                "line": n.where.line if n.where else None,
                "code": n.code,
                "message": n.message,
            }
            for n in result.notices
            if n.code != "warning"
        ],
        "rules": list(result.ruleset.files),
        **_declared_top(result, result.declared.get("")),
        "graph": made.graph,
        "environments": {
            name: {
                "identical": proven.environments[name].ok if name in proven.environments else None,
                "differences": proven.environments[name].describe() if name in proven.environments else [],
                **made.environments[name],
            }
            for name in result.overrides
        },
    }


def _declared_entry(declared: Any, ident: tuple, source: Any, kind: str) -> dict:
    """A resource's ``changes`` (the JSON Patch from source to what the chart renders with default
    values, redacted) and, when its identity changes, ``renderedAs``."""
    if declared is None or ident not in declared.edits:
        return {"changes": []}
    import jsonpatch

    from .refactorings.base import to_json

    new = declared.renamed.get(ident, ident)
    if new not in declared.expected:  # removed: listed under removed
        return {"changes": []}
    ops = jsonpatch.make_patch(source, to_json(declared.expected[new])).patch
    entry: dict[str, Any] = {"changes": _redacted_ops(kind, source, ops)}
    if new != ident:
        entry["renderedAs"] = {
            "apiVersion": _api_version(declared.expected[new]),
            "kind": new[1],
            "namespace": new[2],
            "name": new[3],
        }
    return entry


def _api_version(obj: Any) -> str:
    return str(obj.get("apiVersion", "")) if isinstance(obj, dict) else ""


def _redacted_ops(kind: str, source: Any, ops: list[dict]) -> list[dict]:
    out = []
    for op in ops:
        op = dict(op)
        if "value" in op:
            op["value"] = redact.at(kind, source, FieldPath.from_pointer(op.get("path", "")).plain, op["value"])
        out.append(op)
    return out


def _declared_top(result: Result, declared: Any) -> dict:
    """``added``, ``removed`` and ``proof``: empty lists without refactorings."""
    proof = {"release": result.proof_release, "namespace": result.proof_namespace}
    # Comments only: a default may be a credential, and values.yaml holds them all anyway.
    keys = [{"key": dotted(key), "comment": doc} for key, doc in result.added_values]
    if declared is None:
        return {"added": [], "removed": [], "addedValues": keys, "proof": proof}
    from .refactorings.base import to_json

    return {
        "added": [
            {
                "object": redact.at(a.object.get("kind", ""), to_json(a.object), (), to_json(a.object)),
                "rule": a.rule,
                "why": a.why,
            }
            for a in declared.added
        ],
        "removed": [
            {
                "apiVersion": _removed_api(result, r.identity),
                "kind": r.identity[1],
                "namespace": r.identity[2],
                "name": r.identity[3],
                "rule": r.rule,
                "why": r.why,
            }
            for r in declared.removed
        ],
        "addedValues": keys,
        "proof": proof,
    }


def _removed_api(result: Result, ident: tuple) -> str:
    return next((res.api_version for res in result.resources if res.identity == ident), "")


def _graph(result: Result, template_of: dict) -> dict:
    """Who talks to whom, and what each workload reads (names and ports only: nothing secret)."""
    conv = result.conversion
    objects = {res.identity: result.plain_of(res) for res in result.resources}
    components = {
        graph.Node(res.kind, res.identity[2], res.name).id: conv.component_of_file[
            template_of[res][len("templates/") : -len(".yaml")]
        ].dotted
        for res in result.resources
    }
    return graph.build(objects).as_json(components)


CELL = 80  # characters of a value shown in a table cell


def _cell(value: Any) -> str:
    if value is None:
        return "(unset)"
    text = _escaped(value)
    if len(text) > CELL:
        text = text[: CELL - 3] + "..."
    return f"`{text}`"


def _escaped(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=False, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", "\\n")


def _cells(base: Any, value: Any) -> tuple[str, str]:
    """Two table cells for a value and what an environment makes of it. Values too long for a
    cell show only where they differ (per item or key, or an excerpt of a string around the first
    difference), so the two columns never read the same."""
    if base is None or value is None or max(len(_escaped(base)), len(_escaped(value))) <= CELL:
        return _cell(base), _cell(value)
    try:
        found = list(_differences(base, value, ""))
    except RecursionError:  # nested too deep to walk: the cells as they are
        found = []
    if not found:
        return _cell(base), _cell(value)
    return _diff_cell([(where, a) for where, a, _ in found]), _diff_cell([(where, b) for where, _, b in found])


_ABSENT = object()
DIFF_ITEMS = 4  # differences listed per cell; more are counted


def _differences(a: Any, b: Any, where: str) -> Iterator[tuple[str, Any, Any]]:
    """Minimal differences between two values: (where, one side, the other), depth first."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            x, y = a.get(key, _ABSENT), b.get(key, _ABSENT)
            if x != y:
                yield from _differences(x, y, f"{where}.{key}" if where else str(key))
    elif isinstance(a, list) and isinstance(b, list):
        names_a, names_b = _item_names(a), _item_names(b)
        if names_a is not None and names_b is not None:
            by_a, by_b = dict(zip(names_a, a, strict=True)), dict(zip(names_b, b, strict=True))
            for name in names_a + [n for n in names_b if n not in by_a]:
                x, y = by_a.get(name, _ABSENT), by_b.get(name, _ABSENT)
                if x != y:
                    yield from _differences(x, y, f"{where}[{name}]")
        else:
            for i in range(max(len(a), len(b))):
                x, y = a[i] if i < len(a) else _ABSENT, b[i] if i < len(b) else _ABSENT
                if x != y:
                    yield from _differences(x, y, f"{where}[{i}]")
    elif isinstance(a, str) and isinstance(b, str) and max(len(a), len(b)) > CELL // 2:
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        yield where, _excerpt(a, at), _excerpt(b, at)
    else:
        yield where, a, b


def _item_names(items: list) -> list[str] | None:
    """Each item's ``name`` when every item has a distinct one (ports, env), else None."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return names
    return None


def _excerpt(text: str, at: int) -> str:
    start = max(0, at - 15)
    return ("..." if start else "") + text[start : at + 30] + ("..." if len(text) > at + 30 else "")


def _diff_cell(found: list[tuple[str, Any]]) -> str:
    parts = []
    for where, value in found[:DIFF_ITEMS]:
        shown = "(none)" if value is _ABSENT else _escaped(value)
        if len(shown) > CELL // 2:
            shown = shown[: CELL // 2 - 3] + "..."
        parts.append(f"{_escaped(where)}: {shown}" if where else shown)
    more = f" (+{len(found) - DIFF_ITEMS} more)" if len(found) > DIFF_ITEMS else ""
    return f"`{'; '.join(parts)}`{more}"


def _built_with(result: Result) -> dict[str, str]:
    """Which kustomize built each folder that is a kustomization (base and environments)."""
    folders = {"base": result.loaded, **result.environments}
    return {name: loaded.built_with for name, loaded in folders.items() if loaded.built_with}


def as_markdown(result: Result, data: dict) -> str:
    out = [f"# helmify-flts review: {data['chart']}", "", data["summary"], ""]
    for name, tool in data.get("builtWith", {}).items():
        out += [f"The {name} folder is a kustomization, built with {tool}."]
    out += [""] if data.get("builtWith") else []
    if not data["rendered"]:
        out += [f"**Not rendered**: {data['renderError']}", ""]
    elif data["identical"]:
        out += [
            "Rendered with Helm using the default values, the chart reproduces every source "
            "resource exactly: every patch below is empty.",
            "",
        ]
    else:
        out += ["**The rendered chart differs from the source.** See the unexpected changes below.", ""]
        out += [f"- missing: {printable(t)}" for t in data["missing"]]
        out += [f"- extra: {printable(t)}" for t in data["extra"]] + [""]
    if data["skipped"] or data["warnings"]:
        out += ["## Skipped and warnings", ""]
        for item in data["skipped"] + data["warnings"]:
            where = f"{item['file']}:{item['line']}: " if item["file"] else ""
            out.append(printable(f"- {where}{item['message']}"))
        out.append("")
    for name, env in data["environments"].items():
        status = "reproduces" if env["identical"] else "does NOT reproduce"
        out += [
            f"## Environment `{name}`",
            "",
            f"With `values-{name}.yaml` the chart {status} that environment's manifests.",
            "",
        ]
        out += [f"- {d}" for d in env["differences"]]
        if env["overrides"]:
            out += ["| values key | base | this environment | resource |", "|---|---|---|---|"]
            for o in env["overrides"]:
                auto = " (lifted automatically)" if o["automatic"] else ""
                base, value = _cells(o["base"], o["value"])
                out.append(f"| `{o['key']}`{auto} | {base} | {value} | {o['resource']} |")
        out.append("")
        out += _environment_changes(result, name)
    out += _added_removed_markdown(data)
    if data["graph"]["edges"]:
        out += ["## Dependency graph", "", "Who talks to whom (Service and port), and what each workload reads.", ""]
        out += ["```mermaid", *graph.mermaid(data["graph"]), "```", ""]
    out += ["## Resources", ""]
    for res in data["resources"]:
        ns = f"{res['namespace']}/" if res["namespace"] else ""
        out += [
            # Names and file names hold what the input holds: a line break would start a line of
            # their making in the report (and in a CI log that prints it).
            printable(f"### {res['kind']}/{ns}{res['name']}"),
            "",
            printable(
                f"From `{res['source']}:{res['line']}`, rendered by `{res['template']}` "
                f"(component `{res['component']}`)."
            ),
            "",
        ]
        if res["fields"]:
            out += ["| field | original | values key | rule |", "|---|---|---|---|"]
            for f in res["fields"]:
                out.append(f"| `{f['path']}` | {_cell(f['original'])} | `{f['key']}` | {f['rule']} |")
            out.append("")
        else:
            out += ["No field lifted: rendered verbatim.", ""]
        out += _changes_markdown(result, res)
        if res["patch"] is None:
            continue
        if res["patch"]:
            out += [
                "Unexpected changes (JSON Patch, source to rendered):",
                "",
                "```json",
                json.dumps(res["patch"], indent=2),
                "```",
                "",
            ]
        else:
            out += ["JSON Patch from source to rendered: `[]` (identical).", ""]
    return "\n".join(out).rstrip() + "\n"


def _changes_markdown(result: Result, entry: dict) -> list[str]:
    """A resource's declared changes as a short diff per rule (values redacted)."""
    declared = result.declared.get("")
    ident = next(
        (
            r.identity
            for r in result.resources
            if (r.kind, r.namespace, r.name, r.api_version)
            == (entry["kind"], entry["namespace"], entry["name"], entry["apiVersion"])
        ),
        None,
    )
    if declared is None or ident not in declared.edits or not entry["changes"]:
        return []

    source = next(kyaml.construct(r.node) for r in result.resources if r.identity == ident)
    out = ["Declared changes:", ""]
    if "renderedAs" in entry:
        new = entry["renderedAs"]
        out += [f"Renders as {new['kind']}/{new['namespace'] + '/' if new['namespace'] else ''}{new['name']}.", ""]
    return out + _edit_diffs(entry["kind"], source, declared.edits[ident])


def _edit_diffs(kind: str, source: Any, edits: list) -> list[str]:
    """Declared edits of one resource as a short diff per rule, values redacted."""
    from .refactorings.base import to_json

    out: list[str] = []
    for edit in edits:
        out += ["```diff", f"# rule {edit.rule}: {edit.why}"]
        for op in _redacted_ops(kind, source, [to_json(dict(o)) for o in edit.ops]):
            path = FieldPath.from_pointer(op.get("path", ""))
            value = f": {_diff_value(op['value'])}" if "value" in op else ""
            sign = {"add": "+", "remove": "-", "replace": "~"}.get(op.get("op", ""), op.get("op", ""))
            out.append(f"{sign} {path}{value}")
        out += ["```", ""]
    return out


def _environment_changes(result: Result, name: str) -> list[str]:
    """An environment's declared changes, shown only where they differ from the base's (a
    resource whose changes equal the base's is counted, not repeated)."""
    from .refactorings.base import to_json

    declared, base = result.declared.get(name), result.declared.get("")
    env = result.environments.get(name)
    if declared is None or env is None or not (declared.edits or base is not None and base.edits):
        return []

    def shape(d: Any, ident: tuple) -> list:
        return [(e.rule, to_json(list(e.ops))) for e in (d.edits.get(ident, []) if d is not None else [])]

    out: list[str] = []
    same = 0
    for res in env.resources:
        edits = declared.edits.get(res.identity, [])
        if shape(declared, res.identity) == shape(base, res.identity):
            same += bool(edits)
            continue
        ns = f"{res.namespace}/" if res.namespace else ""
        out += [f"{res.kind}/{ns}{res.name}:", ""]
        out += _edit_diffs(res.kind, kyaml.construct(res.node), edits) if edits else ["No declared change here.", ""]
    if not out:
        return ["Declared changes: same changes as the base.", ""]
    head = ["Declared changes that differ from the base's"]
    head[0] += f" (the {same} other changed resource(s) have the same changes as the base):" if same else ":"
    return [*head, "", *out]


def _diff_value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= CELL else text[: CELL - 3] + "..."


def _added_removed_markdown(data: dict) -> list[str]:
    out: list[str] = []
    if data["added"] or data["removed"]:
        out += ["## Objects added and removed", ""]
        for item in data["added"]:
            obj = item["object"] if isinstance(item["object"], dict) else {}
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            out.append(
                printable(f"- added {obj.get('kind', '')}/{meta.get('name', '')} (rule {item['rule']}): {item['why']}")
            )
        for item in data["removed"]:
            ns = f"{item['namespace']}/" if item["namespace"] else ""
            out.append(printable(f"- removed {item['kind']}/{ns}{item['name']} (rule {item['rule']}): {item['why']}"))
        out.append("")
    if data["addedValues"]:
        out += ["## Values keys the refactorings add", "", "No field of the manifests is read from these keys:", ""]
        out += [f"- `{item['key']}`: {item['comment']}" for item in data["addedValues"]]
        out.append("")
    return out


def files(result: Result, proven: ChartProof, prepared: Prepared | None = None) -> dict[str, str]:
    """helmify-report.json and helmify-report.md; ``prepared`` is :class:`Prepared` if made already."""
    data = as_json(result, proven, prepared)
    try:
        text = jsontext.dumps(data, ensure_ascii=False, allow_nan=False, end="\n", str_keys=True)
    except ValueError:
        # NaN or infinity become the strings "NaN", "Infinity", and keys become strings, through
        # a round trip: the file stays valid JSON. The round trip copies the whole report, so it
        # is made only when the data holds such a number or key (it hardly ever does).
        plain = json.loads(json.dumps(data), parse_constant=str)
        text = jsontext.dumps(plain, ensure_ascii=False, allow_nan=False, end="\n")
    return {"helmify-report.json": text, "helmify-report.md": as_markdown(result, data)}


def rules_list(ruleset: RuleSet) -> str:
    lines = []
    for rule in ruleset.rules:
        first = rule.description.splitlines()[0] if rule.description else ""
        lines.append(f"{rule.id:32} {first}  [{rule.where}]")
    return "\n".join(lines) + "\n"


def rules_reference(ruleset: RuleSet) -> str:
    """The rules reference in Markdown, generated from the rules' own descriptions."""
    out = [
        "# Rules reference",
        "",
        "Generated by `helmify-flts rules --markdown` from the rule-file schema and the rule files' "
        "descriptions; do not edit.",
        "",
    ]
    from . import ruledocs  # only this reference needs it, not a convert's report

    out += ruledocs.rule_language(rules_mod.schema(), pathsets.SETS, pathsets.DOCS)
    out += ["## Built-in rules", "", "The rules of each built-in pack, from their own descriptions.", ""]
    current = None
    for rule in ruleset.rules:
        source = rule.where.file
        if source != current:
            current = source
            out += [f"## `{source.rsplit('/', 1)[-1].removeprefix('builtin:')}`", ""]
        out += [f"### `{rule.id}`", ""]
        lines = rule.description.splitlines()
        out += [lines[0], ""]
        if len(lines) > 1:
            out += ["```", *lines[1:], "```", ""]
        if isinstance(rule, rules_mod.ComponentRule):
            out += [f"- component: `{'.'.join(s.text for s in rule.component)}`"]
        elif isinstance(rule, rules_mod.ExistingRule):
            out += [f"- existing: key `{'.'.join(s.text for s in rule.existing_key)}`, replacing the name in:"]
            out += [f"  - `{p}`" for p in rule.reference_texts]
        elif isinstance(rule, rules_mod.FieldRule):
            out += [f"- path: `{p}`" for p in rule.path_texts]
            out += [f"- key: `{'.'.join(s.text for s in rule.key)}`"]
            if rule.transform:
                out.append(f"- transform: `{rule.transform}`")
            if rule.optional:
                out.append(f"- optional: renders nothing until set (default `{json.dumps(rule.default)}`)")
        m = rule.match
        crit = [
            f"kinds {', '.join(m.kinds)}" if m.kinds else "",
            f"names {', '.join(m.names)}" if m.names else "",
            f"components {', '.join(m.components)}" if m.components else "",
            f"labels {', '.join(f'{k}={v}' for k, v in m.labels)}" if m.labels else "",
        ]
        crit = [c for c in crit if c]
        if crit:
            out.append(f"- applies to: {'; '.join(crit)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
