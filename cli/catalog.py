"""`ssl-domains domains …` and `ssl-domains recipes …`: what is installed."""

from __future__ import annotations

import dataclasses

import typer
from rich.console import Console
from rich.table import Table

from ssl_domains.plugin.registry import registry

domains_app = typer.Typer(help="List and describe domain plugins.", no_args_is_help=True)
recipes_app = typer.Typer(help="List and describe recipes (SSL objectives).", no_args_is_help=True)
out = Console()


def _broken_table(kind: str) -> None:
    broken = [p for p in registry().broken if p.kind == kind]
    if broken:
        table = Table(title=f"broken {kind} plugins (skipped)", title_style="red")
        for column in ("name", "package", "reason"):
            table.add_column(column)
        for p in broken:
            table.add_row(p.name, f"{p.distribution} {p.version}", p.error)
        out.print(table)


def _options_table(config_cls: type) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("option")
    table.add_column("default")
    for f in dataclasses.fields(config_cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        table.add_row(f.name, repr(default))
    return table


@domains_app.command("list")
def list_domains() -> None:
    """List the installed domains."""
    table = Table(title="domains")
    for column in ("name", "modality", "default recipe", "from", "description"):
        table.add_column(column)
    for name, plugin in sorted(registry().domains.items()):
        cls = plugin.obj
        table.add_row(name, cls.modality, cls.default_recipe, plugin.distribution, cls.description)
    out.print(table)
    _broken_table("domain")


@domains_app.command("show")
def show_domain(name: str = typer.Argument(..., help="Domain name.")) -> None:
    """Describe one domain: modality, defaults, options, sample data."""
    plugin = registry().plugin("domain", name)
    cls = plugin.obj
    out.print(f"[bold]{cls.name}[/bold] — {cls.description}")
    out.print(f"modality: {cls.modality}   default recipe: {cls.default_recipe}")
    out.print(f"provided by: {plugin.distribution} {plugin.version} ({plugin.origin})")
    for key, value in cls.defaults.items():
        out.print(f"  default {key} = {value!r}")
    domain = cls()
    try:
        paths = domain.sample_corpus()
        shown = ", ".join(map(str, paths[:3])) + (
            f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        )
        out.print(f"sample corpus: {shown}")
    except NotImplementedError:
        out.print("sample corpus: none")
    if domain.sample_labels():
        out.print(f"sample labels: {domain.sample_labels()}")
    if dataclasses.fields(cls.Config):
        out.print("options (\\[domain] section):")
        out.print(_options_table(cls.Config))


@recipes_app.command("list")
def list_recipes() -> None:
    """List the installed recipes."""
    table = Table(title="recipes")
    for column in ("name", "modalities", "sizes", "from", "description"):
        table.add_column(column)
    for name, plugin in sorted(registry().recipes.items()):
        cls = plugin.obj
        table.add_row(
            name,
            ", ".join(cls.modalities),
            ", ".join(cls.sizes),
            plugin.distribution,
            cls.description,
        )
    out.print(table)
    _broken_table("recipe")


@recipes_app.command("show")
def show_recipe(name: str = typer.Argument(..., help="Recipe name.")) -> None:
    """Describe one recipe: paper, modalities, sizes, hyperparameters."""
    plugin = registry().plugin("recipe", name)
    cls = plugin.obj
    out.print(f"[bold]{cls.name}[/bold] — {cls.description}")
    out.print(f"paper: {cls.paper}")
    out.print(f"modalities: {', '.join(cls.modalities)}   sizes: {', '.join(cls.sizes)}")
    out.print(f"provided by: {plugin.distribution} {plugin.version} ({plugin.origin})")
    out.print("hyperparameters (\\[recipe] section):")
    out.print(_options_table(cls.Config))
