"""The whole conversion as one pure function: manifests + rules -> chart files (path -> text)."""

from __future__ import annotations

import re
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import (
    __version__,
    components,
    existing,
    heldvalues,
    kyaml,
    manifests,
    match,
    plan,
    rewrite,
    rules,
    schema,
    scopes,
)
from .errors import Notice, UserError, Where
from .filenames import check_sizes
from .records import record
from .templating import all_of, any_of, joined, one_line, ref
from .transforms import TRANSFORMS
from .values import dotted
from .values import dump as dump_values

if TYPE_CHECKING:
    from . import environments, kustomize, refactorings

# The refactorings (a package of about twenty modules) are imported only when a rule file asks
# for one, kustomize only when a folder is read, and environments only with --env: a plain
# convert does not load them.

HELMIGNORE = """\
# Patterns to ignore when packaging the chart (helm package).
.DS_Store
.git/
.gitignore
.bzr/
.bzrignore
.hg/
.hgignore
.svn/
*.swp
*.bak
*.tmp
*.orig
*~
.project
.idea/
*.tmproj
.vscode/
# Review files written by helmify-flts: for people and CI, not for the cluster.
helmify-report.md
helmify-report.json
.helmify-state.json
"""


@record
class Options:
    """What to convert and how; decided once from the command line."""

    src: Path
    chart_name: str
    rule_files: tuple[str, ...] = ()
    default_rules: bool = True
    exclude: tuple[str, ...] = ()
    skip: Path | None = None
    envs: tuple[tuple[str, Path], ...] = ()
    rule_texts: tuple[tuple[Path, str], ...] = ()  # rule files made in memory (--values-layout)
    progress: manifests.Progress | None = field(default=None, compare=False)
    raw: bool = False  # read kustomization folders file by file instead of building them
    # How folders are read (kustomize.Sources): the CLI starts the builds before it loads this
    # module. One per run, shared by every build() of it (--values-layout builds twice).
    sources: Any = field(default=None, compare=False)


@record(eq=False)
class Result:
    files: dict[str, str]
    conversion: rewrite.Conversion
    loaded: manifests.LoadResult
    ruleset: rules.RuleSet
    notices: tuple[Notice, ...]
    conversion_chart_name: str
    environments: dict[str, manifests.LoadResult] = field(default_factory=dict)
    overrides: dict[str, list[environments.Override]] = field(default_factory=dict)
    resources: tuple[manifests.Resource, ...] = ()
    component_reasons: dict[manifests.Resource, str] = field(default_factory=dict)
    # What the refactorings declare, per folder ("" the base, else the environment's name), and
    # the release and namespace the proof renders with.
    declared: dict[str, refactorings.Declared] = field(default_factory=dict)
    proof_release: str = "release"
    proof_namespace: str = "default"
    # Each resource (base and environments) as the plain object Kubernetes sees, made once for
    # the proof and the report, which only read it. Keyed by node: an environment's own resource
    # is listed again under another source name.
    plain: dict[Any, Any] = field(default_factory=dict, repr=False)
    # Values keys the refactorings add (a Service's clusterIP, a wait-for image), with their
    # comments: no lifted field reads them, so the report lists them apart.
    added_values: tuple[tuple[tuple[str, ...], str], ...] = ()

    def plain_of(self, res: manifests.Resource) -> Any:
        """``kyaml.construct(res.node)``, made once per run: do not change what it returns."""
        return _plain_of(self.plain, res)

    def source_objects(self, loaded: manifests.LoadResult) -> dict[tuple, Any]:
        """What render.source_objects gives for ``loaded``, from the objects made once."""
        return {res.identity: self.plain_of(res) for res in loaded.resources}


def _switched(changes: refactorings.TemplateChanges, conv: rewrite.Conversion) -> tuple:
    """What each refactoring switch adds when on, with the template file that renders it."""
    template_of = {
        res.identity: conv.moved.get(res, f"templates/{file}.yaml")
        for file, members in conv.components.items()
        for res in members
    }
    return tuple(
        replace(s, template=s.template or template_of[s.source], source=None)
        for s in changes.switched
        if s.template or s.source in template_of
    )


def chart_name_for(out: Path) -> str:
    """A DNS-safe chart name from the output folder (its parent's for generic names like .helm)."""
    resolved = out.resolve()
    for candidate in (resolved.name, resolved.parent.name):
        name = dns_safe(candidate)
        if name and name not in {"helm", "chart", "charts", "deploy"}:
            return name
    return dns_safe(resolved.name) or "chart"


