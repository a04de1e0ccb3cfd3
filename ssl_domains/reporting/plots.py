"""Plots a person would rather look at than read: written as PNG files."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    """matplotlib's pyplot on the file-only backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix_png(matrix: list[list[int]], labels: list[str], path: Path) -> Path:
    """A confusion matrix, rows the true class, columns the predicted one."""
    plt = _pyplot()
    import numpy as np

    counts = np.asarray(matrix)
    size = max(4.0, 0.6 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size * 0.85))
    image = axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    threshold = counts.max() / 2 if counts.size else 0
    for (row, column), value in np.ndenumerate(counts):
        color = "white" if value > threshold else "black"
        axes.text(column, row, str(value), ha="center", va="center", color=color)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    axes.set_title("confusion matrix (validation)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def histogram_png(bins: dict[str, int], label: str, path: Path) -> Path:
    """A bar chart of pre-binned counts (e.g. document lengths)."""
    plt = _pyplot()

    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.bar(range(len(bins)), list(bins.values()), color="#4c72b0")
    axes.set_xticks(range(len(bins)), list(bins), rotation=45, ha="right")
    axes.set_xlabel(label)
    axes.set_ylabel("documents")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def training_curves_png(rows: list[dict], path: Path) -> Path:
    """One panel per logged metric over steps: training as a line, validation as dots.

    `rows` are `metrics.jsonl` records; the learning rate, timing and throughput
    columns are left out (they describe the run, not the model).
    """
    plt = _pyplot()

    skip = {"step", "time", "final", "learning_rate"}
    names = sorted(
        {
            key.removeprefix("val_")
            for row in rows
            if not row.get("final")
            for key, value in row.items()
            if key not in skip and not key.endswith("_per_s") and isinstance(value, float)
        }
    )
    columns = min(3, max(1, len(names)))
    lines = -(-len(names) // columns) or 1
    figure, grid = plt.subplots(lines, columns, figsize=(4 * columns, 3 * lines), squeeze=False)
    for axes, name in zip(grid.flat, names, strict=False):
        for key, style in ((name, "-"), (f"val_{name}", "o")):
            points = [(r["step"], r[key]) for r in rows if key in r and not r.get("final")]
            if points:
                steps, values = zip(*points, strict=True)
                label = "validation" if key.startswith("val_") else "training"
                axes.plot(steps, values, style, label=label, markersize=4)
        axes.set_title(name)
        axes.set_xlabel("step")
        axes.legend(fontsize="small")
    for axes in list(grid.flat)[len(names) :]:
        axes.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
