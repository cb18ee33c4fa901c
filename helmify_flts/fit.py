"""``convert --values-layout FILE``: a chart whose templates read the team's own values keys.

Three steps, each plain: a first conversion says which fields are tunable and under which
generated keys; :mod:`layout` decides which team key stands for which field and the decisions
become an ordinary rule file; a second conversion with that rule file (what ``--rules`` that file
gives later) makes the chart, and values.yaml is the team's file edited to hold its values.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from . import chart, jsontext, layout, redact, rules, teamvalues
from .errors import Notice, UserError, Where
from .layout import AMBIGUOUS, CONFLICT, UNREAD, WIRED, Layout, Match
from .records import record
from .templating import printable
from .values import dotted

REPLACED = "replaced"  # the chart needs another shape there (a map where the team has a scalar)
HEADER = """\
# yaml-language-server: $schema=rule-file.schema.json
# Rules that make the chart read the team's values layout ({team}), written by
# helmify-flts convert --values-layout. An ordinary rule file: edit it by hand, keep it beside
# the manifests, and convert later with --rules this file (no --values-layout needed).
"""


@record
class Fitted:
    """The chart built on the team's layout, and how each team key fared."""

    result: chart.Result
    layout: Layout
    rules_text: str
    rows: tuple[Row, ...]
    added: tuple[tuple[str, ...], ...]


@record
class Row:
    """One line of the report's table: a team key, the fields it stands for, its status."""

    key: str
    fields: tuple[str, ...]
    status: str
    team: Any = None
    chart: Any = None
    note: str = ""


def build(opts: chart.Options, team_path: Path, rules_path: Path) -> Fitted:
    """Convert with the team's values file as the layout; ``rules_path`` is where the rule file
    is written (or would be): its ``extends`` are relative to it."""
    team = teamvalues.load(team_path)
    first = chart.build(opts)
    fitted = layout.match_all(team.leaves, team.tree, first)
    text = rule_file(fitted, opts, rules_path, team_path)
    second_opts = replace(opts, rule_files=(), rule_texts=((rules_path, text),))
    result = chart.build(second_opts)
    image_keys = {
        lift.key for lift in result.conversion.lifts if _transform(result, lift.rule) in ("image", "image-registry")
    }
    text_keys = {lift.key for lift in result.conversion.lifts if _transform(result, lift.rule) == "text"}
    replaced: dict[tuple[str, ...], Any] = {}
    merged, added = teamvalues.merge(team, result.conversion.values, image_keys, text_keys, replaced)
    files = dict(result.files)
    files["values.yaml"] = merged
    files["values.schema.json"] = jsontext.dumps(_open(json.loads(files["values.schema.json"]))) + "\n"
    shapes = {path: _shape_note(path, value, result) for path, value in replaced.items()}
    lines = {leaf.path: leaf.line for leaf in team.leaves}
    notices = tuple(
        Notice(f"team values: {dotted(path)}: {note}", Where(team_path.as_posix(), lines.get(path)))
        for path, note in shapes.items()
    )
    result = replace(result, files=dict(sorted(files.items())), notices=result.notices + notices)
    rows = tuple(_rows(fitted, team, result, shapes))
    return Fitted(result, fitted, text, rows, tuple(added))


def _transform(result: chart.Result, rule_id: str) -> str | None:
    rule = next((r for r in result.ruleset.field_rules if r.id == rule_id), None)
    return rule.transform if rule else None


def _open(schema: Any) -> Any:
    """The team's own keys (and their environment files' keys) must pass: no branch is closed."""
    if isinstance(schema, dict):
        return {k: _open(v) for k, v in schema.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(schema, list):
        return [_open(v) for v in schema]
    return schema


# ---------------------------------------------------------------- the rule file

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ITEM_NAME = re.compile(r"[A-Za-z0-9_.:/-]+")
_KEY_PART = re.compile(r"[^.{}|\s\"'\[\]]+")


def path_text(path: Any) -> str | None:
    """A concrete field path in the rule language: ``containers[name=api].env[name=X].value``."""
    out = ""
    for step in path:
        if isinstance(step, str):
            if _BARE.fullmatch(step):
                out += ("." if out else "") + step
            elif '"' not in step and "]" not in step:
                out += f'["{step}"]'
            else:
                return None
        elif step.name is not None and _ITEM_NAME.fullmatch(step.name):
            out += f"[name={step.name}]"
        else:
            out += f"[{step.index}]"
    return out


def key_text(path: tuple[str, ...]) -> str | None:
    return ".".join(path) if all(_KEY_PART.fullmatch(p) for p in path) else None


def rule_file(fitted: Layout, opts: chart.Options, rules_path: Path, team_path: Path) -> str:
    doc: dict[str, Any] = {"description": f"Wires the values layout of {team_path.name} to the manifests' fields."}
    extends = [_extends(name, rules_path) for name in opts.rule_files]
    if extends:
        doc["extends"] = extends
    out: list[dict] = []
    ids: set[str] = set()
    for prefix, comp in sorted(fitted.components.items()):
        if not prefix or prefix == comp.key or key_text(prefix) is None:
            continue
        members = fitted.members[prefix]
        out.append(
            {
                "id": _unique(ids, "component-" + "-".join(prefix)),
                "description": f"The team keeps {comp.dotted} under {'.'.join(prefix)}.",
                "match": {"kinds": sorted({r.kind for r in members}), "names": sorted({r.key_name for r in members})},
                "component": ".".join(prefix),
            }
        )
    for m in fitted.wired():
        rule = _field_rule(m, ids, opts)
        if rule:
            out.append(rule)
    doc["rules"] = out
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=None)
    return HEADER.format(team=printable(team_path.name)) + body


