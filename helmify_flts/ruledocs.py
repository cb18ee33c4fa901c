"""The "Rule language" section of the rules reference, generated from the rule-file schema, so
that every key, path form, path set, binding, filter and transform is documented where it is
defined, with the schema's worked examples (which the tests run)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from .ruleschema import resolve

_TYPE_NAMES = {"object": "mapping", "array": "list", "boolean": "true/false", "string": "string"}


# How the conventions and production packs go together (refactorings/combine.py says why).
COMBINING = (
    "The conventions pack goes with a production pack in either order: `--rules conventions --rules "
    "flts-production` or the other way round. The production refactorings add objects to a workload's "
    "template (a `<workload>-env` ConfigMap, a `<workload>-credentials` Secret, a headless Service) and "
    "wait-for init containers; the conventions refactorings reach all of it: release-aware names and the "
    "release namespace for the added objects and every reference to them (envFrom, secretKeyRef, "
    "serviceName, the hosts the init containers wait for, host names in env values moved to a ConfigMap or "
    "a Secret), standard labels in the workload's component, and a checksum annotation per ConfigMap and "
    "Secret. The opt-in extras (NetworkPolicies, ServiceMonitors, PodDisruptionBudgets) follow them once "
    "switched on: the release prefix, the release namespace (where a ServiceMonitor looks too), and "
    "selectors that also match `app.kubernetes.io/instance` where every object they select carries it, so "
    "two releases in one namespace keep apart.",
    "",
    "The two orders differ only where a later rule leaves what an earlier one made: with the conventions "
    "first, a volumeClaimTemplate copies the standard labels of the claim it replaces, and init-hooks makes "
    "the init Jobs hooks without a weight (init-job-hooks, first, weights them by the dependency graph); "
    "each leaves a Job the other made a hook as it is.",
)


def rule_language(
    schema: dict, path_sets: dict[str, dict[str, tuple[str, ...]]], set_docs: dict[str, str]
) -> list[str]:
    """Markdown lines of the section."""
    rule = schema["$defs"]["rule"]
    out = ["## Rule language", ""]
    out += _keys("Rule file", schema, schema)
    out += _keys("Rule", rule, schema)
    out += _keys("`match`", schema["$defs"]["match"], schema)
    out += _keys("`existing`", schema["$defs"]["existing"], schema)
    path = rule["properties"]["path"]
    out += [
        "### Paths",
        "",
        "A path points at fields of a resource; the forms combine freely.",
        "",
        "| path | means |",
        "| --- | --- |",
    ]
    out += [f"| `{example}` | {meaning} |" for example, meaning in path["x-grammar"]]
    out += [
        "",
        "### Path sets",
        "",
        "A path that starts with a path set stands for the place the set names in each kind, and applies "
        "only to those kinds; a rule without `match.kinds` whose paths all start with path sets applies "
        "to the kinds of its sets.",
        "",
    ]
    for name, places in path_sets.items():
        out += [f"- `{{{name}}}`: {set_docs[name]}."]
        by_place: dict[str, list[str]] = {}
        for kind, prefixes in places.items():
            by_place.setdefault(", ".join(f"`{p}`" for p in prefixes), []).append(kind)
        out += [f"  - {', '.join(kinds)}: {where}" for where, kinds in by_place.items()]
    key = rule["properties"]["key"]
    out += [
        "",
        "### Bindings and filters",
        "",
        "A `key`, `doc` or `component` pattern uses `{binding}` or `{binding|filter}`. Besides the names a path binds:",
        "",
    ]
    out += [f"- `{{{name}}}`: {text}" for name, text in key["x-bindings"].items()]
    out += ["", "Filters:", ""]
    out += [f"- `|{name}`: {text}" for name, text in key["x-filters"].items()]
    transform = rule["properties"]["transform"]
    out += ["", "### Transforms", ""]
    out += [f"- `{name}`: {text}" for name, text in transform["x-enumDescriptions"].items()]
    refactor = rule["properties"]["refactor"]
    out += [
        "",
        "### Refactorings",
        "",
        "A rule with `refactor: NAME` (and `options`) changes what the chart renders, on purpose. The "
        "report declares each change (a JSON Patch per resource, `renderedAs` when its identity changes, "
        "objects `added` and `removed`), convert proves the render equals the sources with those changes "
        "applied, and verify re-applies them to the sources it is given. Built-in packs enable them: "
        "`--rules conventions`.",
        "",
    ]
    out += [f"- `{name}`: {text}" for name, text in refactor["x-enumDescriptions"].items()]
    out += ["", "#### Combining packs", "", *COMBINING]
    out += [
        "",
        "### Examples",
        "",
        "Each example is a rule file, a manifest it applies to, and part of the values.yaml it gives.",
        "",
    ]
    for example in schema["x-examples"]:
        out += [
            f"#### {example['title']}",
            "",
            "```yaml",
            example["rules"].rstrip(),
            "```",
            "",
            "applied to",
            "",
            "```yaml",
            example["manifest"].rstrip(),
            "```",
            "",
            "gives, in values.yaml,",
            "",
            "```yaml",
            _yaml(example["values"]).rstrip(),
            "```",
            "",
        ]
    return out


def _keys(title: str, node: dict, root: dict) -> list[str]:
    out = [f"### {title} keys", "", node["description"], ""]
    required = set(node.get("required", ()))
    for name, sub in node["properties"].items():
        target = resolve(root, sub)
        kind = _type(target)
        flags = ", ".join(x for x in (kind, "required" if name in required else "") if x)
        out.append(f"- `{name}`" + (f" ({flags})" if flags else "") + f": {target['description']}")
        if "enum" in target:
            out[-1] += f" One of {', '.join(f'`{v}`' for v in target['enum'])}."
    return out + [""]


def _type(node: dict) -> str:
    declared = node.get("type")
    if declared is None:
        return "any value"
    types = [declared] if isinstance(declared, str) else [t for t in declared if t != "null"]
    return " or ".join(_TYPE_NAMES.get(t, t) for t in types)


def _yaml(data: Any) -> str:
    return yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False, default_flow_style=False)
