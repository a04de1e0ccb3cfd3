"""`ssl-domains export` and `ssl-domains predict`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ssl_domains.errors import UserError

out = Console()


def export(
    source: Path = typer.Argument(..., help="A fine-tuning run directory."),
    fmt: str = typer.Option("saved_model", "--format", help="saved_model, keras or preset."),
    out_dir: Path = typer.Option(..., "--out", help="Where to write the export."),
) -> None:
    """Export a fine-tuned model: a SavedModel serving raw inputs, Keras files, or a preset."""
    from ssl_domains.export.saved_model import export as run_export

    result = run_export(source, fmt, out_dir)
    out.print(f"wrote {result.format} to [bold]{result.path}[/bold] in {result.seconds:.1f} s")
    if result.max_difference is not None:
        out.print(
            f"checked: reloaded with tf.saved_model.load; outputs match the Keras model on "
            f"{result.samples} samples (max abs difference {result.max_difference:.1e})"
        )
        out.print(f"inspect: saved_model_cli show --dir {result.path} --all")


def predict(
    source: Path = typer.Argument(..., help="A fine-tuning run or an exported SavedModel."),
    texts: list[str] = typer.Argument(None, help="Texts (or audio files, for audio models)."),
    file: Path = typer.Option(None, "--file", help="A file of inputs, one per line."),
    top: int = typer.Option(3, "--top", help="Classes to show per input."),
    labels: str = typer.Option(
        None,
        "--labels",
        help="Image-text SavedModels: class names for zero-shot classification, "
        "comma-separated, or a file with one per line.",
    ),
) -> None:
    """Print predictions for raw texts from a fine-tuning run or a SavedModel (image-text
    SavedModels: zero-shot classes of image files among --labels)."""
    from ssl_domains.export.predict import predict as run_predict

    if top < 1:
        raise UserError(f"--top must be at least 1, got {top}")
    inputs = list(texts or [])
    if file:
        try:
            inputs += [line for line in file.read_text().splitlines() if line.strip()]
        except OSError as error:
            raise UserError(f"cannot read {file}: {error.strerror or error}") from None
    if not inputs:
        raise UserError("nothing to predict: pass texts or --file FILE")
    classes = None
    if labels:
        path = Path(labels)
        if path.is_file():
            classes = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        else:
            classes = [name.strip() for name in labels.split(",") if name.strip()]
    rows = run_predict(source, inputs, classes)
    table = Table()
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*[_cell(value, top) for value in row.values()])
    out.print(table)


def _cell(value, top: int) -> str:
    if isinstance(value, dict):  # class -> probability
        best = sorted(value.items(), key=lambda kv: -kv[1])[:top]
        return "  ".join(f"{name} {p:.2f}" for name, p in best)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