def _field_rule(m: Match, ids: set[str], opts: chart.Options) -> dict | None:
    f = m.fields[0]
    path, key = path_text(f.path), key_text(m.key.path)
    if path is None or key is None:
        return None
    if f.transform == "existing":
        return _existing_rule(m, ids, opts, key)
    # A generated object by its generator's name (key_name), which rules match too: the rule keeps
    # applying when the content, and with it the hash in the object's name, changes.
    match: dict[str, Any] = {"kinds": [f.resource.kind], "names": [f.resource.key_name]}
    if f.resource.namespace:
        match["namespaces"] = [f.resource.namespace]
    rule: dict[str, Any] = {
        "id": _unique(ids, "team-" + "-".join(m.key.path)),
        "description": f"The team key {key}: {f.resource.title} {f.path}.",
        "match": match,
        "path": path,
        "key": key,
    }
    if f.transform:
        rule["transform"] = f.transform
    if f.lift is not None and f.lift.optional_absent:
        rule["optional"] = True
        base = next((r for r in _rules(opts) if r.id == f.lift.rule), None)
        if base is not None and base.append:
            rule = {k: v for k, v in rule.items() if k != "optional"} | {"append": True}
        elif base is not None and base.default is not None:
            rule["default"] = base.default
    return rule


def _existing_rule(m: Match, ids: set[str], opts: chart.Options, key: str) -> dict | None:
    """The team's existingSecret key as the switch of the one Secret of its component, naming the
    same references as the rule that gives every Secret its switch."""
    res = m.fields[0].resource
    loaded = rules.load_rules(opts.rule_files, defaults=opts.default_rules)
    base = next((r for r in sorted(loaded.existing_rules, key=lambda r: -r.layer) if "Secret" in r.match.kinds), None)
    if base is None:
        return None
    match: dict[str, Any] = {"kinds": [res.kind], "names": [res.key_name]}
    if res.namespace:
        match["namespaces"] = [res.namespace]
    return {
        "id": _unique(ids, "team-" + "-".join(m.key.path)),
        "description": f"The team key {key} names a Secret to use instead of {res.title}.",
        "match": match,
        "existing": {"key": key, "references": list(base.reference_texts)},
    }


def _rules(opts: chart.Options) -> tuple:
    return rules.load_rules(opts.rule_files, defaults=opts.default_rules).field_rules


def _unique(ids: set[str], text: str) -> str:
    base = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")[:80] or "team"
    name, n = base, 2
    while name in ids:
        name, n = f"{base}-{n}", n + 1
    ids.add(name)
    return name


def _extends(name: str, rules_path: Path) -> str:
    path = Path(name)
    if not path.is_file():
        return name.removeprefix("builtin:").removesuffix(".yaml")
    shown = rules._shown(path)
    if shown.startswith("builtin:"):
        return shown.removeprefix("builtin:").removesuffix(".yaml")
    return os.path.relpath(path.resolve(), rules_path.resolve().parent)


# ---------------------------------------------------------------- the report


def _shape_note(path: tuple[str, ...], team: Any, result: chart.Result) -> str:
    """Why a team value is gone from values.yaml: the chart needs another shape there."""
    shown = redact.field("", path, team)
    chart_value = teamvalues._get(result.conversion.values.plain(), path)
    if isinstance(chart_value, dict):
        keys = ", ".join(sorted(str(k) for k in chart_value)[:4]) + (", ..." if len(chart_value) > 4 else "")
        return (
            f"the team's value {_cell(shown)} was replaced by a map, which the chart reads ({keys}); "
            "move the value under one of those keys, or rename the key"
        )
    return (
        f"the team's map was replaced by the value {_cell(redact.field('', path, chart_value))}, which the chart "
        "reads there; rename the team's key"
    )


UNWRITABLE = "its key holds '.', '{', '}', '|', a quote, a bracket or a space, which a rule cannot name; rename it"


