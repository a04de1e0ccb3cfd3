"""`ssl-domains plugins …`: what is installed, and a scaffold for a new one."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ssl_domains.plugin.registry import registry

plugins_app = typer.Typer(help="List installed plugins, or write a new one.", no_args_is_help=True)
out = Console()


@plugins_app.command("list")
def list_plugins(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    show_all: bool = typer.Option(
        False, "--all", help="Also list plugins the environment disabled."
    ),
) -> None:
    """Every domain, recipe and task plugin: provider, origin and status."""
    plugins = [p for p in registry().plugins if show_all or p.disabled is None]
    if as_json:
        rows = [
            {
                "name": p.name,
                "kind": p.kind,
                "distribution": p.distribution,
                "version": p.version,
                "origin": p.origin,
                "target": p.target,
                "status": _status_word(p),
                "reason": p.disabled or p.conflict or p.error,
            }
            for p in plugins
        ]
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="plugins")
    for column in ("name", "kind", "distribution", "origin", "status"):
        table.add_column(column)
    for p in plugins:
        style = "" if p.ok else "red" if p.error or p.conflict else "yellow"
        table.add_row(
            p.name, p.kind, f"{p.distribution} {p.version}", p.origin, p.status, style=style
        )
    out.print(table)
    for p in registry().conflicts:
        out.print(
            f"[red]conflict:[/red] {p.kind} {p.name!r} of {p.distribution} is {p.conflict}; "
            "neither is used until one is uninstalled",
            highlight=False,
            soft_wrap=True,
        )


def _status_word(plugin) -> str:
    if plugin.ok:
        return "ok"
    if plugin.disabled:
        return "disabled"
    return "conflict" if plugin.conflict else "broken"


@plugins_app.command("new")
def new(
    name: str = typer.Argument(..., help="The domain's name, e.g. claims."),
    modality: str = typer.Option("text", "--modality", help="text, audio, image or image-text."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to create ssl-domains-NAME/."),
) -> None:
    """Write an installable plugin package: adapter, sample data, README, tests."""
    from ssl_domains.scaffold import new_plugin

    root = new_plugin(name, modality, directory)
    out.print(f"wrote [bold]{root}[/bold]")
    from ssl_domains.plugin.registry import registry

    if any(modality in r.obj.modalities for r in registry().recipes.values()):
        out.print(f"next: pip install -e {root} && ssl-domains pretrain --domain {name} --steps 5")
    else:
        out.print(
            f"next: pip install -e {root}; no installed recipe trains on {modality} yet "
            "(ssl-domains recipes list)"
        )
