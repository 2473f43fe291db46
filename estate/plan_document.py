"""The plan document: what the engine (``estate/engine.py``) yields for one stack, typed, and its index.

:class:`PlanDocument` is what the program registered under the mocks, with every
secret value shown as ``"[secret]"``. Its JSON form (:meth:`PlanDocument.to_json`,
what ``estate plan --format json`` prints and ``estate check PLAN.json`` reads) is
what the checks, the diff, the graph and the tests read. :class:`PlanIndex` indexes
that JSON form once (by URN, by parent, by type, by application) for all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

# What a plan shows in place of a secret value.
SECRET: Final = "[secret]"
# Every dynamic resource's type starts so (``pulumi-python:dynamic/<module>:<Class>``).
DYNAMIC_TYPE_PREFIX: Final = "pulumi-python:dynamic"
# Where resources outside every application are filed.
SHARED: Final = "(shared)"

# A resource of the JSON form, as the checks, the diff and the tests read it.
Resource = dict[str, Any]


@dataclass(frozen=True)
class ResourceOptions:
    """The resource options the engine received with a registration."""

    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    depends_on: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    import_id: str | None
    # A value whose change replaces the resource (``ResourceOptions.replacement_trigger``), secrets masked.
    replacement_trigger: Any = None

    @classmethod
    def from_json(cls, options: Mapping[str, Any]) -> ResourceOptions:
        return cls(
            protect=bool(options.get("protect")),
            retain_on_delete=bool(options.get("retain_on_delete")),
            ignore_changes=tuple(options.get("ignore_changes") or ()),
            depends_on=tuple(options.get("depends_on") or ()),
            replace_on_changes=tuple(options.get("replace_on_changes") or ()),
            delete_before_replace=bool(options.get("delete_before_replace")),
            import_id=options.get("import_id"),
            replacement_trigger=options.get("replacement_trigger"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "protect": self.protect,
            "retain_on_delete": self.retain_on_delete,
            "ignore_changes": list(self.ignore_changes),
            "depends_on": sorted(self.depends_on),
            "replace_on_changes": list(self.replace_on_changes),
            "delete_before_replace": self.delete_before_replace,
            "import_id": self.import_id,
            # A value whose change replaces the resource (ResourceOptions.replacement_trigger).
            "replacement_trigger": self.replacement_trigger,
        }


@dataclass(frozen=True)
class PlanResource:
    """One registered resource: what the engine would see, with secrets shown as ``"[secret]"``."""

    urn: str
    id: str | None
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: Mapping[str, Any]
    # What the provider computed, defaulted or stored differently from the inputs.
    outputs: Mapping[str, Any]
    # Input paths the provider stores differently from what it was sent (estate/models STORED rules).
    stored_differently: tuple[str, ...]
    options: ResourceOptions
    provider: str | None
    # A dynamic resource's provider class (``module.Class``): the code the engine will run for it.
    dynamic_provider: str | None = None
    # A read (a ``StackReference``): nothing is created; its ``outputs`` are what was read, and the
    # engine never hands it to a policy pack (pulumi/pulumi#3950).
    read: bool = False

    @property
    def is_dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC_TYPE_PREFIX)

    @classmethod
    def from_json(cls, resource: Mapping[str, Any]) -> PlanResource:
        return cls(
            urn=str(resource["urn"]),
            id=resource.get("id"),
            type=str(resource["type"]),
            name=str(resource["name"]),
            parent=resource.get("parent"),
            custom=bool(resource.get("custom")),
            inputs=dict(resource.get("inputs") or {}),
            outputs=dict(resource.get("outputs") or {}),
            stored_differently=tuple(resource.get("stored_differently") or ()),
            options=ResourceOptions.from_json(resource.get("options") or {}),
            provider=resource.get("provider"),
            dynamic_provider=resource.get("dynamic_provider"),
            read=bool(resource.get("read")),
        )

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "urn": self.urn,
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": dict(self.inputs),
            "outputs": dict(self.outputs),
            "stored_differently": list(self.stored_differently),
            "options": self.options.to_json(),
            "provider": self.provider,
        }
        if self.is_dynamic:
            document["dynamic_provider"] = self.dynamic_provider
        if self.read:
            document["read"] = True
        return document


@dataclass(frozen=True)
class PlanDocument:
    """One stack's plan: its resources (ordered by URN), exported outputs and types without a provider model."""

    stack: str
    project: str
    resources: tuple[PlanResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    # Registered types without a provider model (estate/models): their outputs are their inputs.
    unmodelled_types: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PlanDocument:
        """A document as :meth:`to_json` gives it (or ``estate plan --format json`` prints it) typed again."""
        return cls(
            stack=str(document["stack"]),
            project=str(document["project"]),
            resources=tuple(PlanResource.from_json(resource) for resource in document["resources"]),
            outputs=dict(document.get("outputs") or {}),
            unmodelled_types=tuple(document.get("unmodelled_types") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        """The document as ``estate plan --format json`` prints it (without the checks)."""
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [resource.to_json() for resource in self.resources],
            "outputs": dict(self.outputs),
            "unmodelled_types": list(self.unmodelled_types),
        }


class PlanIndex:
    """A plan document's resources indexed once: by URN, by parent, by type and by application.

    Built over the JSON form (a plan read from a file indexes the same way). The
    index reads the document as it is when built; build a new one after a change.
    """

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.resources: list[Resource] = list(plan["resources"])
        self.by_urn: dict[str, Resource] = {str(r["urn"]): r for r in self.resources}
        self._children: dict[str | None, list[Resource]] = defaultdict(list)
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._dependents: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources:
            parent = resource.get("parent")
            # A parent outside the plan (the root stack) files the resource at the top.
            self._children[parent if parent in self.by_urn else None].append(resource)
            self._by_type[str(resource["type"])].append(resource)
            for dependency in (resource.get("options") or {}).get("depends_on") or ():
                self._dependents[str(dependency)].append(resource)
        self._app_of: dict[str, str | None] = {}
        from components.application import APPLICATION_TYPE  # imports Pulumi: only once a plan is read

        # The component every application's resources hang under.
        self.application_type: str = APPLICATION_TYPE

    def children(self, urn: str | None) -> list[Resource]:
        """The resources whose parent is ``urn`` (``None``: the top-level resources), in plan order."""
        return self._children.get(urn, [])

    def of_type(self, type_token: str) -> list[Resource]:
        return self._by_type.get(type_token, [])

    def parent(self, resource: Resource) -> Resource | None:
        return self.by_urn.get(resource.get("parent") or "")

    def ancestors(self, resource: Resource) -> Iterator[Resource]:
        """The parent, its parent, … up to the top."""
        current = self.parent(resource)
        while current is not None:
            yield current
            current = self.parent(current)

    def ancestor(self, resource: Resource, type_token: str) -> Resource | None:
        """The nearest ancestor (not the resource itself) of ``type_token``."""
        return next((a for a in self.ancestors(resource) if a["type"] == type_token), None)

    def ancestor_of_type(self, resource: Resource, type_token: str) -> Resource | None:
        """The resource itself or its nearest ancestor of ``type_token``."""
        return resource if resource["type"] == type_token else self.ancestor(resource, type_token)

    def dependencies(self, resource: Resource, type_token: str | None = None) -> list[Resource]:
        """The resources ``resource`` depends on (``depends_on``), of ``type_token`` when given."""
        found = (self.by_urn.get(str(urn)) for urn in (resource.get("options") or {}).get("depends_on") or ())
        return [r for r in found if r is not None and (type_token is None or r["type"] == type_token)]

    def depending_on(self, resource: Resource, type_token: str | None = None) -> list[Resource]:
        """The resources that depend on ``resource`` (``depends_on``), of ``type_token`` when given."""
        dependents = self._dependents.get(str(resource["urn"]), [])
        return [r for r in dependents if type_token is None or r["type"] == type_token]

    def descendants(self, resource: Resource) -> list[Resource]:
        """Every resource whose parent chain includes ``resource``, depth first."""
        found: list[Resource] = []
        pending = list(reversed(self.children(str(resource["urn"]))))
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(reversed(self.children(str(current["urn"]))))
        return found

    def app_of(self, resource: Resource) -> str | None:
        """The name of the Application a resource belongs to, if any."""
        urn = str(resource["urn"])
        if urn not in self._app_of:
            application = self.ancestor_of_type(resource, self.application_type)
            self._app_of[urn] = str(application["name"]) if application is not None else None
        return self._app_of[urn]

    def app_or_shared(self, resource: Resource) -> str:
        """The application's name, or :data:`SHARED` for resources outside every application."""
        return self.app_of(resource) or SHARED

    def by_app(self) -> dict[str, list[Resource]]:
        """Application name (or :data:`SHARED`) → its resources, in plan order."""
        grouped: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources:
            grouped[self.app_or_shared(resource)].append(resource)
        return dict(grouped)
