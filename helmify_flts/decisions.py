"""Whether and how a field is lifted: a pure decision per hit, applied by :mod:`rewrite`.

A decision reads only the hit (its rule and the field's node): it never touches the values
or the template, so environment planning can ask for one before anything is built, and widen to
the enclosing field where a field is declined.
"""

from __future__ import annotations

import functools
from dataclasses import field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml, templating
from .errors import UserError, Where
from .filenames import HELM_MAX_FILE, FileNames, safe_name
from .match import Automatic, Hit, Mode
from .paths import Found
from .records import record
from .rules import ExistingRule, FieldRule
from .templating import Append, Block, Inline, ItemGuard, OptionalKey
from .transforms import TRANSFORMS
from .values import inexpressible

PLAIN_TAGS = {
    kyaml.STR,
    kyaml.INT,
    kyaml.FLOAT,
    kyaml.BOOL,
    kyaml.NULL,
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
}


@record
class Accept:
    """Lift the field: what values get (``value`` under the hit's key) and the template's action."""

    action: templating.Action
    value: Any
    doc: str  # what the values key is
    origin: str  # where its value came from (the comment's last line in values.yaml)
    source: str  # the field, for messages about a values key two fields hold
    original: Any  # the field's value, for the report
    unset: bool = False  # the chart's default leaves the field out (or adds nothing)
    files: dict[str, str] = field(default_factory=dict)  # chart files the value moved into


@record
class Decline:
    """Leave the field as it is; ``reason`` is said in the report (empty: nothing to say)."""

    reason: str = ""


Decision = Accept | Decline


def liftable(node: Node) -> str | None:
    """Why a value cannot go through values.yaml unchanged, or None if it can."""
    return _liftable(node)[0]


def _liftable(node: Node) -> tuple[str | None, Any]:
    """:func:`liftable`'s answer, and the value the node holds (built once: a decision needs it
    too, and a dashboard's text is long)."""
    if type(node) is ScalarNode and node.tag in PLAIN_TAGS:  # most fields: nothing to walk
        value = kyaml.construct(node)
        return inexpressible(value), value
    stack = [node]
    seen: set[int] = set()  # nodes shared through YAML aliases are looked at once
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ScalarNode):
            if current.tag not in PLAIN_TAGS:
                return f"it has the custom tag {current.tag}", None
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
        else:
            if any(isinstance(k, ScalarNode) and k.value == "<<" for k, _ in current.value):
                return 'Helm\'s toYaml writes a "<<" key unquoted, which YAML reads as a merge', None
            stack.extend(v for pair in current.value for v in pair)
    value = kyaml.construct(node)
    return inexpressible(value), value


