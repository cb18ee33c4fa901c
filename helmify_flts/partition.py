"""Which templates of a large chart may be rendered apart, and in which groups.

Helm holds every template's output, and its JSON encoding, in one render: for a chart of a few
megabytes that is most of the tool's peak memory, and the Go runtime keeps the memory once it
has it. Rendering the templates in groups, each group loaded beside every other file of the
chart, bounds that peak by a group's share of the output.

Why the outputs are those of one render. A template's output depends on the values, the chart's
non-template files, the release, and the named templates it includes. The first three are the
same for every group. Every file that defines a named template (the ``_`` partials, and any
template with ``define`` or ``block``) is in every group, so a name resolves to the same
definition everywhere. A template that includes a template file of another group fails to render
(Helm cannot test whether a name exists), and the caller then renders the whole chart at once.
What is left is state shared between the templates of one render: the values map, which ``set``,
``unset`` and ``merge`` can change for the templates rendered after (``merge`` changes its first
map, and any map of the values that map holds). A chart whose templates use any of these, or
``tpl`` (whose text could), renders at once: the checksum annotations of the refactoring packs
``merge``, so such charts render at once too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

# A chart whose files add up to more than this renders in groups of about this size; small
# charts (nearly all) render at once. Each group loads the chart's non-template files again,
# which costs time, so the number of groups is bounded.
GROUP_BYTES = 1_500_000
MAX_GROUPS = 4


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(define or block, a mutating function, a literal, a token): compiled when a chart is
    large enough to render in groups, which nearly none is."""
    return (
        re.compile(r"-?\s*(define|block)\b"),
        re.compile(r"\b(set|unset|merge|mergeOverwrite|mustMerge|mustMergeOverwrite|tpl)\b"),
        re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'', re.DOTALL),
        re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'|/\*.*?\*/|\}\}', re.DOTALL),
    )


def groups(files: Mapping[str, str]) -> list[frozenset[str]]:
    """Groups of template paths (chart-relative, as in ``files``) to render one after another,
    each beside every file in no group; a single group means: render the chart at once."""
    templates = sorted(rel for rel in files if rel.startswith("templates/"))
    whole = [frozenset(templates)]
    count = min(MAX_GROUPS, -(-sum(len(text) for text in files.values()) // GROUP_BYTES))
    if count < 2 or any(rel.startswith("charts/") for rel in files):
        return whole
    actions = {rel: list(_actions(files[rel])) for rel in templates}
    _, mutates, literal, _ = _patterns()
    code = [literal.sub('""', action) for found in actions.values() for action in found]
    if any(mutates.search(action) for action in code):
        return whole
    literals = "\0".join(m.group() for found in actions.values() for action in found for m in literal.finditer(action))
    apart = [rel for rel in templates if _renders_alone(rel, actions[rel], literals)]
    if len(apart) < 2:
        return whole
    # Contiguous runs of about equal size, in path order.
    share = sum(len(files[rel]) for rel in apart) / count
    out: list[set[str]] = [set()]
    filled = 0  # bytes of the templates up to and including this one
    for rel in apart:
        filled += len(files[rel])
        if out[-1] and filled > share * len(out) and len(out) < count:
            out.append(set())
        out[-1].add(rel)
    return [frozenset(group) for group in out]


def _actions(text: str) -> Iterator[str]:
    """The text inside each ``{{ }}`` action; a ``}}`` inside a string literal or comment does
    not end it."""
    token = _patterns()[3]
    at = text.find("{{")
    while at >= 0:
        pos = at + 2
        while True:
            m = token.search(text, pos)
            if m is None:
                yield text[at + 2 :]
                return
            if m.group() == "}}":
                yield text[at + 2 : m.start()]
                pos = m.end()
                break
            pos = m.end()
        at = text.find("{{", pos)


def _renders_alone(rel: str, actions: list[str], literals: str) -> bool:
    """Whether a template can be left out of the other groups: it is no partial, defines no named
    template, and no string in any action names its path (the checksum of a rendered template)."""
    defines = _patterns()[0]
    if rel.rsplit("/", 1)[-1].startswith("_") or any(defines.match(action) for action in actions):
        return False
    name = rel[len("templates/") :]
    return name not in literals