def _rows(
    fitted: Layout, team: teamvalues.Team, result: chart.Result, shapes: dict[tuple[str, ...], str] | None = None
) -> list[Row]:
    chart_values = result.conversion.values.plain()
    rows = []
    for m in fitted.matches:
        fields = tuple(f.label for f in m.fields)
        status, note = m.status, m.note
        chart_value = teamvalues._get(chart_values, m.key.path)
        if status in (WIRED, CONFLICT) and chart_value is None and not _under_read(m.key.path, chart_values):
            status, note = UNREAD, note or "its rule could not be applied (see the warnings)"
        if status in (UNREAD, WIRED, CONFLICT) and key_text(m.key.path) is None:
            status, note = UNREAD, UNWRITABLE
        if (shapes or {}).get(m.key.path):
            status, note = REPLACED, shapes[m.key.path]
        rows.append(Row(m.key.dotted, fields, status, _shown(m, m.key.value), _shown(m, chart_value), note))
    return rows


def _under_read(path: tuple[str, ...], values: dict) -> bool:
    return any(teamvalues._get(values, path[:i]) is not None for i in range(1, len(path) + 1))


def _shown(m: Match, value: Any) -> Any:
    """A value as the report may show it: hidden when the team key or the field is a credential."""
    if redact.field("", m.key.path, value) != value:
        return redact.REDACTED
    for f in m.fields:
        if redact.field(f.resource.kind, f.path.names, value) != value:
            return redact.REDACTED
    return value


def markdown(fitted: Fitted) -> str:
    counts = {s: sum(1 for r in fitted.rows if r.status == s) for s in (WIRED, CONFLICT, UNREAD, AMBIGUOUS, REPLACED)}
    lines = [
        "",
        "## Team values layout",
        "",
        ", ".join(f"{n} {s}" for s, n in counts.items()) + f"; {len(fitted.added)} key(s) added.",
        "",
        "| team key | manifest fields | status |",
        "|---|---|---|",
    ]
    for row in fitted.rows:
        status = row.status
        if row.status == CONFLICT:
            status += f": team {_cell(row.team)}, manifest {_cell(row.chart)} (values.yaml holds the manifest's)"
        if row.note:
            status += f"; {row.note}"
        fields = "<br>".join(_cell(f, quote=False) for f in row.fields) or "-"
        lines.append(f"| `{_cell(row.key, quote=False)}` | {fields} | {_cell(status, quote=False)} |")
    if fitted.added:
        lines += ["", "Keys added (tunable fields no team key stands for):", ""]
        lines += [f"- `{_cell(dotted(k), quote=False)}`" for k in fitted.added]
    return "\n".join(lines) + "\n"


def _cell(value: Any, quote: bool = True) -> str:
    text = json.dumps(value, ensure_ascii=False) if quote else str(value)
    return printable(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def as_json(fitted: Fitted) -> dict:
    return {
        "rows": [
            {
                "key": r.key,
                "fields": list(r.fields),
                "status": r.status,
                "team": r.team,
                "chart": r.chart,
                "note": r.note,
            }
            for r in fitted.rows
        ],
        "added": [dotted(k) for k in fitted.added],
    }


def report_files(files: dict[str, str], fitted: Fitted) -> dict[str, str]:
    """The review report with the team layout's table (Markdown) and rows (JSON) added."""
    out = dict(files)
    if "helmify-report.md" in out:
        out["helmify-report.md"] = out["helmify-report.md"] + markdown(fitted)
    if "helmify-report.json" in out:
        data = json.loads(out["helmify-report.json"])
        data["valuesLayout"] = as_json(fitted)
        out["helmify-report.json"] = jsontext.dumps(data) + "\n"
    return out


# ---------------------------------------------------------------- the rule file on disk


def check_rules_out(target: Path | None, layout: Path | None, src: Path, out: Path, inputs: tuple[str, ...]) -> None:
    """--write-rules names an output: never a link, never inside SRC or OUT, never an input."""
    if target is None:
        return
    if layout is None:
        raise UserError("--write-rules needs --values-layout: it writes the rules that wire the team's keys")
    for place in (target, *target.absolute().parents):
        if place.is_symlink():
            raise UserError(
                f"--write-rules {target}: {place} is a symbolic link; give a path that goes through no link"
            )
    if target.exists() and not target.is_file():
        raise UserError(f"--write-rules {target} exists and is not a file; give a file path")
    # Checked now: found only after the chart was written, the run would end half done.
    folder = target.absolute().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(
            f"--write-rules {target}: {folder} is not a folder this run can write in; create it or give another path"
        )
    real = Path(os.path.realpath(target))
    for label, folder in (("SRC", src), ("OUT", out)):
        root = Path(os.path.realpath(folder))
        if root == real or root in real.parents:
            raise UserError(f"--write-rules {target} is inside {label} ({folder}); write the rule file elsewhere")
    for given in (layout, *(Path(i) for i in inputs)):
        if given.exists() and os.path.realpath(given) == str(real):
            raise UserError(f"--write-rules {target} is an input of this run ({given}); give another file")


def write_rules(target: Path, text: str) -> None:
    """Write the rule file whole, never through a link made since the check."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(f"cannot write the rule file {target}: {exc.strerror}; check the path") from None
