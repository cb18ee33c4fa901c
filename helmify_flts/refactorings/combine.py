"""Which built-in refactorings can be named together, and in which order.

Each refactoring's template half edits the chart's resources by their source identity. The
production refactorings that split objects off a workload (a ``<workload>-env`` ConfigMap, a
``<workload>-credentials`` Secret, a headless Service) write them into the workload's template
as documents of their own. standard-labels reaches them (the split-off objects copy the labels
the workload's template renders, and its edits of an added object follow it there); release-aware
names and checksum annotations do not yet. Their declarations would say
one thing and the chart render another, so convert stops before building anything and says what
to run instead. The checksum roll's declared values are known only from the render, so a
refactoring that compares objects must run before it.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError

# Refactorings that add objects or host names to a workload's template, and those whose template
# half does not reach what they add (found by converting FLTS with each pair in both orders;
# standard-labels left the list when it converted and proved FLTS with dev and prod in both).
_EVERY = frozenset({"release-names", "checksum-roll"})
NOT_REACHED: dict[str, frozenset[str]] = {
    "env-configmap": _EVERY,
    "env-credentials": _EVERY,
    "statefulset": _EVERY,
    "wait-for": frozenset({"release-names"}),  # its init containers name Services by their source names
}
# Refactorings that must come before another (key): those that compare declared objects come
# before the checksum roll; init-job-hooks orders Jobs by the source names release-names changes.
MUST_PRECEDE: dict[str, frozenset[str]] = {
    "checksum-roll": frozenset({"env-configmap", "env-credentials", "statefulset", "wait-for", "init-job-hooks"}),
    "release-names": frozenset({"init-job-hooks"}),
}
# Two refactorings that make the same change (an init Job as a hook): one of them is enough.
SAME_CHANGE = (frozenset({"init-hooks", "init-job-hooks"}),)


def _name(rule: Any) -> str:
    return f"{rule.id} (refactor: {rule.refactor}, {rule.where})"


def check(rules: tuple[Any, ...]) -> None:
    """Stop with exit 2 when ``rules`` (in the order they apply) name refactorings that do not
    work together, naming the rules and what to do instead."""
    errors = []
    for i, first in enumerate(rules):
        for later in rules[i + 1 :]:
            pair = {first.refactor, later.refactor}
            if later.refactor in NOT_REACHED.get(first.refactor, ()) or first.refactor in NOT_REACHED.get(
                later.refactor, ()
            ):
                split, every = (first, later) if first.refactor in NOT_REACHED else (later, first)
                errors.append(
                    UserError(
                        f"rule {_name(every)} does not yet reach the objects that rule {_name(split)} adds "
                        f"to a workload's template, in either order; convert with one of the two packs "
                        f"(--rules conventions, or --rules production / flts-production), or leave one rule out",
                        every.where,
                    )
                )
            elif later.refactor in MUST_PRECEDE.get(first.refactor, ()):
                errors.append(
                    UserError(
                        f"rule {_name(later)} must come before rule {_name(first)}; name the pack or file "
                        f"with {later.id} first on the command line",
                        later.where,
                    )
                )
            elif any(pair == same for same in SAME_CHANGE) and first.refactor != later.refactor:
                errors.append(
                    UserError(
                        f"rules {_name(first)} and {_name(later)} both make init Jobs hooks; keep one of them",
                        later.where,
                    )
                )
    if errors:
        raise UserError.all_of(errors)