def dns_safe(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)[:53].strip("-")
    return name if name and name[0].isalpha() else (f"chart-{name}" if name else "")


def build(opts: Options) -> Result:
    """Convert a manifest folder (and environment folders) into chart files held in memory."""
    heldvalues.for_build()  # the Secrets' values it hides are this build's, or its command's
    ruleset = rules.load_rules(opts.rule_files, defaults=opts.default_rules, texts=opts.rule_texts)
    refactor = bool(ruleset.refactor_rules)
    if refactor:
        from .refactorings import combine

        combine.check(ruleset.refactor_rules)  # refactorings that do not work together stop here
    sources = opts.sources
    if sources is None:
        from . import kustomize

        sources = kustomize.Sources(raw=opts.raw)
    sources.start([opts.src, *(path for _, path in opts.envs)])  # kustomizations build side by side
    loaded = sources.load(opts.src, opts.exclude, opts.skip, opts.progress)
    env_loaded = {name: _load_env(name, path, opts, sources) for name, path in opts.envs}
    if not loaded.resources:
        reasons = "".join(f"\n  {n}" for n in loaded.notices[:5])
        raise UserError(
            f"no Kubernetes resources found in {opts.src} ({len(loaded.files)} YAML/JSON files read, "
            f"{len(loaded.notices)} documents skipped); give the folder that holds your "
            f"manifests{reasons}"
        )
    resources, present = _union(loaded, env_loaded)
    why: dict[manifests.Resource, str] = {}
    assigned = components.assign(resources, ruleset, why)
    bases = components.bases(assigned, ruleset.reserved_keys())
    hits, rule_notices = match.find_hits(resources, assigned, bases, ruleset)
    rule_notices += [
        Notice(f"component rule {rule.id!r} matched nothing", rule.where, code="unused-rule")
        for rule in ruleset.component_rules + ruleset.existing_rules
        if not rule.builtin and not any(components.matches(rule.match, res) for res in resources)
    ]
    ref_hits, existing_guards = existing.plan_existing(resources, assigned, bases, ruleset)
    merged = match.merge(hits, ref_hits)
    grouped = plan.by_resource(resources, merged)
    inside = existing.renames_inside(ref_hits, merged)
    plans = tuple(
        plan.ResourcePlan(
            res,
            assigned[res],
            bases[res],
            frozenset(present[res]),
            grouped[res],
            existing=existing_guards.get(res),
            edits=inside.get(res, ()),
        )
        for res in resources
    )
    # The release and namespace the proof renders with (and refactorings plan for).
    release, namespace = "release", main_namespace(loaded.resources)
    # Plain objects made once, read by environment planning, the proof and the report (the
    # refactorings get their own in ctx: they may change theirs).
    plain: dict[Any, Any] = {}
    ctx = _context(plans, release, namespace, opts.chart_name, env_loaded, plain) if refactor else None
    envs, provided = [], {}
    if env_loaded:
        from . import credentials, environments
    for name, el in env_loaded.items():  # credentials an environment reads from Secrets of its own
        objects, provided[name] = {r.identity: _plain_of(plain, r) for r in el.resources}, ()
        built = objects
        if ctx is not None:
            from .refactorings.cluster_ip import same_as_base as same_cluster_ips
            from .refactorings.provided import secrets as provided_secrets

            objects, provided[name] = provided_secrets(ruleset.refactor_rules, objects, ctx)
            objects = same_cluster_ips(ruleset.refactor_rules, objects, ctx)
        envs.append(environments.Environment(name, objects, built))
    unrenamed: list[environments.Unrenamed] = []
    read_paths: dict = {}  # the hits' paths as read, the same for every environment of this build
    if envs:
        plans, unrenamed = _plan_environments(plans, envs, opts.chart_name, plain, read_paths)
    changes = _NoChanges()
    if ctx is not None:
        from . import refactorings

        plans, changes = refactorings.plan(plans, ruleset.refactor_rules, ctx)
    if unrenamed:
        # A reference the switch's default does not reach that release-names makes follow it.
        rule_notices += environments.unrenamed_notices(unrenamed, changes.switched_refs)
    conv = rewrite.build_templates(plans, opts.chart_name, tuple(dict(opts.envs)))
    for key, value, doc in changes.values:
        conv.values.put(key, value, doc, "")
    files: dict[str, str] = {
        "Chart.yaml": chart_yaml(opts.chart_name, opts.src),
        ".helmignore": HELMIGNORE,
        "values.yaml": dump_values(conv.values, values_header(opts.chart_name, opts.src)),
        "templates/_helpers.tpl": helpers(opts.chart_name),
        "templates/NOTES.txt": notes(conv, rendered_titles(changes.edits) if ctx is not None else {}),
    }
    files.update(conv.templates)
    files.update(conv.files)
    files.update(changes.files)
    if changes.notes:
        files["templates/NOTES.txt"] += "\n".join(changes.notes) + "\n"
    # Each said once: an overlay that moves the objects to a namespace of its own gives each a
    # copy in the objects the rules see, whose findings read the same as the base's.
    rule_notices += [Notice(text, code="refactoring") for text in dict.fromkeys(changes.warnings)]
    if ctx is not None:
        rule_notices += _unread_lifts(conv, ruleset)
    declared: dict[str, refactorings.Declared] = {}  # without refactorings, what the sources are
    if ctx is not None:  # what verify proves the chart against; none without refactorings
        from . import refactorings
        from .refactorings import record as declarations

        # The lifts the template was made with: a declaration must not move what values hold whole.
        ctx = replace(ctx, lifted=refactorings.lifted_fields(plans))
        declared = refactorings.declare_all(ruleset.refactor_rules, loaded, env_loaded, ctx)
        files[declarations.FILE] = declarations.dumps(ctx.release, ctx.namespace, declared, _switched(changes, conv))
        files[".helmignore"] += declarations.FILE + "\n"
    overrides = {}
    overlays: list = []
    for env in envs:
        values, overrides[env.name], env_files = environments.overlay(
            env.name, env, plans, conv.values, conv.files, read_paths
        )
        for item in provided[env.name]:
            leaf = conv.values.get(item.key)
            values.put(item.key, item.secret, getattr(leaf, "doc", ""), "")
        files.update(env_files)
        header = env_header(opts.chart_name, env.name, dict(opts.envs)[env.name])
        files[f"values-{env.name}.yaml"] = dump_values(values, header)
        rule_notices += credentials.notices(
            env.name, overrides[env.name], existing_guards, assigned, env_loaded[env.name].resources
        )
        overlays.append(values)
    # Typed after the overlays, which must pass it too (an environment may hold text where the
    # base holds a number).
    files["values.schema.json"] = schema.for_values(conv.values, conv.lifts, overlays) + "\n"
    check_sizes(files)
    notices = (
        tuple(loaded.notices)
        + tuple(Notice(f"[{name}] {n.message}", n.where, n.code) for name, el in env_loaded.items() for n in el.notices)
        + tuple(rule_notices)
        + tuple(conv.notices)
    )
    return Result(
        dict(sorted(files.items())),
        conv,
        loaded,
        ruleset,
        notices,
        opts.chart_name,
        env_loaded,
        overrides,
        resources,
        why,
        declared,
        release,
        namespace,
        plain,
        tuple(dict.fromkeys((tuple(key), doc) for key, _, doc in changes.values)),
    )


