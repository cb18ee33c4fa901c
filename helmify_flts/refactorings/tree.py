"""The template half's edits applied to a resource's template tree (YAML nodes with placeholders)."""

from __future__ import annotations

import re
from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import kyaml
from ..records import record
from ..templating import Append, Block, Inline, ItemGuard, OptionalKey, Placeholders, quote
from .base import Drop, Expr, MergeInto, Named, Put, PutUnless, Rename, RenameHosts, Replace, TreeEdit


@record
class OnAdded:
    """Edits of an object that an earlier edit split off this resource (``kind``/``name``: its
    name when split off), made by a later rule that edits every object (labels, names)."""

    kind: str
    name: str
    edits: tuple

    @property
    def origin(self) -> tuple[str, str]:
        return self.kind, self.name


def _origin(doc: Node) -> tuple[str | None, str | None]:
    meta = _reach(doc, ("metadata",), create=False)
    kind, name = _reach_scalar(doc, "kind"), _reach_scalar(meta, "name") if meta is not None else None
    return kind, name


def _reach_scalar(node: Node | None, key: str) -> str | None:
    if not isinstance(node, MappingNode):
        return None
    found = next((v for k, v in node.value if _is(k, key)), None)
    return found.value if isinstance(found, ScalarNode) else None


def _real(seq: SequenceNode, marks: Placeholders | None) -> list[int]:
    """Positions of a list's items as the object has them: the lines that open or close an item
    rendered under a condition, and the items values may add (extraEnv), are no items of it."""
    if marks is None:
        return list(range(len(seq.value)))
    return [
        i
        for i, n in enumerate(seq.value)
        if not (isinstance(n, ScalarNode) and isinstance(marks.actions.get(n.value), (ItemGuard, Append)))
    ]


def _at(seq: SequenceNode, index: int | Named, marks: Placeholders | None) -> int | None:
    """Where the object's item ``index`` (or the item of that name) sits among the list's nodes."""
    if isinstance(index, Named):
        return next((i for i, item in enumerate(seq.value) if _reach_scalar(item, "name") == index.name), None)
    real = _real(seq, marks)
    return real[index] if 0 <= index < len(real) else None


def apply_edits(tree: Node, edits: list[TreeEdit], marks: Placeholders) -> list[tuple[Node, str | None, str | None]]:
    """Apply ``edits`` in order; a pointer that does not reach a field leaves the tree as it is
    (the proof then names what the declaration expected). Returns the documents edits split off
    the resource (a ConfigMap made of its env values, say), each with the Go condition it
    renders under (None: always) and the template file of its own it goes to (None: it follows
    the resource in the same template)."""
    extra: list[tuple[Node, str | None, str | None]] = []
    origins: list[tuple[str | None, str | None]] = []  # each split-off document's kind and first name
    for edit in edits:
        if isinstance(edit, OnAdded):
            split = [doc for (doc, _, _), origin in zip(extra, origins, strict=True) if origin == edit.origin]
            more = [apply_edits(doc, list(edit.edits), marks) for doc in split]
            extra += [d for docs in more for d in docs]
            origins += [_origin(doc) for docs in more for doc, _, _ in docs]
            continue
        if hasattr(edit, "apply"):  # an edit that works on the tree itself (refactorings.extract)
            made = edit.apply(tree, marks)
            extra += [(doc, condition, getattr(edit, "own_file", None)) for doc, condition in made]
            # an edit that names its document by an expression (release-names first) gives its name
            origins += [getattr(edit, "origin", None) or _origin(doc) for doc, _ in made]
            continue
        if isinstance(edit, Put):
            parent = _reach(tree, edit.pointer[:-1], create=True, marks=marks)
            if parent is not None:
                _set(parent, edit.pointer[-1], _node(edit.value, marks), marks)
        elif isinstance(edit, Drop):
            parent = _reach(tree, edit.pointer[:-1], create=False, marks=marks)
            last = edit.pointer[-1]
            at = (
                _at(parent, last, marks)
                if isinstance(parent, SequenceNode) and isinstance(last, (int, Named))
                else None
            )
            if isinstance(parent, MappingNode):
                parent.value = [(k, v) for k, v in parent.value if not _is(k, last)]
            elif at is not None:
                del parent.value[at]
        elif isinstance(edit, Replace):
            parent = _reach(tree, edit.pointer[:-1], create=False, marks=marks)
            if parent is not None:
                _replace(parent, edit, marks)
        elif isinstance(edit, (Rename, RenameHosts)):
            parent = _reach(tree, edit.pointer[:-1], create=False, marks=marks)
            if isinstance(parent, (MappingNode, SequenceNode)):
                _rename(parent, edit, marks)
            else:
                _rename_in_block(tree, edit, marks)
        elif isinstance(edit, MergeInto):
            _merge_into(tree, edit, marks)
        elif isinstance(edit, PutUnless):
            parent = _reach(tree, edit.pointer[:-1], create=False, marks=marks)
            if isinstance(parent, MappingNode):
                _guard_key(parent, edit.pointer[-1], edit.condition, marks)
    return extra