def decide(hit: Hit, chart: str, names: FileNames | None = None) -> Decision:
    """Lift ``hit`` (and how) or decline it. ``names`` hands out the paths of files/ that
    file-writing transforms move values into."""
    rule, node, key, res = hit.rule, hit.found.node, hit.key, hit.resource
    line, field_text = res.line_of(hit.found.path, node), hit.field
    source = f"{res.source}:{line} {field_text}"
    ref = templating.ref(key)
    doc = _doc(hit)
    # The comment's last line in values.yaml: where the value came from.
    origin = f"Not set in {res.source} ({res.title}) {field_text}" if node is None else f"From {source}"
    if node is None:
        if not isinstance(hit.found.parent, MappingNode) or not hit.found.parent.value:
            return Decline()
        # Environment-only fields may hold maps in some environment, so they always use toYaml;
        # such a field is left out by a null (a rule's default, say [], would render).
        present = hit.mode is Mode.PRESENT
        default = None if isinstance(rule, ExistingRule) or present else rule.default
        block = isinstance(default, (dict, list)) or present
        action = OptionalKey(ref, _key_of(hit.found), block, present=present or not block)
        return Accept(action, default, doc, f"{origin}; renders nothing until set", source, None, unset=True)
    if hit.mode is Mode.ITEM:
        return Accept(ItemGuard(ref), True, doc, f"{origin}; false leaves the {hit.slot} item out", source, True)
    if hit.mode is Mode.APPEND:
        if not isinstance(node, SequenceNode) or not node.value:
            return Decline()  # an empty list ("env: []") would render as null with nothing added
        return Accept(Append(ref), [], doc, f"{origin}; empty adds nothing", source, [], unset=True)
    reason, original = _liftable(node)
    if reason:
        return Decline(f"{res.title} {field_text} left as is: {reason}")
    if isinstance(rule, ExistingRule):
        # A field naming a resource the user may replace: their name if set, else the original.
        default = templating.quote(original)
        return Accept(
            Inline(f"{{{{ {ref} | default {default} | toJson }}}}"),
            "",
            # Not the name (a generator's carries its content's hash): the switch's own comment,
            # put first, names the object (existing.switch_doc).
            "Name of an existing resource to use instead of the one this field names; empty uses the chart's",
            "",
            source,
            original,
        )
    transform = TRANSFORMS[rule.transform] if rule.transform else None
    where = file_hint(hit, names=names) if transform and transform.writes_files else ""
    lifted = transform.lift(original, where) if transform else None
    if transform and lifted is None and transform.required:
        return Decline()
    action: templating.Action
    value: Any = node
    files: dict[str, str] = {}
    if transform and lifted is not None:
        value = lifted.value
        for path, text in lifted.files.items():
            size = len(text) if text.isascii() else len(text.encode("utf-8"))
            if size > HELM_MAX_FILE:
                raise UserError(
                    f"{hit.resource.title} {hit.field} is {size} bytes, over Helm's limit of 5 MiB "
                    f"for one chart file ({path}); shorten it, or keep it out of the chart "
                    "(--exclude)",
                    Where(hit.resource.source, hit.resource.line_of(hit.found.path, node)),
                )
        files = dict(lifted.files)
        action = Inline(transform.expression(chart, ref))
    elif hit.mode is Mode.PRESENT:
        action = OptionalKey(ref, _key_of(hit.found), True, present=True)
    elif hit.mode is Mode.OPTIONAL and original and isinstance(original, (dict, list)):
        action = OptionalKey(ref, _key_of(hit.found), True)
    elif hit.mode is Mode.OPTIONAL and original is not None and not isinstance(original, (dict, list)):
        # Scalars render whenever set, so 0, false and "" (scale to zero) still reach the manifest.
        action = OptionalKey(ref, _key_of(hit.found), False, present=True)
    elif isinstance(node, ScalarNode):
        action = Inline(f"{{{{ {ref} | toJson }}}}")
    else:
        action = Block(ref)
    return Accept(action, value, doc, origin, source, original, files=files)


def file_hint(hit: Hit, env: str | None = None, base: str | None = None, names: FileNames | None = None) -> str:
    """Where a value moved into files/ lives, below files/: ``resource-name/key``, each part
    made safe and the whole unique among ``names``; an environment's copy goes to
    ``env/`` + the place of the base's file (``base``, a path under files/)."""
    if env is not None and isinstance(base, str) and base.startswith("files/"):
        return f"{safe_name(env)}/{base[len('files/') :]}"
    parts = ("files",) + ((env,) if env is not None else ()) + (hit.resource.key_name, str(hit.found.key))
    # Named by key_name, not the name: a generated object's hash must not reach the path either
    # (it picks the tag a clashing path gets).
    ident = hit.resource.identity[:3] + (hit.resource.key_name,)
    owner = f"{env or ''}|{ident}|{hit.field}"
    return (names or FileNames()).claim(parts, owner)[len("files/") :]


def _doc(hit: Hit) -> str:
    rule = hit.rule
    if isinstance(rule, Automatic):
        text = rule.doc_for(hit.mode)
    elif isinstance(rule, FieldRule) and rule.doc:
        text = rule.doc
    else:
        text = rule.description.strip().splitlines()[0]
    if "{" not in text:  # nothing to fill in (most docs)
        return text
    bindings = dict(hit.found.bindings)
    for name, value in bindings.items():
        text = text.replace("{" + name + "}", value)
    return text.replace("{name}", hit.resource.name).replace("{kind}", hit.resource.kind)


def _key_of(found: Found) -> str:
    """The key an optional field's guard writes, as Kubernetes reads the source's key: the guard
    writes the key anew, so a plain ``yes:`` (the key "true" to Kubernetes) must not become the
    text "yes"."""
    if found.node is not None and isinstance(found.parent, MappingNode):
        for k, v in found.parent.value:
            if v is found.node and isinstance(k, ScalarNode) and not k.style and k.tag != kyaml.STR:
                return _key_text(kyaml.json_key(kyaml.construct(k)))
    return _key_text(found.key)


@functools.lru_cache(maxsize=4096)  # a few keys (resources, limits, env) make most optional fields
def _key_text(key: str | int) -> str:
    return kyaml.scalar_text(kyaml.represent(str(key)))
