"""Entry point of `ssl-domains`. Commands parse, call the library, and print.

Heavy libraries (TensorFlow, Keras) are imported inside the commands that train,
so `--help`, `domains list` and `recipes list` answer at once.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape
from ssl_domains.cli import catalog, corpus, doctor, evaluate, export, finetune, plugins, pretrain

from ssl_domains.errors import Preempted, TrainingDiverged, UserError

app = typer.Typer(
    name="ssl-domains",
    help="Continue self-supervised pretraining on your domain's corpus, fine-tune, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("pretrain")(pretrain.pretrain)
app.command("finetune")(finetune.finetune)
app.command("export")(export.export)
app.command("predict")(export.predict)
app.command("evaluate")(evaluate.evaluate)
app.add_typer(catalog.domains_app, name="domains")
app.add_typer(catalog.recipes_app, name="recipes")
app.add_typer(corpus.corpus_app, name="corpus")
app.add_typer(plugins.plugins_app, name="plugins")
app.command("doctor")(doctor.doctor)

err = Console(stderr=True)
# Typer carries its own copy of Click; its usage errors are what `BadParameter` derives from.
USAGE_ERROR = typer.BadParameter.__mro__[1]


def main() -> None:
    """Run the CLI; a user's mistake ends with one red line and exit code 2."""
    try:
        code = app(standalone_mode=False)  # Click's own errors come back to us, below
    except USAGE_ERROR as error:  # a flag's bad value, an unknown command or option
        command = error.ctx.command_path if error.ctx else "ssl-domains"
        message = escape(f"{error.format_message()} (see {command} --help)")
        err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except UserError as error:
        # escaped: a message's `[train]` or `list[str]` is text, not Rich markup
        err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except TrainingDiverged as error:
        message = escape(str(error))
        err.print(f"[red]training diverged:[/red] {message}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except Preempted as error:
        message = escape(str(error))
        err.print(f"[yellow]stopped:[/yellow] {message}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]; a run can continue with --resume RUN_DIR")
        sys.exit(130)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