def _node(value: object, marks: Placeholders) -> Node:
    if isinstance(value, Expr):
        return ScalarNode(kyaml.STR, marks.new(Inline(f"{{{{ {value.text} }}}}")), style=None)
    if isinstance(value, dict):  # a mapping that may hold expressions
        pairs = [(kyaml.represent(str(k)), _node(v, marks)) for k, v in value.items()]
        return MappingNode(kyaml.MAP, pairs, flow_style=False)
    return kyaml.represent(value)


def _is(key: Node, name: str | int) -> bool:
    return isinstance(key, ScalarNode) and key.value == name


def _reach(tree: Node, pointer: tuple[str | int, ...], create: bool, marks: Placeholders | None = None) -> Node | None:
    """The node at ``pointer``; with ``marks``, a list index counts the object's items only."""
    node: Node | None = tree
    for part in pointer:
        if isinstance(node, SequenceNode) and isinstance(part, (int, Named)):
            at = _at(node, part, marks)
            node = node.value[at] if at is not None else None
        elif isinstance(node, MappingNode):
            found = next((v for k, v in node.value if _is(k, part)), None)
            if (found is None or (isinstance(found, ScalarNode) and found.tag == kyaml.NULL)) and create:
                new = MappingNode(kyaml.MAP, [], flow_style=False)
                _set(node, part, new)
                found = new
            node = found
        else:
            return None
        if node is None:
            return None
    if isinstance(node, (MappingNode, SequenceNode)):
        node.flow_style = False  # placeholders need lines of their own
    return node


def _set(mapping: Node, key: str | int, value: Node, marks: Placeholders | None = None) -> None:
    """Set a mapping's key, or a list's item (``-``: a new item at the end, as in JSON Patch)."""
    if isinstance(mapping, SequenceNode):
        mapping.flow_style = False
        at = _at(mapping, key, marks) if isinstance(key, (int, Named)) else None
        if key == "-":
            mapping.value.append(value)
        elif at is not None:
            mapping.value[at] = value
        return
    if not isinstance(mapping, MappingNode):
        return
    mapping.flow_style = False
    for i, (k, _) in enumerate(mapping.value):
        if _is(k, key):
            mapping.value[i] = (k, value)
            return
    mapping.value.append((kyaml.represent(str(key)), value))


def _guard_key(mapping: MappingNode, key: str | int, condition: str, marks: Placeholders, shown: str = "") -> None:
    """Surround one key with ``if not (condition)`` ... ``end`` lines (placeholder keys), or
    ``if shown`` where that is given."""

    def named(k: Node) -> bool:  # the key itself, or the placeholder of a key rendered only when set
        action = marks.actions.get(k.value) if isinstance(k, ScalarNode) else None
        return _is(k, key) or isinstance(action, OptionalKey) and action.key_text == key

    at = next((i for i, (k, _) in enumerate(mapping.value) if named(k)), None)
    if at is None:
        return
    # Two null nodes, not one: a node written twice would be emitted as an anchor and an alias.
    close = (ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), ScalarNode(kyaml.NULL, "null"))
    mapping.value.insert(at + 1, close)
    opening = ScalarNode(kyaml.STR, marks.new(ItemGuard(shown or f"not ({condition})")))
    mapping.value.insert(at, (opening, ScalarNode(kyaml.NULL, "null")))


_TO_JSON = re.compile(r"\{\{ (?P<value>.*) \| toJson \}\}", re.S)


def _scalar_at(parent: Node, last: str | int, marks: Placeholders | None = None) -> ScalarNode | None:
    """The scalar at ``last`` of a mapping or sequence, if there is one."""
    at = _at(parent, last, marks) if isinstance(parent, SequenceNode) and isinstance(last, (int, Named)) else None
    if at is not None:
        node = parent.value[at]
    elif isinstance(parent, MappingNode):
        node = next((v for k, v in parent.value if _is(k, last)), None)
    else:
        return None
    return node if isinstance(node, ScalarNode) else None


