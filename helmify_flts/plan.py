"""What is decided about each resource before it is converted: one record per resource."""

from __future__ import annotations

from .components import Component
from .existing import Guard
from .manifests import Resource
from .match import Hit
from .records import record

BASE = "(base)"  # the reference folder, among the places a resource is present in


@record
class ResourcePlan:
    """A resource with its component, values base, the folders that have it, its hits and switches."""

    resource: Resource
    component: Component
    base: tuple[str, ...]  # the values path its keys go below
    presence: frozenset[str]  # BASE and the environments whose folder has it
    hits: tuple[Hit, ...] = ()
    toggle: Guard | None = None  # renders it only in the environments that have it
    existing: Guard | None = None  # an existingSecret-style switch: the user's resource instead
    switches: tuple[Guard, ...] = ()  # a refactoring's switches (namespace.create)
    edits: tuple = ()  # a refactoring's edits of its template tree (refactorings.base.TreeEdit)
    own_file: str | None = None  # a template file of its own (a refactoring's: checksums include it)

    @property
    def guards(self) -> list[Guard]:
        """Conditions it renders under, outermost last."""
        return [g for g in (self.toggle, self.existing, *self.switches) if g is not None]


def by_resource(resources: tuple[Resource, ...], hits: list[Hit]) -> dict[Resource, tuple[Hit, ...]]:
    """Hits grouped per resource, each group in the order of ``hits``."""
    out: dict[Resource, list[Hit]] = {res: [] for res in resources}
    for hit in hits:
        out[hit.resource].append(hit)
    return {res: tuple(group) for res, group in out.items()}
