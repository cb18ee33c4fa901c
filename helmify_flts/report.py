"""The review report (Markdown for people, JSON for machines), summaries and rule listings.

Secret material never appears here: values lifted from Secrets and values whose key or env var
name looks like a credential are shown as ``<redacted>``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import __version__, render
from .chart import Result
from .rewrite import Lift
from .rules import RuleSet

REDACTED = "<redacted>"
CREDENTIAL = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|credential|private|api[-_]?key|access[-_]?key|"
    r"auth[-_]?key|_key$|^key$|\.pem$|\.key$)"
)


# Field names that merely point at a Secret; what they hold is a name, not a credential.
SECRET_POINTERS = frozenset({"secretKeyRef", "secretRef", "secretName", "secret", "imagePullSecrets",
                             "existingSecret", "secrets"})


def is_secret(kind: str, names: tuple[str, ...]) -> bool:
    """Whether a value must not be shown: it comes from a Secret or its name looks like a credential."""
    return kind == "Secret" or any(CREDENTIAL.search(n) for n in names if n not in SECRET_POINTERS)


URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:]*)(?P<password>:[^@/\s]*)?@")


def scrub(value: Any) -> Any:
    """Hide credentials written into URLs (``postgresql://user:secret@host``, a Sentry DSN's
    ``https://key@host``) anywhere in a value; a user name before a password stays readable."""
    if isinstance(value, str):
        return URL_CREDENTIALS.sub(
            lambda m: m.group("scheme") + (m.group("user") + ":" if m.group("password") else "") + REDACTED + "@",
            value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def hide(kind: str, names: tuple[str, ...], value: Any) -> Any:
    return REDACTED if is_secret(kind, names) else scrub(value)


def shown(lift: Lift) -> Any:
    return hide(lift.resource.kind, lift.names, lift.original)


@dataclass
class Review:
    """The rendered chart compared with the source, per resource."""

    rendered: bool
    reason: str = ""
    comparison: render.Comparison = field(default_factory=render.Comparison)
    environments: dict[str, render.Comparison] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rendered and self.comparison.ok and all(c.ok for c in self.environments.values())


def review(result: Result) -> Review:
    """Render the chart (default values) with Helm and compare it with the source."""
    envs = {name: render.load_values_text(result.files[f"values-{name}.yaml"]) for name in result.environments}
    try:
        texts = render.render_files(result.files, result.conversion_chart_name, None, envs)
    except RuntimeError as exc:
        return Review(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a render failure is reported, not raised
        return Review(False, f"Helm could not render the chart: {exc}")
    try:
        comparison = render.compare(render.source_objects(result.loaded), render.rendered_objects(texts[None]))
        per_env = {name: render.compare(render.source_objects(result.environments[name]),
                                        render.rendered_objects(texts[name])) for name in envs}
    except yaml.YAMLError as exc:
        return Review(False, f"Helm rendered text that is not valid YAML: {exc}")
    return Review(True, "", comparison, per_env)


def summary(result: Result) -> str:
    conv = result.conversion
    lifted = [lift for lift in conv.lifts if not lift.optional_absent]
    keys = sum(1 for _ in conv.values.leaves())
    skipped = sum(1 for n in result.notices if n.code == "warning")
    return (f"{len(result.loaded.resources)} resources in {len(conv.components)} components, "
            f"{len(lifted)} fields lifted into {keys} values, "
            f"{sum(1 for lift in conv.lifts if lift.optional_absent)} optional knobs, "
            f"{skipped} documents skipped, {len(result.notices) - skipped} other warnings")


def decisions(result: Result) -> list[str]:
    """-v: why each resource is in its component, and each field lifted."""
    template_of = {res: comp for file, members in result.conversion.components.items()
                   for comp in [result.conversion.component_of_file[file]] for res in members}
    grouping = [f"{res.title} -> component {template_of[res].dotted} ({result.component_reasons.get(res, '')})"
                for res in result.resources]
    return grouping + [f"{lift.resource.title} {lift.field} -> {dotted(lift.key)} (rule {lift.rule}"
            f"{', unset: renders nothing' if lift.optional_absent else ''})"
            for lift in result.conversion.lifts]


def _redact_patch(kind: str, patch: list[dict]) -> list[dict]:
    out = []
    for op in patch:
        op = dict(op)
        path = op.get("path", "")
        if "value" in op and (kind == "Secret" or "/env/" in path or CREDENTIAL.search(path)):
            op["value"] = REDACTED
        elif "value" in op:
            op["value"] = scrub(op["value"])
        out.append(op)
    return out


def as_json(result: Result, rev: Review) -> dict:
    conv = result.conversion
    lifts_of: dict[Any, list[Lift]] = {}
    for lift in conv.lifts:
        lifts_of.setdefault(lift.resource, []).append(lift)
    template_of = {res: f"templates/{file}.yaml" for file, members in conv.components.items() for res in members}
    resources = []
    for res in result.resources:
        patch = _redact_patch(res.kind, rev.comparison.patches.get(res.identity, [])) if rev.rendered else None
        resources.append({
            "apiVersion": res.api_version, "kind": res.kind, "namespace": res.namespace, "name": res.name,
            "source": res.source, "line": res.line,
            "component": conv.component_of_file[template_of[res][len("templates/"):-len(".yaml")]].dotted,
            "template": template_of[res],
            "fields": [
                {"path": lift.field, "pointer": _pointer(lift.pointer),
                 "original": None if lift.optional_absent else shown(lift), "key": dotted(lift.key),
                 "keyPath": list(lift.key),
                 "rule": lift.rule, "unsetByDefault": lift.optional_absent}
                for lift in lifts_of.get(res, [])
            ],
            "patch": patch,
            "expectedChanges": [],
            "unexpectedChanges": patch or [],
        })
    return {
        "tool": "helmify-flts", "version": __version__, "chart": result.conversion_chart_name,
        "summary": summary(result),
        "rendered": rev.rendered, "renderError": rev.reason or None,
        "identical": rev.ok,
        "missing": [render.title(i) for i in rev.comparison.missing],
        "extra": [render.title(i) for i in rev.comparison.extra],
        "resources": resources,
        "skipped": [{"file": n.where.file if n.where else None, "line": n.where.line if n.where else None,
                     "message": n.message} for n in result.notices if n.code == "warning"],
        "warnings": [{"file": n.where.file if n.where else None, "line": n.where.line if n.where else None,
                      "code": n.code, "message": n.message} for n in result.notices if n.code != "warning"],
        "rules": list(result.ruleset.files),
        "environments": {
            name: {
                "identical": rev.environments[name].ok if name in rev.environments else None,
                "differences": rev.environments[name].describe() if name in rev.environments else [],
                "overrides": [
                    {"key": dotted(o.key), "keyPath": list(o.key), "resource": o.resource.title,
                     "base": hide(o.resource.kind, o.names + o.key, o.base),
                     "value": hide(o.resource.kind, o.names + o.key, o.value),
                     "automatic": bool(o.automatic)}
                    for o in overrides
                ],
            }
            for name, overrides in result.overrides.items()
        },
    }


def dotted(key: tuple[str, ...]) -> str:
    """A values key as Helm's --set writes it: dots inside a segment escaped (``a.b\\.c``)."""
    return ".".join(part.replace(".", "\\.") for part in key)


def _pointer(parts: tuple) -> str:
    """RFC 6901: ``~`` and ``/`` inside a key are escaped."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _cell(value: Any) -> str:
    if value is None:
        return "(unset)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=False, ensure_ascii=False)
    text = text.replace("|", "\\|").replace("\n", "\\n")
    if len(text) > 80:
        text = text[:77] + "..."
    return f"`{text}`"


def as_markdown(result: Result, data: dict) -> str:
    out = [f"# helmify-flts review: {data['chart']}", "", data["summary"], ""]
    if not data["rendered"]:
        out += [f"**Not rendered**: {data['renderError']}", ""]
    elif data["identical"]:
        out += ["Rendered with Helm using the default values, the chart reproduces every source "
                "resource exactly: every patch below is empty.", ""]
    else:
        out += ["**The rendered chart differs from the source.** See the unexpected changes below.", ""]
        out += [f"- missing: {t}" for t in data["missing"]] + [f"- extra: {t}" for t in data["extra"]] + [""]
    if data["skipped"] or data["warnings"]:
        out += ["## Skipped and warnings", ""]
        for item in data["skipped"] + data["warnings"]:
            where = f"{item['file']}:{item['line']}: " if item["file"] else ""
            out.append(f"- {where}{item['message']}")
        out.append("")
    for name, env in data["environments"].items():
        status = "reproduces" if env["identical"] else "does NOT reproduce"
        out += [f"## Environment `{name}`", "",
                f"With `values-{name}.yaml` the chart {status} that environment's manifests.", ""]
        out += [f"- {d}" for d in env["differences"]]
        if env["overrides"]:
            out += ["| values key | base | this environment | resource |", "|---|---|---|---|"]
            for o in env["overrides"]:
                auto = " (lifted automatically)" if o["automatic"] else ""
                out.append(f"| `{o['key']}`{auto} | {_cell(o['base'])} | {_cell(o['value'])} | {o['resource']} |")
        out.append("")
    out += ["## Resources", ""]
    for res in data["resources"]:
        ns = f"{res['namespace']}/" if res["namespace"] else ""
        out += [f"### {res['kind']}/{ns}{res['name']}", "",
                f"From `{res['source']}:{res['line']}`, rendered by `{res['template']}` "
                f"(component `{res['component']}`).", ""]
        if res["fields"]:
            out += ["| field | original | values key | rule |", "|---|---|---|---|"]
            for f in res["fields"]:
                out.append(f"| `{f['path']}` | {_cell(f['original'])} | `{f['key']}` | {f['rule']} |")
            out.append("")
        else:
            out += ["No field lifted: rendered verbatim.", ""]
        if res["patch"] is None:
            continue
        if res["patch"]:
            out += ["Unexpected changes (JSON Patch, source to rendered):", "", "```json",
                    json.dumps(res["patch"], indent=2), "```", ""]
        else:
            out += ["JSON Patch from source to rendered: `[]` (identical).", ""]
    return "\n".join(out).rstrip() + "\n"


def files(result: Result, rev: Review) -> dict[str, str]:
    data = as_json(result, rev)
    return {
        # NaN or infinity become the strings "NaN", "Infinity": the file stays valid JSON.
        "helmify-report.json": json.dumps(json.loads(json.dumps(data), parse_constant=str), indent=2,
                                          ensure_ascii=False, allow_nan=False) + "\n",
        "helmify-report.md": as_markdown(result, data),
    }


def rules_list(ruleset: RuleSet) -> str:
    lines = []
    for rule in ruleset.rules:
        first = rule.description.splitlines()[0] if rule.description else ""
        lines.append(f"{rule.id:32} {first}  [{rule.where}]")
    return "\n".join(lines) + "\n"


def rules_reference(ruleset: RuleSet) -> str:
    """The rules reference in Markdown, generated from the rules' own descriptions."""
    out = ["# Rules reference", "",
           "Generated by `helmify-flts rules --markdown` from the rule files' descriptions; do not edit.", ""]
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
        if rule.component is not None:
            out += [f"- component: `{'.'.join(s.text for s in rule.component)}`"]
        elif rule.existing_key is not None:
            out += [f"- existing: key `{'.'.join(s.text for s in rule.existing_key)}`, replacing the name in:"]
            out += [f"  - `{p}`" for p in rule.reference_texts]
        else:
            out += [f"- path: `{p}`" for p in rule.path_texts]
            out += [f"- key: `{'.'.join(s.text for s in rule.key)}`"]
            if rule.transform:
                out.append(f"- transform: `{rule.transform}`")
            if rule.optional:
                out.append(f"- optional: renders nothing until set (default `{json.dumps(rule.default)}`)")
        m = rule.match
        crit = [f"kinds {', '.join(m.kinds)}" if m.kinds else "", f"names {', '.join(m.names)}" if m.names else "",
                f"components {', '.join(m.components)}" if m.components else "",
                f"labels {', '.join(f'{k}={v}' for k, v in m.labels)}" if m.labels else ""]
        crit = [c for c in crit if c]
        if crit:
            out.append(f"- applies to: {'; '.join(crit)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