def _pipe(parent: Node, last: str | int, node: ScalarNode, marks: Placeholders, wrap: Callable[[str], str]) -> None:
    """Print the text at ``last`` through ``wrap`` (a Go expression around the text's): a lifted
    value (its action prints ``X | toJson``) keeps reading its values key or file; a literal
    becomes a quoted string."""
    action = marks.actions.get(node.value)
    if isinstance(action, Inline):
        m = _TO_JSON.fullmatch(action.expression)
        if m:
            marks.actions[node.value] = Inline(f"{{{{ {wrap(m.group('value'))} | toJson }}}}")
        return
    if node.tag != kyaml.STR or node.value in marks.actions:
        return
    _set(parent, last, _node(Expr(f"{wrap(quote(node.value))} | toJson"), marks), marks)


def _replace(parent: Node, edit: Replace, marks: Placeholders) -> None:
    """Pipe the value at the pointer through ``replace``."""
    node = _scalar_at(parent, edit.pointer[-1], marks)
    if node is not None:
        step = f"replace {quote(edit.old)} ({edit.new})"
        _pipe(parent, edit.pointer[-1], node, marks, lambda value: f"{value} | {step}")


def _merge_into(tree: Node, edit: MergeInto, marks: Placeholders) -> None:
    parent = _reach(tree, edit.pointer[:-1], create=True, marks=marks)
    if not isinstance(parent, MappingNode):
        return
    last = edit.pointer[-1]
    for k, _ in parent.value:
        action = marks.actions.get(k.value) if isinstance(k, ScalarNode) else None
        if isinstance(action, OptionalKey) and action.key_text == last and action.block and not action.present:
            groups: dict[str, list[tuple[str, Expr]]] = {}  # entries by the condition they render under
            for (key, expr), when in zip(edit.entries, edit.when or ("",) * len(edit.entries), strict=True):
                groups.setdefault(_shown(edit.unless, when), []).append((key, expr))
            added = []
            for shown, entries in groups.items():
                pairs = " ".join(f"{quote(key)} ({expr.text})" for key, expr in entries)
                added.append(f"(ternary (dict {pairs}) (dict) ({shown}))" if shown else f"(dict {pairs})")
            merged = f"(merge {' '.join(added)} ({action.ref} | default dict))"
            marks.actions[k.value] = OptionalKey(merged, action.key_text, action.block)
            return
    for (key, expr), when in zip(edit.entries, edit.when or ("",) * len(edit.entries), strict=True):
        target = _reach(tree, edit.pointer, create=True, marks=marks)
        if target is not None:
            _set(target, key, _node(expr, marks))
            shown = _shown(edit.unless, when)
            if shown and isinstance(target, MappingNode):
                _guard_key(target, key, edit.unless, marks, shown)


def _shown(unless: str, when: str) -> str:
    """The Go condition under which an entry of a merge renders ("" for always)."""
    if unless and when:
        return f"and ({when}) (not ({unless}))"
    return f"not ({unless})" if unless else when


def _rename(parent: Node, edit: Rename | RenameHosts, marks: Placeholders) -> None:
    last = edit.pointer[-1]
    node = _scalar_at(parent, last, marks)
    if node is None:
        if isinstance(parent, MappingNode) and isinstance(edit, RenameHosts):
            _rename_optional(parent, edit, marks)
        return
    if isinstance(edit, Rename):
        action = marks.actions.get(node.value)
        old = f"default {quote(edit.old)} "
        if isinstance(action, Inline) and old in action.expression:
            # ``key | default "old"``: the user's name, else the new one
            marks.actions[node.value] = Inline(action.expression.replace(old, f"default ({edit.new}) "))
        elif isinstance(action, Inline):
            # Read whole from values (it differs between environments): the name it holds, renamed
            # where it names one of the objects renamed.
            _pipe(parent, last, node, marks, lambda value: _renamed_name(value, edit))
        elif node.value == edit.old and node.tag == kyaml.STR:
            _set(parent, last, _node(Expr(f"{edit.new} | quote"), marks), marks)
        return

    def hosts(value: str) -> str:
        if edit.base64:
            value = f"b64dec ({value})"
        for pattern, new in edit.forms:
            value = f'regexReplaceAll {quote(pattern)} ({value}) (print "${{1}}" ({new}) "${{2}}")'
        return f"{value} | b64enc" if edit.base64 else value

    _pipe(parent, last, node, marks, hosts)


