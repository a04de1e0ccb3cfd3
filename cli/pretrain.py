"""`ssl-domains pretrain`: continue self-supervised pretraining on a corpus."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from ssl_domains.cli import options

from ssl_domains.config import read_toml, resolve_config
from ssl_domains.errors import UserError
from ssl_domains.plugin.registry import registry

out = Console()


def pretrain(
    domain: str = typer.Option(None, "--domain", "-d", help="Domain plugin, e.g. finance."),
    recipe: str = typer.Option(
        None, "--recipe", "-r", help="SSL recipe; the domain's default if omitted."
    ),
    corpus: list[str] = typer.Option(
        None,
        "--corpus",
        help="File, folder or glob (.txt/.jsonl/.csv[.gz]); repeatable. "
        "Default: the domain's embedded sample.",
    ),
    source: str = typer.Option(
        None,
        "--from",
        help="Continue from a run, a preset directory, a keras-hub preset "
        "or a Hugging Face checkpoint directory.",
    ),
    backend: options.Backend = None,
    precision: options.Precision = None,
    distribute: options.Distribute = None,
    devices: options.Devices = None,
    steps: int = typer.Option(None, "--steps", help="Optimizer steps."),
    epochs: float = typer.Option(
        None, "--epochs", help="Passes over the corpus (overrides --steps)."
    ),
    batch_size: options.BatchSize = None,
    seq_len: int = typer.Option(None, "--seq-len", help="Tokens per training sequence."),
    seed: options.Seed = None,
    extend_vocab: int = typer.Option(
        None, "--extend-vocab", help="With --from: add the N most useful domain tokens."
    ),
    run_dir: Path = typer.Option(
        None, "--run-dir", help="Where to write the run (default: runs/<domain>-<recipe>-<time>)."
    ),
    resume: Path = typer.Option(
        None, "--resume", help="Continue this run from its last checkpoint."
    ),
    config_file: options.ConfigFile = None,
    sets: options.Sets = None,
    dry_run: options.DryRun = False,
) -> None:
    """Continue self-supervised pretraining of a model on a domain corpus."""
    from ssl_domains.training.run_directory import RunDirectory

    if resume and config_file:
        raise UserError("--resume takes its config from the run; drop --config")
    run = RunDirectory.open(resume) if resume else None
    tree = _run_tree(run) if run else (read_toml(config_file) if config_file else {})
    flags = {
        "run.domain": domain,
        "run.recipe": recipe,
        "data.corpus": corpus or None,
        "model.source": source,
        "run.backend": backend or (None if run else os.environ.get("KERAS_BACKEND")),
        "run.precision": precision,
        "run.distribute": distribute,
        "run.devices": devices,
        "train.steps": steps,
        "train.epochs": epochs if epochs is not None else (0.0 if steps is not None else None),
        "train.batch_size": batch_size,
        "data.seq_len": seq_len,
        "run.seed": seed,
        "model.extend_vocabulary": extend_vocab,
        "run.dir": str(run_dir) if run_dir else None,
    }
    config = resolve_config(registry(), tree, flags, sets or ())
    if dry_run:
        _print_plan(config)
        return

    from ssl_domains.pipelines.pretraining import pretrain as run_pretraining

    result = run_pretraining(config, resume=run)
    _print_result(result, config)


def _run_tree(run) -> dict:
    """A run's saved config, minus what only applied to that invocation."""
    tree = read_toml(run.config_path)
    tree.pop("provenance", None)
    tree.get("train", {}).pop("stop_at", None)  # an early stop is not part of the plan
    return tree


def _print_plan(config) -> None:
    from ssl_domains.data.corpus_files import item_size
    from ssl_domains.data.prepared_corpus import load_prepared
    from ssl_domains.pipelines.pretraining import corpus_files

    out.print(Syntax(config.to_toml(), "toml", theme="ansi_dark", background_color="default"))
    specs = config.data.corpus
    prepared = load_prepared(Path(specs[0]).expanduser()) if len(specs) == 1 else None
    if prepared:
        report = prepared.report
        out.print(
            f"corpus: prepared corpus {prepared.hash} ({report.train_records} train / "
            f"{report.validation_records} validation records), read in place"
        )
    else:
        domain = registry().domain(config.run.domain)(config.domain)
        files = corpus_files(domain, config)
        size = sum(map(item_size, files))
        out.print(f"corpus: {len(files)} input(s), {size / 1e6:.2f} MB")
    recipe = registry().recipe(config.run.recipe)
    if not config.model.source and config.model.size in recipe.sizes:
        dims = ", ".join(f"{k}={v}" for k, v in recipe.sizes[config.model.size].items())
        out.print(f"model: {recipe.name} {config.model.size} ({dims}), new domain vocabulary")
    else:
        out.print(f"model: from {config.model.source or config.model.size}")
    out.print("dry run: nothing was trained")


def _print_result(result, config) -> None:
    m, report = result.metrics, result.report
    recipe = registry().recipe(config.run.recipe)
    table = Table(title=f"{config.run.domain} · {config.run.recipe} · {result.step} steps")
    table.add_column("held-out metric")
    table.add_column("model", justify="right")
    table.add_column("baseline", justify="right")
    shown = set()
    for label, (metric, baseline) in recipe.comparisons.items():
        if metric in m:
            table.add_row(label, f"{m[metric]:.3f}", f"{m.get(baseline, float('nan')):.3f}")
            shown |= {metric, baseline}
    for key, value in m.items():
        if key not in shown:
            table.add_row(key.replace("_", " "), f"{value:.4g}", "")
    out.print(table)
    skipped = report.skipped_records + len(report.skipped_files)
    out.print(
        f"corpus: {report.files} files, {report.train_records} train / {report.validation_records} "
        f"validation records; skipped {report.skipped_records} records and "
        f"{len(report.skipped_files)} files" + (" (see data/corpus.json)" if skipped else "")
    )
    for path, reason in list(report.skipped_files.items())[:5]:
        out.print(f"  skipped {path}: {reason}")
    if report.redactions:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.redactions.items()))
        out.print(f"redacted: {counts}")
    if report.dropped:
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(report.dropped.items()))
        out.print(f"dropped: {counts}")
    out.print(f"wall time: {result.seconds:.0f} s")
    out.print(f"run: [bold]{result.run.path}[/bold] (curves: {result.run.curves_path.name})")
    out.print(f"next: ssl-domains {next_command(config)} {result.run.path}")


def next_command(config) -> str:
    """`finetune` where the domain's modality has a fine-tuning task, else `evaluate`
    (image-text runs are scored zero-shot and by retrieval)."""
    from ssl_domains.plugin.modality import modality_of

    plugins = registry()
    words = {entry.name for entry in plugins.task_entries()}
    default = modality_of(plugins.domain(config.run.domain)).default_task
    return "finetune" if default in words else "evaluate"
