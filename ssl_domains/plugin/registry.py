"""Plugin discovery: domains, recipes and fine-tuning tasks, all found through entry points.

First-party plugins are registered in ssl-domains' own pyproject exactly as a
third-party package registers its own, so nothing is privileged. A plugin that
fails to import or does not satisfy the API is kept as broken, with its reason,
and never breaks the CLI.

For reproducible runs, two environment variables narrow what loads:
`SSL_DOMAINS_PLUGINS=a,b` loads only these third-party plugins (by plugin or
distribution name) besides the first-party ones, and
`SSL_DOMAINS_DISABLE_PLUGIN_AUTOLOAD=1` loads first-party plugins only. A disabled
plugin's package is never imported, not even for a preset that names its classes.

Two plugins of one kind and name (two distributions that both register domain
`claims`) are a conflict: both are listed as such and neither is used, since which
one would win is an accident of installation order.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import MODALITIES, DomainAdapter
from ssl_domains.plugin.recipe import Recipe
from ssl_domains.tasks.catalog import TaskEntry
from ssl_domains.version import PLUGIN_API_VERSION

GROUPS = {
    "domain": "ssl_domains.domains",
    "recipe": "ssl_domains.recipes",
    "task": "ssl_domains.tasks",
}
FIRST_PARTY = "ssl-domains"
ONLY_VARIABLE = "SSL_DOMAINS_PLUGINS"
NO_AUTOLOAD_VARIABLE = "SSL_DOMAINS_DISABLE_PLUGIN_AUTOLOAD"


@dataclass(frozen=True)
class Plugin:
    """One entry point: what it provides, who provides it, and whether it loaded."""

    name: str
    kind: str
    target: str
    distribution: str
    version: str
    obj: Any = None
    error: str | None = None
    disabled: str | None = None
    conflict: str | None = None  # which other distributions register the same name

    @property
    def ok(self) -> bool:
        return self.error is None and self.disabled is None and self.conflict is None

    @property
    def status(self) -> str:
        if self.disabled:
            return f"disabled ({self.disabled})"
        if self.conflict:
            return f"conflict: {self.conflict}"
        return "ok" if self.error is None else f"broken: {self.error}"

    @property
    def package(self) -> str:
        """The top-level package of the entry point's module (`insurer` of
        `insurer.domains:ClaimsDomain`)."""
        return self.target.partition(":")[0].split(".")[0]

    @property
    def origin(self) -> str:
        return "first-party" if self.distribution == FIRST_PARTY else "third-party"


def _check(kind: str, name: str, obj: Any) -> str | None:
    """Why `obj` does not satisfy the plugin API, or None if it does."""
    if kind == "task":
        if not isinstance(obj, TaskEntry):
            return f"{obj!r} is not a {TaskEntry.__module__}.TaskEntry"
        if obj.name != name:
            return f"entry point {name!r} names a task called {obj.name!r}"
        if obj.modality not in MODALITIES:
            return f"unknown modality {obj.modality!r}; expected one of {MODALITIES}"
        return None
    base = DomainAdapter if kind == "domain" else Recipe
    if not (isinstance(obj, type) and issubclass(obj, base)):
        return f"{obj!r} is not a subclass of {base.__module__}.{base.__name__}"
    if obj.name != name:
        return f"entry point {name!r} names a {kind} called {obj.name!r}"
    if obj.api_version != PLUGIN_API_VERSION:
        return (
            f"written for plugin API {obj.api_version}; this ssl-domains supports "
            f"API {PLUGIN_API_VERSION}"
        )
    modalities = (obj.modality,) if kind == "domain" else tuple(obj.modalities)
    unknown = [m for m in modalities if m not in MODALITIES]
    if not modalities or unknown:
        return f"unknown modality {unknown or modalities!r}; expected one of {MODALITIES}"
    return None


def _disabled_by_environment(name: str, distribution: str) -> str | None:
    """Why the environment keeps a third-party plugin from loading, if it does."""
    if distribution == FIRST_PARTY:
        return None
    if os.environ.get(NO_AUTOLOAD_VARIABLE, "").strip() not in ("", "0", "false"):
        return f"{NO_AUTOLOAD_VARIABLE} is set"
    only = os.environ.get(ONLY_VARIABLE)
    if only is not None:
        wanted = {item.strip() for item in only.split(",") if item.strip()}
        if name not in wanted and distribution not in wanted:
            return f"not in {ONLY_VARIABLE}"
    return None


def _load(kind: str, ep: EntryPoint) -> Plugin:
    dist = ep.dist
    meta = dict(
        name=ep.name,
        kind=kind,
        target=ep.value,
        distribution=dist.name if dist else "?",
        version=dist.version if dist else "?",
    )
    disabled = _disabled_by_environment(ep.name, meta["distribution"])
    if disabled:
        return Plugin(**meta, disabled=disabled)  # not even imported
    try:
        obj = ep.load()
    except Exception as error:  # a broken plugin must never break the CLI
        return Plugin(**meta, error=f"import failed: {type(error).__name__}: {error}")
    reason = _check(kind, ep.name, obj)
    return Plugin(**meta, obj=None if reason else obj, error=reason)


def _mark_conflicts(plugins: list[Plugin]) -> list[Plugin]:
    """`plugins`, those that share a kind and a name with another enabled one marked
    with the distributions they clash with (a disabled plugin clashes with nothing)."""
    providers: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(plugins):
        if p.disabled is None:
            providers.setdefault((p.kind, p.name), []).append(i)
    marked = []
    for i, p in enumerate(plugins):
        rivals = [plugins[j] for j in providers.get((p.kind, p.name), []) if j != i]
        if rivals and p.disabled is None:
            others = ", ".join(f"{r.distribution} {r.version} ({r.target})" for r in rivals)
            p = dataclasses.replace(p, conflict=f"also registered by {others}")
        marked.append(p)
    return marked


class Registry:
    """The domains and recipes installed in this environment."""

    def __init__(self, plugins: list[Plugin]):
        plugins = _mark_conflicts(plugins)
        self.plugins = plugins
        self.domains = {p.name: p for p in plugins if p.kind == "domain" and p.ok}
        self.recipes = {p.name: p for p in plugins if p.kind == "recipe" and p.ok}
        self.tasks = {p.name: p for p in plugins if p.kind == "task" and p.ok}
        self.broken = [p for p in plugins if p.error is not None]
        self.disabled = [p for p in plugins if p.disabled is not None]
        self.conflicts = [p for p in plugins if p.conflict is not None]

    def task_entries(self) -> list[TaskEntry]:
        """The tasks' entries, text first, then by modality and name."""
        entries = [p.obj for p in self.tasks.values()]
        return sorted(entries, key=lambda e: (MODALITIES.index(e.modality), e.name))

    @property
    def trusted_packages(self) -> frozenset[str]:
        """Top-level packages whose modules a preset may name: ours and the plugins'
        the environment did not disable (a disabled plugin is never imported)."""
        enabled = {p.package for p in self.plugins if p.disabled is None}
        return frozenset({"ssl_domains"} | enabled)

    @classmethod
    def discover(cls) -> Registry:
        plugins = []
        for kind, group in GROUPS.items():
            for ep in sorted(entry_points(group=group), key=lambda e: e.name):
                plugins.append(_load(kind, ep))
        return cls(plugins)

    def _table(self, kind: str) -> dict[str, Plugin]:
        return {"domain": self.domains, "recipe": self.recipes, "task": self.tasks}[kind]

    def _find(self, kind: str, name: str) -> Any:
        table = self._table(kind)
        if name in table:
            return table[name].obj
        rivals = [p for p in self.plugins if p.kind == kind and p.name == name and p.conflict]
        if rivals:
            providers = " and ".join(f"{p.distribution} {p.version}" for p in rivals)
            raise UserError(
                f"{kind} {name!r} is registered by more than one distribution, {providers}; "
                "uninstall one (`ssl-domains plugins list` shows both)"
            )
        for p in self.plugins:
            if p.kind == kind and p.name == name and not p.ok:
                raise UserError(f"{kind} {name!r} is installed but {p.status}")
        close = difflib.get_close_matches(name, table, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UserError(
            f"unknown {kind} {name!r}; {hint}available: {', '.join(sorted(table)) or 'none'}"
        )

    def domain(self, name: str) -> type[DomainAdapter]:
        return self._find("domain", name)

    def recipe(self, name: str) -> type[Recipe]:
        return self._find("recipe", name)

    def plugin(self, kind: str, name: str) -> Plugin:
        table = self._table(kind)
        self._find(kind, name)
        return table[name]

    @staticmethod
    def check_pair(domain: type[DomainAdapter], recipe: type[Recipe]) -> None:
        if domain.modality not in recipe.modalities:
            raise UserError(
                f"recipe {recipe.name!r} trains on {'/'.join(recipe.modalities)} data, but "
                f"domain {domain.name!r} is {domain.modality}"
            )


@functools.cache
def registry() -> Registry:
    """The registry of this process, discovered once."""
    return Registry.discover()