def _renamed_name(value: str, edit: Rename) -> str:
    """The Go expression that prints the name ``value`` prints, or the new name of the renamed
    object it names (``edit.old`` or one of ``edit.also``), or the Secret the user named in that
    object's existingSecret switch; any other name, such as one of a Secret the user manages,
    stays as it is."""
    pairs = " ".join(f"{quote(old)} ({new})" for old, new in _new_names(edit))
    return f"get (dict {pairs}) (toString {value}) | default {value}"


def _new_names(edit: Rename) -> list[tuple[str, str]]:
    """Each name ``edit`` renames, with the Go expression of what a field read whole from values
    prints for it: its new name, or the user's Secret where its object's switch is set."""
    switch = dict(edit.existing)
    return [
        (old, f"{switch[old]} | default ({new})" if old in switch else new)
        for old, new in ((edit.old, edit.new), *edit.also)
    ]


def _rename_optional(parent: MappingNode, edit: RenameHosts, marks: Placeholders) -> None:
    """The field renders only where its values key is set (an env entry whose ``value`` an
    environment replaces with ``valueFrom``): rename the host names of a string, and leave any
    other value (unset, so the key does not render) as it is."""
    for k, _ in parent.value:
        action = marks.actions.get(k.value) if isinstance(k, ScalarNode) else None
        if isinstance(action, OptionalKey) and action.key_text == edit.pointer[-1]:
            text = f"(toString {action.ref})"
            text = f"(b64dec {text})" if edit.base64 else text
            for pattern, new in edit.forms:
                text = f'(regexReplaceAll {quote(pattern)} {text} (print "${{1}}" ({new}) "${{2}}"))'
            text = f"({text} | b64enc)" if edit.base64 else text
            ref = f'(ternary {text} {action.ref} (kindIs "string" {action.ref}))'
            marks.actions[k.value] = OptionalKey(ref, action.key_text, action.block, action.present)
            return


# A JSON string, and a JSON value nested at most two levels (``items`` of a configMap volume):
# what may stand beside the renamed key inside its parent object in ``toJson`` text.
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_JSON_FLAT = rf'(?:[^{{}}\[\]"]|{_JSON_STRING})'
_JSON_NESTED = rf"(?:\{{{_JSON_FLAT}*\}}|\[(?:{_JSON_FLAT}|\{{{_JSON_FLAT}*\}})*\])"


def _rename_appended(node: ScalarNode, edit: Rename | RenameHosts, marks: Placeholders) -> None:
    """Rename in the items a values key adds to a list (an environment's own volume naming a
    ConfigMap the release renames). The key is matched inside its parent object only, so that an
    item's own ``name`` (a volume called after its ConfigMap) keeps its text."""
    action = marks.actions[node.value]
    if not isinstance(edit, Rename) or not isinstance(action, Append):
        return  # host names in such items are left as they are (release_names warns about them)
    key, parent = edit.pointer[-1], edit.pointer[-2] if len(edit.pointer) > 1 else None
    text = f"(toJson {action.ref})"
    for old, new in _new_names(edit):
        into = rf'"{re.escape(parent)}":\{{(?:{_JSON_FLAT}|{_JSON_NESTED})*?' if isinstance(parent, str) else ""
        pattern = f'({into}"{key}":)"{re.escape(old)}"()'
        text = f'(regexReplaceAll {quote(pattern)} {text} (print "${{1}}" ({new} | toJson) "${{2}}"))'
    marks.actions[node.value] = Append(f"({text} | fromJsonArray)")


def _arg(text: str) -> str:
    """A pipeline as the argument of a function: in parentheses unless it is one already."""
    return text if text.startswith("(toJson ") else f"({text})"


def _optional_key(key: Node, name: str | int, marks: Placeholders) -> bool:
    action = marks.actions.get(key.value) if isinstance(key, ScalarNode) else None
    return isinstance(action, OptionalKey) and action.key_text == name


# An item of a JSON list of scalars as toJson writes it (no spaces): a string with its escapes, or
# a number, boolean or null.
_JSON_ITEM = r'(?:"(?:[^"\\]|\\.)*"|[^,\[\]{}"]*)'
# RE2 counts a repetition up to 1000 times; an item further on keeps the pattern that matches
# anywhere in the list.
_MAX_REPEAT = 1000