def _unread_lifts(conv: rewrite.Conversion, ruleset: rules.RuleSet) -> list[Notice]:
    """Fields a rule lifted that a refactoring then replaced (a user's rule lifting the
    ``spec.clusterIP`` that cluster-ip leaves out): no template reads the key, and a user who
    sets it would see nothing change. Said with the rule's file and line."""
    from .templating import ref

    text = "\n".join(conv.templates.values())
    where = {rule.id: rule.where for rule in ruleset.field_rules}
    out, seen = [], set()
    for lift in conv.lifts:
        key = ref(lift.key)
        if lift.key in seen or _mentions(text, key):
            continue
        seen.add(lift.key)
        res = lift.resource
        out.append(
            Notice(
                f"rule {lift.rule!r} lifts {lift.field} of {res.kind}/{res.name} into {dotted(lift.key)}, but a "
                "refactoring replaces that field, so no template reads the key and setting it changes nothing; "
                "leave the rule out, or use the key the refactoring documents in values.yaml",
                where.get(lift.rule),
                code="unread-key",
            )
        )
    return out


def _mentions(text: str, ref: str) -> bool:
    r"""Whether ``text`` holds ``ref`` not followed by a word character or "-" (which would make
    it another key's reference): what ``re.search(re.escape(ref) + r"(?![\w-])")`` says, without
    compiling a pattern per lifted key (hundreds under the production pack)."""
    at = text.find(ref)
    while at >= 0:
        end = at + len(ref)
        if end == len(text) or not (text[end].isalnum() or text[end] in "_-"):
            return True
        at = text.find(ref, at + 1)
    return False


