"""`ssl-domains evaluate`: linear-probe and kNN scores of frozen representations."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from ssl_domains.cli.finetune import column_flags

out = Console()


def source_modality(sources: list[str], domain: str, given: dict[str, str]):
    """The modality whose pooling and columns the probes use: the one whose input column
    a `--column` names (`audio=...`), else that of the sources' domain (the one
    `--domain` names, or else the one the first source's preset records), text for a
    source of no domain."""
    from ssl_domains.evaluation.probes import source_location
    from ssl_domains.plugin.modality import column_modality, modality_of
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.sources import source_domain

    found = source_domain(source_location(sources[0]), domain, registry())
    return column_modality(given) or modality_of(found)


def default_data(sources: list[str], domain: str) -> Path:
    """The labeled sample of the sources' domain (the one `--domain` names, or else the one
    the first source's preset records), for when `--data` is not given."""
    from ssl_domains.errors import UserError
    from ssl_domains.evaluation.probes import source_location
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.sources import source_domain

    found = source_domain(source_location(sources[0]), domain, registry())
    labels = found().sample_labels() if found else None
    if labels is None:
        raise UserError("no labeled data: pass --data FILE")
    return Path(labels)


def evaluate(
    sources: list[str] = typer.Argument(
        ...,
        help="Runs, presets or Hugging Face directories; prefix random: for a fresh copy, "
        "raw: for the raw-input baseline.",
    ),
    compare: list[str] = typer.Option(
        None, "--compare", help="More sources, side by side; repeatable."
    ),
    data: Path = typer.Option(
        None,
        "--data",
        help="Labeled CSV/TSV/JSONL with text (or path) and label columns "
        "(default: the domain's labeled sample).",
    ),
    columns: list[str] = typer.Option(
        None, "--column", help="e.g. --column text=body; repeatable."
    ),
    shots: int = typer.Option(
        0, "--shots", help="Labels per class to train the probes on (0: all)."
    ),
    seeds: int = typer.Option(5, "--seeds", help="Repeats over different splits (mean ± std)."),
    domain: str = typer.Option(
        "", "--domain", help="Domain normalisation (default: each source's)."
    ),
    backend: str = typer.Option("tensorflow", "--backend"),
    json_out: Path = typer.Option(None, "--json", help="Also write the scores as JSON."),
    labels: Path = typer.Option(
        None,
        "--labels",
        help="Image-text models: a CSV of image path and label (and caption, for "
        "retrieval) to classify zero-shot (same as --data).",
    ),
    prompts: list[str] = typer.Option(
        None,
        "--prompt",
        help="Image-text models: a prompt template such as 'a figure of {}'; repeatable "
        "(default: the domain's).",
    ),
) -> None:
    """Probe frozen embeddings with a linear classifier and kNN; compare several sources.
    Image-text models: zero-shot classification from class names and retrieval recall."""
    from ssl_domains.backend import select_backend
    from ssl_domains.config import BACKENDS
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.errors import UserError

    # Checked before Keras is imported: a bad --backend would otherwise stick to it.
    if backend not in BACKENDS:
        raise UserError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if seeds < 1:
        raise UserError(f"--seeds must be at least 1, got {seeds}")
    if shots < 0:
        raise UserError(f"--shots must not be negative, got {shots}")
    select_backend(backend)
    from ssl_domains.evaluation.probes import as_dict, evaluate_sources

    given = {
        k.removeprefix("data.").removesuffix("_column"): v
        for k, v in column_flags(columns or []).items()
    }
    data = labels or data or default_data(sources, domain)
    kind = source_modality(sources, domain, given)
    own = kind.own_evaluation()
    if own is not None:
        _own_evaluation(own, [*sources, *(compare or [])], data, domain, prompts, json_out)
        return
    rows = read_labeled(data, {**kind.label_roles, **given})
    setting = f"{shots}-shot" if shots else "all labels"
    results = evaluate_sources(
        [*sources, *(compare or [])],
        rows,
        shots=shots,
        seeds=seeds,
        domain=domain,
        on_source=lambda r: out.print(f"probed {r.source}"),
        modality=kind,
    )
    table = Table(
        title=f"frozen embeddings · {data.name} · {setting} · {seeds} seeds · {len(rows)} rows"
    )
    table.add_column("source")
    keys = ("linear_accuracy", "linear_macro_f1", "knn_accuracy", "knn_macro_f1")
    for key in keys:
        table.add_column(key.replace("_", " "), justify="right")
    for r in results:
        table.add_row(r.source, *(f"{r.mean_std(k)[0]:.3f} ± {r.mean_std(k)[1]:.3f}" for k in keys))
    out.print(table)
    if json_out:
        json_out.write_text(json.dumps(as_dict(results), indent=2) + "\n")


def _own_evaluation(evaluate_fn, sources, data: Path, domain: str, prompts, json_out) -> None:
    """Zero-shot classification and retrieval of image-text sources, side by side."""
    from ssl_domains.image_text.zero_shot import as_dict

    results = evaluate_fn(
        sources,
        data,
        domain=domain,
        prompts=list(prompts or []) or None,
        on_source=lambda r: out.print(f"evaluated {r.source}"),
    )
    first = results[0].scores
    title = (
        f"zero-shot · {data.name} · {int(first['images'])} images, {int(first['classes'])} classes"
    )
    table = Table(title=title)
    table.add_column("source")
    keys = [
        k
        for k in (
            "zero_shot_accuracy",
            "zero_shot_macro_f1",
            "image_to_text_recall_at_1",
            "image_to_text_recall_at_5",
            "image_to_text_recall_at_10",
            "text_to_image_recall_at_1",
            "text_to_image_recall_at_5",
            "text_to_image_recall_at_10",
        )
        if k in first
    ]
    for key in keys:
        table.add_column(
            key.replace("_", " ").replace("image to text", "i→t").replace("text to image", "t→i"),
            justify="right",
        )
    for r in results:
        table.add_row(r.source, *(f"{r.scores[k]:.3f}" for k in keys))
    chance = {
        "zero_shot_accuracy": first["chance_accuracy"],
        **{k: first[f"chance_recall_at_{k.rsplit('_', 1)[1]}"] for k in keys if "recall" in k},
    }
    table.add_row("chance", *(f"{chance[k]:.3f}" if k in chance else "" for k in keys))
    out.print(table)
    if "pairs" in first:
        out.print(f"retrieval over {int(first['pairs'])} held-out pairs")
    if json_out:
        json_out.write_text(json.dumps(as_dict(results), indent=2) + "\n")