def _rename_in_block(tree: Node, edit: Rename | RenameHosts, marks: Placeholders) -> None:
    """The field sits inside a value read whole from values (a list lifted as a block): rename in
    the JSON text of that value, and read it back."""
    node: Node | None = tree
    inside = 0  # how many of the pointer's parts lead from the block's value to the field
    for step, part in enumerate(edit.pointer):
        if isinstance(node, ScalarNode):
            inside = len(edit.pointer) - step
            break
        at = _at(node, part, marks) if isinstance(node, SequenceNode) and isinstance(part, (int, Named)) else None
        if at is not None:
            node = node.value[at]
        elif isinstance(node, SequenceNode) and isinstance(part, (int, Named)):
            # An item that only an environment's copy of the list has: the chart renders it from
            # the values key that adds items to the list (extraVolumes), renamed in there.
            for item in node.value:
                if isinstance(item, ScalarNode) and isinstance(marks.actions.get(item.value), Append):
                    _rename_appended(item, edit, marks)
            return
        elif isinstance(node, MappingNode):
            # A knob that renders only when set (imagePullSecrets) is a key standing for
            # ``with``: its action reads the whole value.
            node = next((v for k, v in node.value if _is(k, part)), None) or next(
                (k for k, _ in node.value if _optional_key(k, part, marks)), None
            )
        else:
            return
    action = marks.actions.get(node.value) if isinstance(node, ScalarNode) else None
    if not isinstance(action, (Block, OptionalKey)) or isinstance(action, OptionalKey) and not action.block:
        return
    if isinstance(edit, RenameHosts) and edit.base64:
        return  # the JSON text holds base64, in which no host name can be found; the proof says so
    # A value renamed in before (two Secrets in one imagePullSecrets, a switch's name and then
    # the release prefix) is renamed further in its JSON text, so the expression grows by one
    # replacement per rename, not by a copy of itself.
    earlier = marks.json_texts.get(node.value)
    text, value = earlier[:2] if earlier and earlier[2] == action.ref else (f"(toJson {action.ref})", action.ref)
    if isinstance(edit, Rename):
        key = edit.pointer[-1]
        for old, new in _new_names(edit):
            pattern = f'("{key}":)"{re.escape(old)}"()'
            text = f'regexReplaceAll {quote(pattern)} {_arg(text)} (print "${{1}}" ({new} | toJson) "${{2}}")'
    else:
        # In JSON text a string starts and ends with a quote, not with the text itself; its start
        # is the field's key (or its place in a list), so that a whole value (a trigger's bare
        # ``host: kafka``) does not match the same word in another field of the block (its
        # ``type: kafka``).
        key = edit.pointer[-1]
        # Group 1 opens with it: a form for the text's start is ``(^)`` (release-names) or ``(^...``
        # (release-namespace, whose group 1 runs on to the namespace).
        start = f'("{re.escape(key)}":"' if isinstance(key, str) else r'([\[,]"'
        end = '")' if isinstance(key, str) else r'"[,\]])'
        for i, (pattern, new) in enumerate(edit.forms):
            pattern = edit.json[i] if i < len(edit.json) else pattern
            at = start
            if inside == 1 and isinstance(key, int) and 0 <= key < _MAX_REPEAT:
                # The block is the list itself (args read whole): the item at the field's index,
                # after the item the finder read there (its host-like flag), and no other item of
                # the same text (a ``--topic kafka`` after ``--kafka-host kafka``).
                before = edit.before[i] if i < len(edit.before) else ()
                if key and before:
                    words = "|".join(re.escape(b) for b in before)
                    at = f'^(\\[(?:{_JSON_ITEM},){{{key - 1}}}(?:{words}),"'
                else:
                    at = f'^(\\[(?:{_JSON_ITEM},){{{key}}}"'
            if pattern.startswith("(^"):
                pattern = at + pattern[2:]
            pattern = pattern.replace("$)", end)
            text = f'regexReplaceAll {quote(pattern)} {_arg(text)} (print "${{1}}" ({new}) "${{2}}")'
    # Read back as what it was: a list (fromJsonArray) or a map (fromJson).
    ref = f'(ternary ({text} | fromJsonArray) ({text} | fromJson) (kindIs "slice" {value}))'
    if isinstance(action, OptionalKey):
        # Unset stays unset (the key renders nothing), where toJson would give "null" read back
        # as an empty map: ``and`` gives back the value itself when it is empty.
        ref = f"(and {value} {ref})"
    marks.json_texts[node.value] = (text, value, ref)
    if isinstance(action, Block):
        marks.actions[node.value] = Block(ref)
    else:
        marks.actions[node.value] = OptionalKey(ref, action.key_text, action.block, action.present)
