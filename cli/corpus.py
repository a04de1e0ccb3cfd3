"""`ssl-domains corpus inspect`: what pretraining would make of a corpus;
`ssl-domains corpus prepare`: make it once, into a folder any run can train on."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ssl_domains.config import resolve_config
from ssl_domains.errors import UserError
from ssl_domains.plugin.registry import registry

corpus_app = typer.Typer(
    help="Look at a corpus before training on it, or prepare it once for many runs.",
    no_args_is_help=True,
)
out = Console()


@corpus_app.command("inspect")
def inspect(
    paths: list[str] = typer.Argument(
        None, help="Files, folders or globs (default: the domain's sample)."
    ),
    domain: str = typer.Option(
        ..., "--domain", "-d", help="The domain whose reading and hygiene apply."
    ),
    tokenizer: str = typer.Option(
        "", "--tokenizer", help="Also measure this pretrained tokenizer (a --from source)."
    ),
    extend_vocab: int = typer.Option(
        0, "--extend-vocab", help="...and after extending it by N domain tokens."
    ),
    sets: list[str] = typer.Option(
        None, "--set", help="Config overrides, e.g. --set data.text_field=body."
    ),
    plot: Path = typer.Option(
        None, "--plot", help="Write the histogram of record lengths (in tokens) as a PNG."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the full report as JSON."),
) -> None:
    """Documents, words, duplicates, redactions, skips, lengths and tokenizer fertility."""
    from ssl_domains.backend import select_backend
    from ssl_domains.pipelines.pretraining import corpus_files

    if extend_vocab < 0:
        raise UserError(f"--extend-vocab must not be negative, got {extend_vocab}")
    config = resolve_config(
        registry(), flags={"run.domain": domain, "data.corpus": paths or None}, sets=sets or ()
    )
    select_backend("tensorflow")
    from ssl_domains.pipelines.inspection import inspect_corpus

    adapter = registry().domain(config.run.domain)(config.domain)
    files = corpus_files(adapter, config)
    with out.status(f"reading {len(files)} file(s) and measuring them"):
        result = inspect_corpus(adapter, files, config, tokenizer, extend_vocab)
    print_inspection(result)
    if plot:
        from ssl_domains.reporting.plots import histogram_png

        if result.token_lengths:  # what pretraining sees: tokens, against seq_len
            label = f"tokens per record (seq_len {result.sequence_length})"
            histogram_png(result.token_lengths, label, plot)
        else:
            histogram_png(result.report.lengths, f"{result.report.unit} per record", plot)
        out.print(f"length histogram: {plot}")
    if json_out:
        json_out.write_text(
            json.dumps({**asdict(result), "report": asdict(result.report)}, indent=2)
        )


@corpus_app.command("prepare")
def prepare(
    paths: list[str] = typer.Argument(
        None, help="Files, folders or globs (default: the domain's sample)."
    ),
    domain: str = typer.Option(
        ..., "--domain", "-d", help="The domain whose reading and hygiene apply."
    ),
    out_dir: Path = typer.Option(..., "--out", help="The prepared-corpus folder to write."),
    workers: int = typer.Option(
        0,
        "--workers",
        help="Processes to prepare on (0: every core, when it pays off).",
    ),
    sets: list[str] = typer.Option(
        None, "--set", help="Config overrides, e.g. --set data.near_duplicates=false."
    ),
    runner: str = typer.Option(
        "",
        "--runner",
        help="Prepare as an Apache Beam pipeline on this runner (DirectRunner, "
        "DataflowRunner, FlinkRunner, SparkRunner); default: in this process.",
    ),
    beam_args: list[str] = typer.Option(
        None,
        "--beam-arg",
        help="One of Beam's own pipeline flags, e.g. --beam-arg=--direct_num_workers=2.",
    ),
) -> None:
    """Read, clean, deduplicate and shard a corpus once, for any number of runs
    (`pretrain --corpus DIR`)."""
    from ssl_domains.backend import select_backend
    from ssl_domains.data.prepared_corpus import Engine, corpus_settings, prepare_into
    from ssl_domains.pipelines.pretraining import corpus_files

    if workers < 0:
        raise UserError(f"--workers must not be negative, got {workers}")
    plugins = registry()
    config = resolve_config(
        plugins, flags={"run.domain": domain, "data.corpus": paths or None}, sets=sets or ()
    )
    select_backend("tensorflow")
    adapter = plugins.domain(config.run.domain)(config.domain)
    settings = corpus_settings(adapter, config, plugins.plugin("domain", adapter.name))
    items = corpus_files(adapter, config)
    engine = Engine(workers, runner, tuple(beam_args or ()))
    prepared = prepare_into(out_dir, adapter, items, settings, engine, out)
    report = prepared.report
    out.print(
        f"prepared corpus {prepared.hash}: {report.files} files, {report.train_records} train / "
        f"{report.validation_records} validation records ({prepared.path})"
    )
    out.print(f"next: ssl-domains pretrain --domain {adapter.name} --corpus {prepared.path}")


def print_inspection(result) -> None:
    report = result.report
    counts = Table(title="corpus", show_header=False)
    rows = [
        ("files read", report.files),
        ("files skipped", len(report.skipped_files)),
        ("records read", report.records),
        ("records undecodable", report.skipped_records),
        ("documents kept", report.kept),
        ("  train / validation", f"{report.train_records} / {report.validation_records}"),
        (f"{report.unit} kept", f"{report.total:,.0f}"),
    ]
    rows += [(f"dropped: {k.replace('_', ' ')}", v) for k, v in sorted(report.dropped.items())]
    rows += [(f"redacted: {k}", v) for k, v in sorted(report.redactions.items())]
    for name, value in rows:
        counts.add_row(name, str(value))
    out.print(counts)
    for path, reason in report.skipped_files.items():
        out.print(f"  skipped {path}: {reason}")
    if report.lengths:
        print_histogram(f"record length ({report.unit})", report.lengths, report.unit, "documents")
    for layout, files in report.layouts.items():
        out.print(f"{layout}: {files} file(s)")
    if report.split_note:
        out.print(f"split: {report.split_note}")
    if result.token_lengths:
        title = f"record length (tokens) against seq_len {result.sequence_length}"
        print_histogram(title, result.token_lengths, "tokens")
        if result.mostly_short:
            out.print(
                f"[yellow]warning:[/yellow] {result.short_share:.0%} of records are under a "
                f"quarter of seq_len ({result.sequence_length} tokens). Pretraining packs them "
                "into full sequences, but if they are lines of hard-wrapped files, read them "
                "as paragraphs: --set data.txt_mode=paragraph"
            )
    if result.fertility:
        tokens = Table(title="tokenizer fertility (tokens per word; lower keeps more words whole)")
        for column in ("tokenizer", "vocabulary", "tokens/word"):
            tokens.add_column(column)
        for name, value in result.fertility.items():
            tokens.add_row(name, f"{result.vocabulary_sizes[name]:,}", f"{value:.3f}")
        out.print(tokens)
    if result.added_tokens:
        out.print("added tokens (first 20): " + " ".join(result.added_tokens[:20]))
    for title, bins in result.histograms.items():
        print_histogram(title, bins)


def print_histogram(title: str, bins: dict[str, int], unit="bin", counted="records") -> None:
    hist = Table(title=title)
    hist.add_column(unit, justify="right")
    hist.add_column(counted, justify="right")
    hist.add_column("")
    top = max(bins.values(), default=1)
    for span, count in bins.items():
        hist.add_row(span, str(count), "█" * max(1, round(30 * count / top)))
    out.print(hist)