def main_namespace(resources: tuple[manifests.Resource, ...]) -> str:
    """The folder's main namespace: the one most of its namespaced resources name (the first in
    name order on a tie), else ``default``."""
    counts: dict[str, int] = {}
    for res in resources:
        if res.namespace:
            counts[res.namespace] = counts.get(res.namespace, 0) + 1
    return min(counts, key=lambda ns: (-counts[ns], ns)) if counts else "default"


class _NoChanges:
    """What refactorings.TemplateChanges holds when no rule asks for a refactoring: nothing."""

    values: tuple = ()
    files: dict = {}  # noqa: RUF012 - never written: read by files.update only
    notes: tuple = ()
    warnings: tuple = ()
    switched_refs: frozenset = frozenset()


def _context(
    plans: tuple[plan.ResourcePlan, ...],
    release: str,
    namespace: str,
    chart_name: str,
    env_loaded: dict[str, manifests.LoadResult],
    plain: dict[Any, Any],
) -> Any:
    """What refactorings may depend on besides the objects (refactorings.Context)."""
    from . import refactorings

    return refactorings.Context(
        release,
        namespace,
        chart_name,
        components={p.resource.identity: p.component.dotted for p in plans},
        component_keys={p.resource.identity: p.component.key for p in plans},
        bases={p.resource.identity: p.base for p in plans},
        objects={p.resource.identity: kyaml.construct(p.resource.node) for p in plans},
        # The template half only reads them: the objects made once are shared.
        folders=tuple({r.identity: _plain_of(plain, r) for r in el.resources} for el in env_loaded.values()),
        folder_names=tuple(env_loaded),
        key_names={p.resource.identity: p.resource.key_name for p in plans if p.resource.stem},
        presence={p.resource.identity: p.presence for p in plans},
        env_only=frozenset(p.resource.identity for p in plans if plan.BASE not in p.presence),
    )


def _plain_of(made: dict[Any, Any], res: manifests.Resource) -> Any:
    found = made.get(res.node)
    if found is None:
        found = made[res.node] = kyaml.construct(res.node)
    return found


def _load_env(name: str, path: Path, opts: Options, sources: kustomize.Sources) -> manifests.LoadResult:
    """An environment folder; its errors name files by their path from that folder."""
    try:
        return sources.load(path, opts.exclude, opts.skip, opts.progress)
    except UserError as exc:
        folder = path.as_posix().rstrip("/")
        raise UserError.all_of(
            [
                UserError(f"[{name}] {e.message}", e.where and Where(f"{folder}/{e.where.file}", e.where.line))
                for e in (exc, *exc.more)
            ]
        ) from None


def _plan_environments(
    plans: tuple[plan.ResourcePlan, ...],
    envs: list[environments.Environment],
    chart_name: str,
    plain: dict,
    read_paths: dict,
) -> tuple[tuple[plan.ResourcePlan, ...], list[environments.Unrenamed]]:
    """Cover every difference between environments: the plans to convert with, and the references
    a switch (existingSecret) does not rename.

    Only lifts the base conversion really makes count as covering a field (a rule may decline a
    value that Helm cannot carry, or a key another field holds); where an automatic lift would be
    declined too, the field around it is lifted whole instead."""
    from . import environments

    reference = {p.resource: _plain_of(plain, p.resource) for p in plans}
    base = rewrite.lifted_values(plans, chart_name, tuple(e.name for e in envs))
    lifted = {(lift.resource, lift.path) for lift in base.lifts}
    plans = tuple(replace(p, hits=tuple(h for h in p.hits if (h.resource, h.found.path) in lifted)) for p in plans)
    taken = {path for path, _ in base.values.leaves()}
    env_plan = environments.plan_overlays(plans, reference, envs, taken, chart_name, read_paths)
    return tuple(env_plan.plans), env_plan.unrenamed


def _union(loaded: manifests.LoadResult, env_loaded: dict[str, manifests.LoadResult]):  # noqa: ANN202
    """Base resources, then resources only some environments have; who has which."""
    resources = list(loaded.resources)
    present = {r: {"(base)"} for r in resources}
    by_id = {r.identity: r for r in resources}
    for name, el in env_loaded.items():
        for res in el.resources:
            if res.identity not in by_id:
                # Named with its environment: the base folder has no file of that name and line.
                res = replace(res, source=f"[{name}] {res.source}")
                by_id[res.identity] = res
                resources.append(res)
                present[res] = set()
            present[by_id[res.identity]].add(name)
    return _distinct_stems(resources, present, list(env_loaded)), present


