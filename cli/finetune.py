"""`ssl-domains finetune`: fine-tune a pretrained model on a small labeled set."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from ssl_domains.cli import options

from ssl_domains.config import FinetuneConfig, apply_tree, assign, parse_assignment, read_toml
from ssl_domains.tasks import tasks_help

out = Console()


def column_flags(columns: list[str]) -> dict[str, str]:
    """`--column label=sentiment` -> `{"data.label_column": "sentiment"}`."""
    flags = {}
    for item in columns:
        role, name = parse_assignment(item)
        flags[f"data.{role}_column"] = name
    return flags


def finetune(
    source: str = typer.Argument(
        None, help="A run, a preset directory, a keras-hub preset or a Hugging Face directory."
    ),
    task: str = typer.Option(
        None,
        "--task",
        "-t",
        help=f"What to predict; a word means that task for the source's modality: {tasks_help()}.",
    ),
    data: Path = typer.Option(
        None,
        "--data",
        help="Labeled CSV/TSV/JSONL: text,label | text_a,text_b,label | tokens,tags | path,label.",
    ),
    eval_data: Path = typer.Option(
        None, "--eval-data", help="A separate validation file (default: a stratified split)."
    ),
    columns: list[str] = typer.Option(
        None, "--column", help="Which column plays a role, e.g. --column text=body; repeatable."
    ),
    shots: int = typer.Option(
        None, "--shots", help="Train on this many rows per class; the rest validate (few-shot)."
    ),
    domain: str = typer.Option(
        None, "--domain", help="Domain whose normalisation to apply (default: the source's)."
    ),
    freeze_backbone: bool = typer.Option(
        None, "--freeze-backbone", help="Train the head only (a linear probe)."
    ),
    class_weights: bool = typer.Option(
        None, "--class-weights", help="Weigh classes by inverse frequency."
    ),
    layer_decay: float = typer.Option(
        None, "--layer-decay", help="Layer-wise learning-rate decay, e.g. 0.8."
    ),
    random_init: bool = typer.Option(
        None, "--random-init", help="Same architecture, fresh weights: a baseline."
    ),
    epochs: float = typer.Option(None, "--epochs"),
    steps: int = typer.Option(None, "--steps"),
    batch_size: options.BatchSize = None,
    learning_rate: float = typer.Option(None, "--learning-rate"),
    seq_len: int = typer.Option(None, "--seq-len"),
    backend: options.Backend = None,
    precision: options.Precision = None,
    distribute: options.Distribute = None,
    devices: options.Devices = None,
    seed: options.Seed = None,
    run_dir: Path = typer.Option(None, "--run-dir"),
    resume: Path = typer.Option(
        None, "--resume", help="Continue this fine-tuning run from its last checkpoint."
    ),
    config_file: options.ConfigFile = None,
    sets: options.Sets = None,
    dry_run: options.DryRun = False,
) -> None:
    """Fine-tune a pretrained model on a small labeled set, with early stopping."""
    from ssl_domains.errors import UserError
    from ssl_domains.training.run_directory import RunDirectory

    if bool(source) == bool(resume):
        raise UserError("give a SOURCE to fine-tune, or --resume RUN to continue a run")
    if resume and config_file:
        raise UserError("--resume takes its config from the run; drop --config")
    run = RunDirectory.open(resume) if resume else None
    config = FinetuneConfig()
    if run:
        tree = read_toml(run.config_path)
        tree.get("train", {}).pop("stop_at", None)  # an early stop is not part of the plan
        apply_tree(config, tree)
    if config_file:
        apply_tree(config, read_toml(config_file))
    flags = {
        "run.source": source,
        "run.task": task,
        "run.domain": domain,
        "run.backend": backend or (None if run else os.environ.get("KERAS_BACKEND")),
        "run.seed": seed,
        "run.precision": precision,
        "run.distribute": distribute,
        "run.devices": devices,
        "run.dir": str(run_dir) if run_dir else None,
        "run.random_init": random_init,
        "data.data": str(data) if data else None,
        "data.eval_data": str(eval_data) if eval_data else None,
        "data.shots": shots,
        "data.seq_len": seq_len,
        "train.freeze_backbone": freeze_backbone,
        "train.class_weights": class_weights,
        "train.layer_decay": layer_decay,
        "train.epochs": epochs,
        "train.steps": steps,
        "train.batch_size": batch_size,
        "train.learning_rate": learning_rate,
        **column_flags(columns or []),
    }
    for key, value in flags.items():
        if value is not None:
            assign(config, key, value)
    for item in sets or []:
        assign(config, *parse_assignment(item))
    if dry_run:
        out.print(config.to_toml(), markup=False, highlight=False)  # `[run]` is no markup
        return

    from ssl_domains.pipelines.finetuning import finetune as run_finetuning

    print_result(run_finetuning(config, resume=run))


def print_result(result) -> None:
    report = result.report
    title = f"{result.task}: {result.train_rows} train / {result.validation_rows} validation rows"
    if "per_class" in report:
        table = Table(title=title)
        for column in ("class", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "class" else "right")
        for name, row in report["per_class"].items():
            table.add_row(
                name,
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"{row['f1']:.3f}",
                str(row["support"]),
            )
        out.print(table)
    summary = {k: v for k, v in report.items() if isinstance(v, int | float)}
    out.print("validation: " + " · ".join(f"{k} {v:.4f}" for k, v in summary.items()))
    if (result.run.path / "confusion_matrix.png").is_file():
        out.print(f"confusion matrix: {result.run.path / 'confusion_matrix.png'}")
    out.print(f"wall time: {result.seconds:.0f} s ({result.epochs} epochs)")
    out.print(f"run: [bold]{result.run.path}[/bold]")
    out.print(
        f"next: ssl-domains export {result.run.path} --format saved_model "
        f"--out {result.run.path / 'serving' / '1'}"
    )