def _distinct_stems(resources: list[manifests.Resource], present: dict, env_names: list[str]) -> tuple:
    """An environment whose generator makes other content makes another object with the same
    stem (``web-config``): the base's object keeps the stem, the environment's own gets the names
    of the environments that have it (``web-config-prod``), so keys stay apart and stay put when
    the content changes again. ``present`` follows the objects that are replaced."""
    taken = {(r.kind, r.namespace, r.key_name) for r in resources if "(base)" in present[r]}
    out = []
    for res in resources:
        if "(base)" not in present[res] and (res.kind, res.namespace, res.key_name) in taken:
            stem = "-".join([res.key_name, *(e for e in env_names if e in present[res])])
            new = replace(res, stem=stem if (res.kind, res.namespace, stem) not in taken else None)
            present[new] = present.pop(res)
            res = new
        taken.add((res.kind, res.namespace, res.key_name))
        out.append(res)
    return tuple(out)


def env_header(name: str, env: str, path: Path) -> str:
    return (
        f"Values for the {env} environment of the {name} chart, generated by helmify-flts from {path.name or path}.\n"
        "Only what differs from values.yaml is here; with it the chart renders exactly that folder's manifests.\n"
        f"helm upgrade --install RELEASE CHART -f values-{env}.yaml"
    )


def chart_yaml(name: str, src: Path) -> str:
    doc = {
        "apiVersion": "v2",
        "name": name,
        "description": f"Helm chart generated by helmify-flts from the manifests in {src.name or src}",
        "type": "application",
        "version": "0.1.0",
        "appVersion": "1.0.0",
        "annotations": {"helmify-flts/version": __version__},
    }
    node = kyaml.represent(doc)
    for key, value in node.value:
        if key.value == "appVersion":
            value.style = '"'
    return kyaml.serialize(node)


def values_header(name: str, src: Path) -> str:
    return (
        f"Default values for the {name} chart, generated by helmify-flts from {src.name or src}.\n"
        "With these defaults the chart renders exactly the source manifests.\n"
        "Override per environment with -f values-<env>.yaml; every key says where it came from."
    )


def helpers(name: str) -> str:
    parts = [
        f'''{{{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}}}
{{{{- define "{name}.name" -}}}}
{{{{- .Chart.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}}}
{{{{- define "{name}.chart" -}}}}
{{{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}
'''
    ]
    for transform in TRANSFORMS.values():
        if transform.helper:
            parts.append(transform.helper.replace("CHART.", f"{name}."))
    return "\n".join(parts) + "\n"


def notes(conv: rewrite.Conversion, titles: dict[tuple, str] | None = None) -> str:
    """NOTES.txt: each component that renders, with each of its resources under the same
    conditions as its template (environment switches, existingSecret). ``titles`` are the
    resources a refactoring renders under other names (rendered_titles), as template text."""
    titles = titles or {}
    lines = [
        "{{ .Chart.Name }} is installed as release {{ .Release.Name }} in namespace {{ .Release.Namespace }}.",
        "",
        "Components rendered:",
    ]
    for file, comp in sorted(conv.component_of_file.items()):
        items = [
            (titles.get(r.identity) or one_line(r.title), all_of(conv.conditions[r]) if r in conv.conditions else None)
            for r in conv.components[file]
        ]
        enabled = ref(comp.key + ("enabled",))
        if all(cond is not None for _, cond in items):
            enabled = all_of([enabled, any_of([cond for _, cond in items])])
            if len({cond for _, cond in items}) == 1:  # the component's condition says it for each
                items = [(text, None) for text, _ in items]
        lines += [
            f"{{{{- if {enabled} }}}}",
            f"  - {one_line(comp.dotted)}: {joined(items, escaped=True)}",
            "{{- end }}",
        ]
    return "\n".join(lines) + "\n"


def rendered_titles(edits: dict[tuple, list]) -> dict[tuple, str]:
    """``Kind/namespace/name`` as template text for each resource whose name or namespace a
    refactoring renders with a template expression (release-names, release-namespace), spelled
    with the same expressions as its template, so that NOTES.txt names the objects a release has."""
    from .refactorings.notes import rendered

    out = {}
    for ident, changes in edits.items():
        parts = rendered(changes)
        if parts:
            group, kind, namespace, name = ident
            scoped = not scopes.NONE.is_cluster(group, kind) and (namespace or "namespace" in parts)
            ns = parts.get("namespace", one_line(namespace)) + "/" if scoped else ""
            out[ident] = f"{one_line(kind)}/{ns}{parts.get('name', one_line(name))}"
    return out
